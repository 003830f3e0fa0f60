"""A Hugging Face Hub model id (``org/name``, optional ``@revision``) through ``huggingface_hub``.

* ``config.json`` with ``hf_hub_download`` (its cache: ``HF_HUB_CACHE`` / ``HF_HOME``), after one
  HEAD request without retries (``get_hf_file_metadata``) that pins the commit and turns a missing,
  gated or rate-limited repo into a message at once;
* the tensor list with ``HfApi.get_safetensors_metadata`` (range reads of each shard's header).

``HF_ENDPOINT`` and ``HF_TOKEN`` are read at each call (so a gated repo works once a token is set).
Every request has an explicit timeout, and the whole fetch a deadline (:data:`HUB_DEADLINE_S`): it
runs in a daemon thread, so a stalled server never hangs the caller. The id is validated before any
use: it never reaches a path or URL unchecked. Every failure is a :class:`SourceError` with one
line naming the id and what to do.
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final
from urllib.parse import urlsplit

from calculators import MAX_CONFIG_BYTES, SpecError, TensorEntry, parse_config_json
from calculators.messages import N_, Message, message_of
from model_sources.common import LoadedModel, SourceError, assemble, parse_json_object
from model_sources.safetensors_headers import tensors_from_header

HUB_TIMEOUT_S: Final[float] = 10.0  # each HTTP request (huggingface_hub's own default: 10 s)
HUB_DEADLINE_S: Final[float] = 60.0  # the whole fetch: config + every shard header
DEFAULT_ENDPOINT: Final[str] = "https://huggingface.co"

# Hub repo ids: `namespace/name`, letters, digits, `-`, `_`, `.`; no `--` or `..`, at most 96
# characters each (huggingface_hub validate_repo_id). Revisions: a branch, tag or commit (no
# `..`), or a PR ref `refs/pr/N`.
_PART: Final[str] = r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?"
REPO_ID: Final[re.Pattern[str]] = re.compile(rf"^{_PART}/{_PART}$")
REVISION: Final[re.Pattern[str]] = re.compile(
    r"^(?:refs/pr/[0-9]{1,9}|[A-Za-z0-9](?:[A-Za-z0-9._-]{0,98}[A-Za-z0-9])?)$"
)


@dataclass(frozen=True)
class HubId:
    repo_id: str
    revision: str | None

    def __str__(self) -> str:
        return self.repo_id + (f"@{self.revision}" if self.revision else "")


def parse_hub_id(text: str) -> HubId:
    """``org/name`` or ``org/name@revision``, checked strictly; SourceError otherwise."""
    if not isinstance(text, str) or len(text) > 300:
        raise SourceError(
            N_("Hugging Face id: expected org/name[@revision] of at most 300 characters")
        )
    repo, _, revision = text.partition("@")
    shown = f"{text!r:.80}"
    if not REPO_ID.fullmatch(repo) or "--" in repo or ".." in repo or repo.endswith(".git"):
        raise SourceError(
            Message(
                "Hugging Face id {shown}: expected org/name (letters, digits, '-', '_', '.')",
                shown=shown,
            )
        )
    if revision and (not REVISION.fullmatch(revision) or ".." in revision):
        raise SourceError(
            Message(
                "Hugging Face id {shown}: revision {revision!r:.40} is not valid",
                shown=shown,
                revision=revision,
            )
        )
    return HubId(repo, revision or None)


def hub_endpoint() -> str:
    """``HF_ENDPOINT`` (checked to be an http(s) URL without credentials), else the public Hub."""
    raw = os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username:
        raise SourceError(Message("HF_ENDPOINT {raw!r:.80} is not an http(s) URL", raw=raw))
    return raw.rstrip("/")


def load_hub_model(
    text: str,
    *,
    cache_dir: Path | None = None,
    timeout_s: float = HUB_TIMEOUT_S,
    deadline_s: float = HUB_DEADLINE_S,
) -> LoadedModel:
    """Fetch ``org/name[@rev]``'s config.json and safetensors headers from the Hub."""
    hub_id = parse_hub_id(text)
    endpoint = hub_endpoint()
    result: dict[str, Any] = {}

    def work() -> None:
        try:
            result["value"] = _fetch(hub_id, endpoint, cache_dir, timeout_s)
        except SourceError as e:
            result["error"] = e
        except Exception as e:  # a library error not mapped below: still one line
            result["error"] = SourceError(
                Message(
                    "Hugging Face {hub_id}: {error_type}: {error_text}",
                    hub_id=hub_id,
                    error_type=type(e).__name__,
                    error_text=str(e).splitlines()[0][:200],
                )
            )

    worker = threading.Thread(target=work, name=f"hub-fetch {hub_id}", daemon=True)
    worker.start()
    worker.join(deadline_s)
    if worker.is_alive():
        raise SourceError(
            Message(
                "Hugging Face {hub_id}: no answer from {endpoint} within {deadline_s:g} s; "
                "check the network (or HF_ENDPOINT) and try again",
                hub_id=hub_id,
                endpoint=endpoint,
                deadline_s=deadline_s,
            )
        )
    if "error" in result:
        raise result["error"]
    value: LoadedModel = result["value"]
    return value


