"""Frozen specifications the calculators take: a model, a workload, a deployment, a GPU.

Field names follow Hugging Face ``config.json`` (transformers), so a spec can be checked against a
model card by eye. Aliases used by some model families are normalised when a config is read
(``calculators.config``): ``num_local_experts`` / ``n_routed_experts`` become ``num_experts``, the
per-layer MoE pattern becomes ``moe_layers``, and the sliding-window pattern becomes ``layer_types``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

from calculators.messages import N_, Message

LayerType = Literal[
    "full_attention", "sliding_attention", "chunked_attention", "mamba", "linear_attention", "none"
]
# Layers whose attention keeps per-token keys and values (the KV cache).
ATTENTION_LAYER_TYPES: Final[tuple[str, ...]] = (
    "full_attention",
    "sliding_attention",
    "chunked_attention",
)
# Layers that keep a constant state per request instead (Mamba / linear attention), and layers
# with no token mixer at all (Nemotron-H MLP-only layers, Nemotron-NAS no-op attention).
STATE_LAYER_TYPES: Final[tuple[str, ...]] = ("mamba", "linear_attention")
LAYER_TYPES: Final[tuple[str, ...]] = (*ATTENTION_LAYER_TYPES, *STATE_LAYER_TYPES, "none")
STATE_KINDS: Final[tuple[str, ...]] = ("mamba", "mamba2", "gated_deltanet", "lightning")


class SpecError(ValueError):
    """An invalid specification; the message names the field and the problem."""


def shown_value(value: object) -> str:
    """A value for a message: short, and safe for integers of any size (str() of one over 4,300
    digits raises, and float() of one over ~10^308 overflows)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**12:
        if value.bit_length() > 1000:
            return Message(
                "an integer of about {digits:,} digits", digits=int(value.bit_length() * 0.30103)
            )
        return f"{value:.3e}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise SpecError(
            Message(
                "{name}: must be a positive integer, got {value}",
                name=name,
                value=shown_value(value),
            )
        )


