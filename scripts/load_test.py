"""Load test: N concurrent sessions against a real `streamlit run` server on loopback.

Each session is a websocket client that speaks Streamlit's own protocol (the binary BackMsg /
ForwardMsg protobufs a browser tab exchanges): it opens a session, waits for the first run, then
moves the "Concurrent requests" slider M times, each time waiting for the rerun to finish and
checking that the page now shows the new value and no exception. The server's resident memory is
sampled throughout. Bounded: loopback only, fixed counts, a per-step timeout, an overall deadline.

Sessions are isolated from each other: each starts from its own position on the slider and
checks after every rerun that the page shows its own value, so a leak between interleaved sessions
is an error. ``tests/dashboard/test_load_small.py`` runs a small form (8 × 10) in the suite.

Usage: python scripts/load_test.py [--sessions 30] [--interactions 50] [--deadline 900] [--settle 20]
"""

from __future__ import annotations

import argparse
import asyncio
import math
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import websockets  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg  # noqa: E402

from tests.browser.conftest import start_server, stop_server  # noqa: E402

STEP_TIMEOUT_S = 60.0
SLIDER_LABEL = "Concurrent requests"


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class Sampler(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid = pid
        self.samples: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                self.samples.append(rss_mib(self.pid))
            except OSError:
                return
            self.stop.wait(0.25)


async def _run_until_finished(
    ws: Any, msg: BackMsg
) -> tuple[dict[str, tuple[str, list[str]]], list[str], str]:
    """Send one BackMsg and read ForwardMsgs to script_finished: (slider id and options by
    label, texts, page hash)."""
    await ws.send(msg.SerializeToString())
    sliders: dict[str, tuple[str, list[str]]] = {}
    texts: list[str] = []
    page_hash = ""
    while True:
        raw = await asyncio.wait_for(ws.recv(), timeout=STEP_TIMEOUT_S)
        fwd = ForwardMsg()
        fwd.ParseFromString(raw)
        kind = fwd.WhichOneof("type")
        if kind == "new_session":
            page_hash = fwd.new_session.page_script_hash
        elif kind == "delta" and fwd.delta.WhichOneof("type") == "new_element":
            el = fwd.delta.new_element
            etype = el.WhichOneof("type")
            if etype == "slider":
                sliders[el.slider.label] = (el.slider.id, list(el.slider.options))
            elif etype == "metric":
                texts.append(f"{el.metric.label}: {el.metric.body}")
            elif etype == "exception":
                texts.append("EXCEPTION: " + el.exception.message[:200])
            elif etype == "alert" and el.alert.format == 1:  # error box
                texts.append("ERROR BOX: " + el.alert.body[:200])
        elif kind == "script_finished":
            return sliders, texts, page_hash


def start_value(idx: int) -> int:
    """Each session's own starting position on the concurrency select-slider (an index into its
    options; distinct for up to 18 sessions, at least one step from either end)."""
    return 2 + idx % 18


async def session(idx: int, url: str, interactions: int, out: dict[int, dict[str, Any]]) -> None:
    errors: list[str] = []
    latencies: list[float] = []
    ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
    try:
        async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=2**26) as ws:  # type: ignore[list-item]
            first = BackMsg()
            first.rerun_script.query_string = ""
            first.rerun_script.page_script_hash = ""
            sliders, texts, page_hash = await _run_until_finished(ws, first)
            if SLIDER_LABEL not in sliders:
                raise RuntimeError(f"no slider labelled {SLIDER_LABEL!r} in the first run")
            slider_id, options = sliders[SLIDER_LABEL]
            if len(options) < 4:
                raise RuntimeError(f"the {SLIDER_LABEL!r} slider has {len(options)} options")
            index = min(start_value(idx), len(options) - 2)
            for k in range(interactions):
                # a select-slider's value is its option's text (Streamlit 1.67); moves of one step back
                # and forth (ten up, ten down), never past either end
                index += 1 if (k // 10) % 2 == 0 else -1
                index = max(0, min(index, len(options) - 1))
                value = options[index]
                msg = BackMsg()
                msg.rerun_script.query_string = ""
                msg.rerun_script.page_script_hash = page_hash
                w = msg.rerun_script.widget_states.widgets.add()
                w.id = slider_id
                w.string_array_value.data.append(value)  # the option as the slider shows it
                t = time.perf_counter()
                _, texts, _ = await _run_until_finished(ws, msg)
                latencies.append(time.perf_counter() - t)
                bad = [x for x in texts if x.startswith(("EXCEPTION", "ERROR BOX"))]
                if bad:
                    errors.append(bad[0])
                if not any(x.startswith(f"Total per GPU @ {value} request") for x in texts):
                    errors.append(f"rerun {k}: the page does not show {value} requests")
    except Exception as e:  # counted and reported, not raised
        errors.append(
            f"session {idx}: {type(e).__name__}: {str(e).splitlines()[0][:160] if str(e) else ''}"
        )
    out[idx] = {"latencies": latencies, "errors": errors}


async def run(
    sessions: int, interactions: int, deadline: float, settle: float = 20.0
) -> dict[str, Any]:
    """Two identical waves of ``sessions`` concurrent sessions; figures and errors as a dict."""
    proc, url = start_server()
    sampler = Sampler(proc.pid)
    sampler.start()
    results: dict[int, dict[str, Any]] = {}
    idle = rss_mib(proc.pid)
    t0 = time.monotonic()
    try:
        await asyncio.wait_for(
            asyncio.gather(*(session(i, url, interactions, results) for i in range(sessions))),
            timeout=deadline,
        )
        elapsed = time.monotonic() - t0
        peak_during = max(sampler.samples, default=idle)
        await asyncio.sleep(settle)  # let the server drop the closed sessions
        settled = rss_mib(proc.pid)
        # A second, identical wave: memory that keeps growing wave after wave would be a leak.
        results2: dict[int, dict[str, Any]] = {}
        await asyncio.wait_for(
            asyncio.gather(*(session(i, url, interactions, results2) for i in range(sessions))),
            timeout=deadline,
        )
        await asyncio.sleep(settle)
        settled2 = rss_mib(proc.pid)
    finally:
        sampler.stop.set()
        stop_server(proc)
    lat = sorted(x for r in (*results.values(), *results2.values()) for x in r["latencies"])
    errors = [e for r in (*results.values(), *results2.values()) for e in r["errors"]]
    done = sum(len(r["latencies"]) for r in results.values())
    done2 = sum(len(r["latencies"]) for r in results2.values())
    return {
        "sessions": sessions,
        "interactions": interactions,
        "elapsed_s": elapsed,
        "done": done,
        "done2": done2,
        "latencies_s": lat,
        "errors": errors,
        "rss_idle_mib": idle,
        "rss_peak_mib": max(sampler.samples, default=idle),
        "rss_wave1_peak_mib": peak_during,
        "rss_settled_mib": settled,
        "rss_settled2_mib": settled2,
    }


def p95(lat: list[float]) -> float:
    return lat[int(0.95 * (len(lat) - 1))] if lat else math.nan


def report(r: dict[str, Any]) -> int:
    sessions, interactions = r["sessions"], r["interactions"]
    elapsed, done, done2, lat, errors = (
        r["elapsed_s"],
        r["done"],
        r["done2"],
        r["latencies_s"],
        r["errors"],
    )
    idle, settled, settled2 = r["rss_idle_mib"], r["rss_settled_mib"], r["rss_settled2_mib"]
    peak_during = r["rss_wave1_peak_mib"]
    print(
        f"sessions {sessions} concurrent, {interactions} slider moves each: wave 1 completed {done}/"
        f"{sessions * interactions} in {elapsed:.0f} s; wave 2 completed {done2}/{sessions * interactions}"
    )
    if lat:
        print(
            f"rerun round trip under load: median {1000 * statistics.median(lat):.0f} ms, "
            f"p95 {1000 * p95(lat):.0f} ms, max {1000 * lat[-1]:.0f} ms"
        )
    print(
        f"server RSS: idle {idle:.0f} MiB, peak {r['rss_peak_mib']:.0f} MiB "
        f"(wave 1 peak {peak_during:.0f}), after wave 1 {settled:.0f} MiB, after wave 2 {settled2:.0f} MiB "
        f"(growth between waves {settled2 - settled:+.0f} MiB)"
    )
    print(f"errors: {len(errors)}")
    for e in errors[:10]:
        print("  ", e)
    return 0 if not errors and done == done2 == sessions * interactions else 1


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=30)
    ap.add_argument("--interactions", type=int, default=50)
    ap.add_argument("--deadline", type=float, default=900.0)
    ap.add_argument("--settle", type=float, default=20.0, help="seconds between waves")
    a = ap.parse_args()
    if not (
        1 <= a.sessions <= 100
        and 1 <= a.interactions <= 500
        and 10 <= a.deadline <= 3600
        and 0 <= a.settle <= 120
    ):
        print(
            "error: sessions 1..100, interactions 1..500, deadline 10..3600 s, settle 0..120 s",
            file=sys.stderr,
        )
        return 2
    return report(asyncio.run(run(a.sessions, a.interactions, a.deadline, a.settle)))


if __name__ == "__main__":
    sys.exit(main())
