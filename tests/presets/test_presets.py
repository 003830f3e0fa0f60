"""Built-in presets: coverage, 1 % parameter check against the official count, loader strictness."""

import os
from pathlib import Path

import pytest

from calculators import KV_DTYPES, kv_layout, parameter_breakdown
from presets.loader import load_catalog, load_text

CATALOG = load_catalog()
REQUIRED_MODELS = [
    "meta-llama/Llama-3.1-8B-Instruct",
    "meta-llama/Llama-3.1-70B-Instruct",
    "meta-llama/Llama-3.1-405B-Instruct",
    "meta-llama/Llama-3.2-1B-Instruct",
    "meta-llama/Llama-3.2-3B-Instruct",
    "meta-llama/Llama-3.3-70B-Instruct",
    "meta-llama/Llama-4-Scout-17B-16E-Instruct",
    "meta-llama/Llama-4-Maverick-17B-128E-Instruct",
    "Qwen/Qwen2.5-7B-Instruct",
    "Qwen/Qwen2.5-14B-Instruct",
    "Qwen/Qwen2.5-32B-Instruct",
    "Qwen/Qwen2.5-72B-Instruct",
    "Qwen/Qwen3-0.6B",
    "Qwen/Qwen3-4B",
    "Qwen/Qwen3-8B",
    "Qwen/Qwen3-14B",
    "Qwen/Qwen3-32B",
    "Qwen/Qwen3-30B-A3B",
    "Qwen/Qwen3-235B-A22B",
    "Qwen/QwQ-32B",
    "deepseek-ai/DeepSeek-V3",
    "deepseek-ai/DeepSeek-R1",
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B",
    "mistralai/Mistral-7B-Instruct-v0.3",
    "mistralai/Mistral-Small-24B-Instruct-2501",
    "mistralai/Mixtral-8x7B-Instruct-v0.1",
    "mistralai/Mixtral-8x22B-Instruct-v0.1",
    "google/gemma-2-9b-it",
    "google/gemma-2-27b-it",
    "google/gemma-3-4b-it",
    "google/gemma-3-12b-it",
    "google/gemma-3-27b-it",
    "microsoft/Phi-3-mini-4k-instruct",
    "microsoft/phi-4",
    "openai/gpt-oss-20b",
    "openai/gpt-oss-120b",
]
REQUIRED_GPUS = [
    "h100-sxm-80gb",
    "h100-pcie-80gb",
    "h100-nvl-94gb",
    "h200-141gb",
    "b200",
    "a100-40gb",
    "a100-80gb",
    "a10-24gb",
    "a10g-24gb",
    "l4-24gb",
    "l40s-48gb",
    "v100-16gb",
    "t4-16gb",
    "rtx-6000-ada-48gb",
    "rtx-a6000-48gb",
    "rtx-5090-32gb",
    "rtx-4090-24gb",
    "rtx-3090-24gb",
    "rtx-4080-16gb",
    "rtx-4060-ti-16gb",
    "mi300x-192gb",
    "mi325x-256gb",
    "mi250x-128gb",
    "apple-m3-max-128gb",
    "apple-m4-max-128gb",
    "apple-m2-ultra-192gb",
    "apple-m3-ultra-512gb",
]


def test_builtin_files_load_without_errors() -> None:
    assert CATALOG.errors == ()
    assert len(CATALOG.models) >= 30
    assert len(CATALOG.gpus) >= 25


@pytest.mark.parametrize("model_id", REQUIRED_MODELS)
def test_required_model_present_with_sources(model_id: str) -> None:
    m = CATALOG.models[model_id]
    assert m.source and m.official_parameters_source


@pytest.mark.parametrize("gpu_id", REQUIRED_GPUS)
def test_required_gpu_present_with_sources(gpu_id: str) -> None:
    g = CATALOG.gpus[gpu_id]
    assert g.source and g.memory_exposed_source and g.memory_marketed


@pytest.mark.parametrize("model_id", sorted(CATALOG.models))
def test_derived_parameters_within_one_percent_of_official(model_id: str) -> None:
    m = CATALOG.models[model_id]
    derived = parameter_breakdown(m.spec).total
    assert abs(derived - m.official_parameters) / m.official_parameters < 0.01, (
        derived,
        m.official_parameters,
    )


# Per-token KV bytes implied by real vLLM logs (tests/data/validation/architectures.yaml, kv_consistency),
# checked against the presets (16-bit KV, one GPU).
@pytest.mark.parametrize(
    ("model_id", "expected"),
    [
        ("meta-llama/Llama-3.1-8B-Instruct", 131_072),
        ("Qwen/Qwen2.5-7B-Instruct", 57_344),
        ("Qwen/Qwen3-8B", 147_456),
        ("microsoft/phi-4", 204_800),
        ("google/gemma-2-9b-it", 344_064),
        ("mistralai/Mixtral-8x7B-Instruct-v0.1", 131_072),
        ("deepseek-ai/DeepSeek-V2-Lite-Chat", 31_104),
        ("codellama/CodeLlama-7b-hf", 524_288),
        ("ibm-granite/granite-3.1-2b-instruct", 81_920),
        ("microsoft/Phi-3-mini-4k-instruct", 393_216),
    ],
)
def test_kv_bytes_per_token_match_logs(model_id: str, expected: int) -> None:
    assert kv_layout(CATALOG.models[model_id].spec, KV_DTYPES["bf16"]).bytes_per_token == expected


def test_sliding_window_presets_have_windows() -> None:
    for mid in ("google/gemma-2-9b-it", "google/gemma-3-27b-it", "openai/gpt-oss-120b"):
        assert "sliding_attention" in CATALOG.models[mid].spec.resolved_layer_types
    assert (
        "chunked_attention"
        in CATALOG.models["meta-llama/Llama-4-Scout-17B-16E-Instruct"].spec.resolved_layer_types
    )
    assert CATALOG.models["deepseek-ai/DeepSeek-V3"].spec.is_mla


