"""The sidebar: every input of the view (model source, workload, method, GPUs), bound to the
session keys of :mod:`dashboard.session`. Returns the uploaded model, if any."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from calculators import KV_DTYPES, MAX_CONFIG_BYTES, METHODS, WEIGHT_FORMATS, Message, ModelSpec
from dashboard.bounds import CONC_STEPS, CONTEXT_STEPS, FLOAT_BOUNDS, INT_BOUNDS, PARAM_STEPS_B
from dashboard.hub_source import hub_input
from dashboard.i18n import LANGUAGES, _, native_name, tr
from dashboard.session import (
    KEY_EXPORT,
    KEY_LINK_CONFIG,
    KEY_UPLOAD,
    WIDGET_KEYS,
    catalog,
    md_escape,
)
from dashboard.state import MAX_GPUS, named_config
from dashboard.view import read_uploaded_config
from model_sources import LoadedModel
from presets import PresetCatalog


def on_model_change() -> None:
    """Switching presets fills the architecture: native context, default format, custom fields."""
    preset = catalog().models.get(st.session_state[WIDGET_KEYS["model"]])
    if preset is None:
        return
    st.session_state[WIDGET_KEYS["weights"]] = preset.default_weight_format
    if st.session_state[WIDGET_KEYS["ctx"]] > preset.native_context:
        st.session_state[WIDGET_KEYS["ctx"]] = preset.native_context
    spec = preset.spec
    st.session_state[WIDGET_KEYS["c_params_b"]] = round(preset.official_parameters / 1e9, 3)
    st.session_state[WIDGET_KEYS["c_layers"]] = spec.num_hidden_layers
    st.session_state[WIDGET_KEYS["c_hidden"]] = spec.hidden_size
    st.session_state[WIDGET_KEYS["c_heads"]] = spec.num_attention_heads
    st.session_state[WIDGET_KEYS["c_kv_heads"]] = spec.num_key_value_heads
    st.session_state[WIDGET_KEYS["c_head_dim"]] = spec.effective_head_dim
    st.session_state[WIDGET_KEYS["c_vocab"]] = spec.vocab_size


# Numeric widgets take their range and step from dashboard.bounds, as the URL codec does.
def int_input(where: DeltaGenerator, label: str, name: str, **kw: Any) -> None:
    b = INT_BOUNDS[name]
    where.number_input(label, b.lo, b.hi, key=WIDGET_KEYS[name], step=b.step, **kw)


def float_input(where: DeltaGenerator, label: str, name: str, **kw: Any) -> None:
    b = FLOAT_BOUNDS[name]
    where.number_input(label, b.lo, b.hi, key=WIDGET_KEYS[name], step=b.step, **kw)


def float_slider(where: DeltaGenerator, label: str, name: str, **kw: Any) -> None:
    b = FLOAT_BOUNDS[name]
    where.slider(label, b.lo, b.hi, key=WIDGET_KEYS[name], step=b.step, **kw)


# The article's worked example (its sections 一-五): 72e9 parameters at 8 bits (factor 4 from
# FP32), 48 layers, head_dim 128, 32 heads (multi-head), hidden 4096, 12,000 tokens, batch 1,
# FP16 KV and activations, alpha 0.15, no separate vocabulary. Total 96,955,776,000 bytes.
ARTICLE_EXAMPLE: dict[str, object] = {
    "src": "custom",
    "c_params_b": 72.0,
    "c_layers": 48,
    "c_hidden": 4096,
    "c_heads": 32,
    "c_kv_heads": 32,
    "c_head_dim": 128,
    "c_vocab": 0,
    "weights": "int8",
    "kv": "fp16",
    "ctx": 12_000,
    "conc": 1,
    "batch": 1,
    "avg": 2048,
    "method": "article",
    "alpha": 0.15,
    "tp": 1,
    "pp": 1,
    "dp": 1,
    "unit": "GB",
}


def load_article_example() -> None:
    for name, value in ARTICLE_EXAMPLE.items():
        st.session_state[WIDGET_KEYS[name]] = value


def _copy(src: str, dst: str) -> None:
    st.session_state[dst] = st.session_state[src]


def stepped(
    label: str,
    name: str,
    steps: tuple[int, ...] | tuple[float, ...],
    fmt: str,
    help: str | None = None,
    exact_label: str = "",
) -> None:
    """A select-slider over ``steps`` (plus the current value) and an exact number entry below
    it, both bound to the state field ``name`` (the entry through a shadow key); the range is
    the field's bound in dashboard.bounds, as for the URL codec."""
    k = WIDGET_KEYS[name]
    shadow = f"exact_{name}"
    value = st.session_state[k]
    options = sorted({*steps, value})
    st.sidebar.select_slider(label, options, key=k, format_func=lambda v: format(v, fmt), help=help)
    st.session_state[shadow] = st.session_state[k]
    is_int = name in INT_BOUNDS
    b = INT_BOUNDS[name] if is_int else FLOAT_BOUNDS[name]
    st.sidebar.number_input(
        exact_label,
        b.lo,
        b.hi,
        key=shadow,
        step=1 if is_int else 0.1,
        format=None if is_int else "%.3f",
        on_change=_copy,
        args=(shadow, k),
    )


