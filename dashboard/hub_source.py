"""The "Hugging Face id" model source of the sidebar: a text input, fetched once per id and
revision (``st.cache_data``: the answer, or the one-line reason it cannot be read, is kept for
:data:`HUB_CACHE_TTL_S`, so a slider move never fetches again), errors shown as messages while
the app keeps working with the default preset.

The fetch is :func:`model_sources.hub.load_hub_model` (huggingface_hub and its cache,
``HF_TOKEN``, ``HF_ENDPOINT``, timeouts and a deadline); this module only wires it.
"""

from __future__ import annotations

from typing import Final

import streamlit as st

from calculators.messages import message_of
from dashboard.i18n import _, tr
from dashboard.session import WIDGET_KEYS, md_escape
from model_sources import LoadedModel, SourceError
from model_sources.hub import load_hub_model, parse_hub_id

HUB_CACHE_TTL_S: Final[int] = 600  # a failed fetch is tried again after 10 minutes (or on request)
HUB_CACHE_ENTRIES: Final[int] = 64


@st.cache_data(show_spinner=False, ttl=HUB_CACHE_TTL_S, max_entries=HUB_CACHE_ENTRIES)
def fetch_hub_model(model_id: str) -> tuple[LoadedModel | None, str | None]:
    """The model behind ``model_id`` (validated), or the one-line reason it cannot be read;
    cached per id and revision, failures included."""
    try:
        return load_hub_model(model_id), None
    except SourceError as e:
        return None, message_of(e)  # a Message: translated where it is shown


def on_hub_id_change() -> None:
    """A new id: its checkpoint's weight format becomes the chosen one (as a preset's does)."""
    try:
        model_id = str(parse_hub_id(str(st.session_state[WIDGET_KEYS["hf"]]).strip()))
    except SourceError:
        return
    loaded, _problem = fetch_hub_model(model_id)
    if loaded is not None and loaded.default_weight_format:
        st.session_state[WIDGET_KEYS["weights"]] = loaded.default_weight_format


def hub_input() -> LoadedModel | None:
    """Draw the id input; the fetched model, or None with the reason shown."""
    sb = st.sidebar
    sb.text_input(
        _("Hugging Face id (org/name or org/name@revision)"),
        key=WIDGET_KEYS["hf"],
        max_chars=300,
        placeholder="Qwen/Qwen3-8B",
        on_change=on_hub_id_change,
        help=_(
            "config.json and the safetensors headers are read from the Hub (HF_TOKEN for gated "
            "models, HF_ENDPOINT for a mirror); the weights themselves are never downloaded."
        ),
    )
    text = str(st.session_state[WIDGET_KEYS["hf"]]).strip()
    if not text:
        sb.info(_("Type a model id such as Qwen/Qwen3-8B."))
        return None
    try:
        model_id = str(parse_hub_id(text))
    except SourceError as e:
        sb.error(md_escape(tr(message_of(e))))
        return None
    with sb, st.spinner(_("Reading the model from the Hugging Face Hub…")):
        loaded, problem = fetch_hub_model(model_id)
    if problem is not None:
        sb.error(md_escape(tr(problem)))
        if sb.button(_("Try again"), key="hub_retry"):
            fetch_hub_model.clear()
            st.rerun()
        return None
    assert loaded is not None
    sb.caption(md_escape(loaded.source))
    return loaded
