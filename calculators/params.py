"""Parameter count derived from the architecture, with its breakdown.

Counts, per decoder layer (h = hidden_size, d = head_dim, H = attention heads, K = KV heads):

* attention (standard / GQA / MQA): ``h·H·d`` (q) + ``2·h·K·d`` (k, v) + ``H·d·h`` (o),
  plus biases when ``attention_bias``;
* attention (MLA, DeepSeek-V2/V3): q (optionally through a ``q_lora_rank`` bottleneck),
  ``h·(kv_lora_rank + qk_rope_head_dim)`` (kv_a), ``kv_lora_rank·H·(qk_nope_head_dim + v_head_dim)``
  (kv_b) and ``H·v_head_dim·h`` (o);
* dense MLP: ``3·h·intermediate_size`` (gated SwiGLU/GeGLU) or ``2·h·intermediate_size``;
* MoE layer: router ``h·E``, ``E`` routed experts of ``3·h·moe_intermediate_size`` each, shared
  experts (``n_shared_experts`` of ``moe_intermediate_size`` or one of
  ``shared_expert_intermediate_size``); every expert is resident, so all count for memory;
* norms: two RMSNorm vectors of ``h`` (four for Gemma-2/3).

Plus the token embedding ``vocab·h``, the lm_head ``vocab·h`` unless ``tie_word_embeddings``, the
final norm, and a vision encoder when the checkpoint has one. Unit: parameters (a count).
Source: the modelling files of Hugging Face transformers (modeling_llama, _qwen2/3(_moe),
_mixtral, _deepseek_v3, _gemma2/3, _gpt_oss, _llama4), which these terms mirror.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from calculators.messages import N_, Message
from calculators.spec import ModelSpec, VisionSpec
from calculators.state import state_layer_params


@dataclass(frozen=True)
class LayerParams:
    """Parameters of one decoder layer, grouped the way quantisation formats treat them."""

    attention: int  # q, k, v, o projection matrices
    mlp: int  # dense MLP matrices, or the shared experts of an MoE layer
    experts: int  # routed expert matrices (all resident)
    small: int  # norms, biases and the router: kept in 16/32 bit by quantisers

    @property
    def total(self) -> int:
        return self.attention + self.mlp + self.experts + self.small


@dataclass(frozen=True)
class ParameterBreakdown:
    """Where a model's parameters are. All counts are numbers of parameters."""

    embedding: int
    lm_head: int
    layers: tuple[LayerParams, ...]
    final_norm: int
    vision: int
    active_experts_fraction: float  # num_experts_per_tok / num_experts (1.0 for dense)
    declared_total: int | None = None  # a hand-entered count that overrides the derived one

    @property
    def attention(self) -> int:
        return sum(layer.attention for layer in self.layers)

    @property
    def mlp(self) -> int:
        return sum(layer.mlp for layer in self.layers)

    @property
    def experts(self) -> int:
        return sum(layer.experts for layer in self.layers)

    @property
    def small(self) -> int:
        return sum(layer.small for layer in self.layers) + self.final_norm

    @property
    def derived_total(self) -> int:
        return (
            self.embedding
            + self.lm_head
            + sum(la.total for la in self.layers)
            + self.final_norm
            + self.vision
        )

    @property
    def total(self) -> int:
        """Parameters resident in memory (all experts)."""
        return self.declared_total if self.declared_total is not None else self.derived_total

    @property
    def active(self) -> int:
        """Parameters used per token (routed experts scaled by top-k / E); speed, not memory."""
        inactive = round(self.experts * (1.0 - self.active_experts_fraction))
        return self.total - inactive

    def as_dict(self) -> dict[str, int]:
        return {
            "total": self.total,
            "active": self.active,
            "embedding": self.embedding,
            "lm_head": self.lm_head,
            "attention": self.attention,
            "mlp": self.mlp,
            "experts": self.experts,
            "norms_biases_router": self.small,
            "vision": self.vision,
        }


