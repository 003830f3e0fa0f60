"""The dashboard's whole state, and its URL codec (typed, whitelisted, never pickled).

Every field has a type, a default and an allowed range or set. ``decode`` turns query parameters
(untrusted text) into a :class:`ViewState`, falling back to the default for any unknown, invalid,
non-finite or out-of-range value and returning a notice that names the parameter; ``encode`` is
its inverse, so a share link restores the view exactly.

The link format (version 2, ``v=2``) keeps the readable parameters people write by hand
(``model``, ``weights``, ``ctx``, ``conc``, ``method``, ``gpus``, ``tp``, ``pp``, ``dp``, ...),
writes only what differs from the defaults, and adds:

* ``pins``: up to four pinned scenarios, ``~``-separated, each ``key=value`` pairs joined by
  ``:`` holding only the fields that differ from the defaults (a version-1 pin, which lists
  every field, reads the same);
* ``cfg``: an uploaded config.json, minified, zlib-compressed and base64url-encoded behind the
  prefix ``z1.``; at most ``MAX_CFG_CHARS`` characters, inflating to at most
  ``MAX_CONFIG_BYTES``, and parsed like any upload (untrusted data, never executed).

A link is at most ``MAX_LINK_CHARS`` characters of query; ``encode_link`` says in words what it
had to leave out past that, and never drops anything silently.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import math
import re
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any, Final

from calculators import Message, message_of
from dashboard.bounds import CONTEXT_STEPS as CONTEXT_STEPS
from dashboard.bounds import FLOAT_BOUNDS, INT_BOUNDS, listed
from dashboard.i18n import LANGUAGES
from model_sources import SourceError
from model_sources.hub import parse_hub_id
from presets.loader import ID_PATTERN  # preset ids are exactly what a share link carries

MAX_PARAM_LEN: Final[int] = 400
MAX_GPUS: Final[int] = 6
MAX_PINS: Final[int] = 4
MAX_PIN_LEN: Final[int] = 300  # one pin token
LINK_VERSION: Final[str] = "2"
MAX_CFG_CHARS: Final[int] = 12_000  # an uploaded config.json in the link, compressed + base64
# 16,000 characters of query: well under Chromium's and Firefox's URL limits (2 MB / 64 KB) and
# Tornado's default 64 KiB request header, so a link that fits here opens everywhere.
MAX_LINK_CHARS: Final[int] = 16_000
METHOD_IDS: Final[tuple[str, ...]] = ("article", "vllm", "sglang", "llamacpp")
SOURCES: Final[tuple[str, ...]] = ("preset", "custom", "upload", "hf")
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
    # speed chart: request lengths and an optional service-level objective
    in_tok: int = 1024
    out_tok: int = 1024
    slo: int = 0
    slo_tps: float = 20.0
    slo_ttft: float = 2.0
    pins: tuple[str, ...] = field(default=())
    hf: str = ""  # a Hugging Face id (org/name[@revision]) when src is "hf"
    # the page's language; a first visit without `lang` follows the browser (dashboard.session)
    lang: str = "en"


DEFAULT_STATE: Final[ViewState] = ViewState()


def _int(lo: int, hi: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            v = int(text.strip())
        except ValueError:
            raise ValueError(Message("is not a whole number")) from None
        if not lo <= v <= hi:
            raise ValueError(Message("is outside {lo}..{hi}", lo=lo, hi=hi))
        return v

    return parse


def _float(lo: float, hi: float) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            v = float(text.strip())
        except ValueError:
            raise ValueError(Message("is not a number")) from None
        if not math.isfinite(v):
            raise ValueError(Message("is not a finite number"))
        if not lo <= v <= hi:
            raise ValueError(Message("is outside {lo:g}..{hi:g}", lo=lo, hi=hi))
        return v

    return parse


def _choice(options: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text not in options:
            raise ValueError(Message("is not one of {options}", options=", ".join(options)))
        return text

    return parse


def _hf_id(text: str) -> str:
    """A Hugging Face id, validated as strictly as the Hub source validates it (or empty)."""
    if not text:
        return ""
    try:
        return str(parse_hub_id(text))
    except SourceError:
        raise ValueError("is not a Hugging Face id (org/name[@revision])") from None


def _ident(text: str) -> str:
    if not ID_PATTERN.fullmatch(text) or ".." in text:
        raise ValueError(Message("is not a valid id"))
    return text


def _id_list(text: str) -> tuple[str, ...]:
    items = tuple(t for t in text.split(",") if t)
    if len(items) > MAX_GPUS:
        raise ValueError(Message("lists more than {n} entries", n=MAX_GPUS))
    ids = tuple(_ident(t) for t in items)
    if len(set(ids)) != len(ids):
        twice = next(i for i in ids if ids.count(i) > 1)
        raise ValueError(Message("lists {id!r} twice", id=twice[:40]))
    return ids


def _pins(text: str) -> tuple[str, ...]:
    items = tuple(t for t in text.split("~") if t)
    if len(items) > MAX_PINS:
        raise ValueError(Message("lists more than {n} pinned scenarios", n=MAX_PINS))
    for t in items:
        if not re.fullmatch(rf"[A-Za-z0-9._/:,=-]{{1,{MAX_PIN_LEN}}}", t):
            raise ValueError(Message("has an invalid pinned scenario"))
    return items


ENGINE_VERSIONS: Final[tuple[str, ...]] = ("0.6", "0.19", "0.21")

# Numeric fields take their ranges from dashboard.bounds, the widgets' own ranges.

# The longest text each parameter may hold (the rest: MAX_PARAM_LEN).
PARAM_LIMITS: Final[dict[str, int]] = {
    "pins": MAX_PINS * (MAX_PIN_LEN + 1),
    "cfg": MAX_CFG_CHARS,
}
_CFG_PREFIX: Final[str] = "z1."
_CFG_RE: Final = re.compile(r"^[A-Za-z0-9_-]*={0,2}$")


def named_config(data: bytes, name: str) -> bytes:
    """The uploaded config.json with the name the planner shows for it as ``_name_or_path``
    (when it has none), so a link's recipient sees the same name; other bytes unchanged."""
    try:
        raw = json.loads(data)
    except (ValueError, RecursionError):
        return data
    if not isinstance(raw, dict) or isinstance(raw.get("_name_or_path"), str):
        return data
    return json.dumps({"_name_or_path": name, **raw}, ensure_ascii=False).encode()


