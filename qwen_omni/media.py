"""Probe and process images, audio and video with PyAV.

This is the only module of the package that imports :mod:`av`. It answers "what is this file?"
(:func:`probe`, :func:`image_size`) and prepares media for the API: a video as a list of JPEG frames
(:func:`sample_frames`), long media cut into pieces (:func:`split`), any audio as mono 16 kHz MP3 or WAV
(:func:`transcode_audio`). The ``encode_*`` helpers turn NumPy arrays into files; :mod:`qwen_omni.samples`
uses them to make its sample media.

A :data:`MediaSource` is either the bytes of a file or a local path; nothing is ever written to disk.

Example:
    >>> import numpy as np
    >>> png = encode_image(np.zeros((48, 64, 3), dtype=np.uint8))
    >>> info = probe(png)
    >>> info.kind, info.container, (info.width, info.height)
    ('image', 'png', (64, 48))
"""

from __future__ import annotations

import io
import itertools
import math
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from types import TracebackType
from typing import Any, Literal, TypeAlias, overload

import av
import numpy as np
from av.container import InputContainer, OutputContainer
from numpy.typing import NDArray

from .audio import pcm16_to_wav
from .errors import MediaError

__all__ = [
    "MediaInfo",
    "MediaSource",
    "Segment",
    "encode_audio",
    "encode_image",
    "encode_video",
    "image_size",
    "probe",
    "sample_frames",
    "split",
    "transcode_audio",
    "video_codec",
]

MediaSource: TypeAlias = bytes | str | os.PathLike[str]
"""The bytes of a media file, or the path of a local one."""

MediaKind = Literal["image", "audio", "video"]

# Magic bytes -> the demuxer to use; a hint spares FFmpeg's guessing on small or unusual images.
_MAGIC_FORMATS: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "png_pipe"),
    (b"\xff\xd8\xff", "jpeg_pipe"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
)
_IMAGE_FORMATS = {"png_pipe": "png", "jpeg_pipe": "jpeg", "webp_pipe": "webp", "bmp_pipe": "bmp", "gif": "gif"}
_SHORT_NAMES = {
    "matroska,webm": "mkv",
    "mov,mp4,m4a,3gp,3g2,mj2": "mp4",
    "amrnb": "amr",
    "amrwb": "amr",
}
_HEAD_BYTES = 64
_TIMESCALE = (
    60_000  # time base of the video this module writes: exact for 24, 25, 29.97, 30, 60 fps; MPEG-4 takes <= 65535
)
_EPSILON = 1e-4  # seconds; absorbs float rounding in frame timestamps


@dataclass(frozen=True)
class MediaInfo:
    """What :func:`probe` found out about a media file.

    ``frames`` is the number of video frames (1 for an image, None for audio); ``sample_rate`` and
    ``channels`` describe the first audio track, if any; ``duration`` is None for images. ``has_video`` is
    True for moving pictures only: not for a still image, nor for an audio file's cover art.
    """

    kind: MediaKind
    container: str
    size_bytes: int
    duration: float | None
    width: int | None
    height: int | None
    frames: int | None
    sample_rate: int | None
    channels: int | None
    has_audio: bool
    has_video: bool

    @property
    def input_kind(self) -> MediaKind:
        """The kind of part the API should receive: an animated GIF is a picture to it, not a video.

        Example:
            >>> MediaInfo("video", "gif", 900, 0.6, 32, 32, 3, None, None, False, True).input_kind
            'image'
        """
        return "image" if self.container == "gif" else self.kind

    def describe(self) -> str:
        """A short human description.

        Example:
            >>> MediaInfo("audio", "wav", 32044, 1.0, None, None, None, 16000, 1, True, False).describe()
            'audio wav, 1.00 s, 16000 Hz mono, 32044 bytes'
        """
        parts = [f"{self.kind} {self.container}"]
        if self.duration is not None:
            parts.append(f"{self.duration:.2f} s")
        if self.width is not None and self.height is not None:
            parts.append(f"{self.width}x{self.height}")
        if self.kind == "video":
            if self.frames is not None:
                parts.append(f"{self.frames} frames")
            parts.append("with audio" if self.has_audio else "no audio")
        elif self.kind == "audio" and self.sample_rate is not None:
            layout = {1: "mono", 2: "stereo"}.get(self.channels or 0, f"{self.channels} channels")
            parts.append(f"{self.sample_rate} Hz {layout}")
        parts.append(f"{self.size_bytes} bytes")
        return ", ".join(parts)


