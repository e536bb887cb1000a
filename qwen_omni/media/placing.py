"""Decoded sound placed at its true time in the file, past damaged stretches: what cutting and scanning share.

A damaged file still decodes, with holes: FFmpeg's MP3 demuxer resyncs after overwritten bytes and hands over
packets that fail to decode, and then counts time on from the last good frame, as if the hole were not there.
:func:`placed_audio` decodes what can be decoded and says where each frame truly lies:

- a packet that fails to decode is skipped and becomes a :class:`Damage`; in a stream without timestamps of its own
  (MP3, ADTS AAC, AC-3: times are counted frame by frame) the time it stood for is its bytes over the stream's byte
  rate, and every later frame is moved on by it, so times after the hole stay true;
- in a stream with timestamps (MP4, Matroska, Ogg), a jump in them is a hole too.

Example:
    >>> import av, io
    >>> from qwen_omni import samples
    >>> with av.open(io.BytesIO(samples.tone_mp3(2.0))) as container:
    ...     items = list(placed_audio(container, container.streams.audio[0], "tone.mp3"))
    >>> [type(i).__name__ for i in items][:2], round(sum(i.frame.samples for i in items) / 16_000, 2)
    (['Placed', 'Placed'], 2.0)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import av
from av.container import InputContainer

from ..errors import MediaError
from .reading import av_message, start_seconds

__all__ = ["Damage", "Placed", "placed_audio"]

#: Audio containers whose times are counted frame by frame (no timestamps of their own to show a hole).
COUNTED_FORMATS = frozenset({"mp3", "aac", "ac3", "eac3", "mp2", "adts"})
#: A jump in timestamps longer than this many seconds is a hole in the file, not jitter.
HOLE_SECONDS = 0.05


@dataclass(frozen=True)
class Placed:
    """A decoded frame and its true time, in seconds from the stream's start."""

    frame: av.AudioFrame
    at: float


@dataclass(frozen=True)
class Damage:
    """A stretch of the stream that could not be decoded, in seconds from the stream's start."""

    start: float
    end: float


def _byte_rate(container: InputContainer, stream: av.AudioStream) -> float | None:
    bits = stream.bit_rate or stream.codec_context.bit_rate or container.bit_rate
    return bits / 8 if bits else None


def placed_audio(container: InputContainer, stream: av.AudioStream, name: str) -> Iterator[Placed | Damage]:
    """Every frame of ``stream`` that decodes, at its true time, and each damaged stretch between them (merged).

    Raises:
        MediaError: the stream cannot be read at all (its first packets already fail, and nothing ever decodes).
    """
    origin = start_seconds(stream)
    rate = stream.codec_context.sample_rate or 1
    counted = container.format.name in COUNTED_FORMATS
    byte_rate = _byte_rate(container, stream) if counted else None
    shift = 0.0  # seconds of holes met so far, which the stream's own count of time left out
    expected: float | None = None  # the true time the next frame should start at
    hole: Damage | None = None
    decoded_any = False
    failure: av.FFmpegError | None = None
    try:
        for packet in container.demux(stream):
            try:
                frames = packet.decode()
            except av.FFmpegError as exc:
                failure = exc
                nominal = float(packet.duration * packet.time_base) if packet.duration and packet.time_base else 0.0
                lost = max(nominal, packet.size / byte_rate) if byte_rate else nominal
                begin = expected if expected is not None else _packet_time(packet, origin) + shift
                if counted:
                    shift += lost - nominal
                hole = _extend(hole, begin, begin + lost)
                expected = begin + lost
                continue
            for frame in frames:
                at = (float(frame.time) - origin + shift) if frame.time is not None else (expected or 0.0)
                if expected is not None and at > expected + HOLE_SECONDS:
                    hole = _extend(hole, expected, at)
                if hole is not None:
                    yield hole
                    hole = None
                decoded_any = True
                yield Placed(frame, at)
                expected = at + frame.samples / rate
    except av.FFmpegError as exc:  # the demuxer gave up: what was decoded stands, the rest is past the end
        failure = exc
    if hole is not None:
        yield hole
    if not decoded_any and failure is not None:
        raise MediaError(f"cannot decode {name}: {av_message(failure)}") from failure


def _packet_time(packet: av.Packet[Any], origin: float) -> float:
    if packet.pts is None or packet.time_base is None:
        return 0.0
    return float(packet.pts * packet.time_base) - origin


def _extend(hole: Damage | None, start: float, end: float) -> Damage:
    """``hole`` grown to cover ``[start, end]`` when they touch, else a new one (the old one is then lost: callers
    yield a hole before the next begins)."""
    if hole is not None and start <= hole.end + HOLE_SECONDS:
        return Damage(hole.start, max(hole.end, end))
    return Damage(start, end)
