"""Hostile and broken input: every failure is a clear message naming the input; nothing crashes,
nothing executes, no user text is rendered as markup."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from calculators import SpecError, parse_config_json
from dashboard.figures import _escape
from dashboard.session import md_escape
from dashboard.state import decode
from dashboard.view import build_view, read_uploaded_config
from presets.loader import MAX_PRESET_FILE_BYTES, load_catalog, load_text

ROOT = Path(__file__).resolve().parents[2]
CAT = load_catalog()
GOOD = {
    "num_hidden_layers": 4,
    "hidden_size": 256,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "intermediate_size": 512,
    "vocab_size": 1000,
}


# -- uploaded config.json ------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"not json at all", "not valid JSON"),
        (b"[1, 2, 3]", "expected a JSON object"),
        (b'"just a string"', "expected a JSON object"),
        (json.dumps({**GOOD, "num_hidden_layers": None}).encode(), "num_hidden_layers: missing"),
        (
            json.dumps({**GOOD, "hidden_size": 0}).encode(),
            "hidden_size: must be a positive integer",
        ),
        (
            json.dumps({**GOOD, "hidden_size": -4096}).encode(),
            "hidden_size: must be a positive integer",
        ),
        (json.dumps({**GOOD, "hidden_size": 250}).encode(), "does not divide hidden_size"),
        (
            json.dumps({**GOOD, "num_attention_heads": "32"}).encode(),
            "num_attention_heads: expected an integer",
        ),
        (json.dumps({**GOOD, "vocab_size": [1]}).encode(), "vocab_size: expected an integer"),
        (json.dumps({**GOOD, "hidden_size": 10**12}).encode(), "hidden_size"),
        (json.dumps({**GOOD, "text_config": "oops"}).encode(), "text_config: expected an object"),
        (b'{"num_hidden_layers": Infinity}', "num_hidden_layers: expected an integer, got inf"),
        (b"\x89PNG\r\n\x1a\n", "not UTF-8"),
        (b"[" * 100_000, "config.json"),
        (b" " * 1_000_001, "over the 1,000,000-byte limit"),
    ],
)
def test_bad_config_json_gets_a_message_naming_file_and_problem(data: bytes, needle: str) -> None:
    spec, problem = read_uploaded_config("../../etc/<b>evil</b>.json", data)
    assert spec is None
    assert problem is not None and needle in problem
    assert problem.startswith("../../etc/<b>evil</b>.json"[:60])


def test_a_good_upload_drives_the_view() -> None:
    spec, problem = read_uploaded_config("config.json", json.dumps(GOOD).encode())
    assert problem is None and spec is not None
    from dataclasses import replace

    from dashboard.state import DEFAULT_STATE

    view = build_view(replace(DEFAULT_STATE, src="upload", ctx=4096), CAT, spec)
    assert "uploaded config.json" in view.model_label
    assert view.estimate.per_gpu.total_bytes > 0


# -- preset YAML ---------------------------------------------------------------------------------
MODEL = """models:
  - id: acme/m
    name: M
    family: Acme
    source: test
    official_parameters: 1000000
    official_parameters_source: test
    config: {num_hidden_layers: 2, hidden_size: 64, num_attention_heads: 4, num_key_value_heads: 2,
             intermediate_size: 128, vocab_size: 1000}
