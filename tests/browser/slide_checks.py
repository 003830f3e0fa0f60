"""Slide checks for any Plotly chart on the page, from the rendered SVG (reusable by every chart).

``chart_boxes(page, i)`` reads, for the i-th chart on the page, the bounding boxes of what a
person reads: the title and subtitle, annotations, the legend, tick labels, axis titles, bar and
scatter text, and the crossing markers (scatter points with ``mode: markers``), plus the figure's
own box. ``slide_problems(boxes)`` returns every problem in words: a text box overlapping another
text box or a marker, or a box not wholly inside the figure (clipped). An empty list is a
slide-ready chart.

Usage (Playwright)::

    from tests.browser.slide_checks import chart_boxes, slide_problems
    problems = slide_problems(chart_boxes(page, 0))
    assert not problems, problems
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'
TOLERANCE_PX = 0.5  # boxes touching within half a pixel do not overlap

# What counts as text, by the SVG group Plotly draws it in (plotly.js 3 class names).
_JS = """
(i) => {
  const gd = Array.from(document.querySelectorAll(arguments_selector))[i];
  if (!gd) return null;
  const fig = gd.getBoundingClientRect();
  const out = [];
  const box = (el, kind, label) => {
    const r = el.getBoundingClientRect();
    if (r.width < 0.5 || r.height < 0.5) return;
    const text = (el.textContent || '').trim();
    out.push({kind, label: label || text.slice(0, 60), x0: r.left, y0: r.top, x1: r.right, y1: r.bottom});
  };
  // texts: each annotation's text box (not its arrow), legend, ticks, axis and chart titles
  gd.querySelectorAll('g.annotation').forEach(a => {
    const t = a.querySelector('g.annotation-text-g') || a;
    const bg = t.querySelector('rect.bg');
    box(bg && bg.getBoundingClientRect().width > 0 ? bg : t, 'annotation', (a.textContent||'').trim().slice(0, 60));
  });
  gd.querySelectorAll('g.legend').forEach(l => {
    const bg = l.querySelector('rect.bg');
    box(bg || l, 'legend', 'legend');
  });
  gd.querySelectorAll('g.xtick text, g.ytick text').forEach(t => box(t, 'tick'));
  gd.querySelectorAll('text.xtitle, text.ytitle, text.gtitle, text.gtitle-subtitle').forEach(t => box(t, 'title'));
  gd.querySelectorAll('g.trace text, g.textpoint text').forEach(t => {
    if ((t.textContent || '').trim()) box(t, 'trace text');
  });
  // markers: scatter points drawn as markers (the crossings)
  gd.querySelectorAll('g.trace.scatter g.points path.point').forEach(p => box(p, 'marker', 'marker'));
  return {figure: {x0: fig.left, y0: fig.top, x1: fig.right, y1: fig.bottom}, boxes: out};
}
"""


@dataclass(frozen=True)
class Box:
    kind: str  # annotation, legend, tick, title, trace text, marker
    label: str
    x0: float
    y0: float
    x1: float
    y1: float

    def overlaps(self, other: Box, tol: float = TOLERANCE_PX) -> bool:
        return (
            min(self.x1, other.x1) - max(self.x0, other.x0) > tol
            and min(self.y1, other.y1) - max(self.y0, other.y0) > tol
        )

    def inside(self, outer: Box, tol: float = TOLERANCE_PX) -> bool:
        return (
            self.x0 >= outer.x0 - tol
            and self.y0 >= outer.y0 - tol
            and self.x1 <= outer.x1 + tol
            and self.y1 <= outer.y1 + tol
        )


@dataclass(frozen=True)
class ChartBoxes:
    figure: Box
    boxes: tuple[Box, ...]

    @property
    def texts(self) -> tuple[Box, ...]:
        return tuple(b for b in self.boxes if b.kind != "marker")

    @property
    def markers(self) -> tuple[Box, ...]:
        return tuple(b for b in self.boxes if b.kind == "marker")


def chart_boxes(page: Any, index: int = 0, selector: str = CHART) -> ChartBoxes:
    """The rendered boxes of chart ``index`` on ``page`` (a Playwright page)."""
    js = _JS.replace("arguments_selector", repr(selector))
    raw = page.evaluate(js, index)
    if raw is None:
        raise AssertionError(f"no chart number {index} on the page ({selector})")
    fig = Box("figure", "figure", **raw["figure"])
    return ChartBoxes(fig, tuple(Box(**b) for b in raw["boxes"]))


def slide_problems(chart: ChartBoxes) -> list[str]:
    """Every overlap (text on text, text on a marker) and every text outside the figure."""
    problems: list[str] = []
    texts = chart.texts
    for i, a in enumerate(texts):
        if not a.inside(chart.figure):
            problems.append(
                f"{a.kind} {a.label!r} is clipped: {_fmt(a)} not inside {_fmt(chart.figure)}"
            )
        for b in texts[i + 1 :]:
            if a.overlaps(b):
                problems.append(f"{a.kind} {a.label!r} overlaps {b.kind} {b.label!r}")
        for m in chart.markers:
            if a.overlaps(m):
                problems.append(f"{a.kind} {a.label!r} covers a crossing marker at {_fmt(m)}")
    return problems


def _fmt(b: Box) -> str:
    return f"({b.x0:.0f},{b.y0:.0f})-({b.x1:.0f},{b.y1:.0f})"
