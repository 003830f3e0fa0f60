"""Command line: ``python -m calculators estimate|plan|speed|formats|models|gpus [--json]``.

This is the edge of the package: it reads files (a config.json, preset YAML through the
``presets`` package, imported only here) and prints JSON or text. Bad arguments exit with status 2
and one line naming the problem, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from calculators import (
    KV_DTYPES,
    METHODS,
    WEIGHT_FORMATS,
    Deployment,
    EngineSettings,
    GPUSpec,
    ModelSpec,
    SpecError,
    Workload,
    declared_parameter_problem,
    estimate,
    format_bytes,
    kv_dtype,
    kv_layout,
    parameter_breakdown,
    parse_config_json,
)
from calculators.config import MAX_CONFIG_BYTES
from calculators.planning import GPUS_PER_NODE, Target, format_ladder, longest_context, plan
from calculators.units import BYTES_PER_GIB

MAX_ARG_LEN = 500


class UsageError(Exception):
    """A bad argument: printed as one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def _text_arg(value: str) -> str:
    if len(value) > MAX_ARG_LEN:
        raise argparse.ArgumentTypeError(f"longer than {MAX_ARG_LEN} characters")
    if any(ord(c) < 32 for c in value):
        raise argparse.ArgumentTypeError("contains control characters")
    return value


def _int_arg(lo: int, hi: int) -> Any:
    def parse(value: str) -> int:
        _text_arg(value)
        try:
            v = int(value.replace("_", ""))
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r:.60} is not a whole number") from None
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{v} is outside {lo}..{hi}")
        return v

    return parse


def _float_arg(lo: float, hi: float) -> Any:
    def parse(value: str) -> float:
        _text_arg(value)
        try:
            v = float(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{value!r:.60} is not a number") from None
        if not math.isfinite(v):
            raise argparse.ArgumentTypeError(f"{value!r} is not a finite number")
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{v} is outside {lo}..{hi}")
        return v

    return parse


def _params_arg(value: str) -> int:
    """A parameter count: 72000000000, 72e9, 72B or 7.2b."""
    _text_arg(value)
    v = value.strip().lower().replace("_", "").replace(",", "")
    scale = 1.0
    if v.endswith("b"):
        v, scale = v[:-1], 1e9
    elif v.endswith("m"):
        v, scale = v[:-1], 1e6
    try:
        n = float(v) * scale
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r:.60} is not a parameter count (e.g. 72e9 or 72B)"
        ) from None
    if not math.isfinite(n) or not 1 <= n <= 1e15:
        raise argparse.ArgumentTypeError(f"{value!r:.60} is outside 1..1e15 parameters")
    return round(n)


