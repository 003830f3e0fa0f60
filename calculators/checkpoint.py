"""Exact weight bytes from a checkpoint's own tensor list (safetensors headers, GGUF tensor infos).

Pure: the readers at the edge (``model_sources``) hand over one :class:`TensorEntry` per stored
tensor — its name, stored dtype, shape and the bytes it occupies in the file — and the model's
layer count. This module groups those bytes the way the weight calculators group parameters
(``calculators.weights``), so that a pipeline stage or tensor-parallel rank can be given its share:

* ``embedding``: the token embedding (``embed_tokens``, ``wte``, ``word_embeddings``,
  GGUF ``token_embd``);
* ``lm_head``: the output projection (``lm_head``, GGUF ``output``); absent when tied;
* per decoder layer ``i`` (``layers.i.``, ``h.i.``, ``blocks.i.``, GGUF ``blk.i.``): the matrices
  (tensors of 2+ dimensions: the weights *and* what quantisers store beside them — FP8
  ``weight_scale``/``weight_scale_inv``, GPTQ/AWQ ``qweight``/``qzeros``/``scales``,
  compressed-tensors ``weight_packed``/``weight_scale``, MXFP4 ``blocks``/``scales``), split over
  TP ranks; and the small tensors (norms, biases, per-tensor scales, ``g_idx``), replicated;
* ``vision``: a vision/audio tower and its projector;
* ``other``: everything else (the final norm, rotary tables): replicated.

The bytes of a tensor are what the file stores (safetensors ``data_offsets``, GGUF ``n_bytes``), so
FP8 scales, packed int4 with its scales and zeros, MXFP4/NVFP4 blocks and GGUF block types are all
counted as stored: no bits-per-weight assumption. Tensors of layers at or beyond
``num_hidden_layers`` (DeepSeek-V3's multi-token-prediction layer) are not loaded by the engines
for plain decoding; they are left out and named in a note. Unit of every figure: bytes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from calculators.formats import WeightFormat
from calculators.messages import N_, Message
from calculators.spec import ModelSpec, SpecError
from calculators.weights import pipeline_stages, weights_bytes, weights_bytes_per_stage

# Bits per element of the safetensors dtypes (safetensors' Dtype enum, safetensors/src/tensor.rs)
# and of GGUF's unquantised types. Quantised GGUF blocks are sized by the reader (n_bytes).
DTYPE_BITS: Final[dict[str, int]] = {
    "F64": 64,
    "I64": 64,
    "U64": 64,
    "F32": 32,
    "I32": 32,
    "U32": 32,
    "F16": 16,
    "BF16": 16,
    "I16": 16,
    "U16": 16,
    "F8_E4M3": 8,
    "F8_E5M2": 8,
    "F8_E8M0": 8,
    "I8": 8,
    "U8": 8,
    "BOOL": 8,
    "F6_E2M3": 6,
    "F6_E3M2": 6,
    "F4": 4,
}
MAX_TENSORS: Final[int] = 2_000_000  # DeepSeek-V3 has ~91k tensors; this bounds the work
MAX_TENSOR_BYTES: Final[int] = 2**44  # 16 TiB: no real tensor is close

_EMBEDDING: Final[re.Pattern[str]] = re.compile(
    r"(?:^|\.)(?:embed_tokens|wte|word_embeddings|tok_embeddings|embeddings\.word_embeddings|"
    r"token_embd|embedding|embeddings)\.weight$"
)
_LM_HEAD: Final[re.Pattern[str]] = re.compile(r"(?:^|\.)(?:lm_head|output|embed_out)\.weight$")
_LAYER: Final[re.Pattern[str]] = re.compile(r"(?:^|\.)(?:layers|h|blocks|blk|layer)\.(\d{1,6})\.")
_VISION: Final[re.Pattern[str]] = re.compile(
    r"(?:^|\.)(?:vision_tower|vision_model|visual|vision_encoder|vision|multi_modal_projector|"
    r"mm_projector|image_newline|audio_tower|audio_model|vpm|resampler)(?:\.|$)"
)


@dataclass(frozen=True)
class TensorEntry:
    """One stored tensor: its name, stored dtype (``BF16``, ``F8_E4M3``, GGUF ``Q4_K``), shape and
    the bytes it occupies in the checkpoint."""

    name: str
    dtype: str
    shape: tuple[int, ...]
    nbytes: int

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name or len(self.name) > 1000:
            raise SpecError(
                Message(
                    "tensor name: expected text of 1-1000 characters, got {name!r:.60}",
                    name=self.name,
                )
            )
        if not isinstance(self.dtype, str) or not self.dtype or len(self.dtype) > 40:
            raise SpecError(
                Message(
                    "tensor {name!r:.80}: dtype {dtype!r:.40} is not a dtype name",
                    name=self.name,
                    dtype=self.dtype,
                )
            )
        if not isinstance(self.shape, tuple) or len(self.shape) > 8:
            raise SpecError(
                Message(
                    "tensor {name!r:.80}: shape must be a tuple of at most 8 sizes", name=self.name
                )
            )
        for d in self.shape:
            if isinstance(d, bool) or not isinstance(d, int) or d < 0:
                raise SpecError(
                    Message(
                        "tensor {name!r:.80}: shape {shape!r:.60} is not sizes",
                        name=self.name,
                        shape=self.shape,
                    )
                )
        n = self.nbytes
        if isinstance(n, bool) or not isinstance(n, int) or not 0 <= n <= MAX_TENSOR_BYTES:
            raise SpecError(
                Message(
                    "tensor {name!r:.80}: {n!r:.30} bytes is not a tensor size", name=self.name, n=n
                )
            )
        bits = DTYPE_BITS.get(self.dtype)
        if bits is not None:
            expected = math.ceil(math.prod(self.shape) * bits / 8)
            if n != expected:
                raise SpecError(
                    Message(
                        "tensor {name!r:.80}: {n:,} bytes stored for a {dtype} {shape} tensor "
                        "({expected:,} expected)",
                        name=self.name,
                        n=n,
                        dtype=self.dtype,
                        shape=list(self.shape),
                        expected=expected,
                    )
                )

    @property
    def elements(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True)
class CheckpointWeights:
    """Bytes a checkpoint stores, by tensor group (one full copy of the model, no parallelism).

    ``format_id`` is the weight format the checkpoint is in (``bf16``, ``fp8``, ``gptq-int4``,
    ``q4_k_m``…): the estimate uses these bytes when it is asked for that format, and estimates
    from the architecture otherwise. ``bytes_by_dtype`` is the total per stored dtype.
    """

    format_id: str
    source: str
    embedding_bytes: int
    lm_head_bytes: int
    layer_matrix_bytes: tuple[int, ...]
    layer_small_bytes: tuple[int, ...]
    vision_bytes: int
    other_bytes: int
    bytes_by_dtype: tuple[tuple[str, int], ...]
    tensor_count: int
    skipped_bytes: int = 0  # tensors the engines do not load (layers beyond num_hidden_layers)
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if len(self.layer_matrix_bytes) != len(self.layer_small_bytes):
            raise SpecError(
                N_("checkpoint: per-layer matrix and small-tensor lists differ in length")
            )
        for name in ("embedding_bytes", "lm_head_bytes", "vision_bytes", "other_bytes"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise SpecError(
                    Message(
                        "checkpoint {name}: must be a non-negative integer, got {v!r}",
                        name=name,
                        v=v,
                    )
                )

    @property
    def num_layers(self) -> int:
        return len(self.layer_matrix_bytes)

    @property
    def total_bytes(self) -> int:
        """Bytes the engine loads: every group, without the skipped tensors."""
        return (
            self.embedding_bytes
            + self.lm_head_bytes
            + sum(self.layer_matrix_bytes)
            + sum(self.layer_small_bytes)
            + self.vision_bytes
            + self.other_bytes
        )

    def bytes_by_dtype_dict(self) -> dict[str, int]:
        return dict(self.bytes_by_dtype)

    def as_dict(self) -> dict[str, object]:
        return {
            "format": self.format_id,
            "source": self.source,
            "total_bytes": self.total_bytes,
            "embedding_bytes": self.embedding_bytes,
            "lm_head_bytes": self.lm_head_bytes,
            "layers_bytes": sum(self.layer_matrix_bytes) + sum(self.layer_small_bytes),
            "vision_bytes": self.vision_bytes,
            "other_bytes": self.other_bytes,
            "skipped_bytes": self.skipped_bytes,
            "tensors": self.tensor_count,
            "bytes_by_dtype": self.bytes_by_dtype_dict(),
        }


def checkpoint_weights(
    tensors: Iterable[TensorEntry],
    num_hidden_layers: int,
    format_id: str,
    source: str,
    notes: tuple[str, ...] = (),
    tie_word_embeddings: bool = False,
) -> CheckpointWeights:
    """Group a checkpoint's tensors into :class:`CheckpointWeights` (bytes as stored).

    With ``tie_word_embeddings`` a stored ``lm_head`` (Qwen3-0.6B's checkpoint stores one) is not
    counted: the engines tie it to the embedding and load one copy.

    SpecError when the list is empty, too long, or names a tensor twice.
    """
    if isinstance(num_hidden_layers, bool) or not 0 < num_hidden_layers <= 10_000:
        raise SpecError(
            Message(
                "checkpoint: {num_hidden_layers!r} is not a layer count",
                num_hidden_layers=num_hidden_layers,
            )
        )
    n = num_hidden_layers
    matrices = [0] * n
    small = [0] * n
    embedding = lm_head = vision = other = skipped = tied_head = 0
    skipped_layers: set[int] = set()
    by_dtype: dict[str, int] = {}
    seen: set[str] = set()
    for t in tensors:
        if len(seen) >= MAX_TENSORS:
            raise SpecError(
                Message("checkpoint: more than {max_tensors:,} tensors", max_tensors=MAX_TENSORS)
            )
        if t.name in seen:
            raise SpecError(Message("checkpoint: tensor {name!r:.80} appears twice", name=t.name))
        seen.add(t.name)
        by_dtype[t.dtype] = by_dtype.get(t.dtype, 0) + t.nbytes
        if _VISION.search(t.name):
            vision += t.nbytes
            continue
        layer = _LAYER.search(t.name)
        if layer is not None:
            i = int(layer.group(1))
            if i >= n:
                skipped += t.nbytes
                skipped_layers.add(i)
                by_dtype[t.dtype] -= t.nbytes
                continue
            if len(t.shape) >= 2:
                matrices[i] += t.nbytes
            else:
                small[i] += t.nbytes
        elif _EMBEDDING.search(t.name):
            embedding += t.nbytes
        elif _LM_HEAD.search(t.name) and tie_word_embeddings:
            tied_head += t.nbytes
            skipped += t.nbytes
            by_dtype[t.dtype] -= t.nbytes
        elif _LM_HEAD.search(t.name):
            lm_head += t.nbytes
        else:
            other += t.nbytes
    if not seen:
        raise SpecError("checkpoint: no tensors")
    out_notes = list(notes)
    if skipped_layers:
        out_notes.append(
            Message(
                "checkpoint layers {items} are beyond num_hidden_layers {n} (e.g. multi-token "
                "prediction): not loaded, not counted",
                items=", ".join(str(i) for i in sorted(skipped_layers)),
                n=n,
            )
        )
    empty = [i for i in range(n) if not matrices[i]]
    if empty:
        raise SpecError(
            Message(
                "checkpoint: no weight matrices for layer(s) {layers} of {n}; the tensor list "
                "does not match the config's num_hidden_layers",
                layers=_ranges(empty),
                n=n,
            )
        )
    if not embedding:
        out_notes.append(N_("checkpoint: no token-embedding tensor recognised by name"))
    if tied_head:
        out_notes.append(
            Message(
                "checkpoint stores an lm_head of {tied_head:,} bytes, but the embeddings are "
                "tied: loaded once, not counted",
                tied_head=tied_head,
            )
        )
    return CheckpointWeights(
        format_id=format_id,
        source=source,
        embedding_bytes=embedding,
        lm_head_bytes=lm_head,
        layer_matrix_bytes=tuple(matrices),
        layer_small_bytes=tuple(small),
        vision_bytes=vision,
        other_bytes=other,
        bytes_by_dtype=tuple(sorted((k, v) for k, v in by_dtype.items() if v)),
        tensor_count=len(seen),
        skipped_bytes=skipped,
        notes=tuple(out_notes),
    )


def _ranges(indices: list[int]) -> str:
    if len(indices) <= 6:
        return ", ".join(str(i) for i in indices)
    return f"{indices[0]}..{indices[-1]} ({len(indices)} layers)"


def checkpoint_bytes_per_stage(
    cw: CheckpointWeights, stages: tuple[range, ...], tp: int = 1
) -> tuple[int, ...]:
    """Checkpoint bytes on one GPU of each pipeline stage, matrices split over ``tp`` ranks.

    Mirrors :func:`calculators.weights.weights_bytes_per_stage`: the first stage holds the
    embedding and the vision tower, the last the lm_head (the embedding's copy when tied and
    pp > 1) and the final norm; matrices are divided by ``tp``, small tensors replicated.
    """
    out = []
    last = len(stages) - 1
    for s, layers in enumerate(stages):
        split = sum(cw.layer_matrix_bytes[i] for i in layers)
        repl = sum(cw.layer_small_bytes[i] for i in layers)
        if s == 0:
            split += cw.embedding_bytes + cw.vision_bytes
        if s == last:
            split += cw.lm_head_bytes if cw.lm_head_bytes or last == 0 else cw.embedding_bytes
            repl += cw.other_bytes
        out.append(-(-split // tp) + repl)
    return tuple(out)


@dataclass(frozen=True)
class WeightsOrigin:
    """Where an estimate's weights come from, with both figures (whole model, one copy, bytes)."""

    used: str  # "checkpoint" or "architecture"
    architecture_bytes: int  # Σ parameters × bits of the chosen format / 8
    checkpoint_bytes: int | None  # the checkpoint's stored tensor bytes (None: no tensor list)
    checkpoint_format: str | None
    checkpoint_source: str | None
    note: str | None = None

    @property
    def notes(self) -> tuple[str, ...]:
        """What the estimate should say about its weights (empty when nothing needs saying)."""
        if self.note:
            return (self.note,)
        if self.used == "checkpoint":
            return (
                Message(
                    "weights from the checkpoint ({source}): {stored:,} bytes stored vs "
                    "{arch:,} from the architecture",
                    source=self.checkpoint_source,
                    stored=self.checkpoint_bytes,
                    arch=self.architecture_bytes,
                ),
            )
        return ()

    def as_dict(self) -> dict[str, object]:
        return {
            "used": self.used,
            "from_architecture_bytes": self.architecture_bytes,
            "from_checkpoint_bytes": self.checkpoint_bytes,
            "checkpoint_format": self.checkpoint_format,
            "checkpoint_source": self.checkpoint_source,
        }


def stage_weights(
    model: ModelSpec,
    fmt: WeightFormat,
    tp: int,
    pp: int,
    checkpoint: CheckpointWeights | None = None,
) -> tuple[tuple[int, ...], WeightsOrigin]:
    """Weight bytes on one GPU of each pipeline stage, and where they come from.

    The checkpoint's stored bytes when a tensor list is given for this weight format (the
    checkpoint's ``format_id`` is ``fmt.id``) and the model's layer count; otherwise parameters ×
    bits per weight from the architecture, with a note saying why the checkpoint was not used.
    """
    arch_total = weights_bytes(model, fmt)
    if checkpoint is None:
        return weights_bytes_per_stage(model, fmt, tp, pp), WeightsOrigin(
            "architecture", arch_total, None, None, None
        )
    base = ("architecture", arch_total, checkpoint.total_bytes, checkpoint.format_id)
    if checkpoint.format_id != fmt.id:
        note: str = Message(
            "weights from the architecture: the checkpoint stores {stored}, "
            "the estimate is for {fmt}",
            stored=checkpoint.format_id,
            fmt=fmt.id,
        )
    elif checkpoint.num_layers != model.num_hidden_layers:
        note = Message(
            "weights from the architecture: the checkpoint has {n} layers, the model {m}",
            n=checkpoint.num_layers,
            m=model.num_hidden_layers,
        )
    else:
        stages = pipeline_stages(model.num_hidden_layers, pp)
        return checkpoint_bytes_per_stage(checkpoint, stages, tp), WeightsOrigin(
            "checkpoint", arch_total, checkpoint.total_bytes, fmt.id, checkpoint.source
        )
    return weights_bytes_per_stage(model, fmt, tp, pp), WeightsOrigin(
        *base, checkpoint.source, note
    )


# quantization_config -> the weight format the checkpoint is stored in. Each entry: the format id
# and what the planner assumes about it (shown as a note beside the estimate).
_QUANT_METHODS: Final[tuple[str, ...]] = (
    "fp8",
    "fbgemm_fp8",
    "gptq",
    "awq",
    "compressed-tensors",
    "mxfp4",
    "bitsandbytes",
    "modelopt",
)


def checkpoint_format(raw: Mapping[str, Any]) -> tuple[str, str | None]:
    """The weight format a config.json's checkpoint is stored in, and a note saying why.

    From ``quantization_config`` (fp8, gptq, awq, compressed-tensors, mxfp4, bitsandbytes,
    modelopt); without one, from ``torch_dtype`` (float32 checkpoints are served in 16 bit, as
    vLLM's ``dtype=auto`` does). SpecError for a quantisation method or bit width not known here.
    """
    if not isinstance(raw, Mapping):
        raise SpecError("config.json: expected a JSON object")
    q = raw.get("quantization_config")
    if q is None:
        text = raw.get("text_config")
        dtype = raw.get("torch_dtype") or raw.get("dtype")
        if dtype is None and isinstance(text, Mapping):
            dtype = text.get("torch_dtype") or text.get("dtype")
        if dtype in ("float16", "fp16", "half"):
            return "fp16", None
        if dtype in ("float32", "fp32", "float"):
            return "bf16", N_(
                "float32 checkpoint: served in 16 bit (vLLM dtype=auto), weights bf16"
            )
        return "bf16", None
    if not isinstance(q, Mapping):
        raise SpecError(N_("quantization_config: expected an object"))
    method = q.get("quant_method")
    if not isinstance(method, str) or method not in _QUANT_METHODS:
        raise SpecError(
            Message(
                "quantization_config: quant_method {method!r:.40} is not one the planner knows "
                "({quant_methods}); choose the weight format by hand",
                method=method,
                quant_methods=", ".join(_QUANT_METHODS),
            )
        )
    label = f"quantization_config {method}"
    if method in ("fp8", "fbgemm_fp8"):
        return "fp8", Message("{label}: weights fp8", label=label)
    if method in ("gptq", "awq"):
        bits = q.get("bits", q.get("w_bit"))
        if bits == 4:
            fmt = "gptq-int4" if method == "gptq" else "awq-int4"
            return fmt, Message("{label} 4-bit: weights {fmt}", label=label, fmt=fmt)
        if bits == 8 and method == "gptq":
            return "int8", Message("{label} 8-bit: weights int8 (plus group scales)", label=label)
        raise SpecError(
            Message(
                "quantization_config: {method} with {bits!r:.20} bits is not supported",
                method=method,
                bits=bits,
            )
        )
    if method == "mxfp4":
        skip = q.get("modules_to_not_convert") or []
        if isinstance(skip, list) and any("attn" in str(m) for m in skip):
            return "mxfp4-experts", Message(
                "{label}: experts mxfp4, attention and embeddings bf16", label=label
            )
        return "mxfp4", Message("{label}: weights mxfp4", label=label)
    if method == "bitsandbytes":
        if q.get("load_in_8bit") is True:
            return "int8", Message("{label} 8-bit: weights int8", label=label)
        if q.get("load_in_4bit") is True:
            return "int4", (
                Message(
                    "{label} 4-bit (NF4/FP4): int4 plus one absmax per 64 weights; without the "
                    "checkpoint's tensors the ideal int4 understates it by ~3 %",
                    label=label,
                )
            )
        raise SpecError(N_("quantization_config: bitsandbytes without load_in_4bit/load_in_8bit"))
    if method == "modelopt":
        algo = str(q.get("quant_algo", "")).upper()
        if algo == "FP8":
            return "fp8", Message("{label} FP8: weights fp8", label=label)
        if algo == "NVFP4":
            return "nvfp4", Message("{label} NVFP4: weights nvfp4", label=label)
        raise SpecError(
            Message(
                "quantization_config: modelopt quant_algo {algo!r:.30} is not supported", algo=algo
            )
        )
    return _compressed_tensors(q, label)


def _compressed_tensors(q: Mapping[str, Any], label: str) -> tuple[str, str | None]:
    groups = q.get("config_groups")
    if not isinstance(groups, Mapping) or not groups:
        raise SpecError(N_("quantization_config: compressed-tensors without config_groups"))
    kinds = set()
    for g in groups.values():
        w = g.get("weights") if isinstance(g, Mapping) else None
        if not isinstance(w, Mapping):
            raise SpecError(
                N_("quantization_config: a compressed-tensors group has no weights scheme")
            )
        kinds.add((w.get("num_bits"), w.get("type")))
    if len(kinds) != 1:
        raise SpecError(
            Message(
                "quantization_config: compressed-tensors mixes schemes {schemes}",
                schemes=sorted(map(str, kinds)),
            )
        )
    bits, kind = kinds.pop()
    if (bits, kind) == (8, "float"):
        return "fp8", Message("{label} (8-bit float): weights fp8", label=label)
    if (bits, kind) == (8, "int"):
        return "int8", Message("{label} (8-bit int): weights int8", label=label)
    if (bits, kind) == (4, "int"):
        return "gptq-int4", (
            Message(
                "{label} (packed int4 with group scales): sized like GPTQ int4 g128", label=label
            )
        )
    if (bits, kind) == (4, "float"):
        return "nvfp4", Message("{label} (4-bit float): weights nvfp4", label=label)
    raise SpecError(
        Message(
            "quantization_config: compressed-tensors {bits!r:.10}-bit {kind!r:.10} is not "
            "supported",
            bits=bits,
            kind=kind,
        )
    )


# Stored dtype of an unquantised checkpoint's matrices -> its weight format.
_FLOAT_FORMATS: Final[dict[str, str]] = {"BF16": "bf16", "F16": "fp16", "F32": "fp32"}


def stored_float_format(tensors: Iterable[TensorEntry]) -> str | None:
    """The weight format of an unquantised checkpoint: the dtype holding most matrix bytes
    (``bf16``/``fp16``/``fp32``), or None when that dtype is not a plain float."""
    totals: dict[str, int] = {}
    for t in tensors:
        if len(t.shape) >= 2:
            totals[t.dtype] = totals.get(t.dtype, 0) + t.nbytes
    if not totals:
        return None
    return _FLOAT_FORMATS.get(max(totals, key=lambda k: totals[k]))
