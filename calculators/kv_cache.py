"""KV cache: the keys and values every attention layer keeps for every token of every request.

The article: ``KV = 2 × layers × head_dim × heads × context × batch × dtype_bytes`` (the 2 is K
and V). Its worked example (48 layers, head_dim 128, 32 heads, 12,000 tokens, batch 1, FP16) is
9,437,184,000 bytes. Corrections a real model needs, each from the model's config.json:

* ``heads`` are the **KV heads** (``num_key_value_heads``): grouped-query attention stores one K/V
  per group (Llama-3-8B: 8, not 32); for multi-head models the two are equal, so the article's
  formula is the special case;
* ``head_dim`` is the published one when the config gives it (Qwen3-0.6B: 128, not 1024/16 = 64);
* **MLA** (DeepSeek-V2/V3): one latent of ``kv_lora_rank + qk_rope_head_dim`` elements per token
  and layer, no factor 2, replicated on every tensor-parallel rank;
* **sliding-window / chunked layers** hold at most ``window`` tokens;
* the KV dtype is chosen apart from the weight format (fp16/bf16/fp8, GGUF q8_0/q4_0);
* tensor parallelism: KV heads per GPU are ``max(1, kv_heads / tp)`` (replicated when tp > heads).

Units: bytes (integers, rounded up); ``bits`` are exact fractions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property, lru_cache
from typing import Final

import numpy as np
import numpy.typing as npt

from calculators.formats import KVDtype
from calculators.spec import ModelSpec


@dataclass(frozen=True)
class KVGroup:
    """Layers that share an attention window and a per-token size."""

    window: int | None  # tokens kept at most (None = the whole context)
    num_layers: int
    bits_per_token_per_layer: Fraction


@dataclass(frozen=True)
class KVLayout:
    """The KV cache shape of the layers on one GPU."""

    groups: tuple[KVGroup, ...]

    @cached_property
    def bytes_per_token(self) -> int:
        """Bytes one token adds over all layers on this GPU, ignoring windows (full attention)."""
        return math.ceil(sum(g.num_layers * g.bits_per_token_per_layer for g in self.groups) / 8)

    @cached_property
    def _integer_scales(self) -> tuple[int, tuple[tuple[int | None, int], ...]]:
        """(denominator, ((window, numerator per token), ...)): exact integer form of the bits."""
        den = 8
        for g in self.groups:
            den = math.lcm(den, g.bits_per_token_per_layer.denominator * 8)
        scales = tuple(
            (g.window, int(g.num_layers * g.bits_per_token_per_layer * den / 8))
            for g in self.groups
        )
        return den, scales

    def bytes_for_tokens(self, tokens: int) -> int:
        """Bytes to hold ``tokens`` tokens of one sequence: Σ layers × min(tokens, window) × bits/8."""
        den, scales = self._integer_scales
        num = 0
        for window, scale in scales:
            num += (tokens if window is None else min(tokens, window)) * scale
        return -(-num // den)

    def bytes_for_tokens_array(self, tokens: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Vectorised :meth:`bytes_for_tokens` over an integer array of token counts."""
        t = np.asarray(tokens, dtype=np.int64)
        den, scales = self._integer_scales  # exact integer arithmetic with a common denominator
        num = np.zeros_like(t)
        for window, scale in scales:
            held = t if window is None else np.minimum(t, window)
            num = num + held * scale
        return -(-num // den)


def kv_heads_per_gpu(model: ModelSpec, tp: int, kv_heads: int | None = None) -> int:
    """KV heads each tensor-parallel rank stores: ``max(1, kv_heads / tp)`` (rounded up)."""
    k = model.num_key_value_heads if kv_heads is None else kv_heads
    return max(1, -(-k // tp))


# DeepSeek-V3.2 indexer key cache: fp8 keys with one fp32 scale per 128 elements, stored as
# uint8, ``index_head_dim + index_head_dim // 128 * 4`` bytes per token and layer (132 B for
# head_dim 128): vLLM DeepseekV32IndexerCache and SGLang NSATokenToKVPool
# index_k_with_scale_buffer (quant_block_size 128). Not split by tensor parallelism.
INDEXER_QUANT_BLOCK: Final[int] = 128  # elements per fp32 scale
INDEXER_SCALE_BYTES: Final[int] = 4  # one fp32 scale


def indexer_bytes_per_token_per_layer(model: ModelSpec) -> int:
    """Bytes the sparse-attention indexer (DeepSeek-V3.2) caches per token and layer (0 without)."""
    if model.indexer is None:
        return 0
    d = model.indexer.head_dim
    return d + d // INDEXER_QUANT_BLOCK * INDEXER_SCALE_BYTES


def kv_bits_per_token_per_layer(
    model: ModelSpec, kv: KVDtype, tp: int = 1, kv_heads: int | None = None
) -> Fraction:
    """Bits one token takes in one attention layer on one GPU.

    Standard/GQA: ``2 × kv_heads_per_gpu × head_dim × bits``; MLA: ``(kv_lora_rank +
    qk_rope_head_dim) × bits`` (one latent, no ×2, not split by tensor parallelism), plus the
    indexer's key cache for DeepSeek-V3.2. ``kv_heads`` overrides the model's (per-layer heads).
    """
    if model.is_mla:
        latent = (model.kv_lora_rank + model.qk_rope_head_dim) * kv.bits
        return latent + 8 * indexer_bytes_per_token_per_layer(model)
    return 2 * kv_heads_per_gpu(model, tp, kv_heads) * model.effective_head_dim * kv.bits


def kv_layout(
    model: ModelSpec, kv: KVDtype, tp: int = 1, layers: Iterable[int] | None = None
) -> KVLayout:
    """The KV layout of ``layers`` (default: all) of ``model`` on one tensor-parallel rank.

    Layers without attention (Mamba / linear-attention state layers, MLP-only layers) hold no
    per-token KV and are left out; layers with their own KV heads (Nemotron-NAS) are grouped by
    their per-token size.
    """
    key = range(model.num_hidden_layers) if layers is None else layers
    return _kv_layout(model, kv, tp, key if isinstance(key, range) else tuple(key))


@lru_cache(maxsize=4096)  # pure in frozen specs; the planner asks for the same layout per GPU type
def _kv_layout(model: ModelSpec, kv: KVDtype, tp: int, idx: range | tuple[int, ...]) -> KVLayout:
    attn = set(model.attention_layer_indices)
    types = model.resolved_layer_types
    counts: dict[tuple[int | None, Fraction], int] = {}
    for i in idx:
        if i not in attn:
            continue
        key = (
            model.layer_window(types[i]),
            kv_bits_per_token_per_layer(model, kv, tp, model.kv_heads_of_layer(i)),
        )
        counts[key] = counts.get(key, 0) + 1
    groups = tuple(
        KVGroup(window=w, num_layers=n, bits_per_token_per_layer=bits)
        for (w, bits), n in sorted(
            counts.items(), key=lambda kv_: (kv_[0][0] is not None, kv_[0][0] or 0, kv_[0][1])
        )
    )
    return KVLayout(groups)


def article_kv_bytes(
    layers: int, head_dim: int, heads: int, context_len: int, batch: int, dtype_bytes: int
) -> int:
    """The article's formula verbatim: ``2 × layers × head_dim × heads × context × batch × bytes``.

    ``heads`` are the KV heads (equal to the query heads for multi-head attention).
    """
    return 2 * layers * head_dim * heads * context_len * batch * dtype_bytes


def kv_cache_bytes(
    model: ModelSpec, kv: KVDtype, context_len: int, batch: int = 1, tp: int = 1
) -> int:
    """KV bytes of one request of ``context_len`` tokens and ``batch`` sequences on one GPU."""
    return kv_layout(model, kv, tp).bytes_for_tokens(context_len) * batch
