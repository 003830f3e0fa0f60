"""Planning solvers: the questions asked backwards.

The forward calculators answer "given this setup, how many requests fit". A planning meeting asks
the inverse, and this module answers it with the same methods (the article's conservative model
or an engine's allocator), so every answer names the memory model it used:

* :func:`longest_context`  the longest context per request at which ``concurrency`` requests fit
  a setup (vLLM: whole 16-token blocks of the paged pool; llama.cpp: ``n_ctx`` = slots × context);
* :func:`plan`             for a target concurrency at a context, the smallest TP × PP × replicas
  setup on every GPU type, with total GPUs, memory per GPU, headroom and the concurrency reached;
* :func:`format_ladder`    weight formats and KV dtypes from the highest precision down, with what
  each step down buys on one setup, and the best (highest-precision) one that holds the target.

How the search is bounded (each rule named, so "smallest" has one meaning):

* tensor parallel sizes are those the model's heads allow (:func:`valid_tensor_parallel_sizes`:
  TP divides the attention heads; KV heads divide by TP, or are replicated when TP is a multiple of
  them, as vLLM's ``QKVParallelLinear`` requires) up to ``max_tp`` (:data:`GPUS_PER_NODE`);
* pipeline stages where needed: any TP × PP within ``max_gpus_per_replica`` (default one node of
  :data:`GPUS_PER_NODE`); a model too large for that gets the fewest stages that hold one
  full-context request (replicas of one pipeline across nodes, as deployed, rather than long
  pipelines that save a few GPUs at the cost of latency); raise ``max_gpus_per_replica`` to let
  the search trade more stages for fewer GPUs;
* replicas in closed form: ``ceil(target / requests per replica)``, vectorised over targets;
* among setups with the fewest GPUs: the fewest stages, then the most requests reached.

The forward estimate of one replica is the only place memory is computed; everything here is
arithmetic on its capacity. Units: bytes; concurrency in whole requests.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from calculators.estimate import Estimate
from calculators.formats import KV_DTYPES, WEIGHT_FORMATS, KVDtype, WeightFormat, kv_dtype
from calculators.kv_cache import kv_layout
from calculators.messages import N_, Message
from calculators.methods import EngineSettings, get_method
from calculators.methods.engine_common import parse_version
from calculators.methods.vllm import DEFAULT_VERSION as VLLM_DEFAULT_VERSION
from calculators.spec import Deployment, GPUSpec, ModelSpec, SpecError, Workload
from calculators.weights import weight_groups, weights_bytes

IntArray = npt.NDArray[np.int64]

# Tensor parallelism stays inside one node: HGX/DGX H100 and B200 baseboards and AMD MI300X
# platforms connect 8 GPUs by NVLink / Infinity Fabric (NVIDIA DGX H100 user guide; AMD Instinct
# MI300X platform brief). Unit: GPUs.
GPUS_PER_NODE: Final[int] = 8
# The largest replica the search considers: 8 nodes of 8 GPUs. A search bound, not a measurement:
# a GPU type that needs more per replica is reported as not holding the target. Unit: GPUs.
MAX_GPUS_PER_REPLICA: Final[int] = 64
# Slack on float capacities before taking whole requests (as Capacity.max_concurrent_requests).
_EPS: Final[float] = 1e-9

Measure = Literal["full_context", "avg_tokens"]


def _method_text(method: str) -> tuple[str, str]:
    m = get_method(method)
    return m.label, m.description


def valid_tensor_parallel_sizes(model: ModelSpec, max_tp: int = GPUS_PER_NODE) -> tuple[int, ...]:
    """Tensor-parallel sizes up to ``max_tp`` the model's heads allow.

    TP must divide ``num_attention_heads``; for grouped-query attention the KV heads must divide
    by TP, or TP must be a multiple of them (each KV head is then replicated TP / kv_heads times;
    vLLM ``QKVParallelLinear``). MLA keeps one latent per token on every rank: no KV-head rule.
    """
    out = []
    for tp in range(1, max(1, max_tp) + 1):
        if model.num_attention_heads % tp:
            continue
        kv = model.num_key_value_heads
        if not model.is_mla and (kv % tp if tp < kv else tp % kv):
            continue
        out.append(tp)
    return tuple(out)


def _uses_tensor_parallel(method: str) -> bool:
    """llama.cpp splits layers over its GPUs (a pipeline of stages), never tensors."""
    return method != "llamacpp"


@lru_cache(maxsize=8192)
def _replica_estimate(
    model: ModelSpec,
    fmt_id: str,
    context_len: int,
    avg_tokens: int | None,
    kv_cache_dtype: str,
    batch_size: int,
    gpu: GPUSpec,
    tp: int,
    pp: int,
    settings: EngineSettings,
    method: str,
) -> Estimate:
    """The forward estimate of one replica (concurrency 1: capacity does not depend on it)."""
    from calculators import estimate  # the public entry point (avoids an import cycle)

    return estimate(
        model,
        fmt_id,
        Workload(
            context_len=context_len,
            concurrency=1,
            batch_size=batch_size,
            kv_cache_dtype=kv_cache_dtype,
            avg_tokens=avg_tokens,
        ),
        Deployment(tp, pp, 1, gpu),
        settings,
        method,
    )


@dataclass(frozen=True)
class Target:
    """What has to be served: ``concurrency`` requests of up to ``context_len`` tokens.

    ``avg_tokens``: the average prompt + output a request really holds; paged engines (vLLM,
    SGLang) are then sized at that length (and must still hold one full-context request).
    """

    concurrency: int
    context_len: int
    avg_tokens: int | None = None
    kv_cache_dtype: str = "auto"
    batch_size: int = 1

    def __post_init__(self) -> None:
        Workload(  # the same checks as the forward calculators
            context_len=self.context_len,
            concurrency=self.concurrency,
            batch_size=self.batch_size,
            kv_cache_dtype=self.kv_cache_dtype,
            avg_tokens=self.avg_tokens,
        )


def requests_per_replica(est: Estimate) -> tuple[int, Measure]:
    """Whole requests one replica of ``est`` holds, and at which length they are counted.

    Paged engines with an average length: requests of ``avg_tokens`` (vLLM's pool is shared by
    the tokens in use), provided one full-context request fits (vLLM refuses to start otherwise).
    Else requests of the full context. 0: not even one full-context request fits.
    """
    cap = est.capacity
    if cap is None:
        raise ValueError("no GPU budget: give a GPU to plan")
    full = max(0, math.floor(cap.max_concurrency + _EPS))
    if full < 1:
        return 0, "full_context"
    if cap.max_concurrency_at_avg is not None and not est.reserves_full_context:
        return max(0, math.floor(cap.max_concurrency_at_avg + _EPS)), "avg_tokens"
    return full, "full_context"


@dataclass(frozen=True)
class ReplicaOption:
    """One replica shape on one GPU type: TP × PP GPUs and the requests it holds."""

    tensor_parallel_size: int
    pipeline_parallel_size: int
    requests: int  # whole requests per replica (0: does not hold one full-context request)
    measure: Measure
    estimate: Estimate

    @property
    def gpus_per_replica(self) -> int:
        return self.tensor_parallel_size * self.pipeline_parallel_size


@dataclass(frozen=True)
class Setup:
    """The smallest setup on one GPU type that holds the target."""

    gpu: GPUSpec
    tensor_parallel_size: int
    pipeline_parallel_size: int
    replicas: int
    requests_per_replica: int
    measure: Measure
    load_per_replica: int  # ceil(target / replicas): the requests each replica serves
    budget_bytes: int  # per GPU, as the method budgets it (device × utilisation)
    used_bytes: int  # per GPU on the fullest stage at the target load
    price_per_gpu_hour: float | None = None  # user-given, currency as given (e.g. USD)
    estimate: Estimate | None = field(default=None, compare=False, repr=False)  # one replica

    @property
    def gpus_per_replica(self) -> int:
        return self.tensor_parallel_size * self.pipeline_parallel_size

    @property
    def total_gpus(self) -> int:
        return self.gpus_per_replica * self.replicas

    @property
    def concurrency_reached(self) -> int:
        """Whole requests the setup holds (per replica × replicas) at the plan's length."""
        return self.requests_per_replica * self.replicas

    @property
    def headroom_bytes(self) -> int:
        """Per GPU: budget − what the target load uses (≥ 0 for a setup that holds it)."""
        return self.budget_bytes - self.used_bytes

    @property
    def cost_per_hour(self) -> float | None:
        if self.price_per_gpu_hour is None:
            return None
        return self.total_gpus * self.price_per_gpu_hour

    @property
    def cost_per_1000_requests_hour(self) -> float | None:
        """Cost per hour of 1,000 concurrent requests at this setup's density (reached)."""
        cost = self.cost_per_hour
        if cost is None or self.concurrency_reached <= 0:
            return None
        return cost * 1000 / self.concurrency_reached

    def as_dict(self) -> dict[str, object]:
        return {
            "gpu": self.gpu.id,
            "gpu_name": self.gpu.name,
            "tensor_parallel_size": self.tensor_parallel_size,
            "pipeline_parallel_size": self.pipeline_parallel_size,
            "replicas": self.replicas,
            "total_gpus": self.total_gpus,
            "requests_per_replica": self.requests_per_replica,
            "counted_at": self.measure,
            "load_per_replica": self.load_per_replica,
            "concurrency_reached": self.concurrency_reached,
            "budget_bytes_per_gpu": self.budget_bytes,
            "used_bytes_per_gpu": self.used_bytes,
            "headroom_bytes_per_gpu": self.headroom_bytes,
            "price_per_gpu_hour": self.price_per_gpu_hour,
            "cost_per_hour": _round(self.cost_per_hour),
            "cost_per_1000_concurrent_requests_hour": _round(self.cost_per_1000_requests_hour),
        }


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


