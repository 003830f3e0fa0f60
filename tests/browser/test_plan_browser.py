"""The Plan chart as a person sees it (issue 13): drawn in Chromium with a title, the
configuration, axis titles with units, one legend entry per GPU type, and no overlapping text."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser
CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'

# Text of the plan chart, as boxes: title, subtitle, axis titles, annotations, legend entries.
_BOXES = """() => {
  const g = Array.from(document.querySelectorAll('CHART_SELECTOR'))
    .find(c => c.layout && c.layout.title && c.layout.title.text.includes('GPUs needed'));
  if (!g) return null;
  const sel = ['.gtitle', '.gtitle-subtitle', '.g-xtitle text', '.g-ytitle text',
               '.annotation-text', '.legendtext'];
  const out = [];
  for (const s of sel) {
    for (const el of g.querySelectorAll(s)) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0)
        out.push({sel: s, text: el.textContent, x: r.x, y: r.y, w: r.width, h: r.height});
    }
  }
  return {boxes: out, title: g.layout.title.text, sub: g.layout.title.subtitle.text,
          xt: g.layout.xaxis.title.text, yt: g.layout.yaxis.title.text, n: g.data.length,
          width: g.getBoundingClientRect().width};
}""".replace("CHART_SELECTOR", CHART)


def _overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["w"] - 1
        and b["x"] < a["x"] + a["w"] - 1
        and a["y"] < b["y"] + b["h"] - 1
        and b["y"] < a["y"] + a["h"] - 1
    )


def test_plan_chart_survives_a_slide(server: str, page) -> None:
    page.set_viewport_size({"width": 1400, "height": 4000})
    page.goto(
        f"{server}/?model=meta-llama/Llama-3.1-70B-Instruct&method=vllm&conc=200"
    )  # the four default GPUs
    page.wait_for_function(
        f"() => document.querySelectorAll('{CHART}').length >= 3", timeout=90_000
    )
    page.wait_for_function(f"({_BOXES})() !== null", timeout=60_000)
    page.wait_for_timeout(500)
    info = page.evaluate(_BOXES)
    assert "Llama 3.1 70B Instruct" in info["title"]
    assert "vLLM" in info["sub"] and "8,192 tokens per request" in info["sub"]
    assert "count" in info["yt"] and "tokens each" in info["xt"]
    assert info["n"] == 4  # one line per selected GPU type
    boxes = info["boxes"]
    texts = {b["sel"] for b in boxes}
    assert {".gtitle", ".g-xtitle text", ".g-ytitle text", ".legendtext"} <= texts, texts
    assert sum(b["sel"] == ".legendtext" for b in boxes) == 4
    clashes = [
        (a["text"], b["text"])
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
        if _overlap(a, b)
    ]
    assert not clashes, clashes
    for b in boxes:  # nothing runs off the chart
        assert b["x"] >= 0 and b["x"] + b["w"] <= 1400, b
