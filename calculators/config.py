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
from typing import Any, Final

from calculators.messages import N_, Message
from calculators.spec import ModelSpec, SpecError, VisionSpec

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

# Model types whose configs carry a `sliding_window` that the model applies to every layer.
_ALL_LAYER_SLIDING: Final[frozenset[str]] = frozenset({"mistral", "mixtral"})
# Model types that always have q/k/v biases (their configs have no attention_bias key).
_QKV_BIAS: Final[frozenset[str]] = frozenset({"qwen2", "qwen2_moe", "qwen2_vl", "qwen2_5_vl"})
# Model types whose MLP is not gated (two matrices, not three).
_UNGATED_MLP: Final[frozenset[str]] = frozenset(
    {"gpt2", "gpt_neox", "phi", "starcoder2", "opt", "falcon"}
)
# Model types whose experts use `intermediate_size` (no separate moe_intermediate_size).
_EXPERTS_USE_INTERMEDIATE: Final[frozenset[str]] = frozenset(
    {"mixtral", "gpt_oss", "llama4", "llama4_text", "phimoe", "granitemoe"}
)
MAX_CONFIG_BYTES: Final[int] = 1_000_000  # a config.json is a few KiB; 1 MB bounds the parse


def _get(d: Mapping[str, Any], *names: str) -> Any:
    for n in names:
        if n in d and d[n] is not None:
            return d[n]
    return None


def _int(
    d: Mapping[str, Any], name: str, *aliases: str, required: bool = True, default: int = 0
) -> int:
    v = _get(d, name, *aliases)
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


