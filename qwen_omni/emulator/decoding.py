"""What a received part really holds: every inline file decoded to its last frame, not read from its header.

:func:`decode_media` decodes a received file (PyAV) and records what a test checks against a plan and against the
documented limits: the sound's rate, channels and decoded length, the picture's size, decoded frames and their
times, and the bytes per second. A list of frames records each image's size. The emulator fills
:attr:`~.received.ReceivedPart.decoded` with it for every inline part, so a test proves what was sent from the
bytes that arrived, never from what the sender says it sent.

Example:
    >>> from qwen_omni import samples
    >>> media = decode_media(samples.tone_mp3(2.0, sample_rate=24_000))
    >>> media.audio_codec, media.sample_rate, media.channels, media.audio_seconds
    ('mp3', 24000, 1, 2.0)
    >>> decode_frames(samples.frames_jpeg(3, width=64, height=48)).frame_sizes
    ((64, 48), (64, 48), (64, 48))
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

import av

__all__ = ["DecodedMedia", "decode_frames", "decode_media"]


@dataclass(frozen=True)
class DecodedMedia:
    """Facts from decoding a whole file (or every image of a frame list).

    Attributes:
        container: FFmpeg's name of the container (``"mp3"``, ``"ogg"``, ``"mov,mp4,m4a,3gp,3g2,mj2"`` ...).
        size_bytes: the file's bytes (all images' for a frame list).
        audio_codec: the first sound track's codec (``"mp3"``, ``"opus"``, ``"aac"``, ``"pcm_s16le"`` ...), or None.
        sample_rate: its sample rate in Hz; ``channels``: its channels.
        samples: samples per channel actually decoded.
        audio_seconds: ``samples / sample_rate``: how long the sound really is.
        video_codec: the first picture track's codec (``"h264"``, ``"mpeg4"``, ``"mjpeg"`` ...), or None.
        width, height: the decoded pictures' size (of the first, for a frame list of mixed sizes).
        frames: pictures decoded (images, for a frame list).
        frame_times: each decoded picture's time, seconds from the file's start.
        video_seconds: where the picture track ends: its last picture's time plus that picture's duration, or the
            track's stated length if that is later (what a player shows).
        frame_sizes: each image's ``(width, height)``, for a frame list.
        errors: packets that failed to decode.
    """

    container: str
    size_bytes: int
    audio_codec: str | None = None
    sample_rate: int | None = None
    channels: int | None = None
    samples: int | None = None
    audio_seconds: float | None = None
    video_codec: str | None = None
    width: int | None = None
    height: int | None = None
    frames: int | None = None
    frame_times: tuple[float, ...] = ()
    video_seconds: float | None = None
    frame_sizes: tuple[tuple[int, int], ...] = ()
    errors: int = 0

    @property
    def duration(self) -> float | None:
        """The longer of the sound's and the picture's decoded lengths."""
        lengths = [x for x in (self.audio_seconds, self.video_seconds) if x is not None]
        return max(lengths) if lengths else None

    @property
    def pixels(self) -> int | None:
        """Width times height of the pictures (the largest image's, for a frame list)."""
        if self.frame_sizes:
            return max(w * h for w, h in self.frame_sizes)
        return self.width * self.height if self.width and self.height else None

    @property
    def bytes_per_second(self) -> float | None:
        """The file's bytes per second of media."""
        seconds = self.duration
        return self.size_bytes / seconds if seconds else None


def decode_media(data: bytes) -> DecodedMedia:
    """Decode every frame of one file's first sound and picture tracks.

    Raises:
        av.FFmpegError: the data is not a file FFmpeg can open.
    """
    with av.open(io.BytesIO(data), mode="r") as container:
        audio = container.streams.audio[0] if container.streams.audio else None
        video = container.streams.video[0] if container.streams.video else None
        streams = [s for s in (audio, video) if s is not None]
        samples = 0
        times: list[float] = []
        video_end = 0.0
        errors = 0
        for packet in container.demux(streams):
            try:
                decoded = packet.decode()
            except av.FFmpegError:
                errors += 1
                continue
            for frame in decoded:
                if isinstance(frame, av.AudioFrame):
                    samples += frame.samples
                elif isinstance(frame, av.VideoFrame):
                    at = float(frame.time) if frame.time is not None else (times[-1] if times else 0.0)
                    times.append(at)
                    step = float(packet.duration * packet.time_base) if packet.duration and packet.time_base else 0.0
                    video_end = max(video_end, at + step)
        if video is not None and video.duration is not None and video.time_base is not None:  # the header's end
            video_end = max(video_end, float((video.duration + (video.start_time or 0)) * video.time_base))
        rate = audio.codec_context.sample_rate if audio is not None else None
        return DecodedMedia(
            container=container.format.name,
            size_bytes=len(data),
            audio_codec=audio.codec_context.codec.canonical_name if audio is not None else None,
            sample_rate=rate,
            channels=audio.codec_context.channels if audio is not None else None,
            samples=samples if audio is not None else None,
            audio_seconds=samples / rate if rate else None,
            video_codec=video.codec_context.codec.canonical_name if video is not None else None,
            width=video.codec_context.width if video is not None else None,
            height=video.codec_context.height if video is not None else None,
            frames=len(times) if video is not None else None,
            frame_times=tuple(times),
            video_seconds=video_end if video is not None and times else None,
            errors=errors,
        )


def decode_frames(images: Sequence[bytes]) -> DecodedMedia:
    """Decode each image of a frame list; the sizes are each image's.

    Raises:
        av.FFmpegError: an image FFmpeg cannot open.
    """
    sizes = []
    codec = None
    for image in images:
        one = decode_media(image)
        codec = codec or one.video_codec
        sizes.append((one.width or 0, one.height or 0))
    first = sizes[0] if sizes else (None, None)
    return DecodedMedia(
        container="frames",
        size_bytes=sum(len(i) for i in images),
        video_codec=codec,
        width=first[0],
        height=first[1],
        frames=len(images),
        frame_sizes=tuple(sizes),
    )
