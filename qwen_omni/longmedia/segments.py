"""The plan made real: each planned segment as the part to send, produced one at a time.

Cut segments come from one pass over the file (:func:`qwen_omni.media.cut_audio` / ``cut_video``), or one
seek per segment for frame lists, so memory holds the segments being encoded and those waiting to be
sent, never the recording. Segments already answered (``skip``) are not encoded at all.

Example:
    >>> from qwen_omni import samples
    >>> from qwen_omni.longmedia.inputs import as_recording
    >>> from qwen_omni.longmedia.plan import PlanOptions, make_plan
    >>> rec = as_recording(samples.tone_wav(5.0), name="tone.wav")
    >>> plan = make_plan(rec, "qwen-omni-turbo", "transcript", PlanOptions(segment_seconds=2, snap=0))
    >>> [(p.segment.index, type(p.part).__name__, p.part.audio_format) for p in pieces(rec, plan)]
    [(0, 'AudioPart', 'mp3'), (1, 'AudioPart', 'mp3'), (2, 'AudioPart', 'mp3')]
"""

from __future__ import annotations

from collections.abc import Collection, Generator, Iterator
from dataclasses import dataclass, replace
from typing import assert_never

from ..errors import MediaError
from ..media import AudioSettings, VideoSettings, cut_audio, cut_video, sample_frames
from ..media import Segment as Cut
from ..parts import AudioPart, ImagePart, VideoFramesPart, VideoPart, media_part
from .encodings import Encoding
from .inputs import Recording
from .plan import Plan, PlannedSegment

__all__ = ["Piece", "audio_settings", "pieces", "video_settings"]

SegmentPart = AudioPart | VideoPart | VideoFramesPart | ImagePart


@dataclass(frozen=True)
class Piece:
    """A planned segment with the part that carries it (``segment`` has the real bounds of what was cut)."""

    segment: PlannedSegment
    part: SegmentPart


def _whole(recording: Recording, plan: Plan) -> SegmentPart:
    if recording.url is not None:
        part = media_part(plan.kind, recording.url)
    else:
        part = media_part(plan.kind, recording.path if recording.path is not None else recording.read())
    if isinstance(part, VideoPart):
        return VideoPart(part.source, fps=plan.options.fps)
    return part


def pieces(recording: Recording, plan: Plan, *, skip: Collection[int] = ()) -> Generator[Piece, None, None]:
    """The parts to send for ``plan``'s segments, in order, leaving out those in ``skip``.

    Raises:
        MediaError: the file could not be cut (the message names the file and the segment).
    """
    wanted = [s for s in plan.segments if s.index not in skip]
    if not wanted:
        return
    delivery = wanted[0].delivery
    if delivery in ("whole", "url"):
        yield Piece(wanted[0], _whole(recording, plan))
        return
    encoding = plan.encoding
    if encoding is None:
        raise ValueError(f"{recording.name}'s plan cuts segments but states no encoding for them")
    spans = [(s.start, s.end) for s in plan.segments]
    by_index = {s.index: s for s in plan.segments}
    if delivery == "audio":
        settings = audio_settings(encoding)
        seek = not plan.damaged  # a damaged file's times after a seek cannot be trusted: it is decoded through
        for cut in _named(cut_audio(recording.source, spans, settings, skip=skip, seek=seek), recording, plan):
            segment = replace(by_index[cut.index], start=cut.start, end=cut.end, bytes=len(cut.data))
            yield Piece(segment, AudioPart(cut.data, format=settings.format))
    elif delivery == "video":
        cuts = cut_video(recording.source, spans, video_settings(encoding), skip=skip, seek=not plan.damaged)
        for cut in _named(cuts, recording, plan):
            segment = replace(by_index[cut.index], start=cut.start, end=cut.end, bytes=len(cut.data))
            yield Piece(segment, VideoPart(cut.data, fps=encoding.fps))
    elif delivery == "frames":
        for segment in wanted:
            try:
                frames = sample_frames(
                    recording.source, count=segment.frames or 2, size=encoding.frame_size, start=segment.start,
                    end=segment.end,
                )  # fmt: skip
            except MediaError as exc:
                raise MediaError(
                    f"{recording.name}, segment {segment.index + 1} of {len(plan.segments)}: {exc}"
                ) from exc
            sent = replace(segment, bytes=sum(len(f) for f in frames))
            rate = min(10.0, max(0.1, len(frames) / max(segment.duration, 1e-3)))
            yield Piece(sent, VideoFramesPart(frames, fps=round(rate, 3)))
    else:
        assert_never(delivery)  # type: ignore[arg-type]


def audio_settings(encoding: Encoding) -> AudioSettings:
    """What :func:`~qwen_omni.media.cut_audio` writes for ``encoding``: its codec, rate, channel and bitrate."""
    if encoding.audio_codec not in ("mp3", "opus") or encoding.sample_rate is None:
        raise ValueError(f"an audio segment is MP3 or Opus with a sample rate; the plan states {encoding}")
    return AudioSettings(encoding.audio_codec, encoding.sample_rate, encoding.channel, encoding.audio_bitrate)


def video_settings(encoding: Encoding) -> VideoSettings:
    """What :func:`~qwen_omni.media.cut_video` writes for ``encoding``: picture size, rate and bitrate, and the
    sound's rate, channel and bitrate (or no sound)."""
    return VideoSettings(
        fps=encoding.fps,
        size=encoding.frame_size,
        video_bitrate=encoding.video_bitrate,
        audio=encoding.audio_codec is not None,
        audio_sample_rate=encoding.sample_rate,
        audio_channels=encoding.channels,
        audio_channel=encoding.channel,
        audio_bitrate=encoding.audio_bitrate,
    )


def _named(cuts: Iterator[Cut], recording: Recording, plan: Plan) -> Iterator[Cut]:
    """Cuts, with a failure naming the file and the segment being cut."""
    done = -1
    try:
        for cut in cuts:
            done = cut.index
            yield cut
    except MediaError as exc:
        raise MediaError(f"{recording.name}, after segment {done + 1} of {len(plan.segments)}: {exc}") from exc