def encode_config(data: bytes) -> str:
    """An uploaded config.json for the link: minified when it is JSON, zlib level 9, base64url."""
    with contextlib.suppress(ValueError, RecursionError):  # else sent as it is: the
        # recipient's parser names the problem
        data = json.dumps(json.loads(data), separators=(",", ":"), ensure_ascii=False).encode()
    packed = base64.urlsafe_b64encode(zlib.compress(data, 9)).decode("ascii").rstrip("=")
    return _CFG_PREFIX + packed


def decode_config(text: str, max_bytes: int) -> bytes:
    """The config.json bytes a ``cfg`` parameter carries; ValueError (in words) when the text is
    not this codec's, is over its length, or inflates past ``max_bytes`` (a zip bomb stops at
    the limit: decompression is bounded, not checked afterwards)."""
    if len(text) > MAX_CFG_CHARS:
        raise ValueError(Message("is over {n:,} characters", n=MAX_CFG_CHARS))
    if not text.startswith(_CFG_PREFIX):
        raise ValueError(Message("is not a config.json packed by this planner (prefix z1.)"))
    body = text[len(_CFG_PREFIX) :]
    if not _CFG_RE.match(body):
        raise ValueError(Message("has characters outside base64url"))
    try:
        packed = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise ValueError(Message("is not valid base64url")) from None
    inflater = zlib.decompressobj()
    try:
        data = inflater.decompress(packed, max_bytes + 1)
    except zlib.error:
        raise ValueError(Message("is not valid compressed data")) from None
    if len(data) > max_bytes or inflater.unconsumed_tail:
        raise ValueError(
            Message("inflates past the {n:,}-byte limit for a config.json", n=max_bytes)
        )
    if not inflater.eof:
        raise ValueError(Message("is cut short (the link may have been truncated)"))
    return data


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
    "hf": _hf_id,
    "lang": _choice(LANGUAGES),
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
        if key in LINK_KEYS:
            first = raw[0] if isinstance(raw, list) and raw else raw
            if key == "v" and first not in ("1", LINK_VERSION):
                notices.append(
                    Message(
                        "This link is version {v}; this planner reads versions 1 and {mine}: "
                        "anything it does not know is listed below.",
                        v=_short(str(first)),
                        mine=LINK_VERSION,
                    )
                )
            continue
        if key not in PARSERS:
            unknown.append(_short(key))
            continue
        copies = [raw] if not isinstance(raw, list) else raw
        if not copies:
            continue
        text = copies[0]
        if len(copies) > 1 and any(c != text for c in copies[1:]):
            notices.append(
                Message(
                    "URL parameter {key!r} is given {n} times with different values; "
                    "using the first, {value}.",
                    key=key,
                    n=len(copies),
                    value=_short(text) if isinstance(text, str) else "?",
                )
            )
        limit = PARAM_LIMITS.get(key, MAX_PARAM_LEN)
        if not isinstance(text, str) or len(text) > limit:
            notices.append(
                Message(
                    "URL parameter {key!r} is over {limit:,} characters and was ignored; "
                    "using the default.",
                    key=key,
                    limit=limit,
                )
            )
            continue
        try:
            values[key] = PARSERS[key](text)
        except ValueError as e:
            default = getattr(DEFAULT_STATE, key)
            notices.append(
                Message(
                    "URL parameter {key!r} = {value} {problem}; using the default {default!r}.",
                    key=key,
                    value=_short(text),
                    problem=message_of(e),
                    default=default,
                )
            )
    if unknown:
        notices.insert(
            0,
            Message("URL parameters {names} are not known and were ignored.", names=listed(unknown))
            if len(unknown) > 1
            else Message("URL parameter {names} is not known and was ignored.", names=unknown[0]),
        )
    state = replace(DEFAULT_STATE, **values)
    if state.avg > state.ctx:
        notices.append(
            Message(
                "URL parameter 'avg' ({avg}) is longer than the context; using {ctx}.",
                avg=state.avg,
                ctx=state.ctx,
            )
        )
        state = replace(state, avg=state.ctx)
    return state, notices


