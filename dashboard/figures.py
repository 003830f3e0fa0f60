"""Plotly figures that explain themselves in a screenshot: title, subtitle with the configuration,
axis units, legend, readable fonts, and one fixed colour per memory component.

Colours are the Okabe–Ito palette (colour-blind safe): weights blue, KV cache orange,
activations bluish green, overhead reddish purple.

Figures are assembled as plain Plotly specs (dicts) and validated once by ``go.Figure``: building
them trace by trace with ``add_trace``/``add_vline``/``update_layout`` and the ``plotly_white``
template re-validated the figure at every step and cost ~90 ms per rerun; one spec costs ~15 ms.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

from calculators import N_, MemoryBreakdown, to_unit
from dashboard.i18n import _, ngettext
from dashboard.view import View

COLORS: dict[str, str] = {
    "weights": "#0072B2",
    "kv_cache": "#E69F00",
    "activations": "#009E73",
    "overhead": "#CC79A7",
    "state": "#56B4E9",
}
LABELS: dict[str, str] = {  # msgids: shown through _() in the current language
    "weights": N_("Weights"),
    "kv_cache": N_("KV cache"),
    "activations": N_("Activations"),
    "overhead": N_("Overhead"),
    "state": N_("State (Mamba/linear attention)"),
}
GPU_LINE_COLORS = ("#D55E00", "#56B4E9", "#000000", "#999999", "#882255", "#117733")
LABEL_GAP = 0.075  # minimum vertical distance between crossing labels, share of the y axis
# Latin fonts first, then common CJK fonts (Linux, macOS, Windows) so Chinese renders on screen
# and in the PNG/SVG export instead of boxes; Debian's fonts-noto-cjk provides the first.
FONT_FAMILY = (
    "Inter, Segoe UI, Helvetica, Arial, 'Noto Sans CJK SC', 'Source Han Sans SC', "
    "'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'WenQuanYi Micro Hei', sans-serif"
)
FONT = {"family": FONT_FAMILY, "size": 15, "color": "#111827"}
GRID = "#e5e7eb"


def _layout(title: str, subtitle: str, y_unit: str, x_title: str) -> dict[str, Any]:
    return {
        "font": FONT,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "title": {
            "text": f"<b>{title}</b>",
            "subtitle": {"text": subtitle, "font": {"size": 13, "color": "#374151"}},
            "x": 0.01,
            "xanchor": "left",
            "y": 0.97,
        },
        "margin": {"l": 70, "r": 30, "t": 95, "b": 60},
        "height": 520,
        "legend": {"orientation": "h", "yanchor": "top", "y": -0.14, "x": 0, "font": {"size": 13}},
        "yaxis": {
            "title": {"text": _("Memory per GPU ({unit})").format(unit=y_unit)},
            "rangemode": "tozero",
            "gridcolor": GRID,
        },
        "xaxis": {"title": {"text": x_title}, "gridcolor": GRID},
        "hoverlabel": {"font": {"size": 13}},
    }


def _escape(text: str) -> str:
    """Plotly renders a subset of HTML in titles: keep user text as text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _figure(spec: dict[str, Any], validate: bool) -> go.Figure:
    return go.Figure(spec, _validate=validate)


