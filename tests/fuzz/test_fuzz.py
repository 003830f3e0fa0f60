"""Fuzzing over the calculators' whole input domain (run with `make fuzz`; 10,000+ examples each).

The only exceptions allowed are the documented validation errors (SpecError / ValueError); when an
estimate is returned, its invariants hold.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from calculators import (
    KV_DTYPES,
    METHODS,
    WEIGHT_FORMATS,
    Deployment,
    EngineSettings,
    GPUSpec,
    ModelSpec,
    SpecError,
    Workload,
    estimate,
    parse_config_json,
)
from dashboard.state import ViewState, decode
from presets.loader import load_text

pytestmark = pytest.mark.fuzz


def mostly(valid: st.SearchStrategy, hostile: st.SearchStrategy) -> st.SearchStrategy:
    """Valid values nine times in ten, hostile ones otherwise: both halves of the domain are hit."""
    return st.one_of(*([valid] * 9), hostile)


FUZZ = settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck))
ints = st.one_of(
    st.integers(-3, 70_000), st.integers(-(2**70), 2**70), st.sampled_from([0, 1, 2, 8, 128])
)
maybe_int = st.one_of(st.none(), ints)


@st.composite
def any_model(draw: st.DrawFn) -> ModelSpec:
    """Mostly valid architectures of every kind (dense, GQA/MQA, MoE, MLA, windows, by-hand
    parameter counts, vision), and with probability ~1/4 one field replaced by a hostile value."""
    kv = draw(st.sampled_from([1, 2, 4, 8, 16, 32]))
    heads = kv * draw(st.sampled_from([1, 2, 4, 8]))
    head_dim = draw(st.integers(1, 512) | st.none())
    layers = draw(st.integers(1, 200))
    kw: dict[str, object] = dict(
        num_hidden_layers=layers,
        hidden_size=heads * (head_dim or draw(st.integers(1, 256)))
        if draw(st.booleans()) or head_dim is None
        else draw(st.integers(1, 50_000)),
        num_attention_heads=heads,
        num_key_value_heads=kv,
        head_dim=head_dim,
        intermediate_size=draw(st.integers(0, 100_000)),
        vocab_size=draw(st.integers(0, 300_000)),
        tie_word_embeddings=draw(st.booleans()),
        max_position_embeddings=draw(st.integers(1, 10**7)),
        torch_dtype=draw(st.sampled_from(["bfloat16", "float16", "float32"])),
        num_parameters=draw(st.one_of(st.none(), st.none(), st.integers(1, 10**13))),
    )
    if draw(st.booleans()):
        e = draw(st.integers(1, 256))
        kw.update(
            num_experts=e,
            num_experts_per_tok=draw(st.integers(0, e)),
            moe_intermediate_size=draw(st.integers(1, 20_000)),
            n_shared_experts=draw(st.integers(0, 2)),
            moe_layers=tuple(sorted(draw(st.sets(st.integers(0, layers - 1), max_size=layers))))
            or None,
        )
    if draw(st.booleans()):
        kw.update(
            kv_lora_rank=draw(st.integers(1, 1024)),
            qk_rope_head_dim=draw(st.integers(1, 128)),
            qk_nope_head_dim=draw(st.integers(0, 256)),
            v_head_dim=draw(st.integers(0, 256)),
            q_lora_rank=draw(st.integers(0, 2048)),
        )
    if draw(st.booleans()):
        kw.update(
            sliding_window=draw(st.integers(1, 10**6)),
            attention_chunk_size=draw(st.integers(1, 10**5)),
            layer_types=tuple(
                draw(st.sampled_from(["full_attention", "sliding_attention", "chunked_attention"]))
                for _ in range(layers)
            ),
        )
    if draw(st.integers(0, 9)) == 0:  # one hostile field
        field = draw(st.sampled_from(sorted(kw)))
        kw[field] = draw(
            st.one_of(ints, st.none(), st.text(max_size=5), st.floats(), st.booleans())
        )
    return ModelSpec(**kw)  # type: ignore[arg-type]


@FUZZ
@given(
    data=st.data(),
    fmt=st.sampled_from(list(WEIGHT_FORMATS)),
    kv=st.sampled_from(["auto", *KV_DTYPES, "nope"]),
    method=st.sampled_from(list(METHODS)),
)
def test_estimate_whole_domain(data: st.DataObject, fmt: str, kv: str, method: str) -> None:
    try:
        model = data.draw(any_model())
        workload = Workload(
            context_len=data.draw(st.integers(1, 10**6) | st.integers(-1, 2 * 10**8)),
            concurrency=data.draw(st.integers(1, 4096) | st.integers(-1, 2 * 10**7)),
            batch_size=data.draw(st.integers(1, 8) | st.integers(-1, 100)),
            kv_cache_dtype=kv,
            avg_tokens=data.draw(
                st.one_of(st.none(), st.integers(1, 4096), st.integers(-1, 10**6))
            ),
        )
        gpu = data.draw(
            st.one_of(
                st.none(),
                st.builds(
                    GPUSpec,
                    id=st.just("g"),
                    name=st.just("g"),
                    memory_bytes=st.integers(2**30, 2**40) | st.integers(-1, 2**51),
                ),
            )
        )
        deployment = Deployment(
            data.draw(st.sampled_from([1, 1, 2, 4, 8]) | st.integers(-1, 300)),
            data.draw(st.sampled_from([1, 1, 2]) | st.integers(-1, 300)),
            1,
            gpu,
        )
        settings_ = EngineSettings(
            overhead_fraction=data.draw(
                st.floats(0, 1) | st.floats(allow_nan=True, allow_infinity=True)
            ),
            gpu_memory_utilization=data.draw(
                st.one_of(st.none(), st.floats(0.5, 1), st.floats(allow_nan=True))
            ),
            max_num_batched_tokens=data.draw(st.one_of(st.none(), st.integers(-1, 10**6))),
            max_num_seqs=data.draw(st.one_of(st.none(), st.integers(-1, 10**5))),
            engine_version=data.draw(st.sampled_from([None, "0.6", "0.19.0", "0.21", "garbage"])),
            mem_fraction_static=data.draw(st.one_of(st.none(), st.floats(-1, 2))),
        )
        est = estimate(model, fmt, workload, deployment, settings_, method)
        b = est.per_gpu
        cap = est.capacity
    except (SpecError, ValueError) as e:
        event(f"validation error: {str(e).split(':')[0][:30]}")
        return
    event("estimate returned")
    assert (
        b.total_bytes == b.weights_bytes + b.kv_cache_bytes + b.activation_bytes + b.overhead_bytes
    )
    assert min(b.weights_bytes, b.kv_cache_bytes, b.activation_bytes, b.overhead_bytes) >= 0
    if cap is not None:
        assert cap.max_concurrency >= 0 and not math.isnan(cap.max_concurrency)
        assert cap.kv_tokens >= 0
        if cap.fits:
            assert b.total_bytes <= cap.budget_bytes


@FUZZ
@given(
    data=st.data(),
    fmt=st.sampled_from(list(WEIGHT_FORMATS)),
    kv=st.sampled_from(["auto", *KV_DTYPES]),
    method=st.sampled_from(list(METHODS)),
)
def test_estimate_valid_domain(data: st.DataObject, fmt: str, kv: str, method: str) -> None:
    """Only valid inputs: an estimate comes back (refused only when TP does not divide the heads or
    llama.cpp gets more GPUs than layers), its invariants hold, and more concurrency never costs
    less memory."""
    kv_heads = data.draw(st.sampled_from([1, 2, 4, 8, 16]))
    heads = kv_heads * data.draw(st.sampled_from([1, 2, 4, 8]))
    layers = data.draw(st.integers(1, 160))
    window = data.draw(st.integers(1, 10**5))
    experts = data.draw(st.sampled_from([0, 8, 64]))
    rank = data.draw(st.sampled_from([0, 512]))
    model = ModelSpec(
        num_hidden_layers=layers,
        hidden_size=heads * data.draw(st.integers(8, 256)),
        num_attention_heads=heads,
        num_key_value_heads=kv_heads,
        intermediate_size=data.draw(st.integers(0, 60_000)),
        vocab_size=data.draw(st.integers(0, 260_000)),
        tie_word_embeddings=data.draw(st.booleans()),
        max_position_embeddings=data.draw(st.integers(1, 10**7)),
        torch_dtype=data.draw(st.sampled_from(["bfloat16", "float16", "float32"])),
        num_experts=experts,
        num_experts_per_tok=min(experts, 2),
        moe_intermediate_size=1024 if experts else 0,
        kv_lora_rank=rank,
        qk_rope_head_dim=64 if rank else 0,
        sliding_window=window,
        layer_types=data.draw(
            st.none()
            | st.lists(
                st.sampled_from(["full_attention", "sliding_attention"]),
                min_size=layers,
                max_size=layers,
            ).map(tuple)
        ),
    )
    tp = data.draw(st.sampled_from([1, 2, 4, 8]))
    pp = data.draw(st.integers(1, min(4, layers)))
    ctx = data.draw(st.integers(1, 10**6))
    conc = data.draw(st.integers(1, 2048))
    gpu = GPUSpec("g", "g", data.draw(st.integers(2**30, 2**41)))
    settings_ = EngineSettings(
        overhead_fraction=data.draw(st.floats(0, 1)),
        gpu_memory_utilization=data.draw(st.none() | st.floats(0.5, 1)),
        engine_version=data.draw(st.sampled_from([None, "0.6", "0.19", "0.21"])),
    )
    dep = Deployment(tp, pp, gpu=gpu)
    try:
        a = estimate(
            model,
            fmt,
            Workload(
                context_len=ctx,
                concurrency=conc,
                kv_cache_dtype=kv,
                avg_tokens=data.draw(st.integers(1, ctx)),
            ),
            dep,
            settings_,
            method,
        )
    except SpecError as e:  # the two refusals: TP not dividing the heads, more GPUs than layers
        assert ("tensor_parallel_size" in str(e) and heads % tp) or (
            "GPU count" in str(e) and tp * pp > layers
        )
        return
    event("estimate returned")
    b = estimate(
        model,
        fmt,
        Workload(context_len=ctx, concurrency=conc + 1, kv_cache_dtype=kv),
        dep,
        settings_,
        method,
    )
    pa, pb = a.per_gpu, b.per_gpu
    assert (
        pa.total_bytes
        == pa.weights_bytes + pa.kv_cache_bytes + pa.activation_bytes + pa.overhead_bytes
    )
    assert min(pa.weights_bytes, pa.kv_cache_bytes, pa.activation_bytes, pa.overhead_bytes) >= 0
    assert pb.total_bytes >= pa.total_bytes and pb.weights_bytes == pa.weights_bytes
    cap = a.capacity
    assert cap is not None and cap.max_concurrency >= 0 and cap.kv_tokens >= 0
    rng = a.max_concurrency_range()
    if rng is not None:
        assert rng[0] <= cap.max_concurrency + 1e-9 <= rng[1] + 2e-9


@FUZZ
@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "num_hidden_layers",
                        "hidden_size",
                        "num_attention_heads",
                        "num_key_value_heads",
                        "head_dim",
                        "intermediate_size",
                        "vocab_size",
                        "text_config",
                        "vision_config",
                        "layer_types",
                        "num_local_experts",
                        "sliding_window",
                        "model_type",
                        "kv_lora_rank",
                        "moe_intermediate_size",
                        "mlp_only_layers",
                        "first_k_dense_replace",
                    ]
                )
                | st.text(max_size=8),
                children,
                max_size=10,
            )
        ),
        max_leaves=30,
    )
)
def test_config_json_whole_domain(doc: object) -> None:
    try:
        spec = parse_config_json(json.dumps(doc))
    except SpecError:
        return
    assert spec.num_hidden_layers > 0


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from([*ViewState.__dataclass_fields__, "x"]), st.text(max_size=80), max_size=10
    )
)
def test_url_decode_whole_domain(params: dict[str, str]) -> None:
    state, notices = decode(params)
    assert isinstance(state, ViewState)
    assert all(isinstance(n, str) and len(n) < 400 for n in notices)


@FUZZ
@given(st.text(max_size=400) | st.binary(max_size=400))
def test_preset_yaml_whole_domain(text: str | bytes) -> None:
    models: dict = {}
    gpus: dict = {}
    errors: list[str] = []
    load_text(text, "fuzz.yaml", "user", models, gpus, errors)
    assert all(e.startswith("fuzz.yaml") for e in errors)


# --- real configs, one field made hostile -------------------------------------------------------
from pathlib import Path  # noqa: E402

_CORPUS = sorted((Path(__file__).resolve().parents[1] / "data" / "model_configs").glob("*.json"))
_HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, -1, 1, 3, 10**6, 10**12, 2**63]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e-200, 1e-9, 0.5, 1e300]),
    st.text(max_size=12),
    st.lists(st.integers(-2, 3), max_size=70),
    st.lists(st.sampled_from(["mamba", "attention", "full_attention", "linear_attention", "x"])),
    st.dictionaries(st.text(max_size=6), st.integers(-2, 10), max_size=3),
)


def _paths(doc: object, prefix: tuple = ()) -> list[tuple]:
    out: list[tuple] = []
    if isinstance(doc, dict):
        for k, v in doc.items():
            out.append((*prefix, k))
            out.extend(_paths(v, (*prefix, k)))
    elif isinstance(doc, list) and doc and len(prefix) < 4:
        out.append((*prefix, 0))
        out.extend(_paths(doc[0], (*prefix, 0)))
    return out


def _set(doc: object, path: tuple, value: object) -> None:
    for key in path[:-1]:
        doc = doc[key]  # type: ignore[index]
    doc[path[-1]] = value  # type: ignore[index]


@FUZZ
@given(data=st.data())
def test_real_configs_with_one_hostile_field(data: st.DataObject) -> None:
    """Every field the reader may read (top level, text_config, vision_config, block_configs,
    attn/ffn_config, layer lists) of a real config.json replaced by a hostile value: a SpecError
    naming the problem, or an estimate whose invariants hold with every method."""
    path_file = data.draw(st.sampled_from(_CORPUS))
    try:
        doc = json.loads(path_file.read_text())
    except json.JSONDecodeError:
        return
    paths = _paths(doc)
    if paths:
        target = data.draw(st.sampled_from(paths))
        _set(doc, target, data.draw(_HOSTILE))
        event(f"field {target[-1]}")
    try:
        spec = parse_config_json(json.dumps(doc, allow_nan=True))
    except SpecError:
        return
    gpu = GPUSpec("g", "g", 80 * 2**30)
    w = Workload(context_len=data.draw(st.sampled_from([1, 4096, 131072])), concurrency=3)
    for method in METHODS:
        try:
            est = estimate(spec, "bf16", w, Deployment(gpu=gpu), method=method)
        except (SpecError, ValueError):
            continue
        b = est.per_gpu
        parts = (b.weights_bytes, b.kv_cache_bytes, b.activation_bytes, b.overhead_bytes)
        assert min(*parts, b.state_bytes) >= 0
        assert b.total_bytes == sum(parts) + b.state_bytes
        cap = est.capacity
        assert cap is not None and cap.max_concurrency >= 0
