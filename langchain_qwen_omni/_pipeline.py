"""The long-media pipeline behind ``QwenOmniMediaLoader`` and the media tool, built from a ``ChatQwenOmni``.

The pipeline's client has the chat model's key, endpoint, retries, timeout and headers, and a rate limiter, so
that every request of one loader (or tool) shares one request and token budget, whatever the calls and threads.
"""

from __future__ import annotations

import os
from typing import Any

from qwen_omni.client import OmniClient
from qwen_omni.longmedia import LongMedia, PlanOptions, Slots
from qwen_omni.longmedia.runner import OnError
from qwen_omni.ratelimit import RateLimiter, RequestBudget
from qwen_omni.request import RequestOptions

from .chat_models import ChatQwenOmni

__all__ = ["build_pipeline", "limited_client", "request_options"]

#: The chat model's fields that carry over to every segment request (the pipeline answers in text only).
_CARRIED = ("enable_thinking", "thinking_budget", "temperature", "top_p", "max_tokens", "seed")


def limited_client(llm: ChatQwenOmni, rate_limiter: RequestBudget) -> OmniClient:
    """A client with ``llm``'s connection settings, whose every request waits for ``rate_limiter``."""
    return OmniClient(**llm.client_settings(), rate_limiter=rate_limiter)


def request_options(llm: ChatQwenOmni) -> RequestOptions:
    """``llm``'s sampling and thinking options, and its extra body fields, as the core's options."""
    extra = {**(getattr(llm, "model_kwargs", None) or {}), **(getattr(llm, "extra_body", None) or {})}
    carried: dict[str, Any] = {name: getattr(llm, name, None) for name in _CARRIED}
    return RequestOptions(model=llm.model).merged(extra_body=extra or None, **carried)


def build_pipeline(
    llm: ChatQwenOmni,
    *,
    rate_limiter: RequestBudget | None,
    concurrency: int | Slots,
    retries: int,
    on_error: OnError,
    cache_dir: str | os.PathLike[str] | None,
    progress: bool | dict[str, Any],
    options: PlanOptions | None,
    reduce_model: str | None,
) -> LongMedia:
    """The pipeline of a loader or tool: ``llm``'s model and options, one rate budget, one concurrency bound."""
    return LongMedia(
        limited_client(llm, rate_limiter if rate_limiter is not None else RateLimiter()),
        model=llm.model,
        reduce_model=reduce_model,
        options=options,
        concurrency=concurrency,
        retries=retries,
        on_error=on_error,
        cache=cache_dir,
        progress=progress,
        request_options=request_options(llm),
    )
