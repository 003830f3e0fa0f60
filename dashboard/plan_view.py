"""The Plan section's view model (pure: no Streamlit): the planning questions for the page's state.

* what it takes: the smallest TP × PP × replicas per GPU type for the page's concurrency and
  context (:func:`calculators.plan`), and GPUs needed vs target concurrency for the chart;
* the longest context at the page's concurrency on each selected GPU setup (fit-table column);
* the best weight format and KV dtype on the first selected setup, with what each step buys.

Every figure comes from the calculators with the page's method, so the section names the memory
model it used. Prices per GPU-hour are the user's (or a preset's ``price_per_gpu_hour``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from calculators import (
    ContextFit,
    Deployment,
    FormatLadder,
    Plan,
    SpecError,
    Target,
    format_ladder,
    longest_context,
    plan,
    to_unit,
)
from dashboard.view import View, settings_for
from presets import PresetCatalog

IntArray = npt.NDArray[np.int64]

SCOPES: Final[dict[str, str]] = {
    "selected": "The selected GPUs",
    "all": "Every GPU preset",
}
MAX_CHART_LINES: Final[int] = 6  # lines a slide can tell apart (the colour palette's length)
CHART_POINTS: Final[int] = 160  # targets on the chart's x axis
MAX_PRICE_TEXT: Final[int] = 2000
MAX_PRICE: Final[float] = 1_000_000.0


@dataclass(frozen=True)
class PlanView:
    plan: Plan
    scope: str
    targets: IntArray  # chart x: target concurrency
    lines: tuple[tuple[str, IntArray], ...]  # (GPU name, GPUs needed per target; 0 = none)
    notices: tuple[str, ...]
    ladder: FormatLadder | None = None
    ladder_setup: str = ""  # the setup the ladder is for, as text

    @property
    def subtitle(self) -> str:
        p = self.plan
        t = p.target
        avg = f", {t.avg_tokens:,} on average" if t.avg_tokens else ""
        return (
            f"{p.weight_format} weights · KV {p.kv_cache_dtype} · {t.context_len:,} tokens per "
            f"request{avg} · {p.method_label} · TP ≤ {p.max_tp}, replicas of ≤ "
            f"{p.max_gpus_per_replica} GPUs unless the model needs more stages"
        )


def parse_prices(text: str, catalog: PresetCatalog) -> tuple[dict[str, float], list[str]]:
    """``"h100-sxm-80gb=2.5, a100-80gb=1.8"`` -> {id: price}; a notice for each bad item.

    Preset prices (``price_per_gpu_hour``) come first; typed ones replace them.
    """
    prices = {
        g.id: g.price_per_gpu_hour
        for g in catalog.gpus.values()
        if g.price_per_gpu_hour is not None
    }
    notices: list[str] = []
    if len(text) > MAX_PRICE_TEXT:
        return prices, [f"Prices: longer than {MAX_PRICE_TEXT} characters; ignored."]
    for item in (p.strip() for p in text.replace(";", ",").split(",")):
        if not item:
            continue
        gpu, sep, value = item.partition("=")
        gpu = gpu.strip()
        if not sep or gpu not in catalog.gpus:
            notices.append(f"Price {item[:40]!r}: expected GPU-ID=PRICE with a GPU preset id.")
            continue
        try:
            price = float(value)
        except ValueError:
            notices.append(f"Price for {gpu}: {value.strip()[:20]!r} is not a number.")
            continue
        if not 0 <= price <= MAX_PRICE or price != price:
            notices.append(f"Price for {gpu}: {value.strip()[:20]} is outside 0..{MAX_PRICE:g}.")
            continue
        prices[gpu] = price
    return prices, notices


def _chart_targets(target: int) -> IntArray:
    top = max(32, 2 * target)
    xs = np.unique(np.linspace(1, top, CHART_POINTS).astype(np.int64))
    return np.unique(np.concatenate([xs, [target]])).astype(np.int64)


def build_plan_view(
    view: View,
    catalog: PresetCatalog,
    scope: str = "selected",
    prices: Mapping[str, float] | None = None,
    with_ladder: bool = False,
) -> PlanView:
    """The plan for the page's model, format, method and workload on the chosen GPU scope."""
    s = view.state
    notices: list[str] = []
    ids = list(s.gpus) if scope == "selected" else list(catalog.gpus)
    if scope == "selected" and not ids:
        notices.append("No GPU selected: planning over every GPU preset.")
        ids = list(catalog.gpus)
    target = Target(
        concurrency=s.conc,
        context_len=s.ctx,
        avg_tokens=min(s.avg, s.ctx) if s.method in ("vllm", "sglang") else None,
        kv_cache_dtype=s.kv,
        batch_size=s.batch,
    )
    result = plan(
        view.model,
        s.weights,
        target,
        [catalog.gpus[g].spec for g in ids],
        settings_for(s),
        s.method,
        prices,
    )
    targets = _chart_targets(s.conc)
    shown = [g for g in result.gpus if g.setup is not None][:MAX_CHART_LINES]
    lines = tuple((g.gpu.name, g.gpus_needed(targets)) for g in shown)
    ladder, ladder_setup = None, ""
    if with_ladder and view.fits:
        f = view.fits[0]
        dep = Deployment(s.tp, s.pp, s.dp, f.gpu.spec)
        try:
            ladder = format_ladder(view.model, target, dep, settings_for(s), s.method)
        except (SpecError, ValueError) as e:
            notices.append(f"Best format: {e}")
        ladder_setup = f"{f.gpu.name}, TP {s.tp} × PP {s.pp} × {s.dp} replica(s)"
    return PlanView(
        plan=result,
        scope=scope,
        targets=targets,
        lines=lines,
        notices=tuple(notices),
        ladder=ladder,
        ladder_setup=ladder_setup,
    )


