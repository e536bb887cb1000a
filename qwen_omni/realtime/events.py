"""The events of a realtime session: what the server sends, typed, and what the session itself reports.

:data:`ServerEvent` is a closed union of the documented server events plus :class:`RawEvent` for any other type;
:data:`RealtimeEvent` adds the session's own: :class:`ToolCall` / :class:`ToolResult` (a call the session ran and
answered), :class:`BargeIn` (the user spoke over an answer: stop playback, the rest is dropped) and
:class:`SessionRenewed` (a new connection took over, before a limit or after a recoverable close).
:func:`parse_server_event` reads a frame; a field of the wrong type is a protocol error, a missing one its default.

Example:
    >>> event = parse_server_event({"type": "response.audio.delta", "response_id": "r1", "item_id": "i1",
    ...                             "delta": "AAA="})
    >>> type(event).__name__, event.pcm
    ('AudioDelta', b'\\x00\\x00')
    >>> parse_server_event({"type": "rate_limits.updated"})
    RawEvent(type='rate_limits.updated', data={'type': 'rate_limits.updated'})
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from ..errors import APIError, APIProtocolError
from .answer import RealtimeAnswer

__all__ = [
    "AudioDelta",
    "AudioDone",
    "BargeIn",
    "ContentPart",
    "ErrorEvent",
    "FunctionCallArgumentsDelta",
    "FunctionCallArgumentsDone",
    "InputCleared",
    "InputCommitted",
    "InputTranscriptDelta",
    "InputTranscriptDone",
    "InputTranscriptFailed",
    "ItemCreated",
    "OutputItem",
    "RawEvent",
    "RealtimeEvent",
    "RenewReason",
    "ResponseCreated",
    "ResponseDone",
    "ServerEvent",
    "SessionCreated",
    "SessionFinished",
    "SessionRenewed",
    "SessionUpdated",
    "SpeechStarted",
    "SpeechStopped",
    "TextDelta",
    "TextDone",
    "ToolCall",
    "ToolResult",
    "TranscriptDelta",
    "TranscriptDone",
    "parse_server_event",
]


@dataclass(frozen=True)
class SessionCreated:
    """The first frame: the session with the model's defaults."""

    session: dict[str, Any]


@dataclass(frozen=True)
class SessionUpdated:
    """The effective session after a ``session.update``."""

    session: dict[str, Any]


@dataclass(frozen=True)
class ErrorEvent:
    """An ``error`` frame; ``error`` is the project's error for it (its class and hint from the message).

    ``client_event_id`` is the id of the client event it refuses, when the server says.
    """

    error: APIError
    code: str | None
    message: str
    param: str | None = None
    client_event_id: str | None = None


@dataclass(frozen=True)
class SpeechStarted:
    """Server VAD heard speech start at ``audio_start_ms`` of the session's input audio."""

    audio_start_ms: int
    item_id: str | None


@dataclass(frozen=True)
class SpeechStopped:
    """Server VAD heard the speech stop at ``audio_end_ms``."""

    audio_end_ms: int
    item_id: str | None


@dataclass(frozen=True)
class InputCommitted:
    """The input audio buffer became a user item."""

    item_id: str | None


@dataclass(frozen=True)
class InputCleared:
    """The input audio buffer was emptied."""


@dataclass(frozen=True)
class ItemCreated:
    """A conversation item was added (the user's turn, a function call, an item the client created)."""

    item_id: str | None
    item_type: str | None
    role: str | None
    item: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class InputTranscriptDelta:
    """Part of the transcript of what the user said (``stash`` is the tentative rest)."""

    item_id: str | None
    text: str
    stash: str = ""


@dataclass(frozen=True)
class InputTranscriptDone:
    """The transcript of a user turn (it may arrive after the answer started)."""

    item_id: str | None
    transcript: str


@dataclass(frozen=True)
class InputTranscriptFailed:
    """The user turn could not be transcribed."""

    item_id: str | None
    message: str


@dataclass(frozen=True)
class ResponseCreated:
    """A response began."""

    response_id: str


@dataclass(frozen=True)
class OutputItem:
    """``response.output_item.added`` (``done`` False) or ``.done``: an item of the response."""

    response_id: str
    item_id: str | None
    item_type: str | None
    done: bool
    item: dict[str, Any] = field(repr=False)


