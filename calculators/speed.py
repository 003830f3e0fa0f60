"""Serving speed: time to first token, time per output token and throughput vs concurrency.

A calibrated analytical model (pure, vectorised over concurrency; no I/O). One engine step that
decodes ``b`` sequences at a mean context ``L`` and processes ``p`` prompt tokens takes::

    step = max(bytes ÷ (bandwidth × η_bw), FLOPs ÷ (peak × η_compute))
           + t_step + b × t_seq + t_allreduce

* **bytes** moved per GPU: the weights a step reads (matrices ÷ TP, the lm_head; the embedding
  table is only gathered, a vision tower not touched) where an MoE layer reads only the experts
  its tokens touch — the expected number of distinct experts of ``E`` for ``n`` tokens routed to
  ``k`` each is ``E·(1 − (1 − k/E)^n)`` per layer (at most all) — plus the KV cache of the ``b``
  sequences at their mean length (``calculators.kv_cache``: GQA, MLA, sliding windows, per GPU);
* **FLOPs** per GPU: ``2 × active parameters`` per token ÷ TP, plus attention's
  ``4 × heads × head_dim × attended tokens`` per token and layer (the quadratic term of a prompt);
* **t_allreduce**: two all-reduces per layer under TP, each ``latency + 2(TP−1)/TP × tokens ×
  hidden × 2 B ÷ one-direction link bandwidth``;
* **t_step**, **t_seq**: the engine's fixed cost per step (scheduler, sampler, launch) and per
  running sequence.

Scenarios:

* ``serving`` (steady state, a closed loop of C users, as NIM/genai-perf and vLLM's benchmark
  measure): ``n = min(C, max_running)`` requests run; every decode step also carries the other
  requests' prompts (chunked prefill), on average ``(n − 1) × I ÷ O`` tokens, whose compute is
  added to the step; TTFT is the request's own prefill in chunks of ``PREFILL_CHUNK_TOKENS``
  sharing steps with ``n − 1`` decodes, plus half a step of waiting, plus the queue when C > n
  (Little's law: a user's cycle is ``C × T_request ÷ n``);
* ``static`` (one batch of C prompts started together, as ``vllm benchmark_latency`` runs it):
  TTFT is the prefill of all C prompts, then ``O − 1`` pure decode steps at batch C.

Outputs: TTFT (s), TPOT (s per output token of one user), per-user tokens/s = 1 ÷ TPOT, total
output tokens/s (input tokens not counted), end-to-end request latency (s).

Every fitted constant is in :data:`ENGINE_SPEED` / :data:`HARDWARE_EFFICIENCY` with its unit,
range and the data it was fitted on (``scripts/fit_speed.py``; report in docs/accuracy.md).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

import numpy as np
import numpy.typing as npt

from calculators.formats import FP16_BITS, KVDtype, WeightFormat
from calculators.kv_cache import kv_layout
from calculators.messages import N_, Message
from calculators.params import parameter_breakdown
from calculators.spec import GPUSpec, ModelSpec, SpecError
from calculators.weights import weight_groups, weights_bytes_per_stage

Scenario = Literal["serving", "static"]
FloatArray = npt.NDArray[np.float64]

# --- physical constants (not fitted) -----------------------------------------------------------
ACTIVATION_BYTES: Final[int] = 2  # bf16/fp16 activations in a TP all-reduce, bytes per element
ALLREDUCES_PER_LAYER: Final[int] = 2  # Megatron-style TP: after attention and after the MLP
LINK_DIRECTIONS: Final[int] = 2  # NVLink is marketed as both directions added; a ring uses one
# vLLM V1's default max_num_batched_tokens for the API server on large GPUs (vllm/engine/
# arg_utils.py, usage-context defaults: 8192 for OPENAI_API_SERVER). Tokens of prompt per step.
PREFILL_CHUNK_TOKENS: Final[int] = 8192
SPEED_METHODS: Final[tuple[str, ...]] = ("vllm", "sglang", "tensorrt-llm", "llamacpp")


@dataclass(frozen=True)
class HardwareEfficiency:
    """Share of a GPU's datasheet peak that serving kernels reach (fitted, dimensionless)."""

    bandwidth: float  # η_bw: achieved ÷ datasheet memory bandwidth, range 0.5–0.95
    compute: float  # η_compute: achieved ÷ datasheet dense tensor FLOP/s, range 0.3–0.9
    allreduce_latency_s: float  # per all-reduce call, seconds, range 5e-6–5e-5
    source: str


