"""Arrays and decoded frames -> files: PNG/JPEG stills, GIF, WAV/MP3/Opus audio, MP4 video (PyAV encoders).

:mod:`qwen_omni.media.cutting` streams decoded media into these writers; :mod:`qwen_omni.samples` uses
the ``encode_*`` functions to make its sample media from NumPy arrays.

Example:
    >>> import numpy as np
    >>> encode_image(np.zeros((8, 8, 3), dtype=np.uint8), format="jpeg")[:2]
    b'\\xff\\xd8'
    >>> audio_encoders()["mp3"]
    'libmp3lame'
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from fractions import Fraction
from functools import cache
from types import TracebackType
from typing import Any, Literal, cast

import av
import numpy as np
from av.container import OutputContainer
from numpy.typing import NDArray

from ..audio import pcm16_to_wav

__all__ = [
    "AudioFormat",
    "AudioWriter",
    "Mp4Writer",
    "audio_encoders",
    "encode_audio",
    "encode_gif",
    "encode_image",
    "encode_video",
    "video_codec",
]

AudioFormat = Literal["wav", "mp3", "opus"]

#: Time base of the video this module writes: exact for 24, 25, 29.97, 30, 60 fps; MPEG-4 takes <= 65535.
TIMESCALE = 60_000
#: Seconds between keyframes of the video this package writes (seeking starts decoding at a keyframe).
KEYFRAME_SECONDS = 2.0
#: FFmpeg encoder and container of each compressed audio format.
_AUDIO_CODECS: dict[str, tuple[str, str]] = {"mp3": ("libmp3lame", "mp3"), "opus": ("libopus", "ogg")}
#: LAME's algorithm quality (0 best .. 9 fastest); 7 keeps speech clear at 3x the speed of the default.
_MP3_COMPRESSION_LEVEL = "7"


@cache
def has_encoder(name: str) -> bool:
    """Whether this PyAV build can encode with FFmpeg's ``name`` codec."""
    try:
        av.Codec(name, "w")
    except av.codec.codec.UnknownCodecError:
        return False
    return True


def audio_encoders() -> dict[str, str]:
    """The compressed audio formats this PyAV build can write, and the encoder each uses.

    Example:
        >>> sorted(audio_encoders())
        ['mp3', 'opus']
    """
    return {fmt: codec for fmt, (codec, _) in _AUDIO_CODECS.items() if has_encoder(codec)}


def video_codec() -> Literal["libx264", "mpeg4"]:
    """The video encoder this package writes MP4 with: ``"libx264"`` (H.264), else ``"mpeg4"``.

    Example:
        >>> video_codec() in ("libx264", "mpeg4")
        True
    """
    return "libx264" if has_encoder("libx264") else "mpeg4"


def jpeg_qscale(quality: int) -> int:
    """JPEG quality 1..100 -> FFmpeg's mjpeg quantiser scale 31..2 (linear)."""
    if not 1 <= quality <= 100:
        raise ValueError(f"quality must be between 1 and 100; got {quality}.")
    return round(31 - (quality - 1) * 29 / 99)


def encode_still(frame: av.VideoFrame, codec: Literal["png", "mjpeg"], quality: int = 85) -> bytes:
    """One decoded frame as a PNG or JPEG file."""
    context = av.CodecContext.create(codec, "w")
    context.width, context.height = frame.width, frame.height
    context.time_base = Fraction(1, 25)
    if codec == "mjpeg":
        context.pix_fmt = "yuvj420p"
        context.qmin = context.qmax = jpeg_qscale(quality)
    else:
        context.pix_fmt = "rgb24"
    packets = context.encode(frame.reformat(format=context.pix_fmt)) + context.encode(None)
    return b"".join(bytes(packet) for packet in packets)


def encode_image(rgb: NDArray[np.uint8], *, format: Literal["png", "jpeg"] = "png", quality: int = 85) -> bytes:
    """Encode an RGB array of shape (height, width, 3) as a PNG or JPEG file.

    ``quality`` (1..100) applies to JPEG only.

    Example:
        >>> import numpy as np
        >>> encode_image(np.zeros((8, 8, 3), dtype=np.uint8))[:4]
        b'\\x89PNG'
    """
    if rgb.ndim != 3 or rgb.shape[2] != 3 or rgb.dtype != np.uint8:
        raise ValueError(f"expected a uint8 array of shape (height, width, 3); got {rgb.dtype} {rgb.shape}.")
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
    return encode_still(frame, "mjpeg" if format == "jpeg" else "png", quality)


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


