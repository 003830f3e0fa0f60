"""Overhead: temporary buffers and framework memory, as a fraction of the weights.

The article: ``overhead = α × weights`` with α in 0.1–0.2 (example: α = 0.15 on 72 GB of weights
is 10.8 GB). Unit: bytes, rounded to the nearest byte; α is read as the decimal it is written as,
so 0.15 × 72,000,000,000 is exactly 10,800,000,000.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Final

from calculators.messages import Message

# The article's range for α (dimensionless), and the wider range the planner accepts.
ARTICLE_OVERHEAD_RANGE: Final[tuple[float, float]] = (0.10, 0.20)
ARTICLE_OVERHEAD_DEFAULT: Final[float] = 0.15  # the article's worked example
OVERHEAD_LIMITS: Final[tuple[float, float]] = (0.0, 1.0)


def overhead_bytes(weights_bytes: int, alpha: float) -> int:
    """``α × weights`` in bytes."""
    lo, hi = OVERHEAD_LIMITS
    if not lo <= alpha <= hi:
        raise ValueError(
            Message("overhead fraction {alpha!r} is outside {lo}..{hi}", alpha=alpha, lo=lo, hi=hi)
        )
    return round(Fraction(repr(float(alpha))) * weights_bytes)
