"""Fuzzing over the whole input domain: calculators, config.json and preset readers, the URL
codec, pins, the view and its tables. ``make fuzz`` runs 10,000+ examples per target
(FUZZ_EXAMPLES); the normal suite runs a few dozen of each.

The only exceptions allowed are the documented validation errors (SpecError / ValueError); when an
estimate is returned, its invariants hold.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import fields, replace

import numpy as np
import pyarrow as pa
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
from calculators.spec import MAX_BYTES, MAX_CONTEXT, MAX_DIM, MAX_EXPERTS, MAX_LAYERS
from dashboard.bounds import FLOAT_BOUNDS, INT_BOUNDS
from dashboard.figures import concurrency_figure
from dashboard.formulas import formulas_markdown
from dashboard.state import PIN_FIELDS, ViewState, decode, encode
from dashboard.tables import breakdown_table, fit_table, methods_table
from dashboard.view import build_view, pinned_view, read_uploaded_config
from presets import load_catalog
from presets.loader import ID_PATTERN, load_text

pytestmark = pytest.mark.fuzz


def mostly(valid: st.SearchStrategy, hostile: st.SearchStrategy) -> st.SearchStrategy:
    """Valid values nine times in ten, hostile ones otherwise: both halves of the domain are hit."""
    return st.one_of(*([valid] * 9), hostile)


EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "30"))  # `make fuzz` sets 10,000
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
CAT = load_catalog()
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


# -- issue 14: what the first pass missed ----------------------------------------------------------
def near(bound: int) -> st.SearchStrategy[int]:
    """Values at and around a bound (and a few far past it)."""
    return st.sampled_from([1, 2, bound // 1000 or 1, bound // 2, bound - 1, bound, bound + 1])


def huge_int_text(max_digits: int = 6000) -> st.SearchStrategy[str]:
    """Integers of any length as text (JSON / YAML), up to past Python's 4,300-digit limit."""
    return st.one_of(
        st.integers().map(str),
        st.integers(1, max_digits).map(lambda n: "9" * n),
        st.integers(1, max_digits - 1).map(lambda n: "-1" + "0" * n),
    )


VISION_FIELDS = [
    "hidden_size",
    "intermediate_size",
    "num_hidden_layers",
    "num_attention_heads",
    "patch_size",
    "image_size",
    "num_channels",
    "vision_output_dim",
    "projector_input_dim",
    "projector_output_dim",
    "pixel_shuffle_ratio",
    "spatial_merge_size",
]
TEXT_FIELDS = [
    "num_hidden_layers",
    "hidden_size",
    "num_attention_heads",
    "num_key_value_heads",
    "head_dim",
    "intermediate_size",
    "vocab_size",
    "max_position_embeddings",
    "num_local_experts",
    "num_experts_per_tok",
    "moe_intermediate_size",
    "interleave_moe_layer_step",
    "no_rope_layer_interval",
    "attention_chunk_size",
    "sliding_window",
    "kv_lora_rank",
    "qk_rope_head_dim",
]
LLAMA4 = {
    "model_type": "llama4",
    "text_config": {
        "num_hidden_layers": 4,
        "hidden_size": 512,
        "num_attention_heads": 8,
        "num_key_value_heads": 2,
        "head_dim": 64,
        "intermediate_size": 1024,
        "intermediate_size_mlp": 2048,
        "vocab_size": 1000,
        "num_local_experts": 4,
        "num_experts_per_tok": 1,
        "interleave_moe_layer_step": 1,
        "attention_chunk_size": 8192,
        "no_rope_layer_interval": 4,
        "max_position_embeddings": 8192,
    },
    "vision_config": {
        "hidden_size": 128,
        "intermediate_size": 256,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "patch_size": 14,
        "image_size": 336,
        "num_channels": 3,
        "vision_output_dim": 256,
        "projector_input_dim": 256,
        "projector_output_dim": 512,
        "pixel_shuffle_ratio": 0.5,
    },
}


# Integers past Python's 4,300-digit limit included: the reader refuses them with a SpecError.
CONFIG_INT_DIGITS = 6000


def hostile_number(max_digits: int = 6000) -> st.SearchStrategy[str]:
    """JSON number text: integers of any length, zero, negatives, tiny and huge floats."""
    return st.one_of(
        huge_int_text(max_digits),
        st.sampled_from(["0", "-1", "1e-200", "1e-160", "1e308", "1e-320", "0.0", "2.5", "1e200"]),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
    )


