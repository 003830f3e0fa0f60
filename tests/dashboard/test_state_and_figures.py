"""URL codec round trip (Hypothesis) and figure builders."""

from __future__ import annotations

import base64
import json
import random
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calculators import MAX_CONFIG_BYTES
from dashboard.bounds import FLOAT_BOUNDS, INT_BOUNDS
from dashboard.figures import COLORS, concurrency_figure, png_filename
from dashboard.state import (
    DEFAULT_STATE,
    ViewState,
    decode,
    decode_config,
    encode,
    encode_link,
    pin_token,
    unpin,
)
from dashboard.view import build_view, read_uploaded_config
from presets import load_catalog

CAT = load_catalog()


@settings(max_examples=200, deadline=None)
@given(
    conc=st.integers(INT_BOUNDS["conc"].lo, INT_BOUNDS["conc"].hi),
    ctx=st.integers(INT_BOUNDS["ctx"].lo, INT_BOUNDS["ctx"].hi),
    alpha=st.floats(FLOAT_BOUNDS["alpha"].lo, FLOAT_BOUNDS["alpha"].hi, allow_nan=False),
    unit=st.sampled_from(["GiB", "GB"]),
    method=st.sampled_from(["article", "vllm", "sglang", "llamacpp"]),
    gpus=st.lists(st.sampled_from(sorted(CAT.gpus)), max_size=6, unique=True),
)
def test_encode_decode_round_trip(conc, ctx, alpha, unit, method, gpus) -> None:
    s = replace(
        DEFAULT_STATE,
        conc=conc,
        ctx=ctx,
        avg=min(ctx, 2048),
        alpha=alpha,
        unit=unit,
        method=method,
        gpus=tuple(gpus),
    )
    back, notices = decode(encode(s))
    assert notices == []
    assert back == s


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=20), st.text(max_size=60), max_size=8))
def test_decode_never_raises(params) -> None:
    state, notices = decode(params)
    assert isinstance(state, ViewState)
    assert len(notices) <= len(params) + 1


def test_pins_round_trip() -> None:
    s = replace(DEFAULT_STATE, weights="int4", conc=7, gpus=("l40s-48gb",))
    assert unpin(pin_token(s), DEFAULT_STATE).weights == "int4"


def test_concurrency_figure_explains_itself() -> None:
    view = build_view(DEFAULT_STATE, CAT)
    fig = concurrency_figure(view, validate=True)
    assert "Llama 3.1 8B Instruct" in fig.layout.title.text
    sub = fig.layout.title.subtitle.text
    for needle in ("BF16 weights", "KV BF16", "context 8,192 tokens", "Article", "GiB"):
        assert needle in sub
    assert {t.name for t in fig.data} >= {"Weights", "KV cache", "Activations", "Total per GPU"}
    assert next(t for t in fig.data if t.name == "Weights").line.color == COLORS["weights"]
    labels = [a.text for a in fig.layout.annotations]
    assert any("NVIDIA H100 SXM5 80GB" in t and "max 20 requests" in t for t in labels)
    assert png_filename(view, "concurrency").startswith(
        "vram-concurrency-Llama-3.1-8B-Instruct-bf16"
    )


# -- share link, version 2 -------------------------------------------------------------------
FOUR_PINS = tuple(
    pin_token(replace(DEFAULT_STATE, **kw))
    for kw in (
        {"model": "Qwen/Qwen3-235B-A22B", "weights": "awq-int4", "method": "vllm", "tp": 8,
         "util": 0.95, "mnbt": 16384, "mns": 512, "avg": 4096, "gpus": ("h200-141gb",)},
        {"model": "meta-llama/Llama-4-Maverick-17B-128E-Instruct", "weights": "fp8", "ctx": 65536,
         "dp": 4, "kv": "fp8", "batch": 2, "gpus": ("mi300x-192gb",)},
        {"model": "deepseek-ai/DeepSeek-R1-Distill-Qwen-32B", "method": "sglang", "mfs": 0.85},
        {"model": "mistralai/Mistral-Small-3.1-24B-Instruct-2503", "weights": "q4_k_m",
         "method": "llamacpp", "gpus": ("rtx-4090-24gb",), "conc": 3},
    )
)  # fmt: skip
UPLOAD = (
    Path(__file__).resolve().parents[1] / "data" / "uploads" / "llama-3.1-8b-instruct.config.json"
)


def test_four_long_pins_survive_the_link() -> None:
    """Issue 16: four pins made the link exceed 400 characters and every pin was dropped."""
    state = replace(DEFAULT_STATE, pins=FOUR_PINS, conc=48)
    params, notices = encode_link(state)
    assert not notices and params["v"] == "2"
    assert len(params["pins"]) > 400
    back, problems = decode(params)
    assert not problems
    assert back == state
    for token in FOUR_PINS:  # each pin restores its own scenario, not the current view's
        assert unpin(token, back).model != DEFAULT_STATE.model


def test_a_pins_parameter_past_its_bound_says_so() -> None:
    too_long = "~".join(["model=" + "a" * 290] * 4) + "x" * 50
    state, notices = decode({"pins": too_long})
    assert state.pins == ()
    assert any("'pins' is over 1,204 characters" in n for n in notices)