@dataclass(frozen=True)
class ContentPart:
    """``response.content_part.added`` / ``.done``."""

    response_id: str
    item_id: str | None
    done: bool


@dataclass(frozen=True)
class AudioDelta:
    """A piece of the spoken answer: PCM16 little-endian mono 24 kHz."""

    response_id: str
    item_id: str | None
    pcm: bytes = field(repr=False)


@dataclass(frozen=True)
class AudioDone:
    """The spoken answer is over (also after an interruption)."""

    response_id: str
    item_id: str | None


@dataclass(frozen=True)
class TranscriptDelta:
    """A piece of the text of the spoken answer."""

    response_id: str
    item_id: str | None
    text: str


@dataclass(frozen=True)
class TranscriptDone:
    """The whole text of the spoken answer."""

    response_id: str
    item_id: str | None
    transcript: str


@dataclass(frozen=True)
class TextDelta:
    """A piece of a text-only answer."""

    response_id: str
    item_id: str | None
    text: str


@dataclass(frozen=True)
class TextDone:
    """The whole text of a text-only answer."""

    response_id: str
    item_id: str | None
    text: str


@dataclass(frozen=True)
class FunctionCallArgumentsDelta:
    """A piece of a function call's arguments."""

    response_id: str
    call_id: str | None
    delta: str


@dataclass(frozen=True)
class FunctionCallArgumentsDone:
    """A whole function call: its name and its arguments as the JSON text the model wrote."""

    response_id: str
    item_id: str | None
    call_id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class ResponseDone:
    """A response ended; ``answer`` holds all of it (its audio as a WAV with ``answer.wav()``)."""

    response_id: str
    status: str
    answer: RealtimeAnswer = field(repr=False)
    response: dict[str, Any] = field(repr=False, default_factory=dict)


@dataclass(frozen=True)
class SessionFinished:
    """The server finished the session (the reply to ``session.finish``)."""


@dataclass(frozen=True)
class RawEvent:
    """A server event of a type this package does not know; ``data`` is the whole frame."""

    type: str
    data: dict[str, Any]


ServerEvent: TypeAlias = (
    SessionCreated | SessionUpdated | ErrorEvent | SpeechStarted | SpeechStopped | InputCommitted | InputCleared
    | ItemCreated | InputTranscriptDelta | InputTranscriptDone | InputTranscriptFailed | ResponseCreated | OutputItem
    | ContentPart | AudioDelta | AudioDone | TranscriptDelta | TranscriptDone | TextDelta | TextDone
    | FunctionCallArgumentsDelta | FunctionCallArgumentsDone | ResponseDone | SessionFinished | RawEvent
)  # fmt: skip


@dataclass(frozen=True)
class ToolCall:
    """The model called a function; the session runs it (if it has a function) and answers."""

    response_id: str
    call_id: str
    name: str
    arguments: dict[str, Any] | None
    raw_arguments: str


@dataclass(frozen=True)
class ToolResult:
    """The ``function_call_output`` sent for a call; ``error`` when the tool failed or was unknown."""

    call_id: str
    name: str
    output: str
    error: bool = False


@dataclass(frozen=True)
class BargeIn:
    """The user started speaking over the answer ``response_id``: stop playing it; its remaining deltas are dropped."""

    response_id: str
    audio_start_ms: int


RenewReason = Literal["duration", "context", "turns", "reconnect"]


@dataclass(frozen=True)
class SessionRenewed:
    """A new connection took over: before a session limit (``duration``, ``context``, ``turns``) or after a
    recoverable close (``reconnect``, with ``close_reason``). The conversation so far was carried over as text in the
    instructions. ``lost`` is the answer that was under way when the connection broke (never complete), if any."""

    reason: RenewReason
    number: int
    close_reason: str | None = None
    lost: RealtimeAnswer | None = None


RealtimeEvent: TypeAlias = ServerEvent | ToolCall | ToolResult | BargeIn | SessionRenewed


# -- parsing ------------------------------------------------------------------------------------------------------


def _str(data: dict[str, Any], key: str, default: str = "") -> str:
    value = data.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise APIProtocolError(f"The realtime event {data.get('type')!r} has a {key!r} that is not text: {value!r}.")
    return value


def _opt(data: dict[str, Any], key: str) -> str | None:
    return _str(data, key) or None