@dataclass(frozen=True)
class Segment:
    """One piece of :func:`split`'s output: a standalone, playable file held in memory."""

    index: int
    start: float
    end: float
    data: bytes
    container: str

    @property
    def duration(self) -> float:
        """``end - start``, in seconds.

        Example:
            >>> Segment(2, 4.0, 5.5, b"...", "wav").duration
            1.5
        """
        return self.end - self.start


# --------------------------------------------------------------------------------------------- opening


def _describe_source(source: MediaSource) -> str:
    if isinstance(source, bytes | bytearray):
        return f"data ({len(source)} bytes)"
    return os.fspath(source)


def _head(source: MediaSource) -> bytes:
    """The first bytes of the file, after checking that a path names an existing regular file."""
    if isinstance(source, bytes | bytearray):
        return bytes(source[:_HEAD_BYTES])
    path = os.fspath(source)
    if not os.path.exists(path):
        raise MediaError(f"{path} does not exist.")
    if not os.path.isfile(path):
        raise MediaError(f"{path} is not a file.")
    with open(path, "rb") as file:
        return file.read(_HEAD_BYTES)


def _size(source: MediaSource) -> int:
    if isinstance(source, bytes | bytearray):
        return len(source)
    return os.path.getsize(os.fspath(source))


def _format_hint(head: bytes) -> str | None:
    for magic, name in _MAGIC_FORMATS:
        if head.startswith(magic):
            return name
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp_pipe"
    if head[:2] == b"BM" and head[6:10] == b"\0\0\0\0":  # BMP: the four reserved header bytes are zero
        return "bmp_pipe"
    return None


def _av_message(exc: av.FFmpegError) -> str:
    return exc.strerror or str(exc)


@contextmanager
def _open(source: MediaSource) -> Iterator[InputContainer]:
    """Open ``source`` for reading; FFmpeg's refusal becomes a :class:`MediaError`.

    A path is opened by Python, not FFmpeg, so that no name is taken for a protocol (``a:b.mp4``, ``http:``).
    """
    head = _head(source)
    with io.BytesIO(source) if isinstance(source, bytes | bytearray) else open(os.fspath(source), "rb") as file:
        try:
            container = av.open(file, mode="r", format=_format_hint(head))
        except av.FFmpegError as exc:
            raise MediaError(
                f"cannot read {_describe_source(source)}: not a media file PyAV can open ({_av_message(exc)})"
            ) from exc
        with container:
            yield container


def _video_streams(container: InputContainer) -> list[av.VideoStream]:
    """Real video streams: cover art (an ``attached_pic`` stream) does not count."""
    return [s for s in container.streams.video if not s.disposition & av.stream.Disposition.attached_pic]


@overload
def _decoded(container: InputContainer, streams: av.VideoStream, name: str) -> Iterator[av.VideoFrame]: ...
@overload
def _decoded(container: InputContainer, streams: av.AudioStream, name: str) -> Iterator[av.AudioFrame]: ...
@overload
def _decoded(
    container: InputContainer, streams: tuple[av.VideoStream, av.AudioStream], name: str
) -> Iterator[av.VideoFrame | av.AudioFrame]: ...
def _decoded(
    container: InputContainer,
    streams: av.VideoStream | av.AudioStream | tuple[av.VideoStream, av.AudioStream],
    name: str,
) -> Iterator[Any]:
    """Decode the frames of ``streams`` in file order; a corrupt file becomes a :class:`MediaError`."""
    try:
        for packet in container.demux(streams):
            yield from packet.decode()
    except av.FFmpegError as exc:
        raise MediaError(f"cannot decode {name}: {_av_message(exc)}") from exc


# --------------------------------------------------------------------------------------------- probing


def _parse_clock(text: str) -> float | None:
    """``"00:00:01.500000000"`` (Matroska's per-stream DURATION tag) -> 1.5."""
    try:
        hours, minutes, seconds = text.split(":")
        return int(hours) * 3600 + int(minutes) * 60 + float(seconds)
    except ValueError:
        return None


