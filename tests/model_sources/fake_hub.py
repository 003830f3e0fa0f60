"""A small Hugging Face Hub on 127.0.0.1 (stdlib http.server) serving the routes huggingface_hub
calls for a download and a safetensors-metadata read (read in huggingface_hub 2.4's
file_download.get_hf_file_metadata / hf_hub_download and hf_api.parse_safetensors_file_metadata):

* ``HEAD /{repo}/resolve/{revision}/{file}``: 200 with ``X-Repo-Commit``, ``ETag`` and
  ``Content-Length``; errors carry ``X-Error-Code`` (``RepoNotFound``, ``RevisionNotFound``,
  ``EntryNotFound``, ``GatedRepo``) as the Hub sends it, which huggingface_hub maps to its errors;
* ``GET`` of the same path, with ``Range: bytes=a-b`` answered 206 (safetensors header reads).

A safetensors file is served from its header alone: the bytes past the header read as zeros, so a
1.2 GB checkpoint costs a few KiB. Repos can be gated (401 without the token, 403 with another),
slow (sleep before answering), or rate-limited (429).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import struct
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

GOOD_TOKEN = "hf_test_token_for_the_fake_hub"


@dataclass
class HubFile:
    prefix: bytes  # the bytes served; anything past them (up to size) reads as zeros
    size: int

    def read(self, start: int, end: int) -> bytes:
        end = min(end, self.size)
        out = self.prefix[start:end]
        return out + b"\0" * max(0, end - start - len(out))


@dataclass
class HubRepo:
    files: dict[str, HubFile]
    commit: str = "0123456789abcdef0123456789abcdef01234567"
    gated: bool = False
    slow_s: float = 0.0
    rate_limited: bool = False


@dataclass
class FakeHub:
    repos: dict[str, HubRepo] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)
    url: str = ""

    def add_json(self, repo: str, name: str, data: dict[str, Any] | bytes) -> None:
        body = data if isinstance(data, bytes) else json.dumps(data, indent=2).encode()
        self.repos.setdefault(repo, HubRepo({})).files[name] = HubFile(body, len(body))

    def add_safetensors(
        self, repo: str, name: str, tensors: dict[str, tuple[str, list[int]]]
    ) -> int:
        """Serve a safetensors file with these (dtype, shape) tensors; returns its data bytes."""
        sizes = {"BF16": 2, "F16": 2, "F32": 4, "F8_E4M3": 1, "I32": 4, "U8": 1}
        header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
        pos = 0
        for tname, (dtype, shape) in tensors.items():
            n = sizes[dtype]
            for d in shape:
                n *= d
            header[tname] = {"dtype": dtype, "shape": shape, "data_offsets": [pos, pos + n]}
            pos += n
        raw = json.dumps(header, separators=(",", ":")).encode()
        prefix = struct.pack("<Q", len(raw)) + raw
        self.repos.setdefault(repo, HubRepo({})).files[name] = HubFile(prefix, len(prefix) + pos)
        return pos


_PATH = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>[^?]+)")


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _error(self, status: int, code: str | None, message: str) -> None:
            self.send_response(status)
            if code:
                self.send_header("X-Error-Code", code)
            self.send_header("X-Error-Message", message)
            self.send_header("Content-Type", "application/json")
            body = json.dumps({"error": message}).encode()
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _serve(self) -> None:
            hub.requests.append((self.command, self.path))
            m = _PATH.match(self.path)
            if not m:
                return self._error(404, None, "no such route")
            repo = hub.repos.get(m["repo"])
            if repo is None:
                return self._error(404, "RepoNotFound", "Repository not found")
            if repo.slow_s:
                time.sleep(repo.slow_s)
            if repo.rate_limited:
                return self._error(429, None, "Too many requests")
            if repo.gated:
                auth = self.headers.get("Authorization")
                if auth is None:
                    return self._error(401, "GatedRepo", "Access to model is restricted")
                if auth != f"Bearer {GOOD_TOKEN}":
                    return self._error(403, "GatedRepo", "Access to model is restricted")
            if m["rev"] not in ("main", repo.commit):
                return self._error(404, "RevisionNotFound", "Invalid rev id")
            f = repo.files.get(m["file"])
            if f is None:
                return self._error(404, "EntryNotFound", "Entry not found")
            etag = hashlib.sha256(f.prefix).hexdigest()
            rng = self.headers.get("Range") or self.headers.get("range")
            start, end = 0, f.size
            status = 200
            if rng:
                rm = re.fullmatch(r"bytes=(\d+)-(\d*)", rng.strip())
                if rm:
                    start = int(rm[1])
                    end = min(f.size, int(rm[2]) + 1) if rm[2] else f.size
                    status = 206
            body = b"" if self.command == "HEAD" else f.read(start, end)
            self.send_response(status)
            self.send_header("X-Repo-Commit", repo.commit)
            self.send_header("ETag", f'"{etag}"')
            self.send_header("Accept-Ranges", "bytes")
            if status == 206:
                self.send_header("Content-Range", f"bytes {start}-{end - 1}/{f.size}")
            self.send_header("Content-Length", str(end - start if status == 206 else f.size))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return None

        def _answer(self) -> None:
            # the client may give up first (a timeout test): then there is nothing to answer
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                self._serve()

        def do_HEAD(self) -> None:
            self._answer()

        def do_GET(self) -> None:
            self._answer()

    return Handler


class HubServer:
    def __init__(self) -> None:
        self.hub = FakeHub()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.hub))
        self.httpd.daemon_threads = True
        self.hub.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeHub:
        self.thread.start()
        return self.hub

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def qwen_tensors(
    cfg: dict[str, object], *, qkv_bias: bool, qk_norm: bool
) -> dict[str, tuple[str, list[int]]]:
    """(dtype, shape) of every tensor of a Qwen2/Qwen3 checkpoint, named as transformers does."""
    h = int(cfg["hidden_size"])  # type: ignore[call-overload]
    heads = int(cfg["num_attention_heads"])  # type: ignore[call-overload]
    kv = int(cfg["num_key_value_heads"])  # type: ignore[call-overload]
    d = int(cfg.get("head_dim") or h // heads)  # type: ignore[call-overload]
    inter = int(cfg["intermediate_size"])  # type: ignore[call-overload]
    vocab = int(cfg["vocab_size"])  # type: ignore[call-overload]
    out: dict[str, tuple[str, list[int]]] = {"model.embed_tokens.weight": ("BF16", [vocab, h])}
    for i in range(int(cfg["num_hidden_layers"])):  # type: ignore[call-overload]
        p = f"model.layers.{i}."
        out[p + "input_layernorm.weight"] = ("BF16", [h])
        out[p + "post_attention_layernorm.weight"] = ("BF16", [h])
        for name, rows, cols in (
            ("self_attn.q_proj", heads * d, h),
            ("self_attn.k_proj", kv * d, h),
            ("self_attn.v_proj", kv * d, h),
            ("self_attn.o_proj", h, heads * d),
            ("mlp.gate_proj", inter, h),
            ("mlp.up_proj", inter, h),
            ("mlp.down_proj", h, inter),
        ):
            out[p + name + ".weight"] = ("BF16", [rows, cols])
            if qkv_bias and name[-6:] in ("q_proj", "k_proj", "v_proj"):
                out[p + name + ".bias"] = ("BF16", [rows])
        if qk_norm:
            out[p + "self_attn.q_norm.weight"] = ("BF16", [d])
            out[p + "self_attn.k_norm.weight"] = ("BF16", [d])
    out["model.norm.weight"] = ("BF16", [h])
    out["lm_head.weight"] = ("BF16", [vocab, h])  # Qwen3-0.6B stores it although tied
    return out


def populate(fake: FakeHub, data: Path) -> None:
    """Serve the real Qwen configs of ``data`` (tests/data/hub) with safetensors headers built
    from them (Qwen3-0.6B in one file, Qwen2-7B-Instruct in two shards with an index), and
    repos that are gated, slow (answer after 20 s), rate-limited, or have no weights."""
    qwen3 = json.loads((data / "Qwen3-0.6B.config.json").read_text())
    fake.add_json("Qwen/Qwen3-0.6B", "config.json", (data / "Qwen3-0.6B.config.json").read_bytes())
    fake.add_safetensors(
        "Qwen/Qwen3-0.6B",
        "model.safetensors",
        qwen_tensors(qwen3, qkv_bias=False, qk_norm=True),
    )
    qwen2 = json.loads((data / "Qwen2-7B-Instruct.config.json").read_text())
    repo = "Qwen/Qwen2-7B-Instruct"
    fake.add_json(repo, "config.json", (data / "Qwen2-7B-Instruct.config.json").read_bytes())
    tensors = qwen_tensors(qwen2, qkv_bias=True, qk_norm=False)
    names = list(tensors)
    shards = {
        "model-00001-of-00002.safetensors": names[: len(names) // 2],
        "model-00002-of-00002.safetensors": names[len(names) // 2 :],
    }
    total = 0
    for file, part in shards.items():
        total += fake.add_safetensors(repo, file, {n: tensors[n] for n in part})
    fake.add_json(
        repo,
        "model.safetensors.index.json",
        {
            "metadata": {"total_size": total},
            "weight_map": {n: f for f, part in shards.items() for n in part},
        },
    )
    for name, flag in (("gated", "gated"), ("slow", "slow_s"), ("busy", "rate_limited")):
        r = f"acme/{name}-model"
        fake.add_json(r, "config.json", (data / "Qwen3-0.6B.config.json").read_bytes())
        setattr(fake.repos[r], flag, 20.0 if flag == "slow_s" else True)
    fake.add_json("acme/no-weights", "config.json", (data / "Qwen3-0.6B.config.json").read_bytes())
