"""What is this file? :func:`probe` reads an image, audio or video file's headers into a :class:`MediaInfo`.

Example:
    >>> import numpy as np
    >>> from qwen_omni.media import encode_image
    >>> info = probe(encode_image(np.zeros((48, 64, 3), dtype=np.uint8)))
    >>> info.kind, info.container, (info.width, info.height)
    ('image', 'png', (64, 48))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import av
from av.container import InputContainer

from ..errors import MediaError
from .reading import (
    MediaSource,
    av_message,
    container_duration,
    describe_source,
    head_bytes,
    open_media,
    read_head,
    source_size,
    stream_duration,
    video_streams,
)

__all__ = ["IMAGE_FORMATS", "MediaInfo", "MediaKind", "declared_duration", "image_size", "probe"]

MediaKind = Literal["image", "audio", "video"]

#: FFmpeg's image demuxers -> the short container names :func:`probe` reports.
IMAGE_FORMATS = {"png_pipe": "png", "jpeg_pipe": "jpeg", "webp_pipe": "webp", "bmp_pipe": "bmp", "gif": "gif"}
_SHORT_NAMES = {
    "matroska,webm": "mkv",
    "mov,mp4,m4a,3gp,3g2,mj2": "mp4",
    "amrnb": "amr",
    "amrwb": "amr",
}


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


def _count_frames(container: InputContainer, stream: av.VideoStream, name: str) -> int:
    """The number of video frames, from the header if it says, else estimated, else counted."""
    if stream.frames > 0:
        return stream.frames
    duration = stream_duration(stream) or container_duration(container)
    rate = stream.average_rate or stream.guessed_rate
    if duration and rate:
        return max(1, round(duration * rate))
    try:
        return sum(1 for packet in container.demux(stream) if packet.size)
    except av.FFmpegError as exc:
        raise MediaError(f"cannot read {name}: {av_message(exc)}") from exc


def _short_name(container: InputContainer, head: bytes, kind: MediaKind) -> str:
    name = container.format.name
    if name in IMAGE_FORMATS:
        return IMAGE_FORMATS[name]
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
    head = head_bytes(source)
    with open_media(source) as container:
        videos = video_streams(container)
        audios = list(container.streams.audio)
        if not videos and not audios:
            raise MediaError(f"cannot read {describe_source(source)}: it has no audio or video stream.")
        video = videos[0] if videos else None
        audio = audios[0] if audios else None
        if video is not None and not (video.codec_context.width and video.codec_context.height):
            raise MediaError(f"cannot read {describe_source(source)}: its picture cannot be decoded.")
        frames = _count_frames(container, video, describe_source(source)) if video else None
        kind: MediaKind
        if video is None:
            kind = "audio"
        elif container.format.name in IMAGE_FORMATS and (frames or 0) <= 1:
            kind = "image"
        else:
            kind = "video"
        return MediaInfo(
            kind=kind,
            container=_short_name(container, head, kind),
            size_bytes=source_size(source),
            duration=None if kind == "image" else container_duration(container),
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
    head_bytes(source)  # a missing path is the caller's mistake, not "unreadable data"
    try:
        info = probe(source)
    except MediaError:
        return None
    if info.container not in IMAGE_FORMATS.values() or info.width is None or info.height is None:
        return None
    return info.width, info.height


def declared_duration(source: MediaSource) -> float | None:
    """What a WAV file's header says it lasts (its data chunk's size over its byte rate), which FFmpeg does not
    report when the file is cut short (it reads to the real end); None for other files, whose header length
    :func:`probe` already reports, and for a WAV written as a stream (no size in its header).

    Example:
        >>> from qwen_omni import samples
        >>> wav = samples.tone_wav(10.0)
        >>> declared_duration(wav[: len(wav) // 2]), round(probe(wav[: len(wav) // 2]).duration, 1)
        (10.0, 5.0)
    """
    head = read_head(source, 4096)
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    at, byte_rate = 12, 0
    while at + 8 <= len(head):
        chunk, size = head[at : at + 4], int.from_bytes(head[at + 4 : at + 8], "little")
        if chunk == b"fmt " and at + 20 <= len(head):
            byte_rate = int.from_bytes(head[at + 16 : at + 20], "little")
        elif chunk == b"data":
            if not byte_rate or size in (0, 0xFFFFFFFF):
                return None
            return size / byte_rate
        at += 8 + size + size % 2
    return None