def test_h100_exposes_79_19_gib_not_80() -> None:
    assert round(CATALOG.gpus["h100-sxm-80gb"].memory_bytes / 2**30, 2) == 79.19
    assert CATALOG.gpus["h100-sxm-80gb"].memory_marketed == "80 GB"


GOOD_MODEL = """
models:
  - id: acme/tiny
    name: Tiny
    family: Acme
    source: hand-made test entry
    official_parameters: 1000000
    official_parameters_source: test
    config: {num_hidden_layers: 2, hidden_size: 64, num_attention_heads: 4, num_key_value_heads: 2,
             intermediate_size: 128, vocab_size: 1000}
"""


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("models: [", "YAML error"),
        ("", "empty file"),
        ("- a\n- b\n", "expected a mapping"),
        (
            GOOD_MODEL.replace("family: Acme", "family: Acme\n    colour: red"),
            "colour: unknown key",
        ),
        (
            GOOD_MODEL.replace("hidden_size: 64", "hidden_size: -64"),
            "hidden_size: must be a positive integer",
        ),
        (
            GOOD_MODEL.replace("hidden_size: 64", "hidden_size: sixty"),
            "hidden_size: expected an integer",
        ),
        (
            GOOD_MODEL.replace("official_parameters: 1000000", "official_parameters: 0"),
            "official_parameters: 0 is outside",
        ),
        (GOOD_MODEL + GOOD_MODEL.replace("models:\n", ""), "duplicate"),
        ("a: &x [1]\nb: *x\n", "anchors and aliases are not allowed"),
        ("models: !!python/object/apply:os.system ['echo hi']\n", "YAML error"),
        (b"models: \xff\xfe", "not UTF-8"),
    ],
)
def test_loader_rejects_bad_input_with_location(text, needle) -> None:
    models, gpus, errors = {}, {}, []
    load_text(text, "user.yaml", "user", models, gpus, errors)
    assert errors, "expected an error"
    assert any(needle in e for e in errors), errors
    assert all(e.startswith("user.yaml") for e in errors)


def test_one_broken_entry_does_not_hide_the_others() -> None:
    text = GOOD_MODEL + GOOD_MODEL.replace("models:\n", "").replace(
        "acme/tiny", "acme/broken"
    ).replace("hidden_size: 64", "hidden_size: 0")
    models, gpus, errors = {}, {}, []
    load_text(text, "user.yaml", "user", models, gpus, errors)
    assert list(models) == ["acme/tiny"]
    assert len(errors) == 1 and "acme/broken" in errors[0]


def test_user_directory_from_environment(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / "mine.yaml").write_text(GOOD_MODEL)
    (tmp_path / "broken.yaml").write_text("gpus: [{id: x}]")
    (tmp_path / "ignored.txt").write_text("not yaml")
    monkeypatch.setenv("VRAM_PLANNER_PRESETS", os.fspath(tmp_path))
    from presets.loader import load_builtin_catalog

    cat = load_builtin_catalog()
    assert "acme/tiny" in cat.models and cat.models["acme/tiny"].origin == "user"
    assert "meta-llama/Llama-3.1-8B-Instruct" in cat.models
    assert any("broken.yaml" in e for e in cat.errors)


def test_readme_preset_tables_are_current() -> None:
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    r = subprocess.run(
        [sys.executable, "scripts/presets_table.py", "--check"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stderr


GPU_WITH_SPEED = """gpus:
- id: acme-gpu
  name: Acme GPU
  vendor: NVIDIA
  category: datacenter
  memory_marketed: 80 GB
  memory_gib: 79
  bandwidth_gb_s: 3000
  peak_tflops_bf16: 900
  peak_tflops_fp8: 1800
  interconnect_gb_s: 900
  source: test
  memory_exposed_source: test
  speed_source: test
"""


def test_gpu_speed_fields_reach_the_spec() -> None:
    models, gpus, errors = {}, {}, []
    load_text(GPU_WITH_SPEED, "user.yaml", "user", models, gpus, errors)
    assert not errors
    spec = gpus["acme-gpu"].spec
    assert spec.peak_bf16_flops_per_s == 900e12
    assert spec.peak_fp8_flops_per_s == 1800e12
    assert spec.peak_fp4_flops_per_s == 0.0  # absent: the GPU has no FP4 tensor cores
    assert spec.interconnect_bytes_per_s == 900 * 10**9


def test_gpu_speed_field_out_of_range_is_refused_by_name() -> None:
    models, gpus, errors = {}, {}, []
    load_text(GPU_WITH_SPEED.replace("peak_tflops_fp8: 1800", "peak_tflops_fp8: -1"),
              "user.yaml", "user", models, gpus, errors)  # fmt: skip
    assert not gpus and errors and "peak_tflops_fp8" in errors[0]


@pytest.mark.parametrize(
    "gpu_id",
    ["h100-sxm-80gb", "h100-pcie-80gb", "h200-141gb", "a100-40gb", "a100-80gb", "gh200-96gb"],
)
def test_speed_gpus_carry_flops_with_a_source(gpu_id: str) -> None:
    g = CATALOG.gpus[gpu_id]
    assert g.peak_tflops_bf16 and g.interconnect_gb_s and g.speed_source


def test_readme_states_the_number_of_presets() -> None:
    # the README's opening sentence counts the built-in presets; it must follow models.yaml
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    n_models, n_gpus = len(CATALOG.models), len(CATALOG.gpus)
    assert f"for {n_models} model presets and {n_gpus} GPUs" in readme