def layout(channels: int) -> str:
    """FFmpeg's layout name for 1 or 2 channels."""
    if channels not in (1, 2):
        raise ValueError(f"channels must be 1 (mono) or 2 (stereo); got {channels}.")
    return "mono" if channels == 1 else "stereo"


def default_bitrate(sample_rate: int, channels: int) -> int:
    """Bits per second for speech: 32 kb/s per channel up to 24 kHz, 64 kb/s above."""
    return (32_000 if sample_rate <= 24_000 else 64_000) * channels


class AudioWriter:
    """Streams interleaved PCM16 samples into an in-memory WAV, MP3 or Opus (Ogg) file.

    Example:
        >>> import numpy as np
        >>> with AudioWriter("mp3", 16_000, 1) as writer:
        ...     writer.write(np.zeros(16_000, dtype=np.int16))
        ...     data = writer.finish()
        >>> data[:3]
        b'ID3'
    """

    def __init__(self, format: AudioFormat, sample_rate: int, channels: int, *, bitrate: int | None = None) -> None:
        self.format, self.sample_rate, self.channels, self.layout = format, sample_rate, channels, layout(channels)
        self._pcm: list[bytes] = []
        self._written = 0  # samples per channel, given
        self._encoded = 0  # samples per channel, passed to the encoder
        self._pending: list[NDArray[np.int16]] = []
        self._pending_count = 0
        self._buffer = io.BytesIO()
        self._encoder: tuple[OutputContainer, av.AudioStream] | None = None
        if format == "wav":
            return
        codec, container_format = _AUDIO_CODECS[format]
        if not has_encoder(codec):
            raise RuntimeError(f"this PyAV build has no {format.upper()} encoder ({codec}); ask for WAV instead.")
        rates = av.Codec(codec, "w").audio_rates or []
        if rates and sample_rate not in rates:
            raise ValueError(f"{format.upper()} cannot hold {sample_rate} Hz audio; use one of {sorted(rates)}.")
        container = av.open(self._buffer, mode="w", format=container_format)
        options = {"compression_level": _MP3_COMPRESSION_LEVEL} if format == "mp3" else {}
        stream = cast(
            av.AudioStream, container.add_stream(codec, rate=sample_rate, layout=self.layout, options=options)
        )
        stream.bit_rate = bitrate or default_bitrate(sample_rate, channels)
        self._encoder = (container, stream)

    def __enter__(self) -> AudioWriter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    @property
    def seconds(self) -> float:
        """Seconds of audio written so far."""
        return self._written / self.sample_rate

    def write(self, samples: NDArray[np.int16]) -> None:
        """Add interleaved PCM16 samples (encoded a second at a time: fewer, larger encoder calls)."""
        if not samples.size:
            return
        count = samples.size // self.channels
        self._written += count
        if self._encoder is None:
            self._pcm.append(samples.astype("<i2").tobytes())
            return
        self._pending.append(np.asarray(samples, dtype=np.int16).reshape(-1))
        self._pending_count += count
        if self._pending_count >= self.sample_rate:
            self._encode_pending()

    def _encode_pending(self) -> None:
        if not self._pending or self._encoder is None:
            return
        container, stream = self._encoder
        block = np.concatenate(self._pending).reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(block, format="s16", layout=self.layout)
        frame.sample_rate, frame.time_base = self.sample_rate, Fraction(1, self.sample_rate)
        frame.pts = self._encoded
        self._encoded += self._pending_count
        self._pending.clear()
        self._pending_count = 0
        container.mux(stream.encode(frame))

    def finish(self) -> bytes:
        """The complete file."""
        if self._encoder is None:
            data = pcm16_to_wav(b"".join(self._pcm), sample_rate=self.sample_rate, channels=self.channels)
            self._pcm.clear()
            return data
        self._encode_pending()
        container, stream = self._encoder
        container.mux(stream.encode(None))
        container.close()
        self._encoder = None
        return self._buffer.getvalue()

    def close(self) -> None:
        """Release the encoder (after :meth:`finish`, or to give up)."""
        if self._encoder is not None:
            self._encoder[0].close()
            self._encoder = None
        self._pcm.clear()
        self._pending.clear()


