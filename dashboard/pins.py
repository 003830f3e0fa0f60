"""Pinned scenarios: the pin buttons and the scenarios the compare chart shows."""

from __future__ import annotations

import streamlit as st

from calculators import Message
from dashboard.figures import Scenario
from dashboard.i18n import _, tr
from dashboard.session import WIDGET_KEYS
from dashboard.state import MAX_PINS, ViewState, pin_token
from dashboard.view import View, pinned_view
from presets import PresetCatalog


def pin_controls(state: ViewState) -> None:
    c1, c2, _rest = st.columns([1, 1, 4])
    pins = list(st.session_state[WIDGET_KEYS["pins"]])
    if c1.button(
        _("Pin this scenario"),
        disabled=state.src != "preset" or len(pins) >= MAX_PINS,
        help=_("Compare up to {n} pinned scenarios side by side (presets only).").format(
            n=MAX_PINS
        ),
    ):
        token = pin_token(state)
        if token not in pins:
            st.session_state[WIDGET_KEYS["pins"]] = [*pins, token]
            st.rerun()
    if c2.button(_("Clear pins"), disabled=not pins):
        st.session_state[WIDGET_KEYS["pins"]] = []
        st.rerun()


def scenarios(view: View, cat: PresetCatalog) -> tuple[list[Scenario], list[str]]:
    s = view.state
    out = [
        Scenario(
            label=_("Current"),
            breakdown=(view.fits[0].estimate if view.fits else view.estimate).per_gpu,
            detail=view.config_line,
        )
    ]
    problems: list[str] = []
    for i, token in enumerate(s.pins, start=1):
        pv, problem = pinned_view(token, s, cat)  # validated like the URL
        if problem:
            problems.append(Message("Pinned scenario {i}: {problem}.", i=i, problem=problem))
        if pv is None:
            continue
        gpu = pv.fits[0].gpu.name if pv.fits else _("no GPU")
        tp = pv.state.tp * pv.state.pp
        label = f"{i}. {pv.short_model_label[:28]}<br>{tr(pv.weights_label)} · {gpu}{' × ' + str(tp) if tp > 1 else ''}"
        out.append(
            Scenario(
                label=label,
                breakdown=(pv.fits[0].estimate if pv.fits else pv.estimate).per_gpu,
                detail=pv.config_line,
            )
        )
    return out, problems
