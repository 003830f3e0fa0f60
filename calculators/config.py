"""Read a Hugging Face ``config.json`` (already parsed into a dict) into a :class:`ModelSpec`.

Pure: the caller reads the file (with a size limit) and passes the text or the dict. Multimodal
checkpoints nest the language model under ``text_config`` (Gemma 3, Mistral 3, Llama 4); its
fields win over the top level. Aliases are normalised here, so the calculators see one name each:

* experts: ``num_experts`` | ``num_local_experts`` (Mixtral, gpt-oss, Llama 4) | ``n_routed_experts``
  (DeepSeek); expert size ``moe_intermediate_size``, or ``intermediate_size`` for Mixtral, gpt-oss
  and Llama 4 (whose dense layers use ``intermediate_size_mlp``);
* MoE layer pattern: ``first_k_dense_replace``/``moe_layer_freq`` (DeepSeek),
  ``decoder_sparse_step``/``mlp_only_layers`` (Qwen-MoE), ``interleave_moe_layer_step`` (Llama 4);
* local attention: ``layer_types``; Gemma-2 alternation; Gemma-3 ``sliding_window_pattern``;
  Qwen ``use_sliding_window``/``max_window_layers``; Mistral's all-layer ``sliding_window``;
  Llama 4 chunked attention on its RoPE layers (``attention_chunk_size``, ``no_rope_layers``).

Every problem raises :class:`SpecError` naming the field.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from calculators.messages import N_, Message
from calculators.spec import (
    MAX_DIM,
    IndexerSpec,
    ModelSpec,
    SpecError,
    StateSpec,
    VisionSpec,
    shown_value,
)

# What Python's json decoder says about a malformed file (json/decoder.py, json/scanner.py),
# marked so that the dashboard can show it translated; any other text is shown as it is.
JSON_DECODER_MESSAGES: Final[frozenset[str]] = frozenset(
    {
        N_("Expecting value"),
        N_("Expecting property name enclosed in double quotes"),
        N_("Expecting ':' delimiter"),
        N_("Expecting ',' delimiter"),
        N_("Extra data"),
        N_("Unterminated string starting at"),
        N_("Invalid control character at"),
        N_("Invalid \\escape"),
        N_("Invalid \\uXXXX escape"),
        N_("Illegal trailing comma before end of object"),
        N_("Illegal trailing comma before end of array"),
    }
)
MAX_CONFIG_BYTES: Final[int] = 1_000_000  # a config.json is a few KiB; 1 MB bounds the parse
# Python refuses to convert integers of more than 4,300 digits (sys.int_info.default_max_str_digits);
# no real config field has more than 20. Unit: decimal digits.
MAX_INT_DIGITS: Final[int] = 4_300
MAX_NAME_CHARS: Final[int] = 200


# --- attribute aliases ------------------------------------------------------------------------
# The names transformers' configuration classes map onto one attribute (their ``attribute_map``
# and legacy keys): GPT-2/BigCode n_layer/n_embd/n_head/n_inner/n_positions; Falcon n_head_kv /
# num_kv_heads; ChatGLM num_layers / ffn_hidden_size / multi_query_group_num / kv_channels /
# padded_vocab_size / seq_length; MPT n_layers / d_model / n_heads / max_seq_len; OPT ffn_dim.
ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "num_hidden_layers": ("num_hidden_layers", "n_layer", "num_layers", "n_layers"),
    "hidden_size": ("hidden_size", "n_embd", "d_model", "model_dim"),
    "num_attention_heads": ("num_attention_heads", "n_head", "num_heads", "n_heads"),
    "num_key_value_heads": ("num_key_value_heads", "num_kv_heads", "n_head_kv", "n_kv_heads"),
    "head_dim": ("head_dim", "kv_channels"),
    "intermediate_size": ("intermediate_size", "n_inner", "ffn_hidden_size", "ffn_dim"),
    "vocab_size": ("vocab_size", "padded_vocab_size", "n_vocab"),
    "max_position_embeddings": (
        "max_position_embeddings",
        "n_positions",
        "seq_length",
        "max_sequence_length",
        "max_seq_len",
        "n_ctx",
    ),
    "num_experts": ("num_experts", "num_local_experts", "n_routed_experts", "moe_num_experts"),
    "num_experts_per_tok": (
        "num_experts_per_tok",
        "experts_per_token",
        "num_experts_per_token",
        "moe_top_k",
        "moe_k",
    ),
}


@dataclass(frozen=True)
class Family:
    """How a model family builds its layers where config.json is silent (transformers' config
    class defaults and modelling files). Only what changes memory or the parameter count."""

    tie: bool = False  # tie_word_embeddings default of the config class
    gated: bool = True  # SwiGLU/GeGLU (3 matrices) vs a plain 2-matrix MLP
    attention_bias: bool = False  # q/k/v/o biases when the config has no attention_bias key
    mlp_bias: bool = False
    norm_bias: bool = False  # LayerNorm with bias vs RMSNorm
    norms: int | None = None  # norms per layer (None: 2; 1 for parallel attention blocks)
    learned_positions: int = 0  # 1: a learned table of max_position_embeddings rows (+offset)
    position_offset: int = 0  # OPT keeps 2 extra position rows
    inner_multiple: int = 0  # MLP width = this × hidden when the config gives none (n_inner null)
    all_layer_sliding: bool = False  # sliding_window applies to every layer
    experts_use_intermediate: bool = False  # experts sized by intermediate_size
    qk_norm: bool = False
    multi_query: bool = False  # multi_query default of the config class (GPT-BigCode: true)
    attention_gate: bool = False  # q_proj doubled for a sigmoid output gate (Qwen3-Next)


_DEC = Family()
_GPT2 = Family(
    tie=True,
    gated=False,
    attention_bias=True,
    mlp_bias=True,
    norm_bias=True,
    learned_positions=1,
    inner_multiple=4,
)
# Model types the reader knows, with their family rules (transformers/models/<type>/configuration_*
# and modeling_*). Anything else is read as a Llama-style decoder with a visible warning.
FAMILIES: Final[dict[str, Family]] = {
    **{
        t: _DEC
        for t in (
            "llama",
            "mistral",
            "qwen2",
            "qwen2_moe",
            "qwen2_vl",
            "qwen2_5_vl",
            "qwen2_vl_text",
            "qwen2_5_vl_text",
            "deepseek_v2",
            "deepseek_v3",
            "deepseek_v32",
            "kimi_k2",
            "phi3",
            "phi3_v",
            "granite",
            "olmo",
            "internlm2",
            "internlm3",
            "exaone",
            "exaone4",
            "baichuan",
            "yi",
            "chatglm",
            "glm",
            "glm4_moe",
            "glm4v_text",
            "glm4v_moe_text",
            "ernie4_5",
            "ernie4_5_moe",
            "hunyuan_v1_dense",
            "hunyuan_v1_moe",
            "seed_oss",
            "smollm3",
            "apertus",
            "arcee",
            "dots1",
            "bailing_moe",
            "longcat_flash",
            "deci",
            "nemotron-nas",
            "jamba",
            "nemotron_h",
            "granitemoehybrid",
            "mamba2",
            "minimax",
            "minimax_m1",
            "minimax_text_01",
            "minimax_m2",
            "dbrx",
            "llava",
            "mllama",
            "idefics3",
            "internvl",
            "mistral3",
            "pixtral",
            "llama4",
            "gpt_oss",
        )
    },
    "mixtral": Family(experts_use_intermediate=True),
    "phimoe": Family(experts_use_intermediate=True),
    "granitemoe": Family(experts_use_intermediate=True),
    "granitemoeshared": Family(experts_use_intermediate=True),
    "llama4_text": Family(experts_use_intermediate=True),
    "qwen3": Family(qk_norm=True),
    "qwen3_moe": Family(qk_norm=True),
    "qwen3_vl_text": Family(qk_norm=True),
    "qwen3_vl_moe_text": Family(qk_norm=True),
    "qwen3_next": Family(qk_norm=True, attention_gate=True),
    "qwen3_5": Family(qk_norm=True, attention_gate=True),
    "qwen3_5_text": Family(qk_norm=True, attention_gate=True),
    "qwen3_5_moe": Family(qk_norm=True, attention_gate=True),
    "qwen3_5_moe_text": Family(qk_norm=True, attention_gate=True),
    "olmo3": Family(),
    "deepseek": Family(),
    "olmo2": Family(),
    "olmoe": Family(),
    "glm4": Family(norms=4, attention_bias=True),
    "stablelm": Family(norm_bias=True),
    "gemma": Family(tie=True),
    "gemma2": Family(tie=True),
    "gemma3": Family(tie=True),
    "gemma3_text": Family(tie=True),
    "cohere": Family(tie=True, norms=1),
    "cohere2": Family(tie=True, norms=1),
    "starcoder2": Family(
        tie=True,
        gated=False,
        attention_bias=True,
        mlp_bias=True,
        norm_bias=True,
        all_layer_sliding=True,
    ),
    "gpt2": _GPT2,
    "gpt_bigcode": Family(
        tie=True,
        gated=False,
        attention_bias=True,
        mlp_bias=True,
        norm_bias=True,
        learned_positions=1,
        inner_multiple=4,
        multi_query=True,
    ),
    "gptj": Family(gated=False, mlp_bias=True, norm_bias=True, norms=1, inner_multiple=4),
    "gpt_neox": Family(gated=False, attention_bias=True, mlp_bias=True, norm_bias=True),
    "falcon": Family(tie=True, gated=False, norm_bias=True, inner_multiple=4),
    "phi": Family(gated=False, attention_bias=True, mlp_bias=True, norm_bias=True, norms=1),
    "opt": Family(
        tie=True,
        gated=False,
        attention_bias=True,
        mlp_bias=True,
        norm_bias=True,
        learned_positions=1,
        position_offset=2,
    ),
    "bloom": Family(
        tie=True, gated=False, attention_bias=True, mlp_bias=True, norm_bias=True, inner_multiple=4
    ),
    "mpt": Family(tie=True, gated=False, norm_bias=False, inner_multiple=4),
    "nemotron": Family(gated=False, norm_bias=True),
    "mamba": Family(tie=True, norms=1),
    "falcon_mamba": Family(tie=True, norms=1),
}
# Model types whose configs carry a `sliding_window` that the model applies to every layer.
_ALL_LAYER_SLIDING: Final[frozenset[str]] = frozenset({"mistral", "mixtral", "starcoder2"})
# Model types that always have q/k/v biases (their configs have no attention_bias key).
_QKV_BIAS: Final[frozenset[str]] = frozenset(
    {"qwen2", "qwen2_moe", "qwen2_vl", "qwen2_5_vl", "qwen2_vl_text", "qwen2_5_vl_text"}
)
# Architectures the planner cannot model, refused by name with the concept it lacks.
REFUSED: Final[dict[str, str]] = {
    "falcon_h1": N_(
        "Falcon-H1 runs attention and Mamba heads side by side in every layer "
        "(parallel hybrid), which the planner does not model"
    ),
    "zamba": N_(
        "Zamba shares one attention block across Mamba layers (shared-weight hybrid), "
        "which the planner does not model"
    ),
    "zamba2": N_(
        "Zamba2 shares attention blocks across Mamba layers (shared-weight hybrid), "
        "which the planner does not model"
    ),
    "rwkv": N_(
        "RWKV is a recurrent model (no attention, a WKV state per layer) the planner does not model"
    ),
    "t5": N_("T5 is an encoder-decoder; the planner models decoder-only LLMs"),
    "bart": N_("BART is an encoder-decoder; the planner models decoder-only LLMs"),
    "whisper": N_(
        "Whisper is an encoder-decoder speech model; the planner models decoder-only LLMs"
    ),
    "bert": N_("BERT is an encoder (no KV cache); the planner models decoder-only LLMs"),
}


def _get(d: Mapping[str, Any], *names: str) -> Any:
    for n in names:
        if n in d and d[n] is not None:
            return d[n]
    return None


def _present(d: Mapping[str, Any], field: str) -> bool:
    return _get(d, *ALIASES.get(field, (field,))) is not None


def _int(
    d: Mapping[str, Any], name: str, *aliases: str, required: bool = True, default: int = 0
) -> int:
    names = (name, *aliases) if aliases else ALIASES.get(name, (name,))
    v = _get(d, *names)
    if v is None:
        if required:
            raise SpecError(Message("{name}: missing from config.json", name=name))
        return default
    if isinstance(v, bool):
        raise SpecError(Message("{name}: expected an integer, got {v!r}", name=name, v=v))
    if isinstance(v, float):
        if not math.isfinite(v) or not v.is_integer():
            raise SpecError(Message("{name}: expected an integer, got {v!r}", name=name, v=v))
        v = int(v)
    if not isinstance(v, int):
        raise SpecError(
            Message(
                "{name}: expected an integer, got {type} {v!r:.40}",
                name=name,
                type=type(v).__name__,
                v=v,
            )
        )
    return v


def _float(d: Mapping[str, Any], name: str, default: float, lo: float, hi: float) -> float:
    v = d.get(name)
    if v is None:
        return default
    if isinstance(v, int) and not isinstance(v, bool) and not lo <= v <= hi:
        # checked as an integer: float() of one past ~10^308 overflows
        raise SpecError(
            Message(
                "{name}: {v} is outside {lo:g}..{hi:g}", name=name, v=shown_value(v), lo=lo, hi=hi
            )
        )
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise SpecError(
            Message("{name}: expected a finite number, got {v}", name=name, v=shown_value(v))
        )
    if not lo <= v <= hi:
        raise SpecError(
            Message(
                "{name}: {v} is outside {lo:g}..{hi:g}", name=name, v=shown_value(v), lo=lo, hi=hi
            )
        )
    return float(v)


def _bool(d: Mapping[str, Any], name: str, default: bool) -> bool:
    v = d.get(name)
    if v is None:
        return default
    if not isinstance(v, bool):
        raise SpecError(Message("{name}: expected true or false, got {v!r:.40}", name=name, v=v))
    return v


def _str(d: Mapping[str, Any], name: str, default: str) -> str:
    v = d.get(name)
    if v is None:
        return default
    if not isinstance(v, str):
        raise SpecError(Message("{name}: expected a string, got {v!r:.40}", name=name, v=v))
    return v


def _int_list(d: Mapping[str, Any], name: str) -> list[int] | None:
    v = d.get(name)
    if v is None:
        return None
    if not isinstance(v, list) or not all(
        isinstance(x, int) and not isinstance(x, bool) for x in v
    ):
        raise SpecError(Message("{name}: expected a list of integers", name=name))
    return v


# Keys under which multimodal checkpoints nest their language model (Gemma 3, Mistral 3, Llama 4,
# Qwen3-VL, GLM-4.xV: text_config; InternVL: llm_config; DeepSeek-VL2: language_config).
_TEXT_KEYS: Final[tuple[str, ...]] = ("text_config", "llm_config", "language_config")


def _flatten(raw: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise SpecError(
            Message("config.json: expected a JSON object, got {type}", type=type(raw).__name__)
        )
    d = dict(raw)
    for key in _TEXT_KEYS:
        text = d.get(key)
        if text is None:
            continue
        if not isinstance(text, Mapping):
            raise SpecError(Message("{key}: expected an object", key=key))
        outer_type = d.get("model_type")
        merged = {k: v for k, v in d.items() if k != key}
        merged.update({k: v for k, v in text.items() if v is not None})
        merged["_outer_model_type"] = outer_type
        for k in ("torch_dtype", "dtype", "tie_word_embeddings"):
            if k not in text and k in d:
                merged[k] = d[k]
        d = merged
        break
    # DBRX and MPT nest attention and FFN settings (DbrxConfig attn_config / ffn_config).
    attn = d.get("attn_config")
    if attn is not None:
        if not isinstance(attn, Mapping):
            raise SpecError(N_("attn_config: expected an object"))
        if attn.get("kv_n_heads") is not None:
            d.setdefault("num_key_value_heads", attn["kv_n_heads"])
    ffn = d.get("ffn_config")
    if ffn is not None:
        if not isinstance(ffn, Mapping):
            raise SpecError(N_("ffn_config: expected an object"))
        for src, dst in (
            ("ffn_hidden_size", "moe_intermediate_size"),
            ("moe_num_experts", "num_experts"),
            ("moe_top_k", "num_experts_per_tok"),
        ):
            if ffn.get(src) is not None:
                d.setdefault(dst, ffn[src])
    return d


def _name_from_path(d: Mapping[str, Any]) -> str | None:
    """The model's id from ``_name_or_path`` (an org/name id, or the last two parts of a path)."""
    v = d.get("_name_or_path")
    if not isinstance(v, str):
        return None
    v = v.strip().replace("\\", "/").rstrip("/")
    if not v or any(ord(c) < 32 for c in v):
        return None
    parts = [p for p in v.split("/") if p and p not in (".", "..")]
    if not parts:
        return None
    return "/".join(parts[-2:])[:MAX_NAME_CHARS]