def _attention_params(
    m: ModelSpec, heads: int | None = None, kv: int | None = None
) -> tuple[int, int]:
    """(matrices, small vectors) of one attention block (``heads``/``kv`` override the model's)."""
    h = m.hidden_size
    heads = m.num_attention_heads if heads is None else heads
    if m.is_mla:
        qk_dim = m.qk_nope_head_dim + m.qk_rope_head_dim
        if m.q_lora_rank:
            q = h * m.q_lora_rank + m.q_lora_rank * heads * qk_dim
            q_norm = m.q_lora_rank
        else:
            q = h * heads * qk_dim
            q_norm = 0
        kv_a = h * (m.kv_lora_rank + m.qk_rope_head_dim)
        kv_b = m.kv_lora_rank * heads * (m.qk_nope_head_dim + m.v_head_dim)
        o = heads * m.v_head_dim * h
        mats, small = q + kv_a + kv_b + o, q_norm + m.kv_lora_rank
        if m.indexer is not None:
            # DeepSeek-V3.2 indexer (transformers/vLLM Indexer): wq_b q_lora×(H_i·d_i), wk h×d_i,
            # weights_proj h×H_i, k_norm LayerNorm(d_i) with bias.
            ih, idim = m.indexer.num_heads, m.indexer.head_dim
            mats += (m.q_lora_rank or h) * ih * idim + h * idim + h * ih
            small += 2 * idim
        return mats, small
    d = m.effective_head_dim
    kv = m.num_key_value_heads if kv is None else kv
    matrices = h * heads * d * (2 if m.attention_gate else 1) + 2 * h * kv * d + heads * d * h
    biases = (heads * d + 2 * kv * d + h) if m.attention_bias else 0
    if m.qk_norm:
        biases += 2 * d
    return matrices, biases


def _mlp_params(h: int, inter: int, gated: bool) -> int:
    return (3 if gated else 2) * h * inter


def _mlp_bias(m: ModelSpec, inter: int) -> int:
    """Biases of a dense MLP (up/gate and down projections) when the family has them."""
    if not m.mlp_bias or not inter:
        return 0
    return (2 if m.mlp_gated else 1) * inter + m.hidden_size


def _norms_per_layer(m: ModelSpec) -> int:
    # Gemma-2/3 wrap both the attention and the MLP in pre- and post-norms.
    if m.norms_per_layer is not None:
        per = m.norms_per_layer
    else:
        per = 4 if m.model_type.startswith("gemma2") or m.model_type.startswith("gemma3") else 2
    return per * m.hidden_size * (2 if m.norm_bias else 1)


def layer_params(m: ModelSpec, index: int, moe: bool) -> LayerParams:
    """Parameters of decoder layer ``index`` (an MoE layer when ``moe``).

    The token mixer follows ``layer_types``: attention (with the layer's own heads when the
    config gives them per block), a Mamba / linear-attention mixer, or none; the MLP is the
    routed experts (``moe``) or a dense MLP of the layer's width (none when 0).
    """
    h = m.hidden_size
    kind = m.resolved_layer_types[index]
    if kind in ("mamba", "linear_attention"):
        attn, attn_small = state_layer_params(m)
    elif kind == "none" or m.heads_of_layer(index) == 0:
        attn, attn_small = 0, 0
    else:
        attn, attn_small = _attention_params(m, m.heads_of_layer(index), m.kv_heads_of_layer(index))
    norms = _norms_per_layer(m)
    if m.norms_per_layer is None and (
        attn == 0 or (not moe and not m.intermediate_of_layer(index))
    ):
        # A block without a mixer or without an MLP (Nemotron-NAS no-op) skips that block's norm.
        norms -= m.hidden_size * (2 if m.norm_bias else 1)
    small = attn_small + norms
    if moe:
        e = m.num_experts
        experts = e * _mlp_params(h, m.moe_intermediate_size, m.mlp_gated)
        router = h * e
        if m.expert_bias:  # gpt-oss: gate_up and down biases per expert, router bias
            small += e * ((2 if m.mlp_gated else 1) * m.moe_intermediate_size + h) + e
        shared = m.n_shared_experts * _mlp_params(h, m.moe_intermediate_size, m.mlp_gated)
        if m.shared_expert_intermediate_size:
            shared += _mlp_params(h, m.shared_expert_intermediate_size, m.mlp_gated)
        return LayerParams(attention=attn, mlp=shared, experts=experts, small=small + router)
    inter = m.intermediate_of_layer(index)
    return LayerParams(
        attention=attn,
        mlp=_mlp_params(h, inter, m.mlp_gated),
        experts=0,
        small=small + _mlp_bias(m, inter),
    )


