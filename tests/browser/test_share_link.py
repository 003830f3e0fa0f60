"""The share link restores everything: four pins and an uploaded config.json, opened in a fresh
browser context (no cookies, no session), show the same model, charts and bars."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.slide_checks import CHART
from tests.browser.test_slides import MIXED_PINS, wait_ready

pytestmark = pytest.mark.browser
UPLOAD = (
    Path(__file__).resolve().parents[1] / "data" / "uploads" / "llama-3.1-8b-instruct.config.json"
)


def _view(page: Any) -> dict[str, Any]:
    return page.evaluate(
        f"""() => {{
        const g = Array.from(document.querySelectorAll('{CHART}'));
        const total = g[0]._fullData.find(t => t.name === 'Total per GPU');
        const cmp = g.find(c => c.layout.title.text.includes('Memory per GPU by component'));
        const bars = cmp._fullData.filter(t => t.type === 'bar');
        return {{
            heading: document.querySelector('h3').innerText,
            title: g[0].layout.title.text,
            total: Array.from(total.y),
            bars: bars.map(b => [Array.from(b.y), Array.from(b.x)]),
        }};
    }}"""
    )


def test_four_pins_and_an_upload_round_trip_in_a_fresh_page(server: str, browser: Any) -> None:
    first = browser.new_context(viewport={"width": 1440, "height": 1400})
    try:
        page = first.new_page()
        page.goto(f"{server}/?pins={MIXED_PINS}&ctx=12000&conc=24")
        wait_ready(page)
        page.locator('[data-testid="stSidebar"] label').filter(has_text="config.json").first.click()
        page.locator('[data-testid="stSidebar"] input[type="file"]').set_input_files(str(UPLOAD))
        page.wait_for_function(
            "() => document.querySelector('h3') &&"
            " document.querySelector('h3').innerText.startsWith('llama-3.1-8b-instruct (uploaded')",
            timeout=60_000,
        )
        wait_ready(page)
        page.wait_for_function("() => location.href.includes('cfg=z1.')", timeout=30_000)
        link = page.evaluate("location.href")
        before = _view(page)
    finally:
        first.close()
    assert "v=2" in link and "pins=" in link and len(link) < 16_000
    assert len(before["bars"][0][0]) == 5  # this view and four pins

    fresh = browser.new_context(viewport={"width": 1440, "height": 1400})
    try:
        page = fresh.new_page()
        page.goto(link)
        wait_ready(page)
        page.wait_for_function(
            "() => document.querySelector('h3') &&"
            " document.querySelector('h3').innerText.startsWith('llama-3.1-8b-instruct (uploaded')",
            timeout=60_000,
        )
        after = _view(page)
        text = page.inner_text("body")
    finally:
        fresh.close()
    assert after == before
    assert "Model from the share link" in text
