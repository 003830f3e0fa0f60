"""A local model folder: config.json + safetensors headers -> exact checkpoint weight bytes.

The files are small real safetensors checkpoints written by the tests (tiny_checkpoints.py); the
expected bytes are worked out here from the shapes, by hand.
"""

from __future__ import annotations

import json
import struct
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from calculators import Deployment, estimate, weight_format, weights_bytes
from model_sources import SourceError
from model_sources.folder import load_folder
from tests.model_sources import tiny_checkpoints as tc

ROOT = Path(__file__).resolve().parents[2]

# Elements of the seven linear layers of one decoder layer: q 64x64, k 32x64, v 32x64, o 64x64,
# gate/up 128x64, down 64x128.
LINEAR_ELEMENTS = 4096 + 2048 + 2048 + 4096 + 3 * 8192
assert LINEAR_ELEMENTS == 36_864
NORM_BYTES = 2 * 64 * 2  # two bf16 RMSNorm vectors of 64 per layer
EMBED_BYTES = 256 * 64 * 2  # bf16 embedding; the lm_head is the same size (untied)
FINAL_NORM = 64 * 2

# bf16: 2 bytes per element.
BF16_LAYER = LINEAR_ELEMENTS * 2  # 73,728
BF16_TOTAL = 2 * (BF16_LAYER + NORM_BYTES) + 2 * EMBED_BYTES + FINAL_NORM
# fp8: 1 byte per element + one bf16 scale per output channel (64+32+32+64+128+128+64 = 512 rows).
FP8_LAYER = LINEAR_ELEMENTS * 1 + 512 * 2  # 37,888
FP8_TOTAL = 2 * (FP8_LAYER + NORM_BYTES) + 2 * EMBED_BYTES + FINAL_NORM
# GPTQ int4, group 32: qweight k/8 x o int32 (= k·o/2 bytes), qzeros k/32 x o/8 int32 (k·o/64),
# scales k/32 x o fp16 (k·o/16); g_idx k int32 is a vector (replicated): k = 64 x 6 + 128 = 512.
GPTQ_LAYER = LINEAR_ELEMENTS // 2 + LINEAR_ELEMENTS // 64 + LINEAR_ELEMENTS // 16  # 21,312
GPTQ_SMALL = 512 * 4 + NORM_BYTES
GPTQ_TOTAL = 2 * (GPTQ_LAYER + GPTQ_SMALL) + 2 * EMBED_BYTES + FINAL_NORM


def test_hand_worked_totals() -> None:
    assert (BF16_TOTAL, FP8_TOTAL, GPTQ_TOTAL) == (213_632, 141_952, 112_896)


@pytest.mark.parametrize(
    ("scheme", "fmt", "total", "layer"),
    [
        ("bf16", "bf16", BF16_TOTAL, BF16_LAYER),
        ("fp8", "fp8", FP8_TOTAL, FP8_LAYER),
        ("gptq", "gptq-int4", GPTQ_TOTAL, GPTQ_LAYER),
    ],
)
def test_folder_exact_bytes(tmp_path: Path, scheme: str, fmt: str, total: int, layer: int) -> None:
    loaded = load_folder(tc.write_model(tmp_path / scheme, scheme))
    assert loaded.default_weight_format == fmt
    cw = loaded.checkpoint
    assert cw is not None and cw.format_id == fmt
    assert cw.total_bytes == total
    assert cw.layer_matrix_bytes == (layer, layer)
    assert (cw.embedding_bytes, cw.lm_head_bytes, cw.other_bytes) == (
        EMBED_BYTES,
        EMBED_BYTES,
        FINAL_NORM,
    )
    assert sum(cw.bytes_by_dtype_dict().values()) == total
    assert loaded.spec.name == "tests/tiny-llama"
    # the estimate uses the checkpoint's bytes and says so
    est = estimate(loaded.spec, fmt, checkpoint=cw)
    assert est.per_gpu.weights_bytes == total
    assert est.weights_origin is not None and est.weights_origin.used == "checkpoint"
    assert est.weights_origin.architecture_bytes == weights_bytes(loaded.spec, weight_format(fmt))
    assert any("from the checkpoint" in n for n in est.notes)


def test_bf16_checkpoint_equals_the_architecture(tmp_path: Path) -> None:
    """For an unquantised checkpoint the derived parameter count × 2 bytes is exact."""
    loaded = load_folder(tc.write_model(tmp_path / "m", "bf16"))
    assert weights_bytes(loaded.spec, weight_format("bf16")) == BF16_TOTAL


