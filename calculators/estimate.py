"""The result of a method: a per-GPU memory breakdown, capacity, sweeps and solvers.

Every method (the article's, vLLM's, SGLang's, llama.cpp's) reduces a configuration to the same
shape, per GPU of each pipeline stage:

    total(C, L) = fixed + C × batch × (KV(L) + activations_per_token × L)

``fixed`` (weights, a flat activation reserve, overhead) does not depend on concurrency C; the
per-request part is linear in C. That makes the charts' sweeps closed-form NumPy expressions and
the solvers exact. Unit: bytes throughout; ``max_concurrency`` is a number of requests (a float,
as vLLM prints it: ``Maximum concurrency for 8192 tokens per request: 58.11x``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from calculators.checkpoint import WeightsOrigin
from calculators.kv_cache import KVLayout
from calculators.messages import N_, Message
from calculators.params import ParameterBreakdown
from calculators.spec import MAX_BYTES, Deployment, SpecError, Workload

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

_INT64_MAX = 2**63 - 1


def _check_int64(largest: int, what: str) -> None:
    """Refuse an array computation whose largest value would wrap around in NumPy's int64."""
    if largest > _INT64_MAX:
        raise SpecError(
            Message(
                "{what}: {largest:.3g} bytes is beyond what can be computed (over 2^63); lower the context, the concurrency or the model size",
                what=Message(what),
                largest=largest,
            )
        )


def _eib(n: int) -> str:
    return f"{n / 2**60:,.3g} EiB" if n >= 2**50 else f"{n / 2**40:,.3g} TiB"


@dataclass(frozen=True)
class MemoryBreakdown:
    """Memory of one GPU by component. ``total_bytes`` is always the sum of the parts.

    ``state_bytes`` is the constant per-request state of Mamba / linear-attention layers (0 for
    attention-only models): C requests hold C states, whatever their length.
    """

    weights_bytes: int
    kv_cache_bytes: int
    activation_bytes: int
    overhead_bytes: int
    state_bytes: int = 0

    @property
    def total_bytes(self) -> int:
        return (
            self.weights_bytes
            + self.kv_cache_bytes
            + self.activation_bytes
            + self.overhead_bytes
            + self.state_bytes
        )

    def as_dict(self) -> dict[str, int]:
        return {
            "weights_bytes": self.weights_bytes,
            "kv_cache_bytes": self.kv_cache_bytes,
            "activation_bytes": self.activation_bytes,
            "overhead_bytes": self.overhead_bytes,
            "state_bytes": self.state_bytes,
            "total_bytes": self.total_bytes,
        }


COMPONENTS: tuple[str, ...] = ("weights", "kv_cache", "activations", "overhead", "state")


