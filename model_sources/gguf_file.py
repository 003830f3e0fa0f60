"""A local GGUF file, read with the ``gguf`` package's GGUFReader (metadata and tensor infos; the
file is memory-mapped, tensor data is never touched).

The architecture comes from the metadata keys llama.cpp writes (``{arch}.block_count``,
``{arch}.embedding_length``, ``{arch}.attention.head_count``…; gguf-py ``Keys.LLM`` /
``Keys.Attention``), mapped to config.json names and read by the same reader as a config.json
(``calculators.model_from_config``), with a table per ``general.architecture``: its transformers
``model_type`` and the features llama.cpp implies for it. An architecture not in the table is
refused by name. The weights are the file's exact tensor bytes (``n_bytes`` per tensor, every
block type as stored), in the format named by ``general.file_type``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from calculators import SpecError, TensorEntry, checkpoint_weights, model_from_config
from calculators.messages import N_, Message, message_of
from model_sources.common import LoadedModel, SourceError

MAX_GGUF_TENSORS: Final[int] = 1_000_000


@dataclass(frozen=True)
class GGUFArch:
    """How one ``general.architecture`` maps to a config.json."""

    model_type: str  # transformers' model_type (family defaults in the config reader)
    extra: tuple[tuple[str, Any], ...] = ()  # config fields llama.cpp implies for the family


# general.architecture -> transformers family (llama.cpp src/llama-arch.cpp LLM_ARCH_NAMES).
GGUF_ARCHITECTURES: Final[dict[str, GGUFArch]] = {
    "llama": GGUFArch("llama"),  # also Mistral / Mixtral GGUFs (llama.cpp converts them to llama)
    "qwen2": GGUFArch("qwen2"),
    "qwen2moe": GGUFArch("qwen2_moe"),
    "qwen3": GGUFArch("qwen3"),
    "qwen3moe": GGUFArch("qwen3_moe"),
    "gemma": GGUFArch("gemma", (("tie_word_embeddings", True),)),
    "gemma2": GGUFArch("gemma2"),
    "gemma3": GGUFArch("gemma3"),
    "phi3": GGUFArch("phi3"),
    "granite": GGUFArch("granite"),
    "mistral3": GGUFArch("mistral"),
}

# general.file_type (llama.cpp LLAMA_FTYPE, gguf-py LlamaFileType) -> the planner's weight format.
FILE_TYPES: Final[dict[int, str]] = {
    0: "fp32",
    1: "fp16",
    2: "q4_0",
    7: "q8_0",
    10: "q2_k",
    12: "q3_k_m",
    15: "q4_k_m",
    17: "q5_k_m",
    18: "q6_k",
    32: "bf16",
    38: "mxfp4-experts",
}
# Types without a format of their own: the nearest one (for the architecture figure only; the
# estimate uses the file's exact bytes).
NEAREST_FILE_TYPES: Final[dict[int, str]] = {
    3: "q4_0",  # Q4_1
    8: "q5_k_m",  # Q5_0
    9: "q5_k_m",  # Q5_1
    11: "q3_k_m",  # Q3_K_S
    13: "q3_k_m",  # Q3_K_L
    14: "q4_k_m",  # Q4_K_S
    16: "q5_k_m",  # Q5_K_S
    21: "q2_k",  # Q2_K_S
    25: "q4_0",  # IQ4_NL
    30: "q4_0",  # IQ4_XS
}


def _value(reader: Any, key: str) -> Any:
    field = reader.get_field(key)
    if field is None:
        return None
    try:
        return field.contents()
    except (ValueError, IndexError, UnicodeDecodeError):
        raise SourceError(Message("GGUF key {key}: unreadable value", key=key)) from None


def _config(reader: Any, arch: str, table: GGUFArch, tensor_names: set[str]) -> dict[str, Any]:
    """The config.json fields a GGUF's metadata states."""
    a = arch

    def get(key: str) -> Any:
        v = _value(reader, f"{a}.{key}")
        if isinstance(v, list):
            raise SourceError(
                Message("GGUF key {a}.{key}: per-layer values are not supported", a=a, key=key)
            )
        return v

    cfg: dict[str, Any] = {
        "model_type": table.model_type,
        "num_hidden_layers": get("block_count"),
        "hidden_size": get("embedding_length"),
        "num_attention_heads": get("attention.head_count"),
        "num_key_value_heads": get("attention.head_count_kv"),
        "head_dim": get("attention.key_length"),
        "intermediate_size": get("feed_forward_length"),
        "max_position_embeddings": get("context_length"),
        "vocab_size": get("vocab_size"),
        "num_experts": get("expert_count"),
        "num_experts_per_tok": get("expert_used_count"),
        "moe_intermediate_size": get("expert_feed_forward_length"),
        "sliding_window": get("attention.sliding_window"),
        "torch_dtype": "bfloat16",
        "tie_word_embeddings": "output.weight" not in tensor_names,
    }
    if cfg["vocab_size"] is None:
        tokens = reader.get_field("tokenizer.ggml.tokens")
        if tokens is not None:
            cfg["vocab_size"] = len(tokens.data)
    for k, v in table.extra:
        cfg[k] = v
    missing = [
        k for k in ("num_hidden_layers", "hidden_size", "num_attention_heads") if cfg[k] is None
    ]
    if missing:
        raise SourceError(
            Message("GGUF metadata lacks {items}", items=", ".join(f"{a}.{m}" for m in missing))
        )
    if cfg["sliding_window"] is not None and table.model_type in ("qwen2", "qwen3"):
        cfg["sliding_window"] = None  # stated but unused by these families in llama.cpp
    return {k: v for k, v in cfg.items() if v is not None}