def test_quantised_checkpoint_differs_from_bits_per_weight(tmp_path: Path) -> None:
    """GPTQ g32 with g_idx stores more than the g128 bits per weight assume: the estimate takes the
    file's figure. Architecture: 36,864 x 2 x 4.15625 / 8 + embeddings 65,536 + 320 x 2 norms."""
    loaded = load_folder(tc.write_model(tmp_path / "m", "gptq"))
    est = estimate(loaded.spec, "gptq-int4", checkpoint=loaded.checkpoint)
    assert est.weights_origin is not None
    assert est.weights_origin.architecture_bytes == 38_304 + 65_536 + 640
    assert est.per_gpu.weights_bytes == GPTQ_TOTAL


def test_sharded_folder_with_index(tmp_path: Path) -> None:
    loaded = load_folder(tc.write_model(tmp_path / "m", "fp8", shards=3))
    assert loaded.checkpoint is not None
    assert loaded.checkpoint.total_bytes == FP8_TOTAL
    assert loaded.checkpoint.source == "safetensors headers, 3 files"


def test_tensor_and_pipeline_parallel_split(tmp_path: Path) -> None:
    loaded = load_folder(tc.write_model(tmp_path / "m", "fp8"))
    cw = loaded.checkpoint
    # TP2: matrices and embeddings halved, norms replicated.
    est = estimate(loaded.spec, "fp8", deployment=Deployment(tensor_parallel_size=2), checkpoint=cw)
    split = 2 * FP8_LAYER + 2 * EMBED_BYTES
    assert est.per_gpu.weights_bytes == split // 2 + 2 * NORM_BYTES + FINAL_NORM
    # PP2: stage 0 = layer 0 + embedding; stage 1 = layer 1 + lm_head + final norm.
    est = estimate(
        loaded.spec, "fp8", deployment=Deployment(pipeline_parallel_size=2), checkpoint=cw
    )
    assert [s.weights_bytes for s in est.stages] == [
        FP8_LAYER + NORM_BYTES + EMBED_BYTES,
        FP8_LAYER + NORM_BYTES + EMBED_BYTES + FINAL_NORM,
    ]


def test_engine_methods_add_their_extras_on_top(tmp_path: Path) -> None:
    """vLLM: checkpoint bytes + RoPE cache (512 positions x 16 dims x 2 B); vocab 256 needs no
    padding to 64 rows."""
    loaded = load_folder(tc.write_model(tmp_path / "m", "fp8"))
    est = estimate(loaded.spec, "fp8", method="vllm", checkpoint=loaded.checkpoint)
    assert est.per_gpu.weights_bytes == FP8_TOTAL + 512 * 16 * 2


def test_other_format_uses_the_architecture_with_a_note(tmp_path: Path) -> None:
    loaded = load_folder(tc.write_model(tmp_path / "m", "fp8"))
    est = estimate(loaded.spec, "bf16", checkpoint=loaded.checkpoint)
    assert est.weights_origin is not None and est.weights_origin.used == "architecture"
    assert est.per_gpu.weights_bytes == BF16_TOTAL
    assert any("checkpoint stores fp8" in n for n in est.notes)


def test_float32_checkpoint_is_served_in_16_bit(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps({**tc.CONFIG, "torch_dtype": "float32"}))
    tc.write_safetensors(
        folder / "model.safetensors",
        {n: ("F32", shape) for n, (_, shape) in tc.tensors("bf16").items()},
    )
    loaded = load_folder(folder)
    assert loaded.default_weight_format == "bf16"
    assert loaded.checkpoint is not None and loaded.checkpoint.format_id == "fp32"
    assert loaded.checkpoint.total_bytes == 2 * BF16_TOTAL
    est = estimate(loaded.spec, "bf16", checkpoint=loaded.checkpoint)
    assert est.per_gpu.weights_bytes == BF16_TOTAL
    assert any("float32 checkpoint" in n for n in loaded.notes)


def test_folder_without_safetensors_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(tc.CONFIG))
    loaded = load_folder(folder)
    assert loaded.checkpoint is None
    assert any("no *.safetensors" in n for n in loaded.notes)


def _header_file(path: Path, header: bytes, data: bytes = b"") -> None:
    path.write_bytes(struct.pack("<Q", len(header)) + header + data)


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda p: p.write_text("version https://git-lfs.github.com/spec/v1\n"), "git-lfs"),
        (lambda p: p.write_bytes(b"\x01\x02"), "too short"),
        (lambda p: _header_file(p, b"[1, 2]"), "JSON object"),
        (lambda p: _header_file(p, b"{not json"), "not valid JSON"),
        (
            lambda p: _header_file(
                p, b'{"a": {"dtype": "BF16", "shape": [4], "data_offsets": [0, 8]}}', b"\0" * 4
            ),
            "file holds",
        ),
        (
            lambda p: _header_file(
                p, b'{"a": {"dtype": "BF16", "shape": [4], "data_offsets": [0, 6]}}', b"\0" * 6
            ),
            "safetensors package refuses",
        ),
    ],
)
def test_bad_safetensors_files_are_refused_by_name(
    tmp_path: Path, make: Callable[[Path], object], needle: str
) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "config.json").write_text(json.dumps(tc.CONFIG))
    make(folder / "model.safetensors")
    with pytest.raises(SourceError, match=needle) as e:
        load_folder(folder)
    assert "model.safetensors" in str(e.value) and "\n" not in str(e.value)


