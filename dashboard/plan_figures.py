"""The Plan section's chart: GPUs needed vs target concurrency, one line per GPU type.

Built as one plain Plotly spec (as :mod:`dashboard.figures` does), styled the same way, and made to
survive a slide: a title naming the model, a subtitle with the whole configuration and the memory
model, axis titles with units, a legend below the plot (no text inside it that could overlap),
and the page's target marked.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from dashboard.chart_spec import figure
from dashboard.figures import FONT, GRID, SUB_LINE_PX, TITLE_LINE_PX, TITLE_PAD_PX, wrap
from dashboard.i18n import _
from dashboard.plan_view import PlanView

# The page's chart style (dashboard.figures): Okabe-Ito colours for the GPU lines.
LINE_COLORS = ("#D55E00", "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#000000")
LINE_DASHES = ("solid", "dash", "solid", "dot", "dashdot", "longdash")
# The chart sits in the right two thirds of the Plan section (about 900 px at a 1440 px window):
# lines of at most this many Latin characters stay inside it (19 px bold title at ~10 px a
# character, 13 px subtitle at ~7 px; figures.text_width counts a CJK character as two).
PLAN_TITLE_CHARS = 85
PLAN_SUB_CHARS = 120


def _escape(text: str) -> str:
    """Plotly renders a subset of HTML in titles: keep user text as text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def plan_figure(pv: PlanView, model_label: str, validate: bool = True) -> go.Figure:
    """Step lines of the total GPUs the smallest setup needs at each target concurrency."""
    p = pv.plan
    t = p.target
    data: list[dict[str, Any]] = []
    for i, (name, need) in enumerate(pv.lines):
        ok = need > 0
        data.append(
            {
                "type": "scatter",
                "x": pv.targets[ok],
                "y": need[ok],
                "mode": "lines",
                # steps of several GPU types often coincide: earlier lines are drawn wider and
                # later ones dashed on top, so a line that another covers still shows
                "line": {
                    "shape": "hv",
                    "width": max(2.0, 7.0 - 1.2 * i),
                    "dash": LINE_DASHES[i % len(LINE_DASHES)],
                    "color": LINE_COLORS[i % len(LINE_COLORS)],
                },
                "name": _escape(name),
                "hovertemplate": _("%{y} GPUs for %{x} requests")
                + "<extra>"
                + _escape(name)
                + "</extra>",
            }
        )
    title = _("GPUs needed vs target concurrency — {model}").format(
        model=_escape(model_label.split(" (")[0])
    )
    title_lines = wrap([title], PLAN_TITLE_CHARS)
    sub_lines = wrap(_escape(pv.subtitle).split(" · "), PLAN_SUB_CHARS)
    top = TITLE_PAD_PX + TITLE_LINE_PX * len(title_lines) + SUB_LINE_PX * len(sub_lines) + 24
    layout: dict[str, Any] = {
        "font": FONT,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "title": {
            "text": "<b>" + "<br>".join(title_lines) + "</b>",
            "subtitle": {"text": "<br>".join(sub_lines), "font": {"size": 13, "color": "#374151"}},
            "font": {"size": 19},
            "x": 0.01,
            "xanchor": "left",
            "xref": "container",
            "yref": "container",
            "y": 1,
            "yanchor": "top",
            "pad": {"t": TITLE_PAD_PX},
        },
        "margin": {"l": 70, "r": 30, "t": top, "b": 60},
        "height": 520 + top - 95,
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.16, "x": 0, "font": {"size": 13}},
        "yaxis": {
            "title": {"text": _("GPUs needed (count, smallest setup)")},
            "rangemode": "tozero",
            "gridcolor": GRID,
        },
        "xaxis": {
            "title": {
                "text": _("Target concurrent requests ({ctx:,} tokens each)").format(
                    ctx=t.context_len
                )
            },
            "gridcolor": GRID,
            "rangemode": "tozero",
        },
        "hoverlabel": {"font": {"size": 13}},
        "shapes": [
            {
                "type": "line",
                "x0": t.concurrency,
                "x1": t.concurrency,
                "y0": 0,
                "y1": 1,
                "yref": "paper",
                "line": {"dash": "dot", "color": "#6b7280", "width": 2},
            }
        ],
        "annotations": [
            {  # top of the plot beside the marker: the lines are about half way up there
                "x": t.concurrency,
                "y": 1.0,
                "yref": "paper",
                "yanchor": "top",
                "xanchor": "left",
                "xshift": 4,
                "bgcolor": "white",
                "text": _("target {n:,}").format(n=t.concurrency),
                "showarrow": False,
                "font": {"size": 13, "color": "#374151"},
            }
        ],
    }
    if not data:
        layout["annotations"].append(
            {
                "x": 0.5,
                "y": 0.5,
                "xref": "paper",
                "yref": "paper",
                "text": _("No GPU type holds one request of this length"),
                "showarrow": False,
            }
        )
    return figure({"data": data, "layout": layout}, validate)
