"""The floor page (run by scripts/floor_app.py) the dashboard is measured against (scripts/bench.py): the same widgets, the same
number and kinds of charts, tables and metrics as app.py, with trivial arithmetic instead of the
calculators. Whatever app.py costs above this is the planner's own cost."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from dashboard.chart_spec import figure
from dashboard.figures import _layout  # the same chart styling: its cost is Plotly's

COLORS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7")
FORMATS = [f"fmt{i}" for i in range(18)]
MODELS = [f"model{i}" for i in range(41)]
GPUS = [f"gpu{i}" for i in range(29)]


def main() -> None:
    st.set_page_config(page_title="floor", layout="wide")
    sb = st.sidebar
    sb.radio("Language", ["en", "zh"], key="lang", horizontal=True)
    sb.header("Model")
    sb.button("Article's worked example")
    sb.radio("Model source", ["preset", "custom", "upload", "hf"], key="src", horizontal=True)
    sb.selectbox("Model preset", MODELS, key="model")
    sb.header("Workload")
    sb.select_slider("Weight format", FORMATS, key="weights")
    sb.selectbox("KV cache dtype", ["auto", "fp16", "bf16", "fp8"], key="kv")
    ctx = sb.select_slider(
        "Context length",
        [512, 1024, 2048, 4096, 8192, 12000, 16384, 32768, 65536, 128000, 131072],
        value=8192,
        key="ctx",
    )
    sb.number_input("Context, exact", 128, 10_485_760, 8192, key="ctx_exact")
    conc = sb.select_slider(
        "Concurrent requests",
        [1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024],
        value=16,
        key="conc",
    )
    sb.number_input("Concurrent requests, exact", 1, 4096, 16, key="conc_exact")
    c1, c2 = sb.columns(2)
    batch = c1.number_input("Batch per request", 1, 64, 1, key="batch")
    c2.number_input("Avg. tokens/request", 1, 131072, 2048, key="avg")
    sb.header("Method")
    sb.radio("Estimation method", ["article", "vllm", "sglang", "llamacpp"], key="method")
    alpha = sb.slider("Overhead α", 0.0, 0.5, 0.15, step=0.01, key="alpha")
    sb.header("GPUs")
    gpus = sb.multiselect("GPU thresholds", GPUS, default=GPUS[:4], key="gpus")
    c1, c2 = sb.columns(2)
    c1.number_input("Tensor parallel", 1, 64, 1, key="tp")
    c2.number_input("Pipeline stages", 1, 64, 1, key="pp")
    sb.number_input("Replicas", 1, 1024, 1, key="dp")
    sb.radio("Unit", ["GiB", "GB"], key="unit", horizontal=True)
    sb.radio("Chart download", ["png", "svg"], key="export", horizontal=True)
    sb.header("Speed")
    c1, c2 = sb.columns(2)
    c1.number_input("Input tokens", 1, 1_048_576, 1024, key="in_tok")
    c2.number_input("Output tokens", 1, 1_048_576, 1024, key="out_tok")
    sb.radio("Speed target (SLO)", [0, 1], key="slo", horizontal=True)

    st.title("floor")
    st.caption("trivial arithmetic")
    st.subheader("model")
    st.caption("config")
    total = 15 + conc * batch * ctx / 8192 * (1 + alpha)
    cols = st.columns(4)
    for i, c in enumerate(cols):
        c.metric(f"metric {i}", f"{total + i:.2f} GiB")
    st.dataframe(
        pd.DataFrame(
            {"gpu": gpus, "a": range(len(gpus)), "b": range(len(gpus)), "ctx": range(len(gpus))}
        ),
        hide_index=True,
    )

    # Figures built like the dashboard's (one validated spec each), with trivial numbers.
    x = np.arange(1, 161, dtype=np.int64)
    data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": x,
            "y": x * (i + 1) / 10.0,
            "mode": "lines",
            "stackgroup": "p",
            "line": {"color": color},
            "name": f"part {i}",
        }
        for i, color in enumerate(COLORS)
    ]
    data.append({"type": "scatter", "x": x, "y": x * 1.0, "mode": "lines", "name": "total"})
    annotations = []
    for i, _ in enumerate(gpus):
        data.append(
            {
                "type": "scatter",
                "x": [1, 160],
                "y": [40 + i, 40 + i],
                "mode": "lines",
                "name": f"gpu {i}",
            }
        )
        data.append(
            {
                "type": "scatter",
                "x": [10 * (i + 1)],
                "y": [40 + i],
                "mode": "markers",
                "showlegend": False,
            }
        )
        annotations.append({"x": 10 * (i + 1), "y": 40 + i, "text": f"gpu {i}"})
    layout = _layout("title", "subtitle", "GiB", "Concurrent requests")
    layout["annotations"] = annotations
    data.append({"type": "scatter", "x": [conc, conc], "y": [0, 100], "mode": "lines"})
    annotations.append({"x": conc, "y": 1, "yref": "paper", "text": f"chosen: {conc}"})
    fig = figure({"data": data, "layout": layout}, False)
    st.plotly_chart(fig, key="c1")
    # The speed chart: two panels, two lines and two limit lines per GPU, like the dashboard's.
    xs = np.arange(1, 121, dtype=np.float64)
    speed_data: list[dict[str, Any]] = []
    speed_shapes: list[dict[str, Any]] = []
    for i, _ in enumerate(gpus):
        speed_data.append({"type": "scatter", "x": xs, "y": 100 / (xs + i), "mode": "lines",
                           "name": f"gpu {i}", "xaxis": "x", "yaxis": "y"})  # fmt: skip
        speed_data.append({"type": "scatter", "x": xs, "y": xs / 100 + i, "mode": "lines",
                           "showlegend": False, "xaxis": "x2", "yaxis": "y2"})  # fmt: skip
        for ref in ("y domain", "y2 domain"):
            speed_shapes.append({"type": "line", "x0": 50 + i, "x1": 50 + i, "y0": 0, "y1": 1,
                                 "yref": ref, "xref": "x" if ref == "y domain" else "x2"})  # fmt: skip
    speed_layout = _layout("title", "subtitle", "tok/s", "Concurrent users")
    speed_layout.update(
        {
            "yaxis": {"domain": [0.55, 1.0]},
            "xaxis2": {"anchor": "y2"},
            "yaxis2": {"domain": [0, 0.45], "type": "log"},
            "shapes": speed_shapes,
        }
    )
    st.plotly_chart(figure({"data": speed_data, "layout": speed_layout}, False), key="c3")
    st.caption("speed notes")
    st.markdown("methods")
    st.dataframe(
        pd.DataFrame({"method": ["a", "b", "c", "d"], **{g: [1, 2, 3, 4] for g in gpus}}),
        hide_index=True,
    )
    st.markdown("#### Compare")
    pin_cols = st.columns([1, 1, 4])
    pin_cols[0].button("Pin")
    pin_cols[1].button("Clear pins")
    bar_data: list[dict[str, Any]] = [
        {
            "type": "bar",
            "orientation": "h",
            "y": ["Current"],
            "x": [total / 4],
            "marker": {"color": color},
            "name": f"part {i}",
        }
        for i, color in enumerate(COLORS)
    ]
    bar_data.append(
        {
            "type": "scatter",
            "y": ["Current"],
            "x": [total],
            "mode": "text",
            "text": [f"{total:.1f}"],
        }
    )
    bar_layout = _layout("title", "subtitle", "GiB", "Scenario")
    bar_layout["barmode"] = "stack"
    bars = figure({"data": bar_data, "layout": bar_layout}, False)
    st.plotly_chart(bars, key="c2")
    table = pd.DataFrame(
        {
            "Component": list("abcde"),
            "Bytes": range(5),
            "GiB": range(5),
            "GB": range(5),
            "Share": list("abcde"),
        }
    )
    st.dataframe(table, hide_index=True)
    st.download_button("Download", table.to_csv(index=False).encode(), file_name="x.csv")
    # The Plan section: the same widgets, table and chart with trivial numbers.
    st.markdown(f"#### Plan {conc}")
    p1, p2 = st.columns([1, 2])
    p1.radio("Plan over", ["selected", "all"], key="plan_scope", horizontal=True)
    p2.text_input("Prices", key="plan_prices", max_chars=2000)
    st.toggle("Ladder", key="plan_ladder")
    st.caption("memory model")
    st.dataframe(
        pd.DataFrame(
            {
                "gpu": gpus,
                **{c: range(len(gpus)) for c in ("setup", "n", "reached", "used", "room")},
            }
        ),
        hide_index=True,
    )
    targets = np.unique(np.linspace(1, max(32, 2 * conc), 160).astype(np.int64))
    plan_data: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "x": targets,
            "y": -(-targets // (10 + i)) * (i + 1),
            "mode": "lines",
            "line": {"shape": "hv", "color": color},
            "name": f"gpu {i}",
        }
        for i, color in zip(range(len(gpus)), COLORS * 2, strict=False)
    ]
    plan_layout = _layout("title", "subtitle", "GPUs", "Target")
    plan_layout["shapes"] = [
        {"type": "line", "x0": conc, "x1": conc, "y0": 0, "y1": 1, "yref": "paper"}
    ]
    plan_layout["annotations"] = [{"x": conc, "y": 1, "yref": "paper", "text": "target"}]
    st.plotly_chart(figure({"data": plan_data, "layout": plan_layout}, False), key="c4")
    with st.expander("Formulas"):
        st.markdown("formulas")