def test_index_shard_names_must_be_plain_file_names(tmp_path: Path) -> None:
    folder = tc.write_model(tmp_path / "m", "bf16")
    (folder / "model.safetensors.index.json").write_text(
        json.dumps({"weight_map": {"model.norm.weight": "../../etc/passwd.safetensors"}})
    )
    with pytest.raises(SourceError, match="not a plain"):
        load_folder(folder)


def test_missing_shard_falls_back_to_the_architecture_with_a_note(tmp_path: Path) -> None:
    folder = tc.write_model(tmp_path / "m", "bf16", shards=2)
    (folder / "model-00002-of-00002.safetensors").unlink()
    loaded = load_folder(folder)
    assert loaded.checkpoint is None
    assert any("shards missing" in n for n in loaded.notes)


def test_unknown_quantisation_needs_a_weight_format(tmp_path: Path) -> None:
    folder = tc.write_model(tmp_path / "m", "bf16")
    cfg = {**tc.CONFIG, "quantization_config": {"quant_method": "hqq"}}
    (folder / "config.json").write_text(json.dumps(cfg))
    loaded = load_folder(folder)
    assert loaded.default_weight_format is None
    assert "hqq" in loaded.notes[-1]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "calculators", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_cli_config_folder_json_and_text(tmp_path: Path) -> None:
    folder = tc.write_model(tmp_path / "m", "gptq")
    r = _cli("estimate", "--json", "--config", str(folder))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["weights_format"] == "gptq-int4"
    assert out["per_gpu"]["weights_bytes"] == GPTQ_TOTAL
    assert out["weights_origin"]["used"] == "checkpoint"
    assert out["weights_origin"]["from_checkpoint_bytes"] == GPTQ_TOTAL
    assert out["weights_origin"]["from_architecture_bytes"] == 104_480
    assert out["checkpoint"]["bytes_by_dtype"] == {
        "BF16": 2 * EMBED_BYTES + FINAL_NORM + 2 * NORM_BYTES,
        "F16": 2 * LINEAR_ELEMENTS // 16,
        "I32": 2 * (LINEAR_ELEMENTS // 2 + LINEAR_ELEMENTS // 64 + 512 * 4),
    }
    assert any("quantization_config gptq" in n for n in out["notes"])
    text = _cli("estimate", "--config", str(folder))
    assert text.returncode == 0, text.stderr
    assert "from the checkpoint" in text.stdout and "uses the checkpoint" in text.stdout


def test_cli_weights_flag_overrides_the_checkpoint(tmp_path: Path) -> None:
    folder = tc.write_model(tmp_path / "m", "gptq")
    r = _cli("estimate", "--json", "--config", str(folder), "--weights", "bf16")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["weights_origin"]["used"] == "architecture"
    assert out["per_gpu"]["weights_bytes"] == BF16_TOTAL


def test_cli_config_file_defaults_from_quantization_config(tmp_path: Path) -> None:
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({**tc.CONFIG, "quantization_config": tc.QUANT_CONFIGS["fp8"]}))
    r = _cli("estimate", "--json", "--config", str(cfg))
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert out["weights_format"] == "fp8"
    assert out["weights_origin"] == {
        "used": "architecture",
        "from_architecture_bytes": 139_904,  # 36,864 x 2 x 1 B + 65,536 + 320 x 2 B
        "from_checkpoint_bytes": None,
        "checkpoint_format": None,
        "checkpoint_source": None,
    }


def test_cli_unknown_quantisation_is_one_line(tmp_path: Path) -> None:
    folder = tc.write_model(tmp_path / "m", "bf16")
    cfg = {**tc.CONFIG, "quantization_config": {"quant_method": "hqq"}}
    (folder / "config.json").write_text(json.dumps(cfg))
    r = _cli("estimate", "--config", str(folder))
    assert r.returncode == 2
    assert len(r.stderr.strip().splitlines()) == 1 and "hqq" in r.stderr
    ok = _cli("estimate", "--json", "--config", str(folder), "--weights", "int4")
    assert ok.returncode == 0, ok.stderr