def test_version_1_links_keep_opening_the_same_view() -> None:
    """Links made before version 2: readable parameters, full pin tokens, no v."""
    old_pin = (
        "model=Qwen/Qwen3-8B:weights=int4:kv=auto:ctx=8192:conc=16:batch=1:method=article:"
        "tp=1:pp=1:alpha=0.15:gpus=l40s-48gb"
    )
    params = {"model": "Qwen/Qwen3-8B", "weights": "fp8", "ctx": "12000", "conc": "26",
              "method": "vllm", "gpus": "h100-sxm-80gb,l4-24gb", "tp": "2", "pp": "1",
              "dp": "3", "pins": old_pin}  # fmt: skip
    state, notices = decode(params)
    assert not notices
    assert (state.model, state.weights, state.ctx, state.conc, state.method) == (
        "Qwen/Qwen3-8B", "fp8", 12000, 26, "vllm"
    )  # fmt: skip
    assert (state.gpus, state.tp, state.dp) == (("h100-sxm-80gb", "l4-24gb"), 2, 3)
    pinned = unpin(old_pin, state)
    assert (pinned.model, pinned.weights, pinned.gpus, pinned.method) == (
        "Qwen/Qwen3-8B", "int4", ("l40s-48gb",), "article"
    )  # fmt: skip
    # and the same view written again is a version-2 link that decodes to the same state
    again, _ = decode(encode_link(state)[0])
    assert again == state


def test_an_uploaded_config_travels_compressed_and_comes_back_byte_for_byte() -> None:
    raw = UPLOAD.read_bytes()
    state = replace(DEFAULT_STATE, src="upload")
    params, notices = encode_link(state, raw)
    assert not notices and params["cfg"].startswith("z1.")
    assert len(params["cfg"]) < len(raw)  # compressed
    back = decode_config(params["cfg"], MAX_CONFIG_BYTES)
    assert json.loads(back) == json.loads(raw)
    spec, problem = read_uploaded_config("link", back)
    assert problem is None and spec is not None and spec.num_hidden_layers == 32


def test_a_preset_view_does_not_carry_the_config() -> None:
    params, _ = encode_link(DEFAULT_STATE, b'{"a": 1}')
    assert "cfg" not in params


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("z1." + base64.urlsafe_b64encode(zlib.compress(b" " * 2_000_000, 9)).decode(), "inflates"),
        ("z1.!!!", "base64url"),
        ("gz.abcd", "prefix"),
        ("z1." + base64.urlsafe_b64encode(b"not zlib at all").decode(), "compressed"),
        ("z1." + base64.urlsafe_b64encode(zlib.compress(b'{"a": 1}' * 50)[:-6]).decode(), "cut"),
        ("z1." + "A" * 20_000, "12,000 characters"),
    ],
)
def test_a_bad_cfg_parameter_is_refused_in_words(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        decode_config(text, MAX_CONFIG_BYTES)


def test_a_config_too_big_for_a_link_is_named_not_dropped_silently() -> None:
    rng = random.Random(16)
    big = json.dumps({f"k{i}": rng.getrandbits(64) for i in range(3000)}).encode()
    params, notices = encode_link(replace(DEFAULT_STATE, src="upload"), big)
    assert "cfg" not in params
    assert notices and "does not carry it" in notices[0] and f"{len(big):,} bytes" in notices[0]


def test_state_layers_show_as_their_own_component() -> None:
    """A Mamba hybrid's state is a component of the chart, the table and the formulas."""
    from calculators import model_from_config
    from dashboard.figures import LABELS, Scenario, compare_figure
    from dashboard.formulas import formulas_markdown
    from dashboard.tables import breakdown_table
    from tests.calculators.test_config_reader import NEMOTRON_3_NANO

    spec = model_from_config(NEMOTRON_3_NANO)
    view = build_view(replace(DEFAULT_STATE, src="upload", conc=4), CAT, spec)
    label = "State (Mamba/linear attention)"
    assert LABELS["state"] == label
    names = {t.name for t in concurrency_figure(view, validate=True).data}
    assert label in names
    table = breakdown_table(view)
    row = table[table["Component"] == label]
    # 4 requests x 49,082,368 B (23 Mamba-2 layers, vLLM's state shapes), the article's method
    assert int(row["Bytes"].iloc[0]) == 4 * 49_082_368
    assert int(table[table["Component"] == "Total"]["Bytes"].iloc[0]) == sum(
        int(v) for c, v in zip(table["Component"], table["Bytes"], strict=True) if c != "Total"
    )
    b = view.estimate.per_gpu
    bars = compare_figure([Scenario("now", b, facets={"model": "Nemotron"})], "GiB", validate=True)
    assert label in {t.name for t in bars.data}
    assert "**State (Mamba/linear attention)**" in formulas_markdown(view)
    # an attention-only model shows no state component
    plain = build_view(DEFAULT_STATE, CAT)
    assert label not in {t.name for t in concurrency_figure(plain, validate=True).data}
    assert label not in set(breakdown_table(plain)["Component"])