def _offline_env() -> bool:
    """HF_HUB_OFFLINE as set now (huggingface_hub reads it once, at import)."""
    return os.environ.get("HF_HUB_OFFLINE", "").strip().upper() in ("1", "ON", "YES", "TRUE")


def _token() -> str | None:
    return os.environ.get("HF_TOKEN") or None


def _hub_error(e: Exception, hub_id: HubId, endpoint: str, timeout_s: float) -> SourceError:
    """One line naming the id and what to do, for each way the Hub can say no."""
    import httpx2
    from huggingface_hub import errors

    where = f"Hugging Face {hub_id}"
    if isinstance(e, errors.GatedRepoError):
        if _token():
            return SourceError(
                Message(
                    "{where}: gated, and HF_TOKEN has no access; accept the licence on the model's "
                    "Hub page with that account",
                    where=where,
                )
            )
        return SourceError(
            Message(
                "{where}: gated; accept the licence on the model's Hub page and set HF_TOKEN",
                where=where,
            )
        )
    if isinstance(e, errors.RevisionNotFoundError):
        return SourceError(
            Message(
                "{where}: revision {revision!r} not found; check the @revision",
                where=where,
                revision=hub_id.revision,
            )
        )
    if isinstance(e, errors.RemoteEntryNotFoundError):
        return SourceError(
            Message("{where}: the repo has no config.json (not a transformers model?)", where=where)
        )
    if isinstance(e, errors.RepositoryNotFoundError):
        hint = "" if _token() else " (if it is private, set HF_TOKEN)"
        return SourceError(
            Message(
                "{where}: no such model on {endpoint}{hint}; check the id",
                where=where,
                endpoint=endpoint,
                hint=hint,
            )
        )
    if isinstance(e, errors.OfflineModeIsEnabled):
        return SourceError(
            Message(
                "{where}: offline (HF_HUB_OFFLINE is set) and not in the cache; unset "
                "HF_HUB_OFFLINE or fetch it once online",
                where=where,
            )
        )
    if isinstance(e, errors.HfHubHTTPError):
        status = e.response.status_code if e.response is not None else None
        if status == 429:
            return SourceError(
                Message(
                    "{where}: rate-limited by {endpoint} (HTTP 429); wait a minute, or set "
                    "HF_TOKEN for a higher limit",
                    where=where,
                    endpoint=endpoint,
                )
            )
        return SourceError(
            Message(
                "{where}: {endpoint} answered HTTP {status}; try again later",
                where=where,
                endpoint=endpoint,
                status=status,
            )
        )
    if isinstance(e, httpx2.TimeoutException):
        return SourceError(
            Message(
                "{where}: {endpoint} did not answer within {timeout_s:g} s; try again later",
                where=where,
                endpoint=endpoint,
                timeout_s=timeout_s,
            )
        )
    if isinstance(e, httpx2.TransportError | OSError):
        return SourceError(
            Message(
                "{where}: cannot reach {endpoint} ({error_type}); check the network, or use a "
                "model folder (--config DIR)",
                where=where,
                endpoint=endpoint,
                error_type=type(e).__name__,
            )
        )
    return SourceError(f"{where}: {type(e).__name__}: {str(e).splitlines()[0][:200]}")


