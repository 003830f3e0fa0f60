"""Presets of the families people deploy now (issue 11): hybrids hold a state per request, and their
KV bytes per token and state bytes per request match a hand computation from the model's config.

Each golden number is worked out below from the config values the preset cites (its `source`), at
16-bit KV; state sizes follow vLLM's state shapes (MambaStateShapeCalculator, vllm-project/vllm
vllm/model_executor/layers/mamba/mamba_utils.py): conv state (conv_dim × (kernel − 1)) in the model
dtype, the temporal/SSM state in the model dtype unless the config names another.
"""

import pytest

from calculators import KV_DTYPES, kv_layout, parameter_breakdown
from calculators.state import state_bytes_per_request
from presets.loader import load_catalog

CATALOG = load_catalog()

# Qwen/Qwen3-Next-80B-A3B-Instruct (config values: AI-Hypercomputer/maxtext Qwen3-Next converter,
# MODEL_PARAMS_DICT 'qwen3-next-80b-a3b'): 48 layers, full attention every 4th -> 12 attention layers,
# 2 KV heads of 256. KV: 12 × 2 (K and V) × 2 × 256 × 2 B = 24,576 B per token.
# 36 Gated DeltaNet layers: conv_dim = 16 key heads × 128 × 2 (q, k) + 32 value heads × 128 = 8,192;
# conv 8,192 × (4 − 1) × 2 B = 49,152 B; temporal 32 × 128 × 128 × 2 B (bf16) = 1,048,576 B;
# 36 × 1,097,728 = 39,518,208 B per request.
QWEN3_NEXT = "Qwen/Qwen3-Next-80B-A3B-Instruct"
# ibm-granite/granite-4.0-h-small (config fields quoted in the preset's source): 4 attention layers of
# 40, 8 KV heads of 4096 / 32 = 128. KV: 4 × 2 × 8 × 128 × 2 B = 16,384 B per token. 36 Mamba-2 layers:
# d_inner = 128 heads × 64 = 8,192; conv_dim = 8,192 + 2 × 1 group × 128 state = 8,448; conv
# 8,448 × 3 × 2 B = 50,688 B; SSM 128 × 64 × 128 × 2 B = 2,097,152 B; 36 × 2,147,840 = 77,322,240 B.
GRANITE_H_SMALL = "ibm-granite/granite-4.0-h-small"
# MiniMaxAI/MiniMax-M2 (miniMaxM2FixtureConfig): softmax attention on all 62 layers, 8 KV heads of 128.
# KV: 62 × 2 × 8 × 128 × 2 B = 253,952 B per token; no state layers.
MINIMAX_M2 = "MiniMaxAI/MiniMax-M2"

GOLDEN = [
    (
        QWEN3_NEXT,
        12 * 2 * 2 * 256 * 2,
        36 * ((16 * 128 * 2 + 32 * 128) * 3 * 2 + 32 * 128 * 128 * 2),
    ),
    (
        GRANITE_H_SMALL,
        4 * 2 * 8 * 128 * 2,
        36 * ((128 * 64 + 2 * 1 * 128) * 3 * 2 + 128 * 64 * 128 * 2),
    ),
    (MINIMAX_M2, 62 * 2 * 8 * 128 * 2, 0),
]
HYBRIDS = [QWEN3_NEXT, GRANITE_H_SMALL]


@pytest.mark.parametrize(("model_id", "kv_per_token", "state_per_request"), GOLDEN)
def test_kv_and_state_match_the_hand_computation(
    model_id: str, kv_per_token: int, state_per_request: int
) -> None:
    spec = CATALOG.models[model_id].spec
    assert kv_layout(spec, KV_DTYPES["bf16"]).bytes_per_token == kv_per_token
    assert state_bytes_per_request(spec) == state_per_request


@pytest.mark.parametrize("model_id", HYBRIDS)
def test_hybrid_presets_hold_state_and_fewer_kv_layers(model_id: str) -> None:
    spec = CATALOG.models[model_id].spec
    assert spec.state is not None
    assert 0 < len(spec.state_layer_indices) < spec.num_hidden_layers


def test_qwen3_next_activates_under_a_tenth_of_its_parameters() -> None:
    m = CATALOG.models[QWEN3_NEXT]
    pb = parameter_breakdown(m.spec)
    assert m.active_parameters is not None and pb.active < pb.total / 10


def test_minimax_m2_is_all_attention_and_defaults_to_its_fp8_release() -> None:
    m = CATALOG.models[MINIMAX_M2]
    assert m.spec.state is None
    assert m.default_weight_format == "fp8"
