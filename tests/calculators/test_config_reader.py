"""The table-driven config.json reader: aliases, family defaults, state layers, hostile input.

Every golden number is worked out by hand from a real config.json named beside it (the fields the
reader uses are copied verbatim; the whole files are in the issue-11 corpus).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from calculators import (
    SpecError,
    Workload,
    estimate,
    kv_dtype,
    kv_layout,
    model_from_config,
    parameter_breakdown,
    parse_config_json,
)
from calculators.state import state_bytes_per_layer, state_bytes_per_request

ROOT = Path(__file__).resolve().parents[2]
FP16 = kv_dtype("fp16")

# openai-community/gpt2 config.json (n_inner null -> 4 x n_embd, tie default true, float32).
GPT2 = {
    "_name_or_path": "openai-community/gpt2",
    "model_type": "gpt2",
    "n_ctx": 1024,
    "n_embd": 768,
    "n_head": 12,
    "n_inner": None,
    "n_layer": 12,
    "n_positions": 1024,
    "torch_dtype": "float32",
    "vocab_size": 50257,
}
# tiiuae/falcon-7b-instruct config.json: multi_query true, new_decoder_architecture false.
FALCON_7B = {
    "_name_or_path": "tiiuae/falcon-7b-instruct",
    "alibi": False,
    "bias": False,
    "hidden_size": 4544,
    "model_type": "falcon",
    "multi_query": True,
    "new_decoder_architecture": False,
    "num_attention_heads": 71,
    "num_hidden_layers": 32,
    "num_kv_heads": 71,
    "parallel_attn": True,
    "torch_dtype": "bfloat16",
    "vocab_size": 65024,
}
# WizardLM/WizardCoder-15B-V1.0 config.json (bigcode/starcoder architecture, gpt_bigcode).
STARCODER = {
    "_name_or_path": "bigcode/starcoder",
    "model_type": "gpt_bigcode",
    "multi_query": True,
    "n_embd": 6144,
    "n_head": 48,
    "n_inner": 24576,
    "n_layer": 40,
    "n_positions": 8192,
    "torch_dtype": "float16",
    "vocab_size": 49153,
}
# THUDM/chatglm2-6b config.json.
CHATGLM2 = {
    "_name_or_path": "THUDM/chatglm2-6b",
    "model_type": "chatglm",
    "add_bias_linear": False,
    "add_qkv_bias": True,
    "ffn_hidden_size": 13696,
    "hidden_size": 4096,
    "kv_channels": 128,
    "multi_query_attention": True,
    "multi_query_group_num": 2,
    "num_attention_heads": 32,
    "num_layers": 28,
    "padded_vocab_size": 65024,
    "seq_length": 32768,
    "torch_dtype": "float16",
    "tie_word_embeddings": False,
}
# google/gemma-7b config.json (no tie_word_embeddings key: GemmaConfig defaults it to true).
GEMMA_7B = {
    "_name_or_path": "google/gemma-7b",
    "attention_bias": False,
    "head_dim": 256,
    "hidden_size": 3072,
    "intermediate_size": 24576,
    "max_position_embeddings": 8192,
    "model_type": "gemma",
    "num_attention_heads": 16,
    "num_hidden_layers": 28,
    "num_key_value_heads": 16,
    "torch_dtype": "bfloat16",
    "vocab_size": 256000,
}
# state-spaces/mamba-2.8b-slimpj config.json (pure Mamba-1).
MAMBA_28B = {
    "_name_or_path": "state-spaces/mamba-2.8b-slimpj",
    "conv_kernel": 4,
    "d_inner": 1536,
    "d_model": 2560,
    "dt_rank": 160,
    "expand": 2,
    "hidden_size": 2560,
    "model_type": "mamba",
    "n_layer": 64,
    "num_hidden_layers": 64,
    "state_size": 16,
    "time_step_rank": 160,
    "torch_dtype": "float16",
    "use_bias": False,
    "use_conv_bias": True,
    "vocab_size": 50280,
}
# ai21labs/Jamba-v0.1 config.json.
JAMBA = {
    "attn_layer_offset": 4,
    "attn_layer_period": 8,
    "expert_layer_offset": 1,
    "expert_layer_period": 2,
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "mamba_conv_bias": True,
    "mamba_d_conv": 4,
    "mamba_d_state": 16,
    "mamba_dt_rank": 256,
    "mamba_expand": 2,
    "mamba_proj_bias": False,
    "model_type": "jamba",
    "num_attention_heads": 32,
    "num_experts": 16,
    "num_experts_per_tok": 2,
    "num_hidden_layers": 32,
    "num_key_value_heads": 8,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "vocab_size": 65536,
}
# nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16 config.json.
NEMOTRON_3_NANO = {
    "attention_bias": False,
    "conv_kernel": 4,
    "expand": 2,
    "head_dim": 128,
    "hidden_size": 2688,
    "hybrid_override_pattern": "MEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEM*EMEMEMEM*EMEMEMEME",
    "intermediate_size": 1856,
    "mamba_head_dim": 64,
    "mamba_num_heads": 64,
    "mamba_proj_bias": False,
    "mamba_ssm_cache_dtype": "float32",
    "max_position_embeddings": 262144,
    "mlp_bias": False,
    "model_type": "nemotron_h",
    "moe_intermediate_size": 1856,
    "moe_shared_expert_intermediate_size": 3712,
    "n_groups": 8,
    "n_routed_experts": 128,
    "n_shared_experts": 1,
    "num_attention_heads": 32,
    "num_experts_per_tok": 6,
    "num_hidden_layers": 52,
    "num_key_value_heads": 2,
    "ssm_state_size": 128,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "use_bias": False,
    "use_conv_bias": True,
    "vocab_size": 131072,
}


def test_gpt2_aliases_n_inner_null_and_tied_head() -> None:
    m = model_from_config(GPT2)
    # wte 50257x768 + wpe 1024x768 + 12 x (attention 4x768^2 + 4x768 biases, MLP 2x768x3072
    # + 3072 + 768 biases, 2 LayerNorms of 2x768) + final LayerNorm 2x768; lm_head tied.
    assert parameter_breakdown(m).total == 124_439_808
    assert m.intermediate_size == 4 * 768 and m.tie_word_embeddings and not m.mlp_gated
    # 12 layers x 2 (K, V) x 12 heads x 64 x 2 B: the float32 checkpoint is served in 16 bit.
    assert kv_layout(m, kv_dtype("auto", m.torch_dtype)).bytes_per_token == 36_864
    assert any("float32" in n for n in m.extra_notes)
    assert m.name == "openai-community/gpt2"


def test_falcon_multi_query_and_default_ffn() -> None:
    m = model_from_config(FALCON_7B)
    assert m.num_key_value_heads == 1  # multi_query wins over num_kv_heads 71
    # 32 layers x 2 x 1 KV head x 64 head_dim x 2 B.
    assert kv_layout(m, FP16).bytes_per_token == 8192
    # embedding 65024x4544 (tied) + 32 x (qkv 4544x4672 + dense 4544^2 + MLP 2x4544x18176
    # + one LayerNorm 2x4544) + final LayerNorm 2x4544.
    assert parameter_breakdown(m).total == 6_921_720_704


def test_gpt_bigcode_multi_query() -> None:
    m = model_from_config(STARCODER)
    assert kv_layout(m, FP16).bytes_per_token == 40 * 2 * 1 * 128 * 2  # 20,480
    # StarCoder model card: 15.5B parameters.
    assert abs(parameter_breakdown(m).total - 15.5e9) / 15.5e9 < 0.01


def test_chatglm_groups_and_kv_channels() -> None:
    m = model_from_config(CHATGLM2)
    assert (m.num_key_value_heads, m.effective_head_dim, m.intermediate_size) == (2, 128, 13696)
    assert kv_layout(m, FP16).bytes_per_token == 28 * 2 * 2 * 128 * 2  # 28,672
    assert m.vocab_size == 65024 and m.max_position_embeddings == 32768


def test_gemma_ties_its_head_by_default() -> None:
    m = model_from_config(GEMMA_7B)
    assert m.tie_word_embeddings
    # 8,537,680,896 = the google/gemma-7b safetensors total (issue-11 corpus manifest).
    assert parameter_breakdown(m).total == 8_537_680_896


def test_pure_mamba_has_state_and_no_kv() -> None:
    m = model_from_config(MAMBA_28B)
    assert m.state is not None and m.state.kind == "mamba"
    assert kv_layout(m, FP16).bytes_per_token == 0
    # d_inner = expand x hidden = 5120 (the file's d_inner 1536 is not read): conv 5120 x 3 +
    # SSM 5120 x 16 = 97,280 elements x 2 B = 194,560 B per layer; 64 layers.
    assert state_bytes_per_layer(m) == 194_560
    assert state_bytes_per_request(m) == 12_451_840
    # TP 2 splits d_inner: half the state on each GPU.
    assert state_bytes_per_request(m, tp=2) == 12_451_840 // 2


def test_jamba_attention_period_and_expert_period() -> None:
    m = model_from_config(JAMBA)
    types = m.resolved_layer_types
    assert [i for i, t in enumerate(types) if t == "full_attention"] == [4, 12, 20, 28]
    assert m.moe_layer_indices == tuple(range(1, 32, 2))
    assert kv_layout(m, FP16).bytes_per_token == 4 * 2 * 8 * 128 * 2  # 16,384
    # 28 Mamba layers x (conv 8192 x 3 + SSM 8192 x 16) x 2 B = 8,716,288 B per request.
    assert state_bytes_per_request(m) == 8_716_288
    # Jamba model card: 52B total parameters (12B active).
    assert abs(parameter_breakdown(m).total - 52e9) / 52e9 < 0.01


def test_nemotron_h_pattern_state_and_moe() -> None:
    m = model_from_config(NEMOTRON_3_NANO)
    assert m.resolved_layer_types.count("mamba") == 23
    assert len(m.attention_layer_indices) == 6 and len(m.moe_layer_indices) == 23
    assert kv_layout(m, FP16).bytes_per_token == 6 * 2 * 2 * 128 * 2  # 6,144
    # Mamba-2: conv (4096 + 2 x 8 x 128) x 3 x 2 B + SSM 64 x 64 x 128 x 4 B (float32, as the
    # config and vLLM's NemotronH config say) = 36,864 + 2,097,152 = 2,134,016 B per layer.
    assert state_bytes_per_layer(m) == 2_134_016
    assert state_bytes_per_request(m) == 23 * 2_134_016  # 49,082,368
    # NVIDIA Nemotron 3 Nano model card: 31.6B total parameters.
    assert abs(parameter_breakdown(m).total - 31.6e9) / 31.6e9 < 0.01


def test_state_is_a_component_of_every_method() -> None:
    m = model_from_config(NEMOTRON_3_NANO)
    w = Workload(context_len=8192, concurrency=4)
    for method in ("article", "vllm", "sglang", "llamacpp"):
        est = estimate(m, "bf16", w, method=method)
        b = est.per_gpu
        assert b.state_bytes > 0
        assert b.total_bytes == (
            b.weights_bytes
            + b.kv_cache_bytes
            + b.activation_bytes
            + b.overhead_bytes
            + b.state_bytes
        )
        d = est.to_dict()
        assert d["state_bytes_per_request"] == b.state_bytes // 4
        assert d["per_gpu"]["state_bytes"] == b.state_bytes
    # The article's method and SGLang hold the state as vLLM's shapes give it.
    assert estimate(m, "bf16", w).state_bytes_per_request == 49_082_368


def test_vllm_hybrid_block_and_padded_state() -> None:
    m = model_from_config(NEMOTRON_3_NANO)
    est = estimate(m, "bf16", Workload(context_len=8192, concurrency=1), method="vllm")
    # Attention page of one token and layer: 2 KV x 2 heads x 128 x 2 B = 1,024 B; the block
    # grows to 16 x ceil(2,134,016 / (16 x 1,024)) = 2,096 tokens (HybridAttentionMambaModelConfig)
    # and each Mamba layer's page is padded to 2,096 x 1,024 B. Groups: 6 attention layers is the
    # smallest type count, so 23 Mamba layers take 4 groups of 6 slots.
    assert est.stages[0].block_size == 2096
    assert est.state_bytes_per_request == 4 * 6 * 2096 * 1024
    assert any("2096" in n for n in est.notes)


def test_unknown_model_type_is_estimated_with_a_visible_warning() -> None:
    cfg = {**GEMMA_7B, "model_type": "acme_llm", "tie_word_embeddings": False}
    m = model_from_config(cfg)
    assert m.warnings and "acme_llm" in m.warnings[0] and "unverified" in m.warnings[0]
    notes = estimate(m).notes
    assert notes[0].startswith("warning: model_type 'acme_llm'")


def test_name_comes_from_the_config_not_the_folder(tmp_path: Path) -> None:
    folder = tmp_path / "snapshot-abc123"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(FALCON_7B))
    r = subprocess.run(
        [sys.executable, "-m", "calculators", "estimate", "--config", str(folder / "config.json")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("tiiuae/falcon-7b-instruct ")
    no_name = {k: v for k, v in FALCON_7B.items() if k != "_name_or_path"}
    assert parse_config_json(json.dumps(no_name), fallback_name="my-folder").name == "my-folder"
    assert parse_config_json(json.dumps(FALCON_7B), name="org/id").name == "org/id"


def test_refused_architectures_name_what_is_missing() -> None:
    with pytest.raises(SpecError, match="parallel hybrid"):
        model_from_config({**FALCON_7B, "model_type": "falcon_h1"})


# --- hostile input (issue 14) -------------------------------------------------------------------
GOOD = json.dumps(GEMMA_7B)


def test_non_finite_values_in_unread_fields_are_ignored() -> None:
    text = GOOD[:-1] + ', "rope_scaling_factor": Infinity, "initializer_range": NaN}'
    assert parse_config_json(text).hidden_size == 3072
    with pytest.raises(SpecError, match="hidden_size: expected an integer, got inf"):
        parse_config_json(GOOD.replace('"hidden_size": 3072', '"hidden_size": Infinity'))


def test_duplicate_keys_are_refused() -> None:
    text = GOOD[:-1] + ', "hidden_size": 4096}'
    with pytest.raises(SpecError, match="duplicate key 'hidden_size'"):
        parse_config_json(text)


def test_integers_over_4300_digits_get_a_message() -> None:
    text = GOOD[:-1] + ', "foo": ' + "9" * 5000 + "}"
    with pytest.raises(SpecError, match="5,000 digits is over the 4,300-digit limit"):
        parse_config_json(text)


LLAMA4_VISION = {
    "model_type": "llama4",
    "text_config": {
        "model_type": "llama4_text",
        "num_hidden_layers": 48,
        "hidden_size": 5120,
        "num_attention_heads": 40,
        "num_key_value_heads": 8,
        "head_dim": 128,
        "intermediate_size": 8192,
        "intermediate_size_mlp": 16384,
        "num_local_experts": 16,
        "num_experts_per_tok": 1,
        "vocab_size": 202048,
        "attention_chunk_size": 8192,
    },
    "vision_config": {
        "hidden_size": 1408,
        "intermediate_size": 5632,
        "num_hidden_layers": 34,
        "patch_size": 14,
        "image_size": 336,
        "pixel_shuffle_ratio": 0.5,
        "vision_output_dim": 4096,
        "projector_input_dim": 4096,
        "projector_output_dim": 4096,
    },
}


@pytest.mark.parametrize(
    ("path", "value", "needle"),
    [
        (("vision_config", "pixel_shuffle_ratio"), 1e-200, "pixel_shuffle_ratio"),
        (("vision_config", "pixel_shuffle_ratio"), 1e-160, "pixel_shuffle_ratio"),
        (("text_config", "no_rope_layer_interval"), 0, "no_rope_layer_interval: must be positive"),
        (("vision_config", "hidden_size"), 10**200, "vision_config"),
        (("vision_config", "num_hidden_layers"), 10**7, "vision_config.num_hidden_layers"),
    ],
)
def test_llama4_vision_extremes_are_refused(
    path: tuple[str, str], value: float, needle: str
) -> None:
    cfg = json.loads(json.dumps(LLAMA4_VISION))
    cfg[path[0]][path[1]] = value
    with pytest.raises(SpecError, match=needle):
        model_from_config(cfg)


def test_llama4_reference_still_reads() -> None:
    m = model_from_config(LLAMA4_VISION)
    assert m.vision is not None and m.resolved_layer_types.count("full_attention") == 12


# deepseek-ai/DeepSeek-V3.2-Exp config.json (the fields the reader uses).
DEEPSEEK_V32 = {
    "first_k_dense_replace": 3,
    "hidden_size": 7168,
    "index_head_dim": 128,
    "index_n_heads": 64,
    "index_topk": 2048,
    "intermediate_size": 18432,
    "kv_lora_rank": 512,
    "max_position_embeddings": 163840,
    "model_type": "deepseek_v32",
    "moe_intermediate_size": 2048,
    "moe_layer_freq": 1,
    "n_routed_experts": 256,
    "n_shared_experts": 1,
    "num_attention_heads": 128,
    "num_experts_per_tok": 8,
    "num_hidden_layers": 61,
    "num_key_value_heads": 128,
    "num_nextn_predict_layers": 1,
    "q_lora_rank": 1536,
    "qk_nope_head_dim": 128,
    "qk_rope_head_dim": 64,
    "v_head_dim": 128,
    "vocab_size": 129280,
    "torch_dtype": "bfloat16",
    "tie_word_embeddings": False,
}


def test_deepseek_v32_indexer_parameters_and_cache() -> None:
    m = model_from_config(DEEPSEEK_V32)
    assert m.indexer is not None
    v3 = model_from_config(
        {k: v for k, v in DEEPSEEK_V32.items() if not k.startswith("index")}
        | {"model_type": "deepseek_v3"}
    )
    # DeepSeek-V3 without its MTP layer: 671,026,404,352 parameters (the 671B of its card).
    assert parameter_breakdown(v3).total == 671_026_404_352
    # Indexer per layer: wq_b 1536 x (64 x 128) + wk 7168 x 128 + weights_proj 7168 x 64
    # + k_norm LayerNorm 2 x 128 = 13,959,424 (vLLM / transformers Indexer shapes).
    assert parameter_breakdown(m).total - parameter_breakdown(v3).total == 61 * 13_959_424
    # Per token and layer: the MLA latent (512 + 64) x 2 B + the indexer's fp8 key with one fp32
    # scale per 128 (128 + 4 = 132 B, vLLM DeepseekV32IndexerCache / SGLang NSA pool).
    assert kv_layout(m, kv_dtype("bf16")).bytes_per_token == 61 * (576 * 2 + 132)  # 78,324
    assert any("multi-token-prediction" in n for n in m.extra_notes)


def _nas_block(group: int | None, mult: float) -> dict:
    attention = {"n_heads_in_group": group, "no_op": group is None, "replace_with_linear": False}
    return {"attention": attention, "ffn": {"ffn_mult": mult, "no_op": False}}


# The first 12 of the 80 block_configs of nvidia/Llama-3_3-Nemotron-Super-49B-v1 config.json, in
# order (attention n_heads_in_group 8 or no_op; ffn_mult), with its top-level fields.
SUPER_49B_FIRST_12 = {
    "model_type": "nemotron-nas",
    "hidden_size": 8192,
    "num_attention_heads": 64,
    "num_key_value_heads": None,
    "intermediate_size": None,
    "num_hidden_layers": 12,
    "vocab_size": 128256,
    "max_position_embeddings": 131072,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
    "block_configs": [
        _nas_block(8, 2.625),
        *[_nas_block(8, 5.25) for _ in range(5)],
        _nas_block(None, 2.625),
        _nas_block(None, 2.625),
        *[_nas_block(8, 5.25) for _ in range(3)],
        _nas_block(None, 3.28125),
    ],
}


def test_nemotron_nas_block_configs() -> None:
    m = model_from_config(SUPER_49B_FIRST_12)
    # 9 attention blocks x 2 x (64 / 8 = 8 KV heads) x 128 x 2 B; no-op blocks keep no KV.
    assert kv_layout(m, FP16).bytes_per_token == 9 * 2 * 8 * 128 * 2
    # ffn_mult -> width: find_multiple(int(2 x mult x 8192 / 3), 256): 2.625 -> 14,336,
    # 5.25 -> 28,672, 3.28125 -> 17,920 (transformers DeciLM _ffn_mult_to_intermediate_size).
    assert m.layer_intermediate == (
        14336,
        *(28672,) * 5,
        14336,
        14336,
        *(28672,) * 3,
        17920,
    )
    h = 8192
    attention = h * 64 * 128 + 2 * h * 8 * 128 + 64 * 128 * h  # q, k, v, o
    mlp = 3 * h * (14336 * 3 + 28672 * 8 + 17920)
    norms = (9 * 2 + 3 * 1) * h + h  # a no-op attention block has no input_layernorm
    assert parameter_breakdown(m).total == 2 * 128256 * h + 9 * attention + mlp + norms
    est = estimate(m, "bf16", Workload(context_len=4096), method="vllm")
    assert est.kv_bytes_per_token == 9 * 2 * 8 * 128 * 2


# MiniMaxAI/MiniMax-M1-80k config.json (the fields the reader uses; attn_type_list: 7 lightning
# layers then one softmax layer, ten times).
MINIMAX_M1 = {
    "model_type": "minimax_m1",
    "hidden_size": 6144,
    "intermediate_size": 9216,
    "num_hidden_layers": 80,
    "num_attention_heads": 64,
    "num_key_value_heads": 8,
    "head_dim": 128,
    "vocab_size": 200064,
    "max_position_embeddings": 10240000,
    "num_local_experts": 32,
    "num_experts_per_tok": 2,
    "attn_type_list": [0, 0, 0, 0, 0, 0, 0, 1] * 10,
    "tie_word_embeddings": False,
}


def test_minimax_lightning_attention() -> None:
    m = model_from_config(MINIMAX_M1)
    assert m.state is not None and m.state.kind == "lightning"
    assert len(m.state_layer_indices) == 70 and len(m.attention_layer_indices) == 10
    # 10 softmax layers x 2 x 8 KV heads x 128 x 2 B.
    assert kv_layout(m, kv_dtype("bf16")).bytes_per_token == 40_960
    # Lightning state per layer: 64 heads x 128 x 128 in the model dtype (vLLM
    # linear_attention_state_shape / _dtype) = 2,097,152 B; 70 layers.
    assert state_bytes_per_request(m) == 70 * 2_097_152
    # MiniMax-M1 model card: 456B total parameters; experts sized by intermediate_size.
    assert abs(parameter_breakdown(m).total - 456e9) / 456e9 < 0.01


# microsoft/Phi-3-vision-128k-instruct config.json (the fields the reader uses).
PHI3_VISION = {
    "_name_or_path": "Phi-3-vision-128k-instruct",
    "embd_layer": {
        "embedding_cls": "image",
        "hd_transform_order": "sub_glb",
        "projection_cls": "mlp",
        "use_hd_transform": True,
        "with_learnable_separator": True,
    },
    "hidden_size": 3072,
    "img_processor": {
        "image_dim_out": 1024,
        "model_name": "openai/clip-vit-large-patch14-336",
        "name": "clip_vision_model",
        "num_img_tokens": 144,
    },
    "intermediate_size": 8192,
    "max_position_embeddings": 131072,
    "model_type": "phi3_v",
    "num_attention_heads": 32,
    "num_hidden_layers": 32,
    "num_key_value_heads": 32,
    "vocab_size": 32064,
}


def test_phi3_vision_tower_from_img_processor() -> None:
    m = model_from_config(PHI3_VISION)
    assert not m.warnings
    # CLIP ViT-L/14 at 336 px: patch conv 3x14x14x1024 + class 1024 + 577 positions x 1024
    # + pre-LayerNorm 2048 + 24 x (attention 4 x (1024^2 + 1024) + MLP 2 x 1024 x 4096 + 4096
    # + 1024 + 2 LayerNorms 4096) + post-LayerNorm 2048 = 303,507,456; projector from the HD
    # transform's 4 x 1024 to 3072: 4096 x 3072 + 3072 + 3072^2 + 3072; glb_GN/sub_GN 2 x 4096.
    clip = 602_112 + 1024 + 577 * 1024 + 2048 + 24 * 12_596_224 + 2048
    assert clip == 303_507_456
    projector = 4096 * 3072 + 3072 + 3072 * 3072 + 3072 + 2 * 4096
    assert parameter_breakdown(m).vision == clip + projector
    with pytest.raises(SpecError, match="img_processor"):
        model_from_config({**PHI3_VISION, "img_processor": {"model_name": "acme/vit"}})
