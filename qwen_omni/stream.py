"""Put a streamed Qwen-Omni answer back together.

:class:`StreamAccumulator` is fed chunks one at a time (openai SDK objects or plain dicts) and returns the
typed deltas each chunk carried, as soon as it arrives; :meth:`StreamAccumulator.finish` returns the whole
answer. It is written once and synchronously; the sync and async clients both feed it. Its cost is linear
in the size of the answer: pieces are kept in lists and joined once.

Example:
    >>> acc = StreamAccumulator()
    >>> acc.feed({"id": "c1", "model": "m", "choices": [{"index": 0, "delta": {"content": "Hi"}}]})
    [TextDelta(text='Hi')]
    >>> _ = acc.feed({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    >>> acc.finish().text
    'Hi'
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from .audio import pcm16_duration, pcm16_to_wav
from .errors import APIProtocolError, IncompleteResponseError, StreamErrorEvent, error_for_status


@dataclass(frozen=True)
class TextDelta:
    """A piece of the answer's text."""

    text: str


@dataclass(frozen=True)
class ReasoningDelta:
    """A piece of the model's reasoning (thinking mode)."""

    text: str


class AudioDelta:
    """A piece of the spoken answer: raw PCM16 little-endian mono 24 kHz, ready to play.

    ``data`` is the piece as base64 text and ``pcm`` its samples; either is made from the other on first use. When a
    chunk of the stream holds whole samples on its own (the usual case), ``data`` is the very text the API sent, so
    a caller that passes base64 on (a LangChain message) never decodes and encodes it again; a caller that reads
    ``pcm`` decodes it once.

    Example:
        >>> AudioDelta(data="AQACAA==").pcm
        b'\\x01\\x00\\x02\\x00'
        >>> AudioDelta(b"\\x01\\x00", "audio_1").data
        'AQA='
    """

    __slots__ = ("_data", "_pcm", "audio_id")

    def __init__(self, pcm: bytes | None = None, audio_id: str | None = None, *, data: str | None = None) -> None:
        if (pcm is None) == (data is None):
            raise TypeError("AudioDelta takes pcm (bytes) or data (base64 text), not both.")
        self._pcm = pcm
        self._data = data
        self.audio_id = audio_id

    @property
    def pcm(self) -> bytes:
        """The samples (decoded from :attr:`data` the first time).

        Raises:
            APIProtocolError: ``data`` is not valid base64.
        """
        if self._pcm is None:
            self._pcm = _b64decode(self._data or "")
        return self._pcm

    @property
    def data(self) -> str:
        """The samples as base64 text: as the API sent them when they came whole in one chunk."""
        if self._data is None:
            self._data = binascii.b2a_base64(self._pcm or b"", newline=False).decode("ascii")
        return self._data

    @property
    def size(self) -> int:
        """The number of PCM bytes, without decoding."""
        if self._pcm is not None:
            return len(self._pcm)
        return base64_size(self._data or "")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AudioDelta):
            return NotImplemented
        return self.audio_id == other.audio_id and self.pcm == other.pcm

    def __hash__(self) -> int:
        return hash((self.audio_id, self.size))

    def __repr__(self) -> str:
        return f"AudioDelta(<{self.size} PCM bytes>, audio_id={self.audio_id!r})"


def base64_size(text: str) -> int:
    """The number of bytes a padded base64 text decodes to, without decoding it.

    Example:
        >>> base64_size("AQACAA=="), base64_size("AQAC")
        (4, 3)
    """
    return len(text) // 4 * 3 - (text.endswith("=") + text.endswith("=="))


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise APIProtocolError(
            f"The stream carried audio data that is not valid base64 ({exc}).", status_code=200
        ) from exc


@dataclass(frozen=True)
class TranscriptDelta:
    """A piece of the spoken answer's transcript (sent by older models instead of ``content``)."""

    text: str


