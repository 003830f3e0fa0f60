"""Benchmarks for the live feel (issue: performance). Prints a table; `--write` also saves it to
docs/benchmarks.md. Numbers, not pass/fail: timed assertions would flake.

1. Rerun time of app.py vs the floor app (scripts/floor_app.py), Streamlit AppTest, median.
2. Calculator: a 1..1024 concurrency sweep and a 1024 x 512 concurrency x context grid,
   vectorised vs a plain Python loop over the same points.
3. Cold start: `streamlit run` to a healthy server, app vs floor.
4. Chromium: slider key press to chart redrawn, app vs floor.
5. Bytes of Plotly figure JSON per rerun.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from calculators import Deployment, Workload, estimate  # noqa: E402
from presets import load_catalog  # noqa: E402

CHART = '[data-testid="stPlotlyChart"] .js-plotly-plot'
# Concurrency slider positions both pages offer (the app's CONC_STEPS up to 1,024).
BENCH_STEPS = (1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)


def _median_time(fn: Callable[[], object], repeat: int) -> float:
    ts = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def bench_rerun(repeat: int = 40) -> tuple[float, float]:
    """Median rerun time after a concurrency slider move, app vs floor, interleaved so that
    machine noise hits both alike."""
    from streamlit.testing.v1 import AppTest

    apps = []
    for path, key in ((ROOT / "app.py", "w_conc"), (ROOT / "scripts" / "floor_app.py", "conc")):
        at = AppTest.from_file(str(path), default_timeout=120).run()
        for v in (24, 32, 48):  # warm caches
            at.sidebar.select_slider(key=key).set_value(v).run()
        apps.append((at, key))
    times: list[list[float]] = [[], []]
    for i in range(repeat):
        for j, (at, key) in enumerate(apps):
            t = time.perf_counter()
            at.sidebar.select_slider(key=key).set_value(BENCH_STEPS[i % len(BENCH_STEPS)]).run()
            times[j].append(time.perf_counter() - t)
    for at, _key in apps:
        assert not at.exception, at.exception  # a crashed rerun is not a measurement
    return statistics.median(times[0]), statistics.median(times[1])


def bench_language_switch(repeat: int = 20) -> tuple[float, float]:
    """Median rerun time after switching 中文 <-> English (every text re-translated, the catalog
    already loaded), against the floor app's rerun after a slider move, interleaved."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    floor = AppTest.from_file(str(ROOT / "scripts" / "floor_app.py"), default_timeout=120).run()
    for lang in ("zh", "en", "zh", "en"):  # warm caches and both catalogs
        app.sidebar.radio(key="w_lang").set_value(lang).run()
    for v in (24, 32):
        floor.sidebar.select_slider(key="conc").set_value(v).run()
    times: list[list[float]] = [[], []]
    for i in range(repeat):
        t = time.perf_counter()
        app.sidebar.radio(key="w_lang").set_value("zh" if i % 2 == 0 else "en").run()
        times[0].append(time.perf_counter() - t)
        t = time.perf_counter()
        floor.sidebar.select_slider(key="conc").set_value(BENCH_STEPS[i % len(BENCH_STEPS)]).run()
        times[1].append(time.perf_counter() - t)
    assert not app.exception, app.exception
    assert not floor.exception, floor.exception
    return statistics.median(times[0]), statistics.median(times[1])


def bench_calculator() -> dict[str, float]:
    cat = load_catalog()
    spec = cat.models["meta-llama/Llama-3.1-8B-Instruct"].spec
    est = estimate(
        spec, "bf16", Workload(context_len=8192), Deployment(gpu=cat.gpus["h100-sxm-80gb"].spec)
    )
    cs = np.arange(1, 1025, dtype=np.int64)
    ls = np.linspace(512, 131072, 512).astype(np.int64)
    stage = est.stages[0]

    def loop_sweep() -> list[int]:
        return [stage.fixed_bytes + int(c) * stage.request_bytes(8192, 1) for c in cs]

    def loop_sweep_full() -> list[int]:
        return [
            estimate(
                spec, "bf16", Workload(context_len=8192, concurrency=int(c))
            ).per_gpu.total_bytes
            for c in cs
        ]

    def loop_grid() -> list[int]:
        return [stage.fixed_bytes + int(c) * stage.request_bytes(int(L), 1) for c in cs for L in ls]

    vec_sweep = _median_time(lambda: est.concurrency_sweep(cs), 50)
    vec_grid = _median_time(lambda: est.total_grid(cs, ls), 10)
    assert list(est.concurrency_sweep(cs)["total"]) == loop_sweep()
    assert (est.total_grid(cs[:8], ls[:8]).ravel().tolist()) == [
        stage.fixed_bytes + int(c) * stage.request_bytes(int(L), 1) for c in cs[:8] for L in ls[:8]
    ]
    return {
        "sweep_vectorised": vec_sweep,
        "sweep_loop": _median_time(loop_sweep, 5),
        "sweep_loop_full_estimate": _median_time(loop_sweep_full, 1),
        "grid_vectorised": vec_grid,
        "grid_loop": _median_time(loop_grid, 1),
    }


