"""What a person sees: the dashboard in headless Chromium against a real `streamlit run` server."""

from __future__ import annotations

import os
import re

import pytest

from tests.browser.conftest import ARTIFACTS, ROOT

pytestmark = pytest.mark.browser
CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'


def _wait_ready(page) -> None:
    page.wait_for_selector(CHART, timeout=60_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
    )
    # Plotly draws each chart asynchronously: the run can end before the second one is drawn
    page.wait_for_function(
        f"() => document.querySelectorAll('{CHART}').length >= 2", timeout=60_000
    )


def _total_trace_y(page) -> list[float]:
    data = page.evaluate(
        f"() => Array.from(document.querySelectorAll('{CHART}'))[0]._fullData"
        ".filter(t => t.name === 'Total per GPU').map(t => Array.from(t.y))"
    )
    return data[0]


def test_loads_shows_charts_and_saves_screenshot(server: str, page) -> None:
    page.goto(server)
    _wait_ready(page)
    assert page.locator(CHART).count() >= 2
    text = page.inner_text("body")
    assert "LLM VRAM Planner" in text
    assert "GiB" in text
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    # the README picture is refreshed on request only (a test run leaves the tree clean):
    # REFRESH_DOCS_SCREENSHOT=1 pytest tests/browser/test_dashboard_browser.py
    target = ROOT / "docs" / "dashboard.png"
    if not os.environ.get("REFRESH_DOCS_SCREENSHOT"):
        target = ARTIFACTS / "readme-dashboard.png"
    page.screenshot(
        path=str(target),
        full_page=False,
        clip={"x": 0, "y": 0, "width": 1500, "height": 1500},
    )


def test_moving_the_concurrency_slider_changes_the_chart(server: str, page) -> None:
    page.goto(server)
    _wait_ready(page)
    before = _total_trace_y(page)
    title_before = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    slider = (
        page.locator('[data-testid="stSlider"]')
        .filter(has_text="Concurrent requests")
        .locator('input[type="range"]')
    )
    if slider.count() == 0:
        slider = page.locator('[data-testid="stSlider"] [role="slider"]').nth(1)
    slider.first.focus()
    page.keyboard.press("ArrowRight")  # 16 -> 24: the next step on the concurrency scale
    page.wait_for_function(
        "(prev) => document.querySelector('[data-testid=\"stMetricValue\"]').innerText !== prev",
        arg=title_before,
        timeout=30_000,
    )
    page.wait_for_function(
        f"() => Array.from(document.querySelectorAll('{CHART}'))[0].layout.annotations"
        ".some(a => a.text.startsWith('chosen: 24 requests'))",
        timeout=30_000,
    )
    _wait_ready(page)
    after_metric = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    assert after_metric != title_before
    assert re.search(r"GiB", after_metric)
    # The URL now carries the new concurrency (share link).
    assert "conc=24" in page.url, page.url
    after = _total_trace_y(page)
    # The total line itself is the same function of concurrency; what moves is the chosen point.
    assert before and after and len(after) >= 20
    chosen = page.evaluate(
        f"() => Array.from(document.querySelectorAll('{CHART}'))[0]._fullData"
        ".find(t => t.name === 'chosen').x[0]"
    )
    assert chosen == 24


def test_the_chinese_page_at_1440_px(server: str, browser) -> None:
    """The whole page in Chinese at a laptop width: Chinese title and headings, every chart drawn
    (their slide checks run in Chinese in test_slides.py), no error box; the screenshot is kept
    in test-artifacts/ to be looked at."""
    ctx = browser.new_context(viewport={"width": 1440, "height": 4800}, locale="zh-CN")
    try:
        page = ctx.new_page()
        page.goto(f"{server}/?lang=zh")
        _wait_ready(page)
        page.wait_for_timeout(800)
        assert page.locator('[data-testid="stException"]').count() == 0
        assert page.locator(CHART).count() == 4  # memory, speed, breakdown, plan
        text = page.inner_text("body")
        for words in ("LLM 显存规划器", "每块 GPU 总内存", "键值缓存", "并发数", "场景对比"):
            assert words in text, words
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "dashboard-zh-1440.png"), full_page=True)
    finally:
        ctx.close()
