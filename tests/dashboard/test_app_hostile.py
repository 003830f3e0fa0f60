"""Issue 14 through AppTest: crafted links and extreme widget values give notices, never an
exception or an empty page; notices are capped; two sessions do not share settings."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from calculators import format_bytes
from dashboard.bounds import FLOAT_BOUNDS, INT_BOUNDS, MAX_NOTICES
from dashboard.state import DEFAULT_STATE, pin_token
from dashboard.view import build_view
from presets import load_catalog

CAT = load_catalog()
APP = str(Path(__file__).resolve().parents[2] / "app.py")


def run_app(**query: str | list[str]) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def total_metric(at: AppTest) -> str:
    return next(m.value for m in at.metric if m.label.startswith("Total per GPU"))


def warnings(at: AppTest) -> str:
    """The warning boxes' text, Markdown escapes removed."""
    return re.sub(r"\\(.)", r"\1", " ".join(w.value for w in at.warning))


def assert_page_is_whole(at: AppTest) -> None:
    assert not at.exception
    charts = 4 if at.session_state["w_gpus"] else 3  # the speed chart needs a GPU
    assert len(at.get("plotly_chart")) == charts
    assert not total_metric(at).startswith("-")


@pytest.mark.parametrize(
    "query",
    [
        {"conc": "4097"},  # the concurrency slider ends at 4,096 (issue 16)
        {"conc": "100000"},
        {"alpha": "0.51"},
        {"alpha": "1"},
        {"util": "0.05"},
        {"util": "0.49"},
        {"conc": ["8", "4096"]},
        {"tp": "32", "pp": "32", "dp": "1024"},
        {"method": "llamacpp", "tp": "64"},
        {"model": "microsoft/Phi-3-mini-4k-instruct", "ctx": "10000000"},
    ],
)
def test_crafted_links_give_a_notice_and_a_whole_page(query: dict[str, str]) -> None:
    # Before: StreamlitAPIException (values the widgets refuse) or a SpecError on the page.
    at = run_app(**query)
    assert_page_is_whole(at)
    assert at.warning


def test_repeated_parameter_takes_the_first_value() -> None:
    at = run_app(conc=["8", "4096"])
    assert at.sidebar.select_slider(key="w_conc").value == 8
    assert "given 2 times" in warnings(at)


def test_999_bad_parameters_give_at_most_the_capped_number_of_boxes() -> None:
    # 995 unknown and 4 invalid (Streamlit itself drops a query of over 1,000 fields)
    at = run_app(**{f"u{i}": "1" for i in range(995)}, conc="abc", ctx="x", tp="0", pp="-1")
    assert_page_is_whole(at)
    assert len(at.warning) == 5  # one grouped notice for the unknown, one per invalid value
    assert "and 990 more are not known" in warnings(at)
    at = run_app(**{f"p{i}": "x" for i in range(4)}, **{k: "-9" for k in INT_BOUNDS})
    assert_page_is_whole(at)
    assert len(at.warning) == MAX_NOTICES and "more notices" in at.warning[-1].value


def test_by_hand_model_at_the_widgets_maxima_gives_a_message_not_a_traceback() -> None:
    at = run_app(src="custom")
    for key, b in INT_BOUNDS.items():
        if key.startswith("c_"):
            at.sidebar.number_input(key=f"w_{key}").set_value(b.hi)
    at.sidebar.number_input(key="exact_c_params_b").set_value(FLOAT_BOUNDS["c_params_b"].hi)
    at.sidebar.select_slider(key="w_conc").set_value(INT_BOUNDS["conc"].hi)
    at.sidebar.number_input(key="w_batch").set_value(INT_BOUNDS["batch"].hi).run()
    assert_page_is_whole(at)
    assert "cannot be estimated" in warnings(at) or "is over" in warnings(at)


