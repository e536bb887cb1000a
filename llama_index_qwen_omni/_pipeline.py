"""The long-media pipeline behind ``QwenOmniReader`` and the media tool, its requests seen by LlamaIndex.

Every segment request is an LLM chat event of the ``QwenOmni`` it was built from: its ``callback_manager``
(``TokenCountingHandler`` counts the usage the answer reports) and LlamaIndex's instrumentation (an
``LLMChatStartEvent`` / ``LLMChatEndEvent`` pair) see it. The event's messages describe the media (kind, size,
name or URL) instead of carrying it, so that no handler ever logs a recording's bytes.

The requests go through a client built from the LLM's connection settings with a rate limiter, so that all of
a reader's (or tool's) requests share one request and token budget, whatever the calls and threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse
from llama_index.core.llms.callbacks import llm_chat_callback

from qwen_omni.client import OmniClient
from qwen_omni.excerpt import shorten
from qwen_omni.longmedia import Ask, LongMedia, PlanOptions, Slots
from qwen_omni.longmedia.cache import AnswerCache
from qwen_omni.longmedia.runner import OnError
from qwen_omni.parts import AudioPart, ImagePart, TextPart, VideoFramesPart, VideoPart
from qwen_omni.ratelimit import RateLimiter, RequestBudget
from qwen_omni.request import Message, RequestOptions
from qwen_omni.stream import OmniResult

from ._convert import result_to_chat_response
from .llm import QwenOmni

__all__ = ["ask_through", "build_pipeline", "describe_message", "limited_client"]


def describe_message(message: Message) -> str:
    """A message's text, with each media part told by its kind and size or URL, never its bytes.

    Example:
        >>> from qwen_omni.parts import AudioPart, TextPart
        >>> describe_message(Message("user", [AudioPart(b"ID3" + bytes(997), format="mp3"), TextPart("Hi")]))
        '[audio: mp3, 1,000 bytes]\\nHi'
    """
    content = message.content
    if content is None or isinstance(content, str):
        return content or ""
    shown = []
    for part in content:
        if isinstance(part, TextPart):
            shown.append(part.text)
        elif isinstance(part, VideoFramesPart):
            shown.append(f"[video: {len(part.frames)} frames]")
        elif isinstance(part, AudioPart | VideoPart | ImagePart):
            kind = "audio" if isinstance(part, AudioPart) else "video" if isinstance(part, VideoPart) else "image"
            source = part.source
            if isinstance(source, bytes | bytearray | memoryview):
                detail = f"{len(source):,} bytes"
                if isinstance(part, AudioPart) and part.format:
                    detail = f"{part.format}, {detail}"
            else:
                detail = shorten(str(source), 120)
            shown.append(f"[{kind}: {detail}]")
        else:
            shown.append(f"[{type(part).__name__}]")
    return "\n".join(shown)


def limited_client(llm: QwenOmni, rate_limiter: RequestBudget) -> OmniClient:
    """A client with ``llm``'s key, endpoint, retries and timeout, whose requests wait for ``rate_limiter``."""
    return OmniClient(**llm.client_settings(), rate_limiter=rate_limiter)


def ask_through(llm: QwenOmni, client: OmniClient) -> Ask:
    """Send each request with ``client``, as a chat event of ``llm`` (see the module docstring)."""

    async def ask(messages: list[Message], options: RequestOptions) -> OmniResult:
        received: list[OmniResult] = []

        @llm_chat_callback()
        async def chat(owner: QwenOmni, shown: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
            result = await client.acomplete(messages, options)
            received.append(result)
            return result_to_chat_response(result)

        await chat(llm, [ChatMessage(role=m.role, content=describe_message(m)) for m in messages])
        return received[0]

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