def vision_params(v: VisionSpec) -> int:
    """Parameters of a ViT-style vision encoder plus its projector (SigLIP, Pixtral, Llama 4,
    Qwen-VL, GLM-V)."""
    h, i = v.hidden_size, v.intermediate_size
    norm_bias = v.bias if v.norm_bias is None else v.norm_bias
    patch_bias = v.bias if v.patch_bias is None else v.patch_bias
    attn = 4 * h * h + (4 * h if v.bias else 0)
    mlp = (3 if v.gated_mlp else 2) * h * i + (((2 if v.gated_mlp else 1) * i + h) if v.bias else 0)
    norm = (2 if norm_bias else 1) * h  # LayerNorm weight+bias (SigLIP) or RMSNorm weight
    per_layer = attn + mlp + 2 * norm
    patch = v.num_channels * v.temporal_patch_size * v.patch_size * v.patch_size * h + (
        h if patch_bias else 0
    )
    rows = (
        v.num_position_embeddings
        if v.num_position_embeddings is not None
        else (v.image_size // v.patch_size) ** 2
    )
    positions = rows * h if v.learned_position_embeddings else 0
    post_norm = norm if v.post_norm else 0
    return v.num_hidden_layers * per_layer + patch + positions + post_norm + v.projector_parameters


@lru_cache(maxsize=256)
def parameter_breakdown(m: ModelSpec) -> ParameterBreakdown:
    """The parameter count of ``m`` derived from its architecture, by component (cached: specs
    are frozen, so the same spec always has the same count)."""
    moe_set = set(m.moe_layer_indices)
    layers = tuple(layer_params(m, i, i in moe_set) for i in range(m.num_hidden_layers))
    embedding = m.vocab_size * m.hidden_size + m.learned_positions * m.hidden_size
    lm_head = 0 if m.tie_word_embeddings else m.vocab_size * m.hidden_size
    frac = (m.num_experts_per_tok / m.num_experts) if m.num_experts else 1.0
    return ParameterBreakdown(
        embedding=embedding,
        lm_head=lm_head,
        layers=layers,
        final_norm=m.hidden_size * (2 if m.norm_bias else 1),
        vision=vision_params(m.vision) if m.vision else 0,
        active_experts_fraction=frac,
        declared_total=m.num_parameters,
    )


def declared_parameter_problem(m: ModelSpec) -> str | None:
    """Why a declared parameter count cannot be right for the architecture, or None.

    A count below the embeddings (vocabulary × hidden size, lm_head, vision encoder) is
    impossible: the weights count those parts anyway, so the memory shown is for more
    parameters than declared. Ten times the derived count means a unit slip (millions for
    billions) or missing layer sizes.
    """
    if m.num_parameters is None:
        return None
    pb = parameter_breakdown(m)
    floor = pb.embedding + pb.lm_head + pb.vision
    if m.num_parameters < floor:
        template = (
            N_(
                "The declared {declared:,.3g}B parameters are fewer than the embeddings and "
                "vision encoder alone ({floor:,.3g}B from vocabulary × hidden size): the weights "
                "count those, so check the parameter count or the vocabulary."
            )
            if pb.vision
            else N_(
                "The declared {declared:,.3g}B parameters are fewer than the embeddings alone "
                "({floor:,.3g}B from vocabulary × hidden size): the weights count those, so "
                "check the parameter count or the vocabulary."
            )
        )
        return Message(template, declared=m.num_parameters / 1e9, floor=floor / 1e9)
    if m.num_parameters > 10 * pb.derived_total:
        return Message(
            "The declared {declared:,.3g}B parameters are over ten times what the architecture "
            "gives ({derived:,.3g}B): check the parameter count or the layer sizes.",
            declared=m.num_parameters / 1e9,
            derived=pb.derived_total / 1e9,
        )
    return None
