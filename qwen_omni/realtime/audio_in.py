"""The input side of a session's audio: whatever comes in as PCM16 mono 16 kHz in ~100 ms frames, at a chosen pace.

- Raw PCM16 little-endian at any rate and channel count is converted (:class:`~qwen_omni.media.resampling.
  PcmResampler`); a WAV file's header says its format; any other file (MP3, video...) is read with
  :func:`read_audio_file`.
- Frames are 100 ms (3,200 bytes), the documented recommendation; the last one of a stream may be shorter.
- :class:`Pacer` sends frame ``n`` at ``n * 0.1 / factor`` seconds after the first, on one clock, so a slow moment
  is caught up rather than added up (``factor`` 1 is real time, 2 twice as fast, None as fast as possible).

Example:
    >>> import asyncio
    >>> async def sizes():
    ...     return [len(f) async for f in audio_frames(b"\\x00\\x00" * 20_000, sample_rate=8_000)]
    >>> frames = asyncio.run(sizes())  # 2.5 s at 8 kHz -> 2.5 s at 16 kHz
    >>> len(frames), set(frames)
    (25, {3200})
"""

from __future__ import annotations

import asyncio
import io
import os
import time
import wave
from collections.abc import AsyncIterable, AsyncIterator, Iterable
from dataclasses import dataclass

from ..audio import SAMPLE_WIDTH_BYTES
from ..errors import InvalidRequestError, MediaError
from .models import INPUT_SAMPLE_RATE

__all__ = [
    "FRAME_BYTES",
    "FRAME_SECONDS",
    "AudioSource",
    "Pacer",
    "audio_frames",
    "read_audio_file",
    "wav_format",
]

#: Seconds of audio per ``input_audio_buffer.append``.
FRAME_SECONDS = 0.1
#: Bytes of PCM16 mono 16 kHz per frame.
FRAME_BYTES = round(INPUT_SAMPLE_RATE * FRAME_SECONDS) * SAMPLE_WIDTH_BYTES
_RATE_RANGE = (8_000, 192_000)

#: Audio to send: bytes (raw PCM16 or a WAV file), or an (async) iterable of raw PCM16 chunks.
AudioSource = bytes | bytearray | memoryview | AsyncIterable[bytes] | Iterable[bytes]


@dataclass(frozen=True)
class _Format:
    rate: int
    channels: int


def wav_format(data: bytes) -> tuple[int, int, bytes] | None:
    """``(rate, channels, pcm)`` of a 16-bit PCM WAV file, None if ``data`` is not a WAV file.

    Raises:
        MediaError: a WAV file that is not 16-bit PCM (convert it with :func:`read_audio_file`).
    """
    if not (data[:4] == b"RIFF" and data[8:12] == b"WAVE"):
        return None
    try:
        with wave.open(io.BytesIO(data), "rb") as src:
            if src.getsampwidth() != SAMPLE_WIDTH_BYTES or src.getcomptype() != "NONE":
                raise MediaError(
                    f"The WAV audio is {8 * src.getsampwidth()}-bit {src.getcomptype()}; realtime sessions take 16-bit "
                    "PCM. Read it with qwen_omni.realtime.read_audio_file(...), which converts any audio."
                )
            return src.getframerate(), src.getnchannels(), src.readframes(src.getnframes())
    except (wave.Error, EOFError) as exc:
        raise MediaError(
            f"The WAV header cannot be read ({exc}); read the file with qwen_omni.realtime.read_audio_file(...)."
        ) from None


def read_audio_file(source: str | os.PathLike[str] | bytes) -> bytes:
    """Any audio (or a video's first audio track) as PCM16 mono 16 kHz, for :meth:`RealtimeSession.send_audio`.

    Raises:
        MediaError: the file is unreadable or has no audio.
    """
    from ..audio import wav_to_pcm16
    from ..media import transcode_audio

    return wav_to_pcm16(transcode_audio(source, format="wav", sample_rate=INPUT_SAMPLE_RATE, channels=1))


def _check_format(sample_rate: int, channels: int) -> _Format:
    if not _RATE_RANGE[0] <= sample_rate <= _RATE_RANGE[1]:
        raise InvalidRequestError(
            f"sample_rate must be between {_RATE_RANGE[0]} and {_RATE_RANGE[1]} Hz (it is converted to "
            f"{INPUT_SAMPLE_RATE}); got {sample_rate}."
        )
    if channels not in (1, 2):
        raise InvalidRequestError(
            f"channels must be 1 (mono) or 2 (stereo, mixed to mono); got {channels}. Mix other layouts down first, "
            "or read the file with qwen_omni.realtime.read_audio_file(...)."
        )
    return _Format(sample_rate, channels)


async def _chunks(source: AudioSource) -> AsyncIterator[bytes]:
    if isinstance(source, bytes | bytearray | memoryview):
        yield bytes(source)
    elif isinstance(source, AsyncIterable):
        async for chunk in source:
            yield bytes(chunk)
    else:
        for chunk in source:
            yield bytes(chunk)


async def audio_frames(
    source: AudioSource, *, sample_rate: int = INPUT_SAMPLE_RATE, channels: int = 1
) -> AsyncIterator[bytes]:
    """``source`` as PCM16 mono 16 kHz frames of :data:`FRAME_BYTES` (the last may be shorter, in whole samples).

    ``sample_rate`` and ``channels`` describe raw PCM; a WAV file's header overrides them.

    Raises:
        InvalidRequestError: an impossible rate or channel count.
        MediaError: a WAV file that is not 16-bit PCM, or raw PCM that does not end on a whole frame.
    """
    from ..media.resampling import PcmResampler

    fmt = _check_format(sample_rate, channels)
    resampler: PcmResampler | None = None
    pending = bytearray()
    received = 0
    async for chunk in _chunks(source):
        if resampler is None:
            header = wav_format(chunk)
            if header is not None:
                rate, count, chunk = header
                fmt = _check_format(rate, count)
            resampler = PcmResampler(fmt.rate, fmt.channels, out_rate=INPUT_SAMPLE_RATE, out_channels=1)
        received += len(chunk)
        pending += resampler.feed(chunk)
        while len(pending) >= FRAME_BYTES:
            yield bytes(pending[:FRAME_BYTES])
            del pending[:FRAME_BYTES]
    if received % (SAMPLE_WIDTH_BYTES * fmt.channels):
        raise MediaError(
            f"The audio ends in the middle of a sample: {received} bytes is not a whole number of "
            f"{fmt.channels}-channel 16-bit frames. Send PCM16 little-endian, or a WAV file."
        )
    if resampler is not None:
        pending += resampler.flush()
    if pending:
        yield bytes(pending)


class Pacer:
    """Waits until frame ``n`` is due: ``n * FRAME_SECONDS / factor`` after the first (None: never waits)."""

    def __init__(self, factor: float | None) -> None:
        if factor is not None and factor <= 0:
            raise InvalidRequestError(f"realtime_factor must be above 0 (or None for no pacing); got {factor}.")
        self.factor = factor
        self._start: float | None = None
        self._seconds = 0.0

    async def wait(self, frame_seconds: float) -> None:
        """Wait for the next frame's turn; ``frame_seconds`` is the audio the previous frames held."""
        if self.factor is None:
            return
        now = time.monotonic()
        if self._start is None:
            self._start = now
        due = self._start + self._seconds / self.factor
        self._seconds += frame_seconds
        if due > now:
            await asyncio.sleep(due - now)