def _stream_duration(stream: av.VideoStream | av.AudioStream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    tag = stream.metadata.get("DURATION") or stream.metadata.get("duration")
    return _parse_clock(tag) if tag else None


def _container_duration(container: InputContainer) -> float | None:
    if container.duration is not None and container.duration > 0:
        return container.duration / av.time_base
    streams: list[av.VideoStream | av.AudioStream] = [*container.streams.video, *container.streams.audio]
    durations = [d for stream in streams if (d := _stream_duration(stream))]
    return max(durations) if durations else None


def _count_frames(container: InputContainer, stream: av.VideoStream, name: str) -> int:
    """The number of video frames, from the header if it says, else estimated, else counted."""
    if stream.frames > 0:
        return stream.frames
    duration = _stream_duration(stream) or _container_duration(container)
    rate = stream.average_rate or stream.guessed_rate
    if duration and rate:
        return max(1, round(duration * rate))
    try:
        return sum(1 for packet in container.demux(stream) if packet.size)
    except av.FFmpegError as exc:
        raise MediaError(f"cannot read {name}: {_av_message(exc)}") from exc


def _short_name(container: InputContainer, head: bytes, kind: MediaKind) -> str:
    name = container.format.name
    if name in _IMAGE_FORMATS:
        return _IMAGE_FORMATS[name]
    if name == "asf":
        return "wmv" if kind == "video" else "wma"
    if name == "matroska,webm":
        return "webm" if b"webm" in head else "mkv"
    if name.startswith("mov,"):
        brand = container.metadata.get("major_brand", "").strip().lower()
        if brand == "qt":
            return "mov"
        if brand.startswith(("3gp", "3g2")):
            return "3gp"
        return "m4a" if kind == "audio" else "mp4"
    return _SHORT_NAMES.get(name, name)


def probe(source: MediaSource) -> MediaInfo:
    """Identify an image, audio or video file, reading only its headers where possible.

    Raises:
        MediaError: the path does not exist, or FFmpeg cannot read the data.

    Example:
        >>> from qwen_omni import samples
        >>> probe(samples.tone_wav(1.0)).describe()
        'audio wav, 1.00 s, 16000 Hz mono, 32044 bytes'
        >>> probe(b"not media")
        Traceback (most recent call last):
        ...
        qwen_omni.errors.MediaError: cannot read data (9 bytes): not a media file PyAV can open (...)
    """
    head = _head(source)
    with _open(source) as container:
        videos = _video_streams(container)
        audios = list(container.streams.audio)
        if not videos and not audios:
            raise MediaError(f"cannot read {_describe_source(source)}: it has no audio or video stream.")
        video = videos[0] if videos else None
        audio = audios[0] if audios else None
        if video is not None and not (video.codec_context.width and video.codec_context.height):
            raise MediaError(f"cannot read {_describe_source(source)}: its picture cannot be decoded.")
        frames = _count_frames(container, video, _describe_source(source)) if video else None
        kind: MediaKind
        if video is None:
            kind = "audio"
        elif container.format.name in _IMAGE_FORMATS and (frames or 0) <= 1:
            kind = "image"
        else:
            kind = "video"
        return MediaInfo(
            kind=kind,
            container=_short_name(container, head, kind),
            size_bytes=_size(source),
            duration=None if kind == "image" else _container_duration(container),
            width=video.codec_context.width if video else None,
            height=video.codec_context.height if video else None,
            frames=1 if kind == "image" else frames,
            sample_rate=audio.codec_context.sample_rate if audio else None,
            channels=audio.codec_context.channels if audio else None,
            has_audio=audio is not None,
            has_video=kind == "video",
        )


def image_size(source: MediaSource) -> tuple[int, int] | None:
    """``(width, height)`` of an image (an animated GIF too), or None if ``source`` is not a readable image.

    Never raises for unreadable data, nor for audio or video (which give None); a missing path raises
    :class:`MediaError`.

    Example:
        >>> from qwen_omni import samples
        >>> image_size(samples.image_png(64, 48)), image_size(b"garbage")
        ((64, 48), None)
    """
    _head(source)  # a missing path is the caller's mistake, not "unreadable data"
    try:
        info = probe(source)
    except MediaError:
        return None
    if info.container not in _IMAGE_FORMATS.values() or info.width is None or info.height is None:
        return None
    return info.width, info.height


# --------------------------------------------------------------------------------------------- encoding


@cache
def _has_encoder(name: str) -> bool:
    try:
        av.Codec(name, "w")
    except av.codec.codec.UnknownCodecError:
        return False
    return True


def video_codec() -> Literal["libx264", "mpeg4"]:
    """The video encoder this module writes MP4 with: ``"libx264"`` (H.264), else ``"mpeg4"``.

    Example:
        >>> video_codec() in ("libx264", "mpeg4")
        True
    """
    return "libx264" if _has_encoder("libx264") else "mpeg4"


def _jpeg_qscale(quality: int) -> int:
    """JPEG quality 1..100 -> FFmpeg's mjpeg quantiser scale 31..2 (linear)."""
    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be between 1 and 100; got {quality}.")
    return round(31 - (quality - 1) * 29 / 99)


def _encode_still(frame: av.VideoFrame, codec: Literal["png", "mjpeg"], quality: int = 85) -> bytes:
    context = av.CodecContext.create(codec, "w")
    context.width, context.height = frame.width, frame.height
    context.time_base = Fraction(1, 25)
    if codec == "mjpeg":
        context.pix_fmt = "yuvj420p"
        context.qmin = context.qmax = _jpeg_qscale(quality)
    else:
        context.pix_fmt = "rgb24"
    packets = context.encode(frame.reformat(format=context.pix_fmt)) + context.encode(None)
    return b"".join(bytes(packet) for packet in packets)


def encode_image(rgb: NDArray[np.uint8], *, format: Literal["png", "jpeg"] = "png", quality: int = 85) -> bytes:
    """Encode an RGB array of shape (height, width, 3) as a PNG or JPEG file.

    ``quality`` (1..100) applies to JPEG only.

    Example:
        >>> import numpy as np
        >>> encode_image(np.zeros((8, 8, 3), dtype=np.uint8), format="jpeg")[:2]
        b'\\xff\\xd8'
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected a uint8 array of shape (height, width, 3); got {rgb.dtype} {rgb.shape}.")
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    return _encode_still(frame, "mjpeg" if format == "jpeg" else "png", quality)


def encode_gif(frames: Iterable[NDArray[np.uint8]], *, fps: int = 5) -> bytes:
    """Encode RGB arrays of shape (height, width, 3) as an animated GIF.

    Example:
        >>> import numpy as np
        >>> encode_gif([np.zeros((16, 16, 3), dtype=np.uint8)] * 2)[:6]
        b'GIF89a'
    """
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="gif") as container:
        stream = container.add_stream("gif", rate=fps)
        stream.pix_fmt = "rgb8"
        for index, rgb in enumerate(frames):
            if index == 0:
                stream.width, stream.height = rgb.shape[1], rgb.shape[0]
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


class _AudioEncoder:
    """Streams PCM16 samples into an in-memory WAV (via :func:`pcm16_to_wav`) or MP3 file."""

    def __init__(self, format: Literal["wav", "mp3"], sample_rate: int, channels: int) -> None:
        self.sample_rate, self.channels, self.layout = sample_rate, channels, _layout(channels)
        self._pcm: list[bytes] = []
        self._written = 0  # samples per channel
        self._buffer = io.BytesIO()
        self._mp3: tuple[OutputContainer, av.AudioStream] | None = None
        if format == "mp3":
            if not _has_encoder("libmp3lame"):
                raise RuntimeError("this PyAV build has no MP3 encoder (libmp3lame); ask for WAV instead.")
            rates = av.Codec("libmp3lame", "w").audio_rates or []
            if rates and sample_rate not in rates:
                raise ValueError(f"MP3 cannot hold {sample_rate} Hz audio; use one of {sorted(rates)}.")
            container = av.open(self._buffer, mode="w", format="mp3")
            stream = container.add_stream("libmp3lame", rate=sample_rate, layout=self.layout)
            stream.bit_rate = (32_000 if sample_rate <= 24_000 else 64_000) * channels
            self._mp3 = (container, stream)

    def __enter__(self) -> _AudioEncoder:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._mp3 is not None:
            self._mp3[0].close()

    def write(self, samples: NDArray[np.int16]) -> None:
        """Add interleaved PCM16 samples."""
        if not samples.size:
            return
        if self._mp3 is None:
            self._pcm.append(samples.astype("<i2").tobytes())
            return
        container, stream = self._mp3
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout=self.layout)
        frame.sample_rate, frame.pts, frame.time_base = self.sample_rate, self._written, Fraction(1, self.sample_rate)
        self._written += frame.samples
        container.mux(stream.encode(frame))

    def finish(self) -> bytes:
        """The complete file."""
        if self._mp3 is None:
            return pcm16_to_wav(b"".join(self._pcm), sample_rate=self.sample_rate, channels=self.channels)
        container, stream = self._mp3
        container.mux(stream.encode(None))
        container.close()
        return self._buffer.getvalue()


def _layout(channels: int) -> str:
    if channels not in (1, 2):
        raise ValueError(f"channels must be 1 (mono) or 2 (stereo); got {channels}.")
    return "mono" if channels == 1 else "stereo"


def encode_audio(samples: NDArray[np.int16], *, sample_rate: int, format: Literal["wav", "mp3"] = "wav") -> bytes:
    """Encode mono PCM16 samples as a WAV or MP3 file.

    Raises:
        RuntimeError: MP3 was asked for but this PyAV build has no MP3 encoder.

    Example:
        >>> import numpy as np
        >>> wav = encode_audio(np.zeros(16000, dtype=np.int16), sample_rate=16000)
        >>> probe(wav).duration
        1.0
    """
    with _AudioEncoder(format, sample_rate, 1) as encoder:
        encoder.write(np.asarray(samples, dtype=np.int16))
        return encoder.finish()


def _aac_rate(rate: int) -> int:
    """The nearest sample rate at or above ``rate`` that the AAC encoder takes."""
    rates = sorted(av.Codec("aac", "w").audio_rates or ())
    if not rates or rate in rates:
        return rate
    return next((r for r in rates if r >= rate), rates[-1])


class _Mp4Writer:
    """Encodes video frames (and audio) into an in-memory MP4: H.264 (or MPEG-4 Part 2) + AAC."""

    def __init__(self, *, width: int, height: int, rate: Fraction, sample_rate: int | None, channels: int = 1):
        self.width, self.height = max(2, width - width % 2), max(2, height - height % 2)
        self.end = 0.0  # seconds of content written, for the caller's bookkeeping
        self.frames = 0  # video frames written
        self._buffer = io.BytesIO()
        self._container = av.open(self._buffer, mode="w", format="mp4")
        codec = video_codec()
        options = {"preset": "veryfast"} if codec == "libx264" else {}
        self._video = self._container.add_stream(codec, rate=rate, options=options)
        self._video.width, self._video.height, self._video.pix_fmt = self.width, self.height, "yuv420p"
        self._video.codec_context.time_base = Fraction(1, _TIMESCALE)
        self._audio: av.AudioStream | None = None
        if sample_rate is not None:
            self._audio = self._container.add_stream("aac", rate=_aac_rate(sample_rate), layout=_layout(channels))

    @property
    def audio_rate(self) -> int | None:
        return self._audio.codec_context.sample_rate if self._audio else None

    def add_video(self, frame: av.VideoFrame, seconds: float, duration: float) -> None:
        """Add a frame shown from ``seconds`` (relative to this file's start) for ``duration``."""
        out = frame.reformat(width=self.width, height=self.height, format="yuv420p")
        out.pts, out.time_base = round(seconds * _TIMESCALE), Fraction(1, _TIMESCALE)
        self._container.mux(self._video.encode(out))
        self.frames += 1
        self.end = max(self.end, seconds + duration)

    def add_audio(self, samples: NDArray[np.float32], start: int) -> None:
        """Add planar float samples of shape (channels, n) at :attr:`audio_rate`, from sample ``start``."""
        if self._audio is None:
            raise ValueError("this MP4 has no audio track")
        rate = self._audio.codec_context.sample_rate
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples), format="fltp", layout=self._audio.layout)
        frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
        self._container.mux(self._audio.encode(frame))
        self.end = max(self.end, (start + samples.shape[1]) / rate)

    def finish(self) -> bytes:
        with self._container:
            self._container.mux(self._video.encode(None))
            if self._audio is not None:
                self._container.mux(self._audio.encode(None))
        return self._buffer.getvalue()

    def close(self) -> None:
        self._container.close()