def sidebar(cat: PresetCatalog) -> tuple[ModelSpec | LoadedModel | None, str | None]:
    """Draw every sidebar section; the uploaded model (if the source is an upload) comes back,
    or the problem that kept it out."""
    language_input()
    upload = model_inputs(cat)
    workload_inputs(cat)
    method_inputs()
    gpu_inputs(cat)
    speed_inputs()
    return upload


def _labels(labels: Mapping[Any, str]) -> Callable[[Any], str]:
    """A widget's option labels, translated now (in this run's language), not when Streamlit
    or AppTest later calls the format function from another thread."""
    return lambda option: labels.get(option, str(option))


def language_input() -> None:
    """中文 / English: each language named in itself; the choice goes into the share link."""
    st.sidebar.radio(
        _("Language"),
        LANGUAGES,
        key=WIDGET_KEYS["lang"],
        horizontal=True,
        format_func=_labels({lang: native_name(lang) for lang in LANGUAGES}),
    )


def model_inputs(cat: PresetCatalog) -> tuple[ModelSpec | LoadedModel | None, str | None]:
    """Model source: a preset, an architecture by hand, an uploaded config.json, or a Hugging
    Face id (:mod:`dashboard.hub_source`)."""
    k = WIDGET_KEYS
    sb = st.sidebar
    sb.header(_("Model"))
    sb.button(
        _("Article's worked example"),
        on_click=load_article_example,
        help=_(
            "72e9 parameters at 8 bits, 48 layers, 32 heads, head_dim 128, hidden 4096, "
            "12,000 tokens, FP16 KV, α 0.15: 96,955,776,000 bytes, as the source article computes."
        ),
    )
    sources = {
        "preset": _("Preset"),
        "custom": _("By hand"),
        "upload": "config.json",
        "hf": _("Hugging Face id"),
    }
    sb.radio(
        _("Model source"),
        list(sources),
        key=k["src"],
        horizontal=True,
        format_func=_labels(sources),
    )
    src = st.session_state[k["src"]]
    uploaded: ModelSpec | None = None
    problem: str | None = None
    if src == "hf":
        return hub_input(), None
    if src == "preset":
        ids = sorted(
            cat.models,
            key=lambda i: (cat.models[i].family, cat.models[i].spec.num_hidden_layers, i),
        )
        if st.session_state[k["model"]] not in cat.models:
            st.session_state[k["model"]] = ids[0]
        sb.selectbox(
            _("Model preset (type to search)"),
            ids,
            key=k["model"],
            on_change=on_model_change,
            format_func=lambda i: f"{cat.models[i].family} · {cat.models[i].name}",
        )
    elif src == "custom":
        stepped(
            _("Parameters (billions)"),
            "c_params_b",
            PARAM_STEPS_B,
            ",g",
            exact_label=_("Parameters, exact (billions)"),
        )
        c1, c2 = sb.columns(2)
        int_input(c1, _("Layers"), "c_layers")
        int_input(c2, _("Hidden size"), "c_hidden")
        int_input(c1, _("Attention heads"), "c_heads")
        int_input(c2, _("KV heads"), "c_kv_heads")
        int_input(c1, _("Head dim"), "c_head_dim")
        int_input(
            c2,
            _("Vocabulary"),
            "c_vocab",
            help=_(
                "Embeddings and lm_head are kept at 16 bits in quantised formats; "
                "0 counts them with the other parameters (as the article does)."
            ),
        )
    else:
        file = sb.file_uploader(
            _("Hugging Face config.json"),
            type=["json"],
            key=KEY_UPLOAD,
            help=_("At most {kb} kB; read as data, never executed.").format(
                kb=MAX_CONFIG_BYTES // 1000
            ),
        )
        if file is not None:
            uploaded, problem = read_uploaded_config(file.name, file.getvalue())
            if problem:
                sb.error(
                    _("That file cannot be used: {problem}").format(problem=md_escape(tr(problem)))
                )
            else:
                # the share link carries it, under the name shown here
                assert uploaded is not None
                st.session_state[KEY_LINK_CONFIG] = named_config(file.getvalue(), uploaded.name)
        elif st.session_state.get(KEY_LINK_CONFIG):
            uploaded, problem = read_uploaded_config(
                Message("config.json from the link"), st.session_state[KEY_LINK_CONFIG]
            )
            if uploaded is not None:
                sb.caption(
                    _("Model from the share link: **{name}**. Upload a file to replace it.").format(
                        name=md_escape(uploaded.name)
                    )
                )
            else:
                sb.error(
                    _("The link's config.json cannot be used: {problem}").format(
                        problem=md_escape(tr(problem or ""))
                    )
                )
    return uploaded, problem


