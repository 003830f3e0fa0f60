"""The sidebar: every input of the view (model source, workload, method, GPUs), bound to the
session keys of :mod:`dashboard.session`. Returns the uploaded model, if any."""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from calculators import KV_DTYPES, MAX_CONFIG_BYTES, METHODS, WEIGHT_FORMATS, ModelSpec
from dashboard.bounds import FLOAT_BOUNDS, INT_BOUNDS
from dashboard.session import KEY_UPLOAD, WIDGET_KEYS, catalog, md_escape
from dashboard.state import CONTEXT_STEPS, MAX_GPUS
from dashboard.view import read_uploaded_config
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


def sidebar(cat: PresetCatalog) -> ModelSpec | None:
    """Draw every sidebar section; the uploaded model (if the source is an upload) comes back."""
    uploaded = model_inputs(cat)
    workload_inputs(cat)
    method_inputs()
    gpu_inputs(cat)
    return uploaded


def model_inputs(cat: PresetCatalog) -> ModelSpec | None:
    """Model source: a preset, an architecture by hand, or an uploaded config.json."""
    k = WIDGET_KEYS
    sb = st.sidebar
    sb.header("Model")
    sb.radio(
        "Model source",
        ["preset", "custom", "upload"],
        key=k["src"],
        horizontal=True,
        format_func={"preset": "Preset", "custom": "By hand", "upload": "config.json"}.get,
    )
    src = st.session_state[k["src"]]
    uploaded = None
    if src == "preset":
        ids = sorted(
            cat.models,
            key=lambda i: (cat.models[i].family, cat.models[i].spec.num_hidden_layers, i),
        )
        if st.session_state[k["model"]] not in cat.models:
            st.session_state[k["model"]] = ids[0]
        sb.selectbox(
            "Model preset (type to search)",
            ids,
            key=k["model"],
            on_change=on_model_change,
            format_func=lambda i: f"{cat.models[i].family} · {cat.models[i].name}",
        )
    elif src == "custom":
        float_input(sb, "Parameters (billions)", "c_params_b", format="%.3f")
        c1, c2 = sb.columns(2)
        int_input(c1, "Layers", "c_layers")
        int_input(c2, "Hidden size", "c_hidden")
        int_input(c1, "Attention heads", "c_heads")
        int_input(c2, "KV heads", "c_kv_heads")
        int_input(c1, "Head dim", "c_head_dim")
        int_input(c2, "Vocabulary", "c_vocab")
    else:
        file = sb.file_uploader(
            "Hugging Face config.json",
            type=["json"],
            key=KEY_UPLOAD,
            help=f"At most {MAX_CONFIG_BYTES // 1000} kB; read as data, never executed.",
        )
        if file is not None:
            uploaded, problem = read_uploaded_config(file.name, file.getvalue())
            if problem:
                sb.error(f"That config.json cannot be used: {md_escape(problem)}")
    return uploaded


