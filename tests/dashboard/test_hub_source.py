"""The dashboard's "Hugging Face id" model source: the share-link field, the view with a fetched
model (checkpoint weights beside the architecture's), and the page against a local Hub."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from dashboard.state import ViewState, decode, encode
from dashboard.view import build_view
from model_sources.folder import load_folder
from presets import load_catalog
from tests.model_sources import tiny_checkpoints as tc
from tests.model_sources.fake_hub import FakeHub, HubServer, populate

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
CAT = load_catalog()


def test_share_link_carries_the_hub_id() -> None:
    state = ViewState(src="hf", hf="Qwen/Qwen3-0.6B@main")
    params = encode(state)
    assert params["src"] == "hf" and params["hf"] == "Qwen/Qwen3-0.6B@main"
    back, notices = decode(params)
    assert back == state and notices == []


@pytest.mark.parametrize(
    "bad", ["../../etc/passwd", "org/name@..", "https://x.example/a/b", "a/b c"]
)
def test_share_link_refuses_a_bad_hub_id(bad: str) -> None:
    state, notices = decode({"src": "hf", "hf": bad})
    assert state.hf == ""
    assert len(notices) == 1 and "'hf'" in notices[0] and "Hugging Face id" in notices[0]


def test_view_uses_the_checkpoint_and_says_so(tmp_path: Path) -> None:
    loaded = load_folder(tc.write_model(tmp_path / "m", "gptq"))
    state = ViewState(src="hf", hf="tests/tiny-llama", weights="gptq-int4", gpus=("h100-sxm-80gb",))
    view = build_view(state, CAT, loaded)
    assert view.model_label == "tests/tiny-llama (Hugging Face)"
    assert loaded.checkpoint is not None
    assert view.estimate.per_gpu.weights_bytes == loaded.checkpoint.total_bytes == 112_896
    assert view.fits[0].estimate.per_gpu.weights_bytes == 112_896
    assert view.weights_origin_text is not None
    assert "from the checkpoint" in view.weights_origin_text
    assert "the estimate uses the checkpoint" in view.weights_origin_text
    assert any("quantization_config gptq" in n for n in view.notices)


def test_view_without_a_fetched_model_falls_back_with_a_notice() -> None:
    view = build_view(ViewState(src="hf", hf="acme/x"), CAT, None)
    assert view.state.src == "preset"
    assert any("No Hugging Face model fetched yet" in n for n in view.notices)


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    with HubServer() as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        monkeypatch.delenv("HF_TOKEN", raising=False)
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
        monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
        populate(fake, ROOT / "tests" / "data" / "hub")
        yield fake


def _run(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def test_page_with_a_hub_id(hub: FakeHub) -> None:
    at = _run(src="hf", hf="Qwen/Qwen3-0.6B")
    assert at.subheader[0].value == "Qwen/Qwen3\\-0\\.6B \\(Hugging Face\\)"
    captions = " ".join(c.value for c in at.caption)
    assert "from the checkpoint" in captions and "uses the checkpoint" in captions
    assert len(at.get("plotly_chart")) == 4  # concurrency, speed, breakdown, plan
    fetched = sum(1 for m, p in hub.requests if m == "GET" and p.endswith("config.json"))
    at.slider[0].set_value(at.slider[0].value + 1).run()  # a rerun does not fetch again
    assert not at.exception
    assert sum(1 for m, p in hub.requests if m == "GET" and p.endswith("config.json")) == fetched


def test_page_with_a_gated_id_keeps_working(hub: FakeHub) -> None:
    at = _run(src="hf", hf="acme/gated-model")
    errors = [e.value.replace("\\", "") for e in at.error]  # shown through md_escape
    assert any("gated" in e and "HF_TOKEN" in e for e in errors)
    assert any("No Hugging Face model fetched yet" in w.value for w in at.warning)
    assert len(at.get("plotly_chart")) == 4  # concurrency, speed, breakdown, plan
