"""Fit the speed model's constants on the ``fit`` split of tests/data/speed (never the held-back).

Usage: python scripts/fit_speed.py   (deterministic; prints the constants to paste into
calculators/speed.py and the fitted / held-back median errors)

Objective: the mean over (source, metric) classes of the mean squared log error of the class's
fit rows, so the 800 LLM-Inference-Bench latency rows do not drown the few TTFT/TPOT rows.
Minimiser: Nelder–Mead in log space (a fixed initial simplex; no randomness), each constant
clipped to its documented range.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from calculators.speed import EngineSpeed, HardwareEfficiency
from scripts.speed_data import (
    METRICS,
    Row,
    errors,
    load_rows,
    median_abs,
    predict_all,
)

# name, start, low, high (units: fraction, fraction, s, s, s, s, s)
PARAMS: tuple[tuple[str, float, float, float], ...] = (
    ("bandwidth", 0.8, 0.5, 0.95),
    ("compute", 0.6, 0.3, 0.9),
    ("allreduce_latency_s", 1.5e-5, 5e-6, 5e-5),
    ("vllm.step_s", 2e-3, 1e-5, 1e-2),
    ("vllm.per_sequence_s", 1e-5, 1e-8, 1e-4),
    ("tensorrt-llm.step_s", 1e-3, 1e-5, 1e-2),
    ("tensorrt-llm.per_sequence_s", 5e-6, 1e-8, 1e-4),
)
Vector = npt.NDArray[np.float64]
FIT_SOURCE = "fitted by scripts/fit_speed.py on the fit split of tests/data/speed"


def constants(x: Vector) -> tuple[HardwareEfficiency, dict[str, EngineSpeed]]:
    v = [min(max(math.exp(a), lo), hi) for a, (_, _, lo, hi) in zip(x, PARAMS, strict=True)]
    hw = HardwareEfficiency(v[0], v[1], v[2], FIT_SOURCE)
    engines = {
        "vllm": EngineSpeed(v[3], v[4], FIT_SOURCE),
        "tensorrt-llm": EngineSpeed(v[5], v[6], FIT_SOURCE),
    }
    return hw, engines


def objective(x: Vector, rows: list[Row]) -> float:
    hw, engines = constants(x)
    errs = errors(rows, predict_all(rows, hw, engines))
    classes: dict[tuple[str, str], list[float]] = {}
    for r, m, e in errs:
        classes.setdefault((r.source, m), []).append(math.log1p(e) ** 2)
    return float(np.mean([np.mean(v) for v in classes.values()]))


def nelder_mead(
    f: Callable[[Vector], float], x0: Vector, steps: int = 400, scale: float = 0.3
) -> Vector:
    n = len(x0)
    simplex = [x0.copy()] + [x0 + scale * np.eye(n)[i] for i in range(n)]
    values = [f(s) for s in simplex]
    for _ in range(steps):
        order = np.argsort(values)
        simplex = [simplex[i] for i in order]
        values = [values[i] for i in order]
        centroid = np.mean(simplex[:-1], axis=0)
        worst = simplex[-1]
        xr = centroid + (centroid - worst)
        fr = f(xr)
        if fr < values[0]:
            xe = centroid + 2 * (centroid - worst)
            fe = f(xe)
            simplex[-1], values[-1] = (xe, fe) if fe < fr else (xr, fr)
        elif fr < values[-2]:
            simplex[-1], values[-1] = xr, fr
        else:
            xc = centroid + 0.5 * (worst - centroid)
            fc = f(xc)
            if fc < values[-1]:
                simplex[-1], values[-1] = xc, fc
            else:
                first = simplex[0]
                simplex = [first] + [first + 0.5 * (s - first) for s in simplex[1:]]
                values = [values[0]] + [f(s) for s in simplex[1:]]
    return np.asarray(simplex[int(np.argmin(values))], dtype=np.float64)


def main() -> None:
    rows = load_rows()
    fit_rows = [r for r in rows if r.split == "fit"]
    x0 = np.log([p[1] for p in PARAMS])
    x = nelder_mead(lambda v: objective(v, fit_rows), x0)
    hw, engines = constants(x)
    print("Fitted constants (paste into calculators/speed.py):")
    print(f"  bandwidth efficiency  {hw.bandwidth:.4f}")
    print(f"  compute efficiency    {hw.compute:.4f}")
    print(f"  all-reduce latency    {hw.allreduce_latency_s * 1e6:.2f} us")
    for name, e in engines.items():
        print(
            f"  {name:13s} step {e.step_s * 1e3:.4f} ms, per sequence {e.per_sequence_s * 1e6:.3f} us"
        )
    errs = errors(rows, predict_all(rows, hw, engines))
    for split in ("fit", "held_back"):
        for m in METRICS:
            v = [e for r, mm, e in errs if r.split == split and mm == m]
            print(f"  {split:9s} {m:20s} n={len(v):4d} median |error| {100 * median_abs(v):.1f} %")


if __name__ == "__main__":
    main()
