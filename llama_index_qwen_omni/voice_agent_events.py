"""The events a :class:`~llama_index_qwen_omni.QwenOmniVoiceAgent` records (``agent.export_events()``): LlamaIndex's
:class:`BaseVoiceAgentEvent` models, dumped with ``type`` (``model_dump(by_alias=True)``).

Example:
    >>> ToolCallEvent(type_t="tool_call", call_id="call_1", name="get_weather", arguments={"city": "Paris"}).model_dump(
    ...     by_alias=True)["type"]
    'tool_call'
"""

from __future__ import annotations

from typing import Any

from llama_index.core.voice_agents import BaseVoiceAgentEvent

__all__ = [
    "InterruptionEvent",
    "ResponseDoneEvent",
    "SessionRenewedEvent",
    "ToolCallEvent",
    "ToolResultEvent",
    "TranscriptEvent",
    "VoiceErrorEvent",
]


class TranscriptEvent(BaseVoiceAgentEvent):
    """What the user said (``conversation.item.input_audio_transcription.completed``) or the model's whole answer."""

    role: str
    text: str


class ToolCallEvent(BaseVoiceAgentEvent):
    """The model called a tool."""

    call_id: str
    name: str
    arguments: dict[str, Any] | None


class ToolResultEvent(BaseVoiceAgentEvent):
    """The tool's output, sent back to the model."""

    call_id: str
    name: str
    output: str
    is_error: bool = False


class InterruptionEvent(BaseVoiceAgentEvent):
    """The user spoke over the answer ``response_id`` (barge-in)."""

    response_id: str


class ResponseDoneEvent(BaseVoiceAgentEvent):
    """A response ended: its status, its words and the seconds it spoke."""

    response_id: str
    status: str
    text: str
    audio_seconds: float
    interrupted: bool = False


class SessionRenewedEvent(BaseVoiceAgentEvent):
    """A new connection took over (``reason``: duration, context, turns, reconnect)."""

    reason: str


class VoiceErrorEvent(BaseVoiceAgentEvent):
    """An error frame the session reported and went on after."""

    message: str