def bench_plan() -> dict[str, float]:
    """The Plan section's solver: every GPU preset x allowed TP x PP x replicas (issue 13)."""
    from calculators import Target, plan
    from calculators.planning import _replica_estimate, _replica_options

    cat = load_catalog()
    gpus = [g.spec for g in cat.gpus.values()]
    spec = cat.models["meta-llama/Llama-3.1-70B-Instruct"].spec
    out: dict[str, float] = {}
    for method in ("article", "vllm"):
        ts = []
        for _ in range(3):
            _replica_options.cache_clear()
            _replica_estimate.cache_clear()
            t = time.perf_counter()
            plan(spec, "bf16", Target(200, 8192), gpus, method=method)
            ts.append(time.perf_counter() - t)
        out[f"cold_{method}"] = statistics.median(ts)
        ts = []
        for conc in range(100, 120):  # a new target each time: the replica shapes are reused
            t = time.perf_counter()
            plan(spec, "bf16", Target(conc, 8192), gpus, method=method)
            ts.append(time.perf_counter() - t)
        out[f"warm_{method}"] = statistics.median(ts)
    p = plan(spec, "bf16", Target(200, 8192), gpus, method="vllm")
    xs = np.unique(np.linspace(1, 400, 160).astype(np.int64))
    out["chart_vectorised"] = _median_time(lambda: p.gpus_needed(xs), 20)
    out["chart_loop"] = _median_time(
        lambda: [plan(spec, "bf16", Target(int(x), 8192), gpus, method="vllm") for x in xs], 2
    )
    return out


def bench_cold_start(repeat: int = 3) -> tuple[float, float]:
    from tests.browser.conftest import start_server, stop_server

    out = []
    for app in ("app.py", "scripts/floor_app.py"):
        ts = []
        for _ in range(repeat):
            t = time.perf_counter()
            proc, _url = start_server(app)
            ts.append(time.perf_counter() - t)
            stop_server(proc)
        out.append(statistics.median(ts))
    return out[0], out[1]


def bench_browser(presses: int = 8) -> tuple[float, float]:
    from playwright.sync_api import sync_playwright

    from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, start_server, stop_server

    out = []
    for app in ("app.py", "scripts/floor_app.py"):
        proc, url = start_server(app)
        try:
            with sync_playwright() as p:
                b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                page = b.new_page(viewport={"width": 1500, "height": 1800})
                page.goto(url)
                page.wait_for_selector(CHART, timeout=60_000)
                page.wait_for_timeout(1500)
                slider = (
                    page.locator('[data-testid="stSlider"]')
                    .filter(has_text="Concurrent requests")
                    .locator('input[type="range"]')
                )
                slider.first.focus()
                ts = []
                for i in range(presses):
                    target = BENCH_STEPS[BENCH_STEPS.index(16) + 1 + i]
                    t = time.perf_counter()
                    page.keyboard.press("ArrowRight")
                    page.wait_for_function(
                        f"(v) => {{ const g = document.querySelector('{CHART}');"
                        " return g && g.layout && g.layout.annotations &&"
                        " g.layout.annotations.some(a => a.text && a.text.startsWith('chosen: ' + v)); }",
                        arg=target,
                        timeout=30_000,
                        polling=10,
                    )
                    ts.append(time.perf_counter() - t)
                    page.wait_for_timeout(300)
                b.close()
            out.append(statistics.median(ts))
        finally:
            stop_server(proc)
    return out[0], out[1]


def bench_payload() -> tuple[int, int]:
    from dashboard.figures import Scenario, compare_figure, concurrency_figure
    from dashboard.pins import facets
    from dashboard.state import DEFAULT_STATE
    from dashboard.view import build_view

    view = build_view(DEFAULT_STATE, load_catalog())
    a = len(concurrency_figure(view).to_json())
    b = len(
        compare_figure(
            [Scenario("This view", view.fits[0].estimate.per_gpu, "", facets(view))], "GiB"
        ).to_json()
    )
    return a, b


