"""The interface every estimation method implements, and the knobs they take."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from calculators.checkpoint import CheckpointWeights
from calculators.estimate import Estimate
from calculators.formats import WeightFormat
from calculators.messages import Message
from calculators.spec import Deployment, ModelSpec, SpecError, Workload


@dataclass(frozen=True)
class EngineSettings:
    """Settings of a method; each engine reads the ones it has (None = the engine's default)."""

    overhead_fraction: float = 0.15  # article: α × weights
    gpu_memory_utilization: float | None = None  # article: 1.0; vLLM: 0.9
    engine_version: str | None = None  # vLLM: "0.19"; newer subtract CUDA graphs
    max_num_batched_tokens: int | None = None  # vLLM profile-run token count
    max_num_seqs: int | None = None  # vLLM sampler warm-up sequences
    block_size: int = 16  # paged KV block, tokens
    mem_fraction_static: float | None = None  # SGLang
    parallel: int | None = None  # llama.cpp --parallel slots (default: the workload's concurrency)
    n_ubatch: int = 512  # llama.cpp micro-batch, tokens
    flash_attention: bool = True  # llama.cpp -fa

    def __post_init__(self) -> None:
        def _frac(name: str, v: float | None, lo: float, hi: float) -> None:
            if v is None:
                return
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise SpecError(
                    Message("{name}: must be a finite number, got {v!r}", name=name, v=v)
                )
            if not lo <= v <= hi:
                raise SpecError(
                    Message("{name}: {v} is outside {lo}..{hi}", name=name, v=v, lo=lo, hi=hi)
                )

        _frac("overhead_fraction", self.overhead_fraction, 0.0, 1.0)
        _frac("gpu_memory_utilization", self.gpu_memory_utilization, 0.01, 1.0)
        _frac("mem_fraction_static", self.mem_fraction_static, 0.01, 1.0)
        for name in ("max_num_batched_tokens", "max_num_seqs", "parallel"):
            v = getattr(self, name)
            if v is not None and (
                isinstance(v, bool) or not isinstance(v, int) or not 0 < v <= 10**8
            ):
                raise SpecError(
                    Message(
                        "{name}: must be a whole number from 1 to 10^8, got {v!r}", name=name, v=v
                    )
                )
        for name in ("block_size", "n_ubatch"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or not 0 < v <= 1_000_000:
                raise SpecError(
                    Message(
                        "{name}: must be a whole number from 1 to 10^6, got {v!r}", name=name, v=v
                    )
                )


class Method(Protocol):
    """A way of estimating memory: the article's formulas or a serving engine's allocator."""

    id: str
    label: str
    description: str

    def estimate(
        self,
        model: ModelSpec,
        fmt: WeightFormat,
        workload: Workload,
        deployment: Deployment,
        settings: EngineSettings,
        checkpoint: CheckpointWeights | None = None,
    ) -> Estimate: ...


def check_parallelism(model: ModelSpec, deployment: Deployment) -> None:
    """Reject splits the engines refuse: more pipeline stages than layers, TP not dividing the
    attention heads, KV heads neither split evenly nor replicated evenly."""
    pp, tp = deployment.pipeline_parallel_size, deployment.tensor_parallel_size
    if pp > model.num_hidden_layers:
        raise SpecError(
            Message(
                "pipeline_parallel_size: {pp} stages for {num_hidden_layers} layers",
                pp=pp,
                num_hidden_layers=model.num_hidden_layers,
            )
        )
    if not model.attention_layer_indices and model.state is not None:
        # A pure state-space model: TP splits the Mamba heads / inner channels instead.
        split = model.state.num_heads or model.state.intermediate_size
        if split % tp:
            raise SpecError(
                Message(
                    "tensor_parallel_size: {tp} does not divide the {split} state heads/channels",
                    tp=tp,
                    split=split,
                )
            )
        return
    if model.num_attention_heads % tp:
        raise SpecError(
            Message(
                "tensor_parallel_size: {tp} does not divide num_attention_heads {num_attention_heads}",
                tp=tp,
                num_attention_heads=model.num_attention_heads,
            )
        )
    kv = model.num_key_value_heads
    if not model.is_mla and (kv % tp if tp < kv else tp % kv):
        # vLLM QKVParallelLinear: KV heads split evenly over TP, or each replicated TP / kv times.
        raise SpecError(
            Message(
                "tensor_parallel_size: {tp} neither divides num_key_value_heads {kv} nor is a multiple of it",
                tp=tp,
                kv=kv,
            )
        )
