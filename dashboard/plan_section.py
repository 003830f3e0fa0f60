"""The Plan section of the page: what it takes to serve the page's target (Streamlit wiring only).

Its own inputs (which GPUs to plan over, prices per GPU-hour, whether to rank the weight formats)
live in this session only; the target itself is the page's state (model, format, method,
concurrency, context), so the share link reproduces the plan.
"""

from __future__ import annotations

from typing import Final

import streamlit as st

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
    st.markdown(f"#### Plan: what it takes to serve {s.conc:,} requests of {s.ctx:,} tokens")
    c1, c2 = st.columns([1, 2])
    scope = c1.radio(
        "Plan over",
        list(SCOPES),
        format_func=SCOPES.__getitem__,
        key=KEY_SCOPE,
        horizontal=True,
    )
    text = c2.text_input(
        "Price per GPU-hour (optional, yours)",
        key=KEY_PRICES,
        placeholder="h100-sxm-80gb=2.50, a100-80gb=1.60",
        help="GPU preset id = price, comma separated, in your currency. The built-in presets "
        "carry no prices (a preset may set price_per_gpu_hour with its source).",
        max_chars=2000,
    )
    prices, problems = parse_prices(text or "", cat)
    with_ladder = st.toggle(
        "Best weight format and KV dtype on the first selected setup", key=KEY_LADDER
    )
    pv = build_plan_view(view, cat, str(scope), prices, with_ladder)
    for p in [*problems, *pv.notices]:
        st.warning(md_escape(p))
    st.caption(
        md_escape(
            f"Memory model: {pv.plan.method_label} — {pv.plan.memory_model} Smallest setup: "
            "fewest GPUs, then fewest pipeline stages; TP only where the heads allow it."
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
        st.markdown(
            md_escape(
                f"On {pv.ladder_setup}: "
                + (
                    "no format holds the target."
                    if best is None
                    else f"best format {best.weight_label} with {best.kv_cache_dtype} KV "
                    f"({best.concurrency_reached:,} requests)."
                )
            )
        )
        st.dataframe(ladder_table(pv.ladder, s.unit), hide_index=True, width="stretch")