def test_huge_kv_by_hand_shows_a_positive_total_and_a_table() -> None:
    # Before: the chart's total wrapped around int64 and went negative; Arrow overflowed.
    big = {"c_layers": 1000, "c_heads": 4096, "c_kv_heads": 4096, "c_head_dim": 4096}
    at = run_app(src="custom", **{k: str(v) for k, v in big.items()})
    at.sidebar.select_slider(key="w_ctx").set_value(1_048_576).run()
    assert_page_is_whole(at)
    view = build_view(replace(DEFAULT_STATE, src="custom", ctx=1_048_576, **big), CAT)
    total = view.fits[0].estimate.per_gpu.total_bytes
    assert total > 2**55  # tens of PiB: past where the old int64 sweep wrapped at 4,096 requests
    assert total_metric(at) == format_bytes(total, "GiB")
    breakdown = next(d.value for d in at.dataframe if "Bytes" in d.value.columns)
    assert breakdown["Bytes"].iloc[-1] == total


def test_typing_parallelism_beyond_the_gpu_limit_gives_a_notice() -> None:
    at = run_app()
    at.sidebar.number_input(key="w_tp").set_value(32)
    at.sidebar.number_input(key="w_pp").set_value(32)
    at.sidebar.number_input(key="w_dp").set_value(1024).run()
    assert_page_is_whole(at)
    assert "over 100,000" in warnings(at) or "does not split" in warnings(at)


def test_methods_table_honours_replicas() -> None:
    at = run_app(gpus="h100-sxm-80gb", method="vllm", dp="3")
    fit = at.dataframe[0].value
    methods = at.dataframe[1].value
    col = next(c for c in fit.columns if c.startswith("Max requests @ 8,192"))
    setup = fit["GPU setup"].iloc[0]
    assert "3 replicas" in setup
    shown = methods.loc[methods["Method"].str.contains("shown"), setup].iloc[0]
    assert shown == f"{fit[col].iloc[0]:,}"


def test_declared_parameters_below_the_embeddings_get_a_notice() -> None:
    at = run_app(src="custom", c_params_b="0.001", c_vocab="2000000", c_hidden="262144")
    assert_page_is_whole(at)
    assert "fewer than the embeddings alone" in warnings(at)


def test_a_pin_naming_an_unknown_model_gpu_or_tp_is_reported() -> None:
    good = pin_token(DEFAULT_STATE)
    pins = "~".join(
        [
            good.replace("meta-llama/Llama-3.1-8B-Instruct", "acme/nope"),
            good.replace("h100-sxm-80gb", "no-such-gpu"),
            good.replace("tp=1", "tp=5"),
        ]
    )
    at = run_app(pins=pins)
    assert_page_is_whole(at)
    text = warnings(at)
    assert "Pinned scenario 1: cannot be shown: model preset 'acme/nope' is not known" in text
    assert "Pinned scenario 2: GPU no-such-gpu is not known" in text
    assert "Pinned scenario 3: Tensor parallel 5 does not split" in text


def test_two_sessions_interleaved_keep_their_own_settings() -> None:
    a = run_app(conc="8", gpus="h100-sxm-80gb")
    b = run_app(model="Qwen/Qwen3-8B", conc="300", unit="GB", gpus="l4-24gb")
    a_total, b_total = total_metric(a), total_metric(b)
    for step in range(3):  # exact entries: any value, not only the slider's steps
        a.sidebar.number_input(key="exact_conc").set_value(9 + step).run()
        b.sidebar.number_input(key="exact_conc").set_value(301 + step).run()
        assert a.sidebar.select_slider(key="w_conc").value == 9 + step
        assert b.sidebar.select_slider(key="w_conc").value == 301 + step
        assert a.sidebar.selectbox(key="w_model").value == "meta-llama/Llama-3.1-8B-Instruct"
        assert b.sidebar.selectbox(key="w_model").value == "Qwen/Qwen3-8B"
        assert total_metric(a).endswith("GiB") and total_metric(b).endswith("GB")
        assert "H100" in a.dataframe[0].value["GPU setup"].iloc[0]
        assert "L4" in b.dataframe[0].value["GPU setup"].iloc[0]
    a.sidebar.select_slider(key="w_conc").set_value(8).run()
    b.sidebar.number_input(key="exact_conc").set_value(300).run()
    assert (total_metric(a), total_metric(b)) == (a_total, b_total)
