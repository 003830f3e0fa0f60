"""vLLM's memory budget, as its V1 engine computes it at startup (and V0 for old versions).

    requested    = device total × gpu_memory_utilization
    available_kv = requested − weights − activation peak − non-torch increase
                   [− CUDA-graph estimate, subtracted by default from v0.21]
    num_blocks   = available_kv // (page_bytes × layers per KV-cache group)
    KV tokens    = num_blocks × block_size;  max concurrency = num_blocks / ceil(max_model_len / block)

Every term follows a mechanism read in vLLM's source (gpu_worker.determine_available_memory,
gpu_model_runner.profile_run / _dummy_sampler_run, kv_cache_utils, kv_cache_interface); the
empirical constants below carry their unit, source and a low/high range. Scored against the
startup logs in tests/data/validation/measured.yaml by tests/engines and docs/accuracy.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Final

from calculators.checkpoint import CheckpointWeights
from calculators.estimate import ComponentRange, Estimate, StageCost
from calculators.formats import KVDtype, WeightFormat, dtype_bytes, kv_dtype
from calculators.kv_cache import KVGroup, KVLayout, kv_bits_per_token_per_layer, kv_layout
from calculators.messages import N_, Message
from calculators.methods.base import EngineSettings, check_parallelism
from calculators.methods.engine_common import engine_weights_per_stage, padded_vocab, parse_version
from calculators.params import parameter_breakdown
from calculators.spec import Deployment, ModelSpec, Workload
from calculators.state import state_bytes_per_layer
from calculators.units import BYTES_PER_GIB, BYTES_PER_MIB
from calculators.weights import pipeline_stages

DEFAULT_VERSION: Final[tuple[int, int]] = (0, 19)
# Default gpu_memory_utilization: 0.9; raised to 0.92 in v0.21 (vllm PR #38284).
DEFAULT_UTILIZATION: Final[float] = 0.90
DEFAULT_UTILIZATION_V021: Final[float] = 0.92
# EngineArgs defaults for the OpenAI server: GPUs with >= 70 GiB get 8192 batched tokens and 1024
# sequences, smaller GPUs 2048 and 256 (vllm/engine/arg_utils.py, _set_default_args).
LARGE_GPU_BYTES: Final[int] = 70 * BYTES_PER_GIB
DEFAULT_BATCHED_TOKENS: Final[tuple[int, int]] = (8192, 2048)  # (large GPU, other)
DEFAULT_MAX_SEQS: Final[tuple[int, int]] = (1024, 256)

# --- activation peak: the profile run (gpu_model_runner.profile_run) -----------------------------
# Sampler warm-up over N = min(max_num_seqs, max_num_batched_tokens) sequences and the whole
# (padded) vocabulary: bf16 logits (2 B) + fp32 logits (4) + fp32 probs (4) + fp32 exponential
# noise (4) alive together (vllm/v1/sample/sampler.py, topk_topp_sampler.py). Unit: bytes per
# sequence per vocabulary entry.
SAMPLER_BYTES_PER_SEQ_VOCAB: Final[int] = 14
# Triton top-k/top-p keeps a persistent fp32 scratch of min(SMs, N) x vocab
# (vllm/v1/sample/ops/topk_topp_triton.py). SMs of an H100 SXM; other GPUs have 46-170.
TRITON_TOPK_PROGRAMS: Final[int] = 132
# cuBLAS workspace on sm90 through the torch allocator (aten CublasHandlePool.cpp): 32 MiB.
CUBLAS_WORKSPACE_BYTES: Final[int] = 32 * BYTES_PER_MIB
# Dense forward of T tokens (the peak inside one MLP): residual + normed hidden (2 x h) and
# gate_up (2 x I / TP) + activation output (I / TP), in the model dtype. Unit: elements per token.
FORWARD_HIDDEN_COPIES: Final[int] = 2
FORWARD_INTERMEDIATE_COPIES: Final[int] = 3
# Largest deviation of the activation model from the validation logs (Llama-3.1-8B PP rank 0:
# predicted 0.95 GiB, logged 1.10): the +/- range shown for this term.
ACTIVATION_UNCERTAINTY_BYTES: Final[int] = int(0.15 * BYTES_PER_GIB)

# --- non-torch memory that appears during the profile (NCCL/cuBLAS workspaces, allocator) ---------
# From the "non-torch forward increase" of the llm-d v0.19 logs (H100, tests/data/validation):
NON_TORCH_TP1_GIB: Final[float] = 0.25  # 13 TP1 logs: 0.24-0.26 (granite 0.46)
NON_TORCH_TP1_RANGE_GIB: Final[tuple[float, float]] = (0.24, 0.46)
NON_TORCH_TP_GE2_GIB: Final[float] = 2.10  # TP2/TP4 logs: 2.07-2.13 (NCCL buffers)
NON_TORCH_TP_GE2_RANGE_GIB: Final[tuple[float, float]] = (2.07, 2.13)
NON_TORCH_PP_GIB: Final[float] = 0.07  # PP2 log: 0.07
NON_TORCH_PP_RANGE_GIB: Final[tuple[float, float]] = (0.05, 0.25)
NON_TORCH_V0_GIB: Final[float] = 0.35  # vLLM 0.6 log in vllm issue #10517 (RTX 3090): 0.35
# --- CUDA graphs: subtracted by default from v0.21 (VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS) -----
# "Estimated CUDA graph memory" printed by the llm-d v0.19 logs: 0.54-1.82 GiB, 0.84 typical at TP1.
CUDA_GRAPH_GIB: Final[float] = 0.84
CUDA_GRAPH_RANGE_GIB: Final[tuple[float, float]] = (0.54, 1.82)
# CUDA context + torch init before vLLM's baseline snapshot: outside the requested budget.
CUDA_CONTEXT_GIB: Final[float] = 0.51  # "baseline non-torch at startup", TP1 logs

_GIB = BYTES_PER_GIB


def _gib(x: float) -> int:
    return round(x * _GIB)


@dataclass(frozen=True)
class _Group:
    kind: str  # full_attention | sliding_attention | chunked_attention
    window: int | None
    layers: int  # layers of this type on the stage


def _groups(model: ModelSpec, layers: range) -> list[_Group]:
    """Attention layers of the stage by type (state and MLP-only layers keep no KV)."""
    types = model.resolved_layer_types
    attn = set(model.attention_layer_indices)
    counts: dict[str, int] = {}
    for i in layers:
        if i in attn:
            counts[types[i]] = counts.get(types[i], 0) + 1
    return [_Group(k, model.layer_window(k), n) for k, n in counts.items()]


def _group_size(groups: list[_Group], state_layers: int = 0) -> int:
    """vLLM _get_kv_cache_groups_uniform_page_size: the smallest per-type layer count, or the
    largest when the largest is under 1.5 x the smallest (Mamba layers count as one type)."""
    sizes = [g.layers for g in groups] + ([state_layers] if state_layers else [])
    lo, hi = min(sizes), max(sizes)
    return hi if hi < 1.5 * lo else lo


# vLLM HybridAttentionMambaModelConfig.verify_and_update_config: attention blocks of hybrid models
# grow in steps of 16 tokens until one attention page (block x per-token bytes of one layer) holds
# a Mamba layer's whole state; the Mamba page is then padded to the attention page
# (vllm/model_executor/models/config.py). Unit: tokens.
HYBRID_BLOCK_STEP: Final[int] = 16


@dataclass(frozen=True)
class _Layout:
    kv: KVLayout  # bytes_for_tokens = vLLM's per-request KV reservation on the stage
    block: int  # attention block size, tokens
    group_bytes: int  # bytes of one block over a KV-cache group's layers (page x group size)
    n_groups: int  # KV-cache groups (attention and Mamba)
    state_bytes: int  # per request: one padded page per Mamba layer slot
    state_page: int  # unpadded state of one Mamba layer, bytes


@lru_cache(maxsize=8192)  # pure; stages repeat across the GPU types a plan compares
def _vllm_layout(
    model: ModelSpec,
    kv_bits: Fraction,
    layers: range,
    block: int,
    mnbt: int,
    context: int,
    tp: int = 1,
    kvd: KVDtype | None = None,
) -> _Layout:
    """vLLM's KV-cache groups for the layers of one stage (kv_cache_utils.get_kv_cache_groups).

    Attention-only: one group per layer type (sliding / full), padded to a common group size.
    Hybrid models add the Mamba / linear-attention layers as groups of their own, whose requests
    hold one page per layer each (max_memory_usage_bytes of MambaSpec = one page); a pure
    state-space model has only those.
    """
    groups = _groups(model, layers)
    state_layers = sum(1 for i in model.state_layer_indices if i in layers)
    state_page = state_bytes_per_layer(model, tp)
    if model.layer_kv_heads is not None and groups and kvd is not None:
        # Per-layer KV heads (Nemotron-NAS): layers of different page sizes; approximated by one
        # group whose block spans every layer's own size.
        kv = kv_layout(model, kvd, tp, layers)
        per_block = kv.bytes_for_tokens(block)
        return _Layout(kv, block, per_block, 1, 0, 0)
    if not groups:  # a pure state-space model
        return _Layout(
            KVLayout(()), block, state_page * state_layers, 1, state_page * state_layers, state_page
        )
    if state_layers:
        one_token = kv_bits / 8
        needed = -(-Fraction(state_page) // (HYBRID_BLOCK_STEP * one_token))
        block = max(block, HYBRID_BLOCK_STEP * int(needed))
    page = int(Fraction(block) * kv_bits / 8)
    if len(groups) == 1 and not state_layers:
        g = groups[0]
        window = _effective_window(g, block, mnbt, context)
        return _Layout(
            KVLayout((KVGroup(window, g.layers, kv_bits),)), block, page * g.layers, 1, 0, 0
        )
    size = _group_size(groups, state_layers)
    out, n_groups = [], 0
    for g in groups:
        k = -(-g.layers // size)  # groups of this type, padded to whole groups
        n_groups += k
        out.append(KVGroup(_effective_window(g, block, mnbt, context), k * size, kv_bits))
    state_bytes = 0
    if state_layers:
        k = -(-state_layers // size)
        n_groups += k
        state_bytes = k * size * page  # the Mamba page is padded to the attention page
    return _Layout(KVLayout(tuple(out)), block, page * size, n_groups, state_bytes, state_page)


def _effective_window(g: _Group, block: int, mnbt: int, context: int) -> int | None:
    """Tokens one request reserves in a layer (kv_cache_interface max_memory_usage_bytes)."""
    if g.window is None:
        return None
    if g.kind == "sliding_attention":
        return (-(-min(g.window - 1 + mnbt, context) // block) + 1) * block
    return -(-min(g.window + mnbt, context) // block) * block  # chunked local attention


@lru_cache(maxsize=8192)  # pure; stages repeat across the GPU types a plan compares
def activation_peak_bytes(
    model: ModelSpec, tp: int, mnbt: int, max_seqs: int, *, last_stage: bool, first_stage: bool
) -> int:
    """The profile run's torch peak increase on one GPU (bytes).

    peak = max(sampler S, forward F) + MoE workspace + PP intermediate tensors, where
    S = V·(14·N + 4·min(132, N)) + 2·T·h + 4·N·h + 32 MiB (last stage only),
    F = 2·T·(2·h + 3·I_dense/tp) + 32 MiB, T = max_num_batched_tokens, N = min(max_num_seqs, T).
    """
    h = model.hidden_size
    t = mnbt
    n = min(max_seqs, mnbt)
    act = dtype_bytes(model.torch_dtype)
    dense_i = (
        model.intermediate_size if len(model.moe_layer_indices) < model.num_hidden_layers else 0
    )
    forward = (
        act * t * (FORWARD_HIDDEN_COPIES * h + FORWARD_INTERMEDIATE_COPIES * dense_i // tp)
        + CUBLAS_WORKSPACE_BYTES
    )
    sampler = 0
    if last_stage:
        v = padded_vocab(model.vocab_size)
        sampler = (
            v * (SAMPLER_BYTES_PER_SEQ_VOCAB * n + 4 * min(TRITON_TOPK_PROGRAMS, n))
            + act * t * h
            + 2 * act * n * h
            + CUBLAS_WORKSPACE_BYTES
        )
    moe = 0
    if model.is_moe:
        k = max(1, model.num_experts_per_tok)
        i = model.moe_intermediate_size // tp
        ws13 = t * k * max(i, h)
        ws2 = t * k * max(2 * i, h)
        moe = act * (
            max(ws13, t * h) + ws2
        )  # fused-MoE workspace, persistent (v1/worker/workspace.py)
    pp_buffers = 0 if first_stage else 2 * act * t * h  # intermediate hidden + residual
    return max(sampler, forward) + moe + pp_buffers


class VLLMMethod:
    id = "vllm"
    label = N_("vLLM (engine budget)")
    description = N_(
        "vLLM's startup budget: device × gpu_memory_utilization − weights − profiled activation "
        "peak − non-torch memory (− CUDA graphs from v0.21); the rest is a paged KV pool."
    )

    def estimate(
        self,
        model: ModelSpec,
        fmt: WeightFormat,
        workload: Workload,
        deployment: Deployment,
        settings: EngineSettings,
        checkpoint: CheckpointWeights | None = None,
    ) -> Estimate:
        check_parallelism(model, deployment)
        version = parse_version(settings.engine_version, DEFAULT_VERSION)
        v1 = version >= (0, 8)
        tp, pp = deployment.tensor_parallel_size, deployment.pipeline_parallel_size
        gpu = deployment.gpu
        large = gpu is not None and gpu.memory_bytes >= LARGE_GPU_BYTES
        if v1:
            mnbt = settings.max_num_batched_tokens or DEFAULT_BATCHED_TOKENS[0 if large else 1]
        else:  # V0 without chunked prefill profiles a whole max_model_len prompt
            mnbt = settings.max_num_batched_tokens or max(workload.context_len, 2048)
        max_seqs = settings.max_num_seqs or (DEFAULT_MAX_SEQS[0 if large and v1 else 1])
        util = settings.gpu_memory_utilization or (
            DEFAULT_UTILIZATION_V021 if version >= (0, 21) else DEFAULT_UTILIZATION
        )
        subtract_graphs = version >= (0, 21)
        kv = kv_dtype(workload.kv_cache_dtype, model.torch_dtype)
        kv_bits = kv_bits_per_token_per_layer(model, kv, tp)
        block = settings.block_size
        weights, origin = engine_weights_per_stage(model, fmt, tp, pp, checkpoint)
        if not v1:
            non_torch, nt_range = NON_TORCH_V0_GIB, (NON_TORCH_V0_GIB, NON_TORCH_V0_GIB)
        elif tp > 1:
            non_torch, nt_range = NON_TORCH_TP_GE2_GIB, NON_TORCH_TP_GE2_RANGE_GIB
        elif pp > 1:
            non_torch, nt_range = NON_TORCH_PP_GIB, NON_TORCH_PP_RANGE_GIB
        else:
            non_torch, nt_range = NON_TORCH_TP1_GIB, NON_TORCH_TP1_RANGE_GIB
        graphs = _gib(CUDA_GRAPH_GIB) if subtract_graphs else 0
        stages_ranges = pipeline_stages(model.num_hidden_layers, pp)
        budget = None if gpu is None else int(gpu.memory_bytes * util)
        stages, pools, tokens, peaks = [], [], [], []
        state_note: Message | None = None
        for s, layers in enumerate(stages_ranges):
            peak = activation_peak_bytes(
                model, tp, mnbt, max_seqs, last_stage=s == pp - 1, first_stage=s == 0
            )
            peaks.append(peak)
            lay = _vllm_layout(model, kv_bits, layers, block, mnbt, workload.context_len, tp, kv)
            block_s = lay.block
            overhead = _gib(non_torch) + graphs
            stages.append(
                StageCost(
                    weights_bytes=weights[s],
                    activation_reserve_bytes=peak,
                    overhead_bytes=overhead,
                    kv_layout=lay.kv,
                    activation_bytes_per_token=0,
                    block_size=block_s,
                    state_bytes_per_sequence=lay.state_bytes,
                )
            )
            if budget is not None:
                available = budget - weights[s] - peak - overhead
                per = lay.group_bytes
                blocks = max(0, available) // per if per else 0
                pools.append(blocks * per)
                if not lay.kv.groups:  # pure state-space model: one block per request
                    tokens.append(blocks * workload.context_len)
                else:
                    tokens.append(blocks // lay.n_groups * block_s if v1 else blocks * block_s)
            if lay.state_bytes:
                state_note = Message(
                    "{layers} layers keep a constant state per request ({page:,} B per layer on "
                    "each GPU, padded to the attention page in vLLM's hybrid KV-cache groups); "
                    "attention block {block} tokens",
                    layers=len(model.state_layer_indices),
                    page=lay.state_page,
                    block=block_s,
                )
        lim = max(range(len(peaks)), key=lambda i: weights[i] + peaks[i])
        ranges = (
            ComponentRange(
                name="activation_peak",
                nominal_bytes=peaks[lim],
                low_bytes=max(0, peaks[lim] - ACTIVATION_UNCERTAINTY_BYTES),
                high_bytes=peaks[lim] + ACTIVATION_UNCERTAINTY_BYTES,
                source="largest deviation of the profile-run model from the validation logs",
            ),
            ComponentRange(
                name="non_torch",
                nominal_bytes=_gib(non_torch),
                low_bytes=_gib(nt_range[0]),
                high_bytes=_gib(nt_range[1]),
                source="llm-d vLLM 0.19 logs, 'non-torch forward increase'",
            ),
        ) + (
            (
                ComponentRange(
                    name="cuda_graphs",
                    nominal_bytes=graphs,
                    low_bytes=_gib(CUDA_GRAPH_RANGE_GIB[0]),
                    high_bytes=_gib(CUDA_GRAPH_RANGE_GIB[1]),
                    source="llm-d vLLM 0.19 logs, 'Estimated CUDA graph memory'",
                ),
            )
            if subtract_graphs
            else ()
        )
        details = (
            (N_("requested memory (device × utilisation)"), budget or 0),
            (N_("activation peak (profile run)"), peaks[lim]),
            (N_("non-torch increase"), _gib(non_torch)),
            (N_("CUDA graphs (subtracted from v0.21)"), graphs),
            (N_("CUDA context, outside the budget"), _gib(CUDA_CONTEXT_GIB)),
        )
        return Estimate(
            method=self.id,
            workload=workload,
            deployment=deployment,
            stages=tuple(stages),
            parameters=parameter_breakdown(model),
            budget_bytes=budget,
            kv_pool_bytes_override=tuple(pools) if budget is not None else None,
            kv_tokens_override=tuple(tokens) if budget is not None else None,
            notes=(
                Message(
                    "vLLM {major}.{minor} ({engine}): max_num_batched_tokens {mnbt}, "
                    "max_num_seqs {max_seqs}, gpu_memory_utilization {util:g}, block {block}",
                    major=version[0],
                    minor=version[1],
                    engine="V1" if v1 else "V0",
                    mnbt=mnbt,
                    max_seqs=max_seqs,
                    util=util,
                    block=block,
                ),
                N_("KV is a shared paged pool: requests hold the tokens they use, not the maximum"),
                *origin.notes,
            )
            + ((state_note,) if state_note else ()),
            ranges=ranges,
            details=details,
            weights_origin=origin,
        )
