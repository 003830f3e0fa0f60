"""The view model: everything the dashboard shows, computed from a ViewState by the calculators.

Pure (no Streamlit): ``build_view`` takes the state, the preset catalog and an optional uploaded
model, and returns numbers ready to render. The UI only wires this to widgets and charts.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from calculators import (
    KV_DTYPES,
    MAX_CONFIG_BYTES,
    METHODS,
    WEIGHT_FORMATS,
    Capacity,
    CheckpointWeights,
    Deployment,
    EngineSettings,
    Estimate,
    GPUSpec,
    Message,
    ModelSpec,
    SpecError,
    WeightsOrigin,
    Workload,
    declared_parameter_problem,
    estimate,
    format_bytes,
    kv_dtype,
    message_of,
    parameter_breakdown,
    parse_config_json,
    valid_tensor_parallel_sizes,
    weight_format,
)
from dashboard.bounds import MAX_TOTAL_GPUS, listed
from dashboard.i18n import Joined, _, ngettext, tr
from dashboard.state import DEFAULT_STATE, ViewState, unpin
from model_sources import LoadedModel
from presets import GPUPreset, PresetCatalog

MAX_SWEEP_POINTS = 160  # points on the concurrency line: smooth, and a small figure payload
SWEEP_END = 6144.0  # the sweep's far end: 1.5 x the concurrency slider's top (4,096)


@dataclass(frozen=True)
class GPUFit:
    """One selected GPU setup: its estimate, from whose capacity every figure is read."""

    gpu: GPUPreset
    estimate: Estimate  # made with this GPU's budget, so its capacity is set

    @property
    def capacity(self) -> Capacity:
        cap = self.estimate.capacity
        assert cap is not None
        return cap

    @property
    def budget_bytes(self) -> int:
        return self.capacity.budget_bytes

    @property
    def fits(self) -> bool:
        return self.capacity.fits

    @property
    def headroom_bytes(self) -> int:
        return self.capacity.headroom_bytes

    @property
    def crossing(self) -> float:
        """Per-replica concurrency where the total meets the budget."""
        return self.capacity.max_concurrency

    @property
    def max_concurrency(self) -> float:
        """Requests at the full context over all replicas."""
        return self.capacity.max_concurrency * self.capacity.replicas

    @property
    def max_requests(self) -> int:
        """Whole requests at the full context: floor per replica, times the replicas."""
        return self.capacity.max_concurrent_requests

    @property
    def max_requests_avg(self) -> int | None:
        """Whole requests at the average length (paged engines), over all replicas."""
        avg = self.capacity.max_concurrency_at_avg
        return None if avg is None else max(0, int(avg + 1e-9)) * self.capacity.replicas


@dataclass(frozen=True)
class MethodRow:
    """Max requests per GPU setup under one method (for the side-by-side comparison)."""

    method: str
    label: str
    per_gpu: tuple[float, ...]  # whole requests at the full context over all replicas, per GPU
    ranges: tuple[tuple[float, float] | None, ...]


@dataclass(frozen=True)
class View:
    state: ViewState
    model: ModelSpec
    model_label: str
    weights_label: str
    kv_label: str
    method_label: str
    estimate: Estimate  # at the chosen concurrency, without a GPU budget
    fits: tuple[GPUFit, ...]
    sweep_concurrency: npt.NDArray[np.int64]
    sweep: dict[str, npt.NDArray[np.int64]]
    notices: tuple[str, ...]
    weights_origin: WeightsOrigin | None = None  # checkpoint vs architecture, when both known
    methods: tuple[MethodRow, ...] = ()

    @property
    def gpus_per_replica(self) -> int:
        return self.state.tp * self.state.pp

    @property
    def weights_origin_text(self) -> str | None:
        """Weights from the checkpoint beside weights from the architecture (whole model, one
        copy) and which one the estimate uses; None when no tensor list is known."""
        o = self.weights_origin
        if o is None or o.checkpoint_bytes is None:
            return None
        unit = self.state.unit
        common = {
            "ckpt": format_bytes(o.checkpoint_bytes, unit),
            "source": o.checkpoint_source or "",
            "fmt": o.checkpoint_format or "",
            "arch": format_bytes(o.architecture_bytes, unit),
        }
        if o.used == "checkpoint":
            return tr(
                Message(
                    "Weights (whole model): {ckpt} from the checkpoint ({source}, {fmt}), {arch} "
                    "from the architecture; the estimate uses the checkpoint.",
                    **common,
                )
            )
        return tr(
            Message(
                "Weights (whole model): {ckpt} from the checkpoint ({source}, {fmt}), {arch} "
                "from the architecture; the estimate uses the architecture: {why}.",
                why=o.note or "",
                **common,
            )
        )

    @property
    def model_text(self) -> str:
        """The model's label in the current language ('… (uploaded config.json)')."""
        return tr(self.model_label)

    @property
    def short_model_label(self) -> str:
        """The model's name without the source suffix, for chart titles."""
        label = self.model_label
        if isinstance(label, Message) and "name" in label.params:
            return str(label.params["name"])
        return tr(label)

    @property
    def concurrency_text(self) -> str:
        n = self.state.conc
        return ngettext("{n} concurrent request", "{n} concurrent requests", n).format(n=n)

    def config_parts(self, with_concurrency: bool = True) -> list[str]:
        """The configuration in words, in the current language (chart subtitles, captions)."""
        s = self.state
        parts = [
            _("{format} weights").format(format=tr(self.weights_label)),
            _("KV {dtype}").format(dtype=tr(self.kv_label)),
            _("context {ctx:,} tokens").format(ctx=s.ctx),
        ]
        if with_concurrency:
            parts.append(self.concurrency_text)
        if s.batch != 1:
            parts.append(_("batch {n}").format(n=s.batch))
        parts.append(tr(self.method_label))
        per_gpu = _("per GPU, TP {tp} × PP {pp}").format(tp=s.tp, pp=s.pp)
        if s.dp > 1:
            per_gpu += _(", {n} replicas").format(n=s.dp)
        parts.append(per_gpu)
        parts.append(f"{s.unit}")
        return parts

    @property
    def config_line(self) -> str:
        return " · ".join(self.config_parts())