def longest_contexts(view: View) -> tuple[ContextFit | None, ...]:
    """Longest context at the page's concurrency on each selected GPU setup (None: refused)."""
    s = view.state
    out: list[ContextFit | None] = []
    for f in view.fits:
        try:
            out.append(
                longest_context(
                    view.model,
                    s.weights,
                    s.conc,  # over all replicas: ceil(conc / replicas) each
                    Deployment(s.tp, s.pp, s.dp, f.gpu.spec),
                    settings_for(s),
                    s.method,
                    s.kv,
                    s.batch,
                )
            )
        except (SpecError, ValueError):
            out.append(None)
    return tuple(out)


def context_text(fit: ContextFit | None) -> str:
    if fit is None:
        return "—"
    if fit.context_len == 0:
        return "none fits"
    text = f"{fit.context_len:,}"
    if fit.limited_by == "model":
        text += " (model max)"
    if fit.n_ctx is not None:
        text += f" (-c {fit.n_ctx:,})"
    return text


def plan_table(pv: PlanView, unit: str) -> pd.DataFrame:
    """One row per GPU type, smallest setup first; GPU types that cannot hold it last. The cost
    columns appear only when some price is given."""
    priced = any(s.price_per_gpu_hour is not None for s in pv.plan.setups)
    rows: list[dict[str, object]] = []
    for g in pv.plan.gpus:
        st = g.setup
        if st is None:
            rows.append({"GPU": g.gpu.name, "Setup (TP × PP × replicas)": "does not fit"})
            continue
        row: dict[str, object] = {
            "GPU": g.gpu.name,
            "Setup (TP × PP × replicas)": (
                f"{st.tensor_parallel_size} × {st.pipeline_parallel_size} × {st.replicas}"
            ),
            "GPUs": st.total_gpus,
            "Requests reached": st.concurrency_reached,
            f"Used per GPU ({unit})": round(to_unit(st.used_bytes, unit), 2),
            f"Headroom per GPU ({unit})": round(to_unit(st.headroom_bytes, unit), 2),
        }
        if priced:
            cost, per_k = st.cost_per_hour, st.cost_per_1000_requests_hour
            row["Cost per hour"] = None if cost is None else round(cost, 2)
            row["Cost per hour per 1,000 requests"] = None if per_k is None else round(per_k, 2)
        rows.append(row)
    return pd.DataFrame(rows)


def ladder_table(ladder: FormatLadder, unit: str) -> pd.DataFrame:
    """Each (weights, KV) step from the highest precision down, and what it buys."""
    rows = []
    prev = None
    for s in ladder.steps:
        rows.append(
            {
                "Weights": s.weight_label,
                "KV cache": s.kv_cache_dtype,
                f"Weights per GPU ({unit})": round(to_unit(s.weights_bytes_per_gpu, unit), 2),
                "Requests reached": s.concurrency_reached,
                "Step buys (requests)": (
                    "" if prev is None else f"{s.concurrency_reached - prev.concurrency_reached:+,}"
                ),
                f"Longest context @ {ladder.target.concurrency:,} requests": (
                    f"{s.longest_context:,}" if s.longest_context else "none fits"
                ),
                "Holds the target?": "yes" if s.holds else "no",
            }
        )
        prev = s
    return pd.DataFrame(rows)