def _int(data: dict[str, Any], key: str) -> int:
    value = data.get(key, 0)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise APIProtocolError(f"The realtime event {data.get('type')!r} has a {key!r} that is not a number.")
    return int(value)


def _dict(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise APIProtocolError(f"The realtime event {data.get('type')!r} has a {key!r} that is not an object.")
    return value


def _pcm(data: dict[str, Any]) -> bytes:
    try:
        return base64.b64decode(_str(data, "delta"), validate=True)
    except (binascii.Error, ValueError):
        raise APIProtocolError("A response.audio.delta frame carries audio that is not base64.") from None


def error_fields(data: dict[str, Any]) -> tuple[str | None, str, str | None, str | None]:
    """An ``error`` frame's code, message, param and the id of the client event it refuses."""
    error = _dict(data, "error")
    return _opt(error, "code"), _str(error, "message", "The realtime server sent an error."), _opt(
        error, "param"), _opt(error, "event_id")  # fmt: skip


def parse_server_event(data: dict[str, Any], answer: RealtimeAnswer | None = None) -> ServerEvent:
    """The typed event of a server frame (``answer`` is the response's, for ``response.done``).

    An ``error`` frame's mapped error is made by the session (which knows the key to scrub); here it is a plain
    :class:`~qwen_omni.errors.APIError` placeholder built from the frame.

    Raises:
        APIProtocolError: a field of the wrong type.
    """
    kind = _str(data, "type")
    rid = _str(data, "response_id")
    iid = _opt(data, "item_id")
    match kind:
        case "session.created":
            return SessionCreated(_dict(data, "session"))
        case "session.updated":
            return SessionUpdated(_dict(data, "session"))
        case "error":
            code, message, param, event_id = error_fields(data)
            return ErrorEvent(APIError(message, code=code), code, message, param, event_id)
        case "input_audio_buffer.speech_started":
            return SpeechStarted(_int(data, "audio_start_ms"), iid)
        case "input_audio_buffer.speech_stopped":
            return SpeechStopped(_int(data, "audio_end_ms"), iid)
        case "input_audio_buffer.committed":
            return InputCommitted(iid)
        case "input_audio_buffer.cleared":
            return InputCleared()
        case "conversation.item.created":
            item = _dict(data, "item")
            return ItemCreated(_opt(item, "id"), _opt(item, "type"), _opt(item, "role"), item)
        case "conversation.item.input_audio_transcription.delta":
            return InputTranscriptDelta(iid, _str(data, "text"), _str(data, "stash"))
        case "conversation.item.input_audio_transcription.completed":
            return InputTranscriptDone(iid, _str(data, "transcript"))
        case "conversation.item.input_audio_transcription.failed":
            return InputTranscriptFailed(iid, _str(_dict(data, "error"), "message", "transcription failed"))
        case "response.created":
            return ResponseCreated(_str(_dict(data, "response"), "id"))
        case "response.output_item.added" | "response.output_item.done":
            item = _dict(data, "item")
            return OutputItem(rid, _opt(item, "id"), _opt(item, "type"), kind.endswith(".done"), item)
        case "response.content_part.added" | "response.content_part.done":
            return ContentPart(rid, iid, kind.endswith(".done"))
        case "response.audio.delta":
            return AudioDelta(rid, iid, _pcm(data))
        case "response.audio.done":
            return AudioDone(rid, iid)
        case "response.audio_transcript.delta":
            return TranscriptDelta(rid, iid, _str(data, "delta"))
        case "response.audio_transcript.done":
            return TranscriptDone(rid, iid, _str(data, "transcript"))
        case "response.text.delta":
            return TextDelta(rid, iid, _str(data, "delta"))
        case "response.text.done":
            return TextDone(rid, iid, _str(data, "text"))
        case "response.function_call_arguments.delta":
            return FunctionCallArgumentsDelta(rid, _opt(data, "call_id"), _str(data, "delta"))
        case "response.function_call_arguments.done":
            return FunctionCallArgumentsDone(rid, iid, _str(data, "call_id"), _str(data, "name"),
                                             _str(data, "arguments"))  # fmt: skip
        case "response.done":
            response = _dict(data, "response")
            response_id = _str(response, "id")
            status = _str(response, "status", "completed")
            return ResponseDone(response_id, status, answer or RealtimeAnswer(response_id, status), response)
        case "session.finished":
            return SessionFinished()
        case _:
            return RawEvent(kind, data)