@lru_cache(maxsize=8)  # reruns parse the same upload again: ModelSpec is frozen, bytes hashable
def read_uploaded_config(file_name: str, data: bytes) -> tuple[ModelSpec | None, str | None]:
    """An uploaded config.json as a ModelSpec, or a message naming the file and the problem.

    The bytes are only ever parsed as JSON (size-checked first); the file name is shown as text,
    shortened, and never used as a path.
    """
    # a Message (the link's config) stays one, to be translated where it is shown
    shown = file_name if isinstance(file_name, Message) else (file_name or "config.json")[:60]
    if len(data) > MAX_CONFIG_BYTES:
        return None, Message(
            "{file}: {size:,} bytes is over the {limit:,}-byte limit",
            file=shown,
            size=len(data),
            limit=MAX_CONFIG_BYTES,
        )
    try:
        return parse_config_json(data, name=_model_name(data, shown)), None
    except SpecError as e:
        return None, Message("{file}: {problem}", file=shown, problem=message_of(e))
    except (ValueError, ArithmeticError, RecursionError) as e:  # the reader's own limits
        return None, Message(
            "{file}: cannot be read ({kind}: {problem})",
            file=shown,
            kind=type(e).__name__,
            problem=str(e)[:120],
        )


def _model_name(data: bytes, file_name: str) -> str | None:
    """The model's own name for the label, never the bare "config.json": its ``_name_or_path``
    (read by the parser: None here), else a file name that says more than "config.json"
    ("qwen3-8b-config"), else its architecture ("LlamaForCausalLM")."""
    try:
        raw = json.loads(data)
    except (ValueError, RecursionError):
        return None  # parse_config_json says what is wrong
    if not isinstance(raw, dict):
        return None
    path = raw.get("_name_or_path")
    if isinstance(path, str) and path.strip():
        return None
    stem = re.sub(r"([._-]?config)?\.json$", "", file_name.strip(), flags=re.IGNORECASE)
    if stem and stem.lower() not in ("config", "config.json", "config.json from the link"):
        return stem[:60]
    arch = raw.get("architectures")
    if isinstance(arch, list) and arch and isinstance(arch[0], str):
        return arch[0][:60]
    kind = raw.get("model_type")
    return f"{kind[:40]} model" if isinstance(kind, str) else "Uploaded model"


