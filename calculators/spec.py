"""Frozen specifications the calculators take: a model, a workload, a deployment, a GPU.

Field names follow Hugging Face ``config.json`` (transformers), so a spec can be checked against a
model card by eye. Aliases used by some model families are normalised when a config is read
(``calculators.config``): ``num_local_experts`` / ``n_routed_experts`` become ``num_experts``, the
per-layer MoE pattern becomes ``moe_layers``, and the sliding-window pattern becomes ``layer_types``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

LayerType = Literal["full_attention", "sliding_attention", "chunked_attention"]
LAYER_TYPES: Final[tuple[str, ...]] = ("full_attention", "sliding_attention", "chunked_attention")


class SpecError(ValueError):
    """An invalid specification; the message names the field and the problem."""


def _shown(value: object) -> str:
    """A value for a message: short, and safe for integers of any size (str() of one over 4,300
    digits raises, and float() of one over ~10^308 overflows)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**12:
        if value.bit_length() > 1000:
            return f"an integer of about {int(value.bit_length() * 0.30103):,} digits"
        return f"{value:.3e}"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _positive(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise SpecError(f"{name}: must be a positive integer, got {_shown(value)}")


def _non_negative(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SpecError(f"{name}: must be a non-negative integer, got {_shown(value)}")


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

    def __post_init__(self) -> None:
        for name in ("hidden_size", "intermediate_size", "num_hidden_layers", "patch_size"):
            _positive(f"vision_config.{name}", getattr(self, name))
        for name in ("image_size", "num_channels", "projector_parameters"):
            _non_negative(f"vision_config.{name}", getattr(self, name))
        for name in ("gated_mlp", "bias", "learned_position_embeddings"):
            if not isinstance(getattr(self, name), bool):
                raise SpecError(f"vision_config.{name}: expected true or false")
        for name, limit in (
            ("hidden_size", MAX_DIM),
            ("intermediate_size", MAX_DIM),
            ("num_hidden_layers", MAX_LAYERS),
            ("patch_size", MAX_IMAGE_SIZE),
            ("image_size", MAX_IMAGE_SIZE),
            ("num_channels", MAX_CHANNELS),
            ("projector_parameters", MAX_PARAMETERS),
        ):
            if getattr(self, name) > limit:
                raise SpecError(
                    f"vision_config.{name}: {_shown(getattr(self, name))} is over {limit}"
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

    def __post_init__(self) -> None:
        for name in ("torch_dtype", "model_type", "name"):
            if not isinstance(getattr(self, name), str):
                raise SpecError(f"{name}: expected text, got {type(getattr(self, name)).__name__}")
        for name in ("tie_word_embeddings", "attention_bias", "mlp_gated", "expert_bias"):
            if not isinstance(getattr(self, name), bool):
                raise SpecError(f"{name}: expected true or false, got {getattr(self, name)!r:.40}")
        for name in ("layer_types", "moe_layers"):
            if getattr(self, name) is not None and not isinstance(getattr(self, name), tuple):
                raise SpecError(
                    f"{name}: expected a list, got {type(getattr(self, name)).__name__}"
                )
        if self.moe_layers is not None:
            for i in self.moe_layers:
                if isinstance(i, bool) or not isinstance(i, int):
                    raise SpecError(f"moe_layers: {i!r:.20} is not a layer index")
        if self.vision is not None and not isinstance(self.vision, VisionSpec):
            raise SpecError("vision: expected a vision encoder description")
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
                f"num_hidden_layers: {_shown(self.num_hidden_layers)} is over {MAX_LAYERS}"
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
                raise SpecError(f"{name}: {_shown(getattr(self, name))} is over {MAX_DIM}")
        if self.n_shared_experts > MAX_EXPERTS:
            raise SpecError(
                f"n_shared_experts: {_shown(self.n_shared_experts)} is over {MAX_EXPERTS}"
            )
        if self.vocab_size > MAX_VOCAB:
            raise SpecError(f"vocab_size: {_shown(self.vocab_size)} is over {MAX_VOCAB}")
        if self.max_position_embeddings > MAX_CONTEXT:
            raise SpecError(f"max_position_embeddings: over {MAX_CONTEXT}")
        if self.num_experts > MAX_EXPERTS:
            raise SpecError(f"num_experts: {_shown(self.num_experts)} is over {MAX_EXPERTS}")
        if self.head_dim is not None:
            _positive("head_dim", self.head_dim)
            if self.head_dim > MAX_DIM:
                raise SpecError(f"head_dim: {_shown(self.head_dim)} is over {MAX_DIM}")
        elif not self.is_mla and self.hidden_size % self.num_attention_heads:
            raise SpecError(
                f"num_attention_heads: {self.num_attention_heads} does not divide hidden_size "
                f"{self.hidden_size} and no head_dim is given"
            )
        if self.num_key_value_heads > self.num_attention_heads:
            raise SpecError(
                f"num_key_value_heads: {self.num_key_value_heads} is more than "
                f"num_attention_heads {self.num_attention_heads}"
            )
        if self.num_attention_heads % self.num_key_value_heads:
            raise SpecError(
                f"num_key_value_heads: {self.num_key_value_heads} does not divide "
                f"num_attention_heads {self.num_attention_heads}"
            )
        if self.num_experts and self.num_experts_per_tok > self.num_experts:
            raise SpecError("num_experts_per_tok: more than num_experts")
        if self.num_experts and not self.moe_intermediate_size:
            raise SpecError("moe_intermediate_size: required when num_experts is set")
        if self.is_mla and not self.qk_rope_head_dim:
            raise SpecError("qk_rope_head_dim: required with kv_lora_rank (MLA)")
        if self.sliding_window is not None:
            _positive("sliding_window", self.sliding_window)
        if self.attention_chunk_size is not None:
            _positive("attention_chunk_size", self.attention_chunk_size)
        if self.layer_types is not None:
            if len(self.layer_types) != self.num_hidden_layers:
                raise SpecError(
                    f"layer_types: {len(self.layer_types)} entries for "
                    f"{self.num_hidden_layers} layers"
                )
            for t in self.layer_types:
                if t not in LAYER_TYPES:
                    raise SpecError(f"layer_types: unknown type {t!r}; use {LAYER_TYPES}")
            if "sliding_attention" in self.layer_types and self.sliding_window is None:
                raise SpecError("sliding_window: required when layer_types has sliding layers")
            if "chunked_attention" in self.layer_types and self.attention_chunk_size is None:
                raise SpecError("attention_chunk_size: required for chunked_attention layers")
        if self.moe_layers is not None:
            for i in self.moe_layers:
                if not 0 <= i < self.num_hidden_layers:
                    raise SpecError(
                        f"moe_layers: index {i} outside 0..{self.num_hidden_layers - 1}"
                    )
        if self.num_parameters is not None:
            _positive("num_parameters", self.num_parameters)
            if self.num_parameters > MAX_PARAMETERS:
                raise SpecError(
                    f"num_parameters: {_shown(self.num_parameters)} is over {MAX_PARAMETERS}"
                )
        for name in ("sliding_window", "attention_chunk_size"):
            window = getattr(self, name)
            if window is not None and window > MAX_CONTEXT:
                raise SpecError(f"{name}: {_shown(window)} is over {MAX_CONTEXT}")
        if self.torch_dtype.lower() not in (
            "bfloat16",
            "float16",
            "float32",
            "bf16",
            "fp16",
            "fp32",
        ):
            raise SpecError(f"torch_dtype: {self.torch_dtype!r} is not float32/float16/bfloat16")
        # Each size is bounded above; their products are bounded here, once, so that no later
        # stage meets a weight size beyond int64 (e.g. 100,000 experts of a 10^6-wide MLP).
        from calculators.params import parameter_breakdown  # params imports this module

        derived = parameter_breakdown(self).derived_total
        if derived > MAX_PARAMETERS:
            raise SpecError(
                f"architecture: {_shown(derived)} parameters derived from the sizes is over "
                f"{MAX_PARAMETERS:.0e} (a product of the layer sizes is too large)"
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
            raise SpecError(f"memory_bytes: {self.memory_bytes} is absurdly large (> 1 PiB)")


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
            raise SpecError(f"context_len: {_shown(self.context_len)} is over {MAX_CONTEXT}")
        if self.concurrency > MAX_CONCURRENCY:
            raise SpecError(f"concurrency: {_shown(self.concurrency)} is over {MAX_CONCURRENCY}")
        if self.batch_size > MAX_CONCURRENCY:
            raise SpecError(f"batch_size: {_shown(self.batch_size)} is over {MAX_CONCURRENCY}")
        if self.avg_tokens is not None:
            _positive("avg_tokens", self.avg_tokens)
            if self.avg_tokens > self.context_len:
                raise SpecError(
                    f"avg_tokens: {self.avg_tokens} is more than context_len {self.context_len}"
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
            raise SpecError(f"GPU count {self.num_gpus} is over 100000")

    @property
    def gpus_per_replica(self) -> int:
        return self.tensor_parallel_size * self.pipeline_parallel_size

    @property
    def num_gpus(self) -> int:
        return self.gpus_per_replica * self.data_parallel_size
