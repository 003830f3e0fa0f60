"""The page's charts skip Plotly's object graph (dashboard.chart_spec): what Streamlit receives
must be what a validated go.Figure would have given it, for every chart builder."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from typing import Any

import numpy as np
import plotly.graph_objects as go
import plotly.io as pio
import pytest

from dashboard.chart_spec import ChartSpec, figure_height
from dashboard.figures import compare_figure, concurrency_figure
from dashboard.pins import scenarios
from dashboard.plan_figures import plan_figure
from dashboard.plan_view import build_plan_view
from dashboard.session import catalog
from dashboard.speed_figure import speed_figure
from dashboard.speed_view import speed_view
from dashboard.state import ViewState
from dashboard.view import build_view


def _plain(node: Any) -> Any:
    """JSON with Plotly's base64 typed arrays ({"dtype", "bdata"}) decoded to plain lists, and
    without empty lists (which go.Figure leaves out)."""
    if isinstance(node, dict):
        if set(node) >= {"dtype", "bdata"}:
            arr = np.frombuffer(base64.b64decode(node["bdata"]), dtype=node["dtype"])
            return arr.reshape(node["shape"]).tolist() if "shape" in node else arr.tolist()
        return {k: _plain(v) for k, v in node.items() if v != []}  # go.Figure drops empty lists
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _same(fast: go.Figure, checked: go.Figure) -> None:
    assert isinstance(fast, ChartSpec) and not isinstance(checked, ChartSpec)
    a = _plain(json.loads(pio.to_json(fast.to_dict(), validate=False)))
    b = _plain(json.loads(pio.to_json(checked.to_dict(), validate=False)))
    assert a == b  # same traces, layout and default template
    assert figure_height(fast) == figure_height(checked)


@pytest.mark.parametrize(
    "state",
    [
        ViewState(),
        replace(ViewState(), conc=4096, method="vllm", unit="GB"),
        replace(ViewState(), model="deepseek-ai/DeepSeek-V3", weights="fp8", tp=8, lang="zh"),
    ],
)
def test_every_builder_passes_the_same_chart_to_streamlit(state: ViewState) -> None:
    cat = catalog()
    view = build_view(state, cat)
    _same(concurrency_figure(view, validate=False), concurrency_figure(view, validate=True))
    sp = speed_view(view)
    _same(
        speed_figure(sp, "t", "s", None, validate=False),
        speed_figure(sp, "t", "s", None, validate=True),
    )
    scen, _problems = scenarios(view, cat)
    _same(compare_figure(scen, "GiB", validate=False), compare_figure(scen, "GiB", validate=True))
    pv = build_plan_view(view, cat, "selected", {}, False)
    _same(plan_figure(pv, view.model_label, validate=False), plan_figure(pv, view.model_label))
