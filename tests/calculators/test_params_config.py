"""Parameter counts from the architecture, and reading config.json."""

import json

import pytest

from calculators import SpecError, model_from_config, parameter_breakdown, parse_config_json

# Llama-3.1-8B config.json (tests/data/validation/architectures.yaml, source mlc-llm model_preset.py).
LLAMA_CONFIG = {
    "model_type": "llama",
    "num_hidden_layers": 32,
    "hidden_size": 4096,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "intermediate_size": 14336,
    "vocab_size": 128256,
    "tie_word_embeddings": False,
    "max_position_embeddings": 131072,
    "torch_dtype": "bfloat16",
}


def test_llama_8b_count_is_the_safetensors_total() -> None:
    # 8,030,261,248 = the safetensors total; GGUF logs print 'model params = 8.030 B'.
    assert parameter_breakdown(model_from_config(LLAMA_CONFIG)).total == 8_030_261_248


def test_breakdown_sums_to_total_and_moe_active_is_smaller() -> None:
    cfg = {
        "model_type": "mixtral",
        "num_hidden_layers": 32,
        "hidden_size": 4096,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "intermediate_size": 14336,
        "vocab_size": 32000,
        "num_local_experts": 8,
        "num_experts_per_tok": 2,
    }
    pb = parameter_breakdown(model_from_config(cfg))
    d = pb.as_dict()
    parts = (
        d["embedding"]
        + d["lm_head"]
        + d["attention"]
        + d["mlp"]
        + d["experts"]
        + d["norms_biases_router"]
        + d["vision"]
    )
    assert parts == d["total"]
    assert abs(pb.total - 46.7e9) / 46.7e9 < 0.01  # Mixtral model card: 46.7B total
    assert abs(pb.active - 12.9e9) / 12.9e9 < 0.01  # 12.9B active


def test_nested_text_config_is_read() -> None:
    cfg = {
        "model_type": "gemma3",
        "torch_dtype": "bfloat16",
        "text_config": {
            "model_type": "gemma3_text",
            "num_hidden_layers": 34,
            "hidden_size": 2560,
            "num_attention_heads": 8,
            "num_key_value_heads": 4,
            "head_dim": 256,
            "intermediate_size": 10240,
            "vocab_size": 262208,
            "sliding_window": 1024,
            "sliding_window_pattern": 6,
            "tie_word_embeddings": True,
        },
        "vision_config": {
            "hidden_size": 1152,
            "intermediate_size": 4304,
            "num_hidden_layers": 27,
            "patch_size": 14,
            "image_size": 896,
        },
    }
    m = model_from_config(cfg)
    assert m.num_hidden_layers == 34 and m.effective_head_dim == 256
    assert m.resolved_layer_types.count("full_attention") == 5  # layers 5, 11, 17, 23, 29
    assert m.vision is not None
    # Gemma 3 4B model card: 4.3B parameters (incl. the SigLIP vision encoder).
    assert abs(parameter_breakdown(m).total - 4.3e9) / 4.3e9 < 0.01


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        ({"num_hidden_layers": None}, "num_hidden_layers: missing"),
        ({"hidden_size": "4096"}, "hidden_size: expected an integer"),
        ({"num_attention_heads": 0}, "num_attention_heads: must be a positive integer"),
        ({"hidden_size": -1}, "hidden_size: must be a positive integer"),
        ({"num_key_value_heads": 5}, "num_key_value_heads: 5 does not divide"),
        ({"hidden_size": 4095}, "does not divide hidden_size"),
        ({"tie_word_embeddings": "yes"}, "tie_word_embeddings: expected true or false"),
        ({"vocab_size": 1.5}, "vocab_size: expected an integer"),
    ],
)
def test_bad_fields_are_named(mutation: dict, message: str) -> None:
    cfg = {**LLAMA_CONFIG, **mutation}
    cfg = {k: v for k, v in cfg.items() if v is not None}
    with pytest.raises(SpecError, match=message):
        model_from_config(cfg)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"num_hidden_layers": NaN}', "num_hidden_layers: expected an integer, got nan"),
        (b"\xff\xfe", "not UTF-8"),
        ("{}", "num_hidden_layers: missing"),
    ],
)
def test_parse_config_json_errors(text, message) -> None:
    with pytest.raises(SpecError, match=message):
        parse_config_json(text)


def test_parse_config_json_roundtrip_and_size_limit() -> None:
    assert parse_config_json(json.dumps(LLAMA_CONFIG)).num_hidden_layers == 32
    with pytest.raises(SpecError, match="over the"):
        parse_config_json(" " * 1_000_001)
