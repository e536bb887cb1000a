"""The long-media pipeline behind ``QwenOmniReader`` and the media tool, its requests seen by LlamaIndex.

Every segment request is an LLM chat event of the ``QwenOmni`` it was built from (:mod:`._events`): its
``callback_manager`` (``TokenCountingHandler`` counts the usage the answer reports) and LlamaIndex's
instrumentation (an ``LLMChatStartEvent`` / ``LLMChatEndEvent`` pair) see it, with the media described, not
carried.

The requests go through a client built from the LLM's connection settings with a rate limiter, so that all of
a reader's (or tool's) requests share one request and token budget, whatever the calls and threads.
"""

from __future__ import annotations

from typing import Any

from qwen_omni.client import OmniClient
from qwen_omni.longmedia import Ask, LongMedia, PlanOptions, Slots
from qwen_omni.longmedia.cache import AnswerCache
from qwen_omni.longmedia.runner import OnError
from qwen_omni.ratelimit import RateLimiter, RequestBudget
from qwen_omni.request import Message, RequestOptions
from qwen_omni.stream import OmniResult

from ._events import achat_event
from .llm import QwenOmni

__all__ = ["ask_through", "build_pipeline", "limited_client"]


def limited_client(llm: QwenOmni, rate_limiter: RequestBudget) -> OmniClient:
    """A client with ``llm``'s key, endpoint, retries and timeout, whose requests wait for ``rate_limiter``."""
    return OmniClient(**llm.client_settings(), rate_limiter=rate_limiter)


def ask_through(llm: QwenOmni, client: OmniClient) -> Ask:
    """Send each request with ``client``, as a chat event of ``llm`` (see the module docstring)."""

    async def ask(messages: list[Message], options: RequestOptions) -> OmniResult:
        return await achat_event(llm, messages, lambda: client.acomplete(messages, options))

    return ask


def build_pipeline(
    llm: QwenOmni,
    *,
    rate_limiter: RequestBudget | None,
    concurrency: int | Slots,
    retries: int,
    on_error: OnError,
    cache: str | AnswerCache | None,
    progress: bool | dict[str, Any],
    options: PlanOptions | None,
    reduce_model: str | None,
) -> LongMedia:
    """The pipeline of a reader or tool: ``llm``'s model and options, one rate budget and one concurrency bound."""
    client = limited_client(llm, rate_limiter if rate_limiter is not None else RateLimiter())
    return LongMedia(
        client,
        model=llm.model,
        reduce_model=reduce_model,
        options=options,
        concurrency=concurrency,
        retries=retries,
        on_error=on_error,
        cache=cache,
        progress=progress,
        request_options=llm.request_options(),
        ask=ask_through(llm, client),
    )
