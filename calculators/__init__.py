"""Pure memory calculators for serving LLMs: no Streamlit, Plotly, YAML or file I/O here.

Where things are:

* ``units``        bytes <-> GiB/GB, the one place sizes become text
* ``formats``      weight formats and KV dtypes (bits per element, with sources)
* ``spec``         frozen ModelSpec / Workload / Deployment / GPUSpec
* ``config``       Hugging Face config.json -> ModelSpec
* ``params``       parameter count derived from the architecture
* ``weights``      weight bytes (per tensor group, per GPU)
* ``checkpoint``   exact weight bytes from a checkpoint's tensor list (safetensors, GGUF)
* ``kv_cache``     the KV-cache formula (GQA, head_dim, MLA, sliding windows, TP)
* ``activations``  the article's activation formula
* ``overhead``     α × weights
* ``estimate``     MemoryBreakdown, Capacity, sweeps and solvers
* ``methods``      the article's method and engine-faithful methods behind one interface
* ``planning``     the questions backwards: longest context, smallest setup, best format
* ``messages``     translatable text (notes, labels, errors) as plain English ``str``
"""

from __future__ import annotations

from dataclasses import replace

from calculators.activations import article_activation_bytes
from calculators.checkpoint import (
    CheckpointWeights,
    TensorEntry,
    WeightsOrigin,
    checkpoint_weights,
)
from calculators.config import MAX_CONFIG_BYTES, model_from_config, parse_config_json
from calculators.estimate import COMPONENTS, Capacity, Estimate, MemoryBreakdown
from calculators.formats import (
    KV_DTYPES,
    WEIGHT_FORMATS,
    KVDtype,
    WeightFormat,
    kv_dtype,
    weight_format,
)
from calculators.kv_cache import article_kv_bytes, kv_cache_bytes, kv_layout
from calculators.messages import N_, Message, message_of
from calculators.methods import METHODS, EngineSettings, get_method
from calculators.overhead import ARTICLE_OVERHEAD_DEFAULT, ARTICLE_OVERHEAD_RANGE, overhead_bytes
from calculators.params import ParameterBreakdown, declared_parameter_problem, parameter_breakdown
from calculators.planning import (
    GPUS_PER_NODE,
    ContextFit,
    FormatLadder,
    FormatStep,
    GPUPlan,
    Plan,
    ReplicaOption,
    Setup,
    Target,
    format_ladder,
    longest_context,
    plan,
    valid_tensor_parallel_sizes,
)
from calculators.spec import Deployment, GPUSpec, ModelSpec, SpecError, VisionSpec, Workload
from calculators.speed import SPEED_METHODS, SpeedResult
from calculators.speed import speed as estimate_speed
from calculators.units import (
    BYTES_PER_GB,
    BYTES_PER_GIB,
    UNIT_CONVENTION,
    UNITS,
    format_bytes,
    from_unit,
    to_unit,
)
from calculators.weights import article_weights_bytes, weight_groups, weights_bytes


def estimate(
    model: ModelSpec,
    weight_format_id: str = "bf16",
    workload: Workload | None = None,
    deployment: Deployment | None = None,
    settings: EngineSettings | None = None,
    method: str = "article",
    checkpoint: CheckpointWeights | None = None,
) -> Estimate:
    """Estimate memory for ``model`` with the named ``method`` (default: the article's).

    ``checkpoint``: the checkpoint's own tensor bytes (``checkpoint_weights``); used for the
    weights instead of parameters × bits when it is in ``weight_format_id``.

    The model's own warnings and notes (an unverified architecture, a float32 checkpoint served
    in 16 bit, state layers, a quantized checkpoint) lead the estimate's notes, so every caller
    that shows the notes shows them too.
    """
    est = get_method(method).estimate(
        model,
        weight_format(weight_format_id),
        workload or Workload(),
        deployment or Deployment(),
        settings or EngineSettings(),
        checkpoint,
    )
    own = tuple(f"warning: {w}" for w in model.warnings) + model.extra_notes
    if not own:
        return est
    return replace(est, notes=own + est.notes)


__all__ = [
    "ARTICLE_OVERHEAD_DEFAULT",
    "ARTICLE_OVERHEAD_RANGE",
    "BYTES_PER_GB",
    "BYTES_PER_GIB",
    "COMPONENTS",
    "GPUS_PER_NODE",
    "KV_DTYPES",
    "MAX_CONFIG_BYTES",
    "METHODS",
    "N_",
    "SPEED_METHODS",
    "UNITS",
    "UNIT_CONVENTION",
    "WEIGHT_FORMATS",
    "Capacity",
    "CheckpointWeights",
    "ContextFit",
    "Deployment",
    "EngineSettings",
    "Estimate",
    "FormatLadder",
    "FormatStep",
    "GPUPlan",
    "GPUSpec",
    "KVDtype",
    "MemoryBreakdown",
    "Message",
    "ModelSpec",
    "ParameterBreakdown",
    "Plan",
    "ReplicaOption",
    "Setup",
    "SpecError",
    "SpeedResult",
    "Target",
    "TensorEntry",
    "VisionSpec",
    "WeightFormat",
    "WeightsOrigin",
    "Workload",
    "article_activation_bytes",
    "article_kv_bytes",
    "article_weights_bytes",
    "checkpoint_weights",
    "declared_parameter_problem",
    "estimate",
    "estimate_speed",
    "format_bytes",
    "format_ladder",
    "from_unit",
    "get_method",
    "kv_cache_bytes",
    "kv_dtype",
    "kv_layout",
    "longest_context",
    "message_of",
    "model_from_config",
    "overhead_bytes",
    "parameter_breakdown",
    "parse_config_json",
    "plan",
    "to_unit",
    "valid_tensor_parallel_sizes",
    "weight_format",
    "weight_groups",
    "weights_bytes",
]
