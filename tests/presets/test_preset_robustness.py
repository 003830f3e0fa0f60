"""Issue 14: hostile preset files. One bad file is reported and skipped (never fatal, for the CLI
and the page); parsing is bounded in total and fast (libyaml when available) while keeping the
strict loader's refusals; preset ids are what a share link can carry."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from dashboard.session import catalog
from dashboard.state import decode
from presets import loader
from presets.loader import (
    ID_PATTERN,
    MAX_INT_DIGITS,
    LoadBudget,
    load_catalog,
    load_text,
    parse_yaml_text,
)

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
MODEL = """models:
  - id: {id}
    name: M
    family: Acme
    source: test
    official_parameters: {params}
    official_parameters_source: test
    config: {{num_hidden_layers: 2, hidden_size: 64, num_attention_heads: 4, num_key_value_heads: 2,
             intermediate_size: 128, vocab_size: 1000}}
"""


def model_yaml(pid: str = "acme/m", params: str = "1000000") -> str:
    return MODEL.format(id=pid, params=params)


def _load(text: str | bytes, budget: LoadBudget | None = None) -> tuple[dict, list[str]]:
    models: dict = {}
    errors: list[str] = []
    load_text(text, "user.yaml", "user", models, {}, errors, budget)
    return models, errors


LOADERS = [loader._StrictSafeLoader, loader.LOADER]


# -- the loader: C-accelerated where available, the same refusals --------------------------------
def test_the_c_accelerated_loader_is_used_when_pyyaml_has_libyaml() -> None:
    if yaml.__with_libyaml__:
        assert issubclass(loader.LOADER, yaml.CSafeLoader)
    else:
        assert loader.LOADER is loader._StrictSafeLoader


@pytest.mark.parametrize("strict", LOADERS)
@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("a: &x [1, 2]\nb: *x\n", "anchors and aliases are not allowed"),
        ("a: &a ['x','x']\nb: &b [*a,*a]\nc: [*b,*b]\n", "anchors and aliases are not allowed"),
        ("a: 1\nb: 2\na: 3\n", "duplicate key 'a'"),
        ("a: " + "9" * 5000 + "\n", "an integer of 5,000 digits"),
        ("a: -0x" + "f" * 100 + "\n", "an integer of 100 digits"),
        ("a: !!python/object/apply:os.system ['true']\n", "could not determine a constructor"),
        ("a: !!python/name:os.system\n", "could not determine a constructor"),
    ],
)
def test_both_loaders_refuse_the_same_documents(strict: type, text: str, needle: str) -> None:
    with pytest.raises(yaml.YAMLError, match=needle):
        yaml.load(text, Loader=strict)


@pytest.mark.parametrize("strict", LOADERS)
def test_both_loaders_read_the_builtin_presets_identically(strict: type) -> None:
    for name in ("models.yaml", "gpus.yaml"):
        text = (ROOT / "presets" / name).read_text()
        assert yaml.load(text, Loader=strict) == yaml.safe_load(text)


def test_integers_longer_than_the_python_limit_are_a_message_not_a_crash() -> None:
    # Before: ValueError "Exceeds the limit (4300 digits)" escaped from every CLI command.
    models, errors = _load(model_yaml(params="1" * 4301))
    assert not models
    assert errors == [
        f"user.yaml: YAML error at line 6 column 26: an integer of 4,301 digits "
        f"(at most {MAX_INT_DIGITS})"
    ]
    assert parse_yaml_text("a: " + "1" * MAX_INT_DIGITS, "x") == {"a": int("1" * MAX_INT_DIGITS)}


def test_a_non_spec_error_in_one_entry_skips_that_entry_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = loader.model_from_config

    def trips(cfg: dict, name: str) -> object:
        if cfg.get("vocab_size") == 999:
            return 1 / 0  # a reader bug (ZeroDivisionError), not a SpecError
        return real(cfg, name=name)

    monkeypatch.setattr(loader, "model_from_config", trips)
    text = model_yaml("acme/bad").replace("vocab_size: 1000", "vocab_size: 999") + model_yaml(
        "acme/good"
    ).replace("models:\n", "")
    models, errors = _load(text)
    assert list(models) == ["acme/good"]
    assert errors == ["user.yaml: models[0]: cannot be read (ZeroDivisionError: division by zero)"]


# -- ids a share link can carry --------------------------------------------------------------------
@pytest.mark.parametrize("pid", ["acme/模型", "-acme", ".hidden", "acme/../x", "a b", "ａcme"])
def test_user_preset_ids_must_survive_a_share_link(pid: str) -> None:
    models, errors = _load(model_yaml(f"'{pid}'"))
    assert not models and errors and "id:" in errors[0] and "share links" in errors[0]


def test_every_accepted_preset_id_round_trips_through_the_url() -> None:
    cat = load_catalog()
    for pid in [*cat.models, *cat.gpus]:
        assert ID_PATTERN.fullmatch(pid)
    for pid in cat.models:
        state, notices = decode({"model": pid})
        assert notices == [] and state.model == pid


def test_duplicate_ids_are_refused_in_a_file_across_user_files_and_in_the_url(
    tmp_path: Path,
) -> None:
    (tmp_path / "a.yaml").write_text(model_yaml("acme/same", "1000000"))
    (tmp_path / "b.yaml").write_text(model_yaml("acme/same", "2000000"))
    cat = load_catalog([tmp_path])
    assert cat.models["acme/same"].official_parameters == 1_000_000  # the first one stays
    assert any(
        "b.yaml" in e and "already defined by another user preset file" in e for e in cat.errors
    )
    state, notices = decode({"gpus": "h100-sxm-80gb,a100-40gb,h100-sxm-80gb"})
    assert state.gpus == decode({})[0].gpus
    assert notices and "lists 'h100-sxm-80gb' twice" in notices[0]


# -- bounded in total ------------------------------------------------------------------------------
def test_user_presets_are_bounded_in_total_bytes(tmp_path: Path) -> None:
    block = "# " + "x" * 1_500_000 + "\n"
    for name in ("a", "b", "c"):
        (tmp_path / f"{name}.yaml").write_text(block + model_yaml(f"acme/{name}"))
    cat = load_catalog([tmp_path])
    assert {"acme/a", "acme/b"} <= set(cat.models) and "acme/c" not in cat.models
    assert any(
        e.startswith("c.yaml") and "for all user preset files together" in e for e in cat.errors
    )


def test_user_presets_are_bounded_in_entries_and_time() -> None:
    three = model_yaml("acme/a") + "".join(
        model_yaml(f"acme/{c}").replace("models:\n", "") for c in "bc"
    )
    models, errors = _load(three, LoadBudget(entries=2))
    assert list(models) == ["acme/a", "acme/b"]
    assert errors == [
        "user.yaml: models: 1 entries skipped, over the 5,000-entry limit for user presets"
    ]
    models, errors = _load(three, LoadBudget(deadline=time.monotonic() - 1))
    assert not models and "3 entries skipped, over the 30-second limit" in errors[0]


# -- a bad file never takes the CLI or the page down ----------------------------------------------
BAD_FILES = {
    "long-int.yaml": model_yaml("acme/long", "9" * 5000),
    "alias.yaml": "models: &m []\ngpus: *m\n",
    "binary.yaml": "\udcff",
    "bad-id.yaml": model_yaml("'acme/模型'"),
    "deep.yaml": "[" * 50_000,
}


@pytest.fixture
def hostile_dir(tmp_path: Path) -> Path:
    for name, text in BAD_FILES.items():
        (tmp_path / name).write_bytes(text.encode("utf-8", "surrogateescape"))
    (tmp_path / "zz-good.yaml").write_text(model_yaml("acme/good"))
    return tmp_path


@pytest.mark.parametrize(
    "args",
    [
        ["models"],
        ["gpus"],
        ["estimate", "--model", "acme/good"],
        ["estimate", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--gpu", "h100-sxm-80gb"],
    ],
)
def test_every_cli_command_survives_a_bad_preset_directory(
    hostile_dir: Path, args: list[str]
) -> None:
    env = {**os.environ, "VRAM_PLANNER_PRESETS": str(hostile_dir)}
    r = subprocess.run(
        [sys.executable, "-m", "calculators", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    warned = [line for line in r.stderr.splitlines() if line.startswith("warning: preset: ")]
    for name in BAD_FILES:
        assert any(name in line for line in warned), name


def test_the_page_loads_with_a_bad_preset_directory(
    hostile_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VRAM_PLANNER_PRESETS", str(hostile_dir))
    catalog.clear()  # the catalog is cached per server process
    try:
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params["model"] = "acme/good"
        at.run()
        assert not at.exception, at.exception
        assert at.sidebar.selectbox(key="w_model").value == "acme/good"
        assert len(at.get("plotly_chart")) == 4  # memory, speed, breakdown, plan
        assert 1 <= len(at.error) <= 6  # reported, capped
    finally:
        catalog.clear()