def _flatten(raw: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise SpecError(
            Message("config.json: expected a JSON object, got {type}", type=type(raw).__name__)
        )
    d = dict(raw)
    text = d.get("text_config")
    if text is not None:
        if not isinstance(text, Mapping):
            raise SpecError(N_("text_config: expected an object"))
        outer_type = d.get("model_type")
        merged = {k: v for k, v in d.items() if k not in ("text_config",)}
        merged.update({k: v for k, v in text.items() if v is not None})
        merged["_outer_model_type"] = outer_type
        if "torch_dtype" not in text and "torch_dtype" in d:
            merged["torch_dtype"] = d["torch_dtype"]
        d = merged
    return d


def _layer_types(
    d: Mapping[str, Any], model_type: str, n: int
) -> tuple[tuple[str, ...] | None, int | None, int | None]:
    """(layer_types, sliding_window, attention_chunk_size)."""
    window = _get(d, "sliding_window")
    if window is not None:
        window = _int(d, "sliding_window")
    chunk = _get(d, "attention_chunk_size")
    raw = d.get("layer_types")
    if raw is not None:
        if not isinstance(raw, list) or not all(isinstance(t, str) for t in raw):
            raise SpecError(N_("layer_types: expected a list of strings"))
        unsupported = sorted(
            {t for t in raw} - {"full_attention", "sliding_attention", "chunked_attention"}
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
        freq = _int(d, "moe_layer_freq", required=False, default=1) or 1
        return tuple(i for i in range(n) if i >= k and i % freq == 0)
    if "decoder_sparse_step" in d or "mlp_only_layers" in d:
        step = _int(d, "decoder_sparse_step", required=False, default=1) or 1
        only = d.get("mlp_only_layers") or []
        if not isinstance(only, list):
            raise SpecError(N_("mlp_only_layers: expected a list"))
        return tuple(i for i in range(n) if i not in only and (i + 1) % step == 0)
    if "interleave_moe_layer_step" in d:
        step = _int(d, "interleave_moe_layer_step") or 1
        return tuple(i for i in range(n) if (i + 1) % step == 0)
    return None


def _vision(d: Mapping[str, Any], outer_type: str, text_hidden: int) -> VisionSpec | None:
    v = d.get("vision_config")
    if v is None:
        return None
    if not isinstance(v, Mapping):
        raise SpecError(N_("vision_config: expected an object"))
    vh = _int(v, "hidden_size")
    vi = _int(v, "intermediate_size")
    kind = outer_type or str(v.get("model_type") or "")
    if kind.startswith("mistral3") or kind.startswith("pixtral"):
        # Pixtral: SiLU-gated MLP, no biases, 2-D RoPE; projector = norm + patch merger + 2 linears.
        merge = _int(d, "spatial_merge_size", required=False, default=2)
        gated, bias, learned = True, False, False
        projector = vh + (vh * merge * merge) * vh + vh * text_hidden + text_hidden * text_hidden
    elif kind.startswith("llama4"):
        # Llama 4: GELU MLP with biases, learned positions; pixel-shuffle MLP + one projection.
        out_dim = _int(v, "vision_output_dim", required=False, default=vh)
        p_in = _int(v, "projector_input_dim", required=False, default=out_dim)
        p_out = _int(v, "projector_output_dim", required=False, default=out_dim)
        ratio = v.get("pixel_shuffle_ratio") or 0.5
        shuffled = (
            round(vh / (ratio * ratio)) if isinstance(ratio, int | float) and ratio > 0 else vh * 4
        )
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
        num_hidden_layers=_int(v, "num_hidden_layers"),
        patch_size=_int(v, "patch_size"),
        image_size=_int(v, "image_size", required=False),
        num_channels=_int(v, "num_channels", required=False, default=3),
        gated_mlp=gated,
        bias=bias,
        learned_position_embeddings=learned,
        projector_parameters=projector,
    )


def model_from_config(raw: Mapping[str, Any], name: str | None = None) -> ModelSpec:
    """A :class:`ModelSpec` from a parsed config.json; SpecError names any bad field."""
    d = _flatten(raw)
    model_type = _str(d, "model_type", "custom")
    outer_type = str(d.get("_outer_model_type") or model_type)
    n = _int(d, "num_hidden_layers", "n_layer", "num_layers")
    if n <= 0:
        raise SpecError(Message("num_hidden_layers: must be positive, got {n}", n=n))
    hidden = _int(d, "hidden_size", "n_embd", "d_model")
    heads = _int(d, "num_attention_heads", "n_head")
    kv_heads = _int(d, "num_key_value_heads", required=False, default=heads)
    head_dim = _get(d, "head_dim")
    head_dim = _int(d, "head_dim") if head_dim is not None else None
    experts = _int(d, "num_experts", "num_local_experts", "n_routed_experts", required=False)
    inter = _int(d, "intermediate_size", "n_inner", "ffn_dim", required=experts == 0)
    moe_inter = _int(d, "moe_intermediate_size", required=False)
    shared_inter = _int(d, "shared_expert_intermediate_size", required=False)
    if experts and not moe_inter and model_type in _EXPERTS_USE_INTERMEDIATE:
        moe_inter = inter
        if model_type.startswith("llama4"):
            shared_inter = inter  # one shared expert of the experts' size
            inter = _int(d, "intermediate_size_mlp", required=False, default=inter)
    layer_types, window, chunk = _layer_types(d, model_type, n)
    dtype = _str(d, "torch_dtype", _str(d, "dtype", "bfloat16"))
    quant = d.get("quantization_config")
    attention_bias = _bool(d, "attention_bias", model_type in _QKV_BIAS)
    try:
        return ModelSpec(
            num_hidden_layers=n,
            hidden_size=hidden,
            num_attention_heads=heads,
            num_key_value_heads=kv_heads,
            head_dim=head_dim,
            intermediate_size=inter,
            vocab_size=_int(d, "vocab_size"),
            tie_word_embeddings=_bool(d, "tie_word_embeddings", False),
            max_position_embeddings=_int(
                d, "max_position_embeddings", "n_positions", required=False, default=8192
            ),
            torch_dtype=dtype,
            attention_bias=attention_bias,
            mlp_gated=model_type not in _UNGATED_MLP,
            model_type=model_type,
            name=name or _str(d, "_name_or_path", model_type),
            num_experts=experts,
            num_experts_per_tok=_int(
                d,
                "num_experts_per_tok",
                "experts_per_token",
                "num_experts_per_token",
                required=False,
            ),
            moe_intermediate_size=moe_inter,
            n_shared_experts=_int(d, "n_shared_experts", required=False),
            shared_expert_intermediate_size=shared_inter,
            moe_layers=_moe_layers(d, model_type, n, experts),
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
            extra_notes=(f"checkpoint quantization_config: {quant.get('quant_method')}",)
            if isinstance(quant, Mapping) and quant.get("quant_method")
            else (),
        )
    except TypeError as e:  # a field of the wrong type reached the dataclass
        raise SpecError(Message("config.json: {e}", e=e)) from None


def parse_config_json(text: str | bytes, name: str | None = None) -> ModelSpec:
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
        raw = json.loads(text, parse_constant=_reject_constant)
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
    return model_from_config(raw, name)


def _reject_constant(token: str) -> float:
    raise SpecError(Message("config.json: {token} is not a valid number", token=token))
