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
from model_sources.common import LoadedModel, SourceError, assemble, parse_json_object
from model_sources.safetensors_headers import read_header, tensors_from_header

INDEX_FILE: Final[str] = "model.safetensors.index.json"
MAX_INDEX_BYTES: Final[int] = 50_000_000  # DeepSeek-V3's index is ~9 MB
MAX_SHARDS: Final[int] = 10_000
SHARD_NAME: Final[re.Pattern[str]] = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,200}\.safetensors$")


def read_config_file(path: Path, what: str) -> bytes:
    """The bytes of a config.json, refused over :data:`MAX_CONFIG_BYTES`."""
    if not path.is_file():
        raise SourceError(f"{what}: no config.json")
    size = path.stat().st_size
    if size > MAX_CONFIG_BYTES:
        raise SourceError(f"{what}: config.json is {size:,} bytes, over {MAX_CONFIG_BYTES:,}")
    try:
        return path.read_bytes()
    except OSError as e:
        raise SourceError(f"{what}: cannot read config.json ({e.strerror})") from None


def shard_names(folder: Path, what: str) -> tuple[list[str], list[str]]:
    """(shard file names to read, notes); the names are checked to be plain files."""
    index = folder / INDEX_FILE
    if index.is_file():
        if index.stat().st_size > MAX_INDEX_BYTES:
            raise SourceError(f"{what}: {INDEX_FILE} is over {MAX_INDEX_BYTES:,} bytes")
        raw = parse_json_object(index.read_bytes(), f"{what}: {INDEX_FILE}", MAX_INDEX_BYTES)
        weight_map = raw.get("weight_map")
        if not isinstance(weight_map, dict) or not weight_map:
            raise SourceError(f"{what}: {INDEX_FILE} has no weight_map")
        names = sorted({v for v in weight_map.values() if isinstance(v, str)})
        if len(names) != len(set(weight_map.values())):
            raise SourceError(f"{what}: {INDEX_FILE} weight_map has non-text file names")
    else:
        names = sorted(p.name for p in folder.glob("*.safetensors"))
    if len(names) > MAX_SHARDS:
        raise SourceError(f"{what}: {len(names):,} safetensors files, over {MAX_SHARDS:,}")
    for n in names:
        if not SHARD_NAME.fullmatch(n):
            raise SourceError(f"{what}: shard name {n!r:.80} is not a plain .safetensors file name")
    missing = [n for n in names if not (folder / n).is_file()]
    if missing:
        return [], [
            f"{len(missing)} of {len(names)} safetensors shards missing ({missing[0]}, ...): "
            "weights from the architecture"
        ]
    return names, []


def load_folder(folder: Path) -> LoadedModel:
    """Read a model folder: its config.json and the headers of its safetensors files."""
    what = f"--config {str(folder)!r:.120}"
    if not folder.is_dir():
        raise SourceError(f"{what}: not a folder")
    text = read_config_file(folder / "config.json", what)
    raw = parse_json_object(text, f"{what}: config.json", MAX_CONFIG_BYTES)
    name = None if isinstance(raw.get("_name_or_path"), str) else folder.resolve().name
    try:
        spec = parse_config_json(text, name=name)
    except SpecError as e:
        raise SourceError(f"{what}: {e}") from None
    names, notes = shard_names(folder, what)
    tensors: list[TensorEntry] | None = None
    if names:
        tensors = []
        for n in names:
            tensors.extend(
                tensors_from_header(read_header(folder / n, f"{what}: {n}"), f"{what}: {n}")
            )
        label = f"safetensors headers, {len(names)} file{'s' if len(names) > 1 else ''}"
    elif not notes:
        notes.append("no *.safetensors in the folder: weights from the architecture")
        label = ""
    else:
        label = ""
    return assemble(spec, raw, tensors, what, label, notes)


def default_format_of_config(spec: ModelSpec, path: Path, what: str) -> LoadedModel:
    """A lone config.json (no tensors): its weight format from ``quantization_config``."""
    raw = parse_json_object(read_config_file(path, what), f"{what}: config.json", MAX_CONFIG_BYTES)
    return assemble(spec, raw, None, what, "")
