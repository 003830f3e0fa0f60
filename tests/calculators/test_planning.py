"""The planning solvers against the forward calculators (issue 13).

Every answer the solvers give is checked by brute force with ``calculators.estimate``: the plan's
setup holds the target and no setup with fewer GPUs in the same search space does; the longest
context fits and one more block (vLLM) or token does not; TP sizes respect the heads.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calculators import (
    GPUS_PER_NODE,
    Deployment,
    EngineSettings,
    Estimate,
    GPUSpec,
    ModelSpec,
    SpecError,
    Target,
    Workload,
    estimate,
    format_ladder,
    get_method,
    longest_context,
    plan,
    valid_tensor_parallel_sizes,
)
from calculators.units import BYTES_PER_GIB
from presets import load_catalog

CATALOG = load_catalog()
LLAMA_70B = CATALOG.models["meta-llama/Llama-3.1-70B-Instruct"].spec
LLAMA_8B = CATALOG.models["meta-llama/Llama-3.1-8B-Instruct"].spec
QWEN25_7B = CATALOG.models["Qwen/Qwen2.5-7B-Instruct"].spec
H100 = CATALOG.gpus["h100-sxm-80gb"].spec
METHODS = ("article", "vllm", "sglang", "llamacpp")


def reached(est: Estimate) -> int:
    """Whole requests a forward estimate's setup holds, counted as the dashboard's fit table does:
    at the average length for paged engines when one full-context request fits, else at the full
    context (GPUFit.max_requests / max_requests_avg)."""
    cap = est.capacity
    assert cap is not None
    full = cap.max_concurrent_requests
    if full < cap.replicas:  # not even one full-context request per replica
        return 0
    if cap.max_concurrency_at_avg is not None and not est.reserves_full_context:
        return max(0, int(cap.max_concurrency_at_avg + 1e-9)) * cap.replicas
    return full


def forward(
    model: ModelSpec,
    fmt: str,
    target: Target,
    gpu: GPUSpec,
    tp: int,
    pp: int,
    replicas: int,
    method: str,
    eng: EngineSettings | None = None,
) -> int:
    est = estimate(
        model,
        fmt,
        Workload(
            context_len=target.context_len,
            concurrency=target.concurrency,
            kv_cache_dtype=target.kv_cache_dtype,
            avg_tokens=target.avg_tokens,
        ),
        Deployment(tp, pp, replicas, gpu),
        eng or EngineSettings(),
        method,
    )
    return reached(est)


# -- tensor-parallel sizes -------------------------------------------------------------------


def test_tp_sizes_of_real_models() -> None:
    # Llama-3.1-70B config.json: 64 attention heads, 8 KV heads: every power of two to 64.
    assert valid_tensor_parallel_sizes(LLAMA_70B, 64) == (1, 2, 4, 8, 16, 32, 64)
    # Qwen2.5-7B config.json: 28 heads, 4 KV heads. 7 and 14 divide 28 but split 4 KV heads
    # unevenly (vLLM refuses them); 28 replicates each KV head 7 times.
    assert valid_tensor_parallel_sizes(QWEN25_7B, 28) == (1, 2, 4, 28)


def test_forward_methods_refuse_uneven_kv_split() -> None:
    with pytest.raises(SpecError, match="num_key_value_heads"):
        estimate(QWEN25_7B, "bf16", Workload(), Deployment(tensor_parallel_size=14), method="vllm")


@given(
    heads=st.sampled_from([1, 2, 4, 6, 8, 12, 14, 16, 24, 28, 32, 40, 48, 64, 96, 128]),
    kv_pick=st.integers(0, 20),
    max_tp=st.integers(1, 64),
)
def test_tp_sizes_respect_head_divisibility(heads: int, kv_pick: int, max_tp: int) -> None:
    divisors = [d for d in range(1, heads + 1) if heads % d == 0]
    kv = divisors[kv_pick % len(divisors)]
    m = ModelSpec(
        num_hidden_layers=2, hidden_size=heads * 64, num_attention_heads=heads,
        num_key_value_heads=kv, vocab_size=1000, intermediate_size=256,
    )  # fmt: skip
    sizes = valid_tensor_parallel_sizes(m, max_tp)
    for tp in range(1, max_tp + 1):
        ok = heads % tp == 0 and (kv % tp == 0 if tp < kv else tp % kv == 0)
        assert (tp in sizes) == ok, (heads, kv, tp)


# -- plan: minimal by brute force ---------------------------------------------------------------


@st.composite
def small_cases(draw: st.DrawFn) -> tuple[ModelSpec, GPUSpec, Target, str]:
    heads = draw(st.sampled_from([4, 8, 12, 16]))
    kv = draw(st.sampled_from([d for d in (1, 2, 4, heads) if heads % d == 0]))
    head_dim = draw(st.sampled_from([32, 64]))
    layers = draw(st.integers(2, 10))
    model = ModelSpec(
        num_hidden_layers=layers,
        hidden_size=heads * head_dim,
        num_attention_heads=heads,
        num_key_value_heads=kv,
        head_dim=head_dim,
        intermediate_size=draw(st.sampled_from([512, 1024, 2048])),
        vocab_size=draw(st.sampled_from([1000, 32000])),
        max_position_embeddings=65536,
        name="hypothesis model",
    )
    method = draw(st.sampled_from(METHODS))
    gpu = GPUSpec(
        id="g", name="test GPU", memory_bytes=draw(st.integers(2**28, 12 * BYTES_PER_GIB))
    )
    context = draw(st.integers(16, 8192))
    avg = draw(st.none() | st.integers(1, context))
    target = Target(concurrency=draw(st.integers(1, 300)), context_len=context, avg_tokens=avg)
    return model, gpu, target, method


def _pp_needed(model: ModelSpec, target: Target, gpu: GPUSpec, tp: int, method: str) -> int | None:
    """Brute force: the fewest stages at which one replica holds one request (None: none)."""
    for pp in range(1, min(model.num_hidden_layers, 64 // tp) + 1):
        if forward(model, "bf16", target, gpu, tp, pp, 1, method) > 0:
            return pp
    return None


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=small_cases())
def test_plan_setup_holds_and_no_smaller_setup_does(
    case: tuple[ModelSpec, GPUSpec, Target, str],
) -> None:
    model, gpu, target, method = case
    result = plan(model, "bf16", target, [gpu], method=method, max_tp=4, max_gpus_per_replica=4)
    (entry,) = result.gpus
    tps = valid_tensor_parallel_sizes(model, 4) if method != "llamacpp" else (1,)
    setup = entry.setup
    if setup is not None:
        tp, pp, r = setup.tensor_parallel_size, setup.pipeline_parallel_size, setup.replicas
        assert tp in tps
        got = forward(model, "bf16", target, gpu, tp, pp, r, method)
        assert got >= target.concurrency
        assert got == setup.concurrency_reached
        if r > 1:  # one replica fewer does not hold it
            assert forward(model, "bf16", target, gpu, tp, pp, r - 1, method) < target.concurrency
        assert setup.headroom_bytes >= 0
        limit = setup.total_gpus
    else:
        limit = 10**9
    # Every shape of the search space: any TP x PP within 4 GPUs, else the fewest stages needed.
    for tp in tps:
        shapes = [pp for pp in range(1, 4 // tp + 1) if pp <= model.num_hidden_layers]
        needed = _pp_needed(model, target, gpu, tp, method)
        if needed is not None and needed * tp > 4:
            shapes.append(needed)
        for pp in shapes:
            most = (limit - 1) // (tp * pp)  # the most replicas with fewer GPUs than the plan's
            if most < 1:
                continue
            most = min(most, target.concurrency)  # more replicas than requests never helps
            assert forward(model, "bf16", target, gpu, tp, pp, most, method) < target.concurrency, (
                tp, pp, most, setup,
            )  # fmt: skip


@pytest.mark.parametrize("method", METHODS)
def test_plan_for_llama_70b_on_h100_matches_forward(method: str) -> None:
    target = Target(concurrency=200, context_len=8192)
    result = plan(LLAMA_70B, "bf16", target, [H100], method=method)
    (setup,) = result.setups
    assert result.method == method and setup.gpu.id == "h100-sxm-80gb"
    got = forward(
        LLAMA_70B, "bf16", target, H100, setup.tensor_parallel_size,
        setup.pipeline_parallel_size, setup.replicas, method,
    )  # fmt: skip
    assert got == setup.concurrency_reached >= 200
    assert setup.gpus_per_replica <= GPUS_PER_NODE
    # the answer names the memory model it used
    assert get_method(method).label in str(result.as_dict()["memory_model"])


def test_plan_sorted_by_total_gpus_and_costed() -> None:
    gpus = [CATALOG.gpus[g].spec for g in ("h100-sxm-80gb", "a100-40gb", "h200-141gb", "l4-24gb")]
    result = plan(
        LLAMA_8B, "bf16", Target(64, 8192), gpus, method="vllm", prices={"h100-sxm-80gb": 2.0}
    )
    totals = [s.total_gpus for s in result.setups]
    assert totals == sorted(totals)
    h100 = next(s for s in result.setups if s.gpu.id == "h100-sxm-80gb")
    assert h100.cost_per_hour == pytest.approx(2.0 * h100.total_gpus)
    assert h100.cost_per_1000_requests_hour == pytest.approx(
        2.0 * h100.total_gpus * 1000 / h100.concurrency_reached
    )
    assert all(s.cost_per_hour is None for s in result.setups if s.gpu.id != "h100-sxm-80gb")


def test_impossible_gpu_says_why() -> None:
    tiny = GPUSpec(id="tiny", name="1 GiB", memory_bytes=BYTES_PER_GIB)
    result = plan(LLAMA_70B, "bf16", Target(1, 8192), [tiny], method="vllm")
    assert result.setups == ()
    assert "does not fit" in result.impossible[0].reason


@pytest.mark.parametrize("method", METHODS)
def test_gpus_needed_is_the_plan_at_every_target(method: str) -> None:
    gpus = [CATALOG.gpus[g].spec for g in ("h100-sxm-80gb", "l4-24gb")]
    big = plan(LLAMA_8B, "bf16", Target(1, 4096), gpus, method=method)
    targets = np.array([1, 7, 50, 128, 200, 256], dtype=np.int64)
    need = big.gpus_needed(targets)
    for t in targets:
        small = plan(LLAMA_8B, "bf16", Target(int(t), 4096), gpus, method=method)
        for g in small.gpus:
            want = 0 if g.setup is None else g.setup.total_gpus
            assert need[g.gpu.id][list(targets).index(t)] == want


# -- longest context -------------------------------------------------------------------------


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case=small_cases(), tp=st.sampled_from([1, 2]), pp=st.integers(1, 2), r=st.integers(1, 3))
def test_longest_context_fits_and_one_more_step_does_not(
    case: tuple[ModelSpec, GPUSpec, Target, str], tp: int, pp: int, r: int
) -> None:
    model, gpu, target, method = case
    if model.num_attention_heads % tp or (
        model.num_key_value_heads % tp and tp < model.num_key_value_heads
    ):
        return
    if method == "llamacpp":
        tp = 1
    dep = Deployment(tp, pp, r, gpu)
    fit = longest_context(model, "bf16", target.concurrency, dep, method=method)
    per = math.ceil(target.concurrency / r)
    assert fit.per_replica == per

    def holds(tokens: int) -> bool:
        return forward(model, "bf16", Target(per * r, tokens), gpu, tp, pp, r, method) >= per * r

    if fit.context_len > 0:
        assert holds(fit.context_len)
    step = 16 if method == "vllm" else 1
    assert fit.step == step
    nxt = fit.context_len + step
    if fit.limited_by == "memory" and nxt <= model.max_position_embeddings:
        assert not holds(nxt)
        if method == "vllm":  # whole blocks: the answer is a block boundary, one token more fails
            assert fit.context_len % 16 == 0
            assert not holds(fit.context_len + 1)
    if method == "llamacpp":
        assert fit.n_ctx == per * fit.context_len


def test_longest_context_is_limited_by_the_model() -> None:
    fit = longest_context(LLAMA_8B, "bf16", 1, Deployment(gpu=H100), method="vllm")
    assert fit.limited_by == "model"
    assert fit.context_len == LLAMA_8B.max_position_embeddings  # 131,072 (config.json)


# -- best format -----------------------------------------------------------------------------


@pytest.mark.parametrize("method", METHODS)
def test_format_ladder_best_is_the_first_that_holds(method: str) -> None:
    target = Target(concurrency=200, context_len=8192)
    dep = Deployment(8 if method != "llamacpp" else 1, 1 if method != "llamacpp" else 8, 1, H100)
    ladder = format_ladder(LLAMA_70B, target, dep, method=method)
    assert ladder.steps
    weights = [s.weights_bytes_per_gpu for s in ladder.steps]
    assert weights == sorted(weights, reverse=True)  # highest precision first
    for s in ladder.steps:
        got = forward(
            LLAMA_70B, s.weight_format,
            Target(200, 8192, kv_cache_dtype=s.kv_cache_dtype), H100,
            dep.tensor_parallel_size, dep.pipeline_parallel_size, 1, method,
        )  # fmt: skip
        assert got == s.concurrency_reached
        assert s.holds == (got >= 200)
    best = ladder.best
    assert best is None or best == next(s for s in ladder.steps if s.holds)
    if method == "llamacpp":
        assert all(s.weight_format in ("fp16", "q8_0", "q6_k", "q5_k_m", "q4_k_m", "q4_0",
                                       "q3_k_m", "q2_k") for s in ladder.steps)  # fmt: skip


@pytest.mark.parametrize(
    ("model_id", "version"),
    [
        ("google/gemma-2-9b-it", "0.19"),  # sliding-window layers: the reservation depends on L
        ("google/gemma-3-12b-it", "0.21"),
        ("openai/gpt-oss-20b", "0.19"),
        ("meta-llama/Llama-3.1-8B-Instruct", "0.6"),  # V0: the profile run is max_model_len long
    ],
)
def test_longest_context_where_stage_costs_depend_on_it(model_id: str, version: str) -> None:
    m = CATALOG.models[model_id]
    gpu = CATALOG.gpus["l40s-48gb"].spec
    eng = EngineSettings(engine_version=version)
    fit = longest_context(m.spec, m.default_weight_format, 64, Deployment(gpu=gpu), eng, "vllm")

    def holds(tokens: int) -> bool:
        t = Target(64, tokens)
        return forward(m.spec, m.default_weight_format, t, gpu, 1, 1, 1, "vllm", eng) >= 64

    assert fit.context_len > 0 and holds(fit.context_len)
    if fit.limited_by == "memory":
        assert not holds(fit.context_len + 16)
