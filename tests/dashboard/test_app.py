"""The Streamlit app through AppTest: loads, every control moves what it should (and only that),
the URL round-trips, and the chart's data are the calculators' numbers."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from calculators import Deployment, Workload, estimate
from presets import load_catalog

APP = str(Path(__file__).resolve().parents[2] / "app.py")
CAT = load_catalog()


def run_app(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label.split(" @")[0].split(" (")[0]: m.value for m in at.metric}


def figure(at: AppTest, i: int = 0) -> dict:
    return json.loads(at.get("plotly_chart")[i].proto.spec)


def decode(arr: object) -> np.ndarray:
    if isinstance(arr, dict) and "bdata" in arr:
        return np.frombuffer(base64.b64decode(arr["bdata"]), dtype=np.dtype(arr["dtype"]))
    return np.asarray(arr, dtype=float)


def test_loads_without_exception_and_shows_everything() -> None:
    at = run_app()
    assert len(at.get("plotly_chart")) == 3  # concurrency, breakdown, plan
    m = metrics(at)
    assert m["Total per GPU"].endswith("GiB") and m["Weights per GPU"] == "14.96 GiB"
    assert len(at.dataframe) >= 3
    assert not at.warning


@pytest.mark.parametrize(
    ("key", "value", "changes", "unchanged"),
    [
        (
            "w_conc",
            40,
            {"Total per GPU"},
            {"Weights per GPU", "KV cache per request", "KV per token"},
        ),
        (
            "w_ctx",
            32768,
            {"Total per GPU", "KV cache per request"},
            {"Weights per GPU", "KV per token"},
        ),
        (
            "w_weights",
            "int4",
            {"Total per GPU", "Weights per GPU"},
            {"KV cache per request", "KV per token"},
        ),
        (
            "w_kv",
            "fp8",
            {"Total per GPU", "KV cache per request", "KV per token"},
            {"Weights per GPU"},
        ),
        (
            "w_alpha",
            0.3,
            {"Total per GPU"},
            {"Weights per GPU", "KV cache per request", "KV per token"},
        ),
        (
            "w_tp",
            2,
            {"Total per GPU", "Weights per GPU", "KV cache per request", "KV per token"},
            set(),
        ),
        (
            "w_batch",
            2,
            {"Total per GPU", "KV cache per request"},
            {"Weights per GPU", "KV per token"},
        ),
    ],
)
def test_each_control_moves_what_it_should(key, value, changes, unchanged) -> None:
    at = run_app()
    before = metrics(at)
    widget = (
        at.sidebar.get("slider")
        + at.sidebar.get("select_slider")
        + at.sidebar.get("selectbox")
        + at.sidebar.get("number_input")
    )
    target = [w for w in widget if w.key == key]
    assert target, f"no widget with key {key}"
    target[0].set_value(value).run()
    assert not at.exception
    after = metrics(at)
    for name in changes:
        assert after[name] != before[name], name
    for name in unchanged:
        assert after[name] == before[name], name


def test_url_round_trip_restores_the_view() -> None:
    at = run_app(
        model="Qwen/Qwen3-8B",
        weights="fp8",
        ctx="16384",
        conc="37",
        gpus="h100-sxm-80gb,l4-24gb",
        unit="GB",
    )
    assert at.sidebar.selectbox(key="w_model").value == "Qwen/Qwen3-8B"
    assert at.sidebar.slider(key="w_conc").value == 37
    assert at.sidebar.radio(key="w_unit").value == "GB"
    assert any("GB" in m.value and "GiB" not in m.value for m in at.metric)
    assert not at.warning
    at.sidebar.slider(key="w_conc").set_value(50).run()
    assert at.query_params["conc"] == ["50"] or at.query_params["conc"] == "50"
    assert "Qwen/Qwen3-8B" in str(at.query_params["model"])


@pytest.mark.parametrize(
    "query",
    [
        {"conc": "abc"},
        {"ctx": "-5"},
        {"alpha": "nan"},
        {"util": "inf"},
        {"model": "../../etc/passwd"},
        {"gpus": "no-such-gpu"},
        {"model": "acme/not-a-model"},
        {"weights": "<script>alert(1)</script>"},
        {"bogus": "1"},
        {"conc": "9" * 500},
    ],
)
def test_bad_url_values_fall_back_with_a_notice(query) -> None:
    at = run_app(**query)
    assert at.warning, "a visible notice is expected"
    assert len(at.get("plotly_chart")) == 3  # concurrency, breakdown, plan
    text = " ".join(w.value for w in at.warning)
    assert "<script>" not in text  # user text is escaped, never rendered as markup


def test_concurrency_chart_data_match_the_calculators() -> None:
    at = run_app(conc="8", gpus="h100-sxm-80gb")
    fig = figure(at, 0)
    total = next(t for t in fig["data"] if t.get("name") == "Total per GPU")
    x = decode(total["x"]).astype(int)
    y = decode(total["y"])
    spec = CAT.models["meta-llama/Llama-3.1-8B-Instruct"].spec
    est = estimate(
        spec,
        "bf16",
        Workload(context_len=8192, concurrency=8, avg_tokens=2048),
        Deployment(gpu=CAT.gpus["h100-sxm-80gb"].spec),
    )
    expected = est.concurrency_sweep(x)["total"] / 2**30
    assert np.allclose(y, expected, rtol=0, atol=1e-9)
    assert "Llama 3.1 8B Instruct" in fig["layout"]["title"]["text"]
    assert "GiB" in fig["layout"]["title"]["subtitle"]["text"]
    assert "GiB" in fig["layout"]["yaxis"]["title"]["text"]


def test_pinning_adds_a_bar_per_scenario() -> None:
    at = run_app()
    at.button[0].click().run()
    at.sidebar.selectbox(key="w_weights").set_value("int4").run()
    bars = [t for t in figure(at, 1)["data"] if t.get("type") == "bar"]
    assert len(decode(bars[0]["y"])) == 2
    assert "pins" in at.query_params


@pytest.mark.parametrize("method", ["vllm", "sglang", "llamacpp"])
def test_engine_methods_render(method: str) -> None:
    at = run_app(method=method)
    assert len(at.get("plotly_chart")) == 3  # concurrency, breakdown, plan
    sub = figure(at, 0)["layout"]["title"]["subtitle"]["text"]
    assert {"vllm": "vLLM", "sglang": "SGLang", "llamacpp": "llama.cpp"}[method] in sub


def test_replicas_multiply_capacity_not_memory() -> None:
    at = run_app(gpus="h100-sxm-80gb")
    one = at.dataframe[0].value.iloc[0]
    total_one = metrics(at)["Total per GPU"]
    at.sidebar.number_input(key="w_dp").set_value(3).run()
    three = at.dataframe[0].value.iloc[0]
    assert metrics(at)["Total per GPU"] == total_one
    col = next(c for c in at.dataframe[0].value.columns if c.startswith("Max requests @ 8,192"))
    assert three[col] == 3 * one[col]
    assert "3 replicas" in three["GPU setup"]
