"""The long-media pipeline behind ``QwenOmniReader`` and the media tool, its requests seen by LlamaIndex.

What carries over is the LLM's face kit (:mod:`qwen_omni.face_kit`, the same as LangChain's): its key, endpoint,
retries, timeout and headers, and every request option it holds (the pipeline answers in text, so it drops the
spoken answer's). Every segment request is an LLM chat event of the ``QwenOmni`` it was built from
(:mod:`._events`): its ``callback_manager`` (``TokenCountingHandler`` counts the usage the answer reports) and
LlamaIndex's instrumentation (an ``LLMChatStartEvent`` / ``LLMChatEndEvent`` pair) see it, with the media described,
not carried. The requests go through a client with a rate limiter, so that all of a reader's (or tool's) requests
share one request and token budget, whatever the calls and threads.
"""

from __future__ import annotations

from qwen_omni.client import OmniClient
from qwen_omni.face_kit import MediaLoaderConfig
from qwen_omni.longmedia import Ask, LongMedia
from qwen_omni.request import Message, RequestOptions
from qwen_omni.stream import OmniResult

from ._events import achat_event
from .llm import QwenOmni

__all__ = ["ask_through", "build_pipeline"]


def ask_through(llm: QwenOmni, client: OmniClient) -> Ask:
    """Send each request with ``client``, as a chat event of ``llm`` (see the module docstring)."""

    async def ask(messages: list[Message], options: RequestOptions) -> OmniResult:
        return await achat_event(llm, messages, lambda: client.acomplete(messages, options))

    return ask


def build_pipeline(llm: QwenOmni, config: MediaLoaderConfig) -> LongMedia:
    """The pipeline of a reader or tool: ``llm``'s face kit, ``config``'s settings, requests as ``llm``'s events."""
    return llm.face_kit().pipeline(config, ask=lambda client: ask_through(llm, client))