@FUZZ
@given(
    section=st.sampled_from(["text_config", "vision_config"]),
    changes=st.data(),
)
def test_config_json_vision_and_numbers_of_any_size(section: str, changes: st.DataObject) -> None:
    """A real multimodal shape (Llama 4) with one to three fields of the text or vision config
    replaced by hostile numbers written as JSON text (so integers may pass 4,300 digits)."""
    keys = VISION_FIELDS if section == "vision_config" else TEXT_FIELDS
    picked = changes.draw(st.lists(st.sampled_from(keys), min_size=1, max_size=3, unique=True))
    doc = json.loads(json.dumps(LLAMA4))
    placeholders = {}
    for i, key in enumerate(picked):
        doc[section][key] = f"@@{i}@@"
        placeholders[f'"@@{i}@@"'] = changes.draw(hostile_number(CONFIG_INT_DIGITS))
    text = json.dumps(doc)
    for ph, number in placeholders.items():
        text = text.replace(ph, number)
    try:  # the reader itself: a SpecError naming the field, nothing else
        spec = parse_config_json(text)
    except SpecError as e:
        assert "\n" not in str(e)
        event(f"refused: {str(e).split(':')[0][:30]}")
        return
    up, problem = read_uploaded_config("up.json", text.encode())  # the upload's edge agrees
    assert up is not None and problem is None
    event("accepted")
    e = estimate(spec, "bf16", Workload(context_len=4096), Deployment(gpu=GPUSpec("g", "g", 2**36)))
    assert 0 <= e.per_gpu.total_bytes <= MAX_BYTES
    assert e.parameters.total <= 10**15


@FUZZ
@given(
    data=st.data(),
    method=st.sampled_from(list(METHODS)),
    kv=st.sampled_from(["auto", "fp32", "fp8"]),
)
def test_products_near_the_limits_never_wrap(data: st.DataObject, method: str, kv: str) -> None:
    """Sizes each within its bound whose products are enormous: refused with a SpecError, or an
    estimate whose sweeps, grid and solver are exact and non-negative (never int64 wrap-around)."""
    heads = data.draw(st.sampled_from([1, 8, 64, 4096, MAX_DIM]))
    try:
        model = ModelSpec(
            num_hidden_layers=data.draw(near(MAX_LAYERS)),
            hidden_size=data.draw(near(MAX_DIM)),
            num_attention_heads=heads,
            num_key_value_heads=data.draw(st.sampled_from([1, heads])),
            head_dim=data.draw(near(MAX_DIM)),
            vocab_size=data.draw(st.sampled_from([0, 1000, 10_000_000])),
            num_experts=(e := data.draw(st.sampled_from([0, 8, MAX_EXPERTS]))),
            num_experts_per_tok=min(e, 2),
            moe_intermediate_size=data.draw(near(MAX_DIM)) if e else 0,
            num_parameters=data.draw(st.none() | st.integers(1, 10**15)),
            max_position_embeddings=MAX_CONTEXT,
        )
        work = Workload(
            context_len=data.draw(near(MAX_CONTEXT)),
            concurrency=data.draw(near(10_000_000)),
            batch_size=data.draw(st.sampled_from([1, 64])),
            kv_cache_dtype=kv,
        )
        gpu = GPUSpec("g", "g", data.draw(st.sampled_from([2**30, 2**40, 2**50])))
        est = estimate(model, "bf16", work, Deployment(gpu=gpu), EngineSettings(), method)
    except SpecError as e:
        event(f"refused: {str(e).split(':')[0][:30]}")
        return
    event("estimate returned")
    b = est.per_gpu
    assert 0 <= b.total_bytes <= MAX_BYTES
    top = est.max_sweep_concurrency()
    cs = np.unique(np.array([1, work.concurrency, min(top, 2**40)], dtype=np.int64))
    sweep = est.concurrency_sweep(cs)
    total = sweep["total"]
    assert (total >= 0).all() and (np.diff(total) >= 0).all()
    at = int(np.searchsorted(cs, work.concurrency))
    assert int(total[at]) == b.total_bytes
    beyond = min(top + 2**40, 2**62)  # past the ceiling: exact, or refused, never wrapped
    try:
        far = int(est.concurrency_sweep(np.array([beyond], dtype=np.int64))["total"][0])
    except SpecError as e:
        assert "concurrency sweep total" in str(e)
    else:
        assert far == est.fixed_bytes + beyond * est.per_request_bytes
    grid = est.total_grid(cs[:1], np.array([1, 128], dtype=np.int64))
    assert (grid >= 0).all()
    solved = est.max_concurrency_for_contexts(np.array([1, work.context_len, MAX_CONTEXT]))
    assert (solved >= 0).all() and not np.isnan(solved).any()


def within_bounds() -> st.SearchStrategy[dict[str, object]]:
    """Every numeric view field at, near or inside its widget bound."""
    out: dict[str, st.SearchStrategy[object]] = {}
    for name, b in INT_BOUNDS.items():
        out[name] = st.sampled_from([b.lo, b.hi]) | st.integers(b.lo, b.hi)
    for name, fb in FLOAT_BOUNDS.items():
        out[name] = st.sampled_from([fb.lo, fb.hi]) | st.floats(fb.lo, fb.hi)
    return st.fixed_dictionaries({}, optional=out)


