"""Small real checkpoints written by the tests: a two-layer Llama-style model (the layout of
transformers' LlamaForCausalLM: q/k/v/o, gate/up/down, two RMSNorms per layer) stored as bf16,
as FP8 with per-channel scales (compressed-tensors ``float-quantized``), and as packed int4 with
group scales and zeros (AutoGPTQ layout). Files are written with the ``safetensors`` package;
the tensor data is zeros (only the headers matter to the planner).

The expected bytes of each are worked out by hand in the tests from the shapes below.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

import numpy as np
import safetensors

# The architecture (dims small enough that files are a few hundred KiB).
LAYERS: Final = 2
HIDDEN: Final = 64
HEADS: Final = 4
KV_HEADS: Final = 2
HEAD_DIM: Final = 16
INTER: Final = 128
VOCAB: Final = 256
MAX_POS: Final = 512

CONFIG: Final[dict[str, object]] = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "_name_or_path": "tests/tiny-llama",
    "num_hidden_layers": LAYERS,
    "hidden_size": HIDDEN,
    "num_attention_heads": HEADS,
    "num_key_value_heads": KV_HEADS,
    "head_dim": HEAD_DIM,
    "intermediate_size": INTER,
    "vocab_size": VOCAB,
    "max_position_embeddings": MAX_POS,
    "tie_word_embeddings": False,
    "torch_dtype": "bfloat16",
}

# (name inside a layer, out_features, in_features) of every linear layer.
LINEARS: Final = (
    ("self_attn.q_proj", HEADS * HEAD_DIM, HIDDEN),
    ("self_attn.k_proj", KV_HEADS * HEAD_DIM, HIDDEN),
    ("self_attn.v_proj", KV_HEADS * HEAD_DIM, HIDDEN),
    ("self_attn.o_proj", HIDDEN, HEADS * HEAD_DIM),
    ("mlp.gate_proj", INTER, HIDDEN),
    ("mlp.up_proj", INTER, HIDDEN),
    ("mlp.down_proj", HIDDEN, INTER),
)
NORMS: Final = ("input_layernorm", "post_attention_layernorm")
GPTQ_GROUP: Final = 32

# Bits of each safetensors dtype name the files use (safetensors' dtype names for TensorSpec).
_SPEC_DTYPE: Final = {
    "BF16": ("bfloat16", 2),
    "F16": ("float16", 2),
    "F32": ("float32", 4),
    "F8_E4M3": ("float8_e4m3fn", 1),
    "I32": ("int32", 4),
    "U8": ("uint8", 1),
}

Tensors = dict[str, tuple[str, tuple[int, ...]]]


def tensors(scheme: str) -> Tensors:
    """Name -> (safetensors dtype, shape) of the tiny model in ``scheme`` (bf16, fp8, gptq)."""
    out: Tensors = {
        "model.embed_tokens.weight": ("BF16", (VOCAB, HIDDEN)),
        "lm_head.weight": ("BF16", (VOCAB, HIDDEN)),
        "model.norm.weight": ("BF16", (HIDDEN,)),
    }
    for i in range(LAYERS):
        p = f"model.layers.{i}."
        for norm in NORMS:
            out[p + norm + ".weight"] = ("BF16", (HIDDEN,))
        for name, o, k in LINEARS:
            if scheme == "bf16":
                out[p + name + ".weight"] = ("BF16", (o, k))
            elif scheme == "fp8":
                out[p + name + ".weight"] = ("F8_E4M3", (o, k))
                out[p + name + ".weight_scale"] = ("BF16", (o, 1))
            elif scheme == "gptq":
                g = k // GPTQ_GROUP
                out[p + name + ".qweight"] = ("I32", (k // 8, o))
                out[p + name + ".qzeros"] = ("I32", (g, o // 8))
                out[p + name + ".scales"] = ("F16", (g, o))
                out[p + name + ".g_idx"] = ("I32", (k,))
            else:
                raise ValueError(scheme)
    return out


QUANT_CONFIGS: Final[dict[str, dict[str, object] | None]] = {
    "bf16": None,
    "fp8": {
        "quant_method": "compressed-tensors",
        "format": "float-quantized",
        "config_groups": {
            "group_0": {
                "targets": ["Linear"],
                "weights": {"num_bits": 8, "type": "float", "strategy": "channel"},
            }
        },
        "ignore": ["lm_head"],
    },
    "gptq": {"quant_method": "gptq", "bits": 4, "group_size": GPTQ_GROUP, "desc_act": False},
}


def write_safetensors(path: Path, spec: Tensors) -> None:
    """Write ``spec`` (zeros) as a safetensors file with the safetensors package."""
    buffers = []
    tensor_specs = {}
    for name, (dtype, shape) in spec.items():
        st_name, size = _SPEC_DTYPE[dtype]
        buf = np.zeros(int(np.prod(shape)) * size, dtype=np.uint8)
        buffers.append(buf)
        tensor_specs[name] = safetensors.TensorSpec(
            dtype=st_name, shape=list(shape), data_ptr=buf.ctypes.data, data_len=buf.nbytes
        )
    safetensors.serialize_file(tensor_specs, str(path), metadata={"format": "pt"})


def write_model(folder: Path, scheme: str, shards: int = 1) -> Path:
    """A model folder: config.json and the tensors in ``shards`` files (+ index when > 1)."""
    folder.mkdir(parents=True, exist_ok=True)
    config = dict(CONFIG)
    quant = QUANT_CONFIGS[scheme]
    if quant is not None:
        config["quantization_config"] = quant
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    spec = tensors(scheme)
    names = sorted(spec)
    if shards == 1:
        write_safetensors(folder / "model.safetensors", spec)
        return folder
    weight_map = {}
    for s in range(shards):
        file = f"model-{s + 1:05d}-of-{shards:05d}.safetensors"
        part = {n: spec[n] for n in names[s::shards]}
        write_safetensors(folder / file, part)
        weight_map.update(dict.fromkeys(part, file))
    (folder / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {"total_size": 0}, "weight_map": weight_map})
    )
    return folder