def _format(file_type: Any, notes: list[str]) -> str:
    if isinstance(file_type, int) and file_type in FILE_TYPES:
        return FILE_TYPES[file_type]
    if isinstance(file_type, int) and file_type in NEAREST_FILE_TYPES:
        nearest = NEAREST_FILE_TYPES[file_type]
        notes.append(
            Message(
                "GGUF file type {file_type} has no weight format of its own here: the weights "
                "are the file's exact tensor bytes; the architecture figure uses {nearest}",
                file_type=file_type,
                nearest=nearest,
            )
        )
        return nearest
    raise SourceError(
        Message(
            "GGUF general.file_type {file_type!r:.20} is not one the planner knows; choose "
            "the weight format by hand",
            file_type=file_type,
        )
    )


def load_gguf(path: Path) -> LoadedModel:
    """Read a GGUF file's architecture and its exact tensor bytes."""
    what = f"--gguf {str(path)!r:.120}"
    if not path.is_file():
        raise SourceError(Message("{what}: not a file", what=what))
    try:
        with path.open("rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise SourceError(
            Message("{what}: cannot read ({strerror})", what=what, strerror=e.strerror)
        ) from None
    if magic != b"GGUF":
        raise SourceError(Message("{what}: not a GGUF file (no GGUF magic)", what=what))
    from gguf import GGUFReader

    try:
        reader = GGUFReader(path, "r")
    except (ValueError, IndexError, OSError, KeyError, TypeError) as e:
        raise SourceError(
            Message(
                "{what}: the gguf package cannot read it ({error_text})",
                what=what,
                error_text=str(e)[:160],
            )
        ) from None
    try:
        return _load(reader, what)
    except SourceError as e:
        raise SourceError(Message("{what}: {problem}", what=what, problem=message_of(e))) from None


def _load(reader: Any, what: str) -> LoadedModel:
    arch = _value(reader, "general.architecture")
    if not isinstance(arch, str):
        raise SourceError(N_("GGUF metadata lacks general.architecture"))
    table = GGUF_ARCHITECTURES.get(arch)
    if table is None:
        raise SourceError(
            Message(
                "GGUF architecture {arch!r:.40} is not supported; known: {items}",
                arch=arch,
                items=", ".join(sorted(GGUF_ARCHITECTURES)),
            )
        )
    if len(reader.tensors) > MAX_GGUF_TENSORS:
        raise SourceError(
            Message(
                "{n_tensors:,} tensors, over {max_gguf_tensors:,}",
                n_tensors=len(reader.tensors),
                max_gguf_tensors=MAX_GGUF_TENSORS,
            )
        )
    tensors = []
    try:
        for t in reader.tensors:
            tensors.append(
                TensorEntry(
                    str(t.name),
                    t.tensor_type.name,
                    tuple(int(d) for d in t.shape),
                    int(t.n_bytes),
                )
            )
    except SpecError as e:
        raise SourceError(str(e)) from None
    names = {t.name for t in tensors}
    cfg = _config(reader, arch, table, names)
    if "vocab_size" not in cfg:
        embd = next((t for t in tensors if t.name == "token_embd.weight"), None)
        if embd is not None and len(embd.shape) == 2:
            cfg["vocab_size"] = embd.shape[1]  # GGUF shapes list ne0 (hidden) first
    name = _value(reader, "general.name")
    notes: list[str] = [
        Message(
            "GGUF architecture {arch}, read as transformers' {model_type}",
            arch=arch,
            model_type=table.model_type,
        )
    ]
    fmt = _format(_value(reader, "general.file_type"), notes)
    try:
        spec = model_from_config(cfg, name=name if isinstance(name, str) and name else None)
        cw = checkpoint_weights(
            tensors,
            spec.num_hidden_layers,
            fmt,
            Message("GGUF tensors, {n_tensors} tensors", n_tensors=len(tensors)),
            tie_word_embeddings=spec.tie_word_embeddings,
        )
    except SpecError as e:
        raise SourceError(str(e)) from None
    notes.extend(cw.notes)
    return LoadedModel(spec, fmt, cw, what, tuple(notes))