def _fetch(hub_id: HubId, endpoint: str, cache_dir: Path | None, timeout_s: float) -> LoadedModel:
    import httpx2
    from huggingface_hub import HfApi, get_hf_file_metadata, hf_hub_download, hf_hub_url
    from huggingface_hub import errors as hf_errors
    from huggingface_hub.constants import HF_HUB_OFFLINE
    from huggingface_hub.file_download import try_to_load_from_cache

    token = _token()
    where = f"Hugging Face {hub_id}"
    notes: list[str] = []
    commit: str | None = None
    cached: str | None = None
    try:
        if HF_HUB_OFFLINE or _offline_env():
            raise hf_errors.OfflineModeIsEnabled("HF_HUB_OFFLINE is set")
        url = hf_hub_url(hub_id.repo_id, "config.json", revision=hub_id.revision, endpoint=endpoint)
        meta = get_hf_file_metadata(url, token=token, timeout=timeout_s)
        commit = meta.commit_hash
        if meta.size is not None and meta.size > MAX_CONFIG_BYTES:
            raise SourceError(
                Message(
                    "{where}: config.json is {size:,} bytes, over the limit",
                    where=where,
                    size=meta.size,
                )
            )
        path = hf_hub_download(
            hub_id.repo_id,
            "config.json",
            revision=hub_id.revision,  # a branch/tag name: the cache records the ref
            cache_dir=cache_dir,
            etag_timeout=timeout_s,
            token=token,
            endpoint=endpoint,
        )
    except (hf_errors.OfflineModeIsEnabled, httpx2.TransportError) as e:
        hit = try_to_load_from_cache(
            hub_id.repo_id, "config.json", cache_dir=cache_dir, revision=hub_id.revision
        )
        if not isinstance(hit, str):
            raise _hub_error(e, hub_id, endpoint, timeout_s) from None
        cached = hit
        path = hit
        notes.append(
            Message(
                "{where}: the Hub is unreachable; config.json from the local cache", where=where
            )
        )
    except SourceError:
        raise
    except Exception as e:
        raise _hub_error(e, hub_id, endpoint, timeout_s) from None
    text = Path(path).read_bytes()
    raw = parse_json_object(text, f"{where}: config.json", MAX_CONFIG_BYTES)
    try:
        spec = parse_config_json(text, name=hub_id.repo_id)
    except SpecError as e:
        raise SourceError(
            Message("{where}: {problem}", where=where, problem=message_of(e))
        ) from None
    tensors: list[TensorEntry] | None = None
    label = ""
    if cached is None:
        try:
            st = HfApi(endpoint=endpoint, token=token).get_safetensors_metadata(
                hub_id.repo_id, revision=commit or hub_id.revision, timeout=timeout_s
            )
            tensors = []
            for name, file_meta in sorted(st.files_metadata.items()):
                header = {
                    k: {
                        "dtype": v.dtype,
                        "shape": list(v.shape),
                        "data_offsets": list(v.data_offsets),
                    }
                    for k, v in file_meta.tensors.items()
                }
                tensors.extend(tensors_from_header(header, f"{where}: {name}"))
            n = len(st.files_metadata)
            label = (
                Message("safetensors headers from the Hub, {n} files", n=n)
                if n > 1
                else Message("safetensors headers from the Hub, {n} file", n=n)
            )
        except hf_errors.NotASafetensorsRepoError:
            notes.append(
                Message("{where}: no safetensors files; weights from the architecture", where=where)
            )
        except SourceError:
            raise
        except Exception as e:
            err = _hub_error(e, hub_id, endpoint, timeout_s)
            notes.append(
                Message(
                    "safetensors headers not read ({err}); weights from the architecture",
                    err=message_of(err),
                )
            )
            tensors = None
    else:
        notes.append(N_("safetensors headers need the Hub: weights from the architecture"))
    source = f"Hugging Face {hub_id.repo_id}@{(commit or hub_id.revision or 'main')[:12]}"
    return assemble(spec, raw, tensors, source, label, notes)