def workload_inputs(cat: PresetCatalog) -> None:
    """Weight format, KV dtype, context, concurrency, batch and average request length."""
    k = WIDGET_KEYS
    sb = st.sidebar
    src = st.session_state[k["src"]]
    sb.header(_("Workload"))
    by_bits = sorted(
        WEIGHT_FORMATS, key=lambda f: (-WEIGHT_FORMATS[f].linear_bits, WEIGHT_FORMATS[f].label)
    )
    sb.select_slider(
        _("Weight format (quantisation)"),
        by_bits,
        key=k["weights"],
        format_func=_labels({f: format_label(f) for f in by_bits}),
        help=_(
            "Ordered by bits per weight of the quantised layers (scales included); the factor "
            "is the article's quantization factor: FP32 bytes ÷ this format's bytes (8-bit: 4, "
            "16-bit: 2)."
        ),
    )
    sb.selectbox(
        _("KV cache dtype"),
        ["auto", *KV_DTYPES],
        key=k["kv"],
        format_func=_labels(
            {"auto": _("auto (model dtype)")} | {d: tr(v.label) for d, v in KV_DTYPES.items()}
        ),
    )
    native = (
        cat.models[st.session_state[k["model"]]].native_context
        if src == "preset" and st.session_state[k["model"]] in cat.models
        else 1_048_576
    )
    stepped(
        _("Context length (tokens per request)"),
        "ctx",
        (*(s for s in CONTEXT_STEPS if s <= native), native),
        ",d",
        help=_("Native maximum of this model: {native:,} tokens.").format(native=native),
        exact_label=_("Context, exact (tokens)"),
    )
    stepped(
        _("Concurrent requests"),
        "conc",
        CONC_STEPS,
        ",d",
        exact_label=_("Concurrent requests, exact"),
    )
    c1, c2 = sb.columns(2)
    int_input(
        c1, _("Batch per request"), "batch", help=_("The article's batch: sequences per request.")
    )
    ctx = st.session_state[k["ctx"]]
    if st.session_state[k["avg"]] > ctx:
        st.session_state[k["avg"]] = ctx
    c2.number_input(
        _("Avg. tokens/request"),
        INT_BOUNDS["avg"].lo,
        min(ctx, INT_BOUNDS["avg"].hi),
        key=k["avg"],
        help=_(
            "Prompt + output tokens a request really holds; paged engines (vLLM, SGLang) "
            "reserve only these."
        ),
    )


