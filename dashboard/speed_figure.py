"""The speed chart: per-user tokens/s (top) and time to first token (bottom) vs concurrent users,
one colour per GPU setup, its memory limit marked as a dashed vertical line of the same colour,
and the SLO (when on) as horizontal lines. Built as one Plotly spec, like dashboard.figures.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

from dashboard.chart_spec import figure
from dashboard.figures import FONT_FAMILY
from dashboard.i18n import _
from dashboard.speed_view import SpeedView

# Same palette and fonts as the memory chart (Okabe–Ito, colour-blind safe; CJK font stack).
GPU_LINE_COLORS = ("#D55E00", "#56B4E9", "#000000", "#999999", "#882255", "#117733")
FONT = {"family": FONT_FAMILY, "size": 15, "color": "#111827"}
GRID = "#e5e7eb"
SLO_COLOR = "#6b7280"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def speed_figure(
    sv: SpeedView,
    title: str,
    subtitle: str,
    slo: tuple[float, float] | None = None,
    validate: bool = True,
) -> go.Figure:
    """Two stacked panels sharing the concurrency axis; ``slo`` = (min tokens/s, max TTFT s)."""
    data: list[dict[str, Any]] = []
    shapes: list[dict[str, Any]] = []
    xmax = 16.0
    for i, line in enumerate(sv.lines):
        if line.problem or line.concurrency.size == 0 or line.fits < 1:
            continue
        color = GPU_LINE_COLORS[i % len(GPU_LINE_COLORS)]
        name = _escape(line.gpu.name)
        xmax = max(xmax, float(line.concurrency[-1]))
        data.append(
            {
                "type": "scatter",
                "x": line.concurrency,
                "y": line.tokens_per_s_per_user,
                "mode": "lines",
                "name": _("{gpu}: {n:,} requests fit").format(gpu=name, n=line.fits),
                "legendgroup": name,
                "line": {"width": 3, "color": color},
                "xaxis": "x",
                "yaxis": "y",
                "hovertemplate": name
                + "<br>"
                + _("%{x} users: %{y:.1f} tokens/s each")
                + "<extra></extra>",
            }
        )
        data.append(
            {
                "type": "scatter",
                "x": line.concurrency,
                "y": line.ttft_s,
                "mode": "lines",
                "name": name,
                "legendgroup": name,
                "showlegend": False,
                "line": {"width": 3, "color": color},
                "xaxis": "x2",
                "yaxis": "y2",
                "hovertemplate": name
                + "<br>"
                + _("%{x} users: TTFT %{y:.2f} s")
                + "<extra></extra>",
            }
        )
        if line.fits >= 1:
            for yref in ("y domain", "y2 domain"):
                shapes.append(
                    {
                        "type": "line",
                        "x0": line.fits,
                        "x1": line.fits,
                        "xref": "x" if yref == "y domain" else "x2",
                        "y0": 0,
                        "y1": 1,
                        "yref": yref,
                        "line": {"dash": "dash", "width": 2, "color": color},
                    }
                )
    annotations: list[dict[str, Any]] = [
        {
            "text": _("dashed vertical line = memory limit (requests that fit)"),
            "x": 1,
            "xref": "paper",
            "xanchor": "right",
            "y": 1.0,
            "yref": "paper",
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": 12, "color": "#4b5563"},
        }
    ]
    if slo is not None:
        tps, ttft = slo
        for axis, y in (("y", tps), ("y2", ttft)):
            shapes.append(
                {
                    "type": "line",
                    "x0": 0,
                    "x1": 1,
                    "xref": "x domain" if axis == "y" else "x2 domain",
                    "y0": y,
                    "y1": y,
                    "yref": axis,
                    "line": {"dash": "dot", "width": 2, "color": SLO_COLOR},
                }
            )
        # the SLO is named in the legend (a label on the plot could sit on a curve)
        data.append(
            {
                "type": "scatter",
                "x": [None],
                "y": [None],
                "mode": "lines",
                "name": _("SLO: ≥ {tps:g} tokens/s per user, TTFT ≤ {ttft:g} s").format(
                    tps=tps, ttft=ttft
                ),
                "line": {"dash": "dot", "width": 2, "color": SLO_COLOR},
                "hoverinfo": "skip",
            }
        )
    layout: dict[str, Any] = {
        "font": FONT,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "title": {
            "text": f"<b>{_escape(title)}</b>",
            "subtitle": {"text": _escape(subtitle), "font": {"size": 13, "color": "#374151"}},
            "x": 0.01,
            "xanchor": "left",
            "y": 0.975,
        },
        "margin": {"l": 80, "r": 30, "t": 100, "b": 60},
        "height": 640,
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.1, "x": 0, "font": {"size": 13}},
        "xaxis": {
            "domain": [0, 1],
            "anchor": "y",
            "gridcolor": GRID,
            "range": [0, xmax * 1.02],
            "showticklabels": False,
            "matches": "x2",
        },
        "yaxis": {
            "domain": [0.55, 1.0],
            "title": {"text": _("Tokens/s per user")},
            "rangemode": "tozero",
            "gridcolor": GRID,
        },
        "xaxis2": {
            "domain": [0, 1],
            "anchor": "y2",
            "gridcolor": GRID,
            "title": {"text": _("Concurrent users (requests in flight)")},
            "range": [0, xmax * 1.02],
        },
        "yaxis2": {
            "domain": [0.0, 0.45],
            "title": {"text": _("Time to first token (s, log)")},
            "type": "log",
            "dtick": 1,
            "gridcolor": GRID,
        },
        "shapes": shapes,
        "annotations": annotations,
        "hoverlabel": {"font": {"size": 13}},
    }
    return figure({"data": data, "layout": layout}, validate)
