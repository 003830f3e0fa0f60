"""The Plan section of the page: what it takes to serve the page's target (Streamlit wiring only).

Its own inputs (which GPUs to plan over, prices per GPU-hour, whether to rank the weight formats)
live in this session only; the target itself is the page's state (model, format, method,
concurrency, context), so the share link reproduces the plan.
"""

from __future__ import annotations

from typing import Final

import streamlit as st

from dashboard.i18n import _, tr
from dashboard.plan_figures import plan_figure
from dashboard.plan_view import SCOPES, build_plan_view, ladder_table, parse_prices, plan_table
from dashboard.session import md_escape
from dashboard.view import View
from presets import PresetCatalog

# Session keys of the section's own widgets (not in the URL).
KEY_SCOPE: Final[str] = "plan_scope"
KEY_PRICES: Final[str] = "plan_prices"
KEY_LADDER: Final[str] = "plan_ladder"


def plan_section(view: View, cat: PresetCatalog) -> None:
    s = view.state
    st.markdown(
        "#### "
        + _("Plan: what it takes to serve {conc:,} requests of {ctx:,} tokens").format(
            conc=s.conc, ctx=s.ctx
        )
    )
    c1, c2 = st.columns([1, 2])
    scope = c1.radio(
        _("Plan over"),
        list(SCOPES),
        # translated now: Streamlit calls the format function later from another thread
        format_func={k: _(v) for k, v in SCOPES.items()}.__getitem__,
        key=KEY_SCOPE,
        horizontal=True,
    )
    text = c2.text_input(
        _("Price per GPU-hour (optional, yours)"),
        key=KEY_PRICES,
        placeholder="h100-sxm-80gb=2.50, a100-80gb=1.60",
        help=_(
            "GPU preset id = price, comma separated, in your currency. The built-in presets "
            "carry no prices (a preset may set price_per_gpu_hour with its source)."
        ),
        max_chars=2000,
    )
    prices, problems = parse_prices(text or "", cat)
    with_ladder = st.toggle(
        _("Best weight format and KV dtype on the first selected setup"), key=KEY_LADDER
    )
    pv = build_plan_view(view, cat, str(scope), prices, with_ladder)
    for p in [*problems, *pv.notices]:
        st.warning(md_escape(p))
    st.caption(
        md_escape(
            _(
                "Memory model: {method} — {model} Smallest setup: fewest GPUs, then fewest "
                "pipeline stages; TP only where the heads allow it."
            ).format(method=tr(pv.plan.method_label), model=tr(pv.plan.memory_model))
        )
    )
    st.dataframe(plan_table(pv, s.unit), hide_index=True, width="stretch")
    st.plotly_chart(
        plan_figure(pv, view.model_label, validate=False),
        config={
            "displaylogo": False,
            "toImageButtonOptions": {"format": "png", "scale": 2, "width": 1280, "height": 560},
        },
        key="chart_plan",
    )
    if pv.ladder is not None:
        best = pv.ladder.best
        verdict = (
            _("no format holds the target.")
            if best is None
            else _("best format {weights} with {kv} KV ({n:,} requests).").format(
                weights=tr(best.weight_label), kv=best.kv_cache_dtype, n=best.concurrency_reached
            )
        )
        st.markdown(
            md_escape(_("On {setup}: {verdict}").format(setup=pv.ladder_setup, verdict=verdict))
        )
        st.dataframe(ladder_table(pv.ladder, s.unit), hide_index=True, width="stretch")