def _non_negative(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SpecError(
            Message(
                "{name}: must be a non-negative integer, got {value}",
                name=name,
                value=shown_value(value),
            )
        )


# Upper bounds that reject absurd input before it reaches the arithmetic (no real model is close).
MAX_LAYERS: Final[int] = 10_000
MAX_DIM: Final[int] = 1_000_000
MAX_VOCAB: Final[int] = 10_000_000
MAX_EXPERTS: Final[int] = 100_000
MAX_CONTEXT: Final[int] = 100_000_000
MAX_CONCURRENCY: Final[int] = 10_000_000
MAX_PARAMETERS: Final[int] = 1_000_000_000_000_000  # 10^15
MAX_IMAGE_SIZE: Final[int] = 1_000_000  # pixels per side of a vision encoder's input
MAX_CHANNELS: Final[int] = 1024
# No memory figure per GPU may exceed this (1 EiB = 2^60 bytes, ~10^7 times today's largest GPU):
# past it a configuration is refused, and every later product stays far inside NumPy's int64.
MAX_BYTES: Final[int] = 2**60


@dataclass(frozen=True)
class VisionSpec:
    """A vision encoder loaded beside the language model (multimodal checkpoints).

    Only its parameter count matters for memory: it is resident (vLLM loads it, see
    ``vision_config`` in the checkpoint) but holds no KV cache.
    """

    hidden_size: int
    intermediate_size: int
    num_hidden_layers: int
    patch_size: int
    image_size: int
    num_channels: int = 3
    gated_mlp: bool = False  # Pixtral / Llama-4 style SiLU-gated MLP (3 matrices) vs GELU MLP (2)
    bias: bool = True  # SigLIP has biases on every projection; Pixtral has none
    learned_position_embeddings: bool = True  # SigLIP: learned table; Pixtral: 2-D RoPE
    projector_parameters: int = 0  # the multimodal projector into the text model
    temporal_patch_size: int = 1  # Qwen-VL / GLM-V: 3-D patches over 2 video frames
    patch_bias: bool | None = None  # None: as ``bias``
    norm_bias: bool | None = None  # LayerNorm with bias (2 vectors) vs RMSNorm (1); None: ``bias``
    num_position_embeddings: int | None = None  # learned table rows; None: (image / patch)^2
    post_norm: bool = True  # a norm after the last block (SigLIP post_layernorm)

    def __post_init__(self) -> None:
        for name in (
            "hidden_size",
            "intermediate_size",
            "num_hidden_layers",
            "patch_size",
            "temporal_patch_size",
        ):
            _positive(f"vision_config.{name}", getattr(self, name))
        for name in ("image_size", "num_channels", "projector_parameters"):
            _non_negative(f"vision_config.{name}", getattr(self, name))
        for name in ("gated_mlp", "bias", "learned_position_embeddings", "post_norm"):
            if not isinstance(getattr(self, name), bool):
                raise SpecError(Message("vision_config.{name}: expected true or false", name=name))
        for name, limit in (
            ("hidden_size", MAX_DIM),
            ("intermediate_size", MAX_DIM),
            ("num_hidden_layers", MAX_LAYERS),
            ("patch_size", MAX_IMAGE_SIZE),
            ("image_size", MAX_IMAGE_SIZE),
            ("num_channels", MAX_CHANNELS),
            ("temporal_patch_size", MAX_CHANNELS),
            ("projector_parameters", MAX_PARAMETERS),
        ):
            if getattr(self, name) > limit:
                raise SpecError(
                    Message(
                        "vision_config.{name}: {value} is over {limit}",
                        name=name,
                        value=getattr(self, name),
                        limit=limit,
                    )
                )
        if self.num_position_embeddings is not None:
            _non_negative("vision_config.num_position_embeddings", self.num_position_embeddings)
            if self.num_position_embeddings > MAX_VOCAB:
                raise SpecError(
                    Message(
                        "vision_config.num_position_embeddings: {num_position_embeddings} is over "
                        "{max_vocab}",
                        num_position_embeddings=self.num_position_embeddings,
                        max_vocab=MAX_VOCAB,
                    )
                )
        elif (self.image_size // self.patch_size) ** 2 > MAX_VOCAB:
            raise SpecError(
                Message(
                    "vision_config.image_size: {image_size} / patch_size {patch_size} gives over "
                    "{max_vocab} positions",
                    image_size=self.image_size,
                    patch_size=self.patch_size,
                    max_vocab=MAX_VOCAB,
                )
            )


@dataclass(frozen=True)
class StateSpec:
    """The layers that keep a constant state per request instead of per-token keys and values.

    ``kind`` names the mixer: ``mamba`` (Mamba-1: Jamba, Falcon-Mamba), ``mamba2`` (Mamba-2:
    Nemotron-H, Granite-4-H, Zamba2), ``gated_deltanet`` (Qwen3-Next, Qwen3.5 linear attention),
    ``lightning`` (MiniMax-01 lightning attention). Field meanings follow vLLM's
    ``MambaStateShapeCalculator`` (vllm/model_executor/layers/mamba/mamba_utils.py):
    mamba: ``intermediate_size`` (d_inner), ``state_size`` (d_state), ``conv_kernel``,
    ``dt_rank``; mamba2: also ``n_groups``, ``num_heads``, ``head_dim``; gated_deltanet:
    ``num_k_heads``/``head_k_dim`` and ``num_heads``/``head_dim`` (value heads), ``conv_kernel``;
    lightning: ``num_heads`` × ``head_dim``.
    """

    kind: str
    intermediate_size: int = 0
    state_size: int = 0
    conv_kernel: int = 0
    n_groups: int = 1
    num_heads: int = 0
    head_dim: int = 0
    num_k_heads: int = 0
    head_k_dim: int = 0
    dt_rank: int = 0
    conv_bias: bool = True
    proj_bias: bool = False
    inner_norms: bool = False  # Jamba: RMSNorms on dt, B and C inside the mixer
    ssm_state_dtype: str | None = None  # temporal state dtype; None: the model dtype

    def __post_init__(self) -> None:
        if self.kind not in STATE_KINDS:
            raise SpecError(
                Message(
                    "state.kind: {kind!r} is not one of {state_kinds}",
                    kind=self.kind,
                    state_kinds=STATE_KINDS,
                )
            )
        for name in (
            "intermediate_size",
            "state_size",
            "conv_kernel",
            "n_groups",
            "num_heads",
            "head_dim",
            "num_k_heads",
            "head_k_dim",
            "dt_rank",
        ):
            v = getattr(self, name)
            _non_negative(f"state.{name}", v)
            if v > MAX_DIM:
                raise SpecError(
                    Message("state.{name}: {v} is over {max_dim}", name=name, v=v, max_dim=MAX_DIM)
                )
        for name in ("conv_bias", "proj_bias", "inner_norms"):
            if not isinstance(getattr(self, name), bool):
                raise SpecError(Message("state.{name}: expected true or false", name=name))
        need = {
            "mamba": ("intermediate_size", "state_size", "conv_kernel", "dt_rank"),
            "mamba2": ("intermediate_size", "state_size", "conv_kernel", "num_heads", "head_dim"),
            "gated_deltanet": ("num_heads", "head_dim", "num_k_heads", "head_k_dim", "conv_kernel"),
            "lightning": ("num_heads", "head_dim"),
        }[self.kind]
        for name in need:
            if getattr(self, name) <= 0:
                raise SpecError(
                    Message(
                        "state.{name}: required (positive) for {kind} layers",
                        name=name,
                        kind=self.kind,
                    )
                )
        if self.kind == "mamba2":
            _positive("state.n_groups", self.n_groups)
            if self.num_heads * self.head_dim != self.intermediate_size:
                raise SpecError(
                    Message(
                        "state: mamba heads {num_heads} × head_dim {head_dim} is not d_inner "
                        "{intermediate_size}",
                        num_heads=self.num_heads,
                        head_dim=self.head_dim,
                        intermediate_size=self.intermediate_size,
                    )
                )
        if self.ssm_state_dtype is not None and self.ssm_state_dtype not in (
            "float32",
            "bfloat16",
            "float16",
        ):
            raise SpecError(
                Message(
                    "state.ssm_state_dtype: {ssm_state_dtype!r} is not a float type",
                    ssm_state_dtype=self.ssm_state_dtype,
                )
            )


@dataclass(frozen=True)
class IndexerSpec:
    """DeepSeek-V3.2's sparse-attention indexer (``index_n_heads``, ``index_head_dim``): small
    attention heads that pick the top-k tokens; it keeps its own per-token key cache."""

    num_heads: int
    head_dim: int
    topk: int = 0

    def __post_init__(self) -> None:
        _positive("index_n_heads", self.num_heads)
        _positive("index_head_dim", self.head_dim)
        _non_negative("index_topk", self.topk)
        for name, v in (("index_n_heads", self.num_heads), ("index_head_dim", self.head_dim)):
            if v > MAX_DIM:
                raise SpecError(
                    Message("{name}: {v} is over {max_dim}", name=name, v=v, max_dim=MAX_DIM)
                )


@dataclass(frozen=True)
class ModelSpec:
    """A decoder-only transformer, described with config.json field names.

    ``num_parameters`` overrides the count derived from the architecture (a model entered by hand
    with only a parameter count); otherwise the count comes from ``calculators.params``.
    """

    num_hidden_layers: int
    hidden_size: int
    num_attention_heads: int
    num_key_value_heads: int
    head_dim: int | None = None
    intermediate_size: int = 0
    vocab_size: int = 0
    tie_word_embeddings: bool = False
    max_position_embeddings: int = 8192
    torch_dtype: str = "bfloat16"
    attention_bias: bool = False
    mlp_gated: bool = True
    model_type: str = "custom"
    name: str = "custom model"
    num_parameters: int | None = None
    # Mixture of experts
    num_experts: int = 0
    num_experts_per_tok: int = 0
    moe_intermediate_size: int = 0
    n_shared_experts: int = 0  # DeepSeek: shared experts of moe_intermediate_size each
    shared_expert_intermediate_size: int = 0  # one shared expert of this size (Qwen-MoE, Llama 4)
    moe_layers: tuple[int, ...] | None = None  # indices of MoE layers; None = all (if num_experts)
    expert_bias: bool = False  # gpt-oss experts and router carry biases
    # Multi-head latent attention (DeepSeek-V2/V3, Kimi)
    kv_lora_rank: int = 0
    q_lora_rank: int = 0
    qk_rope_head_dim: int = 0
    qk_nope_head_dim: int = 0
    v_head_dim: int = 0
    # Local attention
    sliding_window: int | None = None
    attention_chunk_size: int | None = None
    layer_types: tuple[str, ...] | None = None
    # Multimodal
    vision: VisionSpec | None = None
    extra_notes: tuple[str, ...] = field(default=())
    # What the config reader could not verify: shown beside every estimate of this model.
    warnings: tuple[str, ...] = field(default=())
    # Family details that change the parameter count (transformers' modelling files)
    mlp_bias: bool = False  # GPT-2 / GPT-J / GPT-NeoX / StarCoder2: biases on the MLP
    norm_bias: bool = False  # LayerNorm with a bias vector (2 × h per norm) instead of RMSNorm
    norms_per_layer: int | None = None  # None: 2 (4 for Gemma-2/3); 1 for parallel attention
    learned_positions: int = 0  # rows of a learned position table (GPT-2 wpe, OPT, BigCode)
    qk_norm: bool = False  # per-head RMSNorm on q and k (Qwen3, OLMo-2, Gemma 3): 2 × head_dim
    attention_gate: bool = False  # Qwen3-Next: q_proj doubled for a sigmoid output gate
    # Per-layer shapes (Nemotron-NAS block_configs; Nemotron-H single-mixer layers)
    layer_kv_heads: tuple[int, ...] | None = None  # KV heads per layer (0 on layers without)
    layer_heads: tuple[int, ...] | None = None  # query heads per layer
    layer_intermediate: tuple[int, ...] | None = None  # dense MLP width per layer (0: no MLP)
    # Constant-state layers (Mamba, linear attention): layer_types "mamba" / "linear_attention"
    state: StateSpec | None = None
    # DeepSeek-V3.2 sparse attention indexer
    indexer: IndexerSpec | None = None

    def __post_init__(self) -> None:
        for name in ("torch_dtype", "model_type", "name"):
            if not isinstance(getattr(self, name), str):
                raise SpecError(
                    Message(
                        "{name}: expected text, got {error_type}",
                        name=name,
                        error_type=type(getattr(self, name)).__name__,
                    )
                )
        for name in (
            "tie_word_embeddings",
            "attention_bias",
            "mlp_gated",
            "expert_bias",
            "mlp_bias",
            "norm_bias",
            "qk_norm",
            "attention_gate",
        ):
            if not isinstance(getattr(self, name), bool):
                raise SpecError(
                    Message(
                        "{name}: expected true or false, got {value!r:.40}",
                        name=name,
                        value=getattr(self, name),
                    )
                )
        for name in (
            "layer_types",
            "moe_layers",
            "layer_kv_heads",
            "layer_heads",
            "layer_intermediate",
            "warnings",
            "extra_notes",
        ):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), tuple):
                raise SpecError(
                    Message(
                        "{name}: expected a list, got {type}",
                        name=name,
                        type=type(getattr(self, name)).__name__,
                    )
                )
        if self.moe_layers is not None:
            for i in self.moe_layers:
                if isinstance(i, bool) or not isinstance(i, int):
                    raise SpecError(Message("moe_layers: {i!r:.20} is not a layer index", i=i))
        if self.vision is not None and not isinstance(self.vision, VisionSpec):
            raise SpecError(N_("vision: expected a vision encoder description"))
        if self.state is not None and not isinstance(self.state, StateSpec):
            raise SpecError(N_("state: expected a state-layer description"))
        if self.indexer is not None and not isinstance(self.indexer, IndexerSpec):
            raise SpecError(N_("indexer: expected a sparse-attention indexer description"))
        _non_negative("learned_positions", self.learned_positions)
        if self.learned_positions > MAX_CONTEXT:
            raise SpecError(
                Message(
                    "learned_positions: {learned_positions} is over {max_context}",
                    learned_positions=self.learned_positions,
                    max_context=MAX_CONTEXT,
                )
            )
        if self.norms_per_layer is not None:
            _non_negative("norms_per_layer", self.norms_per_layer)
            if self.norms_per_layer > 8:
                raise SpecError(
                    Message(
                        "norms_per_layer: {norms_per_layer} is over 8",
                        norms_per_layer=self.norms_per_layer,
                    )
                )
        for name in ("layer_kv_heads", "layer_heads", "layer_intermediate"):
            per = getattr(self, name)
            if per is None:
                continue
            if len(per) != self.num_hidden_layers:
                raise SpecError(
                    Message(
                        "{name}: {n_per} entries for {num_hidden_layers} layers",
                        name=name,
                        n_per=len(per),
                        num_hidden_layers=self.num_hidden_layers,
                    )
                )
            for v in per:
                _non_negative(name, v)
                if v > MAX_DIM:
                    raise SpecError(
                        Message("{name}: {v} is over {max_dim}", name=name, v=v, max_dim=MAX_DIM)
                    )
        if self.layer_kv_heads is not None or self.layer_heads is not None:
            for i in range(self.num_hidden_layers):
                q, k = self.heads_of_layer(i), self.kv_heads_of_layer(i)
                if (q == 0) != (k == 0) or (k and (k > q or q % k)):
                    raise SpecError(
                        Message(
                            "block_configs: layer {i} has {q} query heads and {k} KV heads",
                            i=i,
                            q=q,
                            k=k,
                        )
                    )
        _positive("num_hidden_layers", self.num_hidden_layers)
        _positive("hidden_size", self.hidden_size)
        _positive("num_attention_heads", self.num_attention_heads)
        _positive("num_key_value_heads", self.num_key_value_heads)
        _positive("max_position_embeddings", self.max_position_embeddings)
        for name in (
            "intermediate_size",
            "vocab_size",
            "num_experts",
            "num_experts_per_tok",
            "moe_intermediate_size",
            "n_shared_experts",
            "shared_expert_intermediate_size",
            "kv_lora_rank",
            "q_lora_rank",
            "qk_rope_head_dim",
            "qk_nope_head_dim",
            "v_head_dim",
        ):
            _non_negative(name, getattr(self, name))
        if self.num_hidden_layers > MAX_LAYERS:
            raise SpecError(
                Message(
                    "num_hidden_layers: {num_hidden_layers} is over {MAX_LAYERS}",
                    num_hidden_layers=self.num_hidden_layers,
                    MAX_LAYERS=MAX_LAYERS,
                )
            )
        for name in (
            "hidden_size",
            "intermediate_size",
            "moe_intermediate_size",
            "kv_lora_rank",
            "q_lora_rank",
            "qk_rope_head_dim",
            "qk_nope_head_dim",
            "v_head_dim",
            "shared_expert_intermediate_size",
            "num_attention_heads",
        ):
            if getattr(self, name) > MAX_DIM:
                raise SpecError(
                    Message(
                        "{name}: {v1} is over {MAX_DIM}",
                        name=name,
                        v1=getattr(self, name),
                        MAX_DIM=MAX_DIM,
                    )
                )
        if self.n_shared_experts > MAX_EXPERTS:
            raise SpecError(
                Message(
                    "n_shared_experts: {n_shared_experts} is over {MAX_EXPERTS}",
                    n_shared_experts=self.n_shared_experts,
                    MAX_EXPERTS=MAX_EXPERTS,
                )
            )
        if self.vocab_size > MAX_VOCAB:
            raise SpecError(
                Message(
                    "vocab_size: {vocab_size} is over {MAX_VOCAB}",
                    vocab_size=self.vocab_size,
                    MAX_VOCAB=MAX_VOCAB,
                )
            )
        if self.max_position_embeddings > MAX_CONTEXT:
            raise SpecError(
                Message("max_position_embeddings: over {MAX_CONTEXT}", MAX_CONTEXT=MAX_CONTEXT)
            )
        if self.num_experts > MAX_EXPERTS:
            raise SpecError(
                Message(
                    "num_experts: {num_experts} is over {MAX_EXPERTS}",
                    num_experts=self.num_experts,
                    MAX_EXPERTS=MAX_EXPERTS,
                )
            )
        if self.head_dim is not None:
            _positive("head_dim", self.head_dim)
            if self.head_dim > MAX_DIM:
                raise SpecError(
                    Message(
                        "head_dim: {head_dim} is over {MAX_DIM}",
                        head_dim=self.head_dim,
                        MAX_DIM=MAX_DIM,
                    )
                )
        elif not self.is_mla and self.hidden_size % self.num_attention_heads:
            raise SpecError(
                Message(
                    "num_attention_heads: {num_attention_heads} does not divide hidden_size {hidden_size} and no head_dim is given",
                    num_attention_heads=self.num_attention_heads,
                    hidden_size=self.hidden_size,
                )
            )
        if self.num_key_value_heads > self.num_attention_heads:
            raise SpecError(
                Message(
                    "num_key_value_heads: {num_key_value_heads} is more than num_attention_heads {num_attention_heads}",
                    num_key_value_heads=self.num_key_value_heads,
                    num_attention_heads=self.num_attention_heads,
                )
            )
        if self.num_attention_heads % self.num_key_value_heads:
            raise SpecError(
                Message(
                    "num_key_value_heads: {num_key_value_heads} does not divide num_attention_heads {num_attention_heads}",
                    num_key_value_heads=self.num_key_value_heads,
                    num_attention_heads=self.num_attention_heads,
                )
            )
        if self.num_experts and self.num_experts_per_tok > self.num_experts:
            raise SpecError(N_("num_experts_per_tok: more than num_experts"))
        if self.num_experts and not self.moe_intermediate_size:
            raise SpecError(N_("moe_intermediate_size: required when num_experts is set"))
        if self.is_mla and not self.qk_rope_head_dim:
            raise SpecError(N_("qk_rope_head_dim: required with kv_lora_rank (MLA)"))
        if self.sliding_window is not None:
            _positive("sliding_window", self.sliding_window)
        if self.attention_chunk_size is not None:
            _positive("attention_chunk_size", self.attention_chunk_size)
        if self.layer_types is not None:
            if len(self.layer_types) != self.num_hidden_layers:
                raise SpecError(
                    Message(
                        "layer_types: {v1} entries for {num_hidden_layers} layers",
                        v1=len(self.layer_types),
                        num_hidden_layers=self.num_hidden_layers,
                    )
                )
            for t in self.layer_types:
                if t not in LAYER_TYPES:
                    raise SpecError(
                        Message(
                            "layer_types: unknown type {t!r}; use {layer_types}",
                            t=t,
                            layer_types=LAYER_TYPES,
                        )
                    )
            if any(t in STATE_LAYER_TYPES for t in self.layer_types) and self.state is None:
                raise SpecError(N_("state: required when layer_types has mamba/linear_attention"))
            if "sliding_attention" in self.layer_types and self.sliding_window is None:
                raise SpecError(N_("sliding_window: required when layer_types has sliding layers"))
            if "chunked_attention" in self.layer_types and self.attention_chunk_size is None:
                raise SpecError(N_("attention_chunk_size: required for chunked_attention layers"))
        if self.moe_layers is not None:
            for i in self.moe_layers:
                if not 0 <= i < self.num_hidden_layers:
                    raise SpecError(
                        Message(
                            "moe_layers: index {i} outside 0..{v1}",
                            i=i,
                            v1=self.num_hidden_layers - 1,
                        )
                    )
        if self.num_parameters is not None:
            _positive("num_parameters", self.num_parameters)
            if self.num_parameters > MAX_PARAMETERS:
                raise SpecError(
                    Message(
                        "num_parameters: {num_parameters} is over {MAX_PARAMETERS}",
                        num_parameters=self.num_parameters,
                        MAX_PARAMETERS=MAX_PARAMETERS,
                    )
                )
        for name in ("sliding_window", "attention_chunk_size"):
            window = getattr(self, name)
            if window is not None and window > MAX_CONTEXT:
                raise SpecError(
                    Message(
                        "{name}: {window} is over {MAX_CONTEXT}",
                        name=name,
                        window=window,
                        MAX_CONTEXT=MAX_CONTEXT,
                    )
                )
        if self.torch_dtype.lower() not in (
            "bfloat16",
            "float16",
            "float32",
            "bf16",
            "fp16",
            "fp32",
        ):
            raise SpecError(
                Message(
                    "torch_dtype: {torch_dtype!r} is not float32/float16/bfloat16",
                    torch_dtype=self.torch_dtype,
                )
            )
        # Each size is bounded above; their products are bounded here, once, so that no later
        # stage meets a weight size beyond int64 (e.g. 100,000 experts of a 10^6-wide MLP).
        from calculators.params import parameter_breakdown  # params imports this module

        derived = parameter_breakdown(self).derived_total
        if derived > MAX_PARAMETERS:
            raise SpecError(
                Message(
                    "architecture: {derived:.3g} parameters derived from the sizes is over {MAX_PARAMETERS:.0e} (a product of the layer sizes is too large)",
                    derived=derived,
                    MAX_PARAMETERS=MAX_PARAMETERS,
                )
            )

    @property
    def is_mla(self) -> bool:
        """True for multi-head latent attention (one compressed latent per token and layer)."""
        return self.kv_lora_rank > 0

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 0

    @property
    def effective_head_dim(self) -> int:
        """The published ``head_dim``, else ``hidden_size // num_attention_heads``."""
        if self.head_dim is not None:
            return self.head_dim
        return self.hidden_size // self.num_attention_heads

    @property
    def resolved_layer_types(self) -> tuple[str, ...]:
        """One attention type per layer (all full attention unless the config says otherwise)."""
        if self.layer_types is not None:
            return self.layer_types
        return ("full_attention",) * self.num_hidden_layers

    def layer_window(self, layer_type: str) -> int | None:
        """Tokens a layer of this type keeps in its KV cache at most (None = all)."""
        if layer_type == "sliding_attention":
            return self.sliding_window
        if layer_type == "chunked_attention":
            return self.attention_chunk_size
        return None

    def heads_of_layer(self, i: int) -> int:
        """Query heads of layer ``i`` (0: the layer has no attention)."""
        if self.layer_heads is not None:
            return self.layer_heads[i]
        if self.layer_kv_heads is not None and self.layer_kv_heads[i] == 0:
            return 0
        return self.num_attention_heads

    def kv_heads_of_layer(self, i: int) -> int:
        """KV heads of layer ``i`` (0: the layer keeps no KV cache)."""
        if self.layer_kv_heads is not None:
            return self.layer_kv_heads[i]
        return self.num_key_value_heads

    def intermediate_of_layer(self, i: int) -> int:
        """Dense MLP width of layer ``i`` (0: no dense MLP)."""
        if self.layer_intermediate is not None:
            return self.layer_intermediate[i]
        return self.intermediate_size

    @property
    def attention_layer_indices(self) -> tuple[int, ...]:
        """Layers that keep per-token keys and values."""
        types = self.resolved_layer_types
        return tuple(
            i
            for i in range(self.num_hidden_layers)
            if types[i] in ATTENTION_LAYER_TYPES and self.kv_heads_of_layer(i) > 0
        )

    @property
    def state_layer_indices(self) -> tuple[int, ...]:
        """Layers that keep a constant state per request (Mamba / linear attention)."""
        types = self.resolved_layer_types
        return tuple(i for i in range(self.num_hidden_layers) if types[i] in STATE_LAYER_TYPES)

    @property
    def moe_layer_indices(self) -> tuple[int, ...]:
        if not self.is_moe:
            return ()
        if self.moe_layers is None:
            return tuple(range(self.num_hidden_layers))
        return self.moe_layers


