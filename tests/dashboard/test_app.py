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
from dashboard.figures import DIFF_COLOR
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
    assert len(at.get("plotly_chart")) == 4  # memory, speed, breakdown, plan
    m = metrics(at)
    assert m["Total per GPU"].endswith("GiB") and m["Weights per GPU"] == "14.96 GiB"
    assert len(at.dataframe) >= 3
    assert not at.warning


@pytest.mark.parametrize(
    ("key", "value", "changes", "unchanged"),
    [
        (
            "w_conc",
            48,
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
    assert at.sidebar.select_slider(key="w_conc").value == 37
    assert at.sidebar.radio(key="w_unit").value == "GB"
    assert any("GB" in m.value and "GiB" not in m.value for m in at.metric)
    assert not at.warning
    at.sidebar.select_slider(key="w_conc").set_value(48).run()
    assert at.query_params["conc"] == ["48"] or at.query_params["conc"] == "48"
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
    # memory, speed (needs a GPU: an unknown GPU id leaves none), breakdown and plan
    assert len(at.get("plotly_chart")) == (4 if at.session_state["w_gpus"] else 3)
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
    at.sidebar.select_slider(key="w_weights").set_value("int4").run()
    bars = [t for t in figure(at, 2)["data"] if t.get("type") == "bar"]
    assert len(decode(bars[0]["x"])) == 2
    assert "pins" in at.query_params
    labels = bars[0]["y"]
    assert labels[0].startswith("<b>This view</b>") and labels[1].startswith("<b>Pin 1</b>")
    for label in labels:  # each bar names model, weight format, method and GPU setup
        for needle in ("Llama 3.1 8B Instruct", "Article (conservative)", "NVIDIA H100 SXM5 80GB"):
            assert needle in label
    # what differs from this view is highlighted in the pin's label, nothing else
    assert "INT4 (ideal, no scales)" in labels[0] and DIFF_COLOR not in labels[0]
    assert f'<span style="color:{DIFF_COLOR}"><b>BF16</b></span>' in labels[1]
    assert labels[1].count(DIFF_COLOR) == 1
    assert bars[0]["orientation"] == "h"  # labels wrap beside the bars, never rotate


def test_a_pin_of_this_very_view_is_not_shown_twice() -> None:
    at = run_app()
    at.button[0].click().run()
    bars = [t for t in figure(at, 2)["data"] if t.get("type") == "bar"]
    assert len(bars[0]["y"]) == 1
    assert next(b for b in at.button if b.label == "Pin this scenario").disabled


@pytest.mark.parametrize("method", ["vllm", "sglang", "llamacpp"])
def test_engine_methods_render(method: str) -> None:
    at = run_app(method=method)
    assert len(at.get("plotly_chart")) == 4  # memory, speed, breakdown, plan
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


def test_speed_chart_and_slo_column() -> None:
    at = run_app(method="vllm", gpus="h100-sxm-80gb,a100-40gb,rtx-4090-24gb", slo="1")
    fig = figure(at, 1)
    assert "Speed vs concurrent users" in fig["layout"]["title"]["text"]
    assert "1,024 in / 1,024 out" in fig["layout"]["title"]["subtitle"]["text"]
    assert fig["layout"]["yaxis"]["title"]["text"] == "Tokens/s per user"
    assert fig["layout"]["yaxis2"]["title"]["text"].startswith("Time to first token (s")
    names = [t.get("name", "") for t in fig["data"] if t.get("showlegend") is not False]
    assert any(n.startswith("NVIDIA H100 SXM5 80GB:") for n in names)
    assert any(n.startswith("SLO:") for n in names)
    # the memory limit: a dashed vertical line per drawn GPU in each panel
    assert sum(1 for s in fig["layout"]["shapes"] if s["line"].get("dash") == "dash") == 4
    table = at.dataframe[0].value
    slo_col = next(c for c in table.columns if c.startswith("Max meeting SLO"))
    fits_col = next(c for c in table.columns if c.endswith("(speed chart)"))
    h100 = table.iloc[0]
    assert 0 < int(str(h100[slo_col]).replace(",", "")) <= int(h100[fits_col])
    assert table.iloc[2][slo_col] == "—"  # RTX 4090: no TFLOPS in its preset
    captions = " ".join(c.value for c in at.caption)
    assert "peak" in captions and "RTX 4090" in captions


def test_speed_inputs_move_the_speed_chart_only() -> None:
    at = run_app(method="vllm", gpus="h100-sxm-80gb")
    before = figure(at, 0), decode(figure(at, 1)["data"][0]["y"])
    at.sidebar.number_input(key="w_in_tok").set_value(8192).run()
    assert figure(at, 0) == before[0]
    after = decode(figure(at, 1)["data"][0]["y"])
    assert after[0] < before[1][0]  # a longer prompt: slower per user
    assert at.query_params["in_tok"] == ["8192"] or at.query_params["in_tok"] == "8192"


def _trace(fig: dict, name: str) -> np.ndarray:
    return decode(next(t for t in fig["data"] if t.get("name") == name)["y"])


@pytest.mark.parametrize(
    ("key", "query", "value", "shown", "trace"),
    [
        # quantisation: format, bits per weight and the article's quantization factor
        ("w_weights", {}, "q4_k_m", "GGUF Q4_K_M · 4.8 bpw · factor 6.67", "Weights"),
        ("w_ctx", {}, 12_000, "12,000", "KV cache"),  # context: the article's 12,000 is a step
        ("w_c_params_b", {"src": "custom"}, 405.0, "405", "Weights"),  # parameters ("By hand")
    ],
)
def test_each_named_slider_exists_and_moves_the_chart(key, query, value, shown, trace) -> None:
    at = run_app(**query)
    slider = at.sidebar.select_slider(key=key)
    assert shown in slider.options
    before = _trace(figure(at, 0), trace)
    slider.set_value(value).run()
    assert not at.exception
    after = _trace(figure(at, 0), trace)
    assert before[0] != after[0], f"{key} did not move the {trace} band"
    bars_before = figure(at, 2)  # the compare chart follows the view too
    assert any(t.get("type") == "bar" for t in bars_before["data"])


def test_concurrency_slider_moves_the_chosen_marker_and_scale_is_fine_at_the_low_end() -> None:
    at = run_app()
    slider = at.sidebar.select_slider(key="w_conc")
    opts = [int(o.replace(",", "")) for o in slider.options]
    assert opts[:8] == [1, 2, 3, 4, 6, 8, 12, 16] and opts[-1] == 4096
    slider.set_value(4096).run()
    texts = [a["text"] for a in figure(at, 0)["layout"]["annotations"]]
    assert any(t.startswith("chosen: 4,096 requests") for t in texts), texts
    assert figure(at, 0)["layout"]["xaxis"]["type"] == "log"  # 4,096 and crossings near 10


def test_weight_formats_are_ordered_by_bits_per_weight() -> None:
    opts = run_app().sidebar.select_slider(key="w_weights").options
    bpw = [float(o.split(" · ")[-2].removesuffix(" bpw")) for o in opts]
    assert bpw == sorted(bpw, reverse=True) and bpw[0] == 32 and bpw[-1] < 3


def test_exact_context_entry_sets_any_length() -> None:
    at = run_app()
    at.sidebar.number_input(key="exact_ctx").set_value(12_345).run()
    assert at.sidebar.select_slider(key="w_ctx").value == 12_345
    assert "12,345 tokens" in figure(at, 0)["layout"]["title"]["subtitle"]["text"]
    assert at.query_params["ctx"] in (["12345"], "12345")


def test_article_example_is_one_click_and_exact_to_the_byte() -> None:
    """The source article's sections 一-五: 72,000,000,000 + 9,437,184,000 + 4,718,592,000 +
    10,800,000,000 = 96,955,776,000 bytes (tests/calculators/test_article_golden.py)."""
    at = run_app()
    next(b for b in at.sidebar.button if b.label == "Article's worked example").click().run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Component" in d.value.columns)
    got = dict(zip(table["Component"], table["Bytes"], strict=True))
    assert got == {
        "Weights": 72_000_000_000,
        "KV cache": 9_437_184_000,
        "Activations": 4_718_592_000,
        "Overhead": 10_800_000_000,
        "Total": 96_955_776_000,
    }
    assert metrics(at)["Total per GPU"] == "96.96 GB"  # as the article prints it


UPLOAD = (
    Path(__file__).resolve().parents[1] / "data" / "uploads" / "llama-3.1-8b-instruct.config.json"
)


def test_a_link_with_an_uploaded_config_opens_that_model() -> None:
    from dashboard.state import encode_config

    at = run_app(src="upload", cfg=encode_config(UPLOAD.read_bytes()), ctx="12000", v="2")
    assert not at.warning, [w.value for w in at.warning]
    assert at.subheader[0].value.startswith("LlamaForCausalLM")
    assert "config.json" not in at.subheader[0].value.split(" (")[0]  # named after the model
    # the link written back carries the config again
    assert str(at.query_params["cfg"]).strip("[]'").startswith("z1.")


def test_a_broken_link_config_is_named_in_the_notice() -> None:
    at = run_app(src="upload", cfg="z1.!!!")
    text = " ".join(w.value for w in at.warning)
    assert "cfg" in text and "base64url" in text
    assert len(at.get("plotly_chart")) == 4  # concurrency, speed, compare, plan
