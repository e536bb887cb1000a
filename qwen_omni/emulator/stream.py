"""Turn an :class:`~.answer.AnswerPlan` into server-sent events, and play them (with a fault's delays, cuts,
early ends and error events) as an ASGI response.

Chunk order: the role chunk ``{"role": "assistant", "content": ""}``; reasoning; the tool calls (for each in
turn, as OpenAI streams parallel calls: a header with its ``index``, ``id`` and name, then fragments of its
arguments that carry only the ``index``) or the content (a few words per chunk, with ~0.1 s ``delta.audio``
chunks after each piece of text when audio is on); the finish chunk (which carries the last text fragment, as
in DashScope's sample stream); the usage chunk with ``choices: []`` when asked for; then ``data: [DONE]``.

Example:
    >>> from qwen_omni.emulator.answer import AnswerPlan
    >>> events = render_events(AnswerPlan(content="Hello there, world.", finish_reason="stop"),
    ...                        completion_id="chatcmpl-1", created=0, model="m", usage=None)
    >>> len(events), events[0][:40]
    (2, b'data: {"id":"chatcmpl-1","object":"chat.')
"""

from __future__ import annotations

import base64
import contextvars
import logging
import math
import threading
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import anyio
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from .answer import AnswerPlan, word_pieces
from .faults import Fault, MalformedKind
from .received import Delivery
from .speech import BYTES_PER_CHARACTER, pcm_pieces, speech_pcm, speech_seconds
from .state import AudioStyle
from .wire import (
    DEFAULT_STREAM_ERROR_CODE,
    DEFAULT_STREAM_ERROR_MESSAGE,
    DONE_EVENT,
    EVENT_STREAM_MEDIA_TYPE,
    chunk,
    sse,
    stream_error_body,
    usage_chunk,
)

#: Words of text per content or reasoning chunk.
WORDS_PER_CHUNK = 3
#: Characters per fragment of JSON content and of tool-call arguments.
JSON_FRAGMENT_CHARS = 16
#: How long the audio stays downloadable, as ``expires_at`` says (seconds after ``created``).
AUDIO_EXPIRES_SECONDS = 86_400

#: How often a sleeping stream checks whether the emulator is stopping (seconds).
_CLOSING_POLL = 0.05
_ABORT_LOG = "ASGI callable returned without "  # ... starting response / completing response
#: Set while a response is deliberately left unfinished (a cut or reset fault), so that uvicorn's complaint
#: about it is not logged as an error. Context variables follow the request's task, so no other request (and
#: no other app in the process) is affected.
_DELIBERATE_ABORT: contextvars.ContextVar[bool] = contextvars.ContextVar("qwen_omni_emulator_abort", default=False)


class _DeliberateAbortFilter(logging.Filter):
    """Drops uvicorn's "returned without completing response" record for a deliberately cut stream."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (_DELIBERATE_ABORT.get() and record.getMessage().startswith(_ABORT_LOG))


def install_log_filter() -> None:
    """Attach the filter to uvicorn's error logger (once)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DeliberateAbortFilter) for f in logger.filters):
        logger.addFilter(_DeliberateAbortFilter())


def _groups(pieces: list[str], size: int) -> list[str]:
    return ["".join(pieces[i : i + size]) for i in range(0, len(pieces), size)]


def text_fragments(text: str) -> list[str]:
    """``text`` in chunks of :data:`WORDS_PER_CHUNK` words (joined, they give ``text`` back)."""
    return _groups(word_pieces(text), WORDS_PER_CHUNK)


def json_fragments(text: str) -> list[str]:
    """``text`` in fragments of :data:`JSON_FRAGMENT_CHARS` characters."""
    return [text[i : i + JSON_FRAGMENT_CHARS] for i in range(0, len(text), JSON_FRAGMENT_CHARS)]