@dataclass(frozen=True)
class ToolCallDelta:
    """A fragment of a tool call; fragments with the same ``index`` concatenate."""

    index: int
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(frozen=True)
class Usage:
    """Token counts, with per-modality details (``text_tokens``, ``audio_tokens``, ``image_tokens``,
    ``video_tokens``, ``cached_tokens`` in; ``text_tokens``, ``audio_tokens``, ``reasoning_tokens`` out)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    prompt_tokens_details: dict[str, int] = field(default_factory=dict)
    completion_tokens_details: dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_wire(cls, usage: Mapping[str, Any]) -> Usage:
        def details(key: str) -> dict[str, int]:
            raw = usage.get(key) or {}
            return {k: int(v) for k, v in raw.items() if isinstance(v, int | float)}

        prompt = int(usage.get("prompt_tokens") or 0)
        completion = int(usage.get("completion_tokens") or 0)
        return cls(
            prompt_tokens=prompt,
            completion_tokens=completion,
            total_tokens=int(usage.get("total_tokens") or prompt + completion),
            prompt_tokens_details=details("prompt_tokens_details"),
            completion_tokens_details=details("completion_tokens_details"),
        )


@dataclass(frozen=True)
class UsageDelta:
    """The usage chunk (the last one, with ``choices: []``)."""

    usage: Usage


@dataclass(frozen=True)
class FinishDelta:
    """The finish reason: ``stop``, ``length``, ``tool_calls`` or ``content_filter``."""

    reason: str


Delta = TextDelta | ReasoningDelta | AudioDelta | TranscriptDelta | ToolCallDelta | UsageDelta | FinishDelta


@dataclass(frozen=True)
class ToolCall:
    """A complete tool call. ``arguments`` is the parsed JSON object, or None with ``error`` set."""

    id: str
    name: str
    raw_arguments: str
    arguments: dict[str, Any] | None
    error: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """The call as an assistant message's ``tool_calls`` item."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.raw_arguments},
        }


@dataclass(frozen=True)
class OmniResult:
    """A whole answer.

    ``audio`` is raw PCM16 mono 24 kHz (empty when the answer was not spoken); :meth:`wav` wraps it.
    """

    text: str
    reasoning: str
    audio: bytes
    transcript: str
    tool_calls: list[ToolCall]
    usage: Usage | None
    finish_reason: str | None
    model: str | None
    id: str | None
    audio_id: str | None = None

    def wav(self) -> bytes:
        """The spoken answer as a WAV file (empty bytes when there is none)."""
        return pcm16_to_wav(self.audio) if self.audio else b""

    @property
    def audio_seconds(self) -> float:
        return pcm16_duration(len(self.audio))


def _get(obj: Any, key: str) -> Any:
    """Read ``key`` from a dict or an SDK object (``delta.audio`` is a dict on some SDK versions)."""
    if type(obj) is dict:  # what the client reads (parsed JSON): the common case, first
        return obj.get(key)
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(key)
    value = getattr(obj, key, None)
    if value is None:
        extra = getattr(obj, "model_extra", None) or {}
        value = extra.get(key)
    return value


# The SDK builds chunks without validating them, so every field is checked here: a field of the wrong type is a
# protocol error, raised when its chunk arrives, not a TypeError at the end.


def _wrong(where: str, value: Any, expected: str) -> APIProtocolError:
    return APIProtocolError(
        f"The stream's {where} is {type(value).__name__} {str(value)[:40]!r}, not {expected}.", status_code=200
    )


def _object(value: Any, where: str) -> Any:
    """``value`` if it is a JSON object (a dict or an SDK model) or absent."""
    if value is None or type(value) is dict or isinstance(value, Mapping | BaseModel):
        return value
    raise _wrong(where, value, "an object")


def _text(obj: Any, key: str, where: str) -> str | None:
    value = _get(obj, key)
    if value is None or isinstance(value, str):
        return value
    raise _wrong(f"{where}.{key}", value, "a string")


def _whole(obj: Any, key: str, where: str) -> int | None:
    value = _get(obj, key)
    if value is None or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise _wrong(f"{where}.{key}", value, "a whole number")


def _items(obj: Any, key: str, where: str) -> list[Any]:
    value = _get(obj, key)
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return list(value)
    raise _wrong(f"{where}.{key}", value, "a list")


def _counts(usage: Mapping[str, Any]) -> Mapping[str, Any]:
    """``usage`` if its counts are numbers (details may hold other keys, which are dropped)."""
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        value = usage.get(key)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise _wrong(f"usage.{key}", value, "a number")
    for key in ("prompt_tokens_details", "completion_tokens_details"):
        _object(usage.get(key), f"usage.{key}")
    return usage


@dataclass
class _ToolCallBuilder:
    id: str | None = None
    name: str | None = None
    arguments: list[str] = field(default_factory=list)


