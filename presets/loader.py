"""Load preset YAML files into validated, frozen specs.

* Parsed only with a safe loader (libyaml's ``CSafeLoader`` when PyYAML was built with it, else
  ``SafeLoader``) that also rejects aliases (no expansion bombs), duplicate keys and integers of
  more than ``MAX_INT_DIGITS`` digits; ``!!python/...`` tags are refused by the safe loader itself.
* User presets are bounded in total: bytes, entries and seconds over all their files; past a
  bound the remaining files are skipped with a message naming them.
* Every entry is checked: unknown keys, wrong types, out-of-range values and duplicate ids are
  reported as ``file: entry: field: problem``. A broken entry is skipped, a broken file is
  skipped; the rest load, and the errors are returned for the UI/CLI to show.
* Built-in files live beside this module; a directory named by ``VRAM_PLANNER_PRESETS`` (or the
  command line's ``--presets DIR``) is loaded after them, so users add models and GPUs by
  writing YAML. A user entry with a built-in id replaces it (with a notice).

Model entries keep the architecture under ``config:`` with Hugging Face ``config.json`` field
names, and are turned into a ModelSpec by the same reader as an uploaded config.json.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, TypeVar

import yaml

from calculators import GPUSpec, ModelSpec, SpecError, model_from_config, weight_format
from calculators.messages import N_, Message, message_of
from calculators.units import BYTES_PER_GB, BYTES_PER_GIB, BYTES_PER_MIB

BUILTIN_DIR: Final[Path] = Path(__file__).resolve().parent
ENV_VAR: Final[str] = "VRAM_PLANNER_PRESETS"
MAX_PRESET_FILE_BYTES: Final[int] = 2_000_000  # the built-in files are ~60 KB
MAX_USER_FILES: Final[int] = 200
MAX_ENTRIES_PER_FILE: Final[int] = 5_000
# Over all user preset files together (a CLI call and a first page load read them all):
MAX_USER_TOTAL_BYTES: Final[int] = 4_000_000
MAX_USER_ENTRIES: Final[int] = 5_000
MAX_USER_LOAD_SECONDS: Final[float] = 30.0
MAX_INT_DIGITS: Final[int] = 40  # far past any size a preset holds (10^15 parameters: 16 digits)
# Preset ids travel in share links: the URL codec (dashboard.state) accepts exactly these.
ID_PATTERN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,119}")

# config.json keys a model preset may carry (what calculators.config reads, plus harmless metadata).
CONFIG_KEYS: Final[frozenset[str]] = frozenset(
    {
        "architectures",
        "model_type",
        "num_hidden_layers",
        "hidden_size",
        "num_attention_heads",
        "num_key_value_heads",
        "head_dim",
        "intermediate_size",
        "intermediate_size_mlp",
        "vocab_size",
        "tie_word_embeddings",
        "max_position_embeddings",
        "torch_dtype",
        "attention_bias",
        "num_experts",
        "num_local_experts",
        "n_routed_experts",
        "num_experts_per_tok",
        "moe_intermediate_size",
        "n_shared_experts",
        "shared_expert_intermediate_size",
        "first_k_dense_replace",
        "moe_layer_freq",
        "decoder_sparse_step",
        "mlp_only_layers",
        "interleave_moe_layer_step",
        "moe_layers",
        "kv_lora_rank",
        "q_lora_rank",
        "qk_rope_head_dim",
        "qk_nope_head_dim",
        "v_head_dim",
        "sliding_window",
        "use_sliding_window",
        "max_window_layers",
        "layer_types",
        "sliding_window_pattern",
        "attention_chunk_size",
        "no_rope_layers",
        "no_rope_layer_interval",
        "num_nextn_predict_layers",
        "vision_config",
        "spatial_merge_size",
        "quantization_config",
        "rope_theta",
        # older and non-Llama spellings the reader maps (GPT-2/J/NeoX, BLOOM, Falcon, MPT, DBRX,
        # StarCoder, Cohere): per-family attribute names, nested attn_config/ffn_config, MQA flags
        "n_layer",
        "n_embd",
        "n_head",
        "n_inner",
        "n_positions",
        "d_model",
        "n_heads",
        "n_layers",
        "max_seq_len",
        "attn_config",
        "ffn_config",
        "expansion_ratio",
        "no_bias",
        "num_kv_heads",
        "multi_query",
        "new_decoder_architecture",
        "parallel_attn",
        "bias",
        "use_qk_norm",
        # state layers (Mamba, Mamba-2, Nemotron-H hybrid_override_pattern) and Nemotron-H's shared expert
        "state_size",
        "expand",
        "conv_kernel",
        "time_step_rank",
        "use_conv_bias",
        "use_bias",
        "n_groups",
        "num_heads",
        "hybrid_override_pattern",
        "mamba_num_heads",
        "mamba_head_dim",
        "ssm_state_size",
        "mamba_ssm_cache_dtype",
        "moe_shared_expert_intermediate_size",
        # hybrids of the current families: Gated DeltaNet (Qwen3-Next, Qwen3.5), Jamba's
        # attention/expert periods, Granite-4.0-H / Bamba's mamba_* spelling, MiniMax attn_type_list
        "full_attention_interval",
        "linear_conv_kernel_dim",
        "linear_key_head_dim",
        "linear_num_key_heads",
        "linear_num_value_heads",
        "linear_value_head_dim",
        "mamba_ssm_dtype",
        "attn_output_gate",
        "mtp_num_hidden_layers",
        "attn_layer_period",
        "attn_layer_offset",
        "expert_layer_period",
        "expert_layer_offset",
        "mamba_d_state",
        "mamba_d_conv",
        "mamba_d_head",
        "mamba_n_heads",
        "mamba_n_groups",
        "mamba_expand",
        "mamba_dt_rank",
        "mamba_conv_bias",
        "mamba_proj_bias",
        "shared_intermediate_size",
        "layers_block_type",
        "attn_type_list",
    }
)
VISION_KEYS: Final[frozenset[str]] = frozenset(
    {
        "model_type",
        "hidden_size",
        "intermediate_size",
        "num_hidden_layers",
        "num_attention_heads",
        "patch_size",
        "image_size",
        "num_channels",
        "vision_output_dim",
        "projector_input_dim",
        "projector_output_dim",
        "pixel_shuffle_ratio",
    }
)
MODEL_KEYS: Final[frozenset[str]] = frozenset(
    {
        "id",
        "name",
        "family",
        "source",
        "config",
        "official_parameters",
        "official_parameters_source",
        "active_parameters",
        "default_weight_format",
        "notes",
    }
)
GPU_KEYS: Final[frozenset[str]] = frozenset(
    {
        "id",
        "name",
        "vendor",
        "category",
        "memory_marketed",
        "memory_bytes",
        "memory_gib",
        "memory_exposed_source",
        "bandwidth_gb_s",
        "usable_fraction",
        "source",
        "notes",
        "price_per_gpu_hour",
        "price_source",
        "peak_tflops_bf16",
        "peak_tflops_fp8",
        "peak_tflops_fp4",
        "interconnect_gb_s",
        "speed_source",
    }
)
GPU_CATEGORIES: Final[tuple[str, ...]] = ("datacenter", "workstation", "consumer", "amd", "apple")


class PresetError(ValueError):
    """A problem in one preset entry or file, formatted ``file: entry: field: problem``."""


@dataclass(frozen=True)
class ModelPreset:
    id: str
    name: str
    family: str
    spec: ModelSpec
    official_parameters: int
    official_parameters_source: str
    source: str
    default_weight_format: str
    active_parameters: int | None = None
    notes: str = ""
    origin: str = "built-in"

    @property
    def native_context(self) -> int:
        return self.spec.max_position_embeddings


@dataclass(frozen=True)
class GPUPreset:
    id: str
    name: str
    vendor: str
    category: str
    memory_marketed: str
    memory_bytes: int  # what software can allocate (torch total, or Apple's GPU working-set share)
    bandwidth_gb_s: float
    source: str
    memory_exposed_source: str = ""
    usable_fraction: float | None = None  # Apple unified memory: share the GPU may use
    notes: str = ""
    origin: str = "built-in"
    price_per_gpu_hour: float | None = None  # user-given rental price (currency as the source)
    price_source: str = ""  # where the price was read; required with a price
    # Speed model inputs (optional): peak dense tensor TFLOPS per dtype, interconnect GB/s
    peak_tflops_bf16: float | None = None
    peak_tflops_fp8: float | None = None
    peak_tflops_fp4: float | None = None
    interconnect_gb_s: float | None = None
    speed_source: str = ""

    @property
    def spec(self) -> GPUSpec:
        return GPUSpec(
            id=self.id,
            name=self.name,
            memory_bytes=self.memory_bytes,
            bandwidth_bytes_per_s=int(self.bandwidth_gb_s * BYTES_PER_GB),
            peak_bf16_flops_per_s=(self.peak_tflops_bf16 or 0.0) * 1e12,
            peak_fp8_flops_per_s=(self.peak_tflops_fp8 or 0.0) * 1e12,
            peak_fp4_flops_per_s=(self.peak_tflops_fp4 or 0.0) * 1e12,
            interconnect_bytes_per_s=int((self.interconnect_gb_s or 0.0) * BYTES_PER_GB),
        )


@dataclass(frozen=True)
class PresetCatalog:
    models: Mapping[str, ModelPreset]
    gpus: Mapping[str, GPUPreset]
    errors: tuple[str, ...] = field(default=())


class _StrictConstruction:
    """Construction shared by both loaders: duplicate keys and over-long integers refused."""

    def construct_mapping(self, node: Any, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)  # type: ignore[attr-defined]
            try:
                dup = key in seen
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, N_("mapping keys must be plain scalars"), key_node.start_mark
                ) from None
            if dup:
                raise yaml.constructor.ConstructorError(
                    None, None, Message("duplicate key {key!r:.60}", key=key), key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)  # type: ignore[misc, no-any-return]


def _construct_int(loader: Any, node: Any) -> int:
    """YAML integers, refusing over-long ones (int() of 4,300+ digits raises ValueError)."""
    text = str(node.value).replace("_", "").lstrip("+-")
    digits = len(text[2:] if text[:2].lower() in ("0x", "0o", "0b") else text)
    if digits > MAX_INT_DIGITS:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            Message(
                "an integer of {digits:,} digits (at most {max_int_digits})",
                digits=digits,
                max_int_digits=MAX_INT_DIGITS,
            ),
            node.start_mark,
        )
    return yaml.constructor.SafeConstructor.construct_yaml_int(loader, node)


def _reject_aliases(root: Any) -> None:
    """An alias composes to a node already in the tree: refuse the document if any node repeats
    (iterative walk, so deep nesting cannot overflow the stack)."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                N_("anchors and aliases are not allowed in preset files"),
                node.start_mark,
            )
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                stack.extend((k, v))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


