"""The Streamlit page: it only wires state -> calculators -> figures (app.py calls ``main``).

Read the URL (typed codec) once per session, bind widgets to session keys (:mod:`dashboard.session`,
:mod:`dashboard.sidebar`), build the view with the pure :func:`dashboard.view.build_view`, render
tables (:mod:`dashboard.tables`) and figures (:mod:`dashboard.figures`), write the URL back.
Kept in a module rather than in app.py: Streamlit re-parses the entry script on every rerun (its
"magic" AST pass), while an imported module is compiled once.
"""

from __future__ import annotations

import streamlit as st

from calculators import Message, format_bytes
from dashboard.bounds import cap_notices
from dashboard.figures import breakdown_figure, concurrency_figure, plotly_config
from dashboard.formulas import formulas_markdown
from dashboard.i18n import _, set_language, tr
from dashboard.pins import pin_controls, scenarios
from dashboard.plan_section import plan_section
from dashboard.plan_view import context_text, longest_contexts
from dashboard.session import (
    KEY_NOTICES,
    WIDGET_KEYS,
    catalog,
    current_state,
    init_session,
    keep_hidden_widget_values,
    md_escape,
)
from dashboard.sidebar import sidebar
from dashboard.state import encode
from dashboard.tables import breakdown_table, fit_table, methods_table
from dashboard.view import build_view, parameters_text


def main() -> None:
    cat = catalog()
    init_session(cat)
    keep_hidden_widget_values()
    set_language(st.session_state[WIDGET_KEYS["lang"]])  # every text below is in this language
    st.set_page_config(page_title=_("LLM VRAM Planner"), layout="wide")
    uploaded = sidebar(cat)
    state = current_state()
    view = build_view(state, cat, uploaded)
    if encode(view.state) != st.query_params.to_dict():
        st.query_params.from_dict(encode(view.state))

    st.title(_("LLM VRAM Planner"))
    st.caption(
        _(
            "How much GPU memory a model needs when served, where it goes, and how many concurrent "
            "requests fit. Sizes in GiB (2^30 bytes) unless GB (10^9) is chosen. "
            "The address bar holds this whole view: copy it to share."
        )
    )
    for notice in cap_notices([*st.session_state.get(KEY_NOTICES, []), *view.notices]):
        st.warning(md_escape(tr(notice)))
    for err in cap_notices([Message("Preset problem: {problem}", problem=e) for e in cat.errors]):
        st.error(md_escape(tr(err)))
    st.session_state[KEY_NOTICES] = []

    st.subheader(md_escape(view.model_text))
    st.caption(md_escape(f"{parameters_text(view.model)} · {view.config_line}"))
    u = state.unit
    est = view.fits[0].estimate if view.fits else view.estimate
    b = est.per_gpu
    m1, m2, m3, m4 = st.columns(4)
    m1.metric(
        _("Total per GPU @ {n} requests").format(n=view.state.conc), format_bytes(b.total_bytes, u)
    )
    m2.metric(_("Weights per GPU"), format_bytes(b.weights_bytes, u))
    m3.metric(
        _("KV cache per request ({ctx:,} tokens)").format(ctx=view.state.ctx),
        format_bytes(
            est.stages[est.limiting_stage].kv_request_bytes(view.state.ctx, view.state.batch), u
        ),
    )
    m4.metric(_("KV per token (all layers)"), f"{est.kv_bytes_per_token / 1024:,.1f} KiB")

    if view.fits:
        longest = [context_text(c) for c in longest_contexts(view)]
        st.dataframe(fit_table(view, longest), hide_index=True, width="stretch")
    else:
        st.info(_("Pick one or more GPUs in the sidebar to see fit, headroom and capacity."))

    st.plotly_chart(
        concurrency_figure(view, validate=False),
        config=plotly_config(view, "concurrency"),
        key="chart_concurrency",
    )
    if view.state.method != "article" and view.fits:
        st.caption(md_escape(" · ".join(tr(n) for n in view.fits[0].estimate.notes)))
    if view.fits and view.methods:
        st.markdown(
            _(
                "**Max concurrent requests of {ctx:,} tokens by method** — the article's "
                "activations grow with every request; serving engines reserve one flat "
                "activation peak."
            ).format(ctx=view.state.ctx)
        )
        st.dataframe(methods_table(view), hide_index=True, width="stretch")

    st.markdown("#### " + _("Compare scenarios"))
    pin_controls(view.state)
    scen, problems = scenarios(view, cat)
    for p in cap_notices(problems):
        st.warning(md_escape(tr(p)))
    gpu_text = view.fits[0].gpu.name if view.fits else _("no GPU selected")
    fig = breakdown_figure(  # specs are validated by the tests; the live path skips it (~5 ms)
        scen,
        u,
        _("Memory per GPU by component — {model}").format(model=view.short_model_label),
        _("{config} · current on {gpu}").format(config=view.config_line, gpu=gpu_text),
        validate=False,
    )
    st.plotly_chart(fig, config=plotly_config(view, "breakdown"), key="chart_breakdown")

    table = breakdown_table(view)
    st.dataframe(table, hide_index=True, width="stretch")
    st.download_button(
        _("Download breakdown (CSV)"),
        table.to_csv(index=False).encode("utf-8"),
        file_name=plotly_config(view, "breakdown")["toImageButtonOptions"]["filename"] + ".csv",  # type: ignore[index]
        mime="text/csv",
    )
    plan_section(view, cat)

    with st.expander(_("Formulas with the current values")):
        st.markdown(formulas_markdown(view))