@dataclass(frozen=True)
class GPUPlan:
    """Every replica shape considered on one GPU type, and the smallest setup (or why none)."""

    gpu: GPUSpec
    options: tuple[ReplicaOption, ...]
    setup: Setup | None
    reason: str = ""  # why no setup holds the target

    def gpus_needed(self, targets: IntArray) -> IntArray:
        """Total GPUs of the smallest setup for each target concurrency (0: none holds it).

        ``min over replica shapes of TP × PP × ceil(target / requests per replica)``: the closed
        form :func:`plan` uses, vectorised over the targets.
        """
        t = np.asarray(targets, dtype=np.int64)
        usable = [o for o in self.options if o.requests > 0]
        if not usable:
            return np.zeros_like(t)
        req = np.array([o.requests for o in usable], dtype=np.int64)[:, None]
        gpr = np.array([o.gpus_per_replica for o in usable], dtype=np.int64)[:, None]
        need = gpr * (-(-t[None, :] // req))
        return np.asarray(need.min(axis=0), dtype=np.int64)


@dataclass(frozen=True)
class Plan:
    """The answer to "what does it take": one entry per GPU type, sorted by total GPUs."""

    method: str
    method_label: str
    memory_model: str  # the method's description: which memory model every figure uses
    model_name: str
    weight_format: str
    kv_cache_dtype: str
    target: Target
    gpus: tuple[GPUPlan, ...]
    max_tp: int
    max_gpus_per_replica: int
    model: ModelSpec = field(repr=False, compare=False)
    settings: EngineSettings = field(repr=False, compare=False)

    def setup_estimate(self, setup: Setup) -> Estimate:
        """The forward estimate of ``setup`` at its real load (e.g. llama.cpp's -c and --parallel
        in its notes): one call of the forward calculators, made only when asked."""
        from calculators import estimate  # the public entry point (avoids an import cycle)

        t = self.target
        return estimate(
            self.model,
            self.weight_format,
            Workload(  # the forward methods count the workload's concurrency per replica
                context_len=t.context_len,
                concurrency=setup.load_per_replica,
                batch_size=t.batch_size,
                kv_cache_dtype=t.kv_cache_dtype,
                avg_tokens=t.avg_tokens,
            ),
            Deployment(
                setup.tensor_parallel_size,
                setup.pipeline_parallel_size,
                setup.replicas,
                setup.gpu,
            ),
            self.settings,
            self.method,
        )

    @property
    def setups(self) -> tuple[Setup, ...]:
        return tuple(g.setup for g in self.gpus if g.setup is not None)

    @property
    def impossible(self) -> tuple[GPUPlan, ...]:
        return tuple(g for g in self.gpus if g.setup is None)

    def gpus_needed(self, targets: IntArray) -> dict[str, IntArray]:
        """GPU id -> total GPUs needed for each target concurrency (0: impossible)."""
        return {g.gpu.id: g.gpus_needed(targets) for g in self.gpus}

    def as_dict(self) -> dict[str, object]:
        t = self.target
        return {
            "method": self.method,
            "memory_model": f"{self.method_label}: {self.memory_model}",
            "model": self.model_name,
            "weights_format": self.weight_format,
            "kv_cache_dtype": self.kv_cache_dtype,
            "target": {
                "concurrency": t.concurrency,
                "context_len": t.context_len,
                "avg_tokens": t.avg_tokens,
                "batch_size": t.batch_size,
            },
            "search": {
                "tensor_parallel": Message(
                    "sizes the heads allow, up to {max_tp}", max_tp=self.max_tp
                ),
                "pipeline_parallel": (
                    Message(
                        "any, while a replica has at most {max_gpus_per_replica} GPUs; beyond that "
                        "only the fewest stages that hold one request",
                        max_gpus_per_replica=self.max_gpus_per_replica,
                    )
                ),
                "replicas": "ceil(target / requests per replica)",
                "order": "fewest GPUs, then fewest stages, then most requests reached",
            },
            "setups": [
                {**s.as_dict(), "notes": list(self.setup_estimate(s).notes)} for s in self.setups
            ],
            "not_possible": [{"gpu": g.gpu.id, "reason": g.reason} for g in self.impossible],
        }


def _used_bytes(est: Estimate, load: int, tokens: int) -> int:
    """Per-GPU bytes the fullest stage uses with ``load`` requests of ``tokens`` tokens.

    Engines that size a pool (vLLM, SGLang): budget − (pool − the KV the load holds); others:
    fixed + load × per-request bytes.
    """
    assert est.budget_bytes is not None
    b = est.workload.batch_size
    worst = 0
    for i, s in enumerate(est.stages):
        per = s.request_bytes(tokens, b)
        if est.kv_pool_bytes_override is not None:
            used = est.budget_bytes - (est.kv_pool_bytes_override[i] - load * per)
        else:
            used = s.fixed_bytes + load * per
        worst = max(worst, used)
    return worst


def replica_options(
    model: ModelSpec,
    fmt_id: str,
    target: Target,
    gpu: GPUSpec,
    settings: EngineSettings,
    method: str,
    max_tp: int = GPUS_PER_NODE,
    max_gpus_per_replica: int = GPUS_PER_NODE,
) -> tuple[ReplicaOption, ...]:
    """Every replica shape (TP, PP) of the search space, with the requests each holds.

    For each allowed TP the fewest stages that hold one full-context request are found first;
    then every further stage count while the replica has at most ``max_gpus_per_replica`` GPUs.
    The options do not depend on the target (only the replica count does), so one search serves
    every target: :meth:`GPUPlan.gpus_needed` is exact at any concurrency. A TP that holds no
    request even at the largest replica is listed once with ``requests = 0``.
    """
    return _replica_options(
        model,
        fmt_id.lower(),
        target.context_len,
        target.avg_tokens,
        target.kv_cache_dtype,
        target.batch_size,
        gpu,
        settings,
        method,
        max_tp,
        max_gpus_per_replica,
    )


@lru_cache(maxsize=1024)
def _replica_options(
    model: ModelSpec,
    fmt_id: str,
    context_len: int,
    avg_tokens: int | None,
    kv_cache_dtype: str,
    batch_size: int,
    gpu: GPUSpec,
    settings: EngineSettings,
    method: str,
    max_tp: int,
    max_gpus_per_replica: int,
) -> tuple[ReplicaOption, ...]:
    tps = valid_tensor_parallel_sizes(model, max_tp) if _uses_tensor_parallel(method) else (1,)
    fmt = WEIGHT_FORMATS[fmt_id]
    # A lower bound on one request's footprint over the whole replica: the weights without the
    # token embedding (llama.cpp keeps it on the host) and the KV of one full-context request.
    kv_id = "fp16" if method == "llamacpp" and kv_cache_dtype == "auto" else kv_cache_dtype
    one = (
        weights_bytes(model, fmt)
        - weight_groups(model, fmt).embedding_bytes
        + kv_layout(model, kv_dtype(kv_id, model.torch_dtype)).bytes_for_tokens(context_len)
        * batch_size
    )
    out: list[ReplicaOption] = []
    for tp in tps:
        max_pp = min(model.num_hidden_layers, max(1, MAX_GPUS_PER_REPLICA // tp))
        # Fewer stages than this cannot hold it: some GPU would hold more than the device has.
        lo = max(1, min(max_pp, one // (tp * gpu.memory_bytes)))

        def at(stages: int, tp: int = tp) -> tuple[Estimate, int, Measure]:
            est = _replica_estimate(
                model,
                fmt_id,
                context_len,
                avg_tokens,
                kv_cache_dtype,
                batch_size,
                gpu,
                tp,
                stages,
                settings,
                method,
            )
            return (est, *requests_per_replica(est))

        first = _fewest_stages(tp, lo, max_pp, at, linear=method == "sglang")
        out.append(first)
        if first.requests == 0:
            continue
        # More stages than needed while the replica stays within ``max_gpus_per_replica``.
        for pp in range(
            first.pipeline_parallel_size + 1, min(max_pp, max_gpus_per_replica // tp) + 1
        ):
            est, requests, measure = at(pp)
            out.append(ReplicaOption(tp, pp, requests, measure, est))
    return tuple(sorted(out, key=lambda o: (o.tensor_parallel_size, o.pipeline_parallel_size)))


def _fewest_stages(
    tp: int,
    lo: int,
    max_pp: int,
    at: Callable[[int], tuple[Estimate, int, Measure]],
    linear: bool,
) -> ReplicaOption:
    """The fewest pipeline stages from ``lo`` to ``max_pp`` at which a replica holds a request.

    Memory per GPU falls as stages are added (fewer layers each), so the search gallops up from
    the lower bound and bisects the last bracket; SGLang, whose reserve grows with the GPU count
    (``tp × pp / 8`` GiB), is scanned one stage at a time. Either way the answer is checked
    against one stage fewer.
    """
    seen: dict[int, tuple[Estimate, int, Measure]] = {}

    def get(p: int) -> tuple[Estimate, int, Measure]:
        if p not in seen:
            seen[p] = at(p)
        return seen[p]

    found = None
    if linear:
        found = next((p for p in range(lo, max_pp + 1) if get(p)[1] > 0), None)
    else:
        last_fail, step, p = lo - 1, 1, lo
        while found is None:
            if get(p)[1] > 0:
                found = p
            elif p >= max_pp:
                break
            else:
                last_fail, p, step = p, min(max_pp, p + step), step * 2
        if found is not None:
            a, b = last_fail, found  # get(a) fails (or a < lo), get(b) holds
            while b - a > 1:
                mid = (a + b) // 2
                a, b = (a, mid) if get(mid)[1] > 0 else (mid, b)
            found = b
            while found > lo and get(found - 1)[1] > 0:  # one stage fewer must not hold
                found -= 1
    pp = max_pp if found is None else found
    est, requests, measure = get(pp)
    return ReplicaOption(
        tensor_parallel_size=tp,
        pipeline_parallel_size=pp,
        requests=requests,
        measure=measure,
        estimate=est,
    )


def _setup_for(
    gpu: GPUSpec,
    options: Sequence[ReplicaOption],
    target: Target,
    price: float | None,
) -> Setup | None:
    usable = [o for o in options if o.requests > 0]
    if not usable:
        return None

    def key(o: ReplicaOption) -> tuple[int, int, int, int]:
        replicas = -(-target.concurrency // o.requests)
        total = o.gpus_per_replica * replicas
        # Fewest GPUs; then fewest stages (each adds latency); then the most requests reached.
        return (total, o.pipeline_parallel_size, -o.requests * replicas, o.tensor_parallel_size)

    best = min(usable, key=key)
    replicas = -(-target.concurrency // best.requests)
    load = -(-target.concurrency // replicas)
    tokens = (
        target.avg_tokens
        if best.measure == "avg_tokens" and target.avg_tokens is not None
        else target.context_len
    )
    est = best.estimate
    assert est.budget_bytes is not None
    return Setup(
        gpu=gpu,
        tensor_parallel_size=best.tensor_parallel_size,
        pipeline_parallel_size=best.pipeline_parallel_size,
        replicas=replicas,
        requests_per_replica=best.requests,
        measure=best.measure,
        load_per_replica=load,
        budget_bytes=est.budget_bytes,
        used_bytes=_used_bytes(est, load, tokens),
        price_per_gpu_hour=price,
        estimate=est,
    )


def plan(
    model: ModelSpec,
    fmt_id: str,
    target: Target,
    gpus: Iterable[GPUSpec],
    settings: EngineSettings | None = None,
    method: str = "article",
    prices: Mapping[str, float] | None = None,
    max_tp: int = GPUS_PER_NODE,
    max_gpus_per_replica: int = GPUS_PER_NODE,
) -> Plan:
    """The smallest TP × PP × replicas setup per GPU type that holds ``target``.

    Sorted by total GPUs (then cost per hour where prices are given, then GPU name). A GPU type
    where no replica holds one full-context request is listed with a reason.
    """
    settings = settings or EngineSettings()
    fmt = WEIGHT_FORMATS.get(fmt_id.lower())
    if fmt is None:
        raise ValueError(
            Message(
                "unknown weight format {fmt_id!r}; choose one of {weight_formats}",
                fmt_id=fmt_id,
                weight_formats=", ".join(WEIGHT_FORMATS),
            )
        )
    label, description = _method_text(method)
    prices = prices or {}
    entries = []
    for gpu in gpus:
        opts = replica_options(
            model, fmt.id, target, gpu, settings, method, max_tp, max_gpus_per_replica
        )
        setup = _setup_for(gpu, opts, target, prices.get(gpu.id))
        reason = ""
        if setup is None:
            reason = Message(
                "one request of {context_len:,} tokens does not fit a replica of up to "
                "{max_gpus_per_replica} GPUs (or one pipeline stage per layer)",
                context_len=target.context_len,
                max_gpus_per_replica=MAX_GPUS_PER_REPLICA,
            )
        entries.append(GPUPlan(gpu=gpu, options=opts, setup=setup, reason=reason))

    def order(g: GPUPlan) -> tuple[int, int, float, str]:
        if g.setup is None:
            return (1, 0, 0.0, g.gpu.name)
        cost = g.setup.cost_per_hour
        return (0, g.setup.total_gpus, math.inf if cost is None else cost, g.gpu.name)

    return Plan(
        method=method,
        method_label=label,
        memory_model=description,
        model_name=model.name,
        weight_format=fmt.id,
        kv_cache_dtype=kv_dtype(target.kv_cache_dtype, model.torch_dtype).id,
        target=target,
        gpus=tuple(sorted(entries, key=order)),
        max_tp=max_tp,
        max_gpus_per_replica=max_gpus_per_replica,
        model=model,
        settings=settings,
    )


# -- longest context ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ContextFit:
    """The longest context per request at which ``concurrency`` requests fit a setup."""

    method: str
    memory_model: str
    concurrency: int  # over all replicas
    per_replica: int  # requests each replica holds: ceil(concurrency / replicas)
    context_len: int  # tokens per request (0: not even one token fits)
    step: int  # granularity: the paged block (vLLM) or 1 token
    limited_by: Literal["memory", "model"]
    model_limit: int  # the model's max_position_embeddings
    n_ctx: int | None  # llama.cpp: -c for per_replica slots of context_len tokens

    def as_dict(self) -> dict[str, object]:
        return {
            "method": self.method,
            "memory_model": self.memory_model,
            "concurrency": self.concurrency,
            "per_replica": self.per_replica,
            "max_context_len": self.context_len,
            "granularity_tokens": self.step,
            "limited_by": self.limited_by,
            "model_max_position_embeddings": self.model_limit,
            "llamacpp_n_ctx": self.n_ctx,
        }


def _holds_full(est: Estimate, per_replica: int) -> bool:
    cap = est.capacity
    assert cap is not None
    return math.floor(cap.max_concurrency + _EPS) >= per_replica


# Points per round of the vectorised search for the longest context: 2 rounds cover the 131,072
# tokens of most models, 3 rounds 10^8 (one NumPy pass costs about the same for 64 or 512 points).
_SEARCH_POINTS: Final[int] = 512


def _largest_holding(est: Estimate, per_replica: int, hi: int) -> int:
    """Largest context in 0..hi at which ``est``'s stage costs hold ``per_replica`` requests.

    The closed form (:meth:`Estimate.max_concurrency_for_contexts`, monotone in the context)
    evaluated on a grid of :data:`_SEARCH_POINTS` contexts per round, narrowing to the bracket.
    """
    lo = 0  # holds (0 tokens trivially)
    top = hi + 1  # does not hold (beyond the limit)
    while top - lo > 1:
        grid = np.linspace(lo, top, _SEARCH_POINTS + 2)[1:-1].astype(np.int64)  # ascending
        keep = (grid > lo) & (grid < top)
        keep[1:] &= grid[1:] != grid[:-1]  # distinct (np.unique would sort again)
        grid = grid[keep]
        if grid.size == 0:
            break
        ok = np.floor(est.max_concurrency_for_contexts(grid) + _EPS) >= per_replica
        held = grid[ok]
        failed = grid[~ok]
        if held.size:
            lo = int(held.max())
        if failed.size:
            top = int(failed[failed > lo].min()) if np.any(failed > lo) else top
    return lo


def _closed_form_is_exact(est: Estimate, method: str, settings: EngineSettings) -> bool:
    """True when no stage cost depends on the context, so the closed form is the forward answer.

    Not so for vLLM's V0 engine (its profile run is max_model_len tokens long) and for vLLM's
    sliding-window / chunked layers (a request reserves min(window + batched tokens, context)).
    """
    if method != "vllm":
        return True
    if parse_version(settings.engine_version, VLLM_DEFAULT_VERSION) < (0, 8):
        return False
    return all(g.window is None for s in est.stages for g in s.kv_layout.groups)


def longest_context(
    model: ModelSpec,
    fmt_id: str,
    concurrency: int,
    deployment: Deployment,
    settings: EngineSettings | None = None,
    method: str = "article",
    kv_cache_dtype: str = "auto",
    batch_size: int = 1,
    limit: int | None = None,
) -> ContextFit:
    """Longest context (tokens per request) at which ``concurrency`` requests fit ``deployment``.

    Requests are spread over the replicas (``ceil(concurrency / replicas)`` each) and counted at
    the full context, as the engine must reserve it (vLLM ``max_model_len``; llama.cpp slots of
    ``n_ctx / parallel``). vLLM allocates whole blocks: the answer is a multiple of the block and
    one more block does not fit. Solved in closed form on the replica's stage costs, vectorised
    (:func:`_largest_holding`); where a stage cost depends on the context (vLLM V0, vLLM's
    sliding windows) the answer is checked with the forward estimate at it and one step beyond,
    and a binary search over forward estimates decides when the check fails. ``limit`` defaults
    to the model's ``max_position_embeddings``.
    """
    settings = settings or EngineSettings()
    gpu = deployment.gpu
    if gpu is None:
        raise ValueError(N_("no GPU budget: give a GPU to solve for the context"))
    label, description = _method_text(method)
    model_limit = model.max_position_embeddings
    hi = min(limit or model_limit, model_limit)
    replicas = deployment.data_parallel_size
    per_replica = -(-concurrency // replicas)
    step = settings.block_size if method == "vllm" else 1
    tp, pp = deployment.tensor_parallel_size, deployment.pipeline_parallel_size

    def est_at(tokens: int) -> Estimate:
        return _replica_estimate(
            model,
            fmt_id.lower(),
            tokens,
            None,
            kv_cache_dtype,
            batch_size,
            gpu,
            tp,
            pp,
            settings,
            method,
        )

    def holds(tokens: int) -> bool:
        return tokens <= hi and _holds_full(est_at(tokens), per_replica)

    top = est_at(hi)
    guess = _largest_holding(top, per_replica, hi)
    if not _closed_form_is_exact(top, method, settings):
        ok = guess == 0 or holds(guess)
        nxt = guess + 1 if step == 1 else (guess // step + 1) * step
        if not (ok and (guess >= hi or not holds(nxt))):
            lo, up = 0, hi  # binary search over forward estimates: holds(lo) or lo == 0
            while lo < up:
                mid = (lo + up + 1) // 2
                if holds(mid):
                    lo = mid
                else:
                    up = mid - 1
            guess = lo
    n_ctx = per_replica * guess if method == "llamacpp" else None
    return ContextFit(
        method=method,
        memory_model=f"{label}: {description}",
        concurrency=concurrency,
        per_replica=per_replica,
        context_len=guess,
        step=step,
        limited_by="model" if guess >= hi and hi == model_limit else "memory",
        model_limit=model_limit,
        n_ctx=n_ctx,
    )


# -- best weight format --------------------------------------------------------------------------


def weight_format_candidates(model: ModelSpec, method: str) -> tuple[WeightFormat, ...]:
    """Formats the method serves, from the highest precision down, no higher than the checkpoint.

    llama.cpp: GGUF types (plus F16); other methods: float and quantised checkpoint formats.
    Formats with the same weight bytes as a higher one are dropped (no step to show); MXFP4
    experts-only applies to MoE models only.
    """
    top = _checkpoint_bits(model)
    fams = ("gguf",) if method == "llamacpp" else ("float", "int", "gptq", "awq", "microscaling")
    cands = [
        f
        for f in WEIGHT_FORMATS.values()
        if (f.family in fams or (method == "llamacpp" and f.id == "fp16"))
        and f.nominal_bits <= top
        and (f.scope != "experts" or model.is_moe)
        and (f.id != "int4" or method == "article")  # the article's idealised 4 bit, no engine's
    ]
    if method != "llamacpp":
        native = "fp16" if model.torch_dtype.lower() in ("float16", "fp16") else "bf16"
        cands = [f for f in cands if f.family != "float" or f.nominal_bits < 16 or f.id == native]
    seen: set[int] = set()
    out = []
    for f in sorted(cands, key=lambda f: (-f.linear_bits, -f.embedding_bits)):
        b = weights_bytes(model, f)
        if b in seen:
            continue
        seen.add(b)
        out.append(f)
    return tuple(out)


def _checkpoint_bits(model: ModelSpec) -> int:
    """Nominal bits of the checkpoint dtype (32 for float32, else 16)."""
    return 32 if model.torch_dtype.lower() in ("float32", "fp32") else 16


def kv_dtype_candidates(model: ModelSpec, method: str) -> tuple[KVDtype, ...]:
    """KV dtypes the engine offers, from the highest precision down."""
    if method == "llamacpp":
        return (KV_DTYPES["fp16"], KV_DTYPES["q8_0"], KV_DTYPES["q4_0"])
    return (kv_dtype("auto", model.torch_dtype), KV_DTYPES["fp8"])


@dataclass(frozen=True)
class FormatStep:
    """One (weights, KV) combination on a fixed setup, and what it gives."""

    weight_format: str
    weight_label: str
    kv_cache_dtype: str
    weights_bytes_per_gpu: int
    concurrency_reached: int  # whole requests over all replicas at the plan's length
    longest_context: int  # tokens per request at the target concurrency (0: none)
    holds: bool

    def as_dict(self) -> dict[str, object]:
        return {
            "weights_format": self.weight_format,
            "kv_cache_dtype": self.kv_cache_dtype,
            "weights_bytes_per_gpu": self.weights_bytes_per_gpu,
            "concurrency_reached": self.concurrency_reached,
            "longest_context_at_target": self.longest_context,
            "holds_target": self.holds,
        }


@dataclass(frozen=True)
class FormatLadder:
    method: str
    memory_model: str
    target: Target
    deployment: Deployment
    steps: tuple[FormatStep, ...]

    @property
    def best(self) -> FormatStep | None:
        """The highest-precision step that holds the target (weights first, then KV)."""
        return next((s for s in self.steps if s.holds), None)

    def as_dict(self) -> dict[str, object]:
        d = self.deployment
        best = self.best
        return {
            "method": self.method,
            "memory_model": self.memory_model,
            "target": {
                "concurrency": self.target.concurrency,
                "context_len": self.target.context_len,
                "avg_tokens": self.target.avg_tokens,
            },
            "setup": {
                "gpu": None if d.gpu is None else d.gpu.id,
                "tensor_parallel_size": d.tensor_parallel_size,
                "pipeline_parallel_size": d.pipeline_parallel_size,
                "replicas": d.data_parallel_size,
            },
            "best": None if best is None else best.as_dict(),
            "steps": [s.as_dict() for s in self.steps],
        }


def format_ladder(
    model: ModelSpec,
    target: Target,
    deployment: Deployment,
    settings: EngineSettings | None = None,
    method: str = "article",
    formats: Sequence[str] | None = None,
    kv_dtypes: Sequence[str] | None = None,
) -> FormatLadder:
    """Every (weight format, KV dtype) from the highest precision down on one setup.

    For each: weights per GPU, the concurrency the setup reaches, the longest context at the
    target concurrency, and whether it holds the target. The best is the first that holds
    (weight precision is kept before KV precision: KV dtype steps are tried within a format).
    """
    settings = settings or EngineSettings()
    gpu = deployment.gpu
    if gpu is None:
        raise ValueError("no GPU budget: give a GPU to choose a format")
    label, description = _method_text(method)
    fmts = (
        tuple(WEIGHT_FORMATS[f.lower()] for f in formats)
        if formats
        else weight_format_candidates(model, method)
    )
    kvs = (
        tuple(kv_dtype(k, model.torch_dtype) for k in kv_dtypes)
        if kv_dtypes
        else kv_dtype_candidates(model, method)
    )
    tp, pp, r = (
        deployment.tensor_parallel_size,
        deployment.pipeline_parallel_size,
        deployment.data_parallel_size,
    )
    steps = []
    for f in fmts:
        for kv in kvs:
            try:
                est = _replica_estimate(
                    model,
                    f.id,
                    target.context_len,
                    target.avg_tokens,
                    kv.id,
                    target.batch_size,
                    gpu,
                    tp,
                    pp,
                    settings,
                    method,
                )
            except (SpecError, ValueError):
                continue
            req, _ = requests_per_replica(est)
            ctx = longest_context(
                model,
                f.id,
                target.concurrency,
                deployment,
                settings,
                method,
                kv.id,
                target.batch_size,
            )
            steps.append(
                FormatStep(
                    weight_format=f.id,
                    weight_label=f.label,
                    kv_cache_dtype=kv.id,
                    weights_bytes_per_gpu=max(s.weights_bytes for s in est.stages),
                    concurrency_reached=req * r,
                    longest_context=ctx.context_len,
                    holds=req * r >= target.concurrency,
                )
            )
    return FormatLadder(
        method=method,
        memory_model=f"{label}: {description}",
        target=target,
        deployment=deployment,
        steps=tuple(steps),
    )