class _StrictSafeLoader(_StrictConstruction, yaml.SafeLoader):
    """SafeLoader without anchors/aliases, with duplicate-key and integer-length checks."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.constructor.ConstructorError(
                None,
                None,
                N_("anchors and aliases are not allowed in preset files"),
                event.start_mark,
            )
        return super().compose_node(parent, index)


_StrictSafeLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)

LOADER: type[Any] = _StrictSafeLoader
if getattr(yaml, "__with_libyaml__", False):

    class _StrictCSafeLoader(_StrictConstruction, yaml.CSafeLoader):
        """libyaml's parser and composer (~8x faster), the same checks: aliases are found in
        the composed tree (libyaml composes them without expanding), the rest at construction."""

        def get_single_node(self) -> Any:
            node = super().get_single_node()
            if node is not None:
                _reject_aliases(node)
            return node

    _StrictCSafeLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
    LOADER = _StrictCSafeLoader


def parse_yaml_text(text: str | bytes, label: str) -> Any:
    """Parse preset YAML safely; PresetError (naming ``label``) on any problem."""
    if len(text) > MAX_PRESET_FILE_BYTES:
        raise PresetError(
            Message(
                "{label}: {v1:,} bytes is over the {MAX_PRESET_FILE_BYTES:,}-byte limit",
                label=label,
                v1=len(text),
                MAX_PRESET_FILE_BYTES=MAX_PRESET_FILE_BYTES,
            )
        )
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as e:
            raise PresetError(
                Message("{label}: not UTF-8 text (byte {start})", label=label, start=e.start)
            ) from None
    try:
        return yaml.load(text, Loader=LOADER)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = (
            Message(" at line {line} column {column}", line=mark.line + 1, column=mark.column + 1)
            if mark
            else ""
        )
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise PresetError(
            Message(
                "{label}: YAML error{where}: {problem}", label=label, where=where, problem=problem
            )
        ) from None
    except RecursionError:
        raise PresetError(Message("{label}: nested too deeply", label=label)) from None
    except ValueError as e:  # e.g. a float or date the safe constructors cannot represent
        raise PresetError(
            Message("{label}: YAML error: {problem}", label=label, problem=str(e)[:120])
        ) from None


# -- field checks ----------------------------------------------------------------------------------


def _req(entry: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in entry or entry[key] is None:
        raise PresetError(Message("{where}: {key}: missing", where=where, key=key))
    return entry[key]


def _text(
    entry: Mapping[str, Any], key: str, where: str, required: bool = True, max_len: int = 500
) -> str:
    v = entry.get(key)
    if v is None:
        if required:
            raise PresetError(Message("{where}: {key}: missing", where=where, key=key))
        return ""
    if not isinstance(v, str):
        raise PresetError(
            Message(
                "{where}: {key}: expected text, got {type}",
                where=where,
                key=key,
                type=type(v).__name__,
            )
        )
    if not v.strip():
        raise PresetError(Message("{where}: {key}: empty", where=where, key=key))
    if len(v) > max_len:
        raise PresetError(
            Message(
                "{where}: {key}: longer than {max_len} characters",
                where=where,
                key=key,
                max_len=max_len,
            )
        )
    return v.strip()


def _count(
    entry: Mapping[str, Any], key: str, where: str, lo: int, hi: int, required: bool = True
) -> int | None:
    v = entry.get(key)
    if v is None:
        if required:
            raise PresetError(Message("{where}: {key}: missing", where=where, key=key))
        return None
    if isinstance(v, bool) or not isinstance(v, int | float):
        raise PresetError(
            Message(
                "{where}: {key}: expected a number, got {type}",
                where=where,
                key=key,
                type=type(v).__name__,
            )
        )
    if isinstance(v, float) and (not math.isfinite(v) or not v.is_integer()):
        raise PresetError(
            Message("{where}: {key}: expected a whole number, got {v}", where=where, key=key, v=v)
        )
    if not lo <= v <= hi:
        raise PresetError(
            Message(
                "{where}: {key}: {v} is outside {lo}..{hi}", where=where, key=key, v=v, lo=lo, hi=hi
            )
        )
    return int(v)


def _number(
    entry: Mapping[str, Any], key: str, where: str, lo: float, hi: float, required: bool = True
) -> float | None:
    v = entry.get(key)
    if v is None:
        if required:
            raise PresetError(Message("{where}: {key}: missing", where=where, key=key))
        return None
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
        raise PresetError(
            Message(
                "{where}: {key}: expected a finite number, got {v!r:.40}", where=where, key=key, v=v
            )
        )
    if not lo <= v <= hi:
        raise PresetError(
            Message(
                "{where}: {key}: {v} is outside {lo}..{hi}", where=where, key=key, v=v, lo=lo, hi=hi
            )
        )
    return float(v)


def _id(entry: Mapping[str, Any], where: str) -> str:
    v = _text(entry, "id", where, max_len=120)
    if not ID_PATTERN.fullmatch(v) or ".." in v:
        raise PresetError(
            Message(
                "{where}: id: {v!r} must start with an ASCII letter or digit and hold only "
                "ASCII letters, digits and - _ . / (it travels in share links)",
                where=where,
                v=v[:60],
            )
        )
    return v


def _unknown(entry: Mapping[str, Any], allowed: frozenset[str], where: str) -> None:
    extra = sorted(str(k) for k in entry if k not in allowed)
    if extra:
        raise PresetError(
            Message(
                "{where}: {v1}: unknown key (allowed: {v2})",
                where=where,
                v1=extra[0],
                v2=", ".join(sorted(allowed)),
            )
        )


def parse_model_entry(entry: Any, where: str, origin: str) -> ModelPreset:
    """One model entry -> ModelPreset, or PresetError naming the field."""
    if not isinstance(entry, Mapping):
        raise PresetError(
            Message(
                "{where}: expected a mapping, got {type}",
                where=where,
                type=type(entry).__name__,
            )
        )
    _unknown(entry, MODEL_KEYS, where)
    pid = _id(entry, where)
    where = f"{where} ({pid})"
    cfg = _req(entry, "config", where)
    if not isinstance(cfg, Mapping):
        raise PresetError(
            Message("{where}: config: expected a mapping of config.json fields", where=where)
        )
    _unknown(cfg, CONFIG_KEYS, f"{where}: config")
    vis = cfg.get("vision_config")
    if vis is not None:
        if not isinstance(vis, Mapping):
            raise PresetError(
                Message("{where}: config: vision_config: expected a mapping", where=where)
            )
        _unknown(vis, VISION_KEYS, Message("{where}: config: vision_config", where=where))
    name = _text(entry, "name", where, max_len=120)
    try:
        spec = model_from_config(cfg, name=name)
    except SpecError as e:
        raise PresetError(Message("{where}: config: {e}", where=where, e=message_of(e))) from None
    fmt = _text(entry, "default_weight_format", where, required=False) or "bf16"
    try:
        weight_format(fmt)
    except ValueError as e:
        raise PresetError(
            Message("{where}: default_weight_format: {e}", where=where, e=message_of(e))
        ) from None
    official = _count(entry, "official_parameters", where, 1, 10**14)
    assert official is not None
    return ModelPreset(
        id=pid,
        name=name,
        family=_text(entry, "family", where, max_len=80),
        spec=spec,
        official_parameters=official,
        official_parameters_source=_text(entry, "official_parameters_source", where, max_len=2000),
        source=_text(entry, "source", where, max_len=2000),
        default_weight_format=fmt,
        active_parameters=_count(entry, "active_parameters", where, 1, 10**14, required=False),
        notes=_text(entry, "notes", where, required=False, max_len=2000),
        origin=origin,
    )


def parse_gpu_entry(entry: Any, where: str, origin: str) -> GPUPreset:
    """One GPU entry -> GPUPreset, or PresetError naming the field."""
    if not isinstance(entry, Mapping):
        raise PresetError(
            Message(
                "{where}: expected a mapping, got {type}",
                where=where,
                type=type(entry).__name__,
            )
        )
    _unknown(entry, GPU_KEYS, where)
    pid = _id(entry, where)
    where = f"{where} ({pid})"
    if entry.get("memory_bytes") is not None and entry.get("memory_gib") is not None:
        raise PresetError(
            Message("{where}: memory_gib: give memory_bytes or memory_gib, not both", where=where)
        )
    mem_bytes = _count(entry, "memory_bytes", where, BYTES_PER_MIB * 64, 2**50, required=False)
    if mem_bytes is None:
        gib = _number(entry, "memory_gib", where, 0.0625, 2**20, required=False)
        if gib is None:
            raise PresetError(
                Message("{where}: memory_bytes: missing (or give memory_gib)", where=where)
            )
        mem_bytes = round(gib * BYTES_PER_GIB)
    frac = _number(entry, "usable_fraction", where, 0.05, 1.0, required=False)
    if frac is not None:
        mem_bytes = int(mem_bytes * frac)
    category = _text(entry, "category", where)
    if category not in GPU_CATEGORIES:
        raise PresetError(
            Message(
                "{where}: category: {category!r} is not one of {v1}",
                where=where,
                category=category,
                v1=", ".join(GPU_CATEGORIES),
            )
        )
    bandwidth = _number(entry, "bandwidth_gb_s", where, 1.0, 1_000_000.0)
    assert bandwidth is not None
    price = _number(entry, "price_per_gpu_hour", where, 0.0, 1_000_000.0, required=False)
    price_source = _text(entry, "price_source", where, required=False, max_len=2000)
    if price is not None and not price_source:
        raise PresetError(
            Message("{where}: price_source: required with price_per_gpu_hour", where=where)
        )
    return GPUPreset(
        id=pid,
        name=_text(entry, "name", where, max_len=80),
        vendor=_text(entry, "vendor", where, max_len=40),
        category=category,
        memory_marketed=_text(entry, "memory_marketed", where, max_len=40),
        memory_bytes=mem_bytes,
        bandwidth_gb_s=bandwidth,
        source=_text(entry, "source", where, max_len=2000),
        memory_exposed_source=_text(
            entry, "memory_exposed_source", where, required=False, max_len=2000
        ),
        usable_fraction=frac,
        notes=_text(entry, "notes", where, required=False, max_len=2000),
        origin=origin,
        price_per_gpu_hour=price,
        price_source=price_source,
        peak_tflops_bf16=_number(entry, "peak_tflops_bf16", where, 0.1, 1e6, required=False),
        peak_tflops_fp8=_number(entry, "peak_tflops_fp8", where, 0.1, 1e6, required=False),
        peak_tflops_fp4=_number(entry, "peak_tflops_fp4", where, 0.1, 1e6, required=False),
        interconnect_gb_s=_number(entry, "interconnect_gb_s", where, 0.1, 1e6, required=False),
        speed_source=_text(entry, "speed_source", where, required=False, max_len=2000),
    )


def _entries(doc: Any, key: str, label: str) -> list[Any]:
    items = doc.get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise PresetError(
            Message("{label}: {key}: expected a list of entries", label=label, key=key)
        )
    if len(items) > MAX_ENTRIES_PER_FILE:
        raise PresetError(
            Message(
                "{label}: {key}: {v1} entries is over {MAX_ENTRIES_PER_FILE}",
                label=label,
                key=key,
                v1=len(items),
                MAX_ENTRIES_PER_FILE=MAX_ENTRIES_PER_FILE,
            )
        )
    return items


@dataclass
class LoadBudget:
    """What user preset files may still cost: entries and a monotonic-clock deadline."""

    entries: int = MAX_USER_ENTRIES
    deadline: float = math.inf
    bytes: int = MAX_USER_TOTAL_BYTES

    def exhausted(self) -> str | None:
        if self.entries <= 0:
            return Message(
                "over the {max_user_entries:,}-entry limit for user presets",
                max_user_entries=MAX_USER_ENTRIES,
            )
        if time.monotonic() > self.deadline:
            return Message(
                "over the {max_user_load_seconds:g}-second limit for reading user presets",
                max_user_load_seconds=MAX_USER_LOAD_SECONDS,
            )
        return None


def load_text(
    text: str | bytes,
    label: str,
    origin: str,
    models: dict[str, ModelPreset],
    gpus: dict[str, GPUPreset],
    errors: list[str],
    budget: LoadBudget | None = None,
) -> None:
    """Add the entries of one preset document to ``models``/``gpus``; problems go to ``errors``.

    Never raises: a failure of any kind in one entry is reported with its location and the entry
    skipped; ``budget`` (user files) stops reading entries past its bounds, with a message.
    """
    try:
        doc = parse_yaml_text(text, label)
    except PresetError as e:
        errors.append(message_of(e))
        return
    except Exception as e:  # isolation: whatever the parser trips on stays in this file
        errors.append(
            Message(
                "{label}: cannot be parsed ({error_type}: {error_text})",
                label=label,
                error_type=type(e).__name__,
                error_text=str(e)[:120],
            )
        )
        return
    if doc is None:
        errors.append(Message("{label}: empty file", label=label))
        return
    if not isinstance(doc, Mapping):
        errors.append(
            Message(
                "{label}: expected a mapping with 'models:' and/or 'gpus:' at the top", label=label
            )
        )
        return
    extra = sorted(str(k) for k in doc if k not in ("schema", "models", "gpus"))
    if extra:
        errors.append(
            Message(
                "{label}: {key}: unknown top-level key (allowed: schema, models, gpus)",
                label=label,
                key=extra[0],
            )
        )
    _add_entries(doc, "models", label, origin, models, parse_model_entry, errors, budget)
    _add_entries(doc, "gpus", label, origin, gpus, parse_gpu_entry, errors, budget)


_P = TypeVar("_P", ModelPreset, GPUPreset)


def _add_entries(
    doc: Mapping[str, Any],
    key: str,
    label: str,
    origin: str,
    target: dict[str, _P],
    parse: Callable[[Any, str, str], _P],
    errors: list[str],
    budget: LoadBudget | None = None,
) -> None:
    try:
        items = _entries(doc, key, label)
    except PresetError as e:
        errors.append(message_of(e))
        return
    seen: set[str] = set()
    for i, entry in enumerate(items):
        where = f"{label}: {key}[{i}]"
        if budget is not None:
            stop = budget.exhausted()
            if stop:
                errors.append(
                    Message(
                        "{label}: {key}: {n} entries skipped, {stop}",
                        label=label,
                        key=key,
                        n=len(items) - i,
                        stop=stop,
                    )
                )
                return
            budget.entries -= 1
        try:
            preset = parse(entry, where, origin)
        except PresetError as e:
            errors.append(message_of(e))
            continue
        except Exception as e:  # isolation: one entry the readers trip on never hides the rest
            errors.append(
                Message(
                    "{where}: cannot be read ({error_type}: {error_text})",
                    where=where,
                    error_type=type(e).__name__,
                    error_text=str(e)[:120],
                )
            )
            continue
        if preset.id in seen:
            errors.append(
                Message(
                    "{where} ({id}): id: duplicate of an earlier entry in this file",
                    where=where,
                    id=preset.id,
                )
            )
            continue
        seen.add(preset.id)
        previous = target.get(preset.id)
        if previous is not None and origin != "built-in":
            if previous.origin != "built-in":
                errors.append(
                    Message(
                        "{where} ({id}): id: already defined by another user preset file; "
                        "this entry is skipped",
                        where=where,
                        id=preset.id,
                    )
                )
                continue
            errors.append(
                Message(
                    "{where} ({id}): id: replaces the built-in preset of that id",
                    where=where,
                    id=preset.id,
                )
            )
        target[preset.id] = preset


def _read_file(path: Path, label: str) -> bytes:
    if path.is_symlink() or not path.is_file():
        raise PresetError(Message("{label}: not a regular file", label=label))
    size = path.stat().st_size
    if size > MAX_PRESET_FILE_BYTES:
        raise PresetError(
            Message(
                "{label}: {size:,} bytes is over the {MAX_PRESET_FILE_BYTES:,}-byte limit",
                label=label,
                size=size,
                MAX_PRESET_FILE_BYTES=MAX_PRESET_FILE_BYTES,
            )
        )
    return path.read_bytes()


def user_preset_files(directory: str | os.PathLike[str]) -> tuple[list[Path], list[str]]:
    """The *.yaml / *.yml files directly inside ``directory`` (sorted), and problems found."""
    d = Path(directory)
    if not d.is_dir():
        return [], [
            Message(
                "{directory}: preset directory does not exist or is not a directory",
                directory=directory,
            )
        ]
    files = sorted(p for p in d.iterdir() if p.suffix.lower() in (".yaml", ".yml"))
    errors: list[str] = []
    if len(files) > MAX_USER_FILES:
        errors.append(
            Message(
                "{directory}: {n} files; only the first {limit} are read",
                directory=directory,
                n=len(files),
                limit=MAX_USER_FILES,
            )
        )
        files = files[:MAX_USER_FILES]
    return files, errors


def load_catalog(user_dirs: Iterable[str | os.PathLike[str]] = ()) -> PresetCatalog:
    """Built-in presets, then each user directory; never raises for bad data."""
    models: dict[str, ModelPreset] = {}
    gpus: dict[str, GPUPreset] = {}
    errors: list[str] = []
    for name in ("models.yaml", "gpus.yaml"):
        path = BUILTIN_DIR / name
        try:
            load_text(_read_file(path, name), name, "built-in", models, gpus, errors)
        except (OSError, PresetError) as e:
            errors.append(Message("{name}: {problem}", name=name, problem=message_of(e)))
    budget = LoadBudget(deadline=time.monotonic() + MAX_USER_LOAD_SECONDS)
    for d in user_dirs:
        files, errs = user_preset_files(d)
        errors.extend(errs)
        for n, path in enumerate(files):
            label = f"{path.name} (from {d})"
            stop = budget.exhausted()
            if stop:
                errors.append(
                    Message(
                        "{d}: {n} preset file(s) not read, {stop}",
                        d=d,
                        n=len(files) - n,
                        stop=stop,
                    )
                )
                break
            try:
                data = _read_file(path, label)
                if len(data) > budget.bytes:
                    raise PresetError(
                        Message(
                            "{label}: not read, over the {max_user_total_bytes:,}-byte limit for all user "
                            "preset files together",
                            label=label,
                            max_user_total_bytes=MAX_USER_TOTAL_BYTES,
                        )
                    )
                budget.bytes -= len(data)
                load_text(data, label, "user", models, gpus, errors, budget)
            except PresetError as e:
                errors.append(message_of(e))
            except OSError as e:
                errors.append(
                    Message("{label}: cannot read ({reason})", label=label, reason=e.strerror)
                )
            except Exception as e:  # isolation: one bad file never takes the catalog down
                errors.append(
                    Message(
                        "{label}: cannot be read ({kind}: {problem})",
                        label=label,
                        kind=type(e).__name__,
                        problem=str(e)[:120],
                    )
                )
    return PresetCatalog(models=models, gpus=gpus, errors=tuple(errors))


def load_builtin_catalog(extra_dir: str | None = None) -> PresetCatalog:
    """Built-ins plus ``$VRAM_PLANNER_PRESETS`` and ``extra_dir`` when set."""
    dirs = [p for p in (os.environ.get(ENV_VAR), extra_dir) if p]
    return load_catalog(dirs)
