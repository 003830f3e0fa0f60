"""The formulas behind the current view, with the current values plugged in (Markdown text).

Only numbers and names from presets/format tables appear here; user-typed text never does.
"""

from __future__ import annotations

from calculators import format_bytes, kv_dtype, parameter_breakdown, weight_format
from calculators.formats import dtype_bytes
from calculators.kv_cache import kv_heads_per_gpu
from dashboard.i18n import _, tr
from dashboard.view import View


def formulas_markdown(view: View) -> str:
    s = view.state
    m = view.model
    u = s.unit
    est = view.estimate
    b = est.per_gpu
    fmt = weight_format(s.weights)
    kv = kv_dtype(s.kv, m.torch_dtype)
    pb = parameter_breakdown(m)
    kv_bytes = float(kv.bits) / 8
    layers = len(m.attention_layer_indices)  # layers that keep per-token KV
    layers = layers // s.pp if s.pp > 1 else layers
    unit_text = _("2^30 bytes.") if u == "GiB" else _("10^9 bytes.")
    weights = _(
        "**Weights** = Σ parameters × bits / 8 = {params:,} params; linear layers at {bits:g} bits "
        "(the article's quantization factor {factor:.2f} from FP32), embeddings at {emb:g} bits"
    ).format(
        params=pb.total,
        bits=float(fmt.linear_bits),
        factor=float(fmt.quant_factor),
        emb=float(fmt.embedding_bits),
    )
    if s.tp > 1:
        weights += _(", split over {n} GPUs").format(n=s.tp)
    lines = [
        _("All figures are **per GPU** (TP {tp} × PP {pp}); {unit} = ").format(
            tp=s.tp, pp=s.pp, unit=u
        )
        + unit_text,
        "",
        weights + f" = **{format_bytes(b.weights_bytes, u)}**",
    ]
    if m.is_mla:
        lines.append(
            _(
                "**KV cache** (MLA) = C × batch × layers × (kv_lora_rank + qk_rope_head_dim) × "
                "context × bytes"
            )
            + f" = {s.conc} × {s.batch} × {layers} × ({m.kv_lora_rank} + {m.qk_rope_head_dim}) × "
            f"{s.ctx:,} × {kv_bytes:g} = **{format_bytes(b.kv_cache_bytes, u)}**"
        )
    else:
        lines.append(
            _("**KV cache** = C × batch × 2 × layers × KV heads × head_dim × context × bytes")
            + f" = {s.conc} × {s.batch} × 2 × {layers} × {kv_heads_per_gpu(m, s.tp)} × "
            f"{m.effective_head_dim} × {s.ctx:,} × {kv_bytes:g}"
            + (_(" (sliding-window layers hold at most their window)") if m.layer_types else "")
            + f" = **{format_bytes(b.kv_cache_bytes, u)}**"
        )
    if b.state_bytes:
        lines.append(
            _(
                "**State (Mamba/linear attention)** = C × batch × {layers} state layers × a "
                "constant state per request (vLLM's state shapes)"
            ).format(layers=len(m.state_layer_indices))
            + f" = **{format_bytes(b.state_bytes, u)}**"
        )
    if s.method == "article":
        lines.append(
            _(
                "**Activations** (article: all layers resident) = C × hidden × context × batch × "
                "layers × bytes"
            )
            + f" = {s.conc} × {m.hidden_size} × {s.ctx:,} × {s.batch} × {layers} × "
            f"{dtype_bytes(m.torch_dtype)} = **{format_bytes(b.activation_bytes, u)}**"
        )
        lines.append(
            _("**Overhead** = α × weights")
            + f" = {s.alpha:g} × {format_bytes(b.weights_bytes, u)} = "
            f"**{format_bytes(b.overhead_bytes, u)}**"
        )
    else:
        lines.append(
            _("**Activations** (engine's profiled peak, flat in concurrency)")
            + f" = **{format_bytes(b.activation_bytes, u)}**"
        )
        lines.append(
            _("**Overhead** (non-torch memory, CUDA graphs where subtracted)")
            + f" = **{format_bytes(b.overhead_bytes, u)}**"
        )
        for name, value in est.details:
            lines.append(f"- {tr(name)}: {format_bytes(value, u)}")
    lines.append(
        _("**Total** = **{total}** at {n} concurrent requests.").format(
            total=format_bytes(b.total_bytes, u), n=s.conc
        )
    )
    for fit in view.fits:
        lines.append(
            _(
                "- {gpu}: usable {usable} → (usable − fixed) ÷ per-request = max **{max:,.1f}** "
                "requests of {ctx:,} tokens"
            ).format(
                gpu=fit.gpu.name,
                usable=format_bytes(fit.budget_bytes, u),
                max=fit.max_concurrency,
                ctx=s.ctx,
            )
        )
    return "\n\n".join(lines)