@dataclass(frozen=True)
class _Events:
    completion_id: str
    created: int
    model: str

    def delta(self, delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return chunk(self.completion_id, self.created, self.model, delta, finish_reason)


def render_events(
    plan: AnswerPlan,
    *,
    completion_id: str,
    created: int,
    model: str,
    usage: dict[str, Any] | None,
    audio_style: AudioStyle = "content",
    finish: bool = True,
) -> list[bytes]:
    """Every event of the stream but ``[DONE]``, SSE-encoded (``finish=False``: with no finish reason)."""
    ev = _Events(completion_id, created, model)
    chunks: list[dict[str, Any]] = [ev.delta({"role": "assistant", "content": ""})]
    chunks += [ev.delta({"reasoning_content": piece}) for piece in text_fragments(plan.reasoning)]
    last_text: dict[str, Any] | None = None
    if plan.tool_calls:
        for index, call in enumerate(plan.tool_calls):
            header = {
                "index": index,
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": ""},
            }
            chunks.append(ev.delta({"tool_calls": [header]}))
            for piece in json_fragments(call.arguments):
                chunks.append(ev.delta({"tool_calls": [{"index": index, "function": {"arguments": piece}}]}))
    else:
        fragments = json_fragments(plan.content) if plan.content_kind == "json" else text_fragments(plan.content)
        if plan.audio:
            chunks += _spoken(ev, fragments, audio_style)
        elif fragments:
            chunks += [ev.delta({"content": piece}) for piece in fragments[:-1]]
            last_text = {"content": fragments[-1]}
    chunks.append(ev.delta(last_text or {}, plan.finish_reason if finish else None))
    if usage is not None:
        chunks.append(usage_chunk(completion_id, created, model, usage))
    return [sse(c) for c in chunks]


def _spoken(ev: _Events, fragments: list[str], style: AudioStyle) -> list[dict[str, Any]]:
    """Text chunks each followed by the audio chunks of their characters."""
    audio_id = f"audio_{uuid.uuid4()}"
    expires_at = ev.created + AUDIO_EXPIRES_SECONDS
    pcm = speech_pcm("".join(fragments))
    chunks: list[dict[str, Any]] = []
    offset = 0
    for piece in fragments:
        if style == "transcript":
            chunks.append(ev.delta({"audio": {"transcript": piece}}))
        else:
            chunks.append(ev.delta({"content": piece}))
        size = len(piece) * BYTES_PER_CHARACTER
        for data in pcm_pieces(pcm[offset : offset + size]):
            audio = {"id": audio_id, "data": base64.b64encode(data).decode("ascii"), "expires_at": expires_at}
            chunks.append(ev.delta({"audio": audio}))
        offset += size
    return chunks


def audio_seconds(plan: AnswerPlan) -> float:
    """Seconds of speech the stream of ``plan`` carries."""
    if not plan.audio or plan.tool_calls:
        return 0.0
    return speech_seconds(plan.content)


def now() -> int:
    """The ``created`` timestamp."""
    return int(time.time())


#: The lines a ``malformed_after`` fault sends: a cut JSON object, or an HTML line from a proxy.
MALFORMED_LINES: dict[MalformedKind, bytes] = {
    "json": b'data: {"id":"chatcmpl-cut","object":"chat.completion.chunk","choices":[{"index":0,"del\n\n',
    "html": b"data: <html><body><h1>502 Bad Gateway</h1></body></html>\n\n",
}


def error_event(fault: Fault | None, request_id: str) -> bytes:
    """The error object a fault sends inside a 200 stream (output moderation unless it names a code)."""
    code = fault.code if fault and fault.code else DEFAULT_STREAM_ERROR_CODE
    message = fault.message if fault and fault.message else None
    if message is None and code == DEFAULT_STREAM_ERROR_CODE:
        message = DEFAULT_STREAM_ERROR_MESSAGE
    return sse(stream_error_body(code, message, request_id=request_id))


def playlist(events: list[bytes], fault: Fault | None, request_id: str) -> tuple[list[bytes], bool]:
    """The events to play as ``fault`` says, and whether to cut the connection after them.

    Example:
        >>> playlist([b"a", b"b", b"c"], Fault(cut_after=2), "r")
        ([b'a', b'b'], True)
        >>> playlist([b"a"], Fault(no_done=True, malformed_after=0, malformed="html"), "r")[0][0][:12]
        b'data: <html>'
    """
    if fault is None:
        return [*events, DONE_EVENT], False
    stop = next((n for n in (fault.cut_after, fault.end_early_after, fault.error_event_after) if n is not None), None)
    played = events[:stop] if stop is not None else events + ([] if fault.no_done else [DONE_EVENT])
    if fault.error_event_after is not None:
        played.append(error_event(fault, request_id))
    if fault.malformed_after is not None:
        played.insert(min(fault.malformed_after, len(played)), MALFORMED_LINES[fault.malformed])
    return played, fault.cut_after is not None


class ChunkStream(Response):
    """An ASGI response that plays SSE ``events`` (as :func:`playlist` made them) with the given delays, then
    ends the body, or leaves it unfinished and drops the connection when ``cut``.

    It records its progress in ``delivery``; when the client hangs up, it stops at once. When ``closing`` is set
    (the emulator is stopping), the stream is cut like a server going away.
    """

    media_type = EVENT_STREAM_MEDIA_TYPE

    def __init__(
        self,
        events: list[bytes],
        *,
        cut: bool = False,
        first_chunk_delay: float = 0.0,
        chunk_delay: float = 0.0,
        header_delay: float = 0.0,
        byte_delay: float = 0.0,
        headers: Mapping[str, str] | None = None,
        closing: threading.Event | None = None,
        delivery: Delivery | None = None,
    ) -> None:
        self.events = events
        self.cut = cut
        self.closing = closing or threading.Event()
        self.delivery = delivery or Delivery(planned=len(events))
        self.first_chunk_delay = first_chunk_delay
        self.chunk_delay = chunk_delay
        self.header_delay = header_delay
        self.byte_delay = byte_delay
        self.status_code = 200
        self.background = None
        self.init_headers({"cache-control": "no-cache", **(headers or {})})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            async with anyio.create_task_group() as group:

                async def watch_disconnect() -> None:
                    message: Message = await receive()
                    while message["type"] != "http.disconnect":
                        message = await receive()
                    self.delivery.disconnected()
                    group.cancel_scope.cancel()

                group.start_soon(watch_disconnect)
                await self._play(send)
                group.cancel_scope.cancel()
        finally:
            self.delivery.end("stopped")

    async def _sleep(self, seconds: float) -> None:
        """Sleep ``seconds``, waking early when the emulator is stopping."""
        steps = math.ceil(seconds / _CLOSING_POLL)
        for _ in range(steps):
            if self.closing.is_set():
                return
            await anyio.sleep(seconds / steps)

    async def _send_event(self, send: Send, event: bytes) -> None:
        if not self.byte_delay:
            await send({"type": "http.response.body", "body": event, "more_body": True})
            return
        for index in range(len(event)):
            await self._sleep(self.byte_delay)
            if self.closing.is_set():
                return
            await send({"type": "http.response.body", "body": event[index : index + 1], "more_body": True})

    async def _play(self, send: Send) -> None:
        await self._sleep(self.header_delay)
        if not self.closing.is_set():
            await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
            for index, event in enumerate(self.events):
                await self._sleep(self.first_chunk_delay if index == 0 else self.chunk_delay)
                if self.closing.is_set():
                    break
                await self._send_event(send, event)
                self.delivery.sent += 1
        if self.closing.is_set() or self.cut:
            self.delivery.end("stopped" if self.closing.is_set() else "cut")
            _DELIBERATE_ABORT.set(True)
            return  # leave the chunked body unfinished: uvicorn closes the connection without the last chunk
        self.delivery.end("completed")
        await send({"type": "http.response.body", "body": b"", "more_body": False})


__all__ = [
    "AUDIO_EXPIRES_SECONDS",
    "JSON_FRAGMENT_CHARS",
    "WORDS_PER_CHUNK",
    "ChunkStream",
    "audio_seconds",
    "install_log_filter",
    "json_fragments",
    "now",
    "render_events",
    "text_fragments",
]
