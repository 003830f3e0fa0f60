"""Units of memory: bytes inside, GiB or GB at the edge.

Convention (stated once, used everywhere):

* ``GiB`` is the binary gibibyte, 2**30 bytes. GPUs, ``nvidia-smi``, PyTorch and the serving engines
  (vLLM, SGLang, llama.cpp) all report memory in binary units, even when their logs write "GB".
  It is the default unit of the planner.
* ``GB`` is the decimal gigabyte, 10**9 bytes, as vendors market memory ("80 GB") and as the
  source article prints weights ("72 GB").

Every calculator returns integer bytes; only these helpers turn bytes into numbers of a unit or
into text, and every text they produce names its unit.
"""

from __future__ import annotations

from typing import Final, Literal

from calculators.messages import Message

BYTES_PER_KIB: Final[int] = 2**10
BYTES_PER_MIB: Final[int] = 2**20
BYTES_PER_GIB: Final[int] = 2**30
BYTES_PER_TIB: Final[int] = 2**40
BYTES_PER_MB: Final[int] = 10**6
BYTES_PER_GB: Final[int] = 10**9
BYTES_PER_TB: Final[int] = 10**12

Unit = Literal["GiB", "GB"]
UNITS: Final[tuple[Unit, ...]] = ("GiB", "GB")

_BYTES_PER_UNIT: Final[dict[str, int]] = {
    "GiB": BYTES_PER_GIB,
    "GB": BYTES_PER_GB,
    "MiB": BYTES_PER_MIB,
    "MB": BYTES_PER_MB,
    "TiB": BYTES_PER_TIB,
    "TB": BYTES_PER_TB,
}

UNIT_CONVENTION: Final[dict[str, str]] = {
    "GiB": "GiB = 2^30 bytes (binary; what GPUs, nvidia-smi and serving engines report)",
    "GB": "GB = 10^9 bytes (decimal; how vendors market memory)",
}


def bytes_per_unit(unit: str) -> int:
    """Bytes in one ``unit`` (GiB, GB, MiB, MB, TiB, TB). Raises ValueError for anything else."""
    try:
        return _BYTES_PER_UNIT[unit]
    except KeyError:
        raise ValueError(
            Message(
                "unknown memory unit {unit!r}; use one of {v1}",
                unit=unit,
                v1=sorted(_BYTES_PER_UNIT),
            )
        ) from None


def to_unit(n_bytes: int | float, unit: str) -> float:
    """``n_bytes`` expressed in ``unit`` (a float, for display and charts only)."""
    return float(n_bytes) / bytes_per_unit(unit)


def from_unit(value: float, unit: str) -> int:
    """``value`` of ``unit`` as whole bytes (rounded to the nearest byte)."""
    return round(value * bytes_per_unit(unit))


def format_bytes(n_bytes: int | float, unit: str = "GiB", digits: int = 2) -> str:
    """Text such as ``"8.79 GiB"``: the number of ``unit`` with ``digits`` decimals and the unit."""
    return f"{to_unit(n_bytes, unit):,.{digits}f} {unit}"
