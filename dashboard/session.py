"""Session state of the Streamlit page: widget keys (declared in one place), the preset catalog
cache, the URL read once per session, and the current :class:`ViewState` read from the widgets."""

from __future__ import annotations

import re
from dataclasses import fields, replace
from typing import Any

import streamlit as st

from calculators import MAX_CONFIG_BYTES, Message
from dashboard.i18n import locale_language
from dashboard.state import ViewState, decode, decode_config
from dashboard.view import check_ids
from presets import PresetCatalog, load_builtin_catalog

# Session keys, declared in one place: one widget key per ViewState field ("w_<field>").
WIDGET_KEYS = {f.name: f"w_{f.name}" for f in fields(ViewState)}
KEY_NOTICES = "url_notices"
KEY_UPLOAD = "upload_file"
KEY_LINK_CONFIG = "link_config"  # bytes of the uploaded config.json (from a file or a link)
KEY_EXPORT = "export_format"  # chart download format: a preference, not part of the view
KEY_INITIALISED = "initialised"
KEY_PERSISTED = "persisted_state"


@st.cache_resource(show_spinner=False)
def catalog() -> PresetCatalog:
    """Presets are immutable: load and validate the YAML once per server process."""
    return load_builtin_catalog()


def md_escape(text: str) -> str:
    """User text shown through Markdown: escape every Markdown/HTML control character."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|<>~&$:])", r"\\\1", text)


def init_session(cat: PresetCatalog) -> None:
    if st.session_state.get(KEY_INITIALISED):
        return
    # every copy of a repeated parameter, so that decode can say which one it takes
    params = {k: st.query_params.get_all(k) for k in st.query_params}
    state, notices = decode(params)
    if "lang" not in st.query_params:  # a first visit follows the browser's language
        state = replace(state, lang=locale_language(st.context.locale))
    if params.get("cfg"):
        try:
            st.session_state[KEY_LINK_CONFIG] = decode_config(params["cfg"][0], MAX_CONFIG_BYTES)
        except ValueError as e:
            notices.append(
                Message(
                    "URL parameter 'cfg' (the link's config.json) {problem}; its model cannot "
                    "be shown.",
                    problem=e.args[0],
                )
            )
    state, more = check_ids(state, cat)  # widgets need ids that exist among their options
    notices.extend(more)
    for name, key in WIDGET_KEYS.items():
        value = getattr(state, name)
        st.session_state[key] = list(value) if isinstance(value, tuple) else value
    st.session_state[KEY_NOTICES] = notices
    st.session_state[KEY_INITIALISED] = True


def keep_hidden_widget_values() -> None:
    """Streamlit forgets the value of a widget that a run does not draw (e.g. the vLLM settings
    while the article's method is shown). Keep every value and restore it before drawing."""
    saved: dict[str, Any] = st.session_state.setdefault(KEY_PERSISTED, {})
    present = set(st.session_state.keys())  # one snapshot: each `in` would rebuild it
    for name, key in WIDGET_KEYS.items():
        if key in present:
            saved[name] = st.session_state[key]
        elif name in saved:
            st.session_state[key] = saved[name]
        else:
            default = getattr(ViewState(), name)
            st.session_state[key] = list(default) if isinstance(default, tuple) else default


def current_state() -> ViewState:
    values: dict[str, Any] = {}
    for name, key in WIDGET_KEYS.items():
        v = st.session_state.get(key)
        values[name] = tuple(v) if isinstance(v, list) else v
    return ViewState(**values)