@dataclass(frozen=True)
class EngineSpeed:
    """An engine's fixed costs per step (fitted)."""

    step_s: float  # per engine step, seconds, range 0–0.01
    per_sequence_s: float  # per running sequence per step, seconds, range 0–1e-4
    source: str
    fitted: bool = True


# Fitted by scripts/fit_speed.py on the fit split of tests/data/speed: LLM-Inference-Bench (vLLM
# and TensorRT-LLM, fp16, A100 40 GB / H100 SXM, TP 1-4; not Mistral-7B, Qwen2-72B or GH200) and
# the TensorRT-LLM perf-overview H100 columns (FP8). Held back: see tests/data/speed/README.md.
FIT_SOURCE: Final[str] = (
    "fitted by scripts/fit_speed.py on the fit split of tests/data/speed (LLM-Inference-Bench "
    "A100/H100 rows, TensorRT-LLM perf-overview H100 columns)"
)
HARDWARE_EFFICIENCY: Final[HardwareEfficiency] = HardwareEfficiency(
    bandwidth=0.8118,  # of datasheet HBM bandwidth; fit range 0.5-0.95
    compute=0.6396,  # of datasheet dense tensor FLOP/s (BF16 or FP8); fit range 0.3-0.9
    allreduce_latency_s=21.72e-6,  # per all-reduce call; fit range 5-50 µs
    source=FIT_SOURCE,
)
ENGINE_SPEED: Final[dict[str, EngineSpeed]] = {
    # vLLM 0.5-0.6 era (LLM-Inference-Bench): 2.46 ms per step + 76.4 µs per running sequence
    # (Python scheduler and sampler); fit ranges 0.01-10 ms and 0.01-100 µs.
    "vllm": EngineSpeed(step_s=2.4555e-3, per_sequence_s=76.443e-6, source=FIT_SOURCE),
    # TensorRT-LLM (C++ runtime): 1.21 ms per step + 10.3 µs per sequence; same ranges.
    "tensorrt-llm": EngineSpeed(step_s=1.2077e-3, per_sequence_s=10.299e-6, source=FIT_SOURCE),
}


def engine_speed(method: str) -> tuple[EngineSpeed, tuple[str, ...]]:
    """The fitted constants for ``method`` and warnings when they were borrowed from another."""
    if method in ENGINE_SPEED:
        return ENGINE_SPEED[method], ()
    if method == "sglang":
        return ENGINE_SPEED["vllm"], (
            N_(
                "SGLang: no SGLang measurement in the development data; vLLM's fitted step costs "
                "are used (both run CUDA-graph decode with chunked prefill)."
            ),
        )
    if method == "llamacpp":
        return ENGINE_SPEED["vllm"], (
            N_(
                "llama.cpp: no llama.cpp measurement was fitted; vLLM's step costs are used "
                "(single stream only)."
            ),
        )
    raise SpecError(
        Message(
            "method: speed is modelled for {speed_methods}, not {method!r}",
            speed_methods=", ".join(SPEED_METHODS),
            method=method,
        )
    )


def expected_experts_touched(
    num_experts: int, experts_per_token: int, tokens: FloatArray | float
) -> FloatArray:
    """Expected distinct experts of ``E`` hit by ``tokens`` tokens routed to ``k`` each.

    ``E × (1 − (1 − k/E)^tokens)``: each expert is missed by one token with probability
    ``1 − k/E`` (uniform routing); at most ``E``, at least ``k`` for one token. Unit: experts.
    """
    t = np.maximum(np.asarray(tokens, dtype=np.float64), 0.0)
    if num_experts <= 0:
        return np.zeros_like(t)
    miss = 1.0 - experts_per_token / num_experts
    return np.minimum(num_experts * (1.0 - miss**t), float(num_experts))


