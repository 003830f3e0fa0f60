"""Pieces the engine-faithful methods share: version parsing, weights as engines load them."""

from __future__ import annotations

import re
from fractions import Fraction
from functools import lru_cache
from typing import Final

from calculators.checkpoint import CheckpointWeights, WeightsOrigin, stage_weights
from calculators.formats import WeightFormat, dtype_bytes
from calculators.messages import Message
from calculators.spec import ModelSpec

# vLLM's VocabParallelEmbedding pads the vocabulary to a multiple of 64 rows (DEFAULT_VOCAB_PADDING_SIZE,
# vllm/model_executor/layers/vocab_parallel_embedding.py). Unit: rows.
VOCAB_PADDING_ROWS: Final[int] = 64


def parse_version(text: str | None, default: tuple[int, int]) -> tuple[int, int]:
    """``"0.19.0 (V1 engine)"`` -> (0, 19); None -> ``default``; ValueError for anything else."""
    if text is None:
        return default
    m = re.match(r"^\s*v?(\d{1,3})\.(\d{1,4})", text)
    if not m:
        raise ValueError(Message("engine version {v1!r} is not like 0.19 or 0.21.1", v1=text[:40]))
    return int(m.group(1)), int(m.group(2))


def padded_vocab(vocab: int) -> int:
    return -(-vocab // VOCAB_PADDING_ROWS) * VOCAB_PADDING_ROWS


def rope_cache_bytes(model: ModelSpec) -> int:
    """vLLM's RoPE cos/sin cache: ``max_position_embeddings × rotary_dim`` in the model dtype.

    One cache per model (``get_rope`` caches instances), on every GPU. Llama-3.1-8B: 131,072 ×
    128 × 2 B = 32 MiB, the difference between 2 × parameters and the logged "Model loading took
    14.99 GiB" (tests/data/validation/measured.yaml).
    """
    rotary = model.qk_rope_head_dim if model.is_mla else model.effective_head_dim
    return model.max_position_embeddings * rotary * dtype_bytes(model.torch_dtype)


@lru_cache(maxsize=4096)  # pure in frozen specs; the planner asks for the same split per GPU type
def engine_weights_per_stage(
    model: ModelSpec,
    fmt: WeightFormat,
    tp: int,
    pp: int,
    checkpoint: CheckpointWeights | None = None,
) -> tuple[tuple[int, ...], WeightsOrigin]:
    """Weights on one GPU of each stage as vLLM/SGLang load them: parameters in ``fmt`` (or the
    checkpoint's stored bytes, see ``calculators.checkpoint.stage_weights``), the vocabulary
    padded to 64 rows, plus the RoPE cache; and where the weights come from."""
    stage_bytes, origin = stage_weights(model, fmt, tp, pp, checkpoint)
    base = list(stage_bytes)
    pad_rows = padded_vocab(model.vocab_size) - model.vocab_size
    if pad_rows:
        pad = Fraction(pad_rows * model.hidden_size) * fmt.embedding_bits / 8 / tp
        base[0] += int(pad)
        if not model.tie_word_embeddings or pp > 1:
            base[-1] += int(Fraction(pad_rows * model.hidden_size) * fmt.lm_head_bits / 8 / tp)
    rope = rope_cache_bytes(model)
    return tuple(b + rope for b in base), origin