def encode_video(
    frames: Iterable[NDArray[np.uint8]],
    *,
    fps: int,
    audio: NDArray[np.int16] | None = None,
    sample_rate: int = 16_000,
) -> bytes:
    """Encode RGB frames (each of shape (height, width, 3)) and optional mono PCM16 audio as an MP4.

    The video is H.264 when this PyAV build has libx264, else MPEG-4 Part 2 (see :func:`video_codec`);
    the audio is AAC. An odd width or height is scaled down by one pixel, as 4:2:0 video needs even sides.

    Example:
        >>> import numpy as np
        >>> mp4 = encode_video([np.zeros((48, 64, 3), dtype=np.uint8)] * 5, fps=5)
        >>> info = probe(mp4)
        >>> info.kind, info.frames, info.duration, info.has_audio
        ('video', 5, 1.0, False)
    """
    writer: _Mp4Writer | None = None
    try:
        for index, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb, dtype=np.uint8), format="rgb24")
            if writer is None:
                audio_rate = sample_rate if audio is not None else None
                writer = _Mp4Writer(width=frame.width, height=frame.height, rate=Fraction(fps), sample_rate=audio_rate)
            writer.add_video(frame, index / fps, 1 / fps)
        if writer is None:
            raise ValueError("encode_video needs at least one frame")
        if audio is not None:
            if writer.audio_rate != sample_rate:
                raise ValueError(f"AAC cannot hold {sample_rate} Hz audio; resample it first.")
            pcm = (np.asarray(audio, dtype=np.int16) / np.float32(32768)).astype(np.float32)
            writer.add_audio(pcm.reshape(1, -1), 0)
        return writer.finish()
    finally:
        if writer is not None:
            writer.close()


