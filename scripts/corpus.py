"""Judge the config reader against the corpus of real config.json files (tests/data/model_configs).

Shared by the test (tests/calculators/test_config_corpus.py) and the report script
(scripts/corpus_table.py, `make corpus-table`). Each manifest entry names one real config.json,
the official parameter count (cited) and the KV bytes per token / per-request state worked out by
hand; `judge` reads the file through the planner's own reader and says, per entry, whether the
planner got it right, refused it (with its message), or accepted it and got it wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal

import yaml

from calculators import SpecError, parameter_breakdown, parse_config_json
from calculators.formats import kv_dtype
from calculators.kv_cache import kv_layout
from calculators.state import state_bytes_per_request

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "data" / "model_configs"
MANIFEST = CORPUS / "manifest.yaml"
# The corpus's pass line for the parameter count: within 1 % of the official figure (issue 11).
PARAMETER_TOLERANCE = Fraction(1, 100)
# The corpus's pass line for the whole reader (issue 11): at least 95 % of the models right.
SCORE_FLOOR = Fraction(95, 100)

Outcome = Literal["right", "refused", "wrong"]


@dataclass(frozen=True)
class Entry:
    """One manifest entry: a real config.json and what a correct reader gets from it."""

    slug: str
    file: str
    model_id: str
    family: str
    expect: Literal["accept", "refuse"]
    official_parameters: int | None
    kv_bytes_per_token: int | None
    kv_windows: dict[int | None, int]
    state_bytes_per_request: int | None
    refuse_message_contains: tuple[str, ...]
    source_bytes: int

    @property
    def path(self) -> Path:
        return CORPUS / self.file


@dataclass(frozen=True)
class Verdict:
    """What the reader made of one entry."""

    entry: Entry
    outcome: Outcome
    detail: str  # the refusal message, or what was wrong, or the figures that were right
    parameters: int | None = None
    kv_bytes_per_token: int | None = None
    state_bytes_per_request: int | None = None

    @property
    def parameter_error(self) -> Fraction | None:
        """(derived − official) / official, when both are known."""
        off = self.entry.official_parameters
        if off is None or self.parameters is None:
            return None
        return Fraction(self.parameters - off, off)


def _windows(raw: Mapping[Any, Any]) -> dict[int | None, int]:
    out: dict[int | None, int] = {}
    for k, v in raw.items():
        key = None if k is None or k == "null" else int(k)
        out[key] = int(v)
    return out


def load_entries(manifest: Path = MANIFEST) -> list[Entry]:
    """The manifest's entries (YAML read with safe loading)."""
    doc = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    entries = []
    for m in doc["models"]:
        entries.append(
            Entry(
                slug=str(m["slug"]),
                file=str(m["file"]),
                model_id=str(m["model_id"]),
                family=str(m["family"]),
                expect=m["expect"],
                official_parameters=m.get("official_parameters"),
                kv_bytes_per_token=m.get("kv_bytes_per_token"),
                kv_windows=_windows(m.get("kv_windows") or {}),
                state_bytes_per_request=m.get("state_bytes_per_request"),
                refuse_message_contains=tuple(m.get("refuse_message_contains") or ()),
                source_bytes=int(m["source"]["bytes"]),
            )
        )
    return entries


def judge(entry: Entry) -> Verdict:
    """Read one corpus file through the planner's reader and compare with the manifest."""
    text = entry.path.read_bytes()
    try:
        model = parse_config_json(text, name=entry.model_id)
    except SpecError as exc:
        message = str(exc)
        if entry.expect == "refuse":
            missing = [w for w in entry.refuse_message_contains if w.lower() not in message.lower()]
            if missing:
                return Verdict(
                    entry, "wrong", f"refused, but the message lacks {missing}: {message}"
                )
            return Verdict(entry, "right", f"refused: {message}")
        return Verdict(entry, "refused", message)
    if entry.expect == "refuse":
        return Verdict(entry, "wrong", "accepted a model the corpus says must be refused")

    kv = kv_dtype("fp16")  # the corpus's figures are at a 16-bit KV dtype
    params = parameter_breakdown(model).total
    layout = kv_layout(model, kv)
    kv_per_token = layout.bytes_per_token
    windows: dict[int | None, int] = {}
    for g in layout.groups:
        windows[g.window] = windows.get(g.window, 0) + g.num_layers
    windows = {w: n for w, n in windows.items() if n}
    state = state_bytes_per_request(model)
    problems = []
    if entry.official_parameters is not None:
        err = Fraction(params - entry.official_parameters, entry.official_parameters)
        if abs(err) > PARAMETER_TOLERANCE:
            problems.append(
                f"parameters {params:,} vs official {entry.official_parameters:,} "
                f"({float(err) * 100:+.2f} %)"
            )
    if kv_per_token != entry.kv_bytes_per_token:
        problems.append(f"KV {kv_per_token:,} B/token vs {entry.kv_bytes_per_token:,}")
    if windows != entry.kv_windows:
        problems.append(f"attention layers per window {windows} vs {entry.kv_windows}")
    if state != entry.state_bytes_per_request:
        problems.append(f"state {state:,} B/request vs {entry.state_bytes_per_request:,}")
    outcome: Outcome = "wrong" if problems else "right"
    detail = "; ".join(problems) if problems else "parameters, KV, windows and state as expected"
    return Verdict(entry, outcome, detail, params, kv_per_token, state)


def judge_all(entries: list[Entry] | None = None) -> list[Verdict]:
    """Judge every entry of the manifest."""
    return [judge(e) for e in (entries if entries is not None else load_entries())]


def score(verdicts: list[Verdict]) -> Fraction:
    """Share of the corpus read right (refusals the corpus expects count as right)."""
    return Fraction(sum(v.outcome == "right" for v in verdicts), len(verdicts))