class StreamAccumulator:
    """Turns raw chunks into typed deltas and, at the end, one :class:`OmniResult`.

    ``keep_audio=False`` is for a caller that keeps the :class:`AudioDelta` pieces itself (a framework adapter
    building its own message): the result's ``audio`` is then empty rather than a second copy of the speech.
    """

    def __init__(self, *, keep_audio: bool = True) -> None:
        self.keep_audio = keep_audio
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._transcript: list[str] = []
        self._audio = bytearray()
        self._audio_b64_tail = ""
        self._pcm_tail = b""
        self._audio_id: str | None = None
        self._tools: dict[int, _ToolCallBuilder] = {}
        self._usage: Usage | None = None
        self._finish: str | None = None
        self._model: str | None = None
        self._id: str | None = None
        self._saw_content = False
        self.chunks = 0

    def feed(self, chunk: Any) -> list[Delta]:
        """Take one chunk and return the deltas it carried, in order.

        Raises:
            StreamErrorEvent: the chunk is an error object (an error inside an HTTP 200 stream).
            APIProtocolError: the chunk, or one of its fields, is not of the documented type.
        """
        self.chunks += 1
        if type(chunk) is not dict and not isinstance(chunk, Mapping | BaseModel):
            raise _wrong("chunk", chunk, "a JSON object")
        error = _get(chunk, "error")
        if error:
            raise _stream_error(error, _get(chunk, "request_id"))
        self._model = _text(chunk, "model", "chunk") or self._model
        self._id = _text(chunk, "id", "chunk") or self._id
        deltas: list[Delta] = []
        for choice in _items(chunk, "choices", "chunk"):
            _object(choice, "choice")
            if (_whole(choice, "index", "choice") or 0) != 0:
                continue
            delta = _object(_get(choice, "delta"), "choice.delta")
            if delta is not None:
                self._feed_delta(delta, deltas)
            reason = _text(choice, "finish_reason", "choice")
            if reason:
                self._finish = reason
                deltas.append(FinishDelta(reason))
        usage = _object(_get(chunk, "usage"), "chunk.usage")
        if usage:
            raw = usage if type(usage) is dict or isinstance(usage, Mapping) else usage.model_dump(exclude_none=True)
            self._usage = Usage.from_wire(_counts(raw))
            deltas.append(UsageDelta(self._usage))
        return deltas

    def _feed_delta(self, delta: Any, out: list[Delta]) -> None:
        reasoning = _text(delta, "reasoning_content", "delta")
        if reasoning:
            self._reasoning.append(reasoning)
            out.append(ReasoningDelta(reasoning))
        content = _text(delta, "content", "delta")
        if content:
            self._saw_content = True
            self._text.append(content)
            out.append(TextDelta(content))
        audio = _object(_get(delta, "audio"), "delta.audio")
        if audio:
            self._feed_audio(audio, out)
        for call in _items(delta, "tool_calls", "delta"):
            _object(call, "delta.tool_calls[]")
            function = _object(_get(call, "function"), "tool_call.function")
            fragment = ToolCallDelta(
                index=_whole(call, "index", "tool_call") or 0,
                id=_text(call, "id", "tool_call"),
                name=_text(function, "name", "tool_call.function"),
                arguments=_text(function, "arguments", "tool_call.function") or "",
            )
            builder = self._tools.setdefault(fragment.index, _ToolCallBuilder())
            builder.id = builder.id or fragment.id
            builder.name = builder.name or fragment.name
            if fragment.arguments:
                builder.arguments.append(fragment.arguments)
            out.append(fragment)

    def _feed_audio(self, audio: Any, out: list[Delta]) -> None:
        self._audio_id = _text(audio, "id", "delta.audio") or self._audio_id
        data = _text(audio, "data", "delta.audio")
        if data:
            delta = self._audio_delta(data)
            if delta is not None:
                if self.keep_audio:
                    self._audio += delta.pcm
                out.append(delta)
        transcript = _text(audio, "transcript", "delta.audio")
        if transcript:
            self._transcript.append(transcript)
            out.append(TranscriptDelta(transcript))
            if not self._saw_content:
                # Older models put the answer's text only in the transcript: it is the text.
                self._text.append(transcript)
                out.append(TextDelta(transcript))

    def _audio_delta(self, data: str) -> AudioDelta | None:
        """The delta of one chunk's base64 audio (None when it completes no sample yet).

        A chunk that holds whole samples by itself (4-character groups, an even number of bytes, nothing carried
        over) becomes a delta of its text as it is, decoded only if someone reads its samples (or the answer keeps
        its audio). Otherwise the text is decoded here: a base64 piece need not end on a 4-character boundary, so
        the remainder is carried to the next chunk, and an odd PCM byte too, so every delta holds whole samples.
        """
        if (
            not self._audio_b64_tail
            and not self._pcm_tail
            and len(data) % 4 == 0
            and base64_size(data) % 2 == 0
            and data.isascii()
            and not data[-1].isspace()
        ):
            return AudioDelta(data=data, audio_id=self._audio_id)
        text = self._audio_b64_tail + data.strip()
        cut = len(text) - len(text) % 4
        self._audio_b64_tail = text[cut:]
        pcm = self._pcm_tail + _b64decode(text[:cut])
        whole = len(pcm) - len(pcm) % 2
        self._pcm_tail = pcm[whole:]
        return AudioDelta(pcm[:whole], self._audio_id) if whole else None

    def finish(self) -> OmniResult:
        """The whole answer.

        Raises:
            IncompleteResponseError: the stream ended without a finish reason, so the answer is cut short.
        """
        result = self.snapshot()
        if self._finish is None:
            raise IncompleteResponseError(
                f"The stream ended after {self.chunks} chunk(s) without a finish reason: the answer is "
                "incomplete and was not returned as a success. Retry the request.",
                partial=result,
            )
        if self._audio_b64_tail or self._pcm_tail:
            raise IncompleteResponseError(
                "The spoken answer ended in the middle of a base64 group: the audio is incomplete.",
                partial=result,
            )
        return result

    def snapshot(self) -> OmniResult:
        """What has arrived so far (not validated as complete)."""
        return OmniResult(
            text="".join(self._text),
            reasoning="".join(self._reasoning),
            audio=bytes(self._audio),
            transcript="".join(self._transcript),
            tool_calls=[_complete_call(i, b) for i, b in sorted(self._tools.items())],
            usage=self._usage,
            finish_reason=self._finish,
            model=self._model,
            id=self._id,
            audio_id=self._audio_id,
        )


