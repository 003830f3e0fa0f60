"""Model sources at the edge, beside ``presets``: they read files and the network and hand the
calculators validated frozen specs (a ModelSpec and, where the tensor list is known, the
checkpoint's exact weight bytes).

* ``folder``      a local model folder: config.json plus the safetensors headers
* ``hub``         a Hugging Face model id (``org/name[@revision]``) through huggingface_hub
* ``gguf_file``   a local GGUF file through the ``gguf`` package

Every failure is a :class:`SourceError` with one line naming the input and what to do.
"""

from __future__ import annotations

from model_sources.common import LoadedModel, SourceError

__all__ = ["LoadedModel", "SourceError"]
