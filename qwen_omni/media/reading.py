"""The media package's door to FFmpeg input: open a source, find its streams, decode, read durations.

A :data:`MediaSource` is the bytes of a file, a local path, or a seekable binary file object. A path is
opened by Python, not FFmpeg, so no name is ever taken for a protocol (``a:b.mp4``, ``http:``); a file
object is read from where it stands and put back there afterwards. Nothing is ever written to disk.

Example:
    >>> from qwen_omni import samples
    >>> with open_media(samples.tone_wav(1.0)) as container:
    ...     round(container_duration(container), 2)
    1.0
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any, TypeAlias, overload

import av
from av.container import InputContainer

from ..errors import MediaError

__all__ = [
    "EPSILON",
    "MediaSource",
    "av_message",
    "container_duration",
    "decoded",
    "describe_source",
    "frame_seconds",
    "head_bytes",
    "open_media",
    "read_head",
    "source_size",
    "start_seconds",
    "stream_duration",
    "video_streams",
]

MediaSource: TypeAlias = bytes | str | os.PathLike[str] | IO[bytes]
"""The bytes of a media file, the path of a local one, or a seekable binary file object."""

#: Seconds; absorbs float rounding in frame timestamps.
EPSILON = 1e-4
_HEAD_BYTES = 64

# Magic bytes -> the demuxer to use; a hint spares FFmpeg's guessing on small or unusual images.
_MAGIC_FORMATS: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "png_pipe"),
    (b"\xff\xd8\xff", "jpeg_pipe"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)


def _is_file_object(source: MediaSource) -> bool:
    return hasattr(source, "read") and hasattr(source, "seek")


def describe_source(source: MediaSource) -> str:
    """How messages name a source: its path, its file object's name, or ``data (N bytes)``."""
    if isinstance(source, bytes | bytearray):
        return f"data ({len(source)} bytes)"
    if _is_file_object(source):
        name = getattr(source, "name", None)
        return str(name) if isinstance(name, str) else "the given file object"
    return os.fspath(source)  # type: ignore[arg-type]


def head_bytes(source: MediaSource) -> bytes:
    """The first bytes of the file, after checking that a path names an existing regular file."""
    if not isinstance(source, bytes | bytearray) and not _is_file_object(source):
        path = os.fspath(source)  # type: ignore[arg-type]
        if not os.path.exists(path):
            raise MediaError(f"{path} does not exist.")
        if not os.path.isfile(path):
            raise MediaError(f"{path} is not a file.")
    return read_head(source, _HEAD_BYTES)


def read_head(source: MediaSource, count: int) -> bytes:
    """The first ``count`` bytes of the file (fewer if it is shorter)."""
    if isinstance(source, bytes | bytearray):
        return bytes(source[:count])
    if _is_file_object(source):
        handle: IO[bytes] = source  # type: ignore[assignment]
        where = handle.tell()
        head = handle.read(count)
        handle.seek(where)
        return head
    with open(os.fspath(source), "rb") as file:  # type: ignore[arg-type]
        return bytes(file.read(count))


def source_size(source: MediaSource) -> int:
    """The size of the file in bytes (of a file object: from where it stands to its end)."""
    if isinstance(source, bytes | bytearray):
        return len(source)
    if _is_file_object(source):
        handle: IO[bytes] = source  # type: ignore[assignment]
        where = handle.tell()
        end = handle.seek(0, io.SEEK_END)
        handle.seek(where)
        return end - where
    return os.path.getsize(os.fspath(source))  # type: ignore[arg-type]


def format_hint(head: bytes) -> str | None:
    """The demuxer for an image whose magic bytes are known, else None (FFmpeg guesses)."""
    for magic, name in _MAGIC_FORMATS:
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp_pipe"
    if head[:2] == b"BM" and head[6:10] == b"\0\0\0\0":  # BMP: the four reserved header bytes are zero
        return "bmp_pipe"
    return None


def av_message(exc: av.FFmpegError) -> str:
    """FFmpeg's own words for a failure."""
    return exc.strerror or str(exc)


