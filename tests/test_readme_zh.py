"""README.zh-CN.md stays true to the code: its commands exist, its worked example is the
calculators' total, the files and targets it names exist, and it uses the article's terms."""

from __future__ import annotations

import re
from fractions import Fraction
from pathlib import Path

from calculators import (
    BYTES_PER_GB,
    BYTES_PER_GIB,
    article_activation_bytes,
    article_kv_bytes,
    article_weights_bytes,
)

ROOT = Path(__file__).resolve().parents[1]
README_ZH = (ROOT / "README.zh-CN.md").read_text(encoding="utf-8")
MAKEFILE = (ROOT / "Makefile").read_text(encoding="utf-8")


def test_the_two_commands_and_every_make_target_named_exist() -> None:
    assert "make run" in README_ZH and "make test" in README_ZH
    for target in set(re.findall(r"`make ([a-z-]+)", README_ZH)):
        assert re.search(rf"^{target}:", MAKEFILE, re.M), target


def test_the_article_example_is_the_calculators_total() -> None:
    """The article's worked example (72e9 parameters, 8-bit i.e. factor 4 from FP32; 48 layers,
    head_dim 128, 32 heads, 12,000 tokens, FP16; α = 0.15)."""
    weights = article_weights_bytes(72_000_000_000, 4, Fraction(4))
    kv = article_kv_bytes(48, 128, 32, 12_000, 1, 2)
    act = article_activation_bytes(4096, 12_000, 1, 48, 2)
    overhead = weights * 15 // 100
    total = weights + kv + act + overhead
    parts = f"{weights:,} + {kv:,} + {act:,} + {overhead:,} = {total:,} 字节"
    assert parts in README_ZH
    assert f"{total / BYTES_PER_GB:.2f} GB" in README_ZH
    assert f"{total / BYTES_PER_GIB:.2f} GiB" in README_ZH


def test_paths_it_names_exist() -> None:
    for path in re.findall(r"`((?:calculators|tests|docs|locale)/[\w/.]+)`", README_ZH):
        assert (ROOT / path).exists(), path


def test_it_uses_the_article_vocabulary() -> None:
    for term in (
        "模型权重",
        "键值缓存（KV Cache）",
        "激活内存",
        "额外开销",
        "总内存",
        "并发数",
        "上下文长度",
        "量化因子",
        "批处理大小",
        "GiB = 2^30 字节",
        "GB = 10^9 字节",
    ):
        assert term in README_ZH, term