def encode_audio(samples: NDArray[np.int16], *, sample_rate: int, format: AudioFormat = "wav") -> bytes:
    """Encode mono PCM16 samples as a WAV, MP3 or Opus file.

    Raises:
        RuntimeError: a compressed format was asked for but this PyAV build has no encoder for it.

    Example:
        >>> import numpy as np
        >>> from qwen_omni.media import probe
        >>> wav = encode_audio(np.zeros(16000, dtype=np.int16), sample_rate=16000)
        >>> probe(wav).duration
        1.0
    """
    with AudioWriter(format, sample_rate, 1) as writer:
        writer.write(np.asarray(samples, dtype=np.int16))
        return writer.finish()


def aac_rate(rate: int) -> int:
    """The nearest sample rate at or above ``rate`` that the AAC encoder takes."""
    rates = sorted(av.Codec("aac", "w").audio_rates or ())
    if not rates or rate in rates:
        return rate
    return next((r for r in rates if r >= rate), rates[-1])


class Mp4Writer:
    """Encodes video frames (and audio) into an in-memory MP4: H.264 (or MPEG-4 Part 2) + AAC.

    ``video_bitrate`` / ``audio_bitrate`` (bits per second) cap the encoders' rates; None leaves the
    encoders' defaults.
    """

    def __init__(
        self,
        *,
        width: int,
        height: int,
        rate: Fraction,
        sample_rate: int | None,
        channels: int = 1,
        video_bitrate: int | None = None,
        audio_bitrate: int | None = None,
    ):
        self.width, self.height = max(2, width - width % 2), max(2, height - height % 2)
        self.end = 0.0  # seconds of content written, for the caller's bookkeeping
        self.frames = 0  # video frames written
        self._durations: dict[int, int] = {}  # pts -> duration (in 1/TIMESCALE) of the pictures being encoded
        self._buffer = io.BytesIO()
        self._container = av.open(self._buffer, mode="w", format="mp4")
        codec = video_codec()
        options = {"preset": "veryfast"} if codec == "libx264" else {}
        self._video = self._container.add_stream(codec, rate=rate, options=options)
        self._video.width, self._video.height, self._video.pix_fmt = self.width, self.height, "yuv420p"
        self._video.codec_context.time_base = Fraction(1, TIMESCALE)
        self._video.codec_context.gop_size = max(1, round(float(rate) * KEYFRAME_SECONDS))  # so a seek lands near
        if video_bitrate is not None:
            self._video.bit_rate = video_bitrate
        self._audio: av.AudioStream | None = None
        if sample_rate is not None:
            self._audio = self._container.add_stream("aac", rate=aac_rate(sample_rate), layout=layout(channels))
            if audio_bitrate is not None:
                self._audio.bit_rate = audio_bitrate

    @property
    def audio_rate(self) -> int | None:
        return self._audio.codec_context.sample_rate if self._audio else None

    def add_video(self, frame: av.VideoFrame, seconds: float, duration: float) -> None:
        """Add a frame shown from ``seconds`` (relative to this file's start) for ``duration``."""
        out = frame.reformat(width=self.width, height=self.height, format="yuv420p")
        out.pts, out.time_base = round(seconds * TIMESCALE), Fraction(1, TIMESCALE)
        self._durations[out.pts] = max(1, round(duration * TIMESCALE))
        self._mux_video(self._video.encode(out))
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

    def _mux_video(self, packets: list[av.Packet[Any]]) -> None:
        """Mux with each picture's own duration: the last one's decides where the file ends (the muxer would
        otherwise show it for a whole frame interval, past the end it was cut at)."""
        for packet in packets:
            if packet.pts is not None and packet.time_base is not None:
                ticks = self._durations.pop(round(packet.pts * packet.time_base * TIMESCALE), None)
                if ticks is not None:
                    packet.duration = round(ticks / TIMESCALE / packet.time_base)
        self._container.mux(packets)

    def finish(self) -> bytes:
        with self._container:
            self._mux_video(self._video.encode(None))
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
        >>> from qwen_omni.media import probe
        >>> mp4 = encode_video([np.zeros((48, 64, 3), dtype=np.uint8)] * 5, fps=5)
        >>> info = probe(mp4)
        >>> info.kind, info.frames, info.duration, info.has_audio
        ('video', 5, 1.0, False)
    """
    writer: Mp4Writer | None = None
    try:
        for index, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb, dtype=np.uint8), format="rgb24")
            if writer is None:
                audio_rate = sample_rate if audio is not None else None
                writer = Mp4Writer(width=frame.width, height=frame.height, rate=Fraction(fps), sample_rate=audio_rate)
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
