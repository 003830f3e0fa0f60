"""Weight formats and KV-cache data types: bits per element, each figure with its source.

Bits are exact fractions (``Fraction``), never ``bits // 8``: a GGUF ``q8_0`` block stores 32 weights
in 34 bytes, i.e. 8.5 bits per weight, and rounding that to 1 byte loses 6 %.

A weight format says how many bits each group of tensors takes:

* ``linear_bits``: the quantised matrices (attention projections, MLP, MoE experts), including the
  per-group scales and zero points that the format stores beside the weights;
* ``embedding_bits`` / ``lm_head_bits``: the token embedding and the output projection, which
  quantisation toolkits usually keep at 16 bit (GPTQ, AWQ, FP8 in vLLM) and GGUF stores in a block
  type of its own;
* ``other_bits``: norms, biases and other small vectors.

``scope`` says which matrices the format quantises: ``"linear"`` (all of them) or ``"experts"``
(only MoE expert weights, as in gpt-oss's MXFP4 checkpoint, which keeps attention in bf16).

The source article expresses quantisation as a *quantization factor* relative to FP32
(FP32 -> 8-bit: 4, FP32 -> 16-bit: 2); ``quant_factor`` gives that number for every format.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Final, Literal

from calculators.messages import N_, Message

FP32_BITS: Final[Fraction] = Fraction(32)
FP16_BITS: Final[Fraction] = Fraction(16)

# GGUF block sizes, from ggml's block structs (ggml/src/ggml-common.h: block_q8_0 = 2-byte fp16
# scale + 32 int8 = 34 bytes per 32 weights; block_q4_0 = 2 + 16 = 18 bytes per 32; K-quants use
# super-blocks of 256 weights: q2_K 84 bytes, q3_K 110, q4_K 144, q5_K 176, q6_K 210).
GGUF_Q8_0_BITS: Final[Fraction] = Fraction(34 * 8, 32)  # 8.5 bits per weight
GGUF_Q4_0_BITS: Final[Fraction] = Fraction(18 * 8, 32)  # 4.5
GGUF_Q2_K_BITS: Final[Fraction] = Fraction(84 * 8, 256)  # 2.625
GGUF_Q3_K_BITS: Final[Fraction] = Fraction(110 * 8, 256)  # 3.4375
GGUF_Q4_K_BITS: Final[Fraction] = Fraction(144 * 8, 256)  # 4.5
GGUF_Q5_K_BITS: Final[Fraction] = Fraction(176 * 8, 256)  # 5.5
GGUF_Q6_K_BITS: Final[Fraction] = Fraction(210 * 8, 256)  # 6.5625

# GGUF "mix" types (Q4_K_M, Q5_K_M, Q3_K_M, Q2_K) store most matrices in the base K-type and
# upgrade attn_v and ffn_down in about half of the layers (llama.cpp src/llama-quant.cpp,
# llama_tensor_get_type, `use_more_bits`: the first and last eighth of the layers and every third
# layer in between). For a Llama-style layer attn_v + ffn_down are ~30 % of the linear weights, so
# ~14 % of them are upgraded. Effective bits of the linear weights (empirical, bits per weight,
# computed with those rules for Llama-3-8B; a model with another shape differs by up to ~0.2 bit):
GGUF_Q4_K_M_LINEAR_BITS: Final[Fraction] = Fraction("4.80")  # q4_K + q6_K upgrades
GGUF_Q5_K_M_LINEAR_BITS: Final[Fraction] = Fraction("5.65")  # q5_K + q6_K upgrades
GGUF_Q3_K_M_LINEAR_BITS: Final[Fraction] = Fraction("3.89")  # q3_K + q4_K/q5_K upgrades
GGUF_Q2_K_LINEAR_BITS: Final[Fraction] = Fraction("2.96")  # q2_K + q3_K/q4_K upgrades

# GPTQ / AWQ, group size 128 (AutoGPTQ and AutoAWQ checkpoint layout): 4-bit weights packed in
# int32, one fp16 scale (16 bits) and one packed 4-bit zero point per group of 128 weights.
GPTQ_AWQ_G128_BITS: Final[Fraction] = Fraction(4) + Fraction(16, 128) + Fraction(4, 128)  # 4.15625
# OCP Microscaling spec v1.0: MXFP4 = 32 FP4 (E2M1) elements share one 8-bit E8M0 scale.
MXFP4_BITS: Final[Fraction] = Fraction(4) + Fraction(8, 32)  # 4.25
# NVIDIA NVFP4: 16 FP4 elements share one FP8 (E4M3) scale (plus one FP32 scale per tensor).
NVFP4_BITS: Final[Fraction] = Fraction(4) + Fraction(8, 16)  # 4.5

Scope = Literal["linear", "experts"]


@dataclass(frozen=True)
class WeightFormat:
    """Bits per weight of one storage format, by tensor group."""

    id: str
    label: str
    linear_bits: Fraction
    embedding_bits: Fraction
    lm_head_bits: Fraction
    other_bits: Fraction
    nominal_bits: int
    family: Literal["float", "int", "gptq", "awq", "microscaling", "gguf"]
    source: str
    scope: Scope = "linear"

    @property
    def quant_factor(self) -> Fraction:
        """The article's quantization factor: FP32 bits ÷ this format's bits per linear weight."""
        return FP32_BITS / self.linear_bits

    @property
    def is_quantised(self) -> bool:
        return self.linear_bits < FP16_BITS


def _fmt(
    id: str,
    label: str,
    linear: Fraction | int,
    nominal: int,
    family: Literal["float", "int", "gptq", "awq", "microscaling", "gguf"],
    source: str,
    *,
    embedding: Fraction | int = 16,
    lm_head: Fraction | int | None = None,
    other: Fraction | int = 16,
    scope: Scope = "linear",
) -> WeightFormat:
    emb = Fraction(embedding)
    return WeightFormat(
        id=id,
        label=label,
        linear_bits=Fraction(linear),
        embedding_bits=emb,
        lm_head_bits=emb if lm_head is None else Fraction(lm_head),
        other_bits=Fraction(other),
        nominal_bits=nominal,
        family=family,
        source=source,
        scope=scope,
    )


WEIGHT_FORMATS: Final[dict[str, WeightFormat]] = {
    f.id: f
    for f in (
        _fmt("fp32", "FP32", 32, 32, "float", "IEEE 754 binary32: 4 bytes", embedding=32, other=32),
        _fmt("fp16", "FP16", 16, 16, "float", "IEEE 754 binary16: 2 bytes"),
        _fmt("bf16", "BF16", 16, 16, "float", "bfloat16: 2 bytes (the usual checkpoint dtype)"),
        _fmt(
            "fp8",
            "FP8 (E4M3)",
            8,
            8,
            "float",
            "1 byte per weight, per-tensor/per-channel scales negligible; embeddings and lm_head "
            "kept in 16 bit (vLLM docs, FP8 W8A8 quantization)",
        ),
        _fmt(
            "int8",
            "INT8 (W8A8 / W8A16)",
            8,
            8,
            "int",
            "1 byte per weight, per-channel scales negligible; embeddings and lm_head in 16 bit "
            "(compressed-tensors / SmoothQuant checkpoints)",
        ),
        _fmt(
            "int4",
            N_("INT4 (ideal, no scales)"),
            4,
            4,
            "int",
            "the article's idealised 4-bit: half a byte per weight, no scales; embeddings 16 bit",
        ),
        _fmt(
            "gptq-int4",
            "GPTQ INT4 g128",
            GPTQ_AWQ_G128_BITS,
            4,
            "gptq",
            "AutoGPTQ layout: packed int4 + fp16 scale + packed 4-bit zero per 128 weights "
            "= 4.15625 bpw; embeddings and lm_head fp16",
        ),
        _fmt(
            "awq-int4",
            "AWQ INT4 g128",
            GPTQ_AWQ_G128_BITS,
            4,
            "awq",
            "AutoAWQ GEMM layout: packed int4 + fp16 scale + packed 4-bit zero per 128 weights "
            "= 4.15625 bpw; embeddings and lm_head fp16",
        ),
        _fmt(
            "mxfp4",
            N_("MXFP4 (all linear layers)"),
            MXFP4_BITS,
            4,
            "microscaling",
            "OCP Microscaling Formats v1.0: 32 x FP4 + one E8M0 scale = 4.25 bpw",
        ),
        _fmt(
            "mxfp4-experts",
            N_("MXFP4 experts, BF16 rest (gpt-oss)"),
            MXFP4_BITS,
            4,
            "microscaling",
            "gpt-oss checkpoints: MoE expert weights in MXFP4 (4.25 bpw), attention, router, "
            "embeddings and lm_head in bf16 (openai/gpt-oss config.json quantization_config)",
            scope="experts",
        ),
        _fmt(
            "nvfp4",
            "NVFP4",
            NVFP4_BITS,
            4,
            "microscaling",
            "NVIDIA NVFP4: 16 x FP4 (E2M1) + one FP8 E4M3 scale = 4.5 bpw",
        ),
        _fmt(
            "q8_0",
            "GGUF Q8_0",
            GGUF_Q8_0_BITS,
            8,
            "gguf",
            "ggml block_q8_0: 34 bytes per 32 weights = 8.5 bpw; token_embd and output also q8_0",
            embedding=GGUF_Q8_0_BITS,
            other=32,
        ),
        _fmt(
            "q6_k",
            "GGUF Q6_K",
            GGUF_Q6_K_BITS,
            6,
            "gguf",
            "ggml block_q6_K: 210 bytes per 256 weights = 6.5625 bpw",
            embedding=GGUF_Q6_K_BITS,
            other=32,
        ),
        _fmt(
            "q5_k_m",
            "GGUF Q5_K_M",
            GGUF_Q5_K_M_LINEAR_BITS,
            5,
            "gguf",
            "q5_K (176 B / 256 = 5.5 bpw) with attn_v/ffn_down in q6_K in half the layers "
            "(llama.cpp llama-quant.cpp): ~5.65 bpw; token_embd q5_K, output q6_K",
            embedding=GGUF_Q5_K_BITS,
            lm_head=GGUF_Q6_K_BITS,
            other=32,
        ),
        _fmt(
            "q4_k_m",
            "GGUF Q4_K_M",
            GGUF_Q4_K_M_LINEAR_BITS,
            4,
            "gguf",
            "q4_K (144 B / 256 = 4.5 bpw) with attn_v/ffn_down in q6_K in half the layers "
            "(llama.cpp llama-quant.cpp): ~4.80 bpw; token_embd q4_K, output q6_K",
            embedding=GGUF_Q4_K_BITS,
            lm_head=GGUF_Q6_K_BITS,
            other=32,
        ),
        _fmt(
            "q4_0",
            "GGUF Q4_0",
            GGUF_Q4_0_BITS,
            4,
            "gguf",
            "ggml block_q4_0: 18 bytes per 32 weights = 4.5 bpw; output kept in q6_K",
            embedding=GGUF_Q4_0_BITS,
            lm_head=GGUF_Q6_K_BITS,
            other=32,
        ),
        _fmt(
            "q3_k_m",
            "GGUF Q3_K_M",
            GGUF_Q3_K_M_LINEAR_BITS,
            3,
            "gguf",
            "q3_K (110 B / 256 = 3.4375 bpw) with attn_v/ffn_down upgraded to q4_K/q5_K "
            "(llama.cpp llama-quant.cpp): ~3.89 bpw; token_embd q3_K, output q6_K",
            embedding=GGUF_Q3_K_BITS,
            lm_head=GGUF_Q6_K_BITS,
            other=32,
        ),
        _fmt(
            "q2_k",
            "GGUF Q2_K",
            GGUF_Q2_K_LINEAR_BITS,
            2,
            "gguf",
            "q2_K (84 B / 256 = 2.625 bpw) with attn_v/ffn_down upgraded to q3_K/q4_K "
            "(llama.cpp llama-quant.cpp): ~2.96 bpw; token_embd q2_K, output q6_K",
            embedding=GGUF_Q2_K_BITS,
            lm_head=GGUF_Q6_K_BITS,
            other=32,
        ),
    )
}


@dataclass(frozen=True)
class KVDtype:
    """Bits per stored K or V element of the KV cache."""

    id: str
    label: str
    bits: Fraction
    source: str


KV_DTYPES: Final[dict[str, KVDtype]] = {
    d.id: d
    for d in (
        KVDtype("fp32", "FP32", Fraction(32), "4 bytes per element"),
        KVDtype("fp16", "FP16", Fraction(16), "2 bytes per element (llama.cpp f16 default)"),
        KVDtype("bf16", "BF16", Fraction(16), "2 bytes per element (vLLM 'auto' for bf16 models)"),
        KVDtype(
            "fp8", "FP8 (E4M3/E5M2)", Fraction(8), "1 byte per element (vLLM --kv-cache-dtype fp8)"
        ),
        KVDtype("int8", "INT8", Fraction(8), "1 byte per element"),
        KVDtype("q8_0", "GGUF q8_0", GGUF_Q8_0_BITS, "llama.cpp -ctk q8_0: 34 bytes per 32 values"),
        KVDtype("q4_0", "GGUF q4_0", GGUF_Q4_0_BITS, "llama.cpp -ctk q4_0: 18 bytes per 32 values"),
    )
}

# Checkpoint dtypes (config.json `torch_dtype`) to the KV dtype "auto" resolves to.
DTYPE_ALIASES: Final[dict[str, str]] = {
    "float32": "fp32",
    "float": "fp32",
    "fp32": "fp32",
    "float16": "fp16",
    "half": "fp16",
    "fp16": "fp16",
    "bfloat16": "bf16",
    "bf16": "bf16",
}


def weight_format(format_id: str) -> WeightFormat:
    """The weight format named ``format_id``; ValueError naming the valid ids otherwise."""
    try:
        return WEIGHT_FORMATS[format_id.lower()]
    except KeyError:
        raise ValueError(
            Message(
                "unknown weight format {format_id!r}; choose one of {v1}",
                format_id=format_id,
                v1=", ".join(WEIGHT_FORMATS),
            )
        ) from None


def kv_dtype(dtype_id: str, model_dtype: str = "bf16") -> KVDtype:
    """The KV dtype named ``dtype_id``; ``"auto"`` means the model's compute dtype."""
    key = dtype_id.lower()
    if key == "auto":
        key = DTYPE_ALIASES.get(model_dtype.lower(), "bf16")
    key = DTYPE_ALIASES.get(key, key)
    try:
        return KV_DTYPES[key]
    except KeyError:
        raise ValueError(
            Message(
                "unknown KV cache dtype {dtype_id!r}; choose auto or one of {v1}",
                dtype_id=dtype_id,
                v1=", ".join(KV_DTYPES),
            )
        ) from None


def dtype_bytes(model_dtype: str) -> int:
    """Bytes per element of a checkpoint/compute dtype name such as ``bfloat16``."""
    key = DTYPE_ALIASES.get(model_dtype.lower())
    if key is None:
        raise ValueError(
            Message(
                "unknown dtype {model_dtype!r}; use float32, float16 or bfloat16",
                model_dtype=model_dtype,
            )
        )
    return int(KV_DTYPES[key].bits) // 8
