"""The page's tables as pandas DataFrames (pure: no Streamlit): GPU fit, methods, breakdown."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from calculators import to_unit
from dashboard.i18n import _, tr
from dashboard.speed_view import SpeedView
from dashboard.view import View


def fit_table(
    view: View, speed: SpeedView | None = None, longest: Sequence[str] | None = None
) -> pd.DataFrame:
    """One row per selected GPU setup; with the speed SLO on, the most users meeting it beside
    what fits; ``longest``: the longest context at the chosen concurrency on each
    (dashboard.plan_view.longest_contexts, as text)."""
    u = view.state.unit
    n = view.gpus_per_replica
    s = view.state
    fits = view.fits
    columns: dict[str, list[Any]] = {
        _("GPU setup"): [setup_label(f.gpu.name, n, s.dp) for f in fits],
        _("Usable/GPU ({unit})").format(unit=u): [
            round(to_unit(f.budget_bytes, u), 2) for f in fits
        ],
        _("Fits {n:,}?").format(n=s.conc): [_("yes") if f.fits else _("no") for f in fits],
        _("Headroom/GPU ({unit})").format(unit=u): [
            round(to_unit(f.headroom_bytes, u), 2) for f in fits
        ],
        _("Max requests @ {ctx:,} tok").format(ctx=s.ctx): [f.max_requests for f in fits],
        _("Max @ {avg:,} tok (avg)").format(avg=s.avg): [f.max_requests_avg for f in fits],
    }
    ranges = [_range_text(f.estimate.max_concurrency_range()) for f in fits]
    if any(r != "—" for r in ranges):  # the article's method has no ranges
        columns[_("Range low–high")] = ranges
    if speed is not None and s.slo:
        lines = speed.lines[: len(fits)]
        columns[_("Max requests @ {n:,} tokens (speed chart)").format(n=s.in_tok + s.out_tok)] = [
            line.fits for line in lines
        ]
        slo_col = _("Max meeting SLO (≥ {tps:g} tok/s/user, TTFT ≤ {ttft:g} s)").format(
            tps=s.slo_tps, ttft=s.slo_ttft
        )
        columns[slo_col] = [
            "—" if line.problem else f"{line.max_meeting_slo or 0:,}" for line in lines
        ]
    if longest is not None:
        columns[_("Longest context @ {n} requests (tokens)").format(n=s.conc)] = list(longest)
    return pd.DataFrame(columns)


def setup_label(gpu: str, per_replica: int, replicas: int) -> str:
    """'NVIDIA H100 SXM5 80GB × 2' (GPUs per replica) and ', 3 replicas' when replicated."""
    label = f"{gpu} × {per_replica}" if per_replica > 1 else gpu
    return label + _(", {n} replicas").format(n=replicas) if replicas > 1 else label


def _range_text(rng: tuple[float, float] | None) -> str:
    return "—" if rng is None else f"{int(rng[0])}–{int(rng[1])}"


def methods_table(view: View) -> pd.DataFrame:
    """The article's conservative answer beside the engines' answers, per GPU setup."""
    n = view.gpus_per_replica
    rows = []
    for row in view.methods:
        rec: dict[str, Any] = {
            _("Method"): tr(row.label) + (_(" (shown)") if row.method == view.state.method else "")
        }
        for f, cap in zip(view.fits, row.per_gpu, strict=True):
            rec[setup_label(f.gpu.name, n, view.state.dp)] = "—" if cap != cap else f"{int(cap):,}"
        rows.append(rec)
    return pd.DataFrame(rows)


def breakdown_table(view: View) -> pd.DataFrame:
    b = (view.fits[0].estimate if view.fits else view.estimate).per_gpu
    total = max(1, b.total_bytes)
    rows = [
        (_("Weights"), b.weights_bytes),
        (_("KV cache"), b.kv_cache_bytes),
        (_("Activations"), b.activation_bytes),
        (_("Overhead"), b.overhead_bytes),
    ]
    if b.state_bytes:  # Mamba / linear-attention layers: a constant state per request
        rows.append((_("State (Mamba/linear attention)"), b.state_bytes))
    rows.append((_("Total"), b.total_bytes))
    return pd.DataFrame(
        [
            {
                _("Component"): name,
                _("Bytes"): v,
                "GiB": round(v / 2**30, 3),
                "GB": round(v / 1e9, 3),
                _("Share"): f"{100 * v / total:.1f} %",
            }
            for name, v in rows
        ]
    )
