"""Long media cut into pieces, one standalone in-memory file each, produced lazily.

:func:`cut_audio` and :func:`cut_video` take the spans to cut (which may overlap) and yield each piece as
soon as it is complete, so memory holds the pieces being written, never the whole recording. Spans
listed in ``skip`` are not encoded, and a long run of them is jumped over by seeking instead of decoding.
:func:`split` cuts at fixed intervals.

Example:
    >>> from qwen_omni import samples
    >>> [(s.start, s.end) for s in split(samples.tone_wav(2.5), segment_seconds=1.0)]
    [(0.0, 1.0), (1.0, 2.0), (2.0, 2.5)]
    >>> [s.index for s in cut_audio(samples.tone_wav(3.0), [(0, 1), (0.5, 2), (2, 3)], skip={1})]
    [0, 2]
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

import av
import numpy as np
from av.container import InputContainer
from numpy.typing import NDArray

from ..errors import MediaError
from .encoding import AudioFormat, AudioWriter, Mp4Writer, aac_rate, layout
from .info import IMAGE_FORMATS
from .placing import HOLE_SECONDS, Damage, placed_audio
from .reading import (
    EPSILON,
    MediaSource,
    container_duration,
    decoded,
    describe_source,
    frame_seconds,
    open_media,
    start_seconds,
    stream_duration,
    video_streams,
)
from .reading import seek as seek_to

__all__ = ["AudioSettings", "Segment", "Span", "VideoSettings", "cut_audio", "cut_video", "split"]

Span = tuple[float, float]
"""``(start, end)`` in seconds of the source; ``end`` may be ``math.inf`` (to the end of the media)."""

#: Jump over a run of skipped spans by seeking when it is longer than this many seconds.
SEEK_GAP = 10.0
#: Seek this many seconds before a wanted start, so that the decoder has settled when it arrives.
SEEK_MARGIN = 1.0


@dataclass(frozen=True)
class Segment:
    """One piece cut from a longer file: a standalone, playable file held in memory."""

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


@dataclass(frozen=True)
class AudioSettings:
    """How :func:`cut_audio` writes each piece.

    ``sample_rate`` None keeps the source's rate; ``channel`` is ``"mix"`` (all channels mixed to mono) or
    the index of the one channel to keep (0 is the left one); ``bitrate`` (bits per second) applies to MP3
    and Opus, None choosing 32 kb/s per channel up to 24 kHz.

    Example:
        >>> AudioSettings("mp3", 16_000).container
        'mp3'
    """

    format: AudioFormat = "wav"
    sample_rate: int | None = None
    channel: Literal["mix"] | int = "mix"
    bitrate: int | None = None

    @property
    def container(self) -> str:
        return "ogg" if self.format == "opus" else self.format


@dataclass(frozen=True)
class VideoSettings:
    """How :func:`cut_video` writes each piece (an MP4: H.264 or MPEG-4 Part 2, with AAC sound).

    ``fps`` None keeps every frame, else keeps at most that many frames a second; ``size`` is the exact
    ``(width, height)`` of every frame, else ``max_pixels`` shrinks frames to at most that area (keeping the
    aspect ratio); bitrates in bits per second (None: the encoder's default); the sound keeps at most
    ``audio_channels`` channels at ``audio_sample_rate`` (None: the source's, at most stereo), or with
    ``audio_channel`` an index, only that channel of the source, as mono. ``audio=False`` drops the sound.
    """

    fps: float | None = None
    max_pixels: int | None = None
    video_bitrate: int | None = None
    audio: bool = True
    audio_sample_rate: int | None = None
    audio_channels: int | None = None
    audio_bitrate: int | None = None
    size: tuple[int, int] | None = None
    audio_channel: Literal["mix"] | int = "mix"


def _check_spans(spans: Sequence[Span]) -> None:
    for (start, _end), (next_start, _) in itertools.pairwise(spans):
        if next_start < start:
            raise ValueError(f"spans must be in order of their start; got {start} before {next_start}.")
    for start, end in spans:
        if not 0 <= start < end:
            raise ValueError(f"each span must have 0 <= start < end; got ({start}, {end}).")


def _runs(spans: Sequence[Span], skip: Collection[int], *, seek: bool = True) -> list[list[int]]:
    """The wanted spans, grouped into runs decoded in one go (a gap over :data:`SEEK_GAP` starts a new run, unless
    seeking is off: a damaged file's times after a seek cannot be trusted, so it is decoded through)."""
    runs: list[list[int]] = []
    reach = -math.inf
    for index, (start, end) in enumerate(spans):
        if index in skip:
            continue
        if runs and (start <= reach + SEEK_GAP or not seek):
            runs[-1].append(index)
        else:
            runs.append([index])
        reach = max(reach, end)
    return runs


def audio_limit(container: InputContainer, stream: av.AudioStream, rate: int, origin: float) -> int | None:
    """Samples (at ``rate``, counted from ``origin`` seconds) up to the end of an MP4/MOV audio track.

    MP4 states exactly where its audio ends, but FFmpeg's AAC decoder also returns the padding of the last
    frame (up to 1024 samples); other containers end where the decoder stops.
    """
    duration = stream_duration(stream)
    if not container.format.name.startswith("mov,") or duration is None:
        return None
    return round((start_seconds(stream) + duration - origin) * rate)


# --------------------------------------------------------------------------------------------- audio


def _audio_stream(container: InputContainer, name: str) -> av.AudioStream:
    if not container.streams.audio:
        raise MediaError(f"{name} has no audio track.")
    return container.streams.audio[0]


def _pick(out: av.AudioFrame, channel: Literal["mix"] | int) -> NDArray[np.int16]:
    """Mono PCM16 from a resampled frame: already mixed, or one row of a planar one."""
    samples = out.to_ndarray()
    row = samples.reshape(-1) if channel == "mix" else samples[channel]
    return np.asarray(row, dtype=np.int16)


def _bounds(span: Span, rate: int) -> tuple[int, int | None]:
    start, end = span
    return round(start * rate), None if math.isinf(end) else round(end * rate)


def cut_audio(
    source: MediaSource,
    spans: Sequence[Span],
    settings: AudioSettings | None = None,
    *,
    skip: Collection[int] = (),
    seek: bool = True,
) -> Iterator[Segment]:
    """Yield a mono audio file for each span of ``source``'s first audio track, in order, as each completes.

    A span's piece ends where the audio does if the audio is shorter; a span with no audio at all gives no
    piece. ``Segment.index`` is the span's position in ``spans``. A damaged stretch (:mod:`.placing`) is cut as
    silence, so every later sound keeps its time; ``seek=False`` decodes through instead of jumping over skipped
    spans (for a damaged file, whose times after a seek cannot be trusted).

    Raises:
        MediaError: the source cannot be read, has no audio, or ``channel`` names a channel it lacks.
    """
    settings = settings or AudioSettings()
    _check_spans(spans)
    name = describe_source(source)
    with open_media(source) as container:
        stream = _audio_stream(container, name)
        channels = stream.codec_context.channels
        if settings.channel != "mix" and not 0 <= settings.channel < channels:
            raise MediaError(f"{name} has {channels} audio channel(s); there is no channel {settings.channel}.")
        rate = settings.sample_rate or stream.codec_context.sample_rate
        for number, run in enumerate(_runs(spans, skip, seek=seek)):
            first = spans[run[0]][0]
            seeked = seek and (bool(number) or first > SEEK_GAP)
            if seeked:
                seek_to(container, stream, first - SEEK_MARGIN, name)
            yield from _AudioRun(container, stream, name, settings, rate).cut(spans, run, seeked=seeked)


class _AudioRun:
    """One decoding pass over a run of spans, feeding each span's writer the samples it covers."""

    def __init__(
        self, container: InputContainer, stream: av.AudioStream, name: str, settings: AudioSettings, rate: int
    ) -> None:
        self.container, self.stream, self.name, self.settings, self.rate = container, stream, name, settings, rate
        self.origin = start_seconds(stream)
        self.limit = audio_limit(container, stream, rate, self.origin)
        mix = settings.channel == "mix"
        self.resampler = av.AudioResampler(
            format="s16" if mix else "s16p", layout="mono" if mix else stream.layout, rate=rate
        )

    def cut(self, spans: Sequence[Span], run: list[int], *, seeked: bool) -> Iterator[Segment]:
        self.bounds = {index: _bounds(spans[index], self.rate) for index in run}
        self.writers: dict[int, AudioWriter] = {}
        self.firsts: dict[int, int] = {}
        self.position: int | None = None if seeked else 0  # the next sample, counted from the stream's start
        self.waiting = list(run)
        items = placed_audio(self.container, self.stream, self.name)
        try:
            for item in itertools.chain(items, [None]):
                if isinstance(item, Damage):
                    continue  # the next frame's true time says how long the hole is; it is cut as silence
                frame = item.frame if item is not None else None
                if item is not None:
                    target = round(item.at * self.rate)
                    if self.position is None:
                        self.position = target
                    elif target - self.position > HOLE_SECONDS * self.rate:  # keep every later sound at its time
                        self._route(np.zeros(target - self.position, dtype=np.int16))
                elif self.position is None:
                    break
                for out in self.resampler.resample(frame):
                    pcm = _pick(out, self.settings.channel)
                    if self.limit is not None:
                        pcm = pcm[: max(0, self.limit - (self.position or 0))]
                    self._route(pcm)
                yield from self._finish(final=frame is None)
                if not self.waiting:
                    return
        finally:
            for writer in self.writers.values():
                writer.close()

    def _route(self, pcm: NDArray[np.int16]) -> None:
        """Give each waiting span the samples of ``pcm`` it covers (``pcm`` starts at :attr:`position`)."""
        position = self.position or 0
        for index in self.waiting:
            low, high = self.bounds[index]
            begin = max(low, position)
            stop = position + len(pcm) if high is None else min(high, position + len(pcm))
            if stop > begin:
                if index not in self.writers:
                    self.writers[index] = AudioWriter(self.settings.format, self.rate, 1, bitrate=self.settings.bitrate)
                    self.firsts[index] = begin
                self.writers[index].write(pcm[begin - position : stop - position])
        self.position = position + len(pcm)

    def _finish(self, *, final: bool) -> Iterator[Segment]:
        position = self.position or 0
        done = [i for i in self.waiting if final or ((high := self.bounds[i][1]) is not None and high <= position)]
        for index in done:
            self.waiting.remove(index)
            writer = self.writers.pop(index, None)
            if writer is not None:
                start, count = self.firsts[index], round(writer.seconds * self.rate)
                data = writer.finish()
                yield Segment(index, start / self.rate, (start + count) / self.rate, data, self.settings.container)


# --------------------------------------------------------------------------------------------- video


def pixel_size(width: int, height: int, max_pixels: int | None) -> tuple[int, int]:
    """Shrink (width, height) to at most ``max_pixels`` in area, keeping the aspect ratio; sides made even.

    Example:
        >>> pixel_size(1920, 1080, 230_400)
        (640, 360)
    """
    if max_pixels is None or width * height <= max_pixels:
        return width - width % 2, height - height % 2
    scale = math.sqrt(max_pixels / (width * height))
    return max(2, int(width * scale) // 2 * 2), max(2, int(height * scale) // 2 * 2)


class _VideoRun:
    """Routes decoded frames of a run of spans into one MP4 writer per span, finishing each once both
    streams are past its end."""

    def __init__(
        self,
        video: av.VideoStream,
        audio: av.AudioStream | None,
        container: InputContainer,
        settings: VideoSettings,
        spans: Sequence[Span],
        run: list[int],
        *,
        seeked: bool,
    ) -> None:
        self.settings, self.spans, self.video = settings, spans, video
        self.rate = video.average_rate or video.guessed_rate or Fraction(25)
        self.out_rate = Fraction(settings.fps).limit_denominator(1000) if settings.fps else self.rate
        self.frame_seconds = float(1 / self.out_rate)
        self.origin = start_seconds(video)  # the first span starts with the video
        self.width, self.height = settings.size or pixel_size(
            video.codec_context.width, video.codec_context.height, settings.max_pixels
        )
        self.audio = audio if settings.audio else None
        source_channels = audio.codec_context.channels if audio else 1
        self.pick = settings.audio_channel
        if self.pick != "mix" and not 0 <= self.pick < source_channels:
            raise MediaError(f"the video's sound has {source_channels} channel(s); there is no channel {self.pick}.")
        self.channels = 1 if self.pick != "mix" else min(settings.audio_channels or 2, source_channels, 2)
        self.audio_rate = (
            aac_rate(settings.audio_sample_rate or audio.codec_context.sample_rate) if self.audio and audio else None
        )
        resampled = layout(self.channels) if self.pick == "mix" or audio is None else audio.layout
        self.resampler = (
            av.AudioResampler(format="fltp", layout=resampled, rate=self.audio_rate) if self.audio_rate else None
        )
        self.audio_limit = (
            audio_limit(container, self.audio, self.audio_rate, self.origin) if self.audio and self.audio_rate else None
        )
        self.waiting = list(run)
        self.writers: dict[int, Mp4Writer] = {}
        self.video_done, self.audio_done = 0.0, (0.0 if self.resampler else math.inf)
        self.seeked = seeked
        self.video_frames = 0
        self.last_slot = -1  # the last kept frame's slot on the output frame grid
        self.audio_position: int | None = None

    def _writer(self, index: int) -> Mp4Writer:
        if index not in self.writers:
            self.writers[index] = Mp4Writer(
                width=self.width,
                height=self.height,
                rate=self.out_rate,
                sample_rate=self.audio_rate,
                channels=self.channels,
                video_bitrate=self.settings.video_bitrate,
                audio_bitrate=self.settings.audio_bitrate,
            )
        return self.writers[index]

    def _covering(self, seconds: float) -> list[int]:
        return [i for i in self.waiting if self.spans[i][0] - EPSILON <= seconds < self.spans[i][1] - EPSILON]

    def add_video(self, frame: av.VideoFrame) -> Iterator[Segment]:
        at = max(0.0, frame_seconds(frame, self.origin, self.video_frames * float(1 / self.rate)))
        self.video_frames += 1
        self.video_done = at
        slot = math.floor((at + EPSILON) * self.out_rate) if self.settings.fps else self.video_frames
        if slot > self.last_slot:
            self.last_slot = slot
            for index in self._covering(at):
                start, end = self.spans[index]
                shown = min(self.frame_seconds, end - at) if math.isfinite(end) else self.frame_seconds
                self._writer(index).add_video(frame, at - start, shown)
        yield from self._finish_before(min(self.video_done, self.audio_done))

    def add_audio(self, frame: av.AudioFrame | None) -> Iterator[Segment]:
        if self.resampler is None or self.audio_rate is None:
            return
        if self.audio_position is None and frame is not None:
            self.audio_position = round(frame_seconds(frame, self.origin, 0.0) * self.audio_rate)
        rate = self.audio_rate
        for out in self.resampler.resample(frame):
            planes = out.to_ndarray().astype(np.float32)
            pcm = planes.reshape(self.channels, -1) if self.pick == "mix" else planes[self.pick : self.pick + 1]
            position = self.audio_position or 0
            if position < 0:  # audio from before the first video frame is dropped
                pcm, position = pcm[:, -position:], 0
            if self.audio_limit is not None:
                pcm = pcm[:, : max(0, self.audio_limit - position)]
            for index in self.waiting:
                low, high = _bounds(self.spans[index], rate)
                begin = max(low, position)
                stop = position + pcm.shape[1] if high is None else min(high, position + pcm.shape[1])
                if stop > begin:
                    self._writer(index).add_audio(pcm[:, begin - position : stop - position], begin - low)
            self.audio_position = position + pcm.shape[1]
            self.audio_done = self.audio_position / rate
        yield from self._finish_before(min(self.video_done, self.audio_done))

    def _finish_before(self, seconds_done: float) -> Iterator[Segment]:
        for index in list(self.waiting):
            end = self.spans[index][1]
            if end <= seconds_done + EPSILON:
                yield from self._finish(index)

    def _finish(self, index: int) -> Iterator[Segment]:
        self.waiting.remove(index)
        writer = self.writers.pop(index, None)
        if writer is None:
            return
        if writer.frames:  # audio after the last video frame (often codec padding) is dropped
            start, end = self.spans[index]
            data = writer.finish()
            yield Segment(index, start, min(end, start + writer.end), data, "mp4")
        else:
            writer.close()

    def finish_all(self) -> Iterator[Segment]:
        for index in list(self.waiting):
            yield from self._finish(index)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()
        self.writers.clear()


def cut_video(
    source: MediaSource,
    spans: Sequence[Span],
    settings: VideoSettings | None = None,
    *,
    skip: Collection[int] = (),
    seek: bool = True,
) -> Iterator[Segment]:
    """Yield an MP4 for each span of ``source`` (its first video and audio tracks), in order, as each completes.

    Video is cut before the first frame at or after each span's start; sound is cut to the sample. A span
    with no video frame gives no piece. ``Segment.index`` is the span's position in ``spans``.
    """
    settings = settings or VideoSettings()
    _check_spans(spans)
    name = describe_source(source)
    with open_media(source) as container:
        videos = video_streams(container)
        if not videos:
            raise MediaError(f"{name} has no video stream.")
        video = videos[0]
        video.thread_type = "AUTO"
        audio = container.streams.audio[0] if container.streams.audio and settings.audio else None
        for number, run in enumerate(_runs(spans, skip, seek=seek)):
            first = spans[run[0]][0]
            seeked = seek and (bool(number) or first > SEEK_GAP)
            if seeked:
                seek_to(container, video, first - SEEK_MARGIN, name)
            cutter = _VideoRun(video, audio, container, settings, spans, run, seeked=seeked)
            try:
                for frame in decoded(container, (video, audio) if audio else video, name):
                    if isinstance(frame, av.VideoFrame):
                        yield from cutter.add_video(frame)
                    else:
                        yield from cutter.add_audio(frame)
                    if not cutter.waiting:
                        break
                yield from cutter.add_audio(None)  # flush the resampler
                yield from cutter.finish_all()
            finally:
                cutter.close()


# --------------------------------------------------------------------------------------------- split


def split(source: MediaSource, *, segment_seconds: float) -> Iterator[Segment]:
    """Cut audio or video into consecutive pieces of at most ``segment_seconds`` (the last may be shorter).

    The pieces come one at a time, each as soon as it is complete (so a long file is never held whole):
    audio as mono PCM16 WAV at the source's sample rate; video as MP4 (H.264 or MPEG-4 Part 2,
    re-encoded) with its first audio track as AAC (at most stereo). Video is cut before the first frame at
    or after each boundary; audio is cut to the sample. Audio that runs on past the last video frame into
    a piece of its own (often codec padding) is dropped. Bad arguments and unreadable sources are refused
    at the call, before the first piece.

    Example:
        >>> from qwen_omni import samples
        >>> [s.index for s in split(samples.video_mp4(2.0), segment_seconds=1.0)]
        [0, 1]
    """
    if not segment_seconds > 0:
        raise ValueError(f"segment_seconds must be positive; got {segment_seconds}.")
    name = describe_source(source)
    with open_media(source) as container:
        videos = video_streams(container)
        if videos and container.format.name in IMAGE_FORMATS:
            raise MediaError(f"{name} is an image; only audio and video can be split.")
        if not videos and not container.streams.audio:
            raise MediaError(f"cannot read {name}: it has no audio or video stream.")
        duration = container_duration(container) or segment_seconds
    count = max(1, math.ceil(duration / segment_seconds - EPSILON))
    spans = [(i * segment_seconds, (i + 1) * segment_seconds) for i in range(count - 1)]
    spans.append(((count - 1) * segment_seconds, math.inf))  # the last piece runs to wherever the media ends
    if videos:
        return cut_video(source, spans)
    return cut_audio(source, spans)