@dataclass(frozen=True)
class ModelCost:
    """Per-GPU byte and FLOP coefficients of one model, format and parallel layout."""

    dense_bytes: float  # weights read every step (all but routed experts), bytes per GPU
    expert_bytes: float  # one routed expert of one MoE layer, bytes per GPU
    moe_layers: int
    num_experts: int
    experts_per_token: int
    flops_per_token: float  # 2 × active parameters ÷ TP, FLOPs per token per GPU
    attention_flops_per_pair: float  # 4 × heads × head_dim ÷ TP per (token, attended token, layer)
    attention_layers: tuple[tuple[int | None, int], ...]  # (window, layers)
    kv_bytes_per_token: tuple[tuple[int | None, float], ...]  # (window, bytes per token per GPU)
    allreduce_bytes_per_token: float  # hidden × activation bytes
    num_layers: int
    tp: int
    pp: int

    def kv_bytes(self, context: FloatArray) -> FloatArray:
        """KV bytes of one sequence at ``context`` tokens on one GPU (windows honoured)."""
        out = np.zeros_like(context)
        for window, per_token in self.kv_bytes_per_token:
            held = context if window is None else np.minimum(context, window)
            out = out + held * per_token
        return out

    def attended(self, context: FloatArray) -> FloatArray:
        """Σ over layers of the tokens one query attends to at ``context`` (windows honoured)."""
        out = np.zeros_like(context)
        for window, layers in self.attention_layers:
            held = context if window is None else np.minimum(context, window)
            out = out + layers * held
        return out


def model_cost(
    model: ModelSpec, fmt: WeightFormat, kv: KVDtype, tp: int = 1, pp: int = 1
) -> ModelCost:
    """Byte and FLOP coefficients for ``model`` in ``fmt`` on one GPU of a TP × PP layout.

    Reuses the memory model: weight bytes from ``weights_bytes_per_stage`` (summed over stages:
    a token passes every stage), KV bytes from ``kv_layout``. Routed-expert bytes are split off
    so a step reads only the experts it touches.
    """
    pb = parameter_breakdown(model)
    groups = weight_groups(model, fmt)
    total = float(sum(weights_bytes_per_stage(model, fmt, tp, pp)))
    # Gathered, not streamed: the input embedding (when the lm_head is separate) and a vision tower.
    not_read = groups.vision_bytes / tp
    if pb.lm_head:
        not_read += groups.embedding_bytes / tp
    expert_params = sum(layer.experts for layer in pb.layers) if pb.declared_total is None else 0
    moe_layers = len(model.moe_layer_indices) if expert_params else 0
    expert_bits = fmt.linear_bits
    all_expert_bytes = float(expert_params * expert_bits / 8) / tp
    expert_bytes = all_expert_bytes / (moe_layers * model.num_experts) if moe_layers else 0.0
    dense = max(total - not_read - all_expert_bytes, 0.0)
    # Active parameters per token: everything but the embedding/vision and the unrouted experts.
    if pb.declared_total is not None:
        active = float(pb.declared_total - pb.embedding - pb.vision)
    else:
        active = float(sum(layer.attention + layer.mlp for layer in pb.layers))
        if moe_layers:
            active += expert_params * model.num_experts_per_tok / model.num_experts
        active += pb.lm_head or pb.embedding
    if model.is_mla:
        qk = model.qk_nope_head_dim + model.qk_rope_head_dim
        per_pair = 2.0 * model.num_attention_heads * (qk + (model.v_head_dim or qk))
    else:
        per_pair = 4.0 * model.num_attention_heads * model.effective_head_dim
    layout = kv_layout(model, kv, tp)
    return ModelCost(
        dense_bytes=dense,
        expert_bytes=expert_bytes,
        moe_layers=moe_layers,
        num_experts=model.num_experts if moe_layers else 0,
        experts_per_token=model.num_experts_per_tok if moe_layers else 0,
        flops_per_token=2.0 * active / tp,
        attention_flops_per_pair=per_pair / tp,
        attention_layers=tuple((g.window, g.num_layers) for g in layout.groups),
        kv_bytes_per_token=tuple(
            (g.window, float(g.num_layers * g.bits_per_token_per_layer / 8)) for g in layout.groups
        ),
        allreduce_bytes_per_token=float(model.hidden_size * ACTIVATION_BYTES),
        num_layers=model.num_hidden_layers,
        tp=tp,
        pp=pp,
    )


