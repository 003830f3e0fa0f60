"""Measured serving speed (tests/data/speed) against the speed model: load, predict, score.

Used by scripts/fit_speed.py (fit on the ``fit`` split only), the speed section of
docs/accuracy.md (scripts/accuracy_report.py) and the golden tests. Metric definitions are
normalised in tests/data/speed/README.md: TPOT = time between one user's output tokens (ITL),
throughput = total output tokens per second of all users (input tokens not counted).
"""

from __future__ import annotations

import csv
import dataclasses
import math
import statistics
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from calculators import (  # noqa: E402
    Deployment,
    GPUSpec,
    ModelSpec,
    Workload,
    estimate,
    kv_dtype,
    model_from_config,
    weight_format,
)
from calculators.speed import (  # noqa: E402
    ENGINE_SPEED,
    HARDWARE_EFFICIENCY,
    EngineSpeed,
    HardwareEfficiency,
    Scenario,
    StepModel,
    speed_sweep,
    step_model,
)
from presets.loader import load_builtin_catalog  # noqa: E402

DATA = ROOT / "tests" / "data" / "speed"
# Engines in the data -> the speed model's engine constants. NIM serves Llama with TensorRT-LLM.
ENGINE_OF = {"vllm": "vllm", "tensorrt-llm": "tensorrt-llm", "nim": "tensorrt-llm"}
# trtllm-bench's largest CUDA-graph batch in the perf-overview's llm_options.yml (batch_sizes up to
# 8192) does not bound the batch; the KV cache does. Capacity = the vLLM method's max concurrency.
SOURCES = ("llm-inference-bench", "trtllm-perf-overview", "nim")


@dataclass(frozen=True)
class Row:
    """One measurement, normalised; None = not reported by the source."""

    source: str
    file: str
    line: int
    gpu: str
    engine: str
    model: str
    tp: int
    weights: str
    input_tokens: int
    output_tokens: int
    concurrency: int  # users (serving) or batch (static); 0 = as many as fit (max throughput)
    scenario: Scenario
    split: str
    kv_cache_dtype: str = "auto"
    ttft_ms: float | None = None
    tpot_ms: float | None = None
    output_tokens_per_s: float | None = None


@cache
def _models() -> dict[str, ModelSpec]:
    raw = yaml.safe_load((DATA / "models.yaml").read_text())["models"]
    out = {mid: model_from_config(cfg, name=mid) for mid, cfg in raw.items()}
    cat = load_builtin_catalog()
    for mid in ("meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Llama-3.3-70B-Instruct"):
        out[mid] = cat.models[mid].spec
    return out


@cache
def _gpus() -> dict[str, GPUSpec]:
    return {gid: g.spec for gid, g in load_builtin_catalog().gpus.items()}


def model(mid: str) -> ModelSpec:
    return _models()[mid]


def gpu(gid: str) -> GPUSpec:
    return _gpus()[gid]


def _f(v: str) -> float | None:
    return float(v) if v not in ("", None) else None


def load_rows() -> list[Row]:
    """Every measurement in tests/data/speed, in file order."""
    rows: list[Row] = []
    with open(DATA / "llm_inference_bench_latency.csv", newline="") as fh:
        for i, r in enumerate(csv.DictReader(fh), start=2):
            rows.append(
                Row(
                    "llm-inference-bench",
                    "llm_inference_bench_latency.csv",
                    i,
                    r["gpu"],
                    r["engine"],
                    r["model"],
                    int(r["tensor_parallel"]),
                    "fp16",
                    int(r["input_tokens"]),
                    int(r["output_tokens"]),
                    int(r["batch"]),
                    "static",
                    r["split"],
                    output_tokens_per_s=float(r["output_tokens_per_s"]),
                )
            )
    with open(DATA / "llm_inference_bench_ttft_itl.csv", newline="") as fh:
        for i, r in enumerate(csv.DictReader(fh), start=2):
            rows.append(
                Row(
                    "llm-inference-bench",
                    "llm_inference_bench_ttft_itl.csv",
                    i,
                    r["gpu"],
                    r["engine"],
                    r["model"],
                    int(r["tensor_parallel"]),
                    "fp16",
                    int(r["input_tokens"]),
                    int(r["output_tokens"]),
                    int(r["batch"]),
                    "static",
                    r["split"],
                    ttft_ms=float(r["ttft_ms"]),
                    tpot_ms=float(r["tpot_ms"]),
                )
            )
    with open(DATA / "trtllm_perf_overview.csv", newline="") as fh:
        for i, r in enumerate(csv.DictReader(fh), start=2):
            rows.append(
                Row(
                    "trtllm-perf-overview",
                    "trtllm_perf_overview.csv",
                    i,
                    r["gpu"],
                    r["engine"],
                    r["model"],
                    int(r["tensor_parallel"]),
                    r["weights"],
                    int(r["input_tokens"]),
                    int(r["output_tokens"]),
                    0,
                    "serving",
                    r["split"],
                    kv_cache_dtype=r["kv_cache_dtype"],
                    output_tokens_per_s=float(r["output_tokens_per_s"]),
                )
            )
    with open(DATA / "nim_benchmarking.csv", newline="") as fh:
        for i, r in enumerate(csv.DictReader(fh), start=2):
            rows.append(
                Row(
                    "nim",
                    "nim_benchmarking.csv",
                    i,
                    r["gpu"],
                    r["engine"],
                    r["model"],
                    int(r["tensor_parallel"]),
                    r["weights"],
                    int(r["input_tokens"]),
                    int(r["output_tokens"]),
                    int(r["concurrency"]),
                    "serving",
                    r["split"],
                    ttft_ms=_f(r["ttft_ms"]),
                    tpot_ms=_f(r["tpot_ms"]),
                    output_tokens_per_s=float(r["output_tokens_per_s"]),
                )
            )
    return rows