# --------------------------------------------------------------------------------------------- frames


def _scaled_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """Shrink (width, height) so its longer side is at most ``max_side``; scaled sides are made even."""
    if max_side is None or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)

    def even(side: int) -> int:
        return max(2, int(side * scale) // 2 * 2)

    return even(width), even(height)


def _start_seconds(stream: av.VideoStream | av.AudioStream) -> float:
    if stream.start_time is None or stream.time_base is None:
        return 0.0
    return float(stream.start_time * stream.time_base)


def _frame_seconds(frame: av.VideoFrame | av.AudioFrame, start: float, fallback: float) -> float:
    return frame.time - start if frame.time is not None else fallback


def _only_video(container: InputContainer, name: str) -> av.VideoStream:
    videos = _video_streams(container)
    if not videos:
        raise MediaError(f"{name} has no video stream.")
    return videos[0]


def sample_frames(
    source: MediaSource,
    *,
    fps: float | None = None,
    count: int | None = None,
    max_side: int | None = None,
    quality: int = 85,
) -> list[bytes]:
    """Decode a video and return evenly spaced frames as JPEG files.

    Give exactly one of ``fps`` (frames per second of video: times 0, 1/fps, 2/fps, ... before the end)
    or ``count`` (exactly that many frames, at times 0, d/count, 2·d/count, ... for a video of ``d``
    seconds). Each time takes the frame on screen at that moment. ``max_side`` shrinks frames so their
    longer side is at most that many pixels, keeping the aspect ratio (scaled sides are even).

    Example:
        >>> from qwen_omni import samples
        >>> frames = sample_frames(samples.video_mp4(2.0), count=3, max_side=80)
        >>> len(frames), image_size(frames[0])
        (3, (80, 60))
    """
    if (fps is None) == (count is None):
        raise ValueError("give exactly one of fps= or count=")
    if fps is not None and fps <= 0:
        raise ValueError(f"fps must be positive; got {fps}.")
    if count is not None and count < 1:
        raise ValueError(f"count must be at least 1; got {count}.")
    _jpeg_qscale(quality)
    name = _describe_source(source)
    with _open(source) as container:
        stream = _only_video(container, name)
        duration = _stream_duration(stream) or _container_duration(container)
        if duration is None:
            raise MediaError(f"cannot tell how long {name} is.")
        if count is not None:
            targets = [i * duration / count for i in range(count)]
        else:
            assert fps is not None
            targets = [i / fps for i in range(max(1, math.ceil(duration * fps - _EPSILON)))]
        stream.thread_type = "AUTO"
        start = _start_seconds(stream)
        rate = float(stream.average_rate or 25)

        jpegs: list[bytes] = []
        last: tuple[av.VideoFrame | None, bytes] = (None, b"")  # a frame chosen twice is encoded once

        def take(frame: av.VideoFrame) -> None:
            nonlocal last
            if last[0] is not frame:
                width, height = _scaled_size(frame.width, frame.height, max_side)
                last = (frame, _encode_still(frame.reformat(width=width, height=height), "mjpeg", quality))
            jpegs.append(last[1])

        previous: av.VideoFrame | None = None
        for index, frame in enumerate(_decoded(container, stream, name)):
            seconds = _frame_seconds(frame, start, index / rate)
            # The targets before this frame's time were on screen during the previous frame.
            while len(jpegs) < len(targets) and targets[len(jpegs)] < seconds - _EPSILON:
                take(previous if previous is not None else frame)
            previous = frame
        if previous is None:
            raise MediaError(f"no frame could be decoded from {name}.")
        while len(jpegs) < len(targets):
            take(previous)
    return jpegs


# --------------------------------------------------------------------------------------------- split


def _pieces(position: int, length: int, per_segment: float) -> Iterator[tuple[int, int, int]]:
    """Cut samples ``[position, position + length)`` at every multiple of ``per_segment`` samples.

    Yields ``(segment index, offset into the samples, count)``.
    """
    offset = 0
    while offset < length:
        index = int((position + offset) // per_segment)
        if round((index + 1) * per_segment) <= position + offset:  # float rounding at a boundary
            index += 1
        end = min(length, round((index + 1) * per_segment) - position)
        yield index, offset, end - offset
        offset = end


def _audio_limit(container: InputContainer, stream: av.AudioStream, rate: int, origin: float) -> int | None:
    """Samples (at ``rate``, counted from ``origin`` seconds) up to the end of an MP4/MOV audio track.

    MP4 states exactly where its audio ends, but FFmpeg's AAC decoder also returns the padding of the last
    frame (up to 1024 samples); other containers end where the decoder stops.
    """
    duration = _stream_duration(stream)
    if not container.format.name.startswith("mov,") or duration is None:
        return None
    return round((_start_seconds(stream) + duration - origin) * rate)


def _split_audio(container: InputContainer, stream: av.AudioStream, name: str, seconds: float) -> list[Segment]:
    rate = stream.codec_context.sample_rate
    resampler = av.AudioResampler(format="s16", layout="mono", rate=rate)
    limit = _audio_limit(container, stream, rate, _start_seconds(stream))
    segments: list[Segment] = []
    current: list[NDArray[np.int16]] = []
    position = 0  # samples so far

    def emit() -> None:
        pcm = np.concatenate(current)
        start = round(len(segments) * seconds * rate)
        wav = pcm16_to_wav(pcm.astype("<i2").tobytes(), sample_rate=rate)
        segments.append(Segment(len(segments), start / rate, (start + len(pcm)) / rate, wav, "wav"))
        current.clear()

    for frame in itertools.chain(_decoded(container, stream, name), [None]):
        for out in resampler.resample(frame):
            pcm = out.to_ndarray().reshape(-1).astype(np.int16)
            if limit is not None:
                pcm = pcm[: max(0, limit - position)]
            for index, offset, count in _pieces(position, len(pcm), seconds * rate):
                if index > len(segments) and current:
                    emit()
                current.append(pcm[offset : offset + count])
            position += len(pcm)
    if current:
        emit()
    if not segments:
        raise MediaError(f"no audio could be decoded from {name}.")
    return segments


class _VideoSplitter:
    """Routes decoded frames into one in-memory MP4 per segment, finishing each once both streams are past it."""

    def __init__(
        self, container: InputContainer, video: av.VideoStream, audio: av.AudioStream | None, seconds: float
    ) -> None:
        self.seconds = seconds
        self.video = video
        self.rate = video.average_rate or video.guessed_rate or Fraction(25)
        self.origin = _start_seconds(video)  # the first segment starts with the video
        self.channels = min(2, audio.codec_context.channels) if audio else 1
        self.audio_rate = _aac_rate(audio.codec_context.sample_rate) if audio else None
        self.resampler = (
            av.AudioResampler(format="fltp", layout=_layout(self.channels), rate=self.audio_rate) if audio else None
        )
        self.writers: dict[int, _Mp4Writer] = {}
        self.finished: dict[int, tuple[float, bytes]] = {}  # index -> (end in seconds, MP4)
        self.video_done, self.audio_done = 0.0, (0.0 if audio else math.inf)  # seconds each stream has reached
        self.video_frames = 0
        self.audio_position: int | None = None  # the next audio sample, counted from the origin
        self.audio_limit = (
            _audio_limit(container, audio, self.audio_rate, self.origin) if audio and self.audio_rate else None
        )

    def _writer(self, index: int) -> _Mp4Writer:
        if index not in self.writers:
            self.writers[index] = _Mp4Writer(
                width=self.video.codec_context.width,
                height=self.video.codec_context.height,
                rate=self.rate,
                sample_rate=self.audio_rate,
                channels=self.channels,
            )
        return self.writers[index]

    def add_video(self, frame: av.VideoFrame) -> None:
        frame_seconds = float(1 / self.rate)
        at = max(0.0, _frame_seconds(frame, self.origin, self.video_frames * frame_seconds))
        index = int((at + _EPSILON) // self.seconds)
        self._writer(index).add_video(frame, at - index * self.seconds, frame_seconds)
        self.video_frames += 1
        self.video_done = at
        self._finish_before(min(self.video_done, self.audio_done))

    def add_audio(self, frame: av.AudioFrame | None) -> None:
        if self.resampler is None or self.audio_rate is None:
            return
        if self.audio_position is None and frame is not None:
            self.audio_position = round(_frame_seconds(frame, self.origin, 0.0) * self.audio_rate)
        per_segment = self.seconds * self.audio_rate
        for out in self.resampler.resample(frame):
            pcm = out.to_ndarray().reshape(self.channels, -1).astype(np.float32)
            position = self.audio_position or 0
            if position < 0:  # audio from before the first video frame is dropped
                pcm, position = pcm[:, -position:], 0
            if self.audio_limit is not None:
                pcm = pcm[:, : max(0, self.audio_limit - position)]
            for index, offset, count in _pieces(position, pcm.shape[1], per_segment):
                start = position + offset - round(index * per_segment)
                self._writer(index).add_audio(pcm[:, offset : offset + count], start)
            self.audio_position = position + pcm.shape[1]
            self.audio_done = self.audio_position / self.audio_rate
        self._finish_before(min(self.video_done, self.audio_done))

    def _finish_before(self, seconds_done: float) -> None:
        for index in sorted(self.writers):
            if (index + 1) * self.seconds <= seconds_done + _EPSILON:
                writer = self.writers.pop(index)
                if writer.frames:  # audio after the last video frame (often codec padding) is dropped
                    self.finished[index] = (index * self.seconds + writer.end, writer.finish())
                else:
                    writer.close()

    def segments(self) -> list[Segment]:
        self._finish_before(math.inf)
        return [
            Segment(position, index * self.seconds, min(end, (index + 1) * self.seconds), data, "mp4")
            for position, (index, (end, data)) in enumerate(sorted(self.finished.items()))
        ]

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()


def _split_video(container: InputContainer, video: av.VideoStream, name: str, seconds: float) -> list[Segment]:
    audio = container.streams.audio[0] if container.streams.audio else None
    splitter = _VideoSplitter(container, video, audio, seconds)
    try:
        for frame in _decoded(container, (video, audio) if audio else video, name):
            if isinstance(frame, av.VideoFrame):
                splitter.add_video(frame)
            else:
                splitter.add_audio(frame)
        splitter.add_audio(None)  # flush the resampler
        segments = splitter.segments()
    finally:
        splitter.close()
    if not segments:
        raise MediaError(f"no video could be decoded from {name}.")
    return segments


def split(source: MediaSource, *, segment_seconds: float) -> list[Segment]:
    """Cut audio or video into consecutive pieces of at most ``segment_seconds`` (the last may be shorter).

    Every piece is a standalone file in memory: audio becomes mono PCM16 WAV at the source's sample rate;
    video becomes MP4 (H.264 or MPEG-4 Part 2, re-encoded) with its first audio track as AAC (at most
    stereo). Video is cut before the first frame at or after each boundary; audio is cut to the sample.
    Audio that runs on past the last video frame into a piece of its own (often codec padding) is dropped.

    Example:
        >>> from qwen_omni import samples
        >>> [(s.start, s.end) for s in split(samples.tone_wav(2.5), segment_seconds=1.0)]
        [(0.0, 1.0), (1.0, 2.0), (2.0, 2.5)]
    """
    if not segment_seconds > 0:
        raise ValueError(f"segment_seconds must be positive; got {segment_seconds}.")
    name = _describe_source(source)
    with _open(source) as container:
        videos = _video_streams(container)
        if videos and container.format.name in _IMAGE_FORMATS:
            raise MediaError(f"{name} is an image; only audio and video can be split.")
        if videos:
            videos[0].thread_type = "AUTO"
            return _split_video(container, videos[0], name, segment_seconds)
        return _split_audio(container, container.streams.audio[0], name, segment_seconds)


# --------------------------------------------------------------------------------------------- audio


def transcode_audio(
    source: MediaSource,
    *,
    format: Literal["wav", "mp3"] = "mp3",
    sample_rate: int = 16_000,
    channels: int = 1,
) -> bytes:
    """Re-encode any audio, or the first audio track of a video, as MP3 or PCM16 WAV.

    Raises:
        MediaError: ``source`` is unreadable or has no audio track.
        RuntimeError: MP3 was asked for but this PyAV build has no MP3 encoder.

    Example:
        >>> from qwen_omni import samples
        >>> info = probe(transcode_audio(samples.video_mp4(1.0)))
        >>> info.kind, info.container, info.sample_rate, info.channels
        ('audio', 'mp3', 16000, 1)
    """
    name = _describe_source(source)
    with _AudioEncoder(format, sample_rate, channels) as encoder, _open(source) as container:
        if not container.streams.audio:
            raise MediaError(f"{name} has no audio track.")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout=_layout(channels), rate=sample_rate)
        limit = _audio_limit(container, stream, sample_rate, _start_seconds(stream))
        written = 0
        for frame in itertools.chain(_decoded(container, stream, name), [None]):
            for out in resampler.resample(frame):
                pcm = out.to_ndarray().reshape(-1).astype(np.int16)  # interleaved
                if limit is not None:
                    pcm = pcm[: max(0, limit - written) * channels]
                encoder.write(pcm)
                written += len(pcm) // channels
        return encoder.finish()
