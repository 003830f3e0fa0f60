"""Pinned scenarios: the pin buttons and the scenarios the compare chart shows."""

from __future__ import annotations

import streamlit as st

from calculators import Message
from dashboard.figures import Scenario
from dashboard.i18n import _, ngettext, tr
from dashboard.session import WIDGET_KEYS
from dashboard.state import MAX_PINS, ViewState, pin_token
from dashboard.tables import setup_label
from dashboard.view import View, pinned_view
from presets import PresetCatalog


def pin_controls(state: ViewState) -> None:
    c1, c2, _rest = st.columns([1, 1, 4])
    pins = list(st.session_state[WIDGET_KEYS["pins"]])
    token = pin_token(state)
    if c1.button(
        _("Pin this scenario"),
        disabled=state.src != "preset" or len(pins) >= MAX_PINS or token in pins,
        help=_(
            "Compare up to {n} pinned scenarios side by side (presets only); a view that is "
            "already pinned is not pinned twice."
        ).format(n=MAX_PINS),
    ):
        st.session_state[WIDGET_KEYS["pins"]] = [*pins, token]
        st.rerun()
    if c2.button(_("Clear pins"), disabled=not pins):
        st.session_state[WIDGET_KEYS["pins"]] = []
        st.rerun()


def facets(view: View) -> dict[str, str]:
    """A scenario's configuration in words, one entry per facet the compare chart shows."""
    s = view.state
    gpu = view.fits[0].gpu.name if view.fits else _("no GPU")
    return {
        "model": view.short_model_label,
        "weights": tr(view.weights_label),
        "method": tr(view.method_label),
        "gpus": setup_label(gpu, view.gpus_per_replica, s.dp),
        "kv": _("KV {dtype}").format(dtype=tr(view.kv_label)),
        "ctx": _("{ctx:,} tokens").format(ctx=s.ctx),
        "conc": ngettext("{n:,} request", "{n:,} requests", s.conc).format(n=s.conc),
        "batch": _("batch {n}").format(n=s.batch),
    }


def scenarios(view: View, cat: PresetCatalog) -> tuple[list[Scenario], list[str]]:
    """This view and every pin that differs from it (a pin of this very view is not repeated)."""
    s = view.state
    out = [
        Scenario(
            label=_("This view"),
            breakdown=(view.fits[0].estimate if view.fits else view.estimate).per_gpu,
            detail=view.config_line,
            facets=facets(view),
        )
    ]
    problems: list[str] = []
    current = pin_token(s) if s.src == "preset" else None
    for i, token in enumerate(s.pins, start=1):
        if token == current:
            continue
        pv, problem = pinned_view(token, s, cat)  # validated like the URL
        if problem:
            problems.append(Message("Pinned scenario {i}: {problem}.", i=i, problem=problem))
        if pv is None:
            continue
        out.append(
            Scenario(
                label=f"Pin {i}",
                breakdown=(pv.fits[0].estimate if pv.fits else pv.estimate).per_gpu,
                detail=pv.config_line,
                facets=facets(pv),
            )
        )
    return out, problems