@dataclass(frozen=True)
class StageCost:
    """What one GPU of a pipeline stage holds: fixed parts and the cost of one request."""

    weights_bytes: int
    activation_reserve_bytes: int  # flat activation peak (engines); 0 in the article's method
    overhead_bytes: int  # fixed overhead (α × weights, CUDA context, graphs, ...)
    kv_layout: KVLayout
    activation_bytes_per_token: int  # per sequence and token (article's method); 0 for engines
    block_size: int = 1  # KV is allocated in blocks of this many tokens
    state_bytes_per_sequence: int = 0  # Mamba / linear-attention state of one sequence

    @property
    def fixed_bytes(self) -> int:
        return self.weights_bytes + self.activation_reserve_bytes + self.overhead_bytes

    def allocated_tokens(self, tokens: int) -> int:
        return -(-tokens // self.block_size) * self.block_size

    def kv_request_bytes(self, tokens: int, batch: int) -> int:
        return self.kv_layout.bytes_for_tokens(self.allocated_tokens(tokens)) * batch

    def activation_request_bytes(self, tokens: int, batch: int) -> int:
        return self.activation_bytes_per_token * tokens * batch

    def state_request_bytes(self, batch: int) -> int:
        return self.state_bytes_per_sequence * batch

    def request_bytes(self, tokens: int, batch: int) -> int:
        return (
            self.kv_request_bytes(tokens, batch)
            + self.activation_request_bytes(tokens, batch)
            + self.state_request_bytes(batch)
        )

    def request_bytes_array(self, tokens: IntArray, batch: int) -> IntArray:
        t = np.asarray(tokens, dtype=np.int64)
        if t.size:  # the cost grows with tokens: the largest count bounds every entry
            _check_int64(self.request_bytes(int(t.max()), batch), N_("one request"))
        alloc = -(-t // self.block_size) * self.block_size
        kv = self.kv_layout.bytes_for_tokens_array(alloc)
        return (kv + self.activation_bytes_per_token * t + self.state_bytes_per_sequence) * batch

    def breakdown(self, concurrency: int, tokens: int, batch: int) -> MemoryBreakdown:
        return MemoryBreakdown(
            weights_bytes=self.weights_bytes,
            kv_cache_bytes=concurrency * self.kv_request_bytes(tokens, batch),
            activation_bytes=self.activation_reserve_bytes
            + concurrency * self.activation_request_bytes(tokens, batch),
            overhead_bytes=self.overhead_bytes,
            state_bytes=concurrency * self.state_request_bytes(batch),
        )


@dataclass(frozen=True)
class Capacity:
    """How many requests one model replica holds within a GPU budget."""

    budget_bytes: int  # per GPU: device memory × utilisation
    kv_pool_bytes: int  # per GPU: what is left for the KV cache
    kv_tokens: int  # tokens the pool holds (limiting rank)
    max_concurrency: float  # requests of context_len tokens, per replica
    max_concurrency_at_avg: float | None  # requests of avg_tokens tokens, per replica
    replicas: int
    fits: bool  # the workload's concurrency fits
    headroom_bytes: int  # budget − total at the workload's concurrency (negative: short)

    @property
    def max_concurrent_requests(self) -> int:
        """Whole requests at the full context over all replicas."""
        return max(0, math.floor(self.max_concurrency + 1e-9)) * self.replicas

    def as_dict(self) -> dict[str, object]:
        return {
            "budget_bytes": self.budget_bytes,
            "kv_pool_bytes": self.kv_pool_bytes,
            "kv_tokens": self.kv_tokens,
            "max_concurrency": round(self.max_concurrency, 4),
            "max_concurrency_at_avg_tokens": (
                None
                if self.max_concurrency_at_avg is None
                else round(self.max_concurrency_at_avg, 4)
            ),
            "max_concurrent_requests": self.max_concurrent_requests,
            "replicas": self.replicas,
            "fits": self.fits,
            "headroom_bytes": self.headroom_bytes,
        }


@dataclass(frozen=True)
class ComponentRange:
    """Low/high bounds of one empirical term, in bytes, with why."""

    name: str
    nominal_bytes: int  # the value the estimate uses
    low_bytes: int
    high_bytes: int
    source: str


@dataclass(frozen=True)
class Estimate:
    """A method's answer for one configuration (all figures per GPU unless named otherwise)."""

    method: str
    workload: Workload
    deployment: Deployment
    stages: tuple[StageCost, ...]
    parameters: ParameterBreakdown
    budget_bytes: int | None
    kv_pool_bytes_override: tuple[int, ...] | None = None  # engines that size the pool themselves
    kv_tokens_override: tuple[int, ...] | None = None  # the token capacity the engine reports
    reserves_full_context: bool = False  # KV allocated for the whole context per slot (llama.cpp)
    notes: tuple[str, ...] = field(default=())
    ranges: tuple[ComponentRange, ...] = field(default=())
    details: tuple[tuple[str, int], ...] = field(default=())
    weights_origin: WeightsOrigin | None = None  # checkpoint bytes or parameters × bits

    def __post_init__(self) -> None:
        w = self.workload
        for s in self.stages:
            total = s.fixed_bytes + w.concurrency * s.request_bytes(w.context_len, w.batch_size)
            if total > MAX_BYTES or s.fixed_bytes > MAX_BYTES:
                raise SpecError(
                    Message(
                        "memory: {v1} per GPU for {concurrency:,} request(s) of {context_len:,} tokens is over the {v2} limit (no GPU is within a million times of it); lower the context, the concurrency or the model size",
                        v1=_eib(total),
                        concurrency=w.concurrency,
                        context_len=w.context_len,
                        v2=_eib(MAX_BYTES),
                    )
                )

    # -- the limiting GPU ---------------------------------------------------------------------
    def _stage_totals(self, concurrency: int) -> list[int]:
        w = self.workload
        return [
            s.fixed_bytes + concurrency * s.request_bytes(w.context_len, w.batch_size)
            for s in self.stages
        ]

    @cached_property
    def _stage_capacities(self) -> tuple[float, ...]:
        """Requests of ``context_len`` tokens each stage's GPU holds (needs a budget)."""
        return tuple(
            self._stage_max_concurrency(i, self.workload.context_len)
            for i in range(len(self.stages))
        )

    @cached_property
    def limiting_stage(self) -> int:
        """Index of the pipeline stage whose GPU runs out first."""
        if self.budget_bytes is not None:
            return int(np.argmin(self._stage_capacities))
        totals = self._stage_totals(self.workload.concurrency)
        return int(np.argmax(totals))

    @cached_property
    def per_gpu(self) -> MemoryBreakdown:
        """Breakdown on the limiting GPU at the workload's concurrency and context."""
        w = self.workload
        return self.stages[self.limiting_stage].breakdown(
            w.concurrency, w.context_len, w.batch_size
        )

    @property
    def per_request_bytes(self) -> int:
        w = self.workload
        return self.stages[self.limiting_stage].request_bytes(w.context_len, w.batch_size)

    @property
    def fixed_bytes(self) -> int:
        return self.stages[self.limiting_stage].fixed_bytes

    @property
    def state_bytes_per_request(self) -> int:
        """Mamba / linear-attention state one request holds on the limiting GPU (0 without)."""
        return self.stages[self.limiting_stage].state_request_bytes(self.workload.batch_size)

    @property
    def kv_bytes_per_token(self) -> int:
        """KV bytes one token adds on the limiting GPU, all its layers, full attention."""
        return max(s.kv_layout.bytes_per_token for s in self.stages)

    # -- capacity -----------------------------------------------------------------------------
    def _stage_pool(self, i: int) -> int:
        if self.kv_pool_bytes_override is not None:
            return self.kv_pool_bytes_override[i]
        assert self.budget_bytes is not None
        s = self.stages[i]
        w = self.workload
        free = self.budget_bytes - s.fixed_bytes
        kv = s.kv_request_bytes(w.context_len, w.batch_size) + s.state_request_bytes(w.batch_size)
        act = s.activation_request_bytes(w.context_len, w.batch_size)
        if free <= 0 or kv + act == 0:
            return max(0, free)
        return int(free * kv // (kv + act))

    def _stage_max_concurrency(self, i: int, tokens: int) -> float:
        assert self.budget_bytes is not None
        s = self.stages[i]
        b = self.workload.batch_size
        if self.kv_pool_bytes_override is not None:
            pool = self.kv_pool_bytes_override[i]
            return max(0.0, pool / max(1, s.request_bytes(tokens, b)))
        free = self.budget_bytes - s.fixed_bytes
        per = s.request_bytes(tokens, b)
        return max(0.0, free / per) if per else math.inf

    def _stage_kv_tokens(self, i: int) -> int:
        if self.kv_tokens_override is not None:
            return self.kv_tokens_override[i]
        s = self.stages[i]
        pool = self._stage_pool(i)
        layout = s.kv_layout
        has_window = any(g.window is not None for g in layout.groups)
        if has_window or s.state_bytes_per_sequence:
            # Hybrid models: tokens = requests that fit × tokens per request (vLLM's convention).
            return int(
                self._stage_max_concurrency(i, self.workload.context_len)
                * self.workload.context_len
            )
        per_block = layout.bytes_for_tokens(s.block_size)
        if per_block <= 0:
            return 0
        return (pool // per_block) * s.block_size

    @cached_property
    def capacity(self) -> Capacity | None:
        if self.budget_bytes is None:
            return None
        w = self.workload
        n = len(self.stages)
        lim = self.limiting_stage
        conc = self._stage_capacities[lim]
        avg = (
            None
            if w.avg_tokens is None
            else conc
            if self.reserves_full_context
            else min(self._stage_max_concurrency(i, w.avg_tokens) for i in range(n))
        )
        total = self.per_gpu.total_bytes
        return Capacity(
            budget_bytes=self.budget_bytes,
            kv_pool_bytes=self._stage_pool(lim),
            kv_tokens=min(self._stage_kv_tokens(i) for i in range(n)),
            max_concurrency=conc,
            max_concurrency_at_avg=avg,
            replicas=self.deployment.data_parallel_size,
            fits=total <= self.budget_bytes and conc >= w.concurrency,
            headroom_bytes=self.budget_bytes - total,
        )

    # -- sweeps (vectorised) --------------------------------------------------------------------
    def concurrency_sweep(self, concurrencies: IntArray) -> dict[str, IntArray]:
        """Per-GPU bytes by component for each concurrency (limiting stage), as int64 arrays.

        SpecError when the largest total would not fit int64 (see :meth:`max_sweep_concurrency`).
        """
        c = np.asarray(concurrencies, dtype=np.int64)
        s = self.stages[self.limiting_stage]
        w = self.workload
        kv = s.kv_request_bytes(w.context_len, w.batch_size)
        act = s.activation_request_bytes(w.context_len, w.batch_size)
        state = s.state_request_bytes(w.batch_size)
        if c.size:
            _check_int64(
                s.fixed_bytes + max(0, int(c.max())) * (kv + act + state),
                N_("concurrency sweep total"),
            )
        out = {
            "weights": np.full_like(c, s.weights_bytes),
            "kv_cache": c * kv,
            "activations": s.activation_reserve_bytes + c * act,
            "overhead": np.full_like(c, s.overhead_bytes),
            "state": c * state,
        }
        out["total"] = (
            out["weights"] + out["kv_cache"] + out["activations"] + out["overhead"] + out["state"]
        )
        return out

    def total_grid(self, concurrencies: IntArray, contexts: IntArray) -> IntArray:
        """Per-GPU total bytes for every (concurrency, context) pair: shape (len(C), len(L)).

        The maximum over pipeline stages, so the grid shows the GPU that runs out first.
        """
        c = np.asarray(concurrencies, dtype=np.int64)[:, None]
        grids = []
        top_c = max(0, int(c.max())) if c.size else 0
        for s in self.stages:
            per = s.request_bytes_array(
                np.asarray(contexts, dtype=np.int64), self.workload.batch_size
            )
            if per.size:
                _check_int64(s.fixed_bytes + top_c * int(per.max()), N_("grid total"))
            grids.append(s.fixed_bytes + c * per[None, :])
        return np.max(np.stack(grids), axis=0) if len(grids) > 1 else grids[0]

    def max_sweep_concurrency(self) -> int:
        """The most requests a sweep may reach while the total stays within MAX_BYTES per GPU
        (at least the workload's concurrency, which the estimate was checked for)."""
        s = self.stages[self.limiting_stage]
        w = self.workload
        per = s.request_bytes(w.context_len, w.batch_size)
        if per <= 0:
            return MAX_BYTES
        return max(w.concurrency, (MAX_BYTES - s.fixed_bytes) // per)

    def max_concurrency_for_contexts(self, contexts: IntArray) -> FloatArray:
        """Requests per replica that fit the budget at each context length (vectorised)."""
        if self.budget_bytes is None:
            raise ValueError(N_("no GPU budget: give a GPU to solve for concurrency"))
        best = None
        tokens = np.asarray(contexts, dtype=np.int64)
        b = self.workload.batch_size
        for i, s in enumerate(self.stages):
            if tokens.size and s.request_bytes(int(tokens.max()), b) > _INT64_MAX:
                # beyond int64: exact Python integers, then floats (the answer is a float)
                per = np.array([float(s.request_bytes(int(t), b)) for t in tokens.ravel()])
                per = per.reshape(tokens.shape)
            else:
                per = s.request_bytes_array(tokens, b)
            if self.kv_pool_bytes_override is not None:
                free = self.kv_pool_bytes_override[i]
            else:
                free = self.budget_bytes - s.fixed_bytes
            val = np.maximum(0.0, free / np.maximum(per, 1))
            best = val if best is None else np.minimum(best, val)
        assert best is not None
        return best

    def max_context_for_concurrency(self, concurrency: int, limit: int | None = None) -> int:
        """Longest context (tokens) at which ``concurrency`` requests fit the budget (0: none)."""
        if self.budget_bytes is None:
            raise ValueError(N_("no GPU budget: give a GPU to solve for context"))
        hi = limit or 100_000_000
        lo = 0
        while lo < hi:  # monotone in context: binary search on whole tokens
            mid = (lo + hi + 1) // 2
            if float(self.max_concurrency_for_contexts(np.array([mid]))[0]) >= concurrency:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def max_concurrency_range(self) -> tuple[float, float] | None:
        """(low, high) requests at the full context when every ranged term is at its high/low end."""
        cap = self.capacity
        if cap is None or not self.ranges:
            return None
        worse = sum(r.high_bytes - r.nominal_bytes for r in self.ranges)
        better = sum(r.nominal_bytes - r.low_bytes for r in self.ranges)
        per = self.per_request_bytes
        if per <= 0:
            return None
        return (max(0.0, cap.max_concurrency - worse / per), cap.max_concurrency + better / per)

    def to_dict(self) -> dict[str, object]:
        cap = self.capacity
        out: dict[str, object] = {
            "method": self.method,
            "per_gpu": self.per_gpu.as_dict(),
            "kv_bytes_per_token": self.kv_bytes_per_token,
            "per_request_bytes": self.per_request_bytes,
            "state_bytes_per_request": self.state_bytes_per_request,
            "fixed_bytes": self.fixed_bytes,
            "parameters": self.parameters.total,
            "parameter_breakdown": self.parameters.as_dict(),
            "workload": {
                "context_len": self.workload.context_len,
                "concurrency": self.workload.concurrency,
                "batch_size": self.workload.batch_size,
                "avg_tokens": self.workload.avg_tokens,
            },
            "deployment": {
                "tensor_parallel_size": self.deployment.tensor_parallel_size,
                "pipeline_parallel_size": self.deployment.pipeline_parallel_size,
                "data_parallel_size": self.deployment.data_parallel_size,
                "gpus": self.deployment.num_gpus,
                "gpu": None if self.deployment.gpu is None else self.deployment.gpu.id,
            },
            "notes": list(self.notes),
        }
        if self.weights_origin is not None:
            out["weights_origin"] = self.weights_origin.as_dict()
        if self.details:
            out["details"] = dict(self.details)
        if self.ranges:
            out["ranges"] = {
                r.name: {
                    "bytes": r.nominal_bytes,
                    "low_bytes": r.low_bytes,
                    "high_bytes": r.high_bytes,
                    "source": r.source,
                }
                for r in self.ranges
            }
        if cap is not None:
            out["capacity"] = cap.as_dict()
            rng = self.max_concurrency_range()
            if rng is not None:
                out["capacity"]["max_concurrency_range"] = [round(rng[0], 2), round(rng[1], 2)]  # type: ignore[index]
        return out
