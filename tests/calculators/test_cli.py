"""The command line contract: JSON fields, integer bytes, exit code 2 with one line on bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calculators", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_article_example_by_hand() -> None:
    r = run(
        "estimate",
        "--json",
        "--method",
        "article",
        "--params",
        "72e9",
        "--layers",
        "48",
        "--hidden-size",
        "4096",
        "--heads",
        "32",
        "--kv-heads",
        "32",
        "--head-dim",
        "128",
        "--weights",
        "int8",
        "--kv-dtype",
        "fp16",
        "--context",
        "12000",
        "--overhead-fraction",
        "0.15",
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    pg = out["per_gpu"]
    assert pg == {
        "weights_bytes": 72_000_000_000,
        "kv_cache_bytes": 9_437_184_000,
        "activation_bytes": 4_718_592_000,
        "overhead_bytes": 10_800_000_000,
        "state_bytes": 0,  # no Mamba / linear-attention layers
        "total_bytes": 96_955_776_000,
    }
    assert out["state_bytes_per_request"] == 0
    assert out["kv_bytes_per_token"] == 786_432
    assert out["parameters"] == 72_000_000_000


def test_preset_with_gpu_has_capacity(tmp_path: Path) -> None:
    r = run(
        "estimate",
        "--json",
        "--model",
        "meta-llama/Llama-3.1-8B-Instruct",
        "--gpu",
        "h100-sxm-80gb",
        "--context",
        "8192",
        "--concurrency",
        "4",
        "--tp",
        "1",
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    cap = out["capacity"]
    assert set(cap) >= {"budget_bytes", "kv_pool_bytes", "kv_tokens", "max_concurrency"}
    assert cap["budget_bytes"] == 85_028_896_768
    assert all(isinstance(out["per_gpu"][k], int) for k in out["per_gpu"])
    assert out["kv_bytes_per_token"] == 131_072


def test_config_json_input(tmp_path: Path) -> None:
    cfg = tmp_path / "config.json"
    cfg.write_text(
        json.dumps(
            {
                "num_hidden_layers": 32,
                "hidden_size": 4096,
                "num_attention_heads": 32,
                "num_key_value_heads": 8,
                "intermediate_size": 14336,
                "vocab_size": 128256,
            }
        )
    )
    r = run(
        "estimate",
        "--json",
        "--config",
        str(cfg),
        "--gpu-memory-gib",
        "80",
        "--tp",
        "2",
        "--kv-dtype",
        "fp8",
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["parameters"] == 8_030_261_248
    assert out["kv_bytes_per_token"] == 2 * 32 * 4 * 128 * 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["estimate", "--model", "no/such-model"], "unknown preset"),
        (
            [
                "estimate",
                "--params",
                "7e9",
                "--layers",
                "32",
                "--hidden-size",
                "4096",
                "--heads",
                "32",
                "--context",
                "nan",
            ],
            "--context",
        ),
        (
            [
                "estimate",
                "--params",
                "7e9",
                "--layers",
                "32",
                "--hidden-size",
                "4096",
                "--heads",
                "32",
                "--concurrency",
                "-3",
            ],
            "--concurrency",
        ),
        (
            [
                "estimate",
                "--params",
                "7e9",
                "--layers",
                "32",
                "--hidden-size",
                "4096",
                "--heads",
                "32",
                "--weights",
                "int3",
            ],
            "unknown format",
        ),
        (
            [
                "estimate",
                "--params",
                "7e9",
                "--layers",
                "32",
                "--hidden-size",
                "4096",
                "--heads",
                "32",
                "--gpu-memory-gib",
                "inf",
            ],
            "finite",
        ),
        (["estimate", "--config", "/nonexistent/config.json"], "--config"),
        (["estimate"], "exactly one of"),
        (
            ["estimate", "--params", "abc", "--layers", "1", "--hidden-size", "64", "--heads", "1"],
            "--params",
        ),
        (["nonsense"], "invalid choice"),
    ],
)
def test_bad_arguments_exit_2_with_one_line(args: list[str], needle: str) -> None:
    r = run(*args)
    assert r.returncode == 2
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert needle in lines[0]
    assert "Traceback" not in r.stderr


def test_formats_models_gpus_listings() -> None:
    f = json.loads(run("formats", "--json").stdout)
    assert {x["id"] for x in f["weight_formats"]} >= {"q4_k_m", "gptq-int4", "nvfp4"}
    models = json.loads(run("models", "--json").stdout)
    assert len(models) >= 30
    assert set(models[0]) >= {
        "id",
        "parameters",
        "official_parameters",
        "kv_bytes_per_token",
        "source",
    }
    gpus = json.loads(run("gpus", "--json").stdout)
    assert len(gpus) >= 25
    assert set(gpus[0]) >= {"id", "memory_bytes", "source"}
