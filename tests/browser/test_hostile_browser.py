"""Issue 14 in a real browser: crafted share links and hostile uploads give a notice and a whole
page (every chart, no exception box), never a blank main area."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from dashboard.bounds import MAX_NOTICES

pytestmark = pytest.mark.browser
CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'
EXCEPTION = '[data-testid="stException"]'
ALERT = '[data-testid="stAlert"], [data-testid="stAlertContainer"]'


def _wait_ready(page) -> None:
    page.wait_for_selector(CHART, timeout=60_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=60_000
    )
    page.wait_for_timeout(300)


def _open(page, server: str, query: str) -> str:
    page.goto(f"{server}/?{query}")
    _wait_ready(page)
    assert page.locator(EXCEPTION).count() == 0
    assert page.locator(CHART).count() >= 2
    return page.inner_text("body")


@pytest.mark.parametrize(
    ("query", "needle", "param", "value"),
    [
        ("conc=5000", "'conc' = '5000' is outside 1..4096", "conc", None),
        ("alpha=0.7&util=0.3", "'alpha' = '0.7' is outside", "alpha", None),
        ("conc=8&conc=5000", "'conc' is given 2 times", "conc", "8"),
        ("tp=32&pp=32&dp=1024", "1,048,576 GPUs, over 100,000", "dp", None),
        ("method=llamacpp&tp=64", "does not split the model's 32 attention heads", "tp", None),
        (
            "model=microsoft/Phi-3-mini-4k-instruct&ctx=10000000",
            "beyond the model's native maximum of 4,096",
            "ctx",
            "10000000",
        ),
        # a pin this page cannot show stays in the link (another catalog may know it), with a notice
        (
            "pins=model=acme/nope:tp=1",
            "model preset 'acme/nope' is not known",
            "pins",
            "model=acme/nope:tp=1",
        ),
    ],
)
def test_crafted_links_give_a_notice_and_a_whole_page(
    server: str, page, query: str, needle: str, param: str, value: str | None
) -> None:
    # Before: StreamlitAPIException and an empty main area, or a SpecError box.
    text = _open(page, server, query)
    assert needle in text
    params = parse_qs(urlsplit(page.evaluate("location.href")).query)
    if value is None:  # the refused value is not written back into the share link
        assert param not in params or params[param] != [query.split(f"{param}=")[1].split("&")[0]]
    else:
        assert params.get(param) == [value]


def test_hundreds_of_unknown_parameters_give_one_notice(server: str, page) -> None:
    query = "&".join(f"junk{i}=1" for i in range(300))
    text = _open(page, server, query)
    assert "'junk0'" in text and "and 295 more are not known" in text
    assert page.locator(ALERT).count() <= MAX_NOTICES + 1


def _upload(page, server: str, tmp_path: Path, doc: str) -> str:
    page.goto(f"{server}/?src=upload")
    _wait_ready(page)
    path = tmp_path / "config.json"
    path.write_text(doc)
    page.locator('input[type="file"]').set_input_files(str(path))
    page.wait_for_timeout(500)
    _wait_ready(page)
    assert page.locator(EXCEPTION).count() == 0
    assert page.locator(CHART).count() >= 2
    return page.inner_text("body")


HUGE_KV = {
    "model_type": "llama",
    "num_hidden_layers": 1000,
    "hidden_size": 4096,
    "num_attention_heads": 4096,
    "num_key_value_heads": 4096,
    "head_dim": 4096,
    "intermediate_size": 1024,
    "vocab_size": 1000,
    "max_position_embeddings": 1048576,
}


def test_an_upload_with_a_huge_kv_cache_shows_a_positive_total(
    server: str, page, tmp_path: Path
) -> None:
    text = _upload(page, server, tmp_path, json.dumps(HUGE_KV))
    assert "uploaded config.json" in text
    y = page.evaluate(
        f"() => Array.from(document.querySelectorAll('{CHART}'))[0]._fullData"
        ".filter(t => t.name === 'Total per GPU').map(t => Array.from(t.y))[0]"
    )
    assert y and min(y) > 0 and y == sorted(y)  # before: wrapped negative past int64


@pytest.mark.parametrize(
    ("doc", "needle"),
    [
        ('{"num_hidden_layers": ' + "9" * 5000 + "}", "cannot be used"),
        (json.dumps({**HUGE_KV, "hidden_size": 10**200}), "hidden_size"),
        (json.dumps({**HUGE_KV, "num_hidden_layers": 10_000, "intermediate_size": 10**6}), "over"),
    ],
)
def test_a_hostile_upload_gets_a_message_and_the_page_stays(
    server: str, page, tmp_path: Path, doc: str, needle: str
) -> None:
    text = _upload(page, server, tmp_path, doc)
    assert "That file cannot be used" in text and needle in text
