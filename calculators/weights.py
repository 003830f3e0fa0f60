"""Model weights in memory.

The article: ``weights = N_params × original_bytes / quant_factor`` (equivalently ``N × bits / 8``).
This module applies that formula per tensor group with the bits the storage format really uses
(``calculators.formats``): quantised matrices at the format's bits per weight including scales,
embeddings and lm_head at the format's embedding bits (16 for GPTQ/AWQ/FP8), norms and biases at
16/32 bit. A model entered by hand with only a parameter count has all of it in one group, which
is exactly the article's formula. Unit of every return value: bytes (integers, rounded up).

Parallelism: tensor parallelism splits every matrix over ``tp`` ranks (vLLM's column/row-parallel
and vocab-parallel layers); small vectors are replicated. Pipeline parallelism gives each stage a
contiguous run of layers (vLLM ``get_pp_indices``: the remainder goes to the stages before the
last); the first stage holds the embedding (and a vision encoder), the last the lm_head, which it
must hold even when tied to the embedding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from calculators.formats import FP16_BITS, WeightFormat
from calculators.messages import Message
from calculators.params import ParameterBreakdown, parameter_breakdown
from calculators.spec import ModelSpec


@dataclass(frozen=True)
class WeightGroups:
    """Weight bytes by tensor group for the whole model (one copy, no parallelism)."""

    embedding_bytes: int
    lm_head_bytes: int
    linear_bytes: int
    small_bytes: int
    vision_bytes: int

    @property
    def total_bytes(self) -> int:
        return (
            self.embedding_bytes
            + self.lm_head_bytes
            + self.linear_bytes
            + self.small_bytes
            + self.vision_bytes
        )


def _bytes(params: int | Fraction, bits: Fraction) -> Fraction:
    return Fraction(params) * bits / 8


def _ceil(x: Fraction) -> int:
    return math.ceil(x)


def _linear_bits(fmt: WeightFormat, model_dtype_bits: Fraction) -> tuple[Fraction, Fraction]:
    """(bits of dense matrices, bits of routed-expert matrices) under ``fmt``."""
    if fmt.scope == "experts":
        return model_dtype_bits, fmt.linear_bits
    return fmt.linear_bits, fmt.linear_bits


def _dtype_bits(model: ModelSpec) -> Fraction:
    return Fraction(32) if model.torch_dtype.lower() in ("float32", "fp32") else FP16_BITS


def _layers_bytes(
    pb: ParameterBreakdown, layers: range, fmt: WeightFormat, model: ModelSpec
) -> tuple[Fraction, Fraction]:
    """(matrix bytes, small-vector bytes) of ``layers``: integer counts summed first, then one
    exact multiplication per tensor group."""
    dense_bits, expert_bits = _linear_bits(fmt, _dtype_bits(model))
    if pb.declared_total is not None:
        linear = max(0, pb.declared_total - pb.embedding - pb.lm_head - pb.vision)
        return _bytes(Fraction(linear * len(layers), len(pb.layers)), dense_bits), Fraction(0)
    dense = experts = small = 0
    for i in layers:
        layer = pb.layers[i]
        dense += layer.attention + layer.mlp
        experts += layer.experts
        small += layer.small
    mats = _bytes(dense, dense_bits) + _bytes(experts, expert_bits)
    return mats, _bytes(small, fmt.other_bits)


@lru_cache(maxsize=4096)  # pure in frozen specs; every rerun asks again for the same model
def weight_groups(model: ModelSpec, fmt: WeightFormat) -> WeightGroups:
    """Bytes of each tensor group of ``model`` stored in ``fmt`` (one full copy)."""
    pb = parameter_breakdown(model)
    mats, small = _layers_bytes(pb, range(len(pb.layers)), fmt, model)
    if pb.declared_total is None:
        small += _bytes(pb.final_norm, fmt.other_bits)
    vision_bits = fmt.linear_bits if not fmt.is_quantised else _dtype_bits(model)
    return WeightGroups(
        embedding_bytes=_ceil(_bytes(pb.embedding, fmt.embedding_bits)),
        lm_head_bytes=_ceil(_bytes(pb.lm_head, fmt.lm_head_bits)),
        linear_bytes=_ceil(mats),
        small_bytes=_ceil(small),
        vision_bytes=_ceil(_bytes(pb.vision, vision_bits)),
    )


def weights_bytes(model: ModelSpec, fmt: WeightFormat) -> int:
    """Bytes of all weights of ``model`` in ``fmt``: Σ_groups params × bits / 8 (article §1)."""
    return weight_groups(model, fmt).total_bytes


def article_weights_bytes(num_parameters: int, original_bytes: int, quant_factor: Fraction) -> int:
    """The article's formula verbatim: ``N × original_bytes / quant_factor`` in bytes.

    ``quant_factor`` = original bytes ÷ target bytes (FP32 -> 8 bit: 4; FP32 -> 16 bit: 2).
    """
    return _ceil(Fraction(num_parameters) * original_bytes / Fraction(quant_factor))


def pipeline_stages(num_layers: int, pp: int) -> tuple[range, ...]:
    """Layer ranges of each pipeline stage, as vLLM's ``get_pp_indices`` partitions them."""
    if pp > num_layers:
        raise ValueError(
            Message(
                "pipeline_parallel_size {pp} is more than the {num_layers} layers",
                pp=pp,
                num_layers=num_layers,
            )
        )
    sizes = [num_layers // pp] * pp
    for i in range(2, num_layers % pp + 2):
        sizes[-i] += 1
    out, start = [], 0
    for s in sizes:
        out.append(range(start, start + s))
        start += s
    return tuple(out)


@lru_cache(maxsize=4096)  # pure in frozen specs; the planner asks for the same split per GPU type
def weights_bytes_per_stage(
    model: ModelSpec, fmt: WeightFormat, tp: int = 1, pp: int = 1
) -> tuple[int, ...]:
    """Weight bytes on one GPU of each pipeline stage, with matrices split over ``tp`` ranks."""
    pb = parameter_breakdown(model)
    stages = pipeline_stages(model.num_hidden_layers, pp)
    vision_bits = fmt.linear_bits if not fmt.is_quantised else _dtype_bits(model)
    out = []
    for s, layers in enumerate(stages):
        split, repl = _layers_bytes(
            pb, layers, fmt, model
        )  # matrices split over tp; vectors replicated
        if s == 0:
            split += _bytes(pb.embedding, fmt.embedding_bits) + _bytes(pb.vision, vision_bits)
        if s == len(stages) - 1:
            head = pb.lm_head if pb.lm_head or pp == 1 else pb.embedding
            split += _bytes(head, fmt.lm_head_bits)
            if pb.declared_total is None:
                repl += _bytes(pb.final_norm, fmt.other_bits)
        out.append(_ceil(split / tp + repl))
    return tuple(out)
