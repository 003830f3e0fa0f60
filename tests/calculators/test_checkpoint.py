"""calculators.checkpoint: grouping a tensor list into exact bytes, and the checkpoint's format."""

from __future__ import annotations

from typing import Any

import pytest

from calculators import SpecError, TensorEntry, checkpoint_weights
from calculators.checkpoint import checkpoint_format, stored_float_format


def _t(name: str, dtype: str, *shape: int) -> TensorEntry:
    bits = {"BF16": 16, "F8_E4M3": 8, "F32": 32, "U8": 8}[dtype]
    n = 1
    for d in shape:
        n *= d
    return TensorEntry(name, dtype, shape, n * bits // 8)


def test_groups_and_mtp_layer_skipped() -> None:
    """DeepSeek-V3 stores its multi-token-prediction module as layer 61 of 61: not loaded."""
    tensors = [
        _t("model.embed_tokens.weight", "BF16", 10, 4),
        _t("lm_head.weight", "BF16", 10, 4),
        _t("model.norm.weight", "BF16", 4),
        _t("model.layers.0.self_attn.q_proj.weight", "F8_E4M3", 8, 4),
        _t("model.layers.0.self_attn.q_proj.weight_scale_inv", "F32", 1, 1),
        _t("model.layers.0.input_layernorm.weight", "BF16", 4),
        _t("model.layers.1.mlp.down_proj.weight", "F8_E4M3", 4, 8),
        _t("model.layers.2.mlp.down_proj.weight", "F8_E4M3", 4, 8),  # beyond 2 layers
        _t("model.visual.blocks.0.attn.qkv.weight", "BF16", 12, 4),
    ]
    cw = checkpoint_weights(tensors, 2, "fp8", "test")
    assert cw.embedding_bytes == 80 and cw.lm_head_bytes == 80 and cw.other_bytes == 8
    assert cw.layer_matrix_bytes == (32 + 4, 32)
    assert cw.layer_small_bytes == (8, 0)
    assert cw.vision_bytes == 96
    assert cw.skipped_bytes == 32
    assert cw.total_bytes == 80 + 80 + 8 + 36 + 8 + 32 + 96
    assert cw.bytes_by_dtype_dict() == {"BF16": 80 + 80 + 8 + 8 + 96, "F8_E4M3": 64, "F32": 4}
    assert any("layers 2 are beyond" in n for n in cw.notes)


def test_stored_bytes_must_match_dtype_and_shape() -> None:
    with pytest.raises(SpecError, match="8 expected"):
        TensorEntry("w", "BF16", (2, 2), 6)
    TensorEntry("blk.0.attn_q.weight", "Q4_K", (256, 4), 576)  # quantised: the reader's n_bytes


def test_missing_layers_and_duplicates_are_refused() -> None:
    one = [_t("model.layers.0.mlp.up_proj.weight", "BF16", 2, 2)]
    with pytest.raises(SpecError, match="no weight matrices for layer"):
        checkpoint_weights(one, 2, "bf16", "t")
    with pytest.raises(SpecError, match="appears twice"):
        checkpoint_weights(one + one, 1, "bf16", "t")
    with pytest.raises(SpecError, match="no tensors"):
        checkpoint_weights([], 1, "bf16", "t")


# quantization_config blocks as real checkpoints publish them (config.json of the named repos).
@pytest.mark.parametrize(
    ("config", "fmt"),
    [
        # deepseek-ai/DeepSeek-V3
        (
            {
                "activation_scheme": "dynamic",
                "fmt": "e4m3",
                "quant_method": "fp8",
                "weight_block_size": [128, 128],
            },
            "fp8",
        ),
        # openai/gpt-oss-20b
        (
            {
                "modules_to_not_convert": [
                    "model.layers.*.self_attn",
                    "model.layers.*.mlp.router",
                    "model.embed_tokens",
                    "lm_head",
                ],
                "quant_method": "mxfp4",
            },
            "mxfp4-experts",
        ),
        # Qwen/Qwen2.5-7B-Instruct-GPTQ-Int4
        ({"bits": 4, "group_size": 128, "desc_act": False, "quant_method": "gptq"}, "gptq-int4"),
        # Qwen/Qwen2.5-7B-Instruct-AWQ
        (
            {
                "bits": 4,
                "group_size": 128,
                "quant_method": "awq",
                "version": "gemm",
                "zero_point": True,
            },
            "awq-int4",
        ),
        # RedHatAI/Meta-Llama-3.1-8B-Instruct-quantized.w4a16 (compressed-tensors pack-quantized)
        (
            {
                "quant_method": "compressed-tensors",
                "format": "pack-quantized",
                "config_groups": {
                    "group_0": {
                        "targets": ["Linear"],
                        "weights": {
                            "num_bits": 4,
                            "type": "int",
                            "group_size": 128,
                            "strategy": "group",
                            "symmetric": True,
                        },
                    }
                },
            },
            "gptq-int4",
        ),
        # unsloth/llama-3-8b-bnb-4bit
        (
            {
                "quant_method": "bitsandbytes",
                "load_in_4bit": True,
                "bnb_4bit_quant_type": "nf4",
            },
            "int4",
        ),
        ({"quant_method": "bitsandbytes", "load_in_8bit": True}, "int8"),
        ({"quant_method": "modelopt", "quant_algo": "NVFP4"}, "nvfp4"),
    ],
)
def test_format_from_quantization_config(config: dict[str, Any], fmt: str) -> None:
    got, note = checkpoint_format({"quantization_config": config})
    assert got == fmt
    assert note is not None and config["quant_method"] in note


@pytest.mark.parametrize(
    ("raw", "fmt"),
    [({"torch_dtype": "bfloat16"}, "bf16"), ({"torch_dtype": "float16"}, "fp16"), ({}, "bf16")],
)
def test_format_without_quantization(raw: dict[str, Any], fmt: str) -> None:
    assert checkpoint_format(raw) == (fmt, None)


@pytest.mark.parametrize(
    "config",
    [
        {"quant_method": "hqq"},
        {"quant_method": "gptq", "bits": 3},
        {"quant_method": "compressed-tensors", "config_groups": {}},
        {"quant_method": "bitsandbytes"},
    ],
)
def test_unknown_quantisation_is_refused_by_name(config: dict[str, Any]) -> None:
    with pytest.raises(SpecError, match="quantization_config"):
        checkpoint_format({"quantization_config": config})


def test_stored_float_format_is_the_dtype_of_most_matrix_bytes() -> None:
    t = [_t("a.weight", "F32", 4, 4), _t("b.weight", "BF16", 4, 4), _t("n", "BF16", 100)]
    assert stored_float_format(t) == "fp32"
    assert stored_float_format([_t("a.weight", "U8", 4, 4)]) is None