def _add_common_args(p: argparse.ArgumentParser) -> None:
    """Model, workload, method and engine settings: shared by ``estimate`` and ``plan``."""
    p.add_argument("--json", action="store_true", help="print JSON (integers in bytes)")
    p.add_argument(
        "--method",
        default="article",
        choices=sorted(METHODS),
        help="estimation method (default: article)",
    )
    src = p.add_argument_group(
        "model (one of --config, --hf, --gguf, --model, or --params with the architecture)"
    )
    src.add_argument(
        "--config",
        type=_text_arg,
        help="a Hugging Face config.json, or a model folder (config.json + *.safetensors)",
    )
    src.add_argument(
        "--hf", type=_text_arg, metavar="ORG/NAME[@REV]", help="a Hugging Face Hub model id"
    )
    src.add_argument("--gguf", type=_text_arg, metavar="FILE", help="a local GGUF file")
    src.add_argument("--model", type=_text_arg, help="a model preset id (see `models`)")
    src.add_argument("--params", type=_params_arg, help="parameter count by hand, e.g. 72e9 or 72B")
    src.add_argument("--layers", type=_int_arg(1, 10_000))
    src.add_argument("--hidden-size", type=_int_arg(1, 1_000_000))
    src.add_argument("--heads", type=_int_arg(1, 100_000))
    src.add_argument("--kv-heads", type=_int_arg(1, 100_000))
    src.add_argument("--head-dim", type=_int_arg(1, 1_000_000))
    src.add_argument("--vocab-size", type=_int_arg(0, 10_000_000), default=0)
    src.add_argument(
        "--dtype",
        default="float16",
        choices=["float16", "bfloat16", "float32"],
        help="compute dtype of a hand-entered model",
    )
    p.add_argument(
        "--weights", default=None, type=_text_arg, help="weight format id (see `formats`)"
    )
    p.add_argument(
        "--kv-dtype", default="auto", type=_text_arg, help=f"auto or one of {', '.join(KV_DTYPES)}"
    )
    p.add_argument(
        "--context",
        type=_int_arg(1, 100_000_000),
        default=8192,
        help="tokens per request (max_model_len)",
    )
    p.add_argument(
        "--avg-tokens",
        type=_int_arg(1, 100_000_000),
        help="average prompt+output tokens per request",
    )
    p.add_argument("--concurrency", type=_int_arg(1, 10_000_000), default=1)
    p.add_argument(
        "--batch", type=_int_arg(1, 10_000_000), default=1, help="the article's batch per request"
    )
    p.add_argument(
        "--overhead-fraction",
        type=_float_arg(0.0, 1.0),
        default=0.15,
        help="article's α (0.10-0.20)",
    )
    eng = p.add_argument_group("engine settings (vllm, sglang, llamacpp methods)")
    eng.add_argument("--engine-version", type=_text_arg)
    eng.add_argument("--gpu-memory-utilization", type=_float_arg(0.01, 1.0))
    eng.add_argument("--max-num-batched-tokens", type=_int_arg(1, 10_000_000))
    eng.add_argument("--max-num-seqs", type=_int_arg(1, 1_000_000))
    eng.add_argument("--mem-fraction-static", type=_float_arg(0.01, 1.0))
    eng.add_argument("--parallel", type=_int_arg(1, 100_000), help="llama.cpp --parallel slots")
    eng.add_argument("--block-size", type=_int_arg(1, 4096), default=16)
    eng.add_argument(
        "--n-ubatch", type=_int_arg(1, 1_000_000), default=512, help="llama.cpp micro-batch tokens"
    )
    eng.add_argument(
        "--flash-attn", choices=["on", "off"], default="on", help="llama.cpp flash attention"
    )
    p.add_argument("--presets", type=_text_arg, help="directory of extra preset YAML files")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m calculators", description="LLM serving memory planner (bytes, GiB = 2^30)."
    )
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser)

    e = sub.add_parser("estimate", help="memory per GPU and capacity for one configuration")
    _add_common_args(e)
    e.add_argument("--tp", type=_int_arg(1, 4096), default=None, help="tensor-parallel size")
    e.add_argument("--pp", type=_int_arg(1, 4096), default=1, help="pipeline-parallel size")
    e.add_argument("--gpu", type=_text_arg, help="a GPU preset id (see `gpus`)")
    e.add_argument(
        "--gpu-memory-gib",
        type=_float_arg(0.0625, 1_048_576.0),
        help="GPU memory in GiB instead of a preset",
    )
    e.add_argument(
        "--gpus", type=_int_arg(1, 100_000), help="GPUs in total (replicas = gpus / (tp x pp))"
    )
    e.add_argument(
        "--solve",
        choices=["context", "format"],
        help="context: the longest context at --concurrency on this setup; format: weight "
        "formats and KV dtypes from the highest precision down, the best that holds the target",
    )

    pl = sub.add_parser(
        "plan", help="the smallest TP x PP x replicas setup per GPU type for a target"
    )
    _add_common_args(pl)
    pl.add_argument(
        "--gpu",
        type=_text_arg,
        action="append",
        help="a GPU preset id to plan for (repeat; default: every GPU preset)",
    )
    pl.add_argument(
        "--price",
        type=_price_arg,
        action="append",
        metavar="GPU=PRICE",
        help="price per GPU-hour for a GPU preset, e.g. h100-sxm-80gb=2.50 (repeat); "
        "overrides the preset's price_per_gpu_hour",
    )
    pl.add_argument(
        "--max-tp",
        type=_int_arg(1, 4096),
        default=GPUS_PER_NODE,
        help=f"largest tensor-parallel size (default {GPUS_PER_NODE}: one node)",
    )

    sp = sub.add_parser("speed", help="TTFT, TPOT and throughput vs concurrency (speed model)")
    sp.add_argument("--json", action="store_true", help="print JSON (times in ms)")
    sp.add_argument("--model", type=_text_arg, help="a model preset id (see `models`)")
    sp.add_argument("--config", type=_text_arg, help="path to a Hugging Face config.json")
    sp.add_argument("--gpu", type=_text_arg, required=True, help="a GPU preset id (see `gpus`)")
    sp.add_argument("--tp", type=_int_arg(1, 4096), default=1, help="tensor-parallel size")
    sp.add_argument("--pp", type=_int_arg(1, 4096), default=1, help="pipeline-parallel size")
    sp.add_argument("--weights", type=_text_arg, help="weight format id (see `formats`)")
    sp.add_argument(
        "--kv-dtype", default="auto", type=_text_arg, help=f"auto or one of {', '.join(KV_DTYPES)}"
    )
    sp.add_argument("--method", choices=["vllm", "sglang", "llamacpp"], default="vllm")
    sp.add_argument("--input-tokens", type=_int_arg(1, 10_000_000), default=1024)
    sp.add_argument("--output-tokens", type=_int_arg(1, 10_000_000), default=1024)
    sp.add_argument(
        "--concurrency",
        type=_int_arg(1, 1_000_000),
        nargs="+",
        default=[1],
        help="concurrent users (one or more values)",
    )
    sp.add_argument(
        "--scenario",
        choices=["serving", "static"],
        default="serving",
        help="serving: steady state of C users; static: one batch of C prompts started together",
    )
    sp.add_argument("--presets", type=_text_arg, help="directory of extra preset YAML files")

    f = sub.add_parser("formats", help="list weight formats and KV dtypes")
    f.add_argument("--json", action="store_true")
    for name, text in (("models", "list model presets"), ("gpus", "list GPU presets")):
        s = sub.add_parser(name, help=text)
        s.add_argument("--json", action="store_true")
        s.add_argument("--presets", type=_text_arg, help="directory of extra preset YAML files")
    return p


