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
from calculators.messages import N_
from dashboard.i18n import _, tr
from dashboard.view import View, settings_for
from presets import PresetCatalog

IntArray = npt.NDArray[np.int64]

SCOPES: Final[dict[str, str]] = {  # labels translated where shown
    "selected": N_("The selected GPUs"),
    "all": N_("Every GPU preset"),
}
MAX_CHART_LINES: Final[int] = 6  # lines a slide can tell apart (the colour palette's length)
CHART_POINTS: Final[int] = 160  # targets on the chart's x axis
MAX_PRICE_TEXT: Final[int] = 2000
MAX_PRICE: Final[float] = 1_000_000.0


def setup_column() -> str:
    """The plan table's setup column, in the current language."""
    return _("Setup (TP × PP × replicas)")


def holds_column() -> str:
    """The ladder table's verdict column, in the current language."""
    return _("Holds the target?")


@dataclass(frozen=True)
class PlanView:
    plan: Plan
    scope: str
    targets: IntArray  # chart x: target concurrency
    lines: tuple[tuple[str, IntArray], ...]  # (GPU name, GPUs needed per target; 0 = none)
    notices: tuple[str, ...]
    ladder: FormatLadder | None = None
    ladder_setup: str = ""  # the setup the ladder is for, as text
    weights_label: str = ""  # the page's names for the formats ("BF16", "FP8 (E4M3)"); ids if empty
    kv_label: str = ""

    @property
    def subtitle(self) -> str:
        p = self.plan
        t = p.target
        avg = _(", {avg:,} on average").format(avg=t.avg_tokens) if t.avg_tokens else ""
        return _(
            "{weights} weights · KV {kv} · {ctx:,} tokens per request{avg} · {method} · "
            "TP ≤ {tp}, replicas of ≤ {n} GPUs unless the model needs more stages"
        ).format(
            weights=tr(self.weights_label) if self.weights_label else p.weight_format,
            kv=tr(self.kv_label) if self.kv_label else p.kv_cache_dtype,
            ctx=t.context_len,
            avg=avg,
            method=tr(p.method_label),
            tp=p.max_tp,
            n=p.max_gpus_per_replica,
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
        return prices, [_("Prices: longer than {n} characters; ignored.").format(n=MAX_PRICE_TEXT)]
    for item in (p.strip() for p in text.replace(";", ",").split(",")):
        if not item:
            continue
        gpu, sep, value = item.partition("=")
        gpu = gpu.strip()
        if not sep or gpu not in catalog.gpus:
            notices.append(
                _("Price {item}: expected GPU-ID=PRICE with a GPU preset id.").format(
                    item=repr(item[:40])
                )
            )
            continue
        try:
            price = float(value)
        except ValueError:
            notices.append(
                _("Price for {gpu}: {value} is not a number.").format(
                    gpu=gpu, value=repr(value.strip()[:20])
                )
            )
            continue
        if not 0 <= price <= MAX_PRICE or price != price:
            notices.append(
                _("Price for {gpu}: {value} is outside 0..{top}.").format(
                    gpu=gpu, value=value.strip()[:20], top=f"{MAX_PRICE:g}"
                )
            )
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
        notices.append(_("No GPU selected: planning over every GPU preset."))
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
            notices.append(_("Best format: {problem}").format(problem=tr(str(e))))
        ladder_setup = _("{gpu}, TP {tp} × PP {pp} × {dp} replica(s)").format(
            gpu=f.gpu.name, tp=s.tp, pp=s.pp, dp=s.dp
        )
    return PlanView(
        plan=result,
        scope=scope,
        targets=targets,
        lines=lines,
        notices=tuple(notices),
        ladder=ladder,
        ladder_setup=ladder_setup,
        weights_label=view.weights_label,
        kv_label=view.kv_label,
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
        return _("none fits")
    text = f"{fit.context_len:,}"
    if fit.limited_by == "model":
        text += _(" (model max)")
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
            rows.append({_("GPU type"): g.gpu.name, setup_column(): _("does not fit")})
            continue
        row: dict[str, object] = {
            _("GPU type"): g.gpu.name,
            setup_column(): (
                f"{st.tensor_parallel_size} × {st.pipeline_parallel_size} × {st.replicas}"
            ),
            _("GPUs in all"): st.total_gpus,
            _("Requests reached"): st.concurrency_reached,
            _("Used per GPU ({unit})").format(unit=unit): round(to_unit(st.used_bytes, unit), 2),
            _("Headroom per GPU ({unit})").format(unit=unit): round(
                to_unit(st.headroom_bytes, unit), 2
            ),
        }
        if priced:
            cost, per_k = st.cost_per_hour, st.cost_per_1000_requests_hour
            row[_("Cost per hour")] = None if cost is None else round(cost, 2)
            row[_("Cost per hour per 1,000 requests")] = None if per_k is None else round(per_k, 2)
        rows.append(row)
    return pd.DataFrame(rows)


def ladder_table(ladder: FormatLadder, unit: str) -> pd.DataFrame:
    """Each (weights, KV) step from the highest precision down, and what it buys."""
    rows = []
    prev = None
    for s in ladder.steps:
        rows.append(
            {
                _("Weights"): tr(s.weight_label),
                _("KV cache"): s.kv_cache_dtype,
                _("Weights per GPU ({unit})").format(unit=unit): round(
                    to_unit(s.weights_bytes_per_gpu, unit), 2
                ),
                _("Requests reached"): s.concurrency_reached,
                _("Step buys (requests)"): (
                    "" if prev is None else f"{s.concurrency_reached - prev.concurrency_reached:+,}"
                ),
                _("Longest context @ {n:,} requests").format(n=ladder.target.concurrency): (
                    f"{s.longest_context:,}" if s.longest_context else _("none fits")
                ),
                holds_column(): _("yes") if s.holds else _("no"),
            }
        )
        prev = s
    return pd.DataFrame(rows)