def compute_peak_flops(gpu: GPUSpec, fmt: WeightFormat) -> tuple[float, tuple[str, ...]]:
    """Peak dense FLOP/s the matrix multiplications of ``fmt`` run at on ``gpu``.

    FP8 weights with FP8 activations use FP8 tensor cores where the GPU has them (else BF16, as
    vLLM's weight-only FP8 kernels do on Ampere); FP4 formats use FP4 tensor cores where present
    (else FP8, else BF16); integer and GGUF weight-only formats dequantise to BF16.
    """
    if gpu.peak_bf16_flops_per_s <= 0:
        raise SpecError(
            Message(
                "GPU {id}: no peak_tflops_bf16 in its preset; the speed model needs the GPU's "
                "peak dense BF16 TFLOPS (and memory bandwidth)",
                id=gpu.id,
            )
        )
    notes: list[str] = []
    peak = gpu.peak_bf16_flops_per_s
    if fmt.id in ("fp8", "int8"):
        if gpu.peak_fp8_flops_per_s > 0:
            peak = gpu.peak_fp8_flops_per_s
        else:
            notes.append(
                Message(
                    "{name}: no FP8 tensor cores; {id} matmuls counted at BF16 peak.",
                    name=gpu.name,
                    id=fmt.id,
                )
            )
    elif fmt.id in ("nvfp4", "mxfp4", "mxfp4-experts"):
        if gpu.peak_fp4_flops_per_s > 0:
            peak = gpu.peak_fp4_flops_per_s
        elif gpu.peak_fp8_flops_per_s > 0:
            peak = gpu.peak_fp8_flops_per_s
            notes.append(
                Message(
                    "{name}: no FP4 tensor cores; {id} matmuls counted at FP8 peak.",
                    name=gpu.name,
                    id=fmt.id,
                )
            )
        else:
            notes.append(
                Message(
                    "{name}: no FP4/FP8 tensor cores; {id} counted at BF16 peak.",
                    name=gpu.name,
                    id=fmt.id,
                )
            )
    elif fmt.linear_bits > FP16_BITS:
        peak = gpu.peak_bf16_flops_per_s / 2  # TF32 tensor cores run at half the BF16 rate
    return peak, tuple(notes)


@dataclass(frozen=True)
class StepModel:
    """Everything a step-time evaluation needs: model coefficients, GPU and constants."""

    cost: ModelCost
    bandwidth_bytes_per_s: float
    peak_flops_per_s: float
    link_bytes_per_s: float
    hw: HardwareEfficiency
    engine: EngineSpeed

    def weight_bytes(self, tokens: FloatArray) -> FloatArray:
        c = self.cost
        touched = expected_experts_touched(c.num_experts, c.experts_per_token, tokens)
        return c.dense_bytes + c.moe_layers * c.expert_bytes * touched

    def memory_s(self, batch: FloatArray, context: FloatArray, prompt: FloatArray) -> FloatArray:
        """Seconds to stream the weights and the batch's KV cache once."""
        moved = self.weight_bytes(batch + prompt) + batch * self.cost.kv_bytes(context)
        return moved / (self.bandwidth_bytes_per_s * self.hw.bandwidth)

    def compute_s(
        self, batch: FloatArray, context: FloatArray, prompt: FloatArray, prompt_context: FloatArray
    ) -> FloatArray:
        """Seconds of tensor-core work for ``batch`` decodes and ``prompt`` prompt tokens."""
        c = self.cost
        flops = (batch + prompt) * c.flops_per_token + c.attention_flops_per_pair * (
            batch * c.attended(context) + prompt * c.attended(prompt_context)
        )
        return flops / (self.peak_flops_per_s * self.hw.compute)

    def allreduce_s(self, tokens: FloatArray) -> FloatArray:
        c = self.cost
        if c.tp <= 1:
            return np.zeros_like(tokens)
        if self.link_bytes_per_s <= 0:
            raise SpecError(
                N_("GPU: no interconnect_gb_s in its preset; needed for tensor parallel")
            )
        one_way = self.link_bytes_per_s / LINK_DIRECTIONS
        volume = 2 * (c.tp - 1) / c.tp * tokens * c.allreduce_bytes_per_token
        calls = ALLREDUCES_PER_LAYER * c.num_layers
        return calls * (self.hw.allreduce_latency_s + volume / one_way)

    def step_s(
        self,
        batch: FloatArray,
        context: FloatArray,
        prompt: FloatArray | None = None,
        prompt_context: FloatArray | None = None,
    ) -> FloatArray:
        """One engine step: roofline of bytes and FLOPs plus fixed costs and TP communication."""
        p = np.zeros_like(batch) if prompt is None else prompt
        pc = np.zeros_like(batch) if prompt_context is None else prompt_context
        roof = np.maximum(self.memory_s(batch, context, p), self.compute_s(batch, context, p, pc))
        fixed = self.engine.step_s + batch * self.engine.per_sequence_s
        return roof + fixed + self.allreduce_s(batch + p)


