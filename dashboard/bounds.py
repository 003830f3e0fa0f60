"""The dashboard's input bounds, defined once: the URL codec, the pins and the widgets read them.

A value the codec accepts is one the widget bound to it accepts (Streamlit raises
``StreamlitAPIException`` for a session value outside a widget's range, which leaves the page
empty), so every numeric field of the view state has exactly one range here. Pure: no Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from calculators import Message


@dataclass(frozen=True)
class IntBound:
    """Whole numbers ``lo..hi`` (inclusive); ``step`` is the widget's increment."""

    lo: int
    hi: int
    step: int = 1

    def contains(self, value: int) -> bool:
        return self.lo <= value <= self.hi


@dataclass(frozen=True)
class FloatBound:
    """Finite numbers ``lo..hi`` (inclusive); ``step`` is the widget's increment."""

    lo: float
    hi: float
    step: float

    def contains(self, value: float) -> bool:
        return self.lo <= value <= self.hi


# Context slider: powers of two and the lengths people quote (the article's 12,000; 128,000
# and 200,000 as model cards print them), capped at the model's native maximum, plus the current
# value; any other whole number in CTX through the exact entry.
CONTEXT_STEPS: Final[tuple[int, ...]] = (
    512, 1024, 2048, 4096, 8192, 12_000, 16384, 32768, 65536, 128_000, 131072, 200_000,
    262144, 524288, 1048576,
)  # fmt: skip
# Concurrency slider: fine where people work (1, 2, 3, 4, 6, 8, 12, 16, ...), then x1.5 / x2.
CONC_STEPS: Final[tuple[int, ...]] = (
    1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024,
    1536, 2048, 3072, 4096,
)  # fmt: skip
# Parameters slider ("By hand"), billions, log-spaced 0.5B .. 2T with common model sizes.
PARAM_STEPS_B: Final[tuple[float, ...]] = (
    0.5, 0.6, 0.8, 1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 12.0, 14.0, 16.0,
    20.0, 24.0, 27.0, 32.0, 40.0, 47.0, 56.0, 70.0, 72.0, 80.0, 100.0, 110.0, 123.0, 141.0,
    175.0, 235.0, 300.0, 405.0, 480.0, 671.0, 1000.0, 1500.0, 2000.0,
)  # fmt: skip

INT_BOUNDS: Final[dict[str, IntBound]] = {
    "ctx": IntBound(128, 10_485_760),
    "conc": IntBound(1, CONC_STEPS[-1]),
    "batch": IntBound(1, 64),
    "avg": IntBound(1, 10_485_760),  # and at most ctx (a cross-field limit, see view)
    "tp": IntBound(1, 64),
    "pp": IntBound(1, 64),
    "dp": IntBound(1, 1024),
    "mnbt": IntBound(16, 1_048_576, 1024),
    "mns": IntBound(1, 8192, 64),
    "ubatch": IntBound(1, 65536, 128),
    "fa": IntBound(0, 1),
    "c_layers": IntBound(1, 1000),
    "c_hidden": IntBound(16, 262_144, 256),
    "c_heads": IntBound(1, 4096),
    "c_kv_heads": IntBound(1, 4096),
    "c_head_dim": IntBound(8, 4096),
    "c_vocab": IntBound(0, 2_000_000, 1000),
    "in_tok": IntBound(1, 1_048_576, 256),  # speed chart: prompt tokens per request
    "out_tok": IntBound(1, 1_048_576, 256),  # speed chart: output tokens per request
    "slo": IntBound(0, 1),  # speed SLO off (0) / on (1)
}

FLOAT_BOUNDS: Final[dict[str, FloatBound]] = {
    "alpha": FloatBound(0.0, 0.5, 0.01),  # the article's α: 0.10-0.20 typical
    "util": FloatBound(0.5, 1.0, 0.01),  # vLLM gpu_memory_utilization
    "mfs": FloatBound(0.0, 0.99, 0.01),  # SGLang mem_fraction_static; 0 = SGLang's default
    "c_params_b": FloatBound(0.001, 10_000.0, 0.5),  # billions of parameters
    "slo_tps": FloatBound(0.1, 10_000.0, 1.0),  # SLO: at least this many tokens/s per user
    "slo_ttft": FloatBound(0.01, 600.0, 0.1),  # SLO: time to first token at most, seconds
}

# Cross-field limits (checked with the model in dashboard.view.check_settings).
MAX_TOTAL_GPUS: Final[int] = 100_000  # TP x PP x replicas; calculators.spec.Deployment's limit

# Notices: at most this many boxes; the rest are summarised in one line.
MAX_NOTICES: Final[int] = 6
MAX_LISTED: Final[int] = 5  # names listed in one grouped notice ("a, b, c, ... and 994 more")


def cap_notices(notices: list[str], limit: int = MAX_NOTICES) -> list[str]:
    """At most ``limit`` notices, the last one saying how many more were left out."""
    if len(notices) <= limit:
        return notices
    rest = len(notices) - (limit - 1)
    return [*notices[: limit - 1], Message("... and {n} more notices about this view.", n=rest)]


def listed(names: list[str], limit: int = MAX_LISTED) -> str:
    """'a, b, c' or 'a, b, c, d, e and 994 more'."""
    shown = ", ".join(names[:limit])
    if len(names) <= limit:
        return shown
    return Message("{names} and {n} more", names=shown, n=len(names) - limit)
