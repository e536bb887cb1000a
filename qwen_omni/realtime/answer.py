"""One response of a realtime session, put together as its events arrive: text, spoken text, audio, tool calls.

The audio is kept as the PCM16 24 kHz bytes that arrived, in order, so :meth:`RealtimeAnswer.wav` is bit-exact:
its samples are the decoded ``response.audio.delta`` payloads joined. A response cut by barge-in keeps what arrived
before the user spoke (``interrupted`` is True); one lost with a dropped connection is never marked complete.

Example:
    >>> answer = RealtimeAnswer("resp_1")
    >>> answer.add_audio(b"\\x01\\x00" * 3); answer.add_transcript("Hi")
    >>> answer.transcript, len(answer.pcm), answer.wav()[:4]
    ('Hi', 6, b'RIFF')
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..audio import pcm16_duration, pcm16_to_wav
from ..stream import Usage
from .models import OUTPUT_SAMPLE_RATE

__all__ = ["RealtimeAnswer", "ToolCallRecord", "usage_from_wire"]


def usage_from_wire(usage: Any) -> Usage | None:
    """The realtime ``usage`` object (``input_tokens``, ``output_tokens``, their details) as a :class:`Usage`."""
    if not isinstance(usage, dict):
        return None

    def details(key: str) -> dict[str, int]:
        raw = usage.get(key)
        return {k: int(v) for k, v in raw.items() if isinstance(v, int | float)} if isinstance(raw, dict) else {}

    prompt, completion = int(usage.get("input_tokens") or 0), int(usage.get("output_tokens") or 0)
    return Usage(prompt_tokens=prompt, completion_tokens=completion,
                 total_tokens=int(usage.get("total_tokens") or prompt + completion),
                 prompt_tokens_details=details("input_tokens_details"),
                 completion_tokens_details=details("output_tokens_details"))  # fmt: skip


@dataclass
class ToolCallRecord:
    """One call the model made in a response, and what answered it."""

    call_id: str
    name: str
    arguments: str
    output: str | None = None
    error: bool = False


@dataclass
class RealtimeAnswer:
    """What one response said.

    Attributes:
        response_id: the server's id.
        status: ``response.done``'s status (``completed``, ``cancelled``, ``failed``, ``incomplete``), or
            ``in_progress`` until then, or ``lost`` when the connection broke first.
        text: the text of a text-only answer (``response.text.*``).
        transcript: the text of a spoken answer (``response.audio_transcript.*``).
        pcm: the spoken answer, PCM16 little-endian mono 24 kHz, as it arrived.
        tool_calls: the calls the model made.
        usage: the tokens counted, from ``response.done``.
        interrupted: the user spoke over it (barge-in) or it was cancelled: the rest of it was dropped.
        heard: the transcript of the user turn it answers, when the server sent one in time.
    """

    response_id: str
    status: str = "in_progress"
    text: str = ""
    transcript: str = ""
    pcm: bytearray = field(default_factory=bytearray, repr=False)
    tool_calls: list[ToolCallRecord] = field(default_factory=list)
    usage: Usage | None = None
    interrupted: bool = False
    heard: str | None = None

    def add_audio(self, pcm: bytes) -> None:
        self.pcm += pcm

    def add_transcript(self, text: str) -> None:
        self.transcript += text

    def add_text(self, text: str) -> None:
        self.text += text

    @property
    def said(self) -> str:
        """The answer's words: the transcript of a spoken answer, else its text."""
        return self.transcript or self.text

    @property
    def complete(self) -> bool:
        """True when the server finished the response and nothing of it was dropped."""
        return self.status == "completed" and not self.interrupted

    @property
    def audio_seconds(self) -> float:
        """Seconds of speech received."""
        return pcm16_duration(len(self.pcm), sample_rate=OUTPUT_SAMPLE_RATE)

    def wav(self) -> bytes:
        """The spoken answer as a WAV file (the received samples, bit for bit); empty when nothing was spoken."""
        return pcm16_to_wav(bytes(self.pcm), sample_rate=OUTPUT_SAMPLE_RATE) if self.pcm else b""
