"""Plotly figures that explain themselves in a screenshot: title, subtitle with the configuration,
axis units, legend, readable fonts, and one fixed colour per memory component.

Colours are the Okabe–Ito palette (colour-blind safe): weights blue, KV cache orange,
activations bluish green, overhead reddish purple. GPU limits take colours from Paul Tol's
"muted" scheme with a dash pattern each, so no limit looks like the near-black total line.

Label placement cannot collide by construction: every chart text has a place of its own.
The figure's pixel geometry is fixed (height, margins, ``autoexpand`` off), so the crossing labels
are laid out in pixels: they stand in a column in the right margin, each at its limit line's
height, pushed apart by at least one label height, with a leader to the line's end; the chosen
concurrency is labelled in a band above the plot; the legend sits alone under the axis title.
Nothing is placed inside the plot but markers, so no text covers a line or a marker.
(tests/browser/test_slides.py measures the rendered boxes at every slider extreme.)

Figures are assembled as plain Plotly specs (dicts): building them trace by trace with
``add_trace``/``add_vline``/``update_layout`` and the ``plotly_white`` template re-validated the
figure at every step and cost ~90 ms per rerun. Tests get them validated by ``go.Figure``; the page
passes the spec to Streamlit as it is (dashboard.chart_spec: ~0.3 ms a chart instead of ~5 ms).
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import plotly.graph_objects as go

from calculators import N_, MemoryBreakdown, to_unit
from dashboard.chart_spec import figure
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
TOTAL_COLOR = "#111827"
# One (colour, dash) per GPU limit: Paul Tol's muted colours, none near the black total.
GPU_LINE_STYLES: tuple[tuple[str, str], ...] = (
    ("#CC3311", "dash"),
    ("#0077BB", "dashdot"),
    ("#117733", "longdash"),
    ("#882255", "dot"),
    ("#EE7733", "longdashdot"),
    ("#009988", "dash"),
)
# Latin fonts first, then common CJK fonts (Linux, macOS, Windows) so Chinese renders on screen
# and in the PNG/SVG export instead of boxes; Debian's fonts-noto-cjk provides the first.
FONT_FAMILY = (
    "Inter, Segoe UI, Helvetica, Arial, 'Noto Sans CJK SC', 'Source Han Sans SC', "
    "'PingFang SC', 'Hiragino Sans GB', 'Microsoft YaHei', 'WenQuanYi Micro Hei', sans-serif"
)
FONT = {"family": FONT_FAMILY, "size": 15, "color": TOTAL_COLOR}
GRID = "#e5e7eb"

# Pixel geometry (fixed, so labels can be laid out in pixels). The export is 1280 px wide and
# as tall as the figure: a 16:9 slide (1280 x 720) holds it under the slide's own title.
FIG_HEIGHT_PX = 600
EXPORT_WIDTH_PX = 1280
TITLE_PAD_PX = 12  # from the top of the figure to the title
TITLE_LINE_PX = 26  # 19 px bold title line
SUB_LINE_PX = 18  # 13 px subtitle line
BAND_PX = 26  # the band above the plot holding the "chosen" label
MARGIN_LEFT_PX = 72
MARGIN_RIGHT_PX = 250  # the crossing-label column
MARGIN_BOTTOM_PX = 112  # tick labels, axis title, legend
LABEL_LINE_PX = 15  # 12 px label font
LABEL_CHARS = 30  # characters per label line: ~6.8 px each at 12 px fits the 250 px column
TITLE_CHARS = 80
SUB_CHARS = 110


def text_width(text: str) -> int:
    """Width in Latin-character units: a CJK (wide or full-width) character counts as two."""
    if text.isascii():  # the common case, without a per-character lookup
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _split_words(text: str, width: int) -> list[str]:
    """``text`` cut into pieces of at most ``width`` units: at spaces, and inside a run with no
    space (Chinese text, a long id) at characters."""
    pieces: list[str] = []
    for word in text.split(" "):
        while text_width(word) > width:
            cut, used = 0, 0
            while cut < len(word) and used + text_width(word[cut]) <= width:
                used += text_width(word[cut])
                cut += 1
            pieces.append(word[:cut])
            word = word[cut:]
        pieces.append(word)
    lines: list[str] = []
    for w in pieces:
        if lines and text_width(lines[-1]) + 1 + text_width(w) <= width:
            lines[-1] = f"{lines[-1]} {w}" if lines[-1] else w
        else:
            lines.append(w)
    return lines


def wrap(parts: Sequence[str], width: int, sep: str = " · ") -> list[str]:
    """Join ``parts`` with ``sep`` into lines of at most ``width`` units (:func:`text_width`:
    CJK characters count double); a part longer than a line is cut at spaces, or at characters
    where it has none."""
    words: list[str] = []
    for p in parts:
        words.extend([p] if text_width(p) <= width else _split_words(p, width))
    lines: list[str] = []
    for w in words:
        if lines and text_width(lines[-1]) + text_width(sep) + text_width(w) <= width:
            lines[-1] = f"{lines[-1]}{sep}{w}"
        else:
            lines.append(w)
    return lines


def _escape(text: str) -> str:
    """Plotly renders a subset of HTML in titles: keep user text as text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _top_margin(title_lines: int, sub_lines: int, band: bool) -> int:
    return (
        TITLE_PAD_PX
        + TITLE_LINE_PX * title_lines
        + SUB_LINE_PX * sub_lines
        + (BAND_PX if band else 10)
        + 8
    )


