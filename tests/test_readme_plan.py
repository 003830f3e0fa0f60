"""The README's planning example states what the planner computes (issue 13)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from calculators import Deployment, Target, format_bytes, format_ladder, longest_context, plan
from presets import load_catalog

ROOT = Path(__file__).resolve().parents[1]
SECTION = (
    (ROOT / "README.md")
    .read_text(encoding="utf-8")
    .split("### Planning: what it takes to serve a target", 1)[1]
    .split("\n## ", 1)[0]
)
SECTION_ZH = (
    (ROOT / "README.zh-CN.md")
    .read_text(encoding="utf-8")
    .split("### 规划：满足目标需要什么", 1)[1]
    .split("\n## ", 1)[0]
)
CATALOG = load_catalog()
MODEL = CATALOG.models["meta-llama/Llama-3.1-70B-Instruct"].spec
H100 = CATALOG.gpus["h100-sxm-80gb"].spec


@pytest.mark.parametrize("section", [SECTION, SECTION_ZH], ids=["en", "zh"])
def test_readme_plan_table_is_what_plan_computes(section: str) -> None:
    rows = re.findall(
        r"^\| (\S+) \| (\d+) × (\d+) × (\d+) \| (\d+) \| (\d+) \| ([\d.]+ GiB) \| ([\d.]+ GiB) \|$",
        section,
        re.M,
    )
    assert len(rows) == 3
    gpus = [CATALOG.gpus[r[0]].spec for r in rows]
    result = plan(MODEL, "bf16", Target(200, 8192), gpus, method="vllm")
    got = [
        (
            s.gpu.id,
            str(s.tensor_parallel_size),
            str(s.pipeline_parallel_size),
            str(s.replicas),
            str(s.total_gpus),
            str(s.concurrency_reached),
            format_bytes(s.used_bytes),
            format_bytes(s.headroom_bytes),
        )
        for s in result.setups
    ]
    assert got == rows


def test_readme_longest_context_and_best_format() -> None:
    fit = longest_context(MODEL, "bf16", 200, Deployment(8, 1, 1, H100), method="vllm")
    assert f"200 requests, {fit.context_len:,} tokens" in SECTION
    ladder = format_ladder(MODEL, Target(200, 8192), Deployment(8, 1, 1, H100), method="vllm")
    best = ladder.best
    assert best is not None and (best.weight_format, best.kv_cache_dtype) == ("bf16", "fp8")
    assert f"fp8 KV cache\n({best.concurrency_reached} requests)" in SECTION
    bf16_kv = next(s for s in ladder.steps if s.holds and s.kv_cache_dtype == "bf16")
    assert bf16_kv.weight_format == "gptq-int4"
    assert f"GPTQ INT4 weights ({bf16_kv.concurrency_reached} requests)" in SECTION
    # the Chinese README states the same numbers
    assert f"最长上下文为 {fit.context_len:,} token" in SECTION_ZH
    assert f"fp8 KV 缓存（{best.concurrency_reached} 个请求）" in SECTION_ZH
    assert f"GPTQ INT4 权重（{bf16_kv.concurrency_reached} 个请求）" in SECTION_ZH