def method_inputs() -> None:
    """The estimation method and its engine's settings."""
    k = WIDGET_KEYS
    sb = st.sidebar
    sb.header(_("Method"))
    sb.radio(
        _("Estimation method"),
        list(METHODS),
        key=k["method"],
        format_func=_labels({m: tr(v.label) for m, v in METHODS.items()}),
    )
    method = st.session_state[k["method"]]
    if method == "article":
        float_slider(sb, _("Overhead α (article: 0.10–0.20)"), "alpha")
    elif method == "vllm":
        sb.select_slider(
            _("vLLM version"),
            ["0.6", "0.19", "0.21"],
            key=k["ev"],
            help=_(
                "0.6: V0 engine. 0.19: V1, CUDA graphs not subtracted. 0.21+: CUDA graphs "
                "subtracted, utilisation default 0.92."
            ),
        )
        float_slider(sb, "gpu_memory_utilization", "util")
        c1, c2 = sb.columns(2)
        int_input(c1, "max_num_batched_tokens", "mnbt")
        int_input(c2, "max_num_seqs", "mns")
    elif method == "sglang":
        float_slider(sb, _("mem_fraction_static (0 = SGLang's default for the GPU)"), "mfs")
    else:
        c1, c2 = sb.columns(2)
        int_input(c1, "n_ubatch", "ubatch")
        c2.selectbox(
            _("Flash attention"),
            [1, 0],
            key=k["fa"],
            format_func=_labels({1: _("on"), 0: _("off")}),
        )


def gpu_inputs(cat: PresetCatalog) -> None:
    """GPU thresholds, parallelism (TP, PP, replicas) and the display unit."""
    k = WIDGET_KEYS
    sb = st.sidebar
    sb.header(_("GPUs"))
    gids = list(cat.gpus)
    st.session_state[k["gpus"]] = [g for g in st.session_state[k["gpus"]] if g in cat.gpus]
    sb.multiselect(
        _("GPU thresholds"),
        gids,
        key=k["gpus"],
        max_selections=MAX_GPUS,
        format_func=_labels(
            {
                g: _("{gpu} ({gib:,.1f} GiB usable)").format(gpu=p.name, gib=p.memory_bytes / 2**30)
                for g, p in cat.gpus.items()
            }
        ),
        placeholder=_("Choose GPUs"),
    )
    c1, c2 = sb.columns(2)
    int_input(c1, _("Tensor parallel (GPUs)"), "tp")
    int_input(c2, _("Pipeline stages"), "pp")
    int_input(
        sb,
        _("Replicas (data parallel)"),
        "dp",
        help=_(
            "GPUs in all = TP × PP × replicas. Memory per GPU is the same; capacity multiplies."
        ),
    )
    sb.radio(
        _("Unit"),
        ["GiB", "GB"],
        key=k["unit"],
        horizontal=True,
        help=_(
            "GiB = 2^30 bytes (what GPUs and engines report); GB = 10^9 bytes (how vendors "
            "market memory)."
        ),
    )
    sb.radio(
        _("Chart download (camera icon)"),
        ["png", "svg"],
        key=KEY_EXPORT,
        horizontal=True,
        format_func=_labels({"png": _("PNG, 2× (slides)"), "svg": _("SVG (vector)")}),
        help=_("1280 px wide with title and configuration: fits a 16:9 slide under its own title."),
    )


def format_label(f: str) -> str:
    """'GGUF Q4_K_M · 4.8 bpw · factor 6.67': format, bits per weight, quantization factor."""
    w = WEIGHT_FORMATS[f]
    return _("{label} · {bpw:g} bpw · factor {factor:.3g}").format(
        label=tr(w.label), bpw=float(w.linear_bits), factor=float(w.quant_factor)
    )


def speed_inputs() -> None:
    """The speed chart's request lengths and its optional service-level objective (SLO)."""
    k = WIDGET_KEYS
    sb = st.sidebar
    sb.header(_("Speed"))
    c1, c2 = sb.columns(2)
    int_input(c1, _("Input tokens"), "in_tok", help=_("Prompt tokens per request (speed chart)."))
    int_input(
        c2, _("Output tokens"), "out_tok", help=_("Generated tokens per request (speed chart).")
    )
    sb.radio(
        _("Speed target (SLO)"),
        [0, 1],
        key=k["slo"],
        horizontal=True,
        format_func=_labels({1: _("on"), 0: _("off")}),
        help=_("With a target, the fit table adds the most concurrent users that still meet it."),
    )
    if st.session_state[k["slo"]]:
        c1, c2 = sb.columns(2)
        float_input(c1, _("Min tokens/s per user"), "slo_tps", format="%.1f")
        float_input(c2, _("Max TTFT (s)"), "slo_ttft", format="%.2f")
