"""The calculators package is pure: no UI, plotting, YAML, file-format or network libraries are
imported with it (those live at the edge: presets, model_sources); its public API is pinned."""

import subprocess
import sys

import calculators

PINNED_API = sorted(
    [
        "ARTICLE_OVERHEAD_DEFAULT",
        "ARTICLE_OVERHEAD_RANGE",
        "BYTES_PER_GB",
        "BYTES_PER_GIB",
        "COMPONENTS",
        "KV_DTYPES",
        "MAX_CONFIG_BYTES",
        "METHODS",
        "Message",
        "N_",
        "UNITS",
        "UNIT_CONVENTION",
        "WEIGHT_FORMATS",
        "Capacity",
        "CheckpointWeights",
        "Deployment",
        "EngineSettings",
        "Estimate",
        "GPUSpec",
        "KVDtype",
        "MemoryBreakdown",
        "ModelSpec",
        "ParameterBreakdown",
        "SpecError",
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
        "format_bytes",
        "from_unit",
        "get_method",
        "kv_cache_bytes",
        "kv_dtype",
        "kv_layout",
        "message_of",
        "model_from_config",
        "overhead_bytes",
        "parameter_breakdown",
        "parse_config_json",
        "to_unit",
        "weight_format",
        "weight_groups",
        "weights_bytes",
        # planning (issue 13)
        "GPUS_PER_NODE",
        "ContextFit",
        "FormatLadder",
        "FormatStep",
        "GPUPlan",
        "Plan",
        "ReplicaOption",
        "Setup",
        "Target",
        "format_ladder",
        "longest_context",
        "plan",
        "valid_tensor_parallel_sizes",
        # speed (issue 15)
        "SPEED_METHODS",
        "SpeedResult",
        "estimate_speed",
    ]
)


def test_public_api_is_pinned() -> None:
    assert sorted(calculators.__all__) == PINNED_API
    for name in calculators.__all__:
        assert hasattr(calculators, name)


def test_importing_calculators_loads_no_ui_plotting_or_yaml() -> None:
    code = (
        "import sys, calculators, calculators.methods;"
        "bad = [m for m in ('streamlit', 'plotly', 'yaml', 'pandas', 'huggingface_hub',"
        " 'safetensors', 'gguf', 'httpx', 'model_sources', 'presets') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
