"""A local GGUF file (written by the test with gguf-py's GGUFWriter): architecture from the
metadata, exact tensor bytes per block type, used by the llama.cpp method."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import gguf
import numpy as np
import pytest
from gguf import GGMLQuantizationType as Q

from calculators import Deployment, EngineSettings, Workload, estimate
from model_sources import SourceError
from model_sources.gguf_file import load_gguf
from tests.model_sources import tiny_checkpoints as tc

ROOT = Path(__file__).resolve().parents[2]

# llama.cpp tensor names of the tiny Llama (tiny_checkpoints.py) and the HF linear they hold.
GGUF_LINEARS = {
    "attn_q": "self_attn.q_proj",
    "attn_k": "self_attn.k_proj",
    "attn_v": "self_attn.v_proj",
    "attn_output": "self_attn.o_proj",
    "ffn_gate": "mlp.gate_proj",
    "ffn_up": "mlp.up_proj",
    "ffn_down": "mlp.down_proj",
}


def write_gguf(
    path: Path,
    *,
    arch: str = "llama",
    file_type: int = 7,
    matrix_type: Q = Q.Q8_0,
    tied: bool = False,
    window: int | None = None,
) -> Path:
    """The tiny Llama as a GGUF: matrices in ``matrix_type``, norms F32, token_embd F16,
    output Q8_0."""
    w = gguf.GGUFWriter(str(path), arch)
    w.add_name("tiny-llama-gguf")
    w.add_block_count(tc.LAYERS)
    w.add_embedding_length(tc.HIDDEN)
    w.add_head_count(tc.HEADS)
    w.add_head_count_kv(tc.KV_HEADS)
    w.add_key_length(tc.HEAD_DIM)
    w.add_value_length(tc.HEAD_DIM)
    w.add_feed_forward_length(tc.INTER)
    w.add_context_length(tc.MAX_POS)
    w.add_vocab_size(tc.VOCAB)
    w.add_file_type(file_type)
    if window is not None:
        w.add_sliding_window(window)

    def quantised(rows: int, cols: int, qtype: Q) -> None:
        q = gguf.quants.quantize(np.zeros((rows, cols), np.float32), qtype)
        return q

    w.add_tensor("token_embd.weight", np.zeros((tc.VOCAB, tc.HIDDEN), np.float16))
    w.add_tensor("output_norm.weight", np.zeros(tc.HIDDEN, np.float32))
    if not tied:
        q = quantised(tc.VOCAB, tc.HIDDEN, Q.Q8_0)
        w.add_tensor("output.weight", q, raw_shape=q.shape, raw_dtype=Q.Q8_0)
    for i in range(tc.LAYERS):
        w.add_tensor(f"blk.{i}.attn_norm.weight", np.zeros(tc.HIDDEN, np.float32))
        w.add_tensor(f"blk.{i}.ffn_norm.weight", np.zeros(tc.HIDDEN, np.float32))
        for gname, hf in GGUF_LINEARS.items():
            rows, cols = next((o, k) for n, o, k in tc.LINEARS if n == hf)
            q = quantised(rows, cols, matrix_type)
            w.add_tensor(f"blk.{i}.{gname}.weight", q, raw_shape=q.shape, raw_dtype=matrix_type)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    return path


# By hand: Q8_0 = 34 bytes per 32 weights, Q4_0 = 18 bytes per 32 (ggml-common.h block_q8_0 /
# block_q4_0); norms F32 (4 B), token_embd F16 (2 B), output Q8_0.
LINEAR = tc.LAYERS * 36_864  # weights in the decoder layers' matrices
EMBED = 256 * 64 * 2
OUTPUT = 256 * 64 * 34 // 32
NORMS = tc.LAYERS * 2 * 64 * 4 + 64 * 4
Q8_TOTAL = LINEAR * 34 // 32 + EMBED + OUTPUT + NORMS
Q4_TOTAL = LINEAR * 18 // 32 + EMBED + OUTPUT + NORMS


def test_hand_worked_totals() -> None:
    assert (Q8_TOTAL, Q4_TOTAL) == (
        78_336 + 32_768 + 17_408 + 1_280,
        41_472 + 32_768 + 17_408 + 1_280,
    )


def test_gguf_architecture_and_exact_bytes(tmp_path: Path) -> None:
    loaded = load_gguf(write_gguf(tmp_path / "m.gguf"))
    s = loaded.spec
    assert (s.num_hidden_layers, s.hidden_size, s.num_attention_heads, s.num_key_value_heads) == (
        2,
        64,
        4,
        2,
    )
    assert (s.effective_head_dim, s.intermediate_size, s.vocab_size) == (16, 128, 256)
    assert s.max_position_embeddings == 512 and s.name == "tiny-llama-gguf"
    assert not s.tie_word_embeddings
    assert loaded.default_weight_format == "q8_0"
    cw = loaded.checkpoint
    assert cw is not None and cw.total_bytes == Q8_TOTAL
    assert cw.embedding_bytes == EMBED and cw.lm_head_bytes == OUTPUT
    assert cw.bytes_by_dtype_dict() == {
        "F16": EMBED,
        "F32": NORMS,
        "Q8_0": LINEAR * 34 // 32 + OUTPUT,
    }


def test_llamacpp_method_uses_the_file_bytes(tmp_path: Path) -> None:
    """llama.cpp keeps token_embd on the host: the GPU holds the rest of the file's tensors."""
    loaded = load_gguf(write_gguf(tmp_path / "m.gguf", file_type=2, matrix_type=Q.Q4_0))
    assert loaded.default_weight_format == "q4_0"
    est = estimate(
        loaded.spec,
        "q4_0",
        Workload(context_len=256),
        Deployment(),
        EngineSettings(),
        method="llamacpp",
        checkpoint=loaded.checkpoint,
    )
    assert est.per_gpu.weights_bytes == Q4_TOTAL - EMBED
    assert est.weights_origin is not None and est.weights_origin.used == "checkpoint"
    # KV: 2 layers x 2 (K, V) x 2 KV heads x 16 dims x 2 B (f16) per token
    assert est.kv_bytes_per_token == 2 * 2 * 2 * 16 * 2