def main() -> int:
    rows: list[tuple[str, str, str, str]] = []
    app, floor = bench_rerun()
    rows.append(
        (
            "Rerun after a slider move (AppTest, median of 40, interleaved)",
            f"{app * 1000:.1f} ms",
            f"{floor * 1000:.1f} ms",
            f"{app / floor:.2f}",
        )
    )
    lang, floor_l = bench_language_switch()
    rows.append(
        (
            "Rerun after switching 中文 / English (AppTest, median of 20, interleaved)",
            f"{lang * 1000:.1f} ms",
            f"{floor_l * 1000:.1f} ms",
            f"{lang / floor_l:.2f}",
        )
    )
    c = bench_calculator()
    rows.append(
        (
            "Concurrency sweep 1..1024 (vectorised vs Python loop)",
            f"{c['sweep_vectorised'] * 1e6:.1f} µs",
            f"{c['sweep_loop'] * 1e3:.2f} ms",
            f"{c['sweep_loop'] / c['sweep_vectorised']:.0f}x faster",
        )
    )
    rows.append(
        (
            "Same sweep vs 1024 full estimate() calls",
            f"{c['sweep_vectorised'] * 1e6:.1f} µs",
            f"{c['sweep_loop_full_estimate'] * 1e3:.0f} ms",
            f"{c['sweep_loop_full_estimate'] / c['sweep_vectorised']:.0f}x faster",
        )
    )
    rows.append(
        (
            "Grid 1024 x 512 (vectorised vs Python loop)",
            f"{c['grid_vectorised'] * 1e3:.1f} ms",
            f"{c['grid_loop']:.2f} s",
            f"{c['grid_loop'] / c['grid_vectorised']:.0f}x faster",
        )
    )
    pl = bench_plan()
    for method in ("article", "vllm"):
        rows.append(
            (
                f"Plan, 29 GPU types x TP x PP x replicas, Llama-3.1-70B, {method}: "
                "cold / warm (new target)",
                f"{pl[f'cold_{method}'] * 1e3:.0f} ms",
                f"{pl[f'warm_{method}'] * 1e3:.2f} ms",
                "warm reuses the replica shapes",
            )
        )
    rows.append(
        (
            "GPUs needed at 160 targets x 29 GPU types (vectorised vs plan() per target)",
            f"{pl['chart_vectorised'] * 1e3:.2f} ms",
            f"{pl['chart_loop'] * 1e3:.0f} ms",
            f"{pl['chart_loop'] / pl['chart_vectorised']:.0f}x faster",
        )
    )
    app_c, floor_c = bench_cold_start()
    rows.append(
        (
            "Cold start: streamlit run to healthy (median of 3)",
            f"{app_c:.2f} s",
            f"{floor_c:.2f} s",
            f"{app_c / floor_c:.2f}",
        )
    )
    try:
        app_b, floor_b = bench_browser()
        rows.append(
            (
                "Chromium: key press to chart redrawn (median of 8)",
                f"{app_b * 1000:.0f} ms",
                f"{floor_b * 1000:.0f} ms",
                f"{app_b / floor_b:.2f}",
            )
        )
    except Exception as e:  # a missing browser should not hide the other numbers
        rows.append(
            ("Chromium: key press to chart redrawn", f"not measured ({type(e).__name__})", "", "")
        )
    a, b = bench_payload()
    rows.append(
        (
            "Figure JSON per rerun (concurrency chart + bars)",
            f"{(a + b) / 1024:.1f} KiB",
            "",
            f"{a / 1024:.1f} + {b / 1024:.1f} KiB",
        )
    )
    header = "| benchmark | dashboard / vectorised | floor / loop | ratio |\n|---|---:|---:|---:|"
    table = header + "\n" + "\n".join(f"| {r[0]} | {r[1]} | {r[2]} | {r[3]} |" for r in rows)
    print(table)
    if "--write" in sys.argv:
        (ROOT / "docs" / "benchmarks.md").write_text(
            "# Benchmarks\n\nGenerated by `make bench` (`python scripts/bench.py --write`) on a 2-core machine.\n"
            "The floor app (`scripts/floor_app.py`) has the same widgets, charts and tables as the dashboard\n"
            "with trivial arithmetic: the ratio is what the planner itself costs.\n\n"
            + table
            + "\n",
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