def _layout(title: str, subtitle: str, y_unit: str, x_title: str) -> dict[str, Any]:
    """The shared styling: wrapped title and subtitle, fixed margins, legend under the x title.
    ``title`` and ``subtitle`` are escaped text; they are wrapped here."""
    title_lines = wrap([title], TITLE_CHARS)
    sub_lines = wrap(subtitle.split(" · "), SUB_CHARS)
    top = _top_margin(len(title_lines), len(sub_lines), band=True)
    return {
        "font": FONT,
        "paper_bgcolor": "white",
        "plot_bgcolor": "white",
        "height": FIG_HEIGHT_PX,
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
        "margin": {
            "l": MARGIN_LEFT_PX,
            "r": MARGIN_RIGHT_PX,
            "t": top,
            "b": MARGIN_BOTTOM_PX,
            "autoexpand": False,
        },
        "legend": {
            "orientation": "h",
            "yref": "container",
            "yanchor": "bottom",
            "y": 0.01,
            "x": 0,
            "xanchor": "left",
            "font": {"size": 13},
        },
        "yaxis": {
            "title": {"text": _("Memory per GPU ({unit})").format(unit=y_unit)},
            "gridcolor": GRID,
            "zeroline": False,
        },
        "xaxis": {"title": {"text": x_title, "standoff": 8}, "gridcolor": GRID, "zeroline": False},
        "hoverlabel": {"font": {"size": 13}},
    }


def _figure(spec: dict[str, Any], validate: bool) -> go.Figure:
    return figure(spec, validate)


def spread(desired: Sequence[float], gap: float, lo: float, hi: float) -> list[float]:
    """Positions as close as possible to ``desired`` (sorted ascending), at least ``gap`` apart,
    inside ``[lo, hi]`` (when ``len * gap`` fits; otherwise they start at ``lo``)."""
    out: list[float] = []
    for d in desired:
        out.append(max(d, lo) if not out else max(d, out[-1] + gap))
    if out and out[-1] > hi:
        out[-1] = hi
        for i in range(len(out) - 2, -1, -1):
            out[i] = min(out[i], out[i + 1] - gap)
        if out[0] < lo:  # more labels than room: stack from the top
            out = [lo + i * gap for i in range(len(out))]
    return out


def _requests(n: int | float) -> str:
    n = int(n)
    return ngettext("{n:,} request", "{n:,} requests", n).format(n=n)