@dataclass(frozen=True)
class SpeedResult:
    """Speed at each concurrency (arrays aligned with ``concurrency``); seconds unless named."""

    concurrency: FloatArray
    running: FloatArray  # requests decoding together (≤ max_running)
    ttft_s: FloatArray
    tpot_s: FloatArray
    e2e_latency_s: FloatArray
    output_tokens_per_s: FloatArray  # all users together; input tokens not counted
    weight_read_s: FloatArray  # parts of one decode step (for explanations and tests)
    kv_read_s: FloatArray
    compute_s: FloatArray
    fixed_s: FloatArray
    allreduce_s: FloatArray
    prefill_interference_s: FloatArray
    warnings: tuple[str, ...] = field(default=())

    @property
    def tokens_per_s_per_user(self) -> FloatArray:
        """Decode speed one user sees: 1 ÷ TPOT, tokens per second."""
        return 1.0 / self.tpot_s


def step_model(
    model: ModelSpec,
    fmt: WeightFormat,
    kv: KVDtype,
    gpu: GPUSpec,
    tp: int = 1,
    pp: int = 1,
    method: str = "vllm",
    hw: HardwareEfficiency | None = None,
    engine: EngineSpeed | None = None,
) -> tuple[StepModel, tuple[str, ...]]:
    """The step-time model for one setup, and warnings about borrowed or missing figures."""
    if gpu.bandwidth_bytes_per_s <= 0:
        raise SpecError(
            Message("GPU {id}: no memory bandwidth; the speed model needs it", id=gpu.id)
        )
    fitted, warn = engine_speed(method)
    peak, notes = compute_peak_flops(gpu, fmt)
    cost = model_cost(model, fmt, kv, tp, pp)
    if tp > 1 and gpu.interconnect_bytes_per_s <= 0:
        raise SpecError(
            Message(
                "GPU {id}: no interconnect_gb_s in its preset; needed for tensor parallel {tp}",
                id=gpu.id,
                tp=tp,
            )
        )
    warnings = list(warn) + list(notes)
    if pp > 1:
        warnings.append(
            N_(
                "Pipeline parallel: stages run one after another per token; overlap of micro-batches "
                "is not modelled, so throughput is a lower bound."
            )
        )
    return (
        StepModel(
            cost=cost,
            bandwidth_bytes_per_s=float(gpu.bandwidth_bytes_per_s),
            peak_flops_per_s=peak,
            link_bytes_per_s=float(gpu.interconnect_bytes_per_s),
            hw=hw or HARDWARE_EFFICIENCY,
            engine=engine or fitted,
        ),
        tuple(warnings),
    )


def _check_lengths(input_tokens: int, output_tokens: int) -> None:
    for name, v in (("input_tokens", input_tokens), ("output_tokens", output_tokens)):
        if isinstance(v, bool) or not isinstance(v, int) or not 0 < v <= 100_000_000:
            raise SpecError(
                Message("{name}: must be a positive integer, got {v!r}", name=name, v=v)
            )


