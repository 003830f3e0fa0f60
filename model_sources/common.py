"""What every model source returns, and the one error type they raise."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from calculators import CheckpointWeights, ModelSpec, SpecError, TensorEntry, checkpoint_weights
from calculators.checkpoint import checkpoint_format, stored_float_format
from calculators.messages import Message, message_of


class SourceError(Exception):
    """A model source that cannot be read: one line naming the input and what to do."""


@dataclass(frozen=True)
class LoadedModel:
    """A model read from a source: its architecture, the format its checkpoint is stored in, and
    the checkpoint's exact tensor bytes when the tensor list is known."""

    spec: ModelSpec
    default_weight_format: str | None  # None: the checkpoint's quantisation is not known here
    checkpoint: CheckpointWeights | None
    source: str  # e.g. "Hugging Face Qwen/Qwen3-8B@main", "folder ./qwen3", "GGUF file x.gguf"
    notes: tuple[str, ...] = field(default=())


def parse_json_object(data: bytes, what: str, limit: int) -> dict[str, Any]:
    """Parse ``data`` as a JSON object of at most ``limit`` bytes; SourceError naming ``what``."""
    if len(data) > limit:
        raise SourceError(
            Message(
                "{what}: {n_data:,} bytes is over the {limit:,}-byte limit",
                what=what,
                n_data=len(data),
                limit=limit,
            )
        )
    try:
        raw = json.loads(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise SourceError(Message("{what}: not UTF-8 text", what=what)) from None
    except json.JSONDecodeError as e:
        raise SourceError(
            Message(
                "{what}: not valid JSON ({msg} at line {lineno})",
                what=what,
                msg=e.msg,
                lineno=e.lineno,
            )
        ) from None
    except RecursionError:
        raise SourceError(Message("{what}: nested too deeply", what=what)) from None
    if not isinstance(raw, dict):
        raise SourceError(Message("{what}: expected a JSON object", what=what))
    return raw


def assemble(
    spec: ModelSpec,
    raw_config: Mapping[str, Any],
    tensors: Iterable[TensorEntry] | None,
    source: str,
    checkpoint_label: str,
    notes: Iterable[str] = (),
) -> LoadedModel:
    """A :class:`LoadedModel` from a parsed config and (optionally) its tensor list.

    The weight format defaults from ``quantization_config`` / ``torch_dtype`` with a visible note;
    the checkpoint's stored format is that one for a quantised checkpoint, and the dtype of most
    matrix bytes for an unquantised one (a float32 checkpoint then differs from the bf16 it is
    served in, and the estimate says it used the architecture).
    """
    fmt: str | None
    try:
        fmt, note = checkpoint_format(raw_config)
    except SpecError as e:
        fmt, note = None, str(e)
    out_notes = list(notes)
    if note:
        out_notes.append(note)
    checkpoint = None
    if tensors is not None:
        entries = list(tensors)
        stored = fmt or "unknown"
        if raw_config.get("quantization_config") is None:
            stored = stored_float_format(entries) or stored
        try:
            checkpoint = checkpoint_weights(
                entries,
                spec.num_hidden_layers,
                stored,
                checkpoint_label,
                tie_word_embeddings=spec.tie_word_embeddings,
            )
        except SpecError as e:
            raise SourceError(
                Message("{source}: {problem}", source=source, problem=message_of(e))
            ) from None
        out_notes.extend(checkpoint.notes)
    return LoadedModel(spec, fmt, checkpoint, source, tuple(out_notes))