"""


def _load(text: str | bytes) -> tuple[dict, dict, list[str]]:
    models: dict = {}
    gpus: dict = {}
    errors: list[str] = []
    load_text(text, "user.yaml", "user", models, gpus, errors)
    return models, gpus, errors


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        (MODEL.replace("hidden_size: 64", "hidden_size: 1000000000000"), "hidden_size"),
        (MODEL.replace("num_hidden_layers: 2", "num_hidden_layers: 99999999"), "num_hidden_layers"),
        (
            MODEL.replace("official_parameters: 1000000", "official_parameters: .nan"),
            "official_parameters",
        ),
        (
            MODEL.replace("official_parameters: 1000000", "official_parameters: .inf"),
            "official_parameters",
        ),
        (MODEL.replace("id: acme/m", "id: ../../etc/passwd"), "id:"),
        (MODEL.replace("id: acme/m", "id: '<script>alert(1)</script>'"), "id:"),
        (
            "gpus:\n  - {id: g, name: G, vendor: V, category: datacenter, memory_marketed: 1 GB, memory_bytes: -1,"
            " bandwidth_gb_s: 1, source: s}\n",
            "memory_bytes",
        ),
        (
            "gpus:\n  - {id: g, name: G, vendor: V, category: datacenter, memory_marketed: 1 GB, memory_bytes: 0,"
            " bandwidth_gb_s: 1, source: s}\n",
            "memory_bytes",
        ),
        (
            "a: &a ['x','x']\nb: &b [*a,*a]\nc: &c [*b,*b]\nd: [*c,*c]\n",
            "anchors and aliases are not allowed",
        ),
        ("[" * 5000 + "]" * 5000, "user.yaml"),
        ("models: {}\n", "expected a list of entries"),
        ("gpus: 5\n", "expected a list of entries"),
    ],
)
def test_bad_preset_values_are_rejected_with_location(text: str, needle: str) -> None:
    models, gpus, errors = _load(text)
    assert not models and not gpus
    assert errors and any(needle in e for e in errors), errors
    assert all(e.startswith("user.yaml") for e in errors)


def test_python_tags_never_construct_objects_or_run_code(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    for tag in (
        "!!python/object/apply:os.system",
        "!!python/object/new:os.system",
        "!!python/name:os.system",
    ):
        text = f"models: {tag} ['touch {marker}']\n"
        _, _, errors = _load(text)
        assert errors and "YAML error" in errors[0]
    assert not marker.exists()


def test_very_large_preset_file_is_refused_not_parsed() -> None:
    big = "# " + "x" * (MAX_PRESET_FILE_BYTES + 10)
    _, _, errors = _load(big)
    assert errors and "over the" in errors[0]


def test_bad_user_directory_does_not_hide_builtins(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_bytes(b"\xff\xfe\x00garbage")
    (tmp_path / "b.yaml").write_text("")
    (tmp_path / "c.yml").write_text(MODEL)
    (tmp_path / "d.yaml").symlink_to("/etc/passwd")
    cat = load_catalog([tmp_path, tmp_path / "missing"])
    assert "acme/m" in cat.models and len(cat.models) > 30
    joined = "\n".join(cat.errors)
    for needle in ("a.yaml", "b.yaml", "d.yaml", "missing"):
        assert needle in joined


# -- URL parameters -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"conc": "1e30"}, "conc"),
        ({"conc": "99999999999999999999999"}, "conc"),
        ({"ctx": "-1"}, "ctx"),
        ({"alpha": "NaN"}, "alpha"),
        ({"util": "-inf"}, "util"),
        ({"mfs": "1e309"}, "mfs"),
        ({"model": "<img src=x onerror=alert(1)>"}, "model"),
        ({"gpus": "a,b,c,d,e,f,g,h"}, "gpus"),
        ({"unit": "TB"}, "unit"),
        ({"method": "rm -rf /"}, "method"),
        ({"pins": "x" * 500}, "pins"),
        ({"weights": "../../secrets"}, "weights"),
        ({"src": "file:///etc/passwd"}, "src"),
    ],
)
def test_url_values_fall_back_with_a_notice_naming_the_parameter(params: dict, field: str) -> None:
    state, notices = decode(params)
    assert notices and field in notices[0]
    assert getattr(state, field) == getattr(type(state)(), field)


def test_markup_is_escaped_for_markdown_and_plotly() -> None:
    assert "<" not in _escape("<script>") and _escape("<script>") == "&lt;script&gt;"
    assert md_escape("[a](javascript:x)") == r"\[a\]\(javascript\:x\)"
    assert md_escape("<b>x</b> **y**") == r"\<b\>x\</b\> \*\*y\*\*"


# -- command line ---------------------------------------------------------------------------------
def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calculators", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


HAND = ["estimate", "--params", "7e9", "--layers", "32", "--hidden-size", "4096", "--heads", "32"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ([*HAND, "--context", "1e30"], "--context"),
        ([*HAND, "--context", "99999999999999"], "--context"),
        ([*HAND, "--overhead-fraction", "nan"], "--overhead-fraction"),
        ([*HAND, "--overhead-fraction", "-0.1"], "--overhead-fraction"),
        ([*HAND, "--gpu-memory-gib", "-80"], "--gpu-memory-gib"),
        ([*HAND, "--tp", "0"], "--tp"),
        ([*HAND, "--tp", "3"], "tensor_parallel_size"),
        ([*HAND, "--pp", "64"], "pipeline_parallel_size"),
        ([*HAND, "--kv-dtype", "<b>fp8</b>"], "--kv-dtype"),
        ([*HAND, "--weights", "x" * 600], "--weights"),
        (
            [
                "estimate",
                "--params",
                "1e99",
                "--layers",
                "1",
                "--hidden-size",
                "64",
                "--heads",
                "1",
            ],
            "--params",
        ),
        (["estimate", "--model", "../../etc/passwd"], "unknown preset"),
        (["estimate", "--config", "/etc"], "--config"),
        (["estimate", "--config", "/etc/hostname"], "not valid JSON"),
        (["models", "--presets", "/nonexistent-dir"], "--presets"),
        ([*HAND, "--method", "vllm", "--engine-version", "latest"], "engine version"),
        ([*HAND, "--gpus", "3", "--tp", "2"], "multiple"),
    ],
)
def test_cli_rejects_bad_arguments_with_one_line(args: list[str], needle: str) -> None:
    r = _cli(*args)
    assert r.returncode == 2, (r.stdout, r.stderr)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], r.stderr
    assert "Traceback" not in r.stderr


def test_cli_oversize_config(tmp_path: Path) -> None:
    big = tmp_path / "config.json"
    big.write_text(" " * 1_000_001)
    r = _cli("estimate", "--config", str(big))
    assert r.returncode == 2 and "over the" in r.stderr


def test_parse_config_does_not_follow_nested_text_config_of_wrong_type() -> None:
    with pytest.raises(SpecError, match="vision_config: expected an object"):
        parse_config_json(json.dumps({**GOOD, "vision_config": [1]}))
