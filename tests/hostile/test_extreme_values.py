"""Issue 14 (second hostile pass): extreme sizes, products near the limits, URL values the widgets
refuse, cross-field settings, pins and notices. Each test names the failure it pins down."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from calculators import (
    Deployment,
    EngineSettings,
    GPUSpec,
    ModelSpec,
    SpecError,
    VisionSpec,
    Workload,
    estimate,
)
from calculators.spec import MAX_BYTES
from dashboard.bounds import FLOAT_BOUNDS, INT_BOUNDS, MAX_NOTICES, cap_notices
from dashboard.state import DEFAULT_STATE, decode, pin_token
from dashboard.tables import breakdown_table, methods_table
from dashboard.view import build_view, pinned_view
from presets import load_catalog

ROOT = Path(__file__).resolve().parents[2]
CAT = load_catalog()
H100 = GPUSpec("h100", "H100", 80 * 2**30)

# A model entered by hand at every widget's maximum (the issue's case: 1,000 layers x 4,096 KV
# heads x 4,096 head_dim, 10M tokens).
BY_HAND_MAX = replace(
    DEFAULT_STATE,
    src="custom",
    c_layers=INT_BOUNDS["c_layers"].hi,
    c_heads=INT_BOUNDS["c_heads"].hi,
    c_kv_heads=INT_BOUNDS["c_kv_heads"].hi,
    c_head_dim=INT_BOUNDS["c_head_dim"].hi,
    c_hidden=INT_BOUNDS["c_hidden"].hi,
    c_vocab=INT_BOUNDS["c_vocab"].hi,
    c_params_b=FLOAT_BOUNDS["c_params_b"].hi,
    ctx=INT_BOUNDS["ctx"].hi,
    avg=INT_BOUNDS["ctx"].hi,
    conc=INT_BOUNDS["conc"].hi,
    batch=INT_BOUNDS["batch"].hi,
)
# The same KV shape on a realistic hidden size, so the architecture is accepted: each request
# of 1M tokens needs ~62 PiB, so only a few fit under the 1 EiB ceiling.
BY_HAND_HUGE_KV = replace(
    DEFAULT_STATE,
    src="custom",
    c_layers=1000,
    c_heads=4096,
    c_kv_heads=4096,
    c_head_dim=4096,
    ctx=1_048_576,
    avg=2048,
    conc=1,
)


# -- one set of bounds: what the codec accepts, the widgets accept ---------------------------------
@pytest.mark.parametrize("name", sorted(INT_BOUNDS))
def test_codec_accepts_exactly_the_integer_bounds(name: str) -> None:
    b = INT_BOUNDS[name]
    extra = {"avg": {"ctx": str(INT_BOUNDS["ctx"].hi)}, "ctx": {"avg": "100"}}.get(name, {})
    for good in (b.lo, b.hi):
        state, notices = decode({name: str(good), **extra})
        assert notices == [] and getattr(state, name) == good
    for bad in (b.lo - 1, b.hi + 1):
        state, notices = decode({name: str(bad), **extra})
        assert getattr(state, name) == getattr(DEFAULT_STATE, name)
        assert len(notices) == 1 and f"'{name}'" in notices[0] and "outside" in notices[0]


@pytest.mark.parametrize("name", sorted(FLOAT_BOUNDS))
def test_codec_accepts_exactly_the_float_bounds(name: str) -> None:
    b = FLOAT_BOUNDS[name]
    for good in (b.lo, b.hi):
        assert decode({name: repr(good)}) == (replace(DEFAULT_STATE, **{name: good}), [])
    for bad in (b.lo - 0.01, b.hi + 0.01):
        state, notices = decode({name: repr(bad)})
        assert getattr(state, name) == getattr(DEFAULT_STATE, name) and len(notices) == 1


@pytest.mark.parametrize(
    "query", [{"conc": "4097"}, {"conc": "100000"}, {"alpha": "0.51"}, {"util": "0.3"}]
)
def test_the_issues_out_of_widget_values_are_refused_by_the_codec(query: dict[str, str]) -> None:
    # Before: accepted, then Streamlit refused the widget value (StreamlitAPIException).
    state, notices = decode(query)
    assert state == DEFAULT_STATE and len(notices) == 1


def test_repeated_parameters_take_the_first_value_with_a_notice() -> None:
    state, notices = decode({"conc": ["8", "4096"], "tp": ["2", "2"]})
    assert state.conc == 8 and state.tp == 2
    assert len(notices) == 1 and "'conc' is given 2 times" in notices[0]


def test_999_unknown_parameters_give_one_grouped_notice() -> None:
    state, notices = decode({f"junk{i}": "1" for i in range(999)})
    assert state == DEFAULT_STATE
    assert notices == [
        "URL parameters 'junk0', 'junk1', 'junk2', 'junk3', 'junk4' and 994 more are not known "
        "and were ignored."
    ]


def test_notices_are_capped_with_a_count_of_the_rest() -> None:
    many = [f"n{i}" for i in range(40)]
    capped = cap_notices(many)
    assert len(capped) == MAX_NOTICES
    assert capped[-1] == f"... and {40 - MAX_NOTICES + 1} more notices about this view."
    assert cap_notices(many[:3]) == many[:3]


# -- products of individually allowed sizes -----------------------------------------------------
def test_by_hand_model_at_the_widgets_maxima_gives_a_message_not_a_traceback() -> None:
    view = build_view(BY_HAND_MAX, CAT)
    assert any("parameters derived from the sizes is over" in n for n in view.notices)
    assert view.sweep["total"].min() > 0


def test_a_huge_kv_cache_gives_a_correct_positive_sweep_within_the_ceiling() -> None:
    view = build_view(BY_HAND_HUGE_KV, CAT)
    est = view.fits[0].estimate
    total = view.sweep["total"]
    assert (total > 0).all() and (np.diff(total) > 0).all()  # before: wrapped negative
    assert int(total.max()) <= MAX_BYTES
    at = int(np.searchsorted(view.sweep_concurrency, view.state.conc))
    assert int(total[at]) == est.per_gpu.total_bytes
    # the breakdown table reaches Arrow (Streamlit's st.dataframe) without overflowing int64
    table = pa.Table.from_pandas(breakdown_table(view))
    assert table.column("Bytes").to_pylist()[-1] == est.per_gpu.total_bytes


def test_an_estimate_over_one_exbibyte_per_gpu_is_refused_with_its_size() -> None:
    model = ModelSpec(1000, 4096, 4096, 4096, head_dim=4096)  # 64 GiB of KV per token
    with pytest.raises(SpecError, match=r"^memory: 1.16 EiB per GPU .* over the 1 EiB limit"):
        work = Workload(context_len=10_000_000, concurrency=2)
        estimate(model, "bf16", work, Deployment(gpu=H100))


def test_sweeps_and_grids_refuse_to_wrap_around_int64() -> None:
    model = ModelSpec(1000, 4096, 4096, 4096, head_dim=4096)
    est = estimate(model, "bf16", Workload(context_len=1_000_000), Deployment(gpu=H100))
    per = est.per_request_bytes
    assert per * 9000 > 2**63  # 9,000 requests would wrap around in int64
    with pytest.raises(SpecError, match="concurrency sweep total"):
        est.concurrency_sweep(np.array([1, 9000]))
    with pytest.raises(SpecError, match="grid total"):
        est.total_grid(np.array([9000]), np.array([1_000_000]))
    ok = est.concurrency_sweep(np.arange(1, est.max_sweep_concurrency() + 1))
    assert (ok["total"] > 0).all()
    # the solver answers in floats, with exact integers past int64
    big = est.max_concurrency_for_contexts(np.array([100_000_000]))
    assert 0 <= float(big[0]) < 1


def test_100000_experts_are_refused_by_the_parameter_bound_not_numpy() -> None:
    # Before: OverflowError in np.full_like (weights beyond int64).
    with pytest.raises(SpecError, match=r"architecture: .* parameters derived"):
        ModelSpec(
            100,
            1_000_000,
            8,
            8,
            num_experts=100_000,
            num_experts_per_tok=8,
            moe_intermediate_size=100_000,
        )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hidden_size", 10**200),
        ("intermediate_size", 10**7),
        ("num_hidden_layers", 10**5),
        ("image_size", 10**9),
        ("num_channels", 10**6),
        ("projector_parameters", 10**16),
        ("bias", "yes"),
    ],
)
def test_vision_encoder_sizes_are_bounded(field: str, value: object) -> None:
    kw: dict[str, object] = dict(
        hidden_size=1024,
        intermediate_size=4096,
        num_hidden_layers=24,
        patch_size=14,
        image_size=336,
    )
    kw[field] = value
    with pytest.raises(SpecError, match=f"vision_config.{field}"):
        VisionSpec(**kw)  # type: ignore[arg-type]


def test_a_vision_encoder_too_large_in_product_is_refused() -> None:
    vision = VisionSpec(1_000_000, 1_000_000, 10_000, 14, 336)
    with pytest.raises(SpecError, match="architecture"):
        ModelSpec(4, 256, 4, 2, vision=vision)


# -- cross-field limits, in one place -------------------------------------------------------------
def test_tp_pp_replicas_product_is_limited_with_a_notice() -> None:
    view = build_view(replace(DEFAULT_STATE, tp=32, pp=32, dp=1024), CAT)
    assert view.state.tp * view.state.pp * view.state.dp <= 100_000
    assert any("1,048,576 GPUs, over 100,000" in n for n in view.notices)


def test_llamacpp_with_more_gpus_than_layers_gives_a_notice() -> None:
    # Before: SpecError "GPU count: 64 GPUs for 32 layers" escaped to the page.
    view = build_view(replace(DEFAULT_STATE, method="llamacpp", tp=8, pp=8), CAT)
    assert (view.state.tp, view.state.pp) == (1, 1)
    assert any("64 GPUs for 32 layers" in n for n in view.notices)


def test_context_beyond_the_native_maximum_is_shown_with_a_notice() -> None:
    state, notices = decode({"model": "microsoft/Phi-3-mini-4k-instruct", "ctx": "10000000"})
    assert notices == []
    view = build_view(state, CAT)
    assert view.state.ctx == 10_000_000
    assert any("beyond the model's native maximum of 4,096" in n for n in view.notices)


def test_methods_table_honours_replicas() -> None:
    # Before: the column said "3 replicas" and showed one replica's requests (20 vs 60).
    view = build_view(replace(DEFAULT_STATE, dp=3, method="vllm", gpus=("h100-sxm-80gb",)), CAT)
    row = next(r for r in view.methods if r.method == "vllm")
    assert row.per_gpu[0] == view.fits[0].max_requests
    assert view.fits[0].max_requests % 3 == 0
    table = methods_table(view)
    column = next(c for c in table.columns if "3 replicas" in c)
    shown = table.loc[table["Method"].str.contains("shown"), column].iloc[0]
    assert shown == f"{view.fits[0].max_requests:,}"


def test_declared_parameters_below_the_embeddings_get_a_notice() -> None:
    view = build_view(replace(DEFAULT_STATE, src="custom", c_params_b=0.001), CAT)
    assert any("fewer than the embeddings alone" in n for n in view.notices)
    sane = build_view(replace(DEFAULT_STATE, src="custom", c_params_b=7.0), CAT)
    assert not any("declared" in n for n in sane.notices)


# -- pins: validated like the URL, with notices for what they drop -----------------------------------
def test_pins_name_what_they_cannot_show_or_replace() -> None:
    good = pin_token(replace(DEFAULT_STATE, gpus=("l40s-48gb",)))
    view, problem = pinned_view(good, DEFAULT_STATE, CAT)
    assert view is not None and problem == ""
    view, problem = pinned_view(
        good.replace("meta-llama/Llama-3.1-8B-Instruct", "acme/x"), DEFAULT_STATE, CAT
    )
    assert view is None and "model preset 'acme/x' is not known" in problem
    view, problem = pinned_view(good.replace("l40s-48gb", "made-up-gpu"), DEFAULT_STATE, CAT)
    assert view is not None and not view.fits and "GPU made-up-gpu is not known" in problem
    view, problem = pinned_view(good.replace("tp=1", "tp=3"), DEFAULT_STATE, CAT)
    assert view is not None and view.state.tp == 1 and "Tensor parallel 3 does not split" in problem
    view, problem = pinned_view("model=x:evil=1", DEFAULT_STATE, CAT)
    assert view is None and "unknown field 'evil'" in problem


# -- CLI -------------------------------------------------------------------------------------------
def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calculators", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["estimate", "--config", ""], "error: --config: empty"),
        (["estimate", "--model", ""], "error: --model: empty"),
        (["estimate", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", ""], "--gpu: empty"),
        (
            [
                "estimate",
                "--params",
                "1e9",
                "--layers",
                "1000",
                "--hidden-size",
                "4096",
                "--heads",
                "4096",
                "--head-dim",
                "4096",
                "--context",
                "10000000",
                "--concurrency",
                "4096",
            ],
            "error: memory: ",
        ),
    ],
)
def test_cli_extreme_and_empty_arguments_get_one_line(args: list[str], needle: str) -> None:
    r = _cli(*args)
    assert r.returncode == 2, r.stderr
    assert needle in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_cli_warns_about_a_declared_count_below_the_embeddings() -> None:
    r = _cli("estimate", "--params", "1", "--layers", "2", "--hidden-size", "4096", "--heads", "32")
    assert r.returncode == 0
    r = _cli(
        "estimate",
        *("--params", "1", "--layers", "2", "--hidden-size", "4096", "--heads", "32"),
        *("--vocab-size", "128000"),
    )
    assert r.returncode == 0 and "warning: The declared" in r.stderr


def test_engine_settings_at_their_bounds_still_estimate() -> None:
    est = estimate(
        ModelSpec(32, 4096, 32, 8, vocab_size=128256),
        "bf16",
        Workload(context_len=INT_BOUNDS["ctx"].hi, concurrency=INT_BOUNDS["conc"].hi),
        Deployment(gpu=H100),
        EngineSettings(max_num_batched_tokens=INT_BOUNDS["mnbt"].hi),
        "vllm",
    )
    assert est.per_gpu.total_bytes > 0
