"""A local model folder: ``config.json`` plus its ``*.safetensors`` (and their index).

Only the config and the safetensors headers are read. Shard names come from
``model.safetensors.index.json`` (its ``weight_map``) or, without an index, from the folder's
``*.safetensors``; every name must be a plain file name inside the folder.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Final

from calculators import MAX_CONFIG_BYTES, ModelSpec, SpecError, TensorEntry, parse_config_json
from calculators.messages import N_, Message, message_of
from model_sources.common import LoadedModel, SourceError, assemble, parse_json_object
from model_sources.safetensors_headers import read_header, tensors_from_header

INDEX_FILE: Final[str] = "model.safetensors.index.json"
MAX_INDEX_BYTES: Final[int] = 50_000_000  # DeepSeek-V3's index is ~9 MB
MAX_SHARDS: Final[int] = 10_000
SHARD_NAME: Final[re.Pattern[str]] = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.safetensors$")


def read_config_file(path: Path, what: str) -> bytes:
    """The bytes of a config.json, refused over :data:`MAX_CONFIG_BYTES`."""
    if not path.is_file():
        raise SourceError(Message("{what}: no config.json", what=what))
    size = path.stat().st_size
    if size > MAX_CONFIG_BYTES:
        raise SourceError(
            Message(
                "{what}: config.json is {size:,} bytes, over {max_config_bytes:,}",
                what=what,
                size=size,
                max_config_bytes=MAX_CONFIG_BYTES,
            )
        )
    try:
        return path.read_bytes()
    except OSError as e:
        raise SourceError(
            Message("{what}: cannot read config.json ({strerror})", what=what, strerror=e.strerror)
        ) from None


def shard_names(folder: Path, what: str) -> tuple[list[str], list[str]]:
    """(shard file names to read, notes); the names are checked to be plain files."""
    index = folder / INDEX_FILE
    if index.is_file():
        if index.stat().st_size > MAX_INDEX_BYTES:
            raise SourceError(
                Message(
                    "{what}: {index_file} is over {max_index_bytes:,} bytes",
                    what=what,
                    index_file=INDEX_FILE,
                    max_index_bytes=MAX_INDEX_BYTES,
                )
            )
        raw = parse_json_object(index.read_bytes(), f"{what}: {INDEX_FILE}", MAX_INDEX_BYTES)
        weight_map = raw.get("weight_map")
        if not isinstance(weight_map, dict) or not weight_map:
            raise SourceError(
                Message("{what}: {index_file} has no weight_map", what=what, index_file=INDEX_FILE)
            )
        names = sorted({v for v in weight_map.values() if isinstance(v, str)})
        if len(names) != len(set(weight_map.values())):
            raise SourceError(
                Message(
                    "{what}: {index_file} weight_map has non-text file names",
                    what=what,
                    index_file=INDEX_FILE,
                )
            )
    else:
        names = sorted(p.name for p in folder.glob("*.safetensors"))
    if len(names) > MAX_SHARDS:
        raise SourceError(
            Message(
                "{what}: {n_names:,} safetensors files, over {max_shards:,}",
                what=what,
                n_names=len(names),
                max_shards=MAX_SHARDS,
            )
        )
    for n in names:
        if not SHARD_NAME.fullmatch(n):
            raise SourceError(
                Message(
                    "{what}: shard name {n!r:.80} is not a plain .safetensors file name",
                    what=what,
                    n=n,
                )
            )
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        return [], [
            Message(
                "{n_missing} of {n_names} safetensors shards missing ({missing}, ...): weights "
                "from the architecture",
                n_missing=len(missing),
                n_names=len(names),
                missing=missing[0],
            )
        ]
    return names, []


def load_folder(folder: Path) -> LoadedModel:
    """Read a model folder: its config.json and the headers of its safetensors files."""
    what = f"--config {str(folder)!r:.120}"
    if not folder.is_dir():
        raise SourceError(Message("{what}: not a folder", what=what))
    text = read_config_file(folder / "config.json", what)
    raw = parse_json_object(text, f"{what}: config.json", MAX_CONFIG_BYTES)
    name = None if isinstance(raw.get("_name_or_path"), str) else folder.resolve().name
    try:
        spec = parse_config_json(text, name=name)
    except SpecError as e:
        raise SourceError(Message("{what}: {problem}", what=what, problem=message_of(e))) from None
    names, notes = shard_names(folder, what)
    tensors: list[TensorEntry] | None = None
    if names:
        tensors = []
        for n in names:
            tensors.extend(
                tensors_from_header(read_header(folder / n, f"{what}: {n}"), f"{what}: {n}")
            )
        label: str = (
            Message("safetensors headers, {n} files", n=len(names))
            if len(names) > 1
            else Message("safetensors headers, {n} file", n=len(names))
        )
    elif not notes:
        notes.append(N_("no *.safetensors in the folder: weights from the architecture"))
        label = ""
    else:
        label = ""
    return assemble(spec, raw, tensors, what, label, notes)


def default_format_of_config(spec: ModelSpec, path: Path, what: str) -> LoadedModel:
    """A lone config.json (no tensors): its weight format from ``quantization_config``."""
    raw = parse_json_object(read_config_file(path, what), f"{what}: config.json", MAX_CONFIG_BYTES)
    return assemble(spec, raw, None, what, "")
