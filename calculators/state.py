"""Constant per-request state of Mamba and linear-attention layers (hybrid and pure SSM models).

A Mamba or linear-attention layer keeps no per-token keys and values: each request holds one
fixed-size state per layer, whatever its length. Its size on one GPU, as vLLM allocates it
(``MambaStateShapeCalculator`` and ``MambaStateDtypeCalculator`` in
vllm/model_executor/layers/mamba/mamba_utils.py; SGLang's ``MambaPool`` sizes the same tensors
from the same config fields, srt/mem_cache/memory_pool.py):

* Mamba-1: conv ``d_inner/tp × (conv_kernel − 1)`` + temporal ``d_inner/tp × d_state``;
* Mamba-2: conv ``(d_inner + 2·G·d_state)/tp × (conv_kernel − 1)`` with the groups G padded to a
  multiple of tp when they do not divide it (``extra_groups_for_head_shards``) + temporal
  ``heads/tp × head_dim × d_state``;
* Gated DeltaNet: conv ``(2·k_heads·d_k + v_heads·d_v)/tp × (conv_kernel − 1)`` + temporal
  ``v_heads/tp × d_v × d_k``;
* lightning attention (MiniMax-01): ``heads/tp × head_dim × head_dim``.

The conv state is in the model dtype (``mamba_cache_dtype`` auto); the temporal state likewise,
unless ``mamba_ssm_cache_dtype`` says otherwise (vLLM sets float32 for Nemotron-H from its config,
vllm/model_executor/models/config.py ``NemotronHForCausalLMConfig``). Unit: bytes (integers).
"""

from __future__ import annotations

from calculators.formats import dtype_bytes
from calculators.spec import ModelSpec, StateSpec


def _extra_groups(groups: int, tp: int) -> int:
    """vLLM extra_groups_for_head_shards: groups added so every TP rank holds whole groups."""
    return 0 if groups % tp == 0 else tp - groups


def state_elements_per_layer(s: StateSpec, tp: int = 1) -> tuple[int, int]:
    """(conv elements, temporal elements) of one state layer on one tensor-parallel rank."""
    if s.kind == "mamba":
        d = s.intermediate_size // tp
        return d * (s.conv_kernel - 1), d * s.state_size
    if s.kind == "mamba2":
        groups = s.n_groups + _extra_groups(s.n_groups, tp)
        conv_dim = s.intermediate_size + 2 * groups * s.state_size
        return (
            conv_dim // tp * (s.conv_kernel - 1),
            s.num_heads // tp * s.head_dim * s.state_size,
        )
    if s.kind == "gated_deltanet":
        conv_dim = 2 * s.num_k_heads * s.head_k_dim + s.num_heads * s.head_dim
        return (
            conv_dim // tp * (s.conv_kernel - 1),
            s.num_heads // tp * s.head_dim * s.head_k_dim,
        )
    # lightning attention: one (head_dim × head_dim) matrix per head
    return 0, s.num_heads // tp * s.head_dim * s.head_dim


def state_bytes_per_layer(model: ModelSpec, tp: int = 1, element_bytes: int | None = None) -> int:
    """Bytes of one state layer's state for one request on one GPU (0 without state layers).

    ``element_bytes`` forces one size for both tensors (llama.cpp keeps them in f32).
    """
    s = model.state
    if s is None:
        return 0
    conv, temporal = state_elements_per_layer(s, max(1, tp))
    conv_bytes = element_bytes or dtype_bytes(model.torch_dtype)
    temporal_bytes = element_bytes or dtype_bytes(s.ssm_state_dtype or model.torch_dtype)
    return conv * conv_bytes + temporal * temporal_bytes


def state_bytes_per_request(
    model: ModelSpec,
    tp: int = 1,
    layers: range | None = None,
    element_bytes: int | None = None,
) -> int:
    """State bytes one request holds on one GPU over ``layers`` (default: all layers)."""
    idx = set(range(model.num_hidden_layers) if layers is None else layers)
    n = sum(1 for i in model.state_layer_indices if i in idx)
    return n * state_bytes_per_layer(model, tp, element_bytes)


def state_layer_params(model: ModelSpec) -> tuple[int, int]:
    """(matrices, small vectors) of one state layer's mixer, as transformers builds it.

    Mamba-1 (MambaMixer, JambaMambaMixer): in_proj h×2D, conv1d D×k (+D bias), x_proj
    D×(r + 2N), dt_proj r×D + D, A_log D×N, D vector, out_proj D×h. Mamba-2 (NemotronHMamba2Mixer,
    GraniteMoeHybridMambaLayer): in_proj h×(2D + 2GN + H), conv1d C×k (+C), dt_bias/A_log/D of H,
    gated norm D, out_proj D×h, C = D + 2GN. Gated DeltaNet (Qwen3NextGatedDeltaNet):
    in_proj_qkvz h×(2·Kh·dk + 2·Vh·dv), in_proj_ba h×2·Vh, conv1d C×k, dt_bias/A_log Vh, norm dv,
    out_proj Vh·dv×h. Lightning (MiniMaxLightningAttention): qkv h×3·H·d, output_gate h×H·d,
    out_proj H·d×h, norm H·d.
    """
    s = model.state
    if s is None:
        return 0, 0
    h = model.hidden_size
    if s.kind == "mamba":
        d, n, r, k = s.intermediate_size, s.state_size, s.dt_rank, s.conv_kernel
        mats = h * 2 * d + d * k + d * (r + 2 * n) + r * d + d * n + d * h
        small = d + d + (d if s.conv_bias else 0) + (2 * d + h if s.proj_bias else 0)
        if s.inner_norms:
            small += r + 2 * n
        return mats, small
    if s.kind == "mamba2":
        d, g, n, heads, k = (
            s.intermediate_size,
            s.n_groups,
            s.state_size,
            s.num_heads,
            s.conv_kernel,
        )
        conv_dim = d + 2 * g * n
        proj = 2 * d + 2 * g * n + heads
        mats = h * proj + conv_dim * k + d * h
        small = 3 * heads + d + (conv_dim if s.conv_bias else 0) + (proj + h if s.proj_bias else 0)
        return mats, small
    if s.kind == "gated_deltanet":
        kh, dk, vh, dv, k = s.num_k_heads, s.head_k_dim, s.num_heads, s.head_dim, s.conv_kernel
        conv_dim = 2 * kh * dk + vh * dv
        mats = h * (2 * kh * dk + 2 * vh * dv) + h * 2 * vh + conv_dim * k + vh * dv * h
        small = 2 * vh + dv + (conv_dim if s.conv_bias else 0)
        return mats, small
    heads, d = s.num_heads, s.head_dim
    return h * 3 * heads * d + h * heads * d + heads * d * h, heads * d