def concurrency_figure(view: View, validate: bool = True) -> go.Figure:
    """Total memory per GPU vs concurrent requests, one threshold line per selected GPU."""
    unit = view.state.unit
    scale = 2**30 if unit == "GiB" else 1e9
    c = view.sweep_concurrency
    data: list[dict[str, Any]] = []
    total = np.asarray(view.sweep["total"], dtype=np.float64) / scale
    for key in ("weights", "kv_cache", "state", "activations", "overhead"):
        if key not in view.sweep:
            continue
        y = np.asarray(view.sweep[key], dtype=np.float64) / scale
        if not y.any():
            continue
        name = _(LABELS[key])
        data.append(
            {
                "type": "scatter",
                "x": c,
                "y": y,
                "mode": "lines",
                "name": name,
                "stackgroup": "parts",
                "line": {"width": 0.5, "color": COLORS[key]},
                "fillcolor": COLORS[key] + "55",
                "hovertemplate": f"{name}: %{{y:.2f}} {unit}<extra></extra>",
            }
        )
    data.append(
        {
            "type": "scatter",
            "x": c,
            "y": total,
            "mode": "lines",
            "name": _("Total per GPU"),
            "line": {"width": 3.5, "color": "#111827"},
            "hovertemplate": _("{x} requests: {y} {unit}").format(x="%{x}", y="%{y:.2f}", unit=unit)
            + "<extra>"
            + _("total")
            + "</extra>",
        }
    )
    xmax = float(c[-1])
    n_gpu = view.gpus_per_replica
    crossings: list[tuple[float, float, str, str]] = []
    for i, fit in enumerate(view.fits):
        color = GPU_LINE_COLORS[i % len(GPU_LINE_COLORS)]
        budget = to_unit(fit.budget_bytes, unit)
        setup = f"{_escape(fit.gpu.name)} × {n_gpu}" if n_gpu > 1 else _escape(fit.gpu.name)
        data.append(
            {
                "type": "scatter",
                "x": [1, xmax],
                "y": [budget, budget],
                "mode": "lines",
                "name": _("{setup}: {budget:,.1f} {unit} usable").format(
                    setup=setup, budget=budget, unit=unit
                ),
                "line": {"dash": "dash", "width": 2, "color": color},
                "hoverinfo": "skip",
            }
        )
        n = fit.max_requests  # whole requests over all replicas
        if 1 <= fit.crossing <= xmax:
            if view.state.dp > 1:
                setup = _("{setup} ({n} replicas)").format(setup=setup, n=view.state.dp)
            requests = ngettext("{n:,} concurrent request", "{n:,} concurrent requests", n)
            label = _("{setup}: {requests}").format(setup=setup, requests=requests.format(n=n))
            crossings.append((budget, fit.crossing, label, color))
    # Label the crossings in a column at the upper left (the total line is low there), each label
    # at least LABEL_GAP of the axis above the previous one, with a leader line to its marker.
    crossings.sort(key=lambda t: t[0])
    y_top = max([float(total.max())] + [b for b, *_ in crossings]) * 1.05
    gap = LABEL_GAP * y_top
    last = -np.inf
    annotations: list[dict[str, Any]] = []
    for budget, x, label, color in crossings:
        y_label = max(budget + 0.5 * gap, last + gap)
        last = y_label
        data.append(
            {
                "type": "scatter",
                "x": [x],
                "y": [budget],
                "mode": "markers",
                "showlegend": False,
                "marker": {"size": 13, "color": color, "line": {"width": 2, "color": "white"}},
                "hovertemplate": f"{label}<extra></extra>",
            }
        )
        annotations.append(
            {
                "x": x,
                "y": budget,
                "ax": xmax * 0.02,
                "ay": y_label,
                "axref": "x",
                "ayref": "y",
                "text": f"<b>{label}</b>",
                "showarrow": True,
                "arrowhead": 0,
                "arrowwidth": 1.5,
                "arrowcolor": color,
                "xanchor": "left",
                "font": {"size": 14, "color": color},
                "bgcolor": "rgba(255,255,255,0.9)",
            }
        )
    chosen = view.state.conc
    annotations.append(
        {
            "x": chosen,
            "y": 0,
            "yref": "paper",
            "text": _("chosen: {n}").format(n=chosen),
            "showarrow": False,
            "xanchor": "left",
            "yanchor": "bottom",
            "font": {"size": 12, "color": "#4b5563"},
        }
    )
    subtitle = " · ".join(view.config_parts(with_concurrency=False))
    layout = _layout(
        _("GPU memory vs concurrent requests — {model}").format(model=_escape(view.model_text)),
        _escape(subtitle),
        unit,
        _("Concurrent requests"),
    )
    layout["annotations"] = annotations
    layout["shapes"] = [
        {
            "type": "line",
            "x0": chosen,
            "x1": chosen,
            "xref": "x",
            "y0": 0,
            "y1": 1,
            "yref": "paper",
            "line": {"dash": "dot", "width": 1.5, "color": "#6b7280"},
        }
    ]
    layout["xaxis"]["range"] = [0, xmax * 1.02]
    layout["yaxis"]["range"] = [0, max(y_top, last + gap)]
    return _figure({"data": data, "layout": layout}, validate)