LINK_KEYS: Final[frozenset[str]] = frozenset({"v", "cfg"})  # read by decode_link's callers


def encode_link(state: ViewState, config: bytes | None = None) -> tuple[dict[str, str], list[str]]:
    """The share link's query parameters (version 2) for ``state`` and, when the model is an
    uploaded config.json, its bytes; plus what the link leaves out, in words (nothing silently:
    a config over the link's size is left out with a notice saying so)."""
    out = {"v": LINK_VERSION, **encode(state)}
    notices: list[str] = []
    if config is not None and state.src == "upload":
        packed = encode_config(config)
        size = sum(len(k) + len(v) + 2 for k, v in out.items())
        if len(packed) > MAX_CFG_CHARS or size + len(packed) > MAX_LINK_CHARS:
            notices.append(
                Message(
                    "The uploaded config.json is {size:,} bytes and packs to {chars:,} "
                    "characters, over the link's {limit:,}: the link does not carry it, so "
                    "whoever opens it must upload the file too.",
                    size=len(config),
                    chars=len(packed),
                    limit=MAX_CFG_CHARS,
                )
            )
        else:
            out["cfg"] = packed
    return out, notices


def encode(state: ViewState) -> dict[str, str]:
    """Query parameters for ``state``: the fields that differ from the defaults, and always the
    language, so a shared link opens in the sender's language whatever the reader's browser."""
    out: dict[str, str] = {}
    for f in fields(ViewState):
        v = getattr(state, f.name)
        if v == getattr(DEFAULT_STATE, f.name) and f.name != "lang":
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
    "avg",
    "method",
    "tp",
    "pp",
    "dp",
    "alpha",
    "gpus",
    "util",
    "ev",
    "mnbt",
    "mns",
    "mfs",
    "ubatch",
    "fa",
)


PIN_IDENTITY: Final[tuple[str, ...]] = ("model", "weights", "method", "tp", "gpus")


def pin_token(state: ViewState) -> str:
    """A pinned scenario as text (``key=value`` pairs joined by ``:``), safe for the URL and
    readable: what names the scenario (model, weights, method, TP, its first GPU) always, the
    other fields only when they differ from the defaults."""
    parts = []
    for k in PIN_FIELDS:
        v = getattr(state, k)
        default = getattr(DEFAULT_STATE, k)
        if k == "gpus":
            v, default = tuple(v[:1]), default[:1]
        if v == default and k not in PIN_IDENTITY:
            continue
        parts.append(f"{k}={','.join(v) if k == 'gpus' else v}")
    return ":".join(parts)


def unpin(token: str, base: ViewState) -> ViewState:
    """The scenario a pin token describes: its fields over the defaults (display choices such as
    the unit from ``base``); ValueError if malformed."""
    values: dict[str, Any] = {k: getattr(DEFAULT_STATE, k) for k in PIN_FIELDS}
    values["gpus"] = DEFAULT_STATE.gpus[:1]
    for part in token.split(":"):
        key, _, text = part.partition("=")
        if key not in PIN_FIELDS:
            raise ValueError(Message("pinned scenario has an unknown field {key!r:.30}", key=key))
        values[key] = PARSERS[key](text)
    return replace(base, src="preset", pins=(), **values)