def _complete_call(index: int, builder: _ToolCallBuilder) -> ToolCall:
    raw = "".join(builder.arguments)
    try:
        parsed = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError as exc:
        return ToolCall(builder.id or f"call_{index}", builder.name or "", raw, None, f"invalid JSON: {exc}")
    if not isinstance(parsed, dict):
        return ToolCall(builder.id or f"call_{index}", builder.name or "", raw, None, "arguments are not an object")
    return ToolCall(builder.id or f"call_{index}", builder.name or "", raw, parsed)


def _stream_error(error: Any, request_id: Any) -> StreamErrorEvent:
    message = _get(error, "message") or "The server sent an error inside the stream."
    code = _get(error, "code")
    err = error_for_status(200, str(message), code=code, request_id=request_id, body=error, in_stream=True)
    assert isinstance(err, StreamErrorEvent)
    return err


def parse_partial_json(raw: str) -> dict[str, Any]:
    """Best-effort parse of a JSON object that may still be arriving (for streamed tool arguments).

    Example:
        >>> parse_partial_json('{"city": "Par')
        {'city': 'Par'}
    """
    text = raw.strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
        return value if isinstance(value, dict) else {}
    except json.JSONDecodeError:
        pass
    closers: list[str] = []
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "{[":
            closers.append("}" if ch == "{" else "]")
        elif ch in "}]" and closers:
            closers.pop()
    candidate = text + ('"' if in_string else "")
    for trim in range(0, min(len(candidate), 64)):
        attempt = candidate[: len(candidate) - trim].rstrip().rstrip(",:") + "".join(reversed(closers))
        try:
            value = json.loads(attempt)
            return value if isinstance(value, dict) else {}
        except json.JSONDecodeError:
            continue
    return {}


__all__ = [
    "AudioDelta",
    "Delta",
    "FinishDelta",
    "OmniResult",
    "ReasoningDelta",
    "StreamAccumulator",
    "TextDelta",
    "ToolCall",
    "ToolCallDelta",
    "TranscriptDelta",
    "Usage",
    "UsageDelta",
    "base64_size",
    "parse_partial_json",
]