@dataclass(frozen=True)
class GPUSpec:
    """One accelerator: the memory it really exposes to software, in bytes.

    For the speed model (``calculators.speed``): peak dense tensor-core FLOP/s per compute dtype
    (0 = not known / not supported) and the GPU-to-GPU interconnect bandwidth as marketed
    (NVLink: both directions together), bytes per second.
    """

    id: str
    name: str
    memory_bytes: int
    bandwidth_bytes_per_s: int = 0
    peak_bf16_flops_per_s: float = 0.0
    peak_fp8_flops_per_s: float = 0.0
    peak_fp4_flops_per_s: float = 0.0
    interconnect_bytes_per_s: int = 0

    def __post_init__(self) -> None:
        _positive("memory_bytes", self.memory_bytes)
        if self.memory_bytes > 2**50:
            raise SpecError(
                Message(
                    "memory_bytes: {memory_bytes} is absurdly large (> 1 PiB)",
                    memory_bytes=self.memory_bytes,
                )
            )


@dataclass(frozen=True)
class Workload:
    """What is served: request length, concurrency, and the KV cache dtype.

    ``context_len`` is the maximum tokens a request may hold (vLLM ``max_model_len``);
    ``avg_tokens`` the average prompt + output tokens a request really holds (paged engines only
    reserve what is in use); ``batch_size`` the article's per-request batch.
    """

    context_len: int = 8192
    concurrency: int = 1
    batch_size: int = 1
    kv_cache_dtype: str = "auto"
    avg_tokens: int | None = None

    def __post_init__(self) -> None:
        _positive("context_len", self.context_len)
        _positive("concurrency", self.concurrency)
        _positive("batch_size", self.batch_size)
        if self.context_len > MAX_CONTEXT:
            raise SpecError(
                Message(
                    "context_len: {context_len} is over {MAX_CONTEXT}",
                    context_len=self.context_len,
                    MAX_CONTEXT=MAX_CONTEXT,
                )
            )
        if self.concurrency > MAX_CONCURRENCY:
            raise SpecError(
                Message(
                    "concurrency: {concurrency} is over {MAX_CONCURRENCY}",
                    concurrency=self.concurrency,
                    MAX_CONCURRENCY=MAX_CONCURRENCY,
                )
            )
        if self.batch_size > MAX_CONCURRENCY:
            raise SpecError(
                Message(
                    "batch_size: {batch_size} is over {MAX_CONCURRENCY}",
                    batch_size=self.batch_size,
                    MAX_CONCURRENCY=MAX_CONCURRENCY,
                )
            )
        if self.avg_tokens is not None:
            _positive("avg_tokens", self.avg_tokens)
            if self.avg_tokens > self.context_len:
                raise SpecError(
                    Message(
                        "avg_tokens: {avg_tokens} is more than context_len {context_len}",
                        avg_tokens=self.avg_tokens,
                        context_len=self.context_len,
                    )
                )


@dataclass(frozen=True)
class Deployment:
    """How the model is split over GPUs: tensor x pipeline parallel, replicated ``data_parallel``."""

    tensor_parallel_size: int = 1
    pipeline_parallel_size: int = 1
    data_parallel_size: int = 1
    gpu: GPUSpec | None = None

    def __post_init__(self) -> None:
        _positive("tensor_parallel_size", self.tensor_parallel_size)
        _positive("pipeline_parallel_size", self.pipeline_parallel_size)
        _positive("data_parallel_size", self.data_parallel_size)
        if self.num_gpus > 100_000:
            raise SpecError(Message("GPU count {num_gpus} is over 100000", num_gpus=self.num_gpus))

    @property
    def gpus_per_replica(self) -> int:
        return self.tensor_parallel_size * self.pipeline_parallel_size

    @property
    def num_gpus(self) -> int:
        return self.gpus_per_replica * self.data_parallel_size