def _catalog(presets_dir: str | None) -> Any:
    from presets import load_builtin_catalog  # the edge may read YAML; the calculators never do

    if presets_dir is not None and not Path(presets_dir).is_dir():
        raise UsageError(f"--presets: {presets_dir!r} is not a directory")
    catalog = load_builtin_catalog(presets_dir)
    for err in catalog.errors:
        print(f"warning: preset: {err}", file=sys.stderr)
    return catalog


def _read_config(path_text: str) -> ModelSpec:
    path = Path(path_text)
    if not path.is_file():
        raise UsageError(f"--config: {path_text!r} is not a readable file")
    size = path.stat().st_size
    if size > MAX_CONFIG_BYTES:
        raise UsageError(
            f"--config: {path_text!r} is {size:,} bytes, over the {MAX_CONFIG_BYTES:,}-byte limit"
        )
    try:
        data = path.read_bytes()
    except OSError as e:
        raise UsageError(f"--config: cannot read {path_text!r} ({e.strerror})") from None
    try:
        return parse_config_json(data, fallback_name=path.parent.name or path.name)
    except SpecError as e:
        raise UsageError(f"--config {path_text!r}: {e}") from None
    except (ValueError, ArithmeticError, RecursionError) as e:  # the reader's own limits
        raise UsageError(
            f"--config {path_text!r}: cannot be read ({type(e).__name__}: {str(e)[:120]})"
        ) from None


_WHAT = {
    "config": "path to a config.json or a model folder",
    "hf": "Hugging Face id (org/name)",
    "gguf": "path to a GGUF file",
    "model": "model preset id (see `models`)",
}


def _loaded(args: argparse.Namespace) -> Any:
    """A model from a config.json, a folder, the Hub or a GGUF file (``model_sources``, imported
    only here: the calculators never touch files or the network), or None for the other sources."""
    from model_sources import SourceError
    from model_sources.folder import default_format_of_config

    try:
        if args.config is not None:
            path = Path(args.config)
            if path.is_dir():
                from model_sources.folder import load_folder

                return load_folder(path)
            spec = _read_config(args.config)
            return default_format_of_config(spec, path, f"--config {args.config!r:.120}")
        if args.hf is not None:
            from model_sources.hub import load_hub_model

            return load_hub_model(args.hf)
        if args.gguf is not None:
            from model_sources.gguf_file import load_gguf

            return load_gguf(Path(args.gguf))
    except SourceError as e:
        raise UsageError(str(e)) from None
    return None


