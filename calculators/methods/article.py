"""The source article's method: four components, activations and KV linear in concurrency.

Per GPU of each pipeline stage (C = concurrency, L = context, B = batch per request):

    weights     = Σ_groups params × bits / 8            (article: N × original / quant_factor)
    KV          = C × B × 2 × layers × kv_heads × head_dim × L × kv_bytes
    activations = C × B × hidden × L × layers × act_bytes  (every layer's output resident)
    overhead    = α × weights                            (α = 0.10–0.20)
    total       = weights + KV + activations + overhead

The KV term uses KV heads (grouped-query attention), the published head_dim, MLA latents and
sliding windows where the model has them: for a plain multi-head model that is the article's
formula exactly. The activation term is the article's conservative upper bound; engines reserve
a flat activation peak instead (see the vllm, sglang and llamacpp methods).
"""

from __future__ import annotations

from calculators.checkpoint import CheckpointWeights, stage_weights
from calculators.estimate import Estimate, StageCost
from calculators.formats import WeightFormat, dtype_bytes, kv_dtype
from calculators.kv_cache import kv_layout
from calculators.messages import N_
from calculators.methods.base import EngineSettings, check_parallelism
from calculators.overhead import overhead_bytes
from calculators.params import parameter_breakdown
from calculators.spec import Deployment, ModelSpec, Workload
from calculators.state import state_bytes_per_request
from calculators.weights import pipeline_stages

ARTICLE_DEFAULT_UTILIZATION = 1.0  # the article budgets the whole device (no engine reserve)


class ArticleMethod:
    id = "article"
    label = N_("Article (conservative)")
    description = N_(
        "The source article's formulas: weights + KV + activations + α × weights, KV and "
        "activations growing with every concurrent request."
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
        act_bytes = dtype_bytes(model.torch_dtype)
        weights, origin = stage_weights(model, fmt, tp, pp, checkpoint)
        stages = []
        for s, layers in enumerate(pipeline_stages(model.num_hidden_layers, pp)):
            stages.append(
                StageCost(
                    weights_bytes=weights[s],
                    activation_reserve_bytes=0,
                    overhead_bytes=overhead_bytes(weights[s], settings.overhead_fraction),
                    kv_layout=kv_layout(model, kv, tp, layers),
                    activation_bytes_per_token=model.hidden_size * len(layers) * act_bytes,
                    state_bytes_per_sequence=state_bytes_per_request(model, tp, layers),
                )
            )
        budget = None
        if deployment.gpu is not None:
            util = settings.gpu_memory_utilization or ARTICLE_DEFAULT_UTILIZATION
            budget = int(deployment.gpu.memory_bytes * util)
        return Estimate(
            method=self.id,
            workload=workload,
            deployment=deployment,
            stages=tuple(stages),
            parameters=parameter_breakdown(model),
            budget_bytes=budget,
            notes=(
                N_(
                    "activations are the article's upper bound (all layers resident, × concurrency)"
                ),
                *origin.notes,
            ),
            weights_origin=origin,
        )
