"""Read safetensors headers only: the 8-byte little-endian length and the JSON header after it.

Bounded: the header may be at most :data:`MAX_HEADER_BYTES` (safetensors' own limit is 100 MB;
huggingface_hub's 25 MB); tensor data is never read. Offsets are checked the way the safetensors
format defines them (contiguous from 0, within the file), and the file is opened with the
``safetensors`` package as a second check of the header.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

from calculators import SpecError, TensorEntry
from calculators.messages import Message, message_of
from model_sources.common import SourceError, parse_json_object

MAX_HEADER_BYTES: Final[int] = 25_000_000  # huggingface_hub SAFETENSORS_MAX_HEADER_LENGTH


def tensors_from_header(header: Mapping[str, Any], what: str) -> list[TensorEntry]:
    """Tensor entries of a decoded safetensors header (``__metadata__`` skipped)."""
    out = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(info, Mapping):
            raise SourceError(
                Message(
                    "{what}: tensor {name!r:.80} has no dtype/shape/offsets", what=what, name=name
                )
            )
        dtype, shape, offsets = info.get("dtype"), info.get("shape"), info.get("data_offsets")
        if (
            not isinstance(dtype, str)
            or not isinstance(shape, list)
            or not isinstance(offsets, list | tuple)
            or len(offsets) != 2
            or not all(isinstance(o, int) and not isinstance(o, bool) for o in offsets)
        ):
            raise SourceError(
                Message(
                    "{what}: tensor {name!r:.80} has a malformed header entry", what=what, name=name
                )
            )
        try:
            out.append(TensorEntry(name, dtype, tuple(shape), offsets[1] - offsets[0]))
        except SpecError as e:
            raise SourceError(
                Message("{what}: {problem}", what=what, problem=message_of(e))
            ) from None
    return out


def read_header(path: Path, what: str) -> dict[str, Any]:
    """The decoded JSON header of the safetensors file at ``path`` (reads 8 + N bytes only);
    errors start with ``what``."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(8)
            if len(head) < 8:
                raise SourceError(
                    Message(
                        "{what}: {size} bytes is too short for a safetensors file",
                        what=what,
                        size=size,
                    )
                )
            (n,) = struct.unpack("<Q", head)
            if n > MAX_HEADER_BYTES:
                raise SourceError(
                    Message(
                        "{what}: header of {n:,} bytes is over the {max_header_bytes:,}-byte limit "
                        "(not a safetensors file? a git-lfs pointer?)",
                        what=what,
                        n=n,
                        max_header_bytes=MAX_HEADER_BYTES,
                    )
                )
            if 8 + n > size:
                raise SourceError(
                    Message(
                        "{what}: header of {n:,} bytes is longer than the file (truncated, or a "
                        "git-lfs pointer instead of the weights)",
                        what=what,
                        n=n,
                    )
                )
            data = f.read(n)
    except OSError as e:
        raise SourceError(
            Message("{what}: cannot read ({strerror})", what=what, strerror=e.strerror)
        ) from None
    header = parse_json_object(data.rstrip(b" "), f"{what} header", MAX_HEADER_BYTES)
    _check_offsets(header, size - 8 - n, what)
    _check_with_safetensors(path, header, what)
    return header


def _check_offsets(header: Mapping[str, Any], data_bytes: int, what: str) -> None:
    spans = []
    for name, info in header.items():
        if name == "__metadata__":
            continue
        offsets = info.get("data_offsets") if isinstance(info, Mapping) else None
        if not isinstance(offsets, list) or len(offsets) != 2:
            raise SourceError(
                Message("{what}: tensor {name!r:.80} has no data_offsets", what=what, name=name)
            )
        spans.append((offsets[0], offsets[1], name))
    spans.sort(key=lambda s: (s[0], s[1]))
    pos = 0
    for start, end, name in spans:
        if start != pos or end < start:
            raise SourceError(
                Message(
                    "{what}: tensor {name!r:.80} offsets are not contiguous", what=what, name=name
                )
            )
        pos = end
    if pos != data_bytes:
        raise SourceError(
            Message(
                "{what}: header describes {pos:,} data bytes, the file holds {data_bytes:,}",
                what=what,
                pos=pos,
                data_bytes=data_bytes,
            )
        )


def _check_with_safetensors(path: Path, header: Mapping[str, Any], what: str) -> None:
    """Open the file with the safetensors package (validates the header; reads no tensor data)
    and check that it sees the same tensors."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), framework="numpy") as f:
            keys = set(f.keys())
    except (SafetensorError, OSError, ValueError) as e:
        raise SourceError(
            Message("{what}: the safetensors package refuses it ({e})", what=what, e=message_of(e))
        ) from None
    if keys != {k for k in header if k != "__metadata__"}:
        raise SourceError(
            Message("{what}: header tensors differ from what safetensors reads", what=what)
        )