def _model(args: argparse.Namespace) -> tuple[ModelSpec, str, Any]:
    """(model, default weight format, the source's LoadedModel or None)."""
    sources = ("config", "hf", "gguf", "model", "params")
    chosen = [n for n in sources if getattr(args, n) is not None]
    if len(chosen) != 1:
        raise UsageError("give exactly one of --config, --hf, --gguf, --model or --params")
    for flag in chosen:
        if not getattr(args, flag) and flag != "params":
            raise UsageError(f"--{flag}: empty; give a {_WHAT[flag]}")
    loaded = _loaded(args)
    if loaded is not None:
        if loaded.default_weight_format is None and args.weights is None:
            raise UsageError(f"{loaded.source}: {loaded.notes[-1]} (--weights)")
        return loaded.spec, loaded.default_weight_format or "bf16", loaded
    if args.model is not None:
        catalog = _catalog(args.presets)
        preset = catalog.models.get(args.model)
        if preset is None:
            raise UsageError(
                f"--model: unknown preset {args.model!r:.80}; see `python -m calculators models`"
            )
        return preset.spec, preset.default_weight_format, None
    missing = [
        f"--{n.replace('_', '-')}"
        for n in ("layers", "hidden_size", "heads")
        if getattr(args, n) is None
    ]
    if missing:
        raise UsageError(f"--params needs {', '.join(missing)}")
    try:
        spec = ModelSpec(
            num_hidden_layers=args.layers,
            hidden_size=args.hidden_size,
            num_attention_heads=args.heads,
            num_key_value_heads=args.kv_heads or args.heads,
            head_dim=args.head_dim,
            vocab_size=args.vocab_size,
            num_parameters=args.params,
            torch_dtype=args.dtype,
            max_position_embeddings=max(args.context, 1),
            name="custom model",
        )
    except SpecError as e:
        raise UsageError(str(e)) from None
    return spec, "fp16" if args.dtype == "float16" else "bf16", None


def _gpu(args: argparse.Namespace) -> GPUSpec | None:
    if args.gpu and args.gpu_memory_gib:
        raise UsageError("give --gpu or --gpu-memory-gib, not both")
    if args.gpu is not None:
        if not args.gpu:
            raise UsageError("--gpu: empty; give a GPU preset id (see `gpus`)")
        catalog = _catalog(args.presets)
        preset = catalog.gpus.get(args.gpu)
        if preset is None:
            raise UsageError(
                f"--gpu: unknown preset {args.gpu!r:.80}; see `python -m calculators gpus`"
            )
        return preset.spec  # type: ignore[no-any-return]
    if args.gpu_memory_gib:
        return GPUSpec(
            id="custom",
            name=f"{args.gpu_memory_gib:g} GiB GPU",
            memory_bytes=round(args.gpu_memory_gib * BYTES_PER_GIB),
        )
    return None


def _fmt_id(args: argparse.Namespace, default_fmt: str) -> str:
    fmt = str(args.weights or default_fmt)
    if fmt.lower() not in WEIGHT_FORMATS:
        raise UsageError(
            f"--weights: unknown format {fmt!r:.60}; choose one of {', '.join(WEIGHT_FORMATS)}"
        )
    return fmt.lower()


def _check_kv(args: argparse.Namespace, model: ModelSpec) -> None:
    try:
        kv_dtype(args.kv_dtype, model.torch_dtype)
    except ValueError as e:
        raise UsageError(f"--kv-dtype: {e}") from None


def _settings(args: argparse.Namespace) -> EngineSettings:
    return EngineSettings(
        overhead_fraction=args.overhead_fraction,
        gpu_memory_utilization=args.gpu_memory_utilization,
        engine_version=args.engine_version,
        max_num_batched_tokens=args.max_num_batched_tokens,
        max_num_seqs=args.max_num_seqs,
        block_size=args.block_size,
        mem_fraction_static=args.mem_fraction_static,
        parallel=args.parallel,
        n_ubatch=args.n_ubatch,
        flash_attention=args.flash_attn == "on",
    )


def _warn_declared(model: ModelSpec) -> None:
    problem = declared_parameter_problem(model)
    if problem:
        print(f"warning: {problem}", file=sys.stderr)