def workload_inputs(cat: PresetCatalog) -> None:
    """Weight format, KV dtype, context, concurrency, batch and average request length."""
    k = WIDGET_KEYS
    sb = st.sidebar
    src = st.session_state[k["src"]]
    sb.header("Workload")
    sb.selectbox(
        "Weight format",
        list(WEIGHT_FORMATS),
        key=k["weights"],
        format_func=lambda f: (
            f"{WEIGHT_FORMATS[f].label} ({float(WEIGHT_FORMATS[f].linear_bits):g} bpw, "
            f"factor {float(WEIGHT_FORMATS[f].quant_factor):.3g})"
        ),
        help="Bits per weight of the quantised layers (scales included) and the article's quantization "
        "factor: FP32 bytes ÷ this format's bytes (8-bit: 4, 16-bit: 2).",
    )
    sb.selectbox(
        "KV cache dtype",
        ["auto", *KV_DTYPES],
        key=k["kv"],
        format_func=lambda d: "auto (model dtype)" if d == "auto" else KV_DTYPES[d].label,
    )
    native = (
        cat.models[st.session_state[k["model"]]].native_context
        if src == "preset" and st.session_state[k["model"]] in cat.models
        else 1_048_576
    )
    steps = sorted({s for s in CONTEXT_STEPS if s <= native} | {native, st.session_state[k["ctx"]]})
    sb.select_slider(
        "Context length (tokens per request)",
        steps,
        key=k["ctx"],
        format_func=lambda v: f"{v:,}",
        help=f"Native maximum of this model: {native:,} tokens.",
    )
    b = INT_BOUNDS["conc"]
    sb.slider("Concurrent requests", b.lo, b.hi, key=k["conc"], step=b.step)
    c1, c2 = sb.columns(2)
    int_input(c1, "Batch per request", "batch", help="The article's batch: sequences per request.")
    ctx = st.session_state[k["ctx"]]
    if st.session_state[k["avg"]] > ctx:
        st.session_state[k["avg"]] = ctx
    c2.number_input(
        "Avg. tokens/request",
        INT_BOUNDS["avg"].lo,
        min(ctx, INT_BOUNDS["avg"].hi),
        key=k["avg"],
        help="Prompt + output tokens a request really holds; paged engines (vLLM, SGLang) reserve only these.",
    )


def method_inputs() -> None:
    """The estimation method and its engine's settings."""
    k = WIDGET_KEYS
    sb = st.sidebar
    sb.header("Method")
    sb.radio(
        "Estimation method", list(METHODS), key=k["method"], format_func=lambda m: METHODS[m].label
    )
    method = st.session_state[k["method"]]
    if method == "article":
        float_slider(sb, "Overhead α (article: 0.10–0.20)", "alpha")
    elif method == "vllm":
        sb.select_slider(
            "vLLM version",
            ["0.6", "0.19", "0.21"],
            key=k["ev"],
            help="0.6: V0 engine. 0.19: V1, CUDA graphs not subtracted. 0.21+: CUDA graphs subtracted, utilisation default 0.92.",
        )
        float_slider(sb, "gpu_memory_utilization", "util")
        c1, c2 = sb.columns(2)
        int_input(c1, "max_num_batched_tokens", "mnbt")
        int_input(c2, "max_num_seqs", "mns")
    elif method == "sglang":
        float_slider(sb, "mem_fraction_static (0 = SGLang's default for the GPU)", "mfs")
    else:
        c1, c2 = sb.columns(2)
        int_input(c1, "n_ubatch", "ubatch")
        c2.selectbox(
            "Flash attention", [1, 0], key=k["fa"], format_func=lambda v: "on" if v else "off"
        )


def gpu_inputs(cat: PresetCatalog) -> None:
    """GPU thresholds, parallelism (TP, PP, replicas) and the display unit."""
    k = WIDGET_KEYS
    sb = st.sidebar
    sb.header("GPUs")
    gids = list(cat.gpus)
    st.session_state[k["gpus"]] = [g for g in st.session_state[k["gpus"]] if g in cat.gpus]
    sb.multiselect(
        "GPU thresholds",
        gids,
        key=k["gpus"],
        max_selections=MAX_GPUS,
        format_func=lambda g: (
            f"{cat.gpus[g].name} ({cat.gpus[g].memory_bytes / 2**30:,.1f} GiB usable)"
        ),
    )
    c1, c2 = sb.columns(2)
    int_input(c1, "Tensor parallel (GPUs)", "tp")
    int_input(c2, "Pipeline stages", "pp")
    int_input(
        sb,
        "Replicas (data parallel)",
        "dp",
        help="GPUs in all = TP × PP × replicas. Memory per GPU is the same; capacity multiplies.",
    )
    sb.radio(
        "Unit",
        ["GiB", "GB"],
        key=k["unit"],
        horizontal=True,
        help="GiB = 2^30 bytes (what GPUs and engines report); GB = 10^9 bytes (how vendors market memory).",
    )
