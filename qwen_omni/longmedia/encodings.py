"""How a plan's cut segments are encoded: one record that the plan states, the cutter reads and the notes render.

A file that fits every limit is sent whole and unchanged (its plan has no :class:`Encoding`). A file that is cut
has one :class:`Encoding` for all its segments: the container, the sound's codec, rate, channels and bitrate, the
picture's size, rate and bitrate. :func:`qwen_omni.longmedia.segments.pieces` builds the cutter's settings from it
and from nothing else, and :meth:`Encoding.describe` writes the plan's note from the same fields, so what the plan
says is what is sent.

Example:
    >>> audio = Encoding("audio", "mp3", "mp3", 16_000, 1, 32_000, None, None, None, None, "mix")
    >>> audio.describe()
    'MP3 16 kHz mono 32 kb/s'
    >>> video = Encoding("video", "mp4", "aac", 16_000, 1, 32_000, (640, 360), 2.0, "h264", 115_200, "mix")
    >>> video.describe()
    'MP4 (H.264) at 2 fps, 640x360 px, 115 kb/s video + AAC 16 kHz mono 32 kb/s sound'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, assert_never

__all__ = ["CutDelivery", "Encoding"]

CutDelivery = Literal["audio", "video", "frames"]


@dataclass(frozen=True)
class Encoding:
    """What every cut segment of one plan is sent as.

    Attributes:
        delivery: ``"audio"`` (an audio file), ``"video"`` (an MP4 with its sound) or ``"frames"`` (JPEG frames).
        container: ``"mp3"``, ``"ogg"`` (Opus), ``"mp4"`` or ``"jpeg"``.
        audio_codec: ``"mp3"``, ``"opus"``, ``"aac"``, or None when no sound is sent.
        sample_rate: the sound's rate in Hz (None: no sound).
        channels: the sound's channels (always 1: speech is sent mono).
        audio_bitrate: the sound's bits per second.
        frame_size: each picture's ``(width, height)`` in pixels (None for audio).
        fps: pictures per second (None for audio).
        video_codec: ``"h264"`` or ``"mpeg4"`` for an MP4 (None otherwise).
        video_bitrate: the picture's bits per second in an MP4.
        channel: which of the source's channels the sound is: ``"mix"`` (all mixed) or an index (0 left, 1 right).
    """

    delivery: CutDelivery
    container: Literal["mp3", "ogg", "mp4", "jpeg"]
    audio_codec: Literal["mp3", "opus", "aac"] | None
    sample_rate: int | None
    channels: int | None
    audio_bitrate: int | None
    frame_size: tuple[int, int] | None
    fps: float | None
    video_codec: Literal["h264", "mpeg4"] | None
    video_bitrate: int | None
    channel: Literal["mix"] | int

    def _sound(self) -> str:
        if self.audio_codec is None or self.sample_rate is None:
            return "no sound"
        layout = "mono" if self.channels == 1 else f"{self.channels} channels"
        which = "" if self.channel == "mix" else f" (channel {self.channel} of the source)"
        bitrate = f" {(self.audio_bitrate or 0) // 1000} kb/s" if self.audio_bitrate else ""
        return f"{self.audio_codec.upper()} {self.sample_rate / 1000:g} kHz {layout}{bitrate}{which}"

    def describe(self) -> str:
        """The encoding in words, as the plan's note gives it."""
        pixels = f"{self.frame_size[0]}x{self.frame_size[1]} px" if self.frame_size else "source size"
        if self.delivery == "audio":
            return self._sound()
        if self.delivery == "video":
            codec = {"h264": "H.264", "mpeg4": "MPEG-4"}[self.video_codec or "h264"]
            video = f"{(self.video_bitrate or 0) // 1000} kb/s video"
            sound = "no sound" if self.audio_codec is None else f"{self._sound()} sound"
            return f"MP4 ({codec}) at {self.fps:g} fps, {pixels}, {video} + {sound}"
        if self.delivery == "frames":
            return f"JPEG frames at {self.fps:g} fps, {pixels}, no sound"
        assert_never(self.delivery)