def _estimate_inputs(
    args: argparse.Namespace,
) -> tuple[ModelSpec, str, Workload, Deployment, EngineSettings, Any]:
    """Model, format, workload, deployment, settings, and the source's LoadedModel (or None)."""
    model, default_fmt, loaded = _model(args)
    _warn_declared(model)
    fmt = _fmt_id(args, default_fmt)
    _check_kv(args, model)
    pp = args.pp
    tp = args.tp
    gpus = args.gpus
    if tp is None:
        tp = max(1, (gpus or pp) // pp) if gpus else 1
    if gpus is None:
        gpus = tp * pp
    if gpus % (tp * pp):
        raise UsageError(f"--gpus {gpus} is not a multiple of tp x pp = {tp * pp}")
    try:
        deployment = Deployment(
            tensor_parallel_size=tp,
            pipeline_parallel_size=pp,
            data_parallel_size=gpus // (tp * pp),
            gpu=_gpu(args),
        )
        workload = Workload(
            context_len=args.context,
            concurrency=args.concurrency,
            batch_size=args.batch,
            kv_cache_dtype=args.kv_dtype,
            avg_tokens=args.avg_tokens,
        )
        settings = _settings(args)
    except (SpecError, ValueError) as e:
        raise UsageError(str(e)) from None
    return model, fmt, workload, deployment, settings, loaded


def cmd_estimate(args: argparse.Namespace) -> dict[str, Any]:
    model, fmt, workload, deployment, settings, loaded = _estimate_inputs(args)
    try:
        checkpoint = None if loaded is None else loaded.checkpoint
        est = estimate(
            model, fmt, workload, deployment, settings, method=args.method, checkpoint=checkpoint
        )
        out = est.to_dict()
    except (SpecError, ValueError) as e:
        raise UsageError(str(e)) from None
    if loaded is not None:
        out["source"] = loaded.source
        out["notes"] = [*loaded.notes, *est.notes]
        if loaded.checkpoint is not None:
            out["checkpoint"] = loaded.checkpoint.as_dict()
    out["model"] = model.name
    out["weights_format"] = fmt
    out["kv_cache_dtype"] = kv_dtype(args.kv_dtype, model.torch_dtype).id
    return out


def cmd_solve(args: argparse.Namespace) -> dict[str, Any]:
    """``estimate --solve context|format``: the setup is given, the answer is solved for (weights
    from the architecture: the solvers compare formats, so a checkpoint's bytes are not used)."""
    model, fmt, workload, deployment, settings, _ = _estimate_inputs(args)
    if deployment.gpu is None:
        raise UsageError(f"--solve {args.solve}: give --gpu or --gpu-memory-gib")
    try:
        if args.solve == "context":
            fit = longest_context(
                model,
                fmt,
                workload.concurrency,
                deployment,
                settings,
                args.method,
                workload.kv_cache_dtype,
                workload.batch_size,
            )
            out: dict[str, Any] = fit.as_dict()
        else:
            target = Target(
                concurrency=workload.concurrency,
                context_len=workload.context_len,
                avg_tokens=workload.avg_tokens,
                kv_cache_dtype=workload.kv_cache_dtype,
                batch_size=workload.batch_size,
            )
            out = format_ladder(model, target, deployment, settings, args.method).as_dict()
    except (SpecError, ValueError) as e:
        raise UsageError(str(e)) from None
    out["model"] = model.name
    out["solve"] = args.solve
    out["setup"] = {
        "gpu": deployment.gpu.id,
        "tensor_parallel_size": deployment.tensor_parallel_size,
        "pipeline_parallel_size": deployment.pipeline_parallel_size,
        "replicas": deployment.data_parallel_size,
    }
    if args.solve == "context":
        out["weights_format"] = fmt
        out["kv_cache_dtype"] = kv_dtype(args.kv_dtype, model.torch_dtype).id
    return out


def _price_arg(value: str) -> tuple[str, float]:
    _text_arg(value)
    gpu, sep, price = value.partition("=")
    if not sep or not gpu.strip():
        raise argparse.ArgumentTypeError(f"{value!r:.60} is not GPU=PRICE (e.g. h100-sxm-80gb=2.5)")
    return gpu.strip(), _float_arg(0.0, 1_000_000.0)(price.strip())


def cmd_plan(args: argparse.Namespace) -> dict[str, Any]:
    model, default_fmt, _ = _model(args)
    _warn_declared(model)
    fmt = _fmt_id(args, default_fmt)
    _check_kv(args, model)
    catalog = _catalog(args.presets)
    ids = args.gpu or list(catalog.gpus)
    unknown = [g for g in ids if g not in catalog.gpus]
    if unknown:
        raise UsageError(
            f"--gpu: unknown preset {unknown[0]!r:.80}; see `python -m calculators gpus`"
        )
    prices: dict[str, float] = {
        g.id: g.price_per_gpu_hour
        for g in catalog.gpus.values()
        if g.price_per_gpu_hour is not None
    }
    for gpu_id, price in args.price or []:
        if gpu_id not in catalog.gpus:
            raise UsageError(f"--price: unknown GPU preset {gpu_id!r:.80}")
        prices[gpu_id] = price
    try:
        target = Target(
            concurrency=args.concurrency,
            context_len=args.context,
            avg_tokens=args.avg_tokens,
            kv_cache_dtype=args.kv_dtype,
            batch_size=args.batch,
        )
        result = plan(
            model,
            fmt,
            target,
            [catalog.gpus[g].spec for g in dict.fromkeys(ids)],
            _settings(args),
            args.method,
            prices,
            args.max_tp,
        )
    except (SpecError, ValueError) as e:
        raise UsageError(str(e)) from None
    return result.as_dict()


def _print_plan_text(out: dict[str, Any]) -> None:
    t = out["target"]
    avg = f", {t['avg_tokens']:,} tokens on average" if t["avg_tokens"] else ""
    print(
        f"{out['model']}  weights {out['weights_format']}  KV {out['kv_cache_dtype']}  "
        f"target {t['concurrency']:,} requests of {t['context_len']:,} tokens{avg}"
    )
    print(f"memory model: {out['memory_model']}")
    print(
        f"{'GPU':<24}{'TP':>4}{'PP':>4}{'replicas':>10}{'GPUs':>6}{'reached':>9}"
        f"{'used/GPU':>13}{'headroom':>12}{'cost/h':>10}"
    )
    for s in out["setups"]:
        cost = "" if s["cost_per_hour"] is None else f"{s['cost_per_hour']:.2f}"
        print(
            f"{s['gpu']:<24}{s['tensor_parallel_size']:>4}{s['pipeline_parallel_size']:>4}"
            f"{s['replicas']:>10}{s['total_gpus']:>6}{s['concurrency_reached']:>9}"
            f"{format_bytes(s['used_bytes_per_gpu']):>13}{format_bytes(s['headroom_bytes_per_gpu']):>12}"
            f"{cost:>10}"
        )
    for g in out["not_possible"]:
        print(f"{g['gpu']:<24}  not possible: {g['reason']}")


def _print_solve_text(out: dict[str, Any]) -> None:
    st = out["setup"]
    print(
        f"{out['model']} on {st['gpu']}  TP {st['tensor_parallel_size']}  "
        f"PP {st['pipeline_parallel_size']}  replicas {st['replicas']}"
    )
    print(f"memory model: {out['memory_model']}")
    if out["solve"] == "context":
        line = (
            f"longest context for {out['concurrency']:,} requests: "
            f"{out['max_context_len']:,} tokens (limited by the {out['limited_by']})"
        )
        if out["llamacpp_n_ctx"]:
            line += f"; llama.cpp -c {out['llamacpp_n_ctx']} --parallel {out['per_replica']}"
        print(line)
        return
    best = out["best"]
    print(
        "best: none holds the target"
        if best is None
        else f"best: weights {best['weights_format']}, KV {best['kv_cache_dtype']}"
    )
    for s in out["steps"]:
        print(
            f"  {s['weights_format']:<14}{s['kv_cache_dtype']:<6}"
            f"weights/GPU {format_bytes(s['weights_bytes_per_gpu']):>11}  "
            f"reached {s['concurrency_reached']:>7,}  longest context {s['longest_context_at_target']:>9,}"
            f"  {'holds' if s['holds_target'] else 'short'}"
        )


def cmd_speed(args: argparse.Namespace) -> dict[str, Any]:
    """Speed at each ``--concurrency``; the memory model gives how many requests fit at once."""
    from calculators.speed import speed  # not in the memory CLI's import path

    if (args.model is None) == (args.config is None):
        raise UsageError("give exactly one of --model or --config")
    if args.config:
        model, default_fmt = _read_config(args.config), "bf16"
    else:
        preset = _catalog(args.presets).models.get(args.model)
        if preset is None:
            raise UsageError(
                f"--model: unknown preset {args.model!r:.80}; see `python -m calculators models`"
            )
        model, default_fmt = preset.spec, preset.default_weight_format
    fmt_id = (args.weights or default_fmt).lower()
    if fmt_id not in WEIGHT_FORMATS:
        raise UsageError(
            f"--weights: unknown format {fmt_id!r:.60}; choose one of {', '.join(WEIGHT_FORMATS)}"
        )
    try:
        kv = kv_dtype(args.kv_dtype, model.torch_dtype)
    except ValueError as e:
        raise UsageError(f"--kv-dtype: {e}") from None
    gpu = _gpu(argparse.Namespace(gpu=args.gpu, gpu_memory_gib=None, presets=args.presets))
    assert gpu is not None
    tokens = args.input_tokens + args.output_tokens
    try:
        mem = estimate(
            model,
            fmt_id,
            Workload(context_len=tokens, kv_cache_dtype=args.kv_dtype),
            Deployment(tensor_parallel_size=args.tp, pipeline_parallel_size=args.pp, gpu=gpu),
            method=args.method,
        )
        cap = mem.capacity
        fits = cap.max_concurrent_requests if cap is not None else None
        res = speed(
            model,
            WEIGHT_FORMATS[fmt_id],
            kv,
            gpu,
            args.input_tokens,
            args.output_tokens,
            args.concurrency,
            tp=args.tp,
            pp=args.pp,
            method=args.method,
            scenario=args.scenario,
            max_running=fits if fits else None,
        )
    except (SpecError, ValueError) as e:
        raise UsageError(str(e)) from None
    warnings = list(res.warnings)
    if fits == 0:
        warnings.append(
            f"memory: no request of {tokens:,} tokens fits ({args.method} method); speed is shown "
            "as if memory were unlimited"
        )
    points = [
        {
            "concurrency": int(res.concurrency[i]),
            "running": int(res.running[i]),
            "ttft_ms": float(res.ttft_s[i] * 1000),
            "tpot_ms": float(res.tpot_s[i] * 1000),
            "tokens_per_s_per_user": float(res.tokens_per_s_per_user[i]),
            "output_tokens_per_s": float(res.output_tokens_per_s[i]),
            "e2e_latency_ms": float(res.e2e_latency_s[i] * 1000),
        }
        for i in range(len(res.concurrency))
    ]
    out: dict[str, Any] = {
        "model": model.name,
        "gpu": gpu.id,
        "tensor_parallel_size": args.tp,
        "pipeline_parallel_size": args.pp,
        "weights_format": fmt_id,
        "kv_cache_dtype": kv.id,
        "method": args.method,
        "scenario": args.scenario,
        "input_tokens": args.input_tokens,
        "output_tokens": args.output_tokens,
        "max_concurrency_fits": fits,
        "units": "times in ms; tokens/s count output tokens only",
        "warnings": warnings,
        "points": points,
    }
    if len(points) == 1:
        out.update({k: v for k, v in points[0].items() if k != "concurrency"})
        out["concurrency"] = points[0]["concurrency"]
    return out


def cmd_formats() -> dict[str, Any]:
    return {
        "weight_formats": [
            {
                "id": f.id,
                "label": f.label,
                "bits_per_weight": float(f.linear_bits),
                "embedding_bits": float(f.embedding_bits),
                "lm_head_bits": float(f.lm_head_bits),
                "quant_factor": round(float(f.quant_factor), 4),
                "scope": f.scope,
                "source": f.source,
            }
            for f in WEIGHT_FORMATS.values()
        ],
        "kv_dtypes": [
            {"id": d.id, "label": d.label, "bits": float(d.bits), "source": d.source}
            for d in KV_DTYPES.values()
        ],
    }


def cmd_models(presets_dir: str | None) -> list[dict[str, Any]]:
    catalog = _catalog(presets_dir)
    bf16 = KV_DTYPES["bf16"]
    return [
        {
            "id": m.id,
            "name": m.name,
            "family": m.family,
            "parameters": parameter_breakdown(m.spec).total,
            "official_parameters": m.official_parameters,
            "kv_bytes_per_token": kv_layout(m.spec, bf16).bytes_per_token,
            "native_context": m.native_context,
            "default_weight_format": m.default_weight_format,
            "source": m.source,
        }
        for m in catalog.models.values()
    ]


def cmd_gpus(presets_dir: str | None) -> list[dict[str, Any]]:
    catalog = _catalog(presets_dir)
    return [
        {
            "id": g.id,
            "name": g.name,
            "vendor": g.vendor,
            "memory_marketed": g.memory_marketed,
            "memory_bytes": g.memory_bytes,
            "bandwidth_gb_s": g.bandwidth_gb_s,
            "source": g.source,
        }
        for g in catalog.gpus.values()
    ]


def _print_estimate_text(out: dict[str, Any]) -> None:
    pg = out["per_gpu"]
    print(
        f"{out['model']}  weights {out['weights_format']}  KV {out['kv_cache_dtype']}  method {out['method']}"
    )
    w = out["workload"]
    print(
        f"context {w['context_len']:,} tokens  concurrency {w['concurrency']}  batch {w['batch_size']}"
    )
    for key in (
        "weights_bytes",
        "kv_cache_bytes",
        "activation_bytes",
        "overhead_bytes",
        "total_bytes",
    ):
        print(
            f"  {key.replace('_bytes', ''):<12}{format_bytes(pg[key], 'GiB'):>14}{format_bytes(pg[key], 'GB'):>14}"
        )
    origin = out.get("weights_origin")
    if origin and origin["from_checkpoint_bytes"] is not None:
        print(
            f"weights: from the checkpoint {format_bytes(origin['from_checkpoint_bytes'], 'GiB')}, "
            f"from the architecture {format_bytes(origin['from_architecture_bytes'], 'GiB')} "
            f"(whole model); the estimate uses the {origin['used']}"
        )
    for note in out.get("notes", []):
        print(f"note: {note}")
    cap = out.get("capacity")
    if cap:
        print(
            f"budget {format_bytes(cap['budget_bytes'])}  KV pool {format_bytes(cap['kv_pool_bytes'])}  "
            f"KV tokens {cap['kv_tokens']:,}  max concurrency {cap['max_concurrency']:.2f}"
        )
    for note in out.get("notes", []):
        print(f"note: {note}")


def _emit(data: object, as_json: bool, lines: list[str]) -> None:
    """Print ``data`` as JSON, or the human-readable ``lines``."""
    print(json.dumps(data, indent=2) if as_json else "\n".join(lines))


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command == "estimate" and args.solve:
            out: Any = cmd_solve(args)
            if args.json:
                print(json.dumps(out, indent=2))
            else:
                _print_solve_text(out)
        elif args.command == "estimate":
            out = cmd_estimate(args)
            if args.json:
                print(json.dumps(out, indent=2))
            else:
                _print_estimate_text(out)
        elif args.command == "plan":
            out = cmd_plan(args)
            if args.json:
                print(json.dumps(out, indent=2))
            else:
                _print_plan_text(out)
        elif args.command == "speed":
            sp = cmd_speed(args)
            lines = (
                [
                    f"{sp['model']}  {sp['weights_format']} on {sp['tensor_parallel_size']} x "
                    f"{sp['gpu']}  {sp['method']}  {sp['input_tokens']:,} in / "
                    f"{sp['output_tokens']:,} out  (fits: {sp['max_concurrency_fits']} requests)"
                ]
                + [
                    f"  C={p['concurrency']:<6} TTFT {p['ttft_ms']:9.1f} ms  TPOT {p['tpot_ms']:7.2f} ms  "
                    f"{p['tokens_per_s_per_user']:7.1f} tok/s/user  {p['output_tokens_per_s']:9.0f} tok/s"
                    for p in sp["points"]
                ]
                + [f"warning: {w}" for w in sp["warnings"]]
            )
            _emit(sp, args.json, lines)
        elif args.command == "formats":
            _emit(
                cmd_formats(),
                args.json,
                [
                    f"{f.id:<15} {float(f.linear_bits):>8.4f} bpw  factor {float(f.quant_factor):.2f}  {f.label}"
                    for f in WEIGHT_FORMATS.values()
                ],
            )
        elif args.command == "models":
            rows = cmd_models(args.presets)
            _emit(
                rows,
                args.json,
                [
                    f"{r['id']:<50} {r['parameters'] / 1e9:8.2f}B  KV {r['kv_bytes_per_token']:>8,} B/token"
                    for r in rows
                ],
            )
        elif args.command == "gpus":
            rows = cmd_gpus(args.presets)
            _emit(
                rows,
                args.json,
                [
                    f"{r['id']:<24} {r['memory_bytes'] / BYTES_PER_GIB:8.2f} GiB  ({r['memory_marketed']} marketed)"
                    for r in rows
                ],
            )
    except UsageError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
