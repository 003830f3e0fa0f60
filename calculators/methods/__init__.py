"""Estimation methods behind one interface (:class:`calculators.methods.base.Method`)."""

from __future__ import annotations

from calculators.messages import Message
from calculators.methods.article import ArticleMethod
from calculators.methods.base import EngineSettings, Method
from calculators.methods.llamacpp import LlamaCppMethod
from calculators.methods.sglang import SGLangMethod
from calculators.methods.vllm import VLLMMethod

METHODS: dict[str, Method] = {
    m.id: m for m in (ArticleMethod(), VLLMMethod(), SGLangMethod(), LlamaCppMethod())
}


def get_method(method_id: str) -> Method:
    try:
        return METHODS[method_id]
    except KeyError:
        raise ValueError(
            Message(
                "unknown method {method_id!r}; choose one of {v1}",
                method_id=method_id,
                v1=", ".join(METHODS),
            )
        ) from None


__all__ = ["METHODS", "EngineSettings", "Method", "get_method"]
