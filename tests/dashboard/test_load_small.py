"""The load test (scripts/load_test.py) in a small form: 8 concurrent websocket sessions x 10 slider
moves, two waves, against a real `streamlit run` server on loopback. Every session starts from its
own value and checks after each rerun that the page shows its own value, so interleaved sessions
that leaked state into each other would count as errors."""

from __future__ import annotations

import asyncio
import importlib.util
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
SESSIONS = 8
MOVES = 10
# Resident memory the server may add over its idle size under this load (MiB). `make load`
# (30 x 50) measured +107 MiB peak over idle; the small form stays far below.
MAX_RSS_GROWTH_MIB = 300


def _load_test() -> ModuleType:
    spec = importlib.util.spec_from_file_location("load_test", ROOT / "scripts" / "load_test.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_small_load_has_no_errors_isolated_sessions_and_bounded_memory() -> None:
    lt = _load_test()
    assert len({lt.start_value(i) for i in range(SESSIONS)}) == SESSIONS  # distinct settings
    # its own thread and event loop: a browser test's Playwright may hold this thread's loop
    out: dict[str, Any] = {}
    worker = threading.Thread(
        target=lambda: out.update(
            r=asyncio.run(lt.run(SESSIONS, MOVES, deadline=600.0, settle=3.0))
        )
    )
    worker.start()
    worker.join()
    r = out["r"]
    assert r["errors"] == []
    assert r["done"] == r["done2"] == SESSIONS * MOVES
    assert r["rss_peak_mib"] - r["rss_idle_mib"] < MAX_RSS_GROWTH_MIB
    assert r["rss_settled2_mib"] - r["rss_settled_mib"] < MAX_RSS_GROWTH_MIB / 3
