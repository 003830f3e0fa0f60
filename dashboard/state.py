"""The dashboard's whole state, and its URL codec (typed, whitelisted, never pickled).

Every field has a type, a default and an allowed range or set. ``decode`` turns query parameters
(untrusted text) into a :class:`ViewState`, falling back to the default for any unknown, invalid,
non-finite or out-of-range value and returning a notice that names the parameter; ``encode`` is
its inverse, so a share link restores the view exactly.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Final

from dashboard.bounds import CONTEXT_STEPS as CONTEXT_STEPS
from dashboard.bounds import FLOAT_BOUNDS, INT_BOUNDS, listed
from presets.loader import ID_PATTERN  # preset ids are exactly what a share link carries

MAX_PARAM_LEN: Final[int] = 400
MAX_GPUS: Final[int] = 6
MAX_PINS: Final[int] = 4
METHOD_IDS: Final[tuple[str, ...]] = ("article", "vllm", "sglang", "llamacpp")
SOURCES: Final[tuple[str, ...]] = ("preset", "custom", "upload")
UNITS: Final[tuple[str, ...]] = ("GiB", "GB")
DEFAULT_GPUS: Final[tuple[str, ...]] = ("h100-sxm-80gb", "a100-40gb", "l40s-48gb", "rtx-4090-24gb")


@dataclass(frozen=True)
class ViewState:
    """Everything the dashboard shows is a function of this (plus uploaded files and pins)."""

    src: str = "preset"
    model: str = "meta-llama/Llama-3.1-8B-Instruct"
    weights: str = "bf16"
    kv: str = "auto"
    ctx: int = 8192
    conc: int = 16
    batch: int = 1
    avg: int = 2048
    alpha: float = 0.15
    method: str = "article"
    gpus: tuple[str, ...] = DEFAULT_GPUS
    tp: int = 1
    pp: int = 1
    dp: int = 1  # replicas (data parallel): capacity multiplies, memory per GPU does not
    unit: str = "GiB"
    util: float = 0.90
    mnbt: int = 8192
    mns: int = 1024
    ev: str = "0.19"  # vLLM version: 0.19 (CUDA graphs not subtracted) or 0.21+ (subtracted)
    mfs: float = 0.0  # SGLang mem_fraction_static; 0 = SGLang's default for the GPU
    ubatch: int = 512  # llama.cpp n_ubatch
    fa: int = 1  # llama.cpp flash attention on (1) / off (0)
    # a model entered by hand
    c_params_b: float = 7.0
    c_layers: int = 32
    c_hidden: int = 4096
    c_heads: int = 32
    c_kv_heads: int = 8
    c_head_dim: int = 128
    c_vocab: int = 128256
    pins: tuple[str, ...] = field(default=())


DEFAULT_STATE: Final[ViewState] = ViewState()


def _int(lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            v = int(text.strip())
        except ValueError:
            raise ValueError("is not a whole number") from None
        if not lo <= v <= hi:
            raise ValueError(f"is outside {lo}..{hi}")
        return v

    return parse


def _float(lo: float, hi: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            v = float(text.strip())
        except ValueError:
            raise ValueError("is not a number") from None
        if not math.isfinite(v):
            raise ValueError("is not a finite number")
        if not lo <= v <= hi:
            raise ValueError(f"is outside {lo:g}..{hi:g}")
        return v

    return parse


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(f"is not one of {', '.join(options)}")
        return text

    return parse


def _ident(text: str) -> str:
    if not ID_PATTERN.fullmatch(text) or ".." in text:
        raise ValueError("is not a valid id")
    return text


def _id_list(text: str) -> tuple[str, ...]:
    items = tuple(t for t in text.split(",") if t)
    if len(items) > MAX_GPUS:
        raise ValueError(f"lists more than {MAX_GPUS} entries")
    ids = tuple(_ident(t) for t in items)
    if len(set(ids)) != len(ids):
        twice = next(i for i in ids if ids.count(i) > 1)
        raise ValueError(f"lists {twice[:40]!r} twice")
    return ids


def _pins(text: str) -> tuple[str, ...]:
    items = tuple(t for t in text.split("~") if t)
    if len(items) > MAX_PINS:
        raise ValueError(f"lists more than {MAX_PINS} pinned scenarios")
    for t in items:
        if not re.fullmatch(r"[A-Za-z0-9._/:,=-]{1,300}", t):
            raise ValueError("has an invalid pinned scenario")
    return items


ENGINE_VERSIONS: Final[tuple[str, ...]] = ("0.6", "0.19", "0.21")

# Numeric fields take their ranges from dashboard.bounds, the widgets' own ranges.
PARSERS: Final[dict[str, Callable[[str], Any]]] = {
    "src": _choice(SOURCES),
    "model": _ident,
    "weights": _ident,
    "kv": _ident,
    "method": _choice(METHOD_IDS),
    "gpus": _id_list,
    "unit": _choice(UNITS),
    "ev": _choice(ENGINE_VERSIONS),
    "pins": _pins,
    **{name: _int(b.lo, b.hi) for name, b in INT_BOUNDS.items()},
    **{name: _float(b.lo, b.hi) for name, b in FLOAT_BOUNDS.items()},
}


def _short(text: str) -> str:
    t = text if len(text) <= 40 else text[:37] + "..."
    return repr(t)


def decode(params: Mapping[str, str | list[str]]) -> tuple[ViewState, list[str]]:
    """State from URL query parameters; notices for everything ignored or replaced.

    A parameter given more than once (``?conc=8&conc=4096``) takes its first value, with a
    notice when the copies differ; unknown parameters are reported in one grouped notice.
    """
    values: dict[str, Any] = {}
    notices: list[str] = []
    unknown: list[str] = []
    for key, raw in params.items():
        if key not in PARSERS:
            unknown.append(_short(key))
            continue
        copies = [raw] if not isinstance(raw, list) else raw
        if not copies:
            continue
        text = copies[0]
        if len(copies) > 1 and any(c != text for c in copies[1:]):
            notices.append(
                f"URL parameter {key!r} is given {len(copies)} times with different values; "
                f"using the first, {_short(text) if isinstance(text, str) else '?'}."
            )
        if not isinstance(text, str) or len(text) > MAX_PARAM_LEN:
            notices.append(f"URL parameter {key!r} is too long; using the default.")
            continue
        try:
            values[key] = PARSERS[key](text)
        except ValueError as e:
            default = getattr(DEFAULT_STATE, key)
            notices.append(
                f"URL parameter {key!r} = {_short(text)} {e}; using the default {default!r}."
            )
    if unknown:
        notices.insert(
            0,
            f"URL parameter{'s' if len(unknown) > 1 else ''} {listed(unknown)} "
            f"{'are' if len(unknown) > 1 else 'is'} not known and {'were' if len(unknown) > 1 else 'was'} ignored.",
        )
    state = replace(DEFAULT_STATE, **values)
    if state.avg > state.ctx:
        notices.append(
            f"URL parameter 'avg' ({state.avg}) is longer than the context; using {state.ctx}."
        )
        state = replace(state, avg=state.ctx)
    return state, notices


def encode(state: ViewState) -> dict[str, str]:
    """Query parameters for ``state``: only fields that differ from the defaults."""
    out: dict[str, str] = {}
    for f in fields(ViewState):
        v = getattr(state, f.name)
        if v == getattr(DEFAULT_STATE, f.name):
            continue
        if f.name == "gpus":
            out[f.name] = ",".join(v)
        elif f.name == "pins":
            out[f.name] = "~".join(v)
        elif isinstance(v, float):
            out[f.name] = repr(v)
        else:
            out[f.name] = str(v)
    return out


# -- pinned scenarios: a compact, whitelisted text form --------------------------------------------
PIN_FIELDS: Final[tuple[str, ...]] = (
    "model",
    "weights",
    "kv",
    "ctx",
    "conc",
    "batch",
    "method",
    "tp",
    "pp",
    "alpha",
    "gpus",
)


def pin_token(state: ViewState) -> str:
    """A pinned scenario as text (``key=value`` pairs joined by ``:``), safe for the URL."""
    parts = []
    for k in PIN_FIELDS:
        v = getattr(state, k)
        parts.append(f"{k}={','.join(v[:1]) if k == 'gpus' else v}")
    return ":".join(parts)


def unpin(token: str, base: ViewState) -> ViewState:
    """The scenario a pin token describes, on top of ``base``; ValueError if malformed."""
    values: dict[str, Any] = {}
    for part in token.split(":"):
        key, _, text = part.partition("=")
        if key not in PIN_FIELDS:
            raise ValueError(f"pinned scenario has an unknown field {key!r:.30}")
        values[key] = PARSERS[key](text)
    return replace(base, src="preset", **values)
