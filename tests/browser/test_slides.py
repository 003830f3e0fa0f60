"""Charts that go into a slide as they are: at 1440 and 1920 px, for the defaults, the extremes of
every slider, six GPUs, TP with replicas, MoE and MLA models and four mixed pins, no chart text
overlaps other text or a crossing marker and none is clipped (rendered SVG boxes, measured by
tests/browser/slide_checks.py). One server and one browser for every scenario."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import plotly
import pytest

from dashboard.state import DEFAULT_STATE, pin_token
from tests.browser.conftest import ARTIFACTS
from tests.browser.slide_checks import CHART, Box, ChartBoxes, chart_boxes, slide_problems

pytestmark = pytest.mark.browser
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

SIX_GPUS = "h100-sxm-80gb,a100-40gb,l40s-48gb,rtx-4090-24gb,h200-141gb,l4-24gb"
MIXED_PINS = "~".join(
    pin_token(replace(DEFAULT_STATE, **kw))
    for kw in (
        {"model": "Qwen/Qwen3-32B", "weights": "awq-int4", "method": "vllm"},
        {"model": "meta-llama/Llama-3.1-70B-Instruct", "weights": "fp8", "tp": 2},
        {"model": "deepseek-ai/DeepSeek-V2-Lite-Chat", "method": "sglang", "ctx": 32768},
        {"model": "openai/gpt-oss-20b", "weights": "mxfp4-experts", "method": "llamacpp"},
    )
)
SCENARIOS: dict[str, str] = {
    "defaults": "",
    "conc-max": "conc=4096",
    "conc-min-ctx-min-q2": "conc=1&ctx=512&weights=q2_k",
    "ctx-max-fp32-alpha-max": "ctx=131072&weights=fp32&alpha=0.5",
    "ctx-10M-scout": "model=meta-llama/Llama-4-Scout-17B-16E-Instruct&ctx=1048576&weights=int4",
    "six-gpus": f"gpus={SIX_GPUS}",
    "tp4-replicas3": "model=meta-llama/Llama-3.1-70B-Instruct&tp=4&dp=3&gpus=h100-sxm-80gb,a100-80gb",
    "moe-mla-deepseek-v3": "model=deepseek-ai/DeepSeek-V3&weights=fp8&tp=8&method=vllm"
    "&gpus=h200-141gb,b200,mi300x-192gb",
    "moe-gpt-oss-sglang": "model=openai/gpt-oss-120b&weights=mxfp4-experts&method=sglang"
    "&gpus=h100-sxm-80gb,a100-80gb,l40s-48gb",
    "by-hand-2T": "src=custom&c_params_b=2000&c_layers=128&c_hidden=16384&c_heads=128",
    "fits-nothing": "model=meta-llama/Llama-3.1-405B-Instruct&gpus=rtx-4090-24gb,l40s-48gb",
    "four-mixed-pins": f"pins={MIXED_PINS}&gpus=h100-sxm-80gb,l40s-48gb",
    # Chinese labels are about twice as wide per character: the same checks in Chinese
    "zh-defaults": "lang=zh",
    "zh-six-gpus": f"gpus={SIX_GPUS}&lang=zh",
    "zh-tp4-replicas3": "model=meta-llama/Llama-3.1-70B-Instruct&tp=4&dp=3"
    "&gpus=h100-sxm-80gb,a100-80gb&lang=zh",
    "zh-fits-nothing": "model=meta-llama/Llama-3.1-405B-Instruct&gpus=rtx-4090-24gb,l40s-48gb"
    "&lang=zh",
    "zh-four-mixed-pins": f"pins={MIXED_PINS}&gpus=h100-sxm-80gb,l40s-48gb&lang=zh",
}
WIDTHS = {1440: 900, 1920: 1080}


def wait_ready(page: Any) -> None:
    page.wait_for_selector(CHART, timeout=60_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
    )
    page.wait_for_timeout(600)  # Plotly finishes its layout after the element appears


@pytest.fixture(scope="module", params=sorted(WIDTHS))
def wide_page(request: pytest.FixtureRequest, browser: Any) -> Iterator[tuple[int, Any]]:
    width = request.param
    ctx = browser.new_context(viewport={"width": width, "height": WIDTHS[width]})
    try:
        yield width, ctx.new_page()
    finally:
        ctx.close()


def _story(page: Any) -> dict[str, Any]:
    """What the concurrency chart frames: its x range, the chosen value, the crossing markers."""
    return page.evaluate(
        f"""() => {{
        const gd = document.querySelector('{CHART}');
        const xa = gd._fullLayout.xaxis;
        const marks = gd._fullData.filter(t => t.mode === 'markers').map(t => t.x[0]);
        const chosen = gd._fullData.find(t => t.name === 'chosen').x[0];
        const texts = (gd.layout.annotations || []).map(a => a.text);
        return {{type: xa.type, range: xa.range, marks, chosen, texts,
                 xtitle: gd.layout.xaxis.title.text}};
    }}"""
    )


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_chart_is_slide_ready(server: str, wide_page: tuple[int, Any], name: str) -> None:
    width, page = wide_page
    page.goto(f"{server}/?{SCENARIOS[name]}")
    wait_ready(page)
    charts = page.locator(CHART)
    assert charts.count() >= 2
    ARTIFACTS.mkdir(exist_ok=True)
    # every chart on the page: concurrency, speed, breakdown or compare, plan
    for i in range(charts.count()):
        charts.nth(i).scroll_into_view_if_needed()
        boxes = chart_boxes(page, i)
        charts.nth(i).screenshot(path=str(ARTIFACTS / f"slide-{name}-{width}-{i}.png"))
        assert len(boxes.texts) >= 6, "the chart's texts were not found"
        problems = slide_problems(boxes)
        assert not problems, f"{name} at {width} px, chart {i}: {problems}"

    # The x range frames the story: the chosen concurrency and every crossing, with room.
    story = _story(page)
    lo, hi = story["range"]
    to_axis = math.log10 if story["type"] == "log" else float
    span = hi - lo
    for x in [story["chosen"], *story["marks"]]:
        assert lo < to_axis(x) <= hi - 0.02 * span, (name, x, story["range"])
    if story["marks"]:
        assert max(to_axis(x) for x in [story["chosen"], *story["marks"]]) >= lo + 0.5 * span
    if name == "tp4-replicas3":  # per-replica axis, per-replica and total in every label
        assert "per replica" in story["xtitle"]
        assert all("per replica" in t for t in story["texts"] if "usable" in t)
    if name == "fits-nothing":  # a setup that fits nothing says so on the chart
        assert sum("fits no request" in t for t in story["texts"]) == 2
    if name == "four-mixed-pins":
        bars = page.evaluate(
            f"() => Array.from(document.querySelectorAll('{CHART}'))"
            ".find(c => c.layout.title.text.includes('Memory per GPU by component'))._fullData"
            ".filter(t => t.type === 'bar')[0].y"
        )
        assert len(bars) == 5
        for model in ("Qwen3 32B", "Llama 3.1 70B", "DeepSeek", "gpt-oss"):
            assert any(model.lower() in b.lower() for b in bars), (model, bars)


def test_the_checker_finds_overlaps_and_clipping(browser: Any) -> None:
    """The checker itself: two annotations on one spot, one off the figure, one on a marker."""
    page = browser.new_page(viewport={"width": 900, "height": 600})
    try:
        page.set_content('<div id="g" class="js-plotly-plot" style="width:800px"></div>')
        page.add_script_tag(path=str(PLOTLY_JS))
        page.evaluate(
            """() => Plotly.newPlot('g', [{x: [1, 2], y: [1, 2], mode: 'markers',
                 marker: {size: 14}}], {width: 800, height: 500, showlegend: false,
                 annotations: [
                   {x: 1.5, y: 1.5, text: 'first label', showarrow: false},
                   {x: 1.5, y: 1.5, text: 'second label', showarrow: false},
                   {x: 1.3, y: 0.5, xref: 'paper', yref: 'paper', text: 'off the edge',
                    showarrow: false, xanchor: 'left'},
                   {x: 2, y: 2, text: 'on the marker', showarrow: false}]})"""
        )
        boxes = chart_boxes(page, 0, selector="#g")
        problems = " | ".join(slide_problems(boxes))
        assert "'first label' overlaps annotation 'second label'" in problems
        assert "'off the edge' is clipped" in problems
        assert "'on the marker' covers a crossing marker" in problems
        assert len(boxes.markers) == 2
    finally:
        page.close()


def test_box_geometry() -> None:
    a = Box("tick", "a", 0, 0, 10, 10)
    assert a.overlaps(Box("tick", "b", 9, 9, 20, 20))
    assert not a.overlaps(Box("tick", "c", 10, 0, 20, 10))  # touching is not overlapping
    fig = Box("figure", "figure", 0, 0, 100, 100)
    assert a.inside(fig) and not Box("tick", "d", 95, 0, 105, 5).inside(fig)
    assert slide_problems(ChartBoxes(fig, (a, Box("marker", "m", 5, 5, 8, 8))))