def speed_sweep(
    sm: StepModel,
    input_tokens: int,
    output_tokens: int,
    concurrency: Sequence[float] | FloatArray,
    scenario: Scenario = "serving",
    max_running: int | None = None,
    chunk_tokens: int = PREFILL_CHUNK_TOKENS,
    warnings: tuple[str, ...] = (),
) -> SpeedResult:
    """TTFT, TPOT and throughput at each concurrency (vectorised). See the module docstring."""
    _check_lengths(input_tokens, output_tokens)
    c = np.asarray(concurrency, dtype=np.float64)
    if c.size == 0 or not np.all(np.isfinite(c)) or np.any(c < 1):
        raise SpecError(N_("concurrency: every value must be a number ≥ 1"))
    if max_running is not None and max_running < 1:
        raise SpecError(
            N_("max_running: the memory model fits no request at this length (max concurrency 0)")
        )
    i_tok, o_tok = float(input_tokens), float(output_tokens)
    n = c if max_running is None else np.minimum(c, float(max_running))
    ctx = np.full_like(n, i_tok + o_tok / 2)  # mean context over a request's decode
    half_prompt = np.full_like(n, i_tok / 2)  # mean attended tokens of a causal prompt
    zero = np.zeros_like(n)
    decode = sm.step_s(n, ctx)
    if scenario == "serving":
        # Other requests' prompts enter at (n - 1) / O per step: their compute joins the steps.
        others_prompt = (n - 1) * i_tok / o_tok
        interference = sm.compute_s(zero, ctx, others_prompt, half_prompt)
        tpot = decode + interference
        chunks = math.ceil(i_tok / chunk_tokens)
        own = chunks * sm.step_s(n - 1, ctx, np.full_like(n, i_tok / chunks), half_prompt)
        wait_for_step = np.where(n > 1, tpot / 2, 0.0)
        ttft_own = own + wait_for_step
        t_req = ttft_own + (o_tok - 1) * tpot
        cycle = c * t_req / n  # Little's law for a closed loop of c users, n served at once
        ttft = ttft_own + (cycle - t_req)
        e2e = cycle
        throughput = n * o_tok / t_req
    elif scenario == "static":
        interference = zero
        tpot = decode
        prompt_tokens = n * i_tok
        chunks_arr = np.ceil(prompt_tokens / chunk_tokens)
        ttft_wave = chunks_arr * sm.step_s(zero, ctx, prompt_tokens / chunks_arr, half_prompt)
        wave = ttft_wave + (o_tok - 1) * tpot
        waves = c / n
        ttft = ttft_wave
        e2e = waves * wave
        throughput = c * o_tok / e2e
    else:
        raise SpecError(
            Message("scenario: {scenario!r} is not 'serving' or 'static'", scenario=scenario)
        )
    bw = sm.bandwidth_bytes_per_s * sm.hw.bandwidth
    return SpeedResult(
        concurrency=c,
        running=n,
        ttft_s=ttft,
        tpot_s=tpot,
        e2e_latency_s=e2e,
        output_tokens_per_s=throughput,
        weight_read_s=sm.weight_bytes(n) / bw,
        kv_read_s=n * sm.cost.kv_bytes(ctx) / bw,
        compute_s=sm.compute_s(n, ctx, zero, zero),
        fixed_s=sm.engine.step_s + n * sm.engine.per_sequence_s,
        allreduce_s=sm.allreduce_s(n),
        prefill_interference_s=interference,
        warnings=warnings,
    )


def speed(
    model: ModelSpec,
    fmt: WeightFormat,
    kv: KVDtype,
    gpu: GPUSpec,
    input_tokens: int,
    output_tokens: int,
    concurrency: Sequence[float] | FloatArray,
    tp: int = 1,
    pp: int = 1,
    method: str = "vllm",
    scenario: Scenario = "serving",
    max_running: int | None = None,
) -> SpeedResult:
    """Speed of ``model`` served by ``method`` on ``tp × pp`` ``gpu``s at each concurrency.

    ``max_running``: requests that fit in memory at once (from the memory model); beyond it,
    requests queue and TTFT grows. llama.cpp is modelled for a single stream only.
    """
    sm, warnings = step_model(model, fmt, kv, gpu, tp, pp, method)
    c = np.asarray(concurrency, dtype=np.float64)
    if method == "llamacpp" and np.any(c > 1):
        raise SpecError(
            N_("llama.cpp: the speed model covers a single stream (concurrency 1) only")
        )
    return speed_sweep(sm, input_tokens, output_tokens, c, scenario, max_running, warnings=warnings)