# --- layer patterns --------------------------------------------------------------------------
# Spellings of one layer's token mixer in layer_types / layers_block_type / hybrid patterns.
_MIXER_NAMES: Final[dict[str, str]] = {
    "full_attention": "full_attention",
    "attention": "full_attention",
    "global": "full_attention",
    "sliding_attention": "sliding_attention",
    "chunked_attention": "chunked_attention",
    "linear_attention": "linear_attention",
    "mamba": "mamba",
    "mamba2": "mamba",
    "mlp": "none",
    "moe": "none",
}
# Nemotron-H hybrid_override_pattern: M = Mamba-2, * = attention, - = MLP, E = MoE (one block
# each; transformers NemotronHConfig).
_PATTERN_CHARS: Final[dict[str, str]] = {
    "M": "mamba",
    "*": "full_attention",
    "-": "none",
    "E": "none",
}


def _hybrid(
    d: Mapping[str, Any], model_type: str, n: int
) -> tuple[tuple[str, ...], tuple[int, ...] | None, tuple[bool, ...] | None] | None:
    """(mixer per layer, MoE layer indices or None, dense-MLP-present per layer or None) for
    configs that mix attention with state layers; None for plain attention models."""
    pattern = d.get("hybrid_override_pattern")
    if pattern is not None:
        if not isinstance(pattern, str) or len(pattern) != n:
            raise SpecError(
                Message("hybrid_override_pattern: expected a string of {n} characters", n=n)
            )
        bad = sorted(set(pattern) - set(_PATTERN_CHARS))
        if bad:
            raise SpecError(
                Message("hybrid_override_pattern: unknown block type(s) {bad}", bad=bad)
            )
        types = tuple(_PATTERN_CHARS[c] for c in pattern)
        moe = tuple(i for i, c in enumerate(pattern) if c == "E")
        mlp = tuple(c == "-" for c in pattern)
        return types, moe, mlp
    blocks = d.get("layers_block_type")
    if blocks is not None:
        if not isinstance(blocks, list) or len(blocks) != n:
            raise SpecError(Message("layers_block_type: expected a list of {n} names", n=n))
        if not all(isinstance(b, str) and b in _MIXER_NAMES for b in blocks):
            raise SpecError(
                Message(
                    "layers_block_type: unknown block type in {blocks!r:.80}", blocks=blocks[:8]
                )
            )
        types = tuple(_MIXER_NAMES[b] for b in blocks)
        if model_type == "nemotron_h":  # single-mixer blocks
            moe = tuple(i for i, b in enumerate(blocks) if b == "moe")
            return types, moe, tuple(b == "mlp" for b in blocks)
        return types, None, None
    if "attn_layer_period" in d or "attn_layer_offset" in d:  # Jamba
        period = _int(d, "attn_layer_period", required=False, default=8)
        offset = _int(d, "attn_layer_offset", required=False, default=4)
        if period <= 0 or not 0 <= offset < period:
            raise SpecError(N_("attn_layer_period/attn_layer_offset: need period > offset >= 0"))
        types = tuple("full_attention" if i % period == offset else "mamba" for i in range(n))
        jamba_moe: tuple[int, ...] | None = None
        if _int(d, "num_experts", required=False) > 1:
            ep = _int(d, "expert_layer_period", required=False, default=2)
            eo = _int(d, "expert_layer_offset", required=False, default=1)
            if ep <= 0 or not 0 <= eo < ep:
                raise SpecError(N_("expert_layer_period/offset: need period > offset >= 0"))
            jamba_moe = tuple(i for i in range(n) if i % ep == eo)
        return types, jamba_moe, None
    attn_list = d.get("attn_type_list")
    if attn_list is not None:  # MiniMax-01 / M1: 0 = lightning (linear) attention, 1 = softmax
        if (
            not isinstance(attn_list, list)
            or len(attn_list) != n
            or not all(a in (0, 1) and not isinstance(a, bool) for a in attn_list)
        ):
            raise SpecError(Message("attn_type_list: expected {n} entries of 0 or 1", n=n))
        if all(a == 1 for a in attn_list):
            return None
        return tuple("full_attention" if a else "linear_attention" for a in attn_list), None, None
    raw = d.get("layer_types")
    if isinstance(raw, list) and any(
        isinstance(t, str) and _MIXER_NAMES.get(t) in ("mamba", "linear_attention") for t in raw
    ):
        if len(raw) != n or not all(isinstance(t, str) and t in _MIXER_NAMES for t in raw):
            raise SpecError(
                Message(
                    "layer_types: expected {n} known layer types, got {raw!r:.80}", n=n, raw=raw[:6]
                )
            )
        return tuple(_MIXER_NAMES[t] for t in raw), None, None
    if raw is None and "full_attention_interval" in d and "linear_num_value_heads" in d:
        k = _int(d, "full_attention_interval")
        if k <= 0:
            raise SpecError(N_("full_attention_interval: must be positive"))
        return (
            tuple("full_attention" if (i + 1) % k == 0 else "linear_attention" for i in range(n)),
            None,
            None,
        )
    return None