# model, gpu, engine, tp, weights, kv dtype, I, O, scenario
Setup = tuple[str, str, str, int, str, str, int, int, Scenario]


def setup_of(r: Row) -> Setup:
    return (r.model, r.gpu, ENGINE_OF[r.engine], r.tp, r.weights, r.kv_cache_dtype,
            r.input_tokens, r.output_tokens, r.scenario)  # fmt: skip


@cache
def _step_model(mid: str, gid: str, engine: str, tp: int, weights: str, kv: str) -> StepModel:
    m = model(mid)
    sm, _ = step_model(
        m, weight_format(weights), kv_dtype(kv, m.torch_dtype), gpu(gid), tp, 1, engine
    )
    return sm


@cache
def capacity(mid: str, gid: str, tp: int, weights: str, kv: str, tokens: int) -> int:
    """Requests of ``tokens`` tokens that fit: the vLLM method's max concurrency (memory model)."""
    est = estimate(
        model(mid),
        weights,
        Workload(context_len=tokens, kv_cache_dtype=kv),
        Deployment(tensor_parallel_size=tp, gpu=gpu(gid)),
        method="vllm",
    )
    cap = est.capacity
    return max(1, cap.max_concurrent_requests) if cap is not None else 1


@dataclass(frozen=True)
class Prediction:
    ttft_ms: float
    tpot_ms: float
    output_tokens_per_s: float


def predict_all(
    rows: Iterable[Row],
    hw: HardwareEfficiency = HARDWARE_EFFICIENCY,
    engines: Mapping[str, EngineSpeed] = ENGINE_SPEED,
) -> list[Prediction]:
    """The model's prediction for each row (one vectorised sweep per setup)."""
    rows = list(rows)
    groups: dict[Setup, list[int]] = {}
    for k, r in enumerate(rows):
        groups.setdefault(setup_of(r), []).append(k)
    out: list[Prediction | None] = [None] * len(rows)
    for (mid, gid, eng, tp, weights, kv, i_tok, o_tok, scen), idx in groups.items():
        base = _step_model(mid, gid, eng, tp, weights, kv)
        sm = dataclasses.replace(base, hw=hw, engine=engines[eng])
        cap = capacity(mid, gid, tp, weights, kv, i_tok + o_tok)
        conc = np.array([rows[k].concurrency or cap for k in idx], dtype=np.float64)
        res = speed_sweep(sm, i_tok, o_tok, conc, scen, max_running=cap)
        for j, k in enumerate(idx):
            out[k] = Prediction(
                float(res.ttft_s[j] * 1000),
                float(res.tpot_s[j] * 1000),
                float(res.output_tokens_per_s[j]),
            )
    return [p for p in out if p is not None]


METRICS = ("tpot_ms", "ttft_ms", "output_tokens_per_s")
METRIC_LABEL = {"tpot_ms": "TPOT", "ttft_ms": "TTFT", "output_tokens_per_s": "throughput"}


def errors(rows: list[Row], preds: list[Prediction]) -> list[tuple[Row, str, float]]:
    """(row, metric, relative error = predicted / measured - 1) for every reported metric."""
    out = []
    for r, p in zip(rows, preds, strict=True):
        for m in METRICS:
            meas = getattr(r, m)
            if meas is not None and meas > 0:
                out.append((r, m, getattr(p, m) / meas - 1.0))
    return out


def median_abs(errs: Iterable[float]) -> float:
    e = [abs(x) for x in errs]
    return statistics.median(e) if e else math.nan


def summary_table(
    errs: list[tuple[Row, str, float]], key: Any, splits: tuple[str, ...] = ("fit", "held_back")
) -> list[tuple[str, str, str, int, float]]:
    """(group, split, metric, n, median |error|) grouped by ``key(row)``."""
    acc: dict[tuple[str, str, str], list[float]] = {}
    for r, m, e in errs:
        acc.setdefault((key(r), r.split, m), []).append(e)
    out = []
    for (g, s, m), v in sorted(acc.items(), key=lambda kv: (kv[0][0], splits.index(kv[0][1]),
                                                           METRICS.index(kv[0][2]))):  # fmt: skip
        out.append((g, s, m, len(v), median_abs(v)))
    return out
