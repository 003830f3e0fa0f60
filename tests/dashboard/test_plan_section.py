"""The Plan section and the fit table's longest-context column, through AppTest (issue 13)."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import numpy as np
from streamlit.testing.v1 import AppTest

from calculators import Deployment, Target, longest_context, plan
from dashboard.plan_view import context_text, parse_prices
from dashboard.state import DEFAULT_STATE
from dashboard.view import settings_for
from presets import load_catalog

APP = str(Path(__file__).resolve().parents[2] / "app.py")
CAT = load_catalog()
MODEL_70B = "meta-llama/Llama-3.1-70B-Instruct"


def run_app(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def plan_frame(at: AppTest):  # type: ignore[no-untyped-def]
    return next(d.value for d in at.dataframe if "Setup (TP × PP × replicas)" in d.value.columns)


def plan_chart(at: AppTest) -> dict:
    for c in at.get("plotly_chart"):
        spec = json.loads(c.proto.spec)
        if "GPUs needed" in spec["layout"]["title"]["text"]:
            return spec
    raise AssertionError("no plan chart")


def plain(text: str) -> str:
    """Text shown through md_escape, unescaped."""
    return re.sub(r"\\(.)", r"\1", text)


def decode(arr: object) -> np.ndarray:
    if isinstance(arr, dict) and "bdata" in arr:
        return np.frombuffer(base64.b64decode(arr["bdata"]), dtype=np.dtype(arr["dtype"]))
    return np.asarray(arr)


def test_plan_table_and_chart_are_the_calculators_answer() -> None:
    at = run_app(model=MODEL_70B, method="vllm", conc="200")
    assert any("Plan: what it takes to serve 200 requests of 8,192 tokens" in m.value
               for m in at.markdown)  # fmt: skip
    assert any("Memory model: vLLM (engine budget)" in plain(c.value) for c in at.caption)
    frame = plan_frame(at)
    spec = CAT.models[MODEL_70B].spec
    state = DEFAULT_STATE
    want = plan(
        spec, "bf16", Target(200, 8192, avg_tokens=state.avg),
        [CAT.gpus[g].spec for g in state.gpus], settings_for(state, "vllm"), "vllm",
    )  # fmt: skip
    assert list(frame["GPU type"]) == [g.gpu.name for g in want.gpus]
    for row, g in zip(frame.to_dict("records"), want.gpus, strict=True):
        s = g.setup
        assert s is not None
        assert row["GPUs in all"] == s.total_gpus
        assert row["Requests reached"] == s.concurrency_reached >= 200
        assert row["Setup (TP × PP × replicas)"] == (
            f"{s.tensor_parallel_size} × {s.pipeline_parallel_size} × {s.replicas}"
        )
    assert "Cost per hour" not in frame.columns  # no prices given: no empty column
    fig = plan_chart(at)
    assert "Llama 3.1 70B Instruct" in fig["layout"]["title"]["text"]
    assert "vLLM" in fig["layout"]["title"]["subtitle"]["text"]
    assert "count" in fig["layout"]["yaxis"]["title"]["text"]
    assert "8,192 tokens each" in fig["layout"]["xaxis"]["title"]["text"]
    assert fig["layout"]["shapes"][0]["x0"] == 200
    for trace in fig["data"]:
        g = next(g for g in want.gpus if g.gpu.name == trace["name"])
        x = decode(trace["x"]).astype(np.int64)
        assert np.array_equal(decode(trace["y"]).astype(np.int64), g.gpus_needed(x))
        at_target = g.gpus_needed(np.array([200]))[0]
        assert g.setup is not None and at_target == g.setup.total_gpus


def test_every_preset_scope_and_prices() -> None:
    at = run_app()
    at.radio(key="plan_scope").set_value("all").run()
    at.text_input(key="plan_prices").set_value("h100-sxm-80gb=2.5, nope=1").run()
    assert not at.exception
    frame = plan_frame(at)
    assert len(frame) == len(CAT.gpus)
    h100 = frame[frame["GPU type"] == CAT.gpus["h100-sxm-80gb"].name].iloc[0]
    assert h100["Cost per hour"] == 2.5 * h100["GPUs in all"]
    assert any("nope=1" in w.value for w in at.warning)
    assert len(plan_chart(at)["data"]) <= 6  # a slide can tell six lines apart


def test_best_format_ladder_on_request() -> None:
    at = run_app(model=MODEL_70B, method="vllm", conc="200", tp="8", gpus="h100-sxm-80gb")
    assert not any("Holds the target?" in d.value.columns for d in at.dataframe)
    at.toggle(key="plan_ladder").set_value(True).run()
    assert not at.exception
    ladder = next(d.value for d in at.dataframe if "Holds the target?" in d.value.columns)
    assert ladder.iloc[0]["Weights"] == "BF16"
    first_yes = ladder[ladder["Holds the target?"] == "yes"].iloc[0]
    assert any(f"best format {first_yes['Weights']}" in plain(m.value) for m in at.markdown)


def test_fit_table_shows_the_longest_context() -> None:
    at = run_app(method="vllm")
    fit = at.dataframe[0].value
    col = "Longest context @ 16 requests (tokens)"
    assert col in fit.columns
    s = DEFAULT_STATE
    for name, shown in zip(fit["GPU setup"], fit[col], strict=True):
        gpu = next(g for g in CAT.gpus.values() if g.name == name)
        want = longest_context(
            CAT.models[s.model].spec, s.weights, s.conc, Deployment(gpu=gpu.spec),
            settings_for(s, "vllm"), "vllm",
        )  # fmt: skip
        assert shown == context_text(want)
        assert want.context_len % 16 == 0 or want.limited_by == "model"


def test_price_text_is_parsed_strictly() -> None:
    prices, notices = parse_prices(
        "h100-sxm-80gb=2.5; a100-80gb = 1.75, x=1, l4-24gb=cheap, t4-16gb=-1", CAT
    )
    assert prices == {"h100-sxm-80gb": 2.5, "a100-80gb": 1.75}
    assert len(notices) == 3
    assert parse_prices("a" * 3000, CAT)[1]
