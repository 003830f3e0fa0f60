"""Speed per selected GPU setup for the speed chart and the fit table (pure: no Streamlit).

For each GPU setup: per-user tokens/s and TTFT at every concurrency up to a little past the memory
limit (requests of ``in_tok + out_tok`` tokens that fit, from the shown method's capacity), and
the largest concurrency meeting the SLO within that limit. Replicas split the users evenly.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from calculators import (
    Deployment,
    EngineSettings,
    ModelSpec,
    SpecError,
    Workload,
    estimate,
    estimate_speed,
    kv_dtype,
)
from calculators import weight_format as get_weight_format
from calculators.messages import message_of
from dashboard.i18n import _
from dashboard.view import View, settings_for
from presets import GPUPreset

MAX_SPEED_POINTS = 120  # points per line: smooth and a small payload
SPEED_METHOD = {"vllm": "vllm", "sglang": "sglang"}  # others borrow the vLLM engine model


@dataclass(frozen=True)
class SpeedLine:
    """One GPU setup's speed curve; ``problem`` instead when the speed model cannot run."""

    gpu: GPUPreset
    concurrency: npt.NDArray[np.float64]
    tokens_per_s_per_user: npt.NDArray[np.float64]
    ttft_s: npt.NDArray[np.float64]
    output_tokens_per_s: npt.NDArray[np.float64]
    fits: int  # whole requests of in_tok + out_tok tokens that fit, over all replicas
    max_meeting_slo: int | None  # None: SLO off; 0: not even one request meets it
    problem: str = ""


@dataclass(frozen=True)
class SpeedView:
    lines: tuple[SpeedLine, ...]
    engine: str  # the speed model's engine (vllm or sglang)
    notes: tuple[str, ...]


def _grid(top: int) -> npt.NDArray[np.float64]:
    step = max(1, -(-top // MAX_SPEED_POINTS))
    return np.unique(np.concatenate([np.arange(1, top + 1, step), [top]])).astype(np.float64)


@dataclass(frozen=True)
class _Key:
    """What one speed line depends on (hashable: the cache key across reruns)."""

    model: ModelSpec
    weights: str
    kv: str
    method: str
    settings: EngineSettings
    tp: int
    pp: int
    dp: int
    in_tok: int
    out_tok: int
    slo: int
    slo_tps: float
    slo_ttft: float


@lru_cache(maxsize=128)
def _compute(s: _Key, gpu: GPUPreset, engine: str) -> tuple[SpeedLine, tuple[str, ...]]:
    tokens = s.in_tok + s.out_tok
    fmt = get_weight_format(s.weights)
    kv = kv_dtype(s.kv, s.model.torch_dtype)
    empty = np.zeros(0)
    try:
        mem = estimate(
            s.model,
            fmt.id,
            Workload(context_len=tokens, kv_cache_dtype=s.kv),
            Deployment(s.tp, s.pp, s.dp, gpu=gpu.spec),
            s.settings,
            s.method,
        )
        cap = mem.capacity
        fits = cap.max_concurrent_requests if cap is not None else 0
        per_replica = max(1, fits // s.dp) if fits else None
        top = int(min(4096, max(16, int(fits * 1.25))))  # past the memory limit, not the slider
        grid = _grid(top)
        res = estimate_speed(
            s.model,
            fmt,
            kv,
            gpu.spec,
            s.in_tok,
            s.out_tok,
            np.maximum(grid / s.dp, 1.0),
            tp=s.tp,
            pp=s.pp,
            method=engine,
            max_running=per_replica,
        )
    except SpecError as e:
        line = SpeedLine(gpu, empty, empty, empty, empty, 0, None, problem=message_of(e))
        return line, ()
    meeting: int | None = None
    if s.slo:
        dense = np.arange(1, max(1, fits) + 1, dtype=np.float64)
        ok_res = estimate_speed(
            s.model,
            fmt,
            kv,
            gpu.spec,
            s.in_tok,
            s.out_tok,
            np.maximum(dense / s.dp, 1.0),
            tp=s.tp,
            pp=s.pp,
            method=engine,
            max_running=per_replica,
        )
        ok = (ok_res.tokens_per_s_per_user >= s.slo_tps) & (ok_res.ttft_s <= s.slo_ttft)
        # the largest concurrency up to which every smaller one meets the SLO too
        bad = np.flatnonzero(~ok)
        meeting = int(bad[0]) if bad.size else int(dense.size)
        if not fits:
            meeting = 0
    line = SpeedLine(
        gpu,
        grid,
        res.tokens_per_s_per_user,
        res.ttft_s,
        res.output_tokens_per_s * s.dp,
        fits,
        meeting,
    )
    return line, res.warnings


def speed_view(view: View) -> SpeedView:
    """Speed lines for every selected GPU setup of ``view``."""
    s = view.state
    engine = SPEED_METHOD.get(s.method, "vllm")
    notes: list[str] = []
    if s.method not in SPEED_METHOD:
        notes.append(
            _(
                "Speed uses the vLLM engine model (the speed model covers vLLM and SGLang); the "
                "memory limit is the shown method's."
            )
        )
    key = _Key(
        view.model, s.weights, s.kv, s.method, settings_for(s), s.tp, s.pp, s.dp,
        s.in_tok, s.out_tok, s.slo, s.slo_tps, s.slo_ttft,
    )  # fmt: skip
    lines = []
    for fit in view.fits:
        line, warns = _compute(key, fit.gpu, engine)
        lines.append(line)
        notes.extend(w for w in warns if w not in notes)
    return SpeedView(tuple(lines), engine, tuple(notes))