def concurrency_figure(view: View, validate: bool = True) -> go.Figure:
    """Total memory per GPU vs concurrent requests (per replica), one limit line per GPU setup,
    a marker where the total crosses each limit, and each limit's answer in the right column."""
    s = view.state
    unit = s.unit
    scale = 2**30 if unit == "GiB" else 1e9
    c = view.sweep_concurrency
    dp = s.dp
    n_gpu = view.gpus_per_replica
    total = np.asarray(view.sweep["total"], dtype=np.float64) / scale
    total_at = {int(x): float(y) for x, y in zip(c, total, strict=True)}

    # -- x range: the chosen concurrency and every crossing, with room; log when they are far apart
    crossings = [f.crossing for f in view.fits if f.crossing >= 1]
    sweep_end = float(c[-1])
    poi = [float(s.conc), *(x for x in crossings if x <= sweep_end)]
    hi, lo = max(poi), min(poi)
    log_x = hi > 96 and hi / max(lo, 4.0) > 24  # a log axis only for a story that spans decades
    if log_x:
        x_lo, x_hi = 0.85, min(sweep_end, hi * 1.3)
        x_range = [math.log10(x_lo), math.log10(x_hi)]
    else:
        x_lo, x_hi = 0.0, min(sweep_end, max(8.0, hi * 1.18))
        x_range = [0.0, x_hi]
    beyond = np.flatnonzero(c > x_hi + 1e-9)
    shown = np.arange(len(c)) <= (beyond[0] if len(beyond) else len(c))  # lines reach the edge
    xs = c[shown]

    # -- y range: every limit and the total near them; a total far above them runs off the top
    budgets = [to_unit(f.budget_bytes, unit) for f in view.fits]
    y_shown = float(total[shown].max())
    if budgets:
        ref = max(max(budgets), float(total[0]))
        y_top = 1.12 * max(max(budgets), min(y_shown, 2.0 * ref))
    else:
        y_top = 1.1 * y_shown
    y_top = max(y_top, 1e-6)

    data: list[dict[str, Any]] = []
    for key in ("weights", "kv_cache", "state", "activations", "overhead"):
        if key not in view.sweep:
            continue
        y = np.asarray(view.sweep[key], dtype=np.float64)[shown] / scale
        if not y.any():
            continue
        data.append(
            {
                "type": "scatter",
                "x": xs,
                "y": y,
                "mode": "lines",
                "name": _(LABELS[key]),
                "stackgroup": "parts",
                "line": {"width": 0.5, "color": COLORS[key]},
                "fillcolor": COLORS[key] + "55",
                "hovertemplate": f"{_(LABELS[key])}: %{{y:.2f}} {unit}<extra></extra>",
            }
        )
    data.append(
        {
            "type": "scatter",
            "x": xs,
            "y": total[shown],
            "mode": "lines",
            "name": _("Total per GPU"),
            "line": {"width": 3.5, "color": TOTAL_COLOR},
            "hovertemplate": _("{x} requests: {y} {unit}").format(x="%{x}", y="%{y:.2f}", unit=unit)
            + "<extra>"
            + _("total")
            + "</extra>",
        }
    )

    # -- pixel geometry of the plot area (margins are fixed: autoexpand is off)
    layout = _layout(
        _("GPU memory vs concurrent requests — {model}").format(model=_escape(view.model_text)),
        _escape(chart_subtitle(view)),
        unit,
        _("Concurrent requests per replica (× {n} replicas in all)").format(n=dp)
        if dp > 1
        else _("Concurrent requests"),
    )
    top_px = layout["margin"]["t"]
    plot_h = FIG_HEIGHT_PX - top_px - MARGIN_BOTTOM_PX

    # -- limit lines, crossing markers and the right-hand label column
    rows: list[tuple[float, str, str, float]] = []  # (y px from plot top, text, colour, budget)
    for i, fit in enumerate(view.fits):
        color, dash = GPU_LINE_STYLES[i % len(GPU_LINE_STYLES)]
        budget = budgets[i]
        name = _escape(fit.gpu.name) + (f" × {n_gpu}" if n_gpu > 1 else "")
        data.append(
            {
                "type": "scatter",
                "x": [x_lo if not log_x else 0.85, x_hi],
                "y": [budget, budget],
                "mode": "lines",
                "name": f"{name}: {budget:,.1f} {unit} usable",
                "showlegend": False,
                "line": {"dash": dash, "width": 2.5, "color": color},
                "hoverinfo": "skip",
            }
        )
        x = fit.crossing
        if x < 1:
            need = to_unit(fit.estimate.fixed_bytes + fit.estimate.per_request_bytes, unit)
            answer = _("fits no request; 1 needs {need:,.1f} {unit}").format(need=need, unit=unit)
        elif dp > 1:
            per = int(x + 1e-9)
            answer = _("max {per:,} per replica, {total:,} in all").format(
                per=per, total=fit.max_requests
            )
        else:
            answer = _("max {requests}").format(requests=_requests(fit.max_requests))
        if 1 <= x <= x_hi:
            data.append(
                {
                    "type": "scatter",
                    "x": [x],
                    "y": [budget],
                    "mode": "markers",
                    "showlegend": False,
                    "name": f"crossing {i}",
                    "marker": {"size": 13, "color": color, "line": {"width": 2, "color": "white"}},
                    "hovertemplate": f"{name}: {answer}<extra></extra>",
                }
            )
        elif x > x_hi:
            answer += _(" (beyond the chart)")
        lines = [f"<b>{line}</b>" for line in wrap([name], LABEL_CHARS)] + wrap(
            [
                _("{budget:,.1f} {unit} usable per GPU").format(budget=budget, unit=unit),
                *answer.split("; "),
            ],
            LABEL_CHARS,
            sep=", ",
        )
        y_px = plot_h * (1 - min(budget, y_top) / y_top)
        rows.append((y_px, "<br>".join(lines), color, budget))
    rows.sort(key=lambda r: r[0])
    annotations: list[dict[str, Any]] = []
    if rows:
        heights = [r[1].count("<br>") + 1 for r in rows]
        gap = LABEL_LINE_PX * max(heights) + 8
        placed = spread([r[0] for r in rows], gap, gap / 2, plot_h - gap / 2)
        for (y_px, text, color, budget), y_label in zip(rows, placed, strict=True):
            annotations.append(
                {
                    "x": 1,
                    "xref": "paper",
                    "y": budget,
                    "yref": "y",
                    "ax": 16,
                    "ay": y_label - y_px,
                    "axref": "pixel",
                    "ayref": "pixel",
                    "text": text,
                    "align": "left",
                    "showarrow": True,
                    "arrowhead": 0,
                    "arrowwidth": 1.5,
                    "arrowcolor": color,
                    "xanchor": "left",
                    "yanchor": "middle",
                    "font": {"size": 12, "color": color},
                    "name": "crossing label",
                }
            )
    elif not view.fits:
        annotations.append(
            {
                "x": 1,
                "xref": "paper",
                "y": 0.5,
                "yref": "paper",
                "xanchor": "left",
                "xshift": 16,
                "text": _("No GPU selected:<br>pick GPUs in the sidebar<br>to see what fits."),
                "showarrow": False,
                "align": "left",
                "font": {"size": 12, "color": "#4b5563"},
            }
        )

    # -- the chosen concurrency: a dotted line, labelled in the band above the plot
    chosen = s.conc
    at_chosen = total_at.get(chosen, float(total[-1]))
    frac = (
        (math.log10(chosen) - x_range[0]) / (x_range[1] - x_range[0])
        if log_x
        else chosen / x_range[1]
    )
    who = (
        _("{requests} per replica ({total:,} in all)").format(
            requests=_requests(chosen), total=chosen * dp
        )
        if dp > 1
        else _requests(chosen)
    )
    data.append(
        {
            "type": "scatter",
            "x": [chosen, chosen],
            "y": [0, y_top],
            "mode": "lines",
            "name": "chosen",
            "showlegend": False,
            "line": {"dash": "dot", "width": 1.5, "color": "#6b7280"},
            "hoverinfo": "skip",
        }
    )
    annotations.append(
        {
            "x": math.log10(chosen) if log_x else chosen,
            "xref": "x",
            "y": 1,
            "yref": "paper",
            "yanchor": "bottom",
            "yshift": 3,
            "xanchor": "left" if frac < 0.5 else "right",
            "text": _("chosen: {who} → {total:,.1f} {unit} per GPU").format(
                who=who, total=at_chosen, unit=unit
            ),
            "showarrow": False,
            "font": {"size": 12, "color": "#374151"},
        }
    )
    layout["annotations"] = annotations
    layout["xaxis"]["range"] = x_range
    layout["yaxis"]["range"] = [0, y_top]
    if log_x:
        layout["xaxis"]["type"] = "log"
        ticks = [2**k for k in range(0, 13) if x_lo <= 2**k <= x_hi]
        layout["xaxis"]["tickvals"] = ticks
        layout["xaxis"]["ticktext"] = [f"{t:,}" for t in ticks]
    else:
        layout["xaxis"]["tickformat"] = ",d"
    return _figure({"data": data, "layout": layout}, validate)


