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
from dashboard.chart_spec import figure_height
from dashboard.figures import compare_figure, concurrency_figure, plotly_config
from dashboard.formulas import formulas_markdown
from dashboard.i18n import _, ngettext, set_language, tr
from dashboard.pins import pin_controls, scenarios
from dashboard.plan_section import plan_section
from dashboard.plan_view import context_text, longest_contexts
from dashboard.session import (
    KEY_EXPORT,
    KEY_LINK_CONFIG,
    KEY_NOTICES,
    WIDGET_KEYS,
    catalog,
    current_state,
    init_session,
    keep_hidden_widget_values,
    md_escape,
)
from dashboard.sidebar import sidebar
from dashboard.speed_figure import speed_figure
from dashboard.speed_view import SpeedView, speed_view
from dashboard.state import encode_link
from dashboard.tables import breakdown_table, fit_table, methods_table
from dashboard.view import View, build_view, parameters_text


def main() -> None:
    cat = catalog()
    init_session(cat)
    keep_hidden_widget_values()
    set_language(st.session_state[WIDGET_KEYS["lang"]])  # every text below is in this language
    st.set_page_config(page_title=_("LLM VRAM Planner"), layout="wide")
    uploaded, upload_problem = sidebar(cat)
    state = current_state()
    view = build_view(state, cat, uploaded, upload_problem)
    export = str(st.session_state.get(KEY_EXPORT) or "png")
    link, link_notices = encode_link(view.state, st.session_state.get(KEY_LINK_CONFIG))
    if link != st.query_params.to_dict():
        st.query_params.from_dict(link)

    st.title(_("LLM VRAM Planner"))
    st.caption(
        _(
            "How much GPU memory a model needs when served, where it goes, and how many concurrent "
            "requests fit. Sizes in GiB (2^30 bytes) unless GB (10^9) is chosen. "
            "The address bar holds this whole view (pins and an uploaded config.json included): "
            "copy it to share; anything it cannot hold is named here."
        )
    )
    for notice in cap_notices(
        [*st.session_state.get(KEY_NOTICES, []), *view.notices, *link_notices]
    ):
        st.warning(md_escape(tr(notice)))
    for err in cap_notices([Message("Preset problem: {problem}", problem=e) for e in cat.errors]):
        st.error(md_escape(tr(err)))
    st.session_state[KEY_NOTICES] = []

    st.subheader(md_escape(view.model_text))
    st.caption(md_escape(f"{parameters_text(view.model)} · {view.config_line}"))
    if view.weights_origin_text:
        st.caption(md_escape(view.weights_origin_text))
    u = state.unit
    est = view.fits[0].estimate if view.fits else view.estimate
    b = est.per_gpu
    conc = view.state.conc
    state_per_request = est.state_bytes_per_request
    m1, m2, m3, m4, *m5 = st.columns(5 if state_per_request else 4)
    m1.metric(
        ngettext("Total per GPU @ {n:,} request", "Total per GPU @ {n:,} requests", conc).format(
            n=conc
        ),
        format_bytes(b.total_bytes, u),
    )
    m2.metric(_("Weights per GPU"), format_bytes(b.weights_bytes, u))
    m3.metric(
        _("KV cache per request ({ctx:,} tokens)").format(ctx=view.state.ctx),
        format_bytes(
            est.stages[est.limiting_stage].kv_request_bytes(view.state.ctx, view.state.batch), u
        ),
    )
    per_token = est.kv_bytes_per_token  # binary KiB beside GiB, decimal kB beside GB
    m4.metric(
        _("KV per token (all layers)"),
        f"{per_token / 1024:,.1f} KiB" if u == "GiB" else f"{per_token / 1000:,.1f} kB",
    )
    if m5:
        m5[0].metric(
            _("State (Mamba/linear attention) per request"), format_bytes(state_per_request, u)
        )

    speed = speed_view(view) if view.fits else None
    if view.fits:
        longest = [context_text(c) for c in longest_contexts(view)]
        st.dataframe(fit_table(view, speed, longest), hide_index=True, width="stretch")
    else:
        st.info(_("Pick one or more GPUs in the sidebar to see fit, headroom and capacity."))

    conc_fig = concurrency_figure(view, validate=False)
    st.plotly_chart(
        conc_fig,
        config=plotly_config(view, "concurrency", export, figure_height(conc_fig)),
        key="chart_concurrency",
    )
    if view.state.method != "article" and view.fits:
        st.caption(md_escape(" · ".join(tr(n) for n in view.fits[0].estimate.notes)))
    if speed is not None:
        render_speed(view, speed)
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
    fig = compare_figure(scen, u, validate=False)  # a ChartSpec: the tests validate the spec
    st.plotly_chart(
        fig,
        config=plotly_config(view, "compare", export, figure_height(fig)),
        key="chart_breakdown",
    )

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


def render_speed(view: View, speed: SpeedView) -> None:
    """The speed chart under the memory chart, and what it could not draw."""
    s = view.state
    slo = (s.slo_tps, s.slo_ttft) if s.slo else None
    parts = [
        _("{weights} weights · KV {kv} · {i:,} in / {o:,} out tokens · TP {tp}").format(
            weights=tr(view.weights_label), kv=tr(view.kv_label), i=s.in_tok, o=s.out_tok, tp=s.tp
        )
    ]
    if s.pp > 1:
        parts.append(f"PP {s.pp}")
    if s.dp > 1:
        parts.append(_("{n} replicas").format(n=s.dp))
    parts.append(_("{engine} engine model").format(engine=speed.engine))
    fig = speed_figure(
        speed,
        _("Speed vs concurrent users — {model}").format(model=view.model_label.split(" (")[0]),
        " · ".join(parts),
        slo,
        validate=False,
    )
    st.plotly_chart(fig, config=plotly_config(view, "speed"), key="chart_speed")
    notes = [tr(n) for n in speed.notes]
    notes += [f"{line.gpu.name}: {tr(line.problem)}" for line in speed.lines if line.problem]
    notes += [
        _("{gpu}: no request of {n:,} tokens fits in memory").format(
            gpu=line.gpu.name, n=s.in_tok + s.out_tok
        )
        for line in speed.lines
        if not line.problem and line.fits < 1
    ]
    notes.append(
        _(
            "Speed model: fitted on public vLLM / TensorRT-LLM measurements; median error on "
            "held-back data TPOT 12 %, TTFT 21 % (see docs/accuracy.md)."
        )
    )
    st.caption(md_escape(" · ".join(notes)))