def _state(d: Mapping[str, Any], model_type: str, hidden: int, kinds: set[str]) -> StateSpec:
    """The state-layer description from the config's Mamba / linear-attention fields."""
    ssm_dtype = _get(d, "mamba_ssm_cache_dtype", "mamba_ssm_dtype")
    if ssm_dtype is not None and not isinstance(ssm_dtype, str):
        raise SpecError(N_("mamba_ssm_cache_dtype: expected a dtype name"))
    if ssm_dtype is None and model_type == "nemotron_h":
        # vLLM NemotronHForCausalLMConfig: the SSM state defaults to float32 for Nemotron-H.
        ssm_dtype = "float32"
    if ssm_dtype == "auto":
        ssm_dtype = None
    if "linear_attention" in kinds:
        if "linear_num_value_heads" in d:  # Gated DeltaNet (Qwen3-Next, Qwen3.5)
            return StateSpec(
                kind="gated_deltanet",
                num_heads=_int(d, "linear_num_value_heads"),
                head_dim=_int(d, "linear_value_head_dim"),
                num_k_heads=_int(d, "linear_num_key_heads"),
                head_k_dim=_int(d, "linear_key_head_dim"),
                conv_kernel=_int(d, "linear_conv_kernel_dim", required=False, default=4),
                conv_bias=False,
                ssm_state_dtype=ssm_dtype,
            )
        if model_type.startswith("minimax"):  # lightning attention: the model's heads
            heads = _int(d, "num_attention_heads")
            hd = _int(d, "head_dim", required=False, default=hidden // max(1, heads))
            return StateSpec(kind="lightning", num_heads=heads, head_dim=hd)
        raise SpecError(
            N_(
                "layer_types: linear_attention layers without Gated DeltaNet "
                "(linear_num_value_heads) or lightning-attention fields"
            )
        )
    # Mamba-1 or Mamba-2
    n_heads = _int(d, "mamba_num_heads", "mamba_n_heads", required=False)
    if model_type == "mamba2":
        n_heads = _int(d, "num_heads", required=False)
    expand = _get(d, "mamba_expand", "expand")
    d_state = _int(d, "ssm_state_size", "mamba_d_state", "state_size", "d_state", required=False)
    conv = _int(d, "conv_kernel", "mamba_d_conv", "d_conv", required=False, default=4)
    conv_bias = _bool(d, "use_conv_bias", _bool(d, "mamba_conv_bias", True))
    proj_bias = _bool(d, "mamba_proj_bias", _bool(d, "use_bias", False))
    if n_heads:  # Mamba-2 (Nemotron-H, Granite-4-H, Mamba2)
        head_dim = _int(d, "mamba_head_dim", "mamba_d_head", "head_dim")
        return StateSpec(
            kind="mamba2",
            intermediate_size=n_heads * head_dim,
            state_size=d_state or 128,
            conv_kernel=conv,
            n_groups=_int(d, "n_groups", "mamba_n_groups", required=False, default=1),
            num_heads=n_heads,
            head_dim=head_dim,
            conv_bias=conv_bias,
            proj_bias=proj_bias,
            ssm_state_dtype=ssm_dtype,
        )
    if expand is None:
        expand = 2
    if isinstance(expand, bool) or not isinstance(expand, int | float) or not 0 < expand <= 64:
        raise SpecError(
            Message(
                "mamba_expand: expected a number from 0 to 64, got {expand!r:.30}", expand=expand
            )
        )
    inner = _int(d, "mamba_intermediate_size", required=False) or int(expand * hidden)
    if model_type in ("mamba", "falcon_mamba") and _present(d, "intermediate_size"):
        inner = _int(d, "intermediate_size")
    rank = _get(d, "mamba_dt_rank", "time_step_rank", "dt_rank")
    if rank is None or rank == "auto":
        rank = math.ceil(hidden / 16)  # transformers MambaConfig/JambaConfig: ceil(h / 16)
    elif isinstance(rank, bool) or not isinstance(rank, int):
        raise SpecError(
            Message("mamba_dt_rank: expected an integer or 'auto', got {rank!r:.30}", rank=rank)
        )
    return StateSpec(
        kind="mamba",
        intermediate_size=inner,
        state_size=d_state or 16,
        conv_kernel=conv,
        dt_rank=rank,
        conv_bias=conv_bias,
        proj_bias=proj_bias,
        inner_norms=model_type == "jamba",
        ssm_state_dtype=ssm_dtype,
    )


def _layer_types(
    d: Mapping[str, Any], model_type: str, n: int
) -> tuple[tuple[str, ...] | None, int | None, int | None]:
    """(layer_types, sliding_window, attention_chunk_size) of attention-only models."""
    window = _get(d, "sliding_window")
    if window is not None:
        window = _int(d, "sliding_window")
    chunk = _get(d, "attention_chunk_size")
    raw = d.get("layer_types")
    if raw is not None:
        if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
            raise SpecError(N_("layer_types: expected a list of strings"))
        unsupported = sorted(
            set(raw) - {"full_attention", "sliding_attention", "chunked_attention"}
        )
        if unsupported:
            raise SpecError(
                Message(
                    "layer_types: unsupported layer type(s) {unsupported}", unsupported=unsupported
                )
            )
        types = tuple(raw)
        if "chunked_attention" in types:
            chunk = _int(d, "attention_chunk_size")
        return types, window if "sliding_attention" in types else None, chunk
    if model_type.startswith("gemma2") and window:
        return (
            tuple("sliding_attention" if i % 2 == 0 else "full_attention" for i in range(n)),
            window,
            None,
        )
    if model_type.startswith("gemma3") and window:
        pattern = _int(d, "sliding_window_pattern", required=False, default=6)
        if pattern <= 0:
            raise SpecError(N_("sliding_window_pattern: must be positive"))
        return (
            tuple(
                "full_attention" if (i + 1) % pattern == 0 else "sliding_attention"
                for i in range(n)
            ),
            window,
            None,
        )
    if model_type.startswith("llama4") and chunk:
        chunk = _int(d, "attention_chunk_size")
        rope = d.get("no_rope_layers")
        if isinstance(rope, list) and len(rope) == n:
            types = tuple("chunked_attention" if r else "full_attention" for r in rope)
        else:
            interval = _int(d, "no_rope_layer_interval", required=False, default=4)
            if interval <= 0:
                raise SpecError(
                    Message(
                        "no_rope_layer_interval: must be positive, got {interval}",
                        interval=interval,
                    )
                )
            types = tuple(
                "full_attention" if (i + 1) % interval == 0 else "chunked_attention"
                for i in range(n)
            )
        return types, None, chunk
    if d.get("use_sliding_window") is True and window:
        first = _int(d, "max_window_layers", required=False, default=0)
        return (
            tuple("sliding_attention" if i >= first else "full_attention" for i in range(n)),
            window,
            None,
        )
    if model_type in _ALL_LAYER_SLIDING and window:
        return ("sliding_attention",) * n, window, None
    return None, None, None


def _moe_layers(
    d: Mapping[str, Any], model_type: str, n: int, experts: int
) -> tuple[int, ...] | None:
    if not experts:
        return None
    explicit = d.get("moe_layers")
    if isinstance(explicit, list) and explicit and all(isinstance(i, int) for i in explicit):
        return tuple(explicit)
    if "first_k_dense_replace" in d or "moe_layer_freq" in d:
        k = _int(d, "first_k_dense_replace", required=False, default=0)
        freq = d.get("moe_layer_freq")
        if isinstance(freq, list):  # GLM-4.5 style list of 0/1 per layer
            if len(freq) != n:
                raise SpecError(
                    Message(
                        "moe_layer_freq: {n_freq} entries for {n} layers", n_freq=len(freq), n=n
                    )
                )
            return tuple(i for i in range(n) if i >= k and freq[i])
        step = _int(d, "moe_layer_freq", required=False, default=1) or 1
        return tuple(i for i in range(n) if i >= k and i % step == 0)
    if "decoder_sparse_step" in d or "mlp_only_layers" in d:
        step = _int(d, "decoder_sparse_step", required=False, default=1) or 1
        only = d.get("mlp_only_layers") or []
        if not isinstance(only, list):
            raise SpecError(N_("mlp_only_layers: expected a list"))
        return tuple(i for i in range(n) if i not in only and (i + 1) % step == 0)
    if "interleave_moe_layer_step" in d:
        step = _int(d, "interleave_moe_layer_step") or 1
        return tuple(i for i in range(n) if (i + 1) % step == 0)
    if "moe_layer_start_index" in d or "moe_layer_interval" in d:  # ERNIE-4.5
        start = _int(d, "moe_layer_start_index", required=False, default=0)
        step = _int(d, "moe_layer_interval", required=False, default=1) or 1
        end = _int(d, "moe_layer_end_index", required=False, default=n - 1)
        return tuple(i for i in range(n) if start <= i <= end and (i - start) % step == 0)
    return None


def _nas_blocks(
    d: Mapping[str, Any], n: int, heads: int, inter_default: int, hidden: int
) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...], tuple[str, ...]] | None:
    """Nemotron-NAS / DeciLM ``block_configs``: per-block KV heads, query heads, MLP widths.

    Each block: ``attention.n_heads_in_group`` (query heads per KV head; KV = heads / group),
    ``no_op`` / ``replace_with_linear`` attention, ``ffn.ffn_mult`` (width =
    ``find_multiple(int(2 × mult × h / 3), 256)``, transformers DeciLM ``_ffn_mult_to_intermediate_size``)
    or ``no_op`` FFN.
    """
    blocks = d.get("block_configs")
    if blocks is None:
        return None
    if not isinstance(blocks, list) or len(blocks) != n:
        raise SpecError(Message("block_configs: expected a list of {n} blocks", n=n))
    kv, q, mlp, types = [], [], [], []
    for i, b in enumerate(blocks):
        if not isinstance(b, Mapping):
            raise SpecError(Message("block_configs[{i}]: expected an object", i=i))
        a = b.get("attention") or {}
        f = b.get("ffn") or {}
        if not isinstance(a, Mapping) or not isinstance(f, Mapping):
            raise SpecError(Message("block_configs[{i}]: attention and ffn must be objects", i=i))
        if a.get("replace_with_linear") or f.get("replace_with_linear"):
            raise SpecError(
                Message(
                    "block_configs[{i}]: a block replaced with a linear layer is not modelled", i=i
                )
            )
        if a.get("no_op"):
            kv.append(0)
            q.append(0)
            types.append("none")
        else:
            group = _int(a, "n_heads_in_group")
            if group <= 0 or heads % group:
                raise SpecError(
                    Message(
                        "block_configs[{i}].attention.n_heads_in_group: {group} does not divide "
                        "{heads} heads",
                        i=i,
                        group=group,
                        heads=heads,
                    )
                )
            kv.append(heads // group)
            q.append(heads)
            types.append("full_attention")
        if f.get("no_op"):
            mlp.append(0)
        elif f.get("ffn_mult") is not None:
            mult = _float(f, "ffn_mult", 0.0, 0.0, 1000.0)
            width = int(2 * mult * hidden / 3)
            mlp.append(-(-width // 256) * 256)
        else:
            mlp.append(_int(f, "intermediate_size", required=False, default=inter_default))
    return tuple(kv), tuple(q), tuple(mlp), tuple(types)


# --- vision towers ---------------------------------------------------------------------------
def _vision(d: Mapping[str, Any], outer_type: str, text_hidden: int) -> VisionSpec | None:
    if outer_type == "phi3_v":
        return _phi3_vision(d, text_hidden)
    v = d.get("vision_config")
    if v is None:
        return None
    if not isinstance(v, Mapping):
        raise SpecError(N_("vision_config: expected an object"))
    kind = outer_type or str(v.get("model_type") or "")
    if kind.startswith("qwen2_vl"):
        return _qwen2_vl_vision(v, text_hidden)
    if (
        kind.startswith(("qwen2_5_vl", "qwen3_vl", "qwen3_5", "qwen3_omni"))
        or "out_hidden_size" in v
    ):
        return _qwen25_vision(v, text_hidden, qwen3=kind.startswith(("qwen3_vl", "qwen3_5")))
    if kind.startswith("glm4v"):
        return _glm4v_vision(v, text_hidden)
    vh = _int(v, "hidden_size")
    vi = _int(v, "intermediate_size")
    if vh <= 0 or vi <= 0:  # a negative width would divide into -inf further down
        raise SpecError(
            Message(
                "vision_config: hidden_size and intermediate_size must be positive, got {vh} "
                "and {vi}",
                vh=shown_value(vh),
                vi=shown_value(vi),
            )
        )
    if vh > MAX_DIM or vi > MAX_DIM:
        raise SpecError(
            Message("vision_config: hidden_size/intermediate_size over {max_dim}", max_dim=MAX_DIM)
        )
    if kind.startswith("mistral3") or kind.startswith("pixtral"):
        # Pixtral: SiLU-gated MLP, no biases, 2-D RoPE; projector = norm + patch merger + 2 linears.
        merge = _int(d, "spatial_merge_size", required=False, default=2)
        if not 0 < merge <= 64:
            raise SpecError(Message("spatial_merge_size: {merge} is outside 1..64", merge=merge))
        gated, bias, learned = True, False, False
        projector = vh + (vh * merge * merge) * vh + vh * text_hidden + text_hidden * text_hidden
    elif kind.startswith("llama4"):
        # Llama 4: GELU MLP with biases, learned positions; pixel-shuffle MLP + one projection.
        out_dim = _int(v, "vision_output_dim", required=False, default=vh)
        p_in = _int(v, "projector_input_dim", required=False, default=out_dim)
        p_out = _int(v, "projector_output_dim", required=False, default=out_dim)
        for name, val in (
            ("vision_output_dim", out_dim),
            ("projector_input_dim", p_in),
            ("projector_output_dim", p_out),
        ):
            if not 0 < val <= MAX_DIM:
                raise SpecError(
                    Message(
                        "vision_config.{name}: {val} is outside 1..{max_dim}",
                        name=name,
                        val=val,
                        max_dim=MAX_DIM,
                    )
                )
        # pixel_shuffle_ratio shrinks the patch grid (0.5 in Llama 4): 1/ratio^2 more channels.
        ratio = _float(v, "pixel_shuffle_ratio", 0.5, 1e-9, 1.0)
        if ratio < MIN_PIXEL_SHUFFLE_RATIO:
            raise SpecError(
                Message(
                    "vision_config.pixel_shuffle_ratio: {ratio:g} is below "
                    "{min_pixel_shuffle_ratio} (Llama 4 uses 0.5)",
                    ratio=ratio,
                    min_pixel_shuffle_ratio=MIN_PIXEL_SHUFFLE_RATIO,
                )
            )
        shuffled = round(vh / (ratio * ratio))
        gated, bias, learned = False, True, True
        projector = shuffled * p_in + p_in * p_out + out_dim * text_hidden
    else:
        # SigLIP-style encoder (Gemma 3 and most others): biases, GELU MLP, learned positions,
        # projected into the text model by one matrix plus a norm.
        gated, bias, learned = False, True, True
        projector = vh * text_hidden + vh
    return VisionSpec(
        hidden_size=vh,
        intermediate_size=vi,
        num_hidden_layers=_int(v, "num_hidden_layers", "depth", "num_layers"),
        patch_size=_int(v, "patch_size"),
        image_size=_int(v, "image_size", required=False),
        num_channels=_int(v, "num_channels", "in_channels", "in_chans", required=False, default=3),
        gated_mlp=gated,
        bias=bias,
        learned_position_embeddings=learned,
        projector_parameters=projector,
    )


MIN_PIXEL_SHUFFLE_RATIO: Final[float] = 0.01  # Llama 4 uses 0.5; below 0.01 no real tower


def _dims(v: Mapping[str, Any], *names: str) -> list[int]:
    out = []
    for n in names:
        x = _int(v, n)
        if not 0 < x <= MAX_DIM:
            raise SpecError(
                Message("vision_config.{n}: {x} is outside 1..{max_dim}", n=n, x=x, max_dim=MAX_DIM)
            )
        out.append(x)
    return out


def _qwen2_vl_vision(v: Mapping[str, Any], text_hidden: int) -> VisionSpec:
    """Qwen2-VL (transformers Qwen2VisionTransformerPretrainedModel): ``embed_dim`` wide,
    ``depth`` blocks, MLP ``embed_dim × mlp_ratio`` (GELU, biases), LayerNorms, 3-D patch conv
    without bias, rotary positions; merger LayerNorm + Linear(4e, 4e) + Linear(4e, hidden)."""
    # Qwen2VLVisionConfig defaults (transformers): depth 32, embed_dim 1280, mlp_ratio 4.
    e = _int(v, "embed_dim", required=False, default=1280)
    if not 0 < e <= MAX_DIM:
        raise SpecError(
            Message(
                "vision_config.embed_dim: {e} is outside 1..{max_dim}",
                e=e,
                max_dim=MAX_DIM,
            )
        )
    ratio = _float(v, "mlp_ratio", 4.0, 0.1, 64.0)
    merge = _int(v, "spatial_merge_size", required=False, default=2)
    out = _int(v, "hidden_size", required=False, default=text_hidden)
    m = e * merge * merge
    return VisionSpec(
        hidden_size=e,
        intermediate_size=int(e * ratio),
        num_hidden_layers=_int(v, "depth", required=False, default=32),
        patch_size=_int(v, "patch_size", "spatial_patch_size", required=False, default=14),
        image_size=0,
        num_channels=_int(v, "in_chans", "in_channels", required=False, default=3),
        temporal_patch_size=_int(v, "temporal_patch_size", required=False, default=2),
        gated_mlp=False,
        bias=True,
        patch_bias=False,
        learned_position_embeddings=False,
        post_norm=False,
        projector_parameters=2 * e + m * m + m + m * out + out,
    )


def _qwen25_vision(v: Mapping[str, Any], text_hidden: int, qwen3: bool) -> VisionSpec:
    """Qwen2.5-VL: RMSNorms, SiLU-gated MLP with biases, patch conv without bias; merger
    RMSNorm + Linear(4h, 4h) + Linear(4h, out). Qwen3-VL: LayerNorms, GELU MLP with biases, patch
    conv with bias, learned positions (``num_position_embeddings``), and one merger per
    ``deepstack_visual_indexes`` entry besides the final one (transformers modeling_qwen3_vl)."""
    h, i = _dims(v, "hidden_size", "intermediate_size")
    merge = _int(v, "spatial_merge_size", required=False, default=2)
    out = _int(v, "out_hidden_size", required=False, default=text_hidden)
    m = h * merge * merge
    mlp = m * m + m + m * out + out
    if not qwen3:
        projector = h + mlp
        return VisionSpec(
            hidden_size=h,
            intermediate_size=i,
            num_hidden_layers=_int(v, "depth", "num_hidden_layers"),
            patch_size=_int(v, "patch_size", required=False, default=14),
            image_size=0,
            num_channels=_int(v, "in_channels", "in_chans", required=False, default=3),
            temporal_patch_size=_int(v, "temporal_patch_size", required=False, default=2),
            gated_mlp=True,
            bias=True,
            patch_bias=False,
            norm_bias=False,
            learned_position_embeddings=False,
            post_norm=False,
            projector_parameters=projector,
        )
    deep = v.get("deepstack_visual_indexes") or []
    if not isinstance(deep, list):
        raise SpecError("vision_config.deepstack_visual_indexes: expected a list")
    projector = 2 * h + mlp + len(deep) * (2 * m + mlp)
    return VisionSpec(
        hidden_size=h,
        intermediate_size=i,
        num_hidden_layers=_int(v, "depth", "num_hidden_layers"),
        patch_size=_int(v, "patch_size", required=False, default=16),
        image_size=0,
        num_channels=_int(v, "in_channels", "in_chans", required=False, default=3),
        temporal_patch_size=_int(v, "temporal_patch_size", required=False, default=2),
        gated_mlp=False,
        bias=True,
        patch_bias=True,
        learned_position_embeddings=True,
        num_position_embeddings=_int(v, "num_position_embeddings", required=False, default=2304),
        post_norm=False,
        projector_parameters=projector,
    )


def _glm4v_vision(v: Mapping[str, Any], text_hidden: int) -> VisionSpec:
    """GLM-4.1V / GLM-4.5V (transformers Glm4vVisionModel): RMSNorms, SiLU-gated MLP of
    ``out_hidden_size`` without biases, 3-D patch conv with bias, learned positions
    (``(image_size / patch_size)^2``), post-conv and post norms, a strided conv downsample to
    ``out_hidden_size`` and a gated merger of ``intermediate_size``."""
    h, i = _dims(v, "hidden_size", "intermediate_size")
    out = _int(v, "out_hidden_size", required=False, default=text_hidden)
    merge = _int(v, "spatial_merge_size", required=False, default=2)
    downsample = h * merge * merge * out + out
    merger = out * out + 2 * out + 3 * out * i
    return VisionSpec(
        hidden_size=h,
        intermediate_size=out,
        num_hidden_layers=_int(v, "depth", "num_hidden_layers"),
        patch_size=_int(v, "patch_size", required=False, default=14),
        image_size=_int(v, "image_size", required=False, default=336),
        num_channels=_int(v, "in_channels", "in_chans", required=False, default=3),
        temporal_patch_size=_int(v, "temporal_patch_size", required=False, default=2),
        gated_mlp=True,
        bias=False,
        patch_bias=True,
        norm_bias=False,
        learned_position_embeddings=True,
        post_norm=True,
        projector_parameters=h + downsample + merger + 3 * h * h,  # + qkv bias-free attention
    )


# CLIP ViT-L/14 at 336 px, the tower Phi-3-vision names in img_processor (openai/clip-vit-large-
# patch14-336 config.json: hidden 1024, intermediate 4096, 24 layers, patch 14, image 336).
_CLIP_L14_336: Final[tuple[int, int, int, int, int]] = (1024, 4096, 24, 14, 336)


def _phi3_vision(d: Mapping[str, Any], text_hidden: int) -> VisionSpec:
    """Phi-3/3.5-vision: a CLIP ViT-L/14-336 named in ``img_processor`` and an MLP projector
    from 4 × image_dim_out (the HD transform merges 2×2 crops) to the text model, plus the
    glb_GN/sub_GN separators (transformers-remote image_embedding_phi3_v)."""
    proc = d.get("img_processor")
    if not isinstance(proc, Mapping):
        raise SpecError(N_("img_processor: expected an object naming the vision tower"))
    name = str(proc.get("model_name") or proc.get("name") or "")
    if "clip" not in name:
        raise SpecError(
            Message(
                "img_processor: vision tower {name!r} is not modelled (CLIP only)", name=name[:60]
            )
        )
    h, i, layers, patch, image = _CLIP_L14_336
    dim_out = _int(proc, "image_dim_out", required=False, default=h)
    # CLIP also has a class embedding and a pre-LayerNorm; positions = patches + 1 (class token).
    clip_extra = h + 2 * h
    projector = (4 * dim_out) * text_hidden + text_hidden + text_hidden * text_hidden + text_hidden
    separators = 2 * 4 * dim_out
    return VisionSpec(
        hidden_size=h,
        intermediate_size=i,
        num_hidden_layers=layers,
        patch_size=patch,
        image_size=image,
        gated_mlp=False,
        bias=True,
        patch_bias=False,
        learned_position_embeddings=True,
        num_position_embeddings=(image // patch) ** 2 + 1,
        projector_parameters=projector + separators + clip_extra,
    )


# --- the reader ------------------------------------------------------------------------------
# Pure state-space models (every layer a Mamba mixer, no attention, no MLP).
_PURE_SSM: Final[frozenset[str]] = frozenset({"mamba", "mamba2", "falcon_mamba"})
_16BIT_NOTE: Final[str] = N_(
    "config.json says torch_dtype float32: engines serve float32 checkpoints in 16 bit by default "
    "(vLLM/SGLang dtype auto casts float32 to bfloat16/float16), so KV, state and activations "
    "are sized at 2 bytes"
)


# Legacy model_type spellings and the family transformers maps them to (Falcon's custom-code
# configs: RefinedWeb = the 40B new decoder architecture, RefinedWebModel = the 7B one).
TYPE_ALIASES: Final[dict[str, str]] = {"RefinedWeb": "falcon", "RefinedWebModel": "falcon"}


def _new_decoder(d: Mapping[str, Any]) -> bool:
    return _bool(d, "new_decoder_architecture", d.get("model_type") == "RefinedWeb")


def _kv_heads(d: Mapping[str, Any], model_type: str, fam: Family, heads: int) -> int:
    """KV heads from whichever spelling the family uses (GQA, MQA flags, ChatGLM groups)."""
    if model_type == "falcon":  # FalconConfig: new_decoder_architecture / multi_query
        if _new_decoder(d):
            return _int(d, "num_kv_heads", "n_head_kv", required=False, default=heads)
        return 1 if _bool(d, "multi_query", True) else heads
    if _present(d, "num_key_value_heads"):
        return _int(d, "num_key_value_heads")
    if _bool(d, "multi_query_attention", False):  # ChatGLM
        return _int(d, "multi_query_group_num")
    if _bool(d, "multi_query", fam.multi_query):  # GPT-BigCode, old Falcon
        return 1
    return heads


def _attention_bias(d: Mapping[str, Any], model_type: str, fam: Family) -> bool:
    v = _get(d, "attention_bias", "add_qkv_bias", "qkv_bias", "use_qkv_bias")
    if v is None and model_type == "falcon":
        v = d.get("bias")
    if v is None and model_type == "starcoder2":
        v = d.get("use_bias")
    if v is None:
        return fam.attention_bias or model_type in _QKV_BIAS
    if not isinstance(v, bool):
        raise SpecError(Message("attention_bias: expected true or false, got {v!r:.40}", v=v))
    return v


def _mlp_bias(d: Mapping[str, Any], model_type: str, fam: Family) -> bool:
    v = d.get("mlp_bias")
    if v is None and model_type == "falcon":
        v = d.get("bias")
    if v is None and model_type == "starcoder2":
        v = d.get("use_bias")
    if v is None:
        return fam.mlp_bias
    if not isinstance(v, bool):
        raise SpecError(Message("mlp_bias: expected true or false, got {v!r:.40}", v=v))
    return v


def _norms(d: Mapping[str, Any], model_type: str, fam: Family) -> int | None:
    if model_type == "falcon":
        if _new_decoder(d):
            return _int(d, "num_ln_in_parallel_attn", required=False, default=2) or 2
        return 1 if _bool(d, "parallel_attn", True) else 2
    if model_type == "nemotron_h":
        return 1  # one norm per single-mixer block
    return fam.norms


def model_from_config(
    raw: Mapping[str, Any], name: str | None = None, *, fallback_name: str | None = None
) -> ModelSpec:
    """A :class:`ModelSpec` from a parsed config.json; SpecError names any bad field.

    ``name`` (a Hub id or a preset's name) wins; else the config's ``_name_or_path``; else
    ``fallback_name`` (e.g. the folder the file came from); else the model_type.
    """
    d = _flatten(raw)
    model_type = _str(d, "model_type", "custom")
    model_type = TYPE_ALIASES.get(model_type, model_type)
    outer_type = str(d.get("_outer_model_type") or model_type)
    for t in (model_type, outer_type):
        if t in REFUSED:
            raise SpecError(Message("model_type {t!r}: {reason}", t=t, reason=Message(REFUSED[t])))
    notes: list[str] = []
    warnings: list[str] = []
    fam = FAMILIES.get(model_type) or FAMILIES.get(outer_type)
    if fam is None:
        warnings.append(
            Message(
                "model_type {model_type!r} is not a family the planner has verified: read as a "
                "Llama-style decoder (gated MLP, RMSNorm, lm_head untied unless the config "
                "ties it); the architecture and parameter count are unverified",
                model_type=model_type[:40],
            )
        )
        fam = _DEC
    n = _int(d, "num_hidden_layers")
    if n <= 0:
        raise SpecError(Message("num_hidden_layers: must be positive, got {n}", n=n))
    if n > 10_000:
        raise SpecError(Message("num_hidden_layers: {n} is over 10000", n=n))
    hidden = _int(d, "hidden_size")
    pure_ssm = model_type in _PURE_SSM
    if pure_ssm:
        heads, kv_heads, head_dim = 1, 1, None
    else:
        heads = _int(d, "num_attention_heads")
        kv_heads = _kv_heads(d, model_type, fam, heads)
        head_dim = _int(d, "head_dim") if _present(d, "head_dim") else None

    # Token mixers: attention patterns, or a hybrid of attention and state layers.
    hybrid = None if pure_ssm else _hybrid(d, model_type, n)
    state: StateSpec | None = None
    mlp_present: tuple[bool, ...] | None = None
    hybrid_moe: tuple[int, ...] | None = None
    window: int | None = None
    chunk: int | None = None
    if pure_ssm:
        layer_types: tuple[str, ...] | None = ("mamba",) * n
        state = _state(d, model_type, hidden, {"mamba"})
    elif hybrid is not None:
        layer_types, hybrid_moe, mlp_present = hybrid
        state_kinds = {t for t in layer_types if t in ("mamba", "linear_attention")}
        if state_kinds:
            state = _state(d, model_type, hidden, state_kinds)
        if "sliding_attention" in layer_types:
            window = _int(d, "sliding_window")
    else:
        layer_types, window, chunk = _layer_types(d, model_type, n)

    # MLP and experts.
    experts = _int(d, "num_experts", required=False)
    if model_type == "jamba" and experts <= 1:
        experts = 0
    if _present(d, "intermediate_size") and not pure_ssm:
        inter = _int(d, "intermediate_size")
    elif model_type == "mpt":
        ratio = _float(d, "expansion_ratio", 4.0, 0.01, 1000.0)
        inter = int(ratio * hidden)
    elif fam.inner_multiple:
        inter = fam.inner_multiple * hidden  # transformers: n_inner None -> 4 x hidden
    elif experts or pure_ssm or "block_configs" in d or model_type == "granitemoehybrid":
        inter = 0
    else:
        raise SpecError(N_("intermediate_size: missing from config.json"))
    moe_inter = _int(d, "moe_intermediate_size", required=False)
    shared_inter = _int(
        d, "shared_expert_intermediate_size", "moe_shared_expert_intermediate_size", required=False
    )
    n_shared = _int(d, "n_shared_experts", "num_shared_experts", required=False)
    if model_type == "nemotron_h" and shared_inter:
        shared_inter *= max(1, n_shared)  # NemotronH: n_shared_experts of that width, fused
        n_shared = 0
    if model_type in ("granitemoehybrid", "granitemoeshared") and _present(
        d, "shared_intermediate_size"
    ):
        shared = _int(d, "shared_intermediate_size")
        if experts:
            shared_inter = shared  # a shared MLP beside the experts in every layer
        else:
            inter = shared
    if experts and not moe_inter:
        # Mixtral-style families (Mixtral, Jamba, MiniMax, DBRX ffn_config, Granite-MoE) size
        # their experts by intermediate_size.
        moe_inter = inter
        if model_type.startswith("llama4"):
            shared_inter = inter  # one shared expert of the experts' size
            inter = _int(d, "intermediate_size_mlp", required=False, default=inter)
    moe_layers = hybrid_moe if hybrid_moe is not None else _moe_layers(d, model_type, n, experts)
    if hybrid_moe is not None and not hybrid_moe:
        experts = 0
        moe_layers = None

    # Per-block shapes.
    layer_kv = layer_q = layer_inter = None
    nas = _nas_blocks(d, n, heads, inter, hidden) if not pure_ssm else None
    if nas is not None:
        layer_kv, layer_q, layer_inter, layer_types = nas
        active_kv = [k for k in layer_kv if k]
        kv_heads = max(active_kv) if active_kv else heads
        while heads % kv_heads:
            kv_heads += 1
        inter = max(layer_inter) if any(layer_inter) else inter
    if mlp_present is not None:
        layer_inter = tuple(inter if present else 0 for present in mlp_present)

    # Indexer (DeepSeek-V3.2 sparse attention).
    indexer = None
    if _present(d, "index_n_heads"):
        indexer = IndexerSpec(
            num_heads=_int(d, "index_n_heads"),
            head_dim=_int(d, "index_head_dim"),
            topk=_int(d, "index_topk", required=False),
        )

    dtype = _str(d, "torch_dtype", _str(d, "dtype", "bfloat16"))
    if dtype.lower() in ("float32", "fp32"):
        dtype = "bfloat16"
        notes.append(_16BIT_NOTE)
    quant = d.get("quantization_config")
    if isinstance(quant, Mapping) and isinstance(quant.get("quant_method"), str):
        notes.append(
            Message(
                "checkpoint quantization_config: {quant_method}",
                quant_method=quant["quant_method"][:40],
            )
        )
    if state is not None:
        kinds = {
            "mamba": "Mamba",
            "mamba2": "Mamba-2",
            "gated_deltanet": "Gated DeltaNet",
            "lightning": "lightning attention",
        }
        n_state = sum(1 for t in layer_types or () if t in ("mamba", "linear_attention"))
        notes.append(
            Message(
                "{n_state} of {n} layers are {kinds} layers: a constant state per request, no "
                "per-token KV",
                n_state=n_state,
                n=n,
                kinds=kinds[state.kind],
            )
        )
    mtp = _int(d, "num_nextn_predict_layers", "mtp_num_hidden_layers", required=False)
    if mtp > 0:
        notes.append(
            Message(
                "{mtp} multi-token-prediction layer(s) in the checkpoint are not counted: "
                "engines load them only for speculative decoding (the official count may "
                "include them)",
                mtp=mtp,
            )
        )
    tie = _bool(d, "tie_word_embeddings", fam.tie)
    positions = 0
    max_pos = _int(d, "max_position_embeddings", required=False, default=8192)
    if fam.learned_positions:
        positions = max_pos + fam.position_offset
    try:
        return ModelSpec(
            num_hidden_layers=n,
            hidden_size=hidden,
            num_attention_heads=heads,
            num_key_value_heads=kv_heads,
            head_dim=head_dim,
            intermediate_size=inter,
            vocab_size=_int(d, "vocab_size"),
            tie_word_embeddings=tie,
            max_position_embeddings=max_pos,
            torch_dtype=dtype,
            attention_bias=_attention_bias(d, model_type, fam),
            mlp_gated=fam.gated if model_type != "nemotron_h" else False,
            model_type=model_type,
            name=name or _name_from_path(d) or fallback_name or model_type,
            num_experts=experts,
            num_experts_per_tok=_int(d, "num_experts_per_tok", required=False),
            moe_intermediate_size=moe_inter,
            n_shared_experts=n_shared,
            shared_expert_intermediate_size=shared_inter,
            moe_layers=moe_layers,
            expert_bias=model_type == "gpt_oss",
            kv_lora_rank=_int(d, "kv_lora_rank", required=False),
            q_lora_rank=_int(d, "q_lora_rank", required=False),
            qk_rope_head_dim=_int(d, "qk_rope_head_dim", required=False),
            qk_nope_head_dim=_int(d, "qk_nope_head_dim", required=False),
            v_head_dim=_int(d, "v_head_dim", required=False),
            sliding_window=window,
            attention_chunk_size=chunk,
            layer_types=layer_types,
            vision=_vision(d, outer_type, hidden),
            extra_notes=tuple(notes),
            warnings=tuple(warnings),
            mlp_bias=_mlp_bias(d, model_type, fam),
            norm_bias=fam.norm_bias,
            norms_per_layer=_norms(d, model_type, fam),
            learned_positions=positions,
            qk_norm=_bool(d, "use_qk_norm", fam.qk_norm),
            attention_gate=_bool(d, "attn_output_gate", fam.attention_gate),
            layer_kv_heads=layer_kv,
            layer_heads=layer_q,
            layer_intermediate=layer_inter,
            state=state,
            indexer=indexer,
        )
    except TypeError as e:  # a field of the wrong type reached the dataclass
        raise SpecError(Message("config.json: {e}", e=e)) from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise SpecError(
                Message("config.json: duplicate key {k!r} (a JSON object names it twice)", k=k[:60])
            )
        out[k] = v
    return out


def _parse_int(text: str) -> int:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        raise SpecError(
            Message(
                "config.json: an integer of {digits:,} digits is over the "
                "{max_int_digits:,}-digit limit (no real config field is that long)",
                digits=digits,
                max_int_digits=MAX_INT_DIGITS,
            )
        )
    return int(text)


def _constant(token: str) -> float:
    # NaN / Infinity / -Infinity are kept as floats: a field the planner reads refuses them by
    # name (`_int`, `_float`), a field it never reads is ignored.
    return float(token)


def parse_config_json(
    text: str | bytes, name: str | None = None, *, fallback_name: str | None = None
) -> ModelSpec:
    """Parse config.json text into a :class:`ModelSpec`, with size and syntax checks."""
    if len(text) > MAX_CONFIG_BYTES:
        raise SpecError(
            Message(
                "config.json: {v1:,} bytes is over the {MAX_CONFIG_BYTES:,}-byte limit",
                v1=len(text),
                MAX_CONFIG_BYTES=MAX_CONFIG_BYTES,
            )
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise SpecError(
                Message(
                    "config.json: not UTF-8 text ({reason} at byte {start})",
                    reason=e.reason,
                    start=e.start,
                )
            ) from None
    try:
        raw = json.loads(
            text, object_pairs_hook=_no_duplicates, parse_int=_parse_int, parse_constant=_constant
        )
    except json.JSONDecodeError as e:
        raise SpecError(
            Message(
                "config.json: not valid JSON ({msg} at line {lineno} column {colno})",
                msg=Message(e.msg) if e.msg in JSON_DECODER_MESSAGES else e.msg,
                lineno=e.lineno,
                colno=e.colno,
            )
        ) from None
    except RecursionError:
        raise SpecError(N_("config.json: nested too deeply")) from None
    return model_from_config(raw, name, fallback_name=fallback_name)