def resolve_model(
    state: ViewState,
    catalog: PresetCatalog,
    uploaded: ModelSpec | LoadedModel | None,
    upload_problem: str | None = None,
) -> tuple[ViewState, ModelSpec, str, list[str]]:
    """The model the state names, with notices when it has to fall back."""
    notices: list[str] = []
    if state.src == "hf":
        if isinstance(uploaded, LoadedModel):
            label = Message("{name} (Hugging Face)", name=uploaded.spec.name)
            return state, uploaded.spec, label, notices
        notices.append(Message("No Hugging Face model fetched yet: showing the default preset."))
        state = replace(state, src="preset")
    if isinstance(uploaded, LoadedModel):
        uploaded = None
    if state.src == "upload":
        if uploaded is not None:
            label = Message("{name} (uploaded config.json)", name=uploaded.name)
            return state, uploaded, label, notices
        if upload_problem:
            notices.append(
                Message(
                    "The uploaded file cannot be used ({problem}): showing the preset {model}.",
                    problem=upload_problem,
                    model=state.model,
                )
            )
        else:
            notices.append(
                Message(
                    "No config.json uploaded yet: showing the preset {model}.", model=state.model
                )
            )
        state = replace(state, src="preset")
    if state.src == "custom":
        try:
            spec = ModelSpec(
                num_hidden_layers=state.c_layers,
                hidden_size=state.c_hidden,
                num_attention_heads=state.c_heads,
                num_key_value_heads=state.c_kv_heads,
                head_dim=state.c_head_dim,
                vocab_size=state.c_vocab,
                num_parameters=round(state.c_params_b * 1e9),
                max_position_embeddings=max(state.ctx, 8192),
                torch_dtype="bfloat16",
                name=f"Custom {state.c_params_b:g}B model",
            )
            return state, spec, Message("Custom {b:g}B model", b=state.c_params_b), notices
        except SpecError as e:
            notices.append(
                Message(
                    "Custom model: {problem}. Showing the default preset.", problem=message_of(e)
                )
            )
            state = replace(state, src="preset")
    preset = catalog.models[state.model]  # check_ids has made it a known preset
    return state, preset.spec, preset.name, notices


def check_ids(state: ViewState, catalog: PresetCatalog) -> tuple[ViewState, list[str]]:
    """Every id in the state must name a preset, format, KV dtype or method that exists; an
    unknown one falls back to the default with a notice. The page runs this on a URL before it
    binds widgets; ``build_view`` runs it for every caller."""
    notices: list[str] = []
    if state.model not in catalog.models:
        notices.append(
            Message(
                "Unknown model preset {model!r}; showing {default}.",
                model=state.model[:60],
                default=DEFAULT_STATE.model,
            )
        )
        state = replace(state, model=DEFAULT_STATE.model)
    unknown = [g[:40] for g in state.gpus if g not in catalog.gpus]
    if unknown:
        notices.append(Message("Unknown GPU preset(s) ignored: {ids}.", ids=", ".join(unknown)))
        state = replace(state, gpus=tuple(g for g in state.gpus if g in catalog.gpus))
    if state.weights not in WEIGHT_FORMATS:
        notices.append(Message("Unknown weight format {id!r}; using bf16.", id=state.weights[:30]))
        state = replace(state, weights="bf16")
    if state.kv != "auto" and state.kv not in KV_DTYPES:
        notices.append(Message("Unknown KV cache dtype {id!r}; using auto.", id=state.kv[:30]))
        state = replace(state, kv="auto")
    if state.method not in METHODS:
        notices.append(
            Message("Method {id!r} is not available; using the article's.", id=state.method)
        )
        state = replace(state, method="article")
    return state, notices


