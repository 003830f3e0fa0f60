"""The Hugging Face source against a local Hub on 127.0.0.1 (fake_hub.py): real config.json
content (tests/data/hub), safetensors headers by range reads, and each way the Hub says no."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from calculators import estimate
from model_sources import SourceError
from model_sources.hub import load_hub_model, parse_hub_id
from tests.model_sources.fake_hub import GOOD_TOKEN, FakeHub, HubServer, populate

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "hub"


# Qwen3-0.6B by hand (bf16, 2 B): per layer q 2048x1024 + k, v 1024x1024 + o 1024x2048 +
# gate/up 3072x1024 + down 1024x3072 = 15,728,640 elements; norms 2 x 1024 + q/k norms 2 x 128.
QWEN3_LAYER = 15_728_640 * 2 + (2 * 1024 + 2 * 128) * 2
QWEN3_EMBED = 151_936 * 1024 * 2
QWEN3_TOTAL = 28 * QWEN3_LAYER + QWEN3_EMBED + 1024 * 2  # the stored lm_head is tied: not loaded
# Qwen2-7B-Instruct: q, o 3584^2; k, v 512x3584; gate/up/down 18944x3584; q/k/v biases
# 3584 + 512 + 512; norms 2 x 3584; untied embedding and lm_head 152,064 x 3584.
QWEN2_LAYER = (2 * 3584**2 + 2 * 512 * 3584 + 3 * 18944 * 3584) * 2 + (4608 + 7168) * 2
QWEN2_TOTAL = 28 * QWEN2_LAYER + 2 * 152_064 * 3584 * 2 + 3584 * 2


def test_hand_worked_totals() -> None:
    assert QWEN3_TOTAL == 1_192_099_840  # = 2 B x 596,049,920 parameters
    assert QWEN2_TOTAL == 15_231_233_024  # = 2 B x 7,615,616,512 parameters


@pytest.fixture
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeHub]:
    with HubServer() as fake:
        monkeypatch.setenv("HF_ENDPOINT", fake.url)
        monkeypatch.delenv("HF_TOKEN", raising=False)
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
        monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))
        populate(fake, DATA)
        yield fake


def test_single_file_repo_exact_bytes(hub: FakeHub, tmp_path: Path) -> None:
    loaded = load_hub_model("Qwen/Qwen3-0.6B", cache_dir=tmp_path / "cache")
    assert loaded.spec.name == "Qwen/Qwen3-0.6B"
    assert loaded.default_weight_format == "bf16"
    assert loaded.checkpoint is not None
    assert loaded.checkpoint.total_bytes == QWEN3_TOTAL
    assert loaded.checkpoint.skipped_bytes == QWEN3_EMBED  # the tied lm_head copy
    assert loaded.source == "Hugging Face Qwen/Qwen3-0.6B@0123456789ab"
    # the routes huggingface_hub used: HEAD + GET config.json, HEAD + range GET of the weights
    assert ("HEAD", "/Qwen/Qwen3-0.6B/resolve/main/config.json") in hub.requests
    assert any(m == "GET" and p.endswith("/model.safetensors") for m, p in hub.requests)
    est = estimate(loaded.spec, "bf16", checkpoint=loaded.checkpoint)
    assert est.per_gpu.weights_bytes == QWEN3_TOTAL


def test_sharded_repo_and_revision(hub: FakeHub, tmp_path: Path) -> None:
    commit = hub.repos["Qwen/Qwen2-7B-Instruct"].commit
    loaded = load_hub_model(f"Qwen/Qwen2-7B-Instruct@{commit}", cache_dir=tmp_path / "c")
    assert loaded.checkpoint is not None
    assert loaded.checkpoint.total_bytes == QWEN2_TOTAL
    assert loaded.checkpoint.source == "safetensors headers from the Hub, 2 files"
    assert all(commit in p for _, p in hub.requests)


def test_config_is_cached_per_id_and_revision(hub: FakeHub, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    load_hub_model("Qwen/Qwen3-0.6B", cache_dir=cache)
    gets = sum(1 for m, p in hub.requests if m == "GET" and p.endswith("config.json"))
    load_hub_model("Qwen/Qwen3-0.6B", cache_dir=cache)
    assert sum(1 for m, p in hub.requests if m == "GET" and p.endswith("config.json")) == gets
    assert list(cache.glob("models--Qwen--Qwen3-0.6B/snapshots/*/config.json"))


def test_unreachable_hub_uses_the_cached_config(
    hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    load_hub_model("Qwen/Qwen3-0.6B", cache_dir=cache)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")  # discard port: connection refused
    loaded = load_hub_model("Qwen/Qwen3-0.6B", cache_dir=cache)
    assert loaded.checkpoint is None
    assert any("local cache" in n for n in loaded.notes)


@pytest.mark.parametrize(
    ("model_id", "token", "needle"),
    [
        (
            "acme/gated-model",
            None,
            "gated; accept the licence on the model's Hub page and set HF_TOKEN",
        ),
        ("acme/gated-model", "hf_wrong", "gated, and HF_TOKEN has no access"),
        ("acme/missing", None, "no such model on"),
        ("Qwen/Qwen3-0.6B@v9.9", None, "revision 'v9.9' not found"),
        ("acme/busy-model", None, "rate-limited"),
    ],
)
def test_hub_refusals_are_one_line(
    hub: FakeHub,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    model_id: str,
    token: str | None,
    needle: str,
) -> None:
    if token:
        monkeypatch.setenv("HF_TOKEN", token)
    t0 = time.monotonic()
    with pytest.raises(SourceError) as e:
        load_hub_model(model_id, cache_dir=tmp_path / "c")
    msg = str(e.value)
    assert needle in msg and model_id.split("@")[0] in msg and "\n" not in msg
    assert time.monotonic() - t0 < 10  # no retries: their backoff alone is 1 + 2 + 4 + 8 s


def test_gated_repo_with_the_token(
    hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_TOKEN", GOOD_TOKEN)
    loaded = load_hub_model("acme/gated-model", cache_dir=tmp_path / "c")
    assert loaded.spec.num_hidden_layers == 28
    assert loaded.checkpoint is None  # the repo has a config but no weights
    assert any("no safetensors" in n for n in loaded.notes)


def test_slow_hub_times_out(hub: FakeHub, tmp_path: Path) -> None:
    t0 = time.monotonic()
    with pytest.raises(SourceError, match=r"did not answer within 0\.5 s"):
        load_hub_model("acme/slow-model", cache_dir=tmp_path / "c", timeout_s=0.5)
    assert time.monotonic() - t0 < 8  # far below the 30 s a hang would take


def test_overall_deadline(hub: FakeHub, tmp_path: Path) -> None:
    t0 = time.monotonic()
    with pytest.raises(SourceError, match=r"no answer from .* within 0\.5 s"):
        load_hub_model("acme/slow-model", cache_dir=tmp_path / "c", timeout_s=30, deadline_s=0.5)
    assert time.monotonic() - t0 < 8  # far below the 30 s a hang would take


def test_offline_without_cache(
    hub: FakeHub, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(SourceError, match="offline"):
        load_hub_model("Qwen/Qwen3-0.6B", cache_dir=tmp_path / "c")


@pytest.mark.parametrize(
    "bad",
    [
        "../etc/passwd",
        "org/name/extra",
        "org//name",
        "/abs/path",
        "org/na me",
        "org/name@../../x",
        "org/name@main;rm",
        "https://evil.example/org/name",
        "org--x/name",
        "org/" + "n" * 200,
        "org/name\n",
        "",
    ],
)
def test_ids_are_validated_before_any_use(bad: str) -> None:
    with pytest.raises(SourceError, match="Hugging Face id"):
        parse_hub_id(bad)


def test_good_ids() -> None:
    assert str(parse_hub_id("Qwen/Qwen3-0.6B")) == "Qwen/Qwen3-0.6B"
    assert parse_hub_id("meta-llama/Llama-3.1-8B@refs/pr/12").revision == "refs/pr/12"


def test_bad_endpoint_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", "file:///etc")
    with pytest.raises(SourceError, match="HF_ENDPOINT"):
        load_hub_model("Qwen/Qwen3-0.6B")


def _cli(
    hub: FakeHub, tmp_path: Path, *args: str, token: str | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HF_")}
    env.update(
        HF_ENDPOINT=hub.url, HF_HOME=str(tmp_path / "home"), HF_HUB_CACHE=str(tmp_path / "cache")
    )
    if token:
        env["HF_TOKEN"] = token
    return subprocess.run(
        [sys.executable, "-m", "calculators", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=60,
    )


def test_cli_hf(hub: FakeHub, tmp_path: Path) -> None:
    r = _cli(
        hub,
        tmp_path,
        "estimate",
        "--json",
        "--hf",
        "Qwen/Qwen2-7B-Instruct",
        "--method",
        "vllm",
        "--gpu",
        "h100-sxm-80gb",
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["model"] == "Qwen/Qwen2-7B-Instruct"
    assert out["weights_origin"]["used"] == "checkpoint"
    assert out["weights_origin"]["from_checkpoint_bytes"] == QWEN2_TOTAL
    # vLLM adds the RoPE cache: 32,768 positions x 128 dims x 2 B (vocab 152,064 is a multiple of 64)
    assert out["per_gpu"]["weights_bytes"] == QWEN2_TOTAL + 32_768 * 128 * 2
    assert out["source"].startswith("Hugging Face Qwen/Qwen2-7B-Instruct@")


def test_cli_hf_gated_one_line(hub: FakeHub, tmp_path: Path) -> None:
    r = _cli(hub, tmp_path, "estimate", "--hf", "acme/gated-model")
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "acme/gated-model" in lines[0] and "HF_TOKEN" in lines[0]
    ok = _cli(hub, tmp_path, "estimate", "--json", "--hf", "acme/gated-model", token=GOOD_TOKEN)
    assert ok.returncode == 0, ok.stderr
