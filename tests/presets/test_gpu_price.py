"""The optional, user-given price per GPU-hour of a GPU preset (issue 13)."""

from __future__ import annotations

import pytest

from presets import load_catalog
from presets.loader import load_text

GPU = """
gpus:
  - id: acme-gpu
    name: Acme GPU
    vendor: NVIDIA
    category: datacenter
    memory_marketed: 16 GB
    memory_gib: 15.5
    bandwidth_gb_s: 500
    source: hand-made test entry
"""


def _load(text: str) -> tuple[dict[str, object], list[str]]:
    models: dict[str, object] = {}
    gpus: dict[str, object] = {}
    errors: list[str] = []
    load_text(text, "user.yaml", "user", models, gpus, errors)
    return gpus, errors


def test_price_with_its_source_is_read() -> None:
    gpus, errors = _load(
        GPU + "    price_per_gpu_hour: 1.25\n    price_source: my provider's invoice, USD\n"
    )
    assert errors == []
    g = gpus["acme-gpu"]
    assert g.price_per_gpu_hour == 1.25  # type: ignore[attr-defined]
    assert g.price_source == "my provider's invoice, USD"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ("    price_per_gpu_hour: 1.25\n", "price_source: required"),
        ("    price_per_gpu_hour: -1\n    price_source: x\n", "price_per_gpu_hour: -1"),
        ("    price_per_gpu_hour: cheap\n    price_source: x\n", "expected a finite number"),
    ],
)
def test_bad_price_is_refused_with_the_field(extra: str, needle: str) -> None:
    gpus, errors = _load(GPU + extra)
    assert gpus == {}
    assert any(needle in e for e in errors), errors


def test_builtin_presets_carry_no_invented_prices() -> None:
    # No price without a source: the built-in file gives none (prices vary by provider).
    for g in load_catalog().gpus.values():
        assert (g.price_per_gpu_hour is None) == (g.price_source == "")