@FUZZ
@given(
    values=within_bounds(),
    src=st.sampled_from(["preset", "preset", "custom", "upload"]),
    model=st.sampled_from(sorted(CAT.models)),
    method=st.sampled_from(list(METHODS)),
    gpus=st.lists(st.sampled_from(sorted(CAT.gpus)), max_size=3, unique=True),
    unit=st.sampled_from(["GiB", "GB"]),
)
def test_build_view_and_tables_over_every_widget_value(
    values: dict[str, object], src: str, model: str, method: str, gpus: list[str], unit: str
) -> None:
    """Any combination the widgets allow (cross-field settings included) gives a view, tables
    Arrow can hold, a figure and formulas: never an exception, never a negative byte count."""
    state = replace(
        ViewState(),
        src=src,
        model=model,
        method=method,
        gpus=tuple(gpus),
        unit=unit,
        **values,  # type: ignore[arg-type]
    )
    view = build_view(state, CAT)
    assert (view.sweep["total"] >= 0).all()
    est = view.fits[0].estimate if view.fits else view.estimate
    assert 0 <= est.per_gpu.total_bytes <= MAX_BYTES
    s = view.state
    assert s.tp * s.pp * s.dp <= 100_000 and s.avg <= s.ctx
    for table in (
        breakdown_table(view),
        *((fit_table(view), methods_table(view)) if view.fits else ()),
    ):
        pa.Table.from_pandas(table)
    concurrency_figure(view, validate=False)
    formulas_markdown(view)
    for row in view.methods:
        if view.state.method == row.method and view.fits:
            assert row.per_gpu[0] == view.fits[0].max_requests


@FUZZ
@given(
    st.dictionaries(
        st.sampled_from([f.name for f in fields(ViewState)] + ["x", "conc "]),
        st.one_of(
            st.text(max_size=30),
            huge_int_text().map(lambda t: t[:300]),
            st.lists(st.text(max_size=10), max_size=3),
            st.floats().map(repr),
        ),
        max_size=12,
    )
)
def test_url_codec_never_yields_a_value_the_widgets_refuse(params: dict[str, object]) -> None:
    state, notices = decode(params)  # type: ignore[arg-type]
    for name, b in INT_BOUNDS.items():
        assert b.contains(getattr(state, name)), name
    for name, fb in FLOAT_BOUNDS.items():
        v = getattr(state, name)
        assert math.isfinite(v) and fb.contains(v), name
    assert state.avg <= state.ctx
    for pid in (state.model, state.weights, state.kv, *state.gpus):
        assert ID_PATTERN.fullmatch(pid) and ".." not in pid
    assert len(set(state.gpus)) == len(state.gpus)
    assert decode(encode(state)) == (state, [])
    # at most two per parameter (given twice, and its value refused) and two cross-field ones
    assert len(notices) <= 2 * len(params) + 2


@FUZZ
@given(
    st.lists(
        st.tuples(
            st.sampled_from([*PIN_FIELDS, "evil", ""]),
            st.one_of(
                st.sampled_from(["1", "0", "64", "4096", "h100-sxm-80gb", "acme/none", "int4"]),
                st.sampled_from(sorted(CAT.models)),
                st.from_regex(r"[A-Za-z0-9._/,=-]{0,20}", fullmatch=True),
            ),
        ),
        max_size=12,
    )
)
def test_pins_validated_like_the_url(parts: list[tuple[str, str]]) -> None:
    token = ":".join(f"{k}={v}" for k, v in parts)
    view, problem = pinned_view(token, ViewState(), CAT)
    assert isinstance(problem, str)
    if view is None:
        assert problem.startswith("cannot be shown")
    else:
        assert (view.sweep["total"] >= 0).all()


@FUZZ
@given(
    field_=st.sampled_from(
        ["official_parameters", *TEXT_FIELDS, *(f"vision.{v}" for v in VISION_FIELDS)]
    ),
    number=hostile_number(),
    pid=st.sampled_from(["acme/x", "acme/模型", "-acme", "a" * 130, "ok.id_1"]),
)
def test_preset_files_with_any_failure_are_reported_not_raised(
    field_: str, number: str, pid: str
) -> None:
    """Preset YAML reaching every reader path with hostile numbers (integers past 4,300 digits,
    1e-200 shuffle ratios, zero intervals): the entry is reported or loaded, never raised."""
    vision = {k: v for k, v in LLAMA4["vision_config"].items()}  # type: ignore[attr-defined]
    text_cfg = {k: v for k, v in LLAMA4["text_config"].items()}  # type: ignore[attr-defined]
    cfg = {**text_cfg, "model_type": "llama4", "vision_config": vision}
    official = "1000000000"
    if field_ == "official_parameters":
        official = number
    elif field_.startswith("vision."):
        vision[field_.split(".", 1)[1]] = "@@N@@"
    else:
        cfg[field_] = "@@N@@"
    body = json.dumps(cfg).replace('"@@N@@"', number)  # JSON flow style is YAML
    text = (
        f"models:\n  - id: '{pid}'\n    name: X\n    family: F\n    source: s\n"
        f"    official_parameters: {official}\n    official_parameters_source: s\n"
        f"    config: {body}\n"
    )
    models: dict = {}
    errors: list[str] = []
    load_text(text, "fuzz.yaml", "user", models, {}, errors)
    assert all(e.startswith("fuzz.yaml") for e in errors)
    assert models or errors  # loaded, or reported: never silently dropped
    for preset in models.values():
        assert ID_PATTERN.fullmatch(preset.id)
