"""llama.cpp's allocation: exact buffers sized at startup, no profiling.

* Weights: the GGUF tensors, split by layer over the GPUs; the token embedding stays in host
  memory (the ``CPU_Mapped`` buffer in the logs), unless it doubles as the output matrix.
* KV cache: ``n_ctx`` cells allocated up front and shared by the ``--parallel`` slots, so a user
  who wants each of P slots to hold L tokens passes ``-c P×L`` (Ollama multiplies ``num_ctx`` by
  ``num_parallel`` the same way). Bytes = cells × Σ_layers (K + V row bytes), f16 = 2 B,
  q8_0 = 34 B / 32, q4_0 = 18 B / 32 (llama-kv-cache.cpp). Sliding-window layers hold
  ``n_swa × P + n_ubatch`` cells (llama-kv-cache-iswa.cpp); the planner counts n_swa per request.
* Compute buffer (graph reserve for ``n_ubatch`` tokens): the logits ``n_vocab × n_ubatch × 4 B``,
  plus, without flash attention, the KQ matrix ``4 B × n_kv × n_ubatch × n_head`` (llama-graph.cpp).
  Checks: Qwen3-30B-A3B, n_ubatch 512, FA on: 296.8 MiB predicted vs 300.75 logged.
"""

from __future__ import annotations

from typing import Final

from calculators.checkpoint import CheckpointWeights, stage_weights
from calculators.estimate import ComponentRange, Estimate, StageCost
from calculators.formats import WeightFormat, kv_dtype
from calculators.kv_cache import kv_layout
from calculators.messages import N_, Message
from calculators.methods.base import EngineSettings
from calculators.params import parameter_breakdown
from calculators.spec import Deployment, ModelSpec, SpecError, Workload
from calculators.state import state_bytes_per_request
from calculators.units import BYTES_PER_GIB
from calculators.weights import pipeline_stages, weight_groups

LOGITS_BYTES_PER_VOCAB_TOKEN: Final[int] = 4  # fp32 logits per vocabulary entry and ubatch token
KQ_BYTES: Final[int] = 4  # fp32 KQ scores per (cell, token, head) without flash attention
# CUDA context of the process (not printed by llama.cpp): vLLM's startup baseline at TP1 (0.51 GiB)
# is the upper end; a bare CUDA context is ~0.25 GiB. Unit: GiB.
CUDA_CONTEXT_GIB: Final[float] = 0.35
CUDA_CONTEXT_RANGE_GIB: Final[tuple[float, float]] = (0.25, 0.51)
KV_CELL_PADDING: Final[int] = 256  # n_ctx is padded to a multiple of 256 cells
# Recurrent (Mamba / linear-attention) state: llama.cpp keeps the conv (r) and SSM (s) states in
# f32, one set per sequence slot (llama-model.cpp create_memory: recurrent_type_r/_s GGML_TYPE_F32,
# recurrent_rs_size = max(1, n_seq_max)).
RECURRENT_STATE_BYTES: Final[int] = 4


class LlamaCppMethod:
    id = "llamacpp"
    label = N_("llama.cpp (GGUF, fixed n_ctx)")
    description = N_(
        "llama.cpp: GGUF weights split by layer, KV for n_ctx = slots × context allocated up "
        "front, and a compute buffer for n_ubatch tokens."
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
        n_gpu = deployment.gpus_per_replica  # llama.cpp splits layers over all its GPUs
        if n_gpu > model.num_hidden_layers:
            raise SpecError(
                Message(
                    "GPU count: {n_gpu} GPUs for {num_hidden_layers} layers",
                    n_gpu=n_gpu,
                    num_hidden_layers=model.num_hidden_layers,
                )
            )
        kv = kv_dtype(workload.kv_cache_dtype if workload.kv_cache_dtype != "auto" else "fp16")
        stage_bytes, origin = stage_weights(model, fmt, 1, n_gpu, checkpoint)
        weights = list(stage_bytes)
        if not model.tie_word_embeddings:  # token_embd stays on the host
            weights[0] -= (
                checkpoint.embedding_bytes
                if checkpoint is not None and origin.used == "checkpoint"
                else weight_groups(model, fmt).embedding_bytes
            )
        ubatch = settings.n_ubatch
        compute = model.vocab_size * ubatch * LOGITS_BYTES_PER_VOCAB_TOKEN
        kq_per_token = (
            0 if settings.flash_attention else KQ_BYTES * ubatch * model.num_attention_heads
        )
        context = round(CUDA_CONTEXT_GIB * BYTES_PER_GIB)
        stages = []
        for s, layers in enumerate(pipeline_stages(model.num_hidden_layers, n_gpu)):
            stages.append(
                StageCost(
                    weights_bytes=max(0, weights[s]),
                    activation_reserve_bytes=compute,
                    overhead_bytes=context,
                    kv_layout=kv_layout(model, kv, 1, layers),
                    activation_bytes_per_token=kq_per_token,
                    block_size=1,
                    state_bytes_per_sequence=state_bytes_per_request(
                        model, 1, layers, RECURRENT_STATE_BYTES
                    ),
                )
            )
        slots = settings.parallel or workload.concurrency
        cells = -(-workload.context_len * slots // KV_CELL_PADDING) * KV_CELL_PADDING
        return Estimate(
            method=self.id,
            workload=workload,
            deployment=Deployment(1, n_gpu, deployment.data_parallel_size, deployment.gpu),
            stages=tuple(stages),
            parameters=parameter_breakdown(model),
            budget_bytes=None if deployment.gpu is None else deployment.gpu.memory_bytes,
            reserves_full_context=True,
            notes=(
                Message(
                    "start with -c {cells} --parallel {slots} for {slots} slots of {ctx} tokens",
                    cells=cells,
                    slots=slots,
                    ctx=workload.context_len,
                ),
                N_("KV is allocated for every slot at start, used or not"),
                *origin.notes,
            ),
            weights_origin=origin,
            ranges=(
                ComponentRange(
                    name="cuda_context",
                    nominal_bytes=context,
                    low_bytes=round(CUDA_CONTEXT_RANGE_GIB[0] * BYTES_PER_GIB),
                    high_bytes=round(CUDA_CONTEXT_RANGE_GIB[1] * BYTES_PER_GIB),
                    source="a bare CUDA context to vLLM's TP1 startup baseline",
                ),
            ),
            details=((N_("compute buffer (n_ubatch)"), compute), (N_("KV cells (-c)"), cells)),
        )