def check_settings(state: ViewState, model: ModelSpec) -> tuple[ViewState, list[str]]:
    """Cross-field limits, all in one place: settings that must fit each other and the resolved
    model. TP dividing the heads, PP within the layers, llama.cpp's GPUs within the layers,
    TP x PP x replicas within the GPU limit, the average length within the context; a context
    beyond the model's native maximum is kept, with a notice."""
    notices: list[str] = []
    if state.tp not in valid_tensor_parallel_sizes(model, state.tp):
        notices.append(
            Message(
                "Tensor parallel {tp} does not split the model's {heads} attention heads and "
                "{kv} KV heads evenly; using 1.",
                tp=state.tp,
                heads=model.num_attention_heads,
                kv=model.num_key_value_heads,
            )
        )
        state = replace(state, tp=1)
    if state.pp > model.num_hidden_layers:
        notices.append(
            Message(
                "Pipeline parallel {pp} is more than the model's {layers} layers; using 1.",
                pp=state.pp,
                layers=model.num_hidden_layers,
            )
        )
        state = replace(state, pp=1)
    if state.method == "llamacpp" and state.tp * state.pp > model.num_hidden_layers:
        notices.append(
            Message(
                "llama.cpp splits layers over its GPUs: {gpus} GPUs for {layers} layers is too "
                "many; using TP 1 × PP 1.",
                gpus=state.tp * state.pp,
                layers=model.num_hidden_layers,
            )
        )
        state = replace(state, tp=1, pp=1)
    if state.tp * state.pp * state.dp > MAX_TOTAL_GPUS:
        dp = max(1, MAX_TOTAL_GPUS // (state.tp * state.pp))
        notices.append(
            Message(
                "TP {tp} × PP {pp} × {dp} replicas is {total:,} GPUs, over {limit:,}; using "
                "{use} replicas.",
                tp=state.tp,
                pp=state.pp,
                dp=state.dp,
                total=state.tp * state.pp * state.dp,
                limit=MAX_TOTAL_GPUS,
                use=dp,
            )
        )
        state = replace(state, dp=dp)
    if state.avg > state.ctx:
        state = replace(state, avg=state.ctx)
    if state.ctx > model.max_position_embeddings:
        notices.append(
            Message(
                "Context {ctx:,} tokens is beyond the model's native maximum of {native:,} "
                "(max_position_embeddings): the figures are for the length asked, which the "
                "model was not trained for.",
                ctx=state.ctx,
                native=model.max_position_embeddings,
            )
        )
    return state, notices


def _settings_key(state: ViewState) -> ViewState:
    """The state with the fields that do not change engine settings reset (a cache key)."""
    return replace(
        DEFAULT_STATE,
        alpha=state.alpha,
        util=state.util,
        ev=state.ev,
        mnbt=state.mnbt,
        mns=state.mns,
        mfs=state.mfs,
        ubatch=state.ubatch,
        fa=state.fa,
    )


@lru_cache(maxsize=64)
def _method_rows(
    model: ModelSpec,
    fmt_id: str,
    workload: Workload,
    tp: int,
    pp: int,
    dp: int,
    gpus: tuple[GPUSpec, ...],
    key: ViewState,
    checkpoint: CheckpointWeights | None = None,
) -> tuple[MethodRow, ...]:
    """Max requests per GPU under every method. Independent of the chosen concurrency, so a
    slider drag reuses it (cached on frozen, hashable inputs)."""
    rows = []
    for mid, m in METHODS.items():
        caps: list[float] = []
        rngs: list[tuple[float, float] | None] = []
        for gpu in gpus:
            try:
                e = estimate(
                    model,
                    fmt_id,
                    workload,
                    Deployment(tp, pp, dp, gpu=gpu),
                    settings_for(key, mid),
                    mid,
                    checkpoint,
                )
            except (SpecError, ValueError):
                caps.append(float("nan"))
                rngs.append(None)
                continue
            cap = e.capacity
            assert cap is not None
            caps.append(float(cap.max_concurrent_requests))  # as the fit table counts them
            rngs.append(e.max_concurrency_range())
        rows.append(MethodRow(mid, m.label, tuple(caps), tuple(rngs)))
    return tuple(rows)


def settings_for(state: ViewState, method: str | None = None) -> EngineSettings:
    """Engine settings from the state; each method reads the ones it has."""
    method = method or state.method
    return EngineSettings(
        overhead_fraction=state.alpha,
        gpu_memory_utilization=state.util if method == "vllm" else None,
        engine_version=state.ev if method == "vllm" else None,
        max_num_batched_tokens=state.mnbt if method == "vllm" else None,
        max_num_seqs=state.mns if method == "vllm" else None,
        mem_fraction_static=(state.mfs or None) if method == "sglang" else None,
        n_ubatch=state.ubatch,
        flash_attention=bool(state.fa),
    )


def build_view(
    state: ViewState,
    catalog: PresetCatalog,
    uploaded: ModelSpec | LoadedModel | None = None,
    upload_problem: str | None = None,
) -> View:
    """Compute everything the dashboard shows for ``state``.

    A configuration the calculators refuse (e.g. a model entered by hand at every widget's
    maximum needs more than 1 EiB per GPU) is reported in a notice and the default preset is
    shown instead: never a traceback.
    """
    try:
        return _build_view(state, catalog, uploaded, upload_problem)
    except SpecError as e:
        fallback = replace(DEFAULT_STATE, gpus=state.gpus, unit=state.unit, pins=state.pins)
        view = _build_view(fallback, catalog, None, None)
        notice = Message(
            "This configuration cannot be estimated: {problem}. Showing the default preset.",
            problem=message_of(e),
        )
        return replace(view, notices=(notice, *view.notices))


def _build_view(
    state: ViewState,
    catalog: PresetCatalog,
    uploaded: ModelSpec | LoadedModel | None,
    upload_problem: str | None,
) -> View:
    state, notices = check_ids(state, catalog)
    state, model, label, more = resolve_model(state, catalog, uploaded, upload_problem)
    notices.extend(more)
    checkpoint = None
    if state.src == "hf" and isinstance(uploaded, LoadedModel):
        checkpoint = uploaded.checkpoint  # the checkpoint's exact bytes, when it lists tensors
        notices.extend(uploaded.notes)
    state, more = check_settings(state, model)
    notices.extend(more)
    declared = declared_parameter_problem(model)
    if declared:
        notices.append(declared)
    fmt = weight_format(state.weights)
    kv = kv_dtype(state.kv, model.torch_dtype)
    workload = Workload(
        context_len=state.ctx,
        concurrency=state.conc,
        batch_size=state.batch,
        kv_cache_dtype=state.kv,
        avg_tokens=min(state.avg, state.ctx),
    )
    settings = settings_for(state)
    method = METHODS[state.method]
    base = estimate(
        model,
        fmt.id,
        workload,
        Deployment(state.tp, state.pp, state.dp),
        settings,
        state.method,
        checkpoint,
    )
    fits = []
    for gid in state.gpus:
        gpu = catalog.gpus[gid]
        dep = Deployment(state.tp, state.pp, state.dp, gpu=gpu.spec)
        fits.append(
            GPUFit(
                gpu=gpu,
                estimate=estimate(model, fmt.id, workload, dep, settings, state.method, checkpoint),
            )
        )
    # Show the chosen concurrency and every GPU's crossing, with a margin: the thresholds stay
    # readable instead of being squashed under a line that runs far past all of them.
    shown = fits[0].estimate if fits else base
    top = max([state.conc * 1.5, 16.0] + [min(SWEEP_END, f.crossing * 1.3) for f in fits])
    top = int(min(SWEEP_END, top, shown.max_sweep_concurrency()))  # totals stay within MAX_BYTES
    step = max(1, -(-top // MAX_SWEEP_POINTS))
    # linear steps plus geometric ones, so the line is smooth on a log axis too
    geo = np.unique(np.round(np.geomspace(1, top, MAX_SWEEP_POINTS // 2)))
    cs = np.unique(np.concatenate([np.arange(1, top + 1, step), geo, [top, state.conc]])).astype(
        np.int64
    )
    sweep = shown.concurrency_sweep(cs)
    rows = _method_rows(
        model,
        fmt.id,
        replace(workload, concurrency=1),
        state.tp,
        state.pp,
        state.dp,
        tuple(catalog.gpus[g].spec for g in state.gpus),
        _settings_key(state),
        checkpoint,
    )
    return View(
        methods=rows,
        state=state,
        model=model,
        model_label=label,
        weights_label=fmt.label,
        kv_label=kv.label,
        method_label=method.label,
        estimate=base,
        fits=tuple(fits),
        sweep_concurrency=cs,
        sweep=sweep,
        notices=tuple(notices),
        weights_origin=base.weights_origin,
    )


def pinned_view(token: str, base: ViewState, catalog: PresetCatalog) -> tuple[View | None, str]:
    """A pinned scenario's view, validated like the URL; the text names what was replaced or
    why it cannot be shown (empty when the pin is shown as it was made)."""
    try:
        pinned = unpin(token, base)
    except ValueError as e:
        return None, Message("cannot be shown: {problem}", problem=message_of(e))
    unknown_gpus = [g[:40] for g in pinned.gpus if g not in catalog.gpus]
    if pinned.model not in catalog.models:
        return None, Message(
            "cannot be shown: model preset {model!r} is not known", model=pinned.model[:60]
        )
    view = build_view(pinned, catalog)
    problems = list(view.notices)
    if unknown_gpus:
        problems = [p for p in problems if not p.startswith("Unknown GPU preset")]
        problems.append(
            Message("GPU {ids} is not known, shown without a GPU", ids=listed(unknown_gpus))
        )
    return view, Joined("; ", problems)


def parameters_text(model: ModelSpec) -> str:
    pb = parameter_breakdown(model)
    total = pb.total / 1e9
    if model.is_moe:
        return _("{total:,.1f}B parameters ({active:,.1f}B active)").format(
            total=total, active=pb.active / 1e9
        )
    return _("{total:,.2f}B parameters").format(total=total)
