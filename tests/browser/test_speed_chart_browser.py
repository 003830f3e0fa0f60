"""The speed chart as a person sees it: drawn, and its text neither overlapping nor clipped."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS

pytestmark = pytest.mark.browser
SPEED = '[data-testid="stPlotlyChart"] .js-plotly-plot'

# Every text the chart draws: title and subtitle, axis titles, legend entries, annotations.
TEXT_BOXES = """(index) => {
  const plot = Array.from(document.querySelectorAll('SPEED_SELECTOR'))[index];
  const outer = plot.getBoundingClientRect();
  const sel = '.gtitle, .gtitle-subtitle, .g-xtitle, .g-x2title, .g-ytitle, .g-y2title, '
            + '.legendtext, .annotation-text';
  const boxes = Array.from(plot.querySelectorAll(sel))
    .filter(el => (el.textContent || '').trim().length > 0)
    .map(el => { const r = el.getBoundingClientRect();
                 return {text: el.textContent.trim(), l: r.left, r: r.right, t: r.top, b: r.bottom}; });
  return {outer: {l: outer.left, r: outer.right, t: outer.top, b: outer.bottom}, boxes: boxes,
          title: plot.layout.title.text};
}""".replace("SPEED_SELECTOR", SPEED)


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    pad = 1.0  # a pixel of anti-aliasing is not an overlap
    return (
        a["l"] + pad < b["r"]
        and b["l"] + pad < a["r"]
        and a["t"] + pad < b["b"]
        and b["t"] + pad < a["b"]
    )


def test_speed_chart_text_is_whole_and_apart(server: str, page) -> None:
    page.goto(server + "/?method=vllm&slo=1&gpus=h100-sxm-80gb,a100-40gb,l40s-48gb")
    page.wait_for_selector(SPEED, timeout=60_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
    )
    page.wait_for_function(
        f"() => document.querySelectorAll('{SPEED}').length >= 3", timeout=60_000
    )
    page.wait_for_timeout(800)
    titles = page.evaluate(
        f"() => Array.from(document.querySelectorAll('{SPEED}')).map(p => p.layout.title.text)"
    )
    index = next(i for i, t in enumerate(titles) if "Speed vs concurrent users" in t)
    info = page.evaluate(TEXT_BOXES, index)
    boxes, outer = info["boxes"], info["outer"]
    texts = [b["text"] for b in boxes]
    assert any("Speed vs concurrent users" in t for t in texts)
    assert any(t.startswith("Tokens/s per user") for t in texts)
    assert any(t.startswith("Time to first token") for t in texts)
    assert any("requests fit" in t for t in texts)
    assert any(t.startswith("SLO:") for t in texts)
    for b in boxes:  # nothing clipped by the chart's own frame
        assert outer["l"] - 1 <= b["l"] and b["r"] <= outer["r"] + 1, b
        assert outer["t"] - 1 <= b["t"] and b["b"] <= outer["b"] + 1, b
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert not _overlap(a, b), (a["text"], b["text"])
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(SPEED).nth(index).screenshot(path=str(ARTIFACTS / "speed_chart.png"))
