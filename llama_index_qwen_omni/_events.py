"""Requests the core sends on a ``QwenOmni``'s behalf, seen by LlamaIndex as that LLM's chat events.

A segment request of the long-media pipeline, or a repair request of structured output, is not a ``chat`` call, yet
LlamaIndex's callbacks (``TokenCountingHandler`` counts the usage the answer reports) and its instrumentation
(``LLMChatStartEvent`` / ``LLMChatEndEvent``) should see it as one. :func:`chat_event` and :func:`achat_event` send
it inside such an event. The event's messages describe the media (kind, size, name or URL) instead of carrying it,
so that no handler ever logs a recording's bytes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatMessage, ChatResponse
from llama_index.core.llms.callbacks import llm_chat_callback

from qwen_omni.excerpt import shorten
from qwen_omni.parts import AudioPart, ImagePart, TextPart, VideoFramesPart, VideoPart
from qwen_omni.request import Message
from qwen_omni.stream import OmniResult

from ._convert import result_to_chat_response

if TYPE_CHECKING:
    from llama_index.core.llms.llm import LLM

__all__ = ["achat_event", "chat_event", "describe_message", "shown_messages"]


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


def shown_messages(messages: Sequence[Message]) -> list[ChatMessage]:
    """The messages as an event shows them (see :func:`describe_message`)."""
    return [ChatMessage(role=m.role, content=describe_message(m)) for m in messages]


def chat_event(llm: LLM, messages: Sequence[Message], send: Callable[[], OmniResult]) -> OmniResult:
    """``send()`` inside a chat event of ``llm`` (callbacks and instrumentation see it); its answer."""
    received: list[OmniResult] = []

    @llm_chat_callback()
    def chat(owner: LLM, shown: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        result = send()
        received.append(result)
        return result_to_chat_response(result)

    chat(llm, shown_messages(messages))
    return received[0]


async def achat_event(llm: LLM, messages: Sequence[Message], send: Callable[[], Awaitable[OmniResult]]) -> OmniResult:
    """The async form of :func:`chat_event`."""
    received: list[OmniResult] = []

    @llm_chat_callback()
    async def chat(owner: LLM, shown: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        result = await send()
        received.append(result)
        return result_to_chat_response(result)

    await chat(llm, shown_messages(messages))
    return received[0]