def chart_subtitle(view: View) -> str:
    """The configuration line without the chosen concurrency (the chart shows every value)."""
    return " · ".join(view.config_parts(with_concurrency=False))


# -- the compare chart -------------------------------------------------------------------------
FACETS: tuple[str, ...] = ("model", "weights", "method", "gpus", "kv", "ctx", "conc", "batch")
ALWAYS_SHOWN: tuple[str, ...] = ("model", "weights", "method", "gpus")
BAR_ROW_PX = 84  # one bar and its three- or four-line label
COMPARE_LABEL_CHARS = 38


DIFF_COLOR = "#B4380E"  # the compare chart's "differs from this view" highlight (dark vermilion)


def _differs(text: str) -> str:
    return f'<span style="color:{DIFF_COLOR}"><b>{text}</b></span>'


@dataclass(frozen=True)
class Scenario:
    """One bar: a name ("This view", "Pin 2"), its breakdown per GPU, and its configuration as
    facets (model, weights, method, gpus, kv, ctx, conc, batch) in words."""

    label: str
    breakdown: MemoryBreakdown
    detail: str = ""
    facets: dict[str, str] = field(default_factory=dict)


def compare_figure(scenarios: Sequence[Scenario], unit: str, validate: bool = True) -> go.Figure:
    """Horizontal stacked bars per component, one bar per scenario. Each bar's label names its
    model, weight format, method and GPU setup, what differs from the first bar highlighted
    (bold, dark vermilion); what all bars share goes in the subtitle. Labels are wrapped, never
    rotated."""
    keys = [k for k in FACETS if any(k in sc.facets for sc in scenarios)]
    differs = {k for k in keys if len({sc.facets.get(k, "") for sc in scenarios}) > 1}
    shared = [scenarios[0].facets[k] for k in keys if k not in differs and k in scenarios[0].facets]
    names: list[str] = []
    for sc in scenarios:
        shown = [
            (k, sc.facets[k])
            for k in keys
            if k in sc.facets and (k in ALWAYS_SHOWN or k in differs)
        ]
        first = scenarios[0].facets
        # each facet cut into chunks of at most a line (never split across lines otherwise),
        # then joined greedily; a chunk keeps its facet's highlight
        pieces = [
            (chunk, v != first.get(k)) for k, v in shown for chunk in wrap([v], COMPARE_LABEL_CHARS)
        ]
        lines: list[list[tuple[str, bool]]] = []
        for text, hl in pieces:
            width = sum(text_width(t) + 3 for t, _ in lines[-1]) + text_width(text) if lines else 0
            if lines and width <= COMPARE_LABEL_CHARS:
                lines[-1].append((text, hl))
            else:
                lines.append([(text, hl)])
        styled = [
            " · ".join(_differs(_escape(t)) if hl else _escape(t) for t, hl in line)
            for line in lines
        ]
        names.append(f"<b>{_escape(sc.label)}</b><br>" + "<br>".join(styled))
    totals = [to_unit(sc.breakdown.total_bytes, unit) for sc in scenarios]
    top = max([*totals, 1e-9])
    data: list[dict[str, Any]] = []
    parts_bytes = {
        "weights": [sc.breakdown.weights_bytes for sc in scenarios],
        "kv_cache": [sc.breakdown.kv_cache_bytes for sc in scenarios],
        "activations": [sc.breakdown.activation_bytes for sc in scenarios],
        "overhead": [sc.breakdown.overhead_bytes for sc in scenarios],
    }
    if any(sc.breakdown.state_bytes for sc in scenarios):  # Mamba / linear-attention models
        parts_bytes["state"] = [sc.breakdown.state_bytes for sc in scenarios]
    for key, values in parts_bytes.items():
        x = [to_unit(v, unit) for v in values]
        data.append(
            {
                "type": "bar",
                "orientation": "h",
                "y": names,
                "x": x,
                "name": _(LABELS[key]),
                "marker": {"color": COLORS[key]},
                "text": [f"{v:,.1f}" if v >= 0.09 * top else "" for v in x],
                "textposition": "inside",
                "insidetextanchor": "middle",
                "textfont": {"size": 13},
                "constraintext": "inside",
                "cliponaxis": False,
                "hovertemplate": f"{_(LABELS[key])}: %{{x:.2f}} {unit}<extra></extra>",
            }
        )
    data.append(
        {
            "type": "scatter",
            "y": names,
            "x": totals,
            "mode": "text",
            "text": [f"<b>{t:,.1f} {unit}</b>" for t in totals],
            "textposition": "middle right",
            "showlegend": False,
            "hoverinfo": "skip",
            "cliponaxis": False,
            "textfont": {"size": 14},
        }
    )
    models = {sc.facets.get("model", "") for sc in scenarios}
    if len(scenarios) == 1:
        title = _("Memory per GPU by component — {model}").format(model=next(iter(models)))
    elif len(models) == 1:
        title = _("Memory per GPU by component — {model}: {n} scenarios").format(
            model=next(iter(models)), n=len(scenarios)
        )
    else:
        title = _("Memory per GPU by component — {n} scenarios, {m} models").format(
            n=len(scenarios), m=len(models)
        )
    subtitle = (
        _("All bars: {shared}").format(shared=" · ".join(shared))
        if shared
        else _("Every bar differs")
    )
    subtitle = _escape(subtitle + f" · {unit}")
    if differs:
        subtitle += " · " + _("{highlighted}: differs from this view").format(
            highlighted=_differs(_("highlighted"))
        )
    layout = _layout(_escape(title), subtitle, unit, "")
    layout["legend"]["traceorder"] = "normal"  # left to right as the bars stack
    label_lines = max(n.count("<br>") + 1 for n in names)
    row_px = max(BAR_ROW_PX, LABEL_LINE_PX * label_lines + 24)
    plot_h = row_px * len(scenarios)
    top_px = _top_margin(
        layout["title"]["text"].count("<br>") + 1,
        layout["title"]["subtitle"]["text"].count("<br>") + 1,
        band=False,
    )
    bottom_px = 96
    layout["height"] = top_px + plot_h + bottom_px
    longest = max(text_width(re.sub(r"<[^>]+>", "", ln)) for n in names for ln in n.split("<br>"))
    layout["margin"] = {
        "l": min(330, 24 + int(7.4 * longest)),
        "r": 40,
        "t": top_px,
        "b": bottom_px,
        "autoexpand": False,
    }
    layout["barmode"] = "stack"
    layout["bargap"] = 0.35
    layout["xaxis"] = {
        "title": {"text": _("Memory per GPU ({unit})").format(unit=unit), "standoff": 8},
        "gridcolor": GRID,
        "range": [0, top * 1.24],
        "zeroline": False,
    }
    layout["yaxis"] = {
        "autorange": "reversed",
        "tickfont": {"size": 12, "color": TOTAL_COLOR},
        "ticklabelstandoff": 6,
        "automargin": False,
    }
    return _figure({"data": data, "layout": layout}, validate)


# -- export ------------------------------------------------------------------------------------
CHART_FILE_NAMES: dict[str, str] = {  # msgids: the chart's name in an export's file name
    "concurrency": N_("concurrency"),
    "breakdown": N_("breakdown"),
    "compare": N_("compare"),
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


def plotly_config(
    view: View, chart: str, fmt: str = "png", height: int = FIG_HEIGHT_PX
) -> dict[str, object]:
    """Chart toolbar: a slide-sized export (1280 px wide, the figure's height; PNG at 2x scale
    or SVG) with a descriptive name, title and configuration included; no Plotly logo."""
    return {
        "displaylogo": False,
        "toImageButtonOptions": {
            "format": fmt,
            "scale": 2 if fmt == "png" else 1,
            "filename": png_filename(view, chart),
            "width": EXPORT_WIDTH_PX,
            "height": height,
        },
        "modeBarButtonsToRemove": ["lasso2d", "select2d"],
    }
