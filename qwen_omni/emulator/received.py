"""What the emulator received: one :class:`ReceivedRequest` per chat request, one :class:`ReceivedPart` per
non-text content part of its user messages.

Example:
    >>> part = ReceivedPart(kind="image", source="url", url="https://example.com/cat.png")
    >>> part.kind, part.source, part.info
    ('image', 'url', None)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .faults import Fault

if TYPE_CHECKING:
    from qwen_omni.media import MediaInfo

    from .decoding import DecodedMedia

PartKind = Literal["text", "image", "audio", "video", "video_frames"]
PartSource = Literal["url", "inline"]


@dataclass(frozen=True)
class ReceivedPart:
    """One non-text content part of a user message, as the emulator understood it.

    Attributes:
        kind: ``"image"``, ``"audio"``, ``"video"`` (a video file) or ``"video_frames"`` (a list of images).
        source: ``"url"`` (http, https or oss; never fetched) or ``"inline"`` (a base64 data URI).
        mime_type: the data URI's declared type (None for ``data:;base64,``), or the type guessed from the URL.
        size_bytes: decoded bytes of inline data (the sum over inline frames); None for URLs.
        format: the ``input_audio.format`` field of an audio part.
        info: what :func:`qwen_omni.media.probe` found in inline data (the first frame of a frame list), or
            None for URLs and data it could not read.
        decoded: what decoding the inline data whole found (:class:`~.decoding.DecodedMedia`: the sound's rate,
            channels and real length, the pictures' size, count and times; every image of a frame list), or None
            for URLs and data it could not decode.
        frame_count: the number of frames of a frame list.
        options: the keys sent beside the URL, such as ``fps``, ``min_pixels`` or ``max_pixels``.
        url: the URL of a URL part (None for inline data, which is never kept).
        message_index: the index of the message the part came from.
    """

    kind: PartKind
    source: PartSource
    mime_type: str | None = None
    size_bytes: int | None = None
    format: str | None = None
    info: MediaInfo | None = None
    decoded: DecodedMedia | None = None
    frame_count: int | None = None
    options: Mapping[str, Any] = field(default_factory=dict)
    url: str | None = None
    message_index: int = 0


DeliveryState = Literal["playing", "completed", "disconnected", "cut", "stopped"]


class Delivery:
    """How a streamed answer went out, updated by the server while it plays; safe to read from any thread.

    Attributes:
        planned: the events the stream was to send (chunks, plus ``[DONE]`` unless a fault drops it).
        sent: the events handed to the connection so far (a trickled event counts once it is whole).
        state: ``"playing"``, then ``"completed"`` (the body ended), ``"disconnected"`` (the client hung up
            first), ``"cut"`` (a fault cut or reset the connection) or ``"stopped"`` (the emulator stopped).
        disconnected_at: ``time.monotonic()`` when the server saw the client hang up, or None.
        ended_at: ``time.monotonic()`` when the stream was over (sent whole, cut, hung up or stopped), or None.

    Example:
        >>> d = Delivery(planned=5)
        >>> d.state, d.wait(0.01)
        ('playing', False)
    """

    def __init__(self, planned: int) -> None:
        self.planned = planned
        self.sent = 0
        self.state: DeliveryState = "playing"
        self.disconnected_at: float | None = None
        self.ended_at: float | None = None
        self._lock = threading.Lock()
        self._ended = threading.Event()

    def disconnected(self) -> None:
        """The client hung up (recorded only while the stream is still playing)."""
        with self._lock:
            if self.state == "playing":
                self.state, self.disconnected_at = "disconnected", time.monotonic()

    def end(self, state: DeliveryState) -> None:
        """The stream is over, in ``state`` (unless a hang-up was recorded first)."""
        with self._lock:
            if self.state == "playing":
                self.state = state
            if self.ended_at is None:
                self.ended_at = time.monotonic()
        self._ended.set()

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the stream to be over; True if it is."""
        return self._ended.wait(timeout)

    def __repr__(self) -> str:
        return f"Delivery(state={self.state!r}, sent={self.sent}, planned={self.planned})"


@dataclass(frozen=True)
class ReceivedRequest:
    """One request that reached the chat route, refused or not.

    Attributes:
        payload: the JSON body with every data URI replaced by a placeholder such as
            ``data:image/png;base64,<1234 bytes>``; None when the body was not a JSON object.
        headers: the request headers (lower-case names) without ``Authorization``.
        parts: one entry per non-text content part of the user messages, in order.
        status: the HTTP status the emulator answered with (200 for a stream, even one a fault broke).
        model: the ``model`` field, if any.
        request_id: the id sent back in ``x-request-id`` and in error bodies.
        error_code: the error code of a refusal, else None.
        error_message: the error message of a refusal, else None.
        fault: the fault applied to this request, if any (a 429 of the emulator's ``rpm`` limit shows as one).
        delivery: for a streamed answer, how it is going out (see :class:`Delivery`); None for other answers.
        arrived: when the request arrived, in :func:`time.monotonic` seconds.

    Example:
        >>> r = ReceivedRequest(payload={"model": "m"}, headers={}, parts=[], status=200, model="m", request_id="x")
        >>> r.status, r.user_text
        (200, '')
    """

    payload: dict[str, Any] | None
    headers: Mapping[str, str]
    parts: list[ReceivedPart]
    status: int
    model: str | None
    request_id: str
    error_code: str | None = None
    error_message: str | None = None
    fault: Fault | None = None
    delivery: Delivery | None = None
    arrived: float = 0.0

    @property
    def user_text(self) -> str:
        """The text of the last user message (its text parts joined by spaces)."""
        if not self.payload or not isinstance(self.payload.get("messages"), list):
            return ""
        for message in reversed(self.payload["messages"]):
            if isinstance(message, dict) and message.get("role") == "user":
                return message_text(message.get("content"))
        return ""


def message_text(content: Any) -> str:
    """The text of a message's ``content``: the string itself, or its text parts joined by spaces."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [p.get("text") for p in content if isinstance(p, dict) and p.get("type") == "text"]
        return " ".join(t for t in texts if isinstance(t, str))
    return ""


__all__ = [
    "PartKind",
    "PartSource",
    "ReceivedPart",
    "ReceivedRequest",
    "message_text",
]