@contextmanager
def _file(source: MediaSource) -> Iterator[IO[bytes]]:
    if isinstance(source, bytes | bytearray):
        yield io.BytesIO(source)
    elif _is_file_object(source):
        handle: IO[bytes] = source  # type: ignore[assignment]
        where = handle.tell()
        try:
            yield handle
        finally:
            handle.seek(where)
    else:
        with open(os.fspath(source), "rb") as file:  # type: ignore[arg-type]
            yield file


@contextmanager
def open_media(source: MediaSource) -> Iterator[InputContainer]:
    """Open ``source`` for reading; FFmpeg's refusal becomes a :class:`MediaError`."""
    head = head_bytes(source)
    with _file(source) as file:
        try:
            container = av.open(file, mode="r", format=format_hint(head))
        except av.FFmpegError as exc:
            raise MediaError(
                f"cannot read {describe_source(source)}: not a media file PyAV can open ({av_message(exc)})"
            ) from exc
        with container:
            yield container


def video_streams(container: InputContainer) -> list[av.VideoStream]:
    """Real video streams: cover art (an ``attached_pic`` stream) does not count."""
    return [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]


@overload
def decoded(container: InputContainer, streams: av.VideoStream, name: str) -> Iterator[av.VideoFrame]: ...
@overload
def decoded(container: InputContainer, streams: av.AudioStream, name: str) -> Iterator[av.AudioFrame]: ...
@overload
def decoded(
    container: InputContainer, streams: tuple[av.VideoStream, av.AudioStream], name: str
) -> Iterator[av.VideoFrame | av.AudioFrame]: ...
def decoded(
    container: InputContainer,
    streams: av.VideoStream | av.AudioStream | tuple[av.VideoStream, av.AudioStream],
    name: str,
) -> Iterator[Any]:
    """Decode the frames of ``streams`` in file order, past damage: a packet that fails to decode is skipped, and
    a demuxer that gives up ends the media there. A file of which nothing decodes is a :class:`MediaError`."""
    failure: av.FFmpegError | None = None
    decoded_any = False
    try:
        for packet in container.demux(streams):
            try:
                frames = packet.decode()
            except av.FFmpegError as exc:
                failure = exc
                continue
            decoded_any = decoded_any or bool(frames)
            yield from frames
    except av.FFmpegError as exc:
        failure = exc
    if failure is not None and not decoded_any:
        raise MediaError(f"cannot decode {name}: {av_message(failure)}") from failure


def seek(container: InputContainer, stream: av.VideoStream | av.AudioStream, seconds: float, name: str) -> None:
    """Jump to the last keyframe at or before ``seconds`` of ``stream`` (counted from the stream's start)."""
    if stream.time_base is None:
        raise MediaError(f"cannot seek in {name}: its stream has no time base.")
    target = round((max(0.0, seconds) + start_seconds(stream)) / stream.time_base)
    try:
        container.seek(target, stream=stream, backward=True, any_frame=False)
    except av.FFmpegError as exc:
        raise MediaError(f"cannot seek in {name}: {av_message(exc)}") from exc


def _parse_clock(text: str) -> float | None:
    """``"00:00:01.500000000"`` (Matroska's per-stream DURATION tag) -> 1.5."""
    try:
        hours, minutes, seconds = text.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    except ValueError:
        return None


def stream_duration(stream: av.VideoStream | av.AudioStream) -> float | None:
    """A stream's length in seconds, from its header or its Matroska DURATION tag."""
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    tag = stream.metadata.get("DURATION") or stream.metadata.get("duration")
    return _parse_clock(tag) if tag else None


def container_duration(container: InputContainer) -> float | None:
    """The file's length in seconds, from the container or else its longest stream."""
    if container.duration is not None and container.duration > 0:
        return float(container.duration / av.time_base)
    streams: list[av.VideoStream | av.AudioStream] = [*container.streams.video, *container.streams.audio]
    durations = [d for stream in streams if (d := stream_duration(stream))]
    return max(durations) if durations else None


def start_seconds(stream: av.VideoStream | av.AudioStream) -> float:
    """When a stream's first frame is due, in seconds."""
    if stream.start_time is None or stream.time_base is None:
        return 0.0
    return float(stream.start_time * stream.time_base)


def frame_seconds(frame: av.VideoFrame | av.AudioFrame, start: float, fallback: float) -> float:
    """A frame's time counted from ``start``; ``fallback`` when it carries none."""
    return float(frame.time) - start if frame.time is not None else fallback
