"""URL codec round trip (Hypothesis) and figure builders."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from dashboard.bounds import FLOAT_BOUNDS, INT_BOUNDS
from dashboard.figures import COLORS, concurrency_figure, png_filename
from dashboard.state import DEFAULT_STATE, ViewState, decode, encode, pin_token, unpin
from dashboard.view import build_view
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
    assert any("NVIDIA H100 SXM5 80GB: 20 concurrent requests" in t for t in labels)
    assert png_filename(view, "concurrency").startswith(
        "vram-concurrency-Llama-3.1-8B-Instruct-bf16"
    )


def test_state_layers_show_as_their_own_component() -> None:
    """A Mamba hybrid's state is a component of the chart, the table and the formulas."""
    from calculators import model_from_config
    from dashboard.figures import LABELS, Scenario, breakdown_figure
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
    bars = breakdown_figure([Scenario("now", b, "")], "GiB", "t", "s", validate=True)
    assert label in {t.name for t in bars.data}
    assert "**State (Mamba/linear attention)**" in formulas_markdown(view)
    # an attention-only model shows no state component
    plain = build_view(DEFAULT_STATE, CAT)
    assert label not in {t.name for t in concurrency_figure(plain, validate=True).data}
    assert label not in set(breakdown_table(plain)["Component"])
