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

from qwen_omni.face_kit import describe_message
from qwen_omni.request import Message
from qwen_omni.stream import OmniResult

from ._convert import result_to_chat_response

if TYPE_CHECKING:
    from llama_index.core.llms.llm import LLM

__all__ = ["achat_event", "chat_event", "shown_messages"]


def shown_messages(messages: Sequence[Message]) -> list[ChatMessage]:
    """The messages as an event shows them (:func:`qwen_omni.face_kit.describe_message`)."""
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
