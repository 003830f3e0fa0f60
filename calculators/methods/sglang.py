"""SGLang's memory budget (``mem_fraction_static`` semantics).

SGLang measures the free memory before loading weights (``total_gpu_memory``), loads the weights,
and gives the KV pool what is left above a reserve of ``(1 − mem_fraction_static)`` of that free
memory (model_runner.profile_max_num_token):

    rest       = free_after_weights − free_before_weights × (1 − mem_fraction_static)
    KV tokens  = floor(rest / cell_size),  cell_size = kv_heads/TP × head_dim × layers × 2 × bytes
                 (MLA: (kv_lora_rank + qk_rope_head_dim) × layers × bytes)

The reserve holds activations and CUDA graphs; it is not profiled. When ``mem_fraction_static``
is not given, current SGLang derives it from the GPU size (server_args._handle_gpu_memory_settings):
reserved = 512 MiB + 1.5 × chunked_prefill_size MiB + 2 × cuda_graph_max_bs MiB + tp·pp/8 GiB,
at least 10 GiB on GPUs over 60 GiB, and mem_fraction_static = (gpu − reserved) / gpu.
"""

from __future__ import annotations

from typing import Final

from calculators.checkpoint import CheckpointWeights
from calculators.estimate import ComponentRange, Estimate, StageCost
from calculators.formats import WeightFormat, kv_dtype
from calculators.kv_cache import kv_layout
from calculators.messages import N_, Message
from calculators.methods.base import EngineSettings, check_parallelism
from calculators.methods.engine_common import engine_weights_per_stage
from calculators.params import parameter_breakdown
from calculators.spec import Deployment, ModelSpec, Workload
from calculators.state import state_bytes_per_request
from calculators.units import BYTES_PER_GIB, BYTES_PER_MIB
from calculators.weights import pipeline_stages

# CUDA context before SGLang's first measurement: 79.19 GiB device − 78.81 GiB "avail mem" before
# weights in the SGLang docs log (tests/data/validation/measured.yaml, sglang-docs-llama3.1-8b-tp1).
CUDA_CONTEXT_BYTES: Final[int] = round(0.38 * BYTES_PER_GIB)
# NCCL communicators at TP >= 2: vLLM's startup baseline grows from 0.51 GiB (TP1) to 1.51 GiB
# (TP2) in the llm-d logs; SGLang initialises NCCL the same way before measuring.
NCCL_BYTES: Final[int] = round(1.0 * BYTES_PER_GIB)
# (chunked_prefill_size tokens, cuda_graph_max_bs) by GPU memory (server_args.py, current).
_GPU_DEFAULTS: Final[tuple[tuple[int, int, int], ...]] = (
    (20 * 1024, 2048, 8),
    (35 * 1024, 2048, 24),
    (60 * 1024, 4096, 32),
    (90 * 1024, 8192, 256),
    (160 * 1024, 8192, 256),
)
MIN_RESERVED_MIB_LARGE_GPU: Final[int] = 10 * 1024  # clamp for GPUs over 60 GiB


def default_mem_fraction_static(gpu_memory_bytes: int, tp: int, pp: int) -> float:
    gpu_mib = gpu_memory_bytes / BYTES_PER_MIB
    chunk, graph_bs = 16384, 512
    for limit, c, g in _GPU_DEFAULTS:
        if gpu_mib < limit:
            chunk, graph_bs = c, g
            break
    reserved = 512 + max(chunk, 2048) * 1.5 + graph_bs * 2 + tp * pp / 8 * 1024
    if gpu_mib > 60 * 1024:
        reserved = max(reserved, MIN_RESERVED_MIB_LARGE_GPU)
    return round((gpu_mib - reserved) / gpu_mib, 3)


class SGLangMethod:
    id = "sglang"
    label = N_("SGLang (mem_fraction_static)")
    description = N_(
        "SGLang: the KV pool gets free memory × mem_fraction_static minus the weights; the rest "
        "(1 − mem_fraction_static) is kept for activations and CUDA graphs."
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
        tp, pp = deployment.tensor_parallel_size, deployment.pipeline_parallel_size
        kv = kv_dtype(workload.kv_cache_dtype, model.torch_dtype)
        weights, origin = engine_weights_per_stage(model, fmt, tp, pp, checkpoint)
        gpu = deployment.gpu
        context = CUDA_CONTEXT_BYTES + (NCCL_BYTES if tp * pp > 1 else 0)
        device = gpu.memory_bytes if gpu is not None else None
        mfs = settings.mem_fraction_static
        if mfs is None:
            mfs = default_mem_fraction_static(device or 80 * BYTES_PER_GIB, tp, pp)
        free_before = max(0, device - context) if device is not None else None
        reserve = int(free_before * (1 - mfs)) if free_before is not None else 0
        stages, pools, tokens = [], [], []
        has_state = bool(model.state_layer_indices)
        for s, layers in enumerate(pipeline_stages(model.num_hidden_layers, pp)):
            layout = kv_layout(model, kv, tp, layers)
            state = state_bytes_per_request(model, tp, layers)
            stages.append(
                StageCost(
                    weights_bytes=weights[s],
                    activation_reserve_bytes=reserve,
                    overhead_bytes=context,
                    kv_layout=layout,
                    activation_bytes_per_token=0,
                    block_size=1,  # token-granular pool (page size 1)
                    state_bytes_per_sequence=state,
                )
            )
            if free_before is not None:
                rest = max(0, free_before - weights[s] - reserve)
                cell = layout.bytes_per_token
                if state:
                    # Hybrid / state-space models: SGLang keeps the Mamba states in a pool of
                    # their own beside the KV pool (MambaPool, memory_pool.py); both come out of
                    # the same rest, so the planner charges each request its KV and its state.
                    pools.append(rest)
                    per = layout.bytes_for_tokens(workload.context_len)
                    tokens.append(rest * per // (per + state) // cell if cell else 0)
                else:
                    pools.append(rest // cell * cell if cell else 0)
                    tokens.append(rest // cell if cell else 0)
        return Estimate(
            method=self.id,
            workload=workload,
            deployment=deployment,
            stages=tuple(stages),
            parameters=parameter_breakdown(model),
            budget_bytes=device,
            kv_pool_bytes_override=tuple(pools) if device is not None else None,
            kv_tokens_override=tuple(tokens) if device is not None else None,
            notes=(
                Message(
                    "mem_fraction_static {mfs:g}; activations and CUDA graphs live in the reserve",
                    mfs=mfs,
                ),
                *origin.notes,
            )
            + (
                (
                    N_(
                        "SGLang keeps Mamba / linear-attention states in a pool of their own; "
                        "the planner charges each request its state from the same budget"
                    ),
                )
                if has_state
                else ()
            ),
            weights_origin=origin,
            ranges=(
                ComponentRange(
                    name="cuda_context",
                    nominal_bytes=CUDA_CONTEXT_BYTES,
                    low_bytes=round(0.3 * BYTES_PER_GIB),
                    high_bytes=round(0.6 * BYTES_PER_GIB),
                    source="CUDA context before SGLang measures free memory",
                ),
            ),
            details=(
                (N_("reserve (1 − mem_fraction_static) × free"), reserve),
                (N_("CUDA context (+ NCCL)"), context),
            ),
        )
