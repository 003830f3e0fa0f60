"""Command line: `plan` and `estimate --solve context|format` (issue 13)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from calculators import Deployment, Target, Workload, estimate, longest_context, plan
from presets import load_catalog

ROOT = Path(__file__).resolve().parents[2]
CATALOG = load_catalog()
MODEL = "meta-llama/Llama-3.1-70B-Instruct"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calculators", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_plan_json_matches_the_solver_and_the_forward_estimate() -> None:
    r = run(
        "plan", "--json", "--model", MODEL, "--concurrency", "200", "--context", "8192",
        "--method", "vllm", "--gpu", "h100-sxm-80gb", "--gpu", "a100-40gb",
        "--price", "h100-sxm-80gb=2.5",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["method"] == "vllm"
    assert out["memory_model"].startswith("vLLM (engine budget)")
    assert out["target"] == {"concurrency": 200, "context_len": 8192, "avg_tokens": None,
                             "batch_size": 1}  # fmt: skip
    setups = {s["gpu"]: s for s in out["setups"]}
    assert set(setups) == {"h100-sxm-80gb", "a100-40gb"}
    assert [s["total_gpus"] for s in out["setups"]] == sorted(
        s["total_gpus"] for s in out["setups"]
    )
    spec = CATALOG.models[MODEL].spec
    gpus = [CATALOG.gpus[g].spec for g in ("h100-sxm-80gb", "a100-40gb")]
    want = plan(spec, "bf16", Target(200, 8192), gpus, method="vllm")
    for s in want.setups:
        got = setups[s.gpu.id]
        assert got["total_gpus"] == s.total_gpus
        assert got["concurrency_reached"] == s.concurrency_reached >= 200
        assert got["headroom_bytes_per_gpu"] == s.headroom_bytes
        est = estimate(
            spec, "bf16", Workload(8192, 200),
            Deployment(s.tensor_parallel_size, s.pipeline_parallel_size, s.replicas, s.gpu),
            method="vllm",
        )  # fmt: skip
        assert est.capacity is not None
        assert est.capacity.max_concurrent_requests == got["concurrency_reached"]
    h100 = setups["h100-sxm-80gb"]
    assert h100["cost_per_hour"] == 2.5 * h100["total_gpus"]
    assert setups["a100-40gb"]["cost_per_hour"] is None


def test_plan_text_lists_every_gpu_preset_by_default() -> None:
    r = run("plan", "--model", "meta-llama/Llama-3.1-8B-Instruct", "--concurrency", "16")
    assert r.returncode == 0, r.stderr
    assert "memory model: Article (conservative)" in r.stdout
    for gpu_id in CATALOG.gpus:
        assert gpu_id in r.stdout


def test_solve_context_json() -> None:
    r = run(
        "estimate", "--json", "--solve", "context", "--model", MODEL, "--method", "vllm",
        "--gpu", "h100-sxm-80gb", "--tp", "8", "--gpus", "16", "--concurrency", "200",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    spec = CATALOG.models[MODEL].spec
    fit = longest_context(
        spec, "bf16", 200, Deployment(8, 1, 2, CATALOG.gpus["h100-sxm-80gb"].spec), method="vllm"
    )
    assert out["max_context_len"] == fit.context_len > 0
    assert out["max_context_len"] % 16 == 0
    assert out["per_replica"] == 100
    assert out["setup"] == {"gpu": "h100-sxm-80gb", "tensor_parallel_size": 8,
                            "pipeline_parallel_size": 1, "replicas": 2}  # fmt: skip
    assert out["memory_model"].startswith("vLLM")


def test_solve_context_llamacpp_gives_n_ctx() -> None:
    r = run(
        "estimate", "--solve", "context", "--model", "meta-llama/Llama-3.1-8B-Instruct",
        "--method", "llamacpp", "--weights", "q4_k_m", "--gpu", "rtx-4090-24gb",
        "--concurrency", "4",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "--parallel 4" in r.stdout and "llama.cpp -c " in r.stdout


def test_solve_format_json() -> None:
    r = run(
        "estimate", "--json", "--solve", "format", "--model", MODEL, "--method", "vllm",
        "--gpu", "h100-sxm-80gb", "--tp", "8", "--concurrency", "200",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["best"] == next(s for s in out["steps"] if s["holds_target"])
    assert out["steps"][0]["weights_format"] == "bf16"


def test_bad_plan_arguments_exit_2_with_one_line() -> None:
    cases = [
        ("plan", "--model", MODEL, "--gpu", "no-such-gpu"),
        ("plan", "--model", MODEL, "--price", "h100-sxm-80gb"),
        ("plan", "--model", MODEL, "--price", "no-such-gpu=1"),
        ("plan", "--model", MODEL, "--price", "h100-sxm-80gb=-1"),
        ("estimate", "--solve", "context", "--model", MODEL),  # no GPU
        ("estimate", "--solve", "speed", "--model", MODEL, "--gpu", "h100-sxm-80gb"),
    ]
    for args in cases:
        r = run(*args)
        assert r.returncode == 2, (args, r.stdout)
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("error:"), (args, r.stderr)