def test_tied_output_and_sliding_window(tmp_path: Path) -> None:
    loaded = load_gguf(write_gguf(tmp_path / "m.gguf", arch="gemma2", tied=True, window=128))
    assert loaded.spec.tie_word_embeddings
    assert loaded.spec.sliding_window == 128
    assert loaded.checkpoint is not None and loaded.checkpoint.lm_head_bytes == 0


def test_nearest_format_for_a_file_type_of_its_own(tmp_path: Path) -> None:
    loaded = load_gguf(write_gguf(tmp_path / "m.gguf", file_type=14))  # Q4_K_S
    assert loaded.default_weight_format == "q4_k_m"
    assert any("file type 14" in n for n in loaded.notes)
    assert loaded.checkpoint is not None and loaded.checkpoint.total_bytes == Q8_TOTAL


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda p: write_gguf(p, arch="rwkv7"), "architecture 'rwkv7' is not supported"),
        (lambda p: p.write_bytes(b"GGML" + b"\0" * 100), "not a GGUF file"),
        (lambda p: p.write_bytes(b"GGUF" + b"\xff" * 20), "gguf package cannot read it"),
    ],
)
def test_bad_gguf_refused_by_name(tmp_path: Path, make, needle: str) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "m.gguf"
    make(path)
    with pytest.raises(SourceError, match=needle) as e:
        load_gguf(path)
    assert "--gguf" in str(e.value) and "\n" not in str(e.value)


def test_cli_gguf(tmp_path: Path) -> None:
    path = write_gguf(tmp_path / "m.gguf")
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "calculators",
            "estimate",
            "--json",
            "--gguf",
            str(path),
            "--method",
            "llamacpp",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["weights_format"] == "q8_0"
    assert out["per_gpu"]["weights_bytes"] == Q8_TOTAL - EMBED
    assert out["checkpoint"]["bytes_by_dtype"]["Q8_0"] == LINEAR * 34 // 32 + OUTPUT
    bad = subprocess.run(
        [sys.executable, "-m", "calculators", "estimate", "--gguf", str(tmp_path / "nope.gguf")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1