@dataclass(frozen=True)
class Scenario:
    label: str
    breakdown: MemoryBreakdown
    detail: str


def breakdown_figure(
    scenarios: Sequence[Scenario], unit: str, title: str, subtitle: str, validate: bool = True
) -> go.Figure:
    """Stacked bars per component, one bar per scenario (the current one and pinned ones)."""
    labels = [s.label for s in scenarios]
    parts = {
        "weights": [s.breakdown.weights_bytes for s in scenarios],
        "kv_cache": [s.breakdown.kv_cache_bytes for s in scenarios],
        "activations": [s.breakdown.activation_bytes for s in scenarios],
        "overhead": [s.breakdown.overhead_bytes for s in scenarios],
    }
    if any(s.breakdown.state_bytes for s in scenarios):  # Mamba / linear-attention models
        parts["state"] = [s.breakdown.state_bytes for s in scenarios]
    totals = [to_unit(s.breakdown.total_bytes, unit) for s in scenarios]
    top = max([*totals, 1e-9])
    data: list[dict[str, Any]] = []
    for key, values in parts.items():
        y = [to_unit(v, unit) for v in values]
        data.append(
            {
                "type": "bar",
                "x": labels,
                "y": y,
                "name": _(LABELS[key]),
                "marker": {"color": COLORS[key]},
                "text": [f"{v:,.1f}" if v >= 0.05 * top else "" for v in y],
                "textposition": "inside",
                "insidetextanchor": "middle",
                "textfont": {"size": 13},
                "hovertemplate": f"{_(LABELS[key])}: %{{y:.2f}} {unit}<extra>%{{x}}</extra>",
            }
        )
    data.append(
        {
            "type": "scatter",
            "x": labels,
            "y": totals,
            "mode": "text",
            "text": [f"<b>{t:,.1f} {unit}</b>" for t in totals],
            "textposition": "top center",
            "showlegend": False,
            "hoverinfo": "skip",
            "textfont": {"size": 14},
        }
    )
    layout = _layout(_escape(title), _escape(subtitle), unit, _("Scenario"))
    layout["barmode"] = "stack"
    layout["yaxis"]["range"] = [0, top * 1.15]
    return _figure({"data": data, "layout": layout}, validate)


CHART_FILE_NAMES: dict[str, str] = {  # msgids: the chart's name in an export's file name
    "concurrency": N_("concurrency"),
    "breakdown": N_("breakdown"),
}


def png_filename(view: View, chart: str) -> str:
    """A descriptive file name for the chart toolbar's PNG/SVG export and the CSV download:
    words in the page's language, ids as they are. UTF-8 letters and digits (Chinese included),
    '.', '_' and '-' only: no spaces, slashes or other characters a file system may refuse."""
    s = view.state
    chart_name = _(CHART_FILE_NAMES.get(chart, chart))
    prefix = _("vram")
    raw = (
        f"{prefix}-{chart_name}-{view.short_model_label}-{s.weights}-kv{view.kv_label}"
        f"-ctx{s.ctx}-c{s.conc}-{s.method}-tp{s.tp}"
    )
    return re.sub(r"[^\w.-]+", "-", raw).strip("-._")[:120]


def plotly_config(view: View, chart: str) -> dict[str, object]:
    """Chart toolbar: PNG at 2x scale with a descriptive name; no Plotly logo."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {
            "format": "png",
            "scale": 2,
            "filename": png_filename(view, chart),
            "width": 1280,
            "height": 560,
        },
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    }
