"""The plan: how one recording is cut into segments, each within every limit of the chosen model.

A file that fits every limit as it is (duration, size, data-URI size, input tokens, an accepted format) is
sent whole and unchanged. Otherwise it is cut into balanced segments and re-encoded compactly: speech as
16 kHz mono MP3 (or Opus), as the practitioner's notes (reference source 002) advise; video as H.264 at a
chosen frame rate and pixel budget (default 2 fps, the API's own default sampling, and 230,400 pixels, the
guide's "fast review" budget; 921,600 for finer detail), or as a list of frames. Each cut is moved to the
quietest moment within ``snap`` seconds, so fewer cuts land mid-word; segments may overlap.

A URL is sent as a URL (nothing is downloaded, so it cannot be cut): its duration is the caller's
``duration=`` if given, else unknown, and then it is planned as if it lasted the model's limit, the worst
case, and a note says that the server refuses a longer file.

The plan costs no request: :meth:`Plan.describe` is the dry run.

Example:
    >>> from qwen_omni import samples
    >>> from qwen_omni.longmedia.inputs import as_recording
    >>> plan = make_plan(as_recording(samples.tone_wav(2.0), name="tone.wav"), "qwen-omni-turbo", "transcript")
    >>> [(s.delivery, s.start, s.end) for s in plan.segments]
    [('whole', 0.0, 2.0)]
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal, assert_never

from ..errors import InvalidRequestError, LimitExceededError, MediaError
from ..media import MediaInfo, loudness, pixel_size, probe
from ..parts import kind_from_name
from ..profiles import AUDIO_INPUT_FORMATS, VIDEO_INPUT_FORMATS, ModelProfile, get_profile
from ..tokens import audio_tokens, image_tokens, text_tokens, video_tokens
from .inputs import Recording
from .limits import Delivery, MediaNoun, SegmentLimits, data_uri_length, segment_limits
from .modes import Mode, clock, output_tokens_per_second, task_of

__all__ = ["Plan", "PlanOptions", "PlannedSegment", "Prices", "make_plan", "whole_file_problems"]

#: Segments are planned this much under every byte and token limit (encoders overshoot a little).
SAFETY = 0.9
#: Tokens kept for the prompt's text in every segment request.
PROMPT_TOKENS = 400
#: Bytes a JPEG frame takes per pixel, for planning (measured on camera video at quality 85: 0.1 to 0.3).
JPEG_BYTES_PER_PIXEL = 0.3
#: Bits per pixel per frame given to re-encoded video (H.264 at low frame rates looks clean at 0.25).
VIDEO_BITS_PER_PIXEL = 0.25


@dataclass(frozen=True)
class PlanOptions:
    """How to cut and encode. Every field has a default fit for speech and talking-head video.

    Attributes:
        segment_seconds: an upper bound on a segment's length, below the model's own limits.
        overlap: seconds each segment repeats of the one before (duplicate lines are removed when merging).
        snap: move each cut to the quietest moment within this many seconds (0: cut exactly).
        channel: ``"mix"`` (all channels mixed) or the index of the one channel to keep (0 left, 1 right),
            for a stereo recording whose channels are different speakers.
        audio_format: ``"mp3"`` or ``"opus"``, for re-encoded audio.
        sample_rate: re-encoded audio's rate (16 kHz; a source below it keeps its own rather than upsampled).
        audio_bitrate: bits per second of re-encoded audio.
        video_as: ``"file"`` (an MP4 with its sound) or ``"frames"`` (JPEG frames, no sound).
        fps: frames per second a video is sampled at, re-encoded and sent (0.1 to 10; 1 for talking heads,
            4 mixed, 8 action, per source 002).
        max_pixels: the area each video frame is shrunk to, at most.
        send_whole: send a file that fits every limit unchanged (False: always re-encode).
        duration: the length of a URL's media, if the caller knows it (a URL is never downloaded).
    """

    segment_seconds: float | None = None
    overlap: float = 0.0
    snap: float = 2.0
    channel: Literal["mix"] | int = "mix"
    audio_format: Literal["mp3", "opus"] = "mp3"
    sample_rate: int = 16_000
    audio_bitrate: int = 32_000
    video_as: Literal["file", "frames"] = "file"
    fps: float = 2.0
    max_pixels: int = 230_400
    send_whole: bool = True
    duration: float | None = None

    def __post_init__(self) -> None:
        if self.segment_seconds is not None and self.segment_seconds <= 0:
            raise ValueError(f"segment_seconds must be positive; got {self.segment_seconds}.")
        if self.overlap < 0 or self.snap < 0:
            raise ValueError(f"overlap and snap must be 0 or more seconds; got {self.overlap}, {self.snap}.")
        if not 0.1 <= self.fps <= 10:
            raise ValueError(f"fps must be between 0.1 and 10 (the API's range); got {self.fps}.")
        if self.channel != "mix" and self.channel < 0:
            raise ValueError(f"channel must be 'mix' or a channel index (0, 1, ...); got {self.channel}.")

    @property
    def video_bitrate(self) -> int:
        return max(64_000, round(self.max_pixels * self.fps * VIDEO_BITS_PER_PIXEL))


@dataclass(frozen=True)
class Prices:
    """What a million tokens cost, to estimate a plan's cost; the reference documents no price table, so the
    caller gives the prices of their region and model."""

    input_per_million: float
    output_per_million: float
    currency: str = "CNY"


@dataclass(frozen=True)
class PlannedSegment:
    """One request's worth of the recording.

    ``bytes`` is the media sent (estimated before encoding; 0 for a URL), ``data_uri`` its length as a
    data URI, ``frames`` the frames sampled (by the model from a video file, or sent as a list),
    ``tokens_in`` / ``tokens_out`` estimates from the documented token rates.
    """

    index: int
    start: float
    end: float
    delivery: Delivery
    bytes: int
    data_uri: int
    frames: int | None
    tokens_in: int
    tokens_out: int

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Plan:
    """How one recording will be sent (see the module docstring); :meth:`describe` prints it."""

    name: str
    kind: Literal["audio", "video", "image"]
    model: str
    mode: Mode
    duration: float | None
    duration_known: bool
    source_bytes: int | None
    segments: tuple[PlannedSegment, ...]
    options: PlanOptions
    limits: SegmentLimits
    notes: tuple[str, ...] = field(default=())
    #: Re-encoded audio's sample rate, and re-encoded frames' (width, height), for cut segments.
    audio_rate: int | None = None
    frame_size: tuple[int, int] | None = None

    @property
    def bytes(self) -> int:
        return sum(s.bytes for s in self.segments)

    @property
    def tokens_in(self) -> int:
        return sum(s.tokens_in for s in self.segments)

    @property
    def tokens_out(self) -> int:
        return sum(s.tokens_out for s in self.segments)

    def cost(self, prices: Prices) -> float:
        """The estimated cost at ``prices``."""
        return self.tokens_in / 1e6 * prices.input_per_million + self.tokens_out / 1e6 * prices.output_per_million

    def describe(self, prices: Prices | None = None) -> str:
        """The plan as text: one line per segment, then the totals (the dry run's output)."""
        length = clock(self.duration) if self.duration is not None else "unknown length"
        size = f", {self.source_bytes:,} bytes" if self.source_bytes is not None else ""
        lines = [
            f"{self.name}: {self.kind}, {length}{size} -> {len(self.segments)} request(s) to {self.model} ({self.mode})"
        ]
        for s in self.segments:
            frames = f", {s.frames} frames" if s.frames else ""
            lines.append(
                f"  #{s.index:<3} {clock(s.start, millis=True)} - {clock(s.end, millis=True)}  {s.delivery:<6} "
                f"{s.bytes:>11,} bytes (data URI {s.data_uri:,}){frames}, ~{s.tokens_in:,} tokens in, "
                f"~{s.tokens_out:,} out"
            )
        total = f"total: {self.bytes:,} bytes sent, ~{self.tokens_in:,} tokens in, ~{self.tokens_out:,} out"
        if prices is not None:
            total += f", ~{self.cost(prices):.4f} {prices.currency}"
        else:
            total += " (pass prices= for a cost: the reference documents token rates, not prices)"
        lines.append(total)
        lines.extend(f"note: {note}" for note in self.notes)
        return "\n".join(lines)


# --------------------------------------------------------------------------------------------- sizing


@dataclass(frozen=True)
class _Rates:
    """Per second of media: bytes on the wire and tokens, for one way of sending."""

    bytes_per_second: float
    tokens_per_second: float
    frames_per_second: float | None = None
    frame_tokens: int = 0
    frame_bytes: int = 0


def _audio_rate(options: PlanOptions, info: MediaInfo | None) -> int:
    """Re-encoded audio's sample rate: 16 kHz, or the source's if lower (upsampling adds nothing)."""
    if info is not None and info.sample_rate and info.sample_rate < options.sample_rate:
        return max(8_000, info.sample_rate)
    return options.sample_rate


def _frame_size(info: MediaInfo | None, options: PlanOptions) -> tuple[int, int]:
    if info is None or not info.width or not info.height:
        side = int(math.sqrt(options.max_pixels))
        return side, side
    return pixel_size(info.width, info.height, options.max_pixels)


def _rates(delivery: Delivery, info: MediaInfo | None, options: PlanOptions, profile: ModelProfile) -> _Rates:
    has_audio = info is None or info.has_audio
    audio_per_second = profile.audio_input_tokens_per_second if has_audio else 0.0
    if delivery == "audio":
        return _Rates(options.audio_bitrate / 8, profile.audio_input_tokens_per_second)
    width, height = _frame_size(info, options)
    frame = image_tokens(width, height, profile)
    if delivery == "video":
        sound = options.audio_bitrate / 8 if has_audio else 0.0
        return _Rates(options.video_bitrate / 8 + sound, options.fps * frame + audio_per_second, options.fps, frame)
    if delivery == "frames":
        jpeg = round(width * height * JPEG_BYTES_PER_PIXEL)
        return _Rates(options.fps * jpeg, options.fps * frame, options.fps, frame, jpeg)
    if delivery == "whole" or delivery == "url":
        raise ValueError(f"{delivery} segments are not sized by rate")
    assert_never(delivery)


def _longest(limits: SegmentLimits, rates: _Rates, options: PlanOptions, prompt_tokens: int) -> float:
    """The longest segment that keeps within every limit, before snapping and overlap."""
    bounds = [b for b in (limits.max_seconds, options.segment_seconds) if b is not None]
    if limits.max_bytes is not None and rates.bytes_per_second:
        bounds.append(limits.max_bytes * SAFETY / rates.bytes_per_second)
    room = limits.max_input_tokens * SAFETY - prompt_tokens
    if rates.tokens_per_second:
        bounds.append(room / rates.tokens_per_second)
    if limits.frames_max is not None and rates.frames_per_second:
        bounds.append(limits.frames_max / rates.frames_per_second)
    return min(bounds) if bounds else math.inf


def _fits_whole(
    recording: Recording, info: MediaInfo, profile: ModelProfile, options: PlanOptions, prompt_tokens: int
) -> list[str]:
    """Why the file cannot go unchanged (an empty list: it can)."""
    kind: MediaNoun = "audio" if info.kind == "audio" else "video"
    limits = segment_limits(profile, kind)
    reasons = []
    if not options.send_whole:
        reasons.append("send_whole=False")
    if info.duration is not None and limits.max_seconds is not None and info.duration > limits.max_seconds:
        reasons.append(f"{clock(info.duration)} is over {profile.name}'s {limits.max_seconds:g} s per {kind} file")
    if limits.max_bytes is not None and info.size_bytes > limits.max_bytes:
        reasons.append(f"{info.size_bytes:,} bytes make a data URI over the 10 MB per item")
    if options.segment_seconds is not None and info.duration is not None and info.duration > options.segment_seconds:
        reasons.append(f"segments of at most {options.segment_seconds:g} s were asked for")
    accepted = AUDIO_INPUT_FORMATS if kind == "audio" else VIDEO_INPUT_FORMATS
    if info.container not in accepted:
        reasons.append(f"{info.container} is not a format Qwen-Omni accepts")
    if options.channel != "mix" and (info.channels or 1) > 1:
        reasons.append(f"channel {options.channel} of {info.channels} is to be kept")
    tokens = _whole_tokens(info, profile, options) + prompt_tokens
    if tokens > limits.max_input_tokens * SAFETY:
        reasons.append(f"about {tokens:,} input tokens, near or over {profile.name}'s {limits.max_input_tokens:,}")
    return reasons


def whole_file_problems(
    recording: Recording, model: str | ModelProfile, options: PlanOptions | None = None
) -> list[str]:
    """Why ``recording`` cannot be sent to ``model`` in one request as it is: too long, too big for a data URI,
    too many tokens, a format the API does not take (an empty list: it can). Reads the file's headers only.

    A URL or an image gives an empty list: a URL is never read here, and an image is never cut.

    Example:
        >>> from qwen_omni import samples
        >>> from qwen_omni.longmedia.inputs import as_recording
        >>> whole_file_problems(as_recording(samples.tone_wav(200.0), name="call.wav"), "qwen-omni-turbo")
        ["00:03:20 is over qwen-omni-turbo's 180 s per audio file"]
    """
    if recording.url is not None:
        return []
    profile = model if isinstance(model, ModelProfile) else get_profile(model)
    info = probe(recording.source)
    if info.input_kind == "image":
        return []
    return _fits_whole(recording, info, profile, options or PlanOptions(), PROMPT_TOKENS)


def _whole_tokens(info: MediaInfo, profile: ModelProfile, options: PlanOptions) -> int:
    seconds = info.duration or 0.0
    if info.input_kind == "image":
        return image_tokens(info.width or 1, info.height or 1, profile)
    sound = audio_tokens(seconds, profile) if info.has_audio else 0
    if info.kind == "audio":
        return sound
    width, height = _frame_size(info, options)
    return sound + video_tokens(seconds, width, height, profile, fps=options.fps)


def _out(task_seconds: float, mode: Mode, limits: SegmentLimits) -> int:
    return min(limits.max_output_tokens, max(16, math.ceil(task_seconds * output_tokens_per_second(task_of(mode)))))


# --------------------------------------------------------------------------------------------- planning


def make_plan(
    recording: Recording,
    model: str | ModelProfile,
    mode: Mode,
    options: PlanOptions | None = None,
    *,
    prompt_tokens: int = PROMPT_TOKENS,
) -> Plan:
    """Plan ``recording`` for ``model`` in ``mode`` (reads the file's headers, and for cuts its loudness).

    Raises:
        MediaError: the file cannot be read, or its length cannot be told.
        LimitExceededError: a URL whose known length is over the model's limit (it cannot be cut here), or a
            recording no segment length can fit.
    """
    options = options or PlanOptions()
    profile = model if isinstance(model, ModelProfile) else get_profile(model)
    if recording.url is not None:
        return _plan_url(recording, profile, mode, options, prompt_tokens)
    info = probe(recording.source)
    if info.input_kind == "image":
        limits = segment_limits(profile, "image")
        tokens = _whole_tokens(info, profile, options) + prompt_tokens
        segment = PlannedSegment(
            0, 0.0, 0.0, "whole", info.size_bytes, data_uri_length(info.size_bytes), 1, tokens, _out(60, mode, limits)
        )
        return Plan(
            recording.name, "image", profile.name, mode, None, True, info.size_bytes, (segment,), options, limits
        )
    if info.duration is None:
        raise MediaError(f"cannot tell how long {recording.name} is, so it cannot be planned.")
    kind: Literal["audio", "video"] = "audio" if info.kind == "audio" else "video"
    reasons = _fits_whole(recording, info, profile, options, prompt_tokens)
    if not reasons:
        limits = segment_limits(profile, kind)
        frames = math.ceil(info.duration * options.fps) if kind == "video" else None
        tokens = _whole_tokens(info, profile, options) + prompt_tokens
        segment = PlannedSegment(
            0, 0.0, info.duration, "whole", info.size_bytes, data_uri_length(info.size_bytes), frames, tokens,
            _out(info.duration, mode, limits),
        )  # fmt: skip
        note = f"sent whole and unchanged: it fits every limit of {profile.name}"
        return Plan(
            recording.name,
            kind,
            profile.name,
            mode,
            info.duration,
            True,
            info.size_bytes,
            (segment,),
            options,
            limits,
            (note,),
        )
    return _plan_cuts(recording, info, kind, profile, mode, options, prompt_tokens, reasons)


def _plan_url(
    recording: Recording, profile: ModelProfile, mode: Mode, options: PlanOptions, prompt_tokens: int
) -> Plan:
    kind = kind_from_name(recording.url or "")
    if kind is None:
        raise InvalidRequestError(
            f"Cannot tell whether {recording.url!r} is audio or video from its name; name the file with its "
            "extension, or download it and pass the file."
        )
    if kind == "image":
        limits = segment_limits(profile, "image", inline=False)
        segment = PlannedSegment(0, 0.0, 0.0, "url", 0, 0, 1, prompt_tokens + 1280, _out(60, mode, limits))
        return Plan(recording.name, "image", profile.name, mode, None, True, None, (segment,), options, limits)
    limits = segment_limits(profile, kind, inline=False)
    known = options.duration is not None
    top = limits.max_seconds
    if known and top is not None and options.duration is not None and options.duration > top:
        raise LimitExceededError(
            f"{recording.name} lasts {clock(options.duration)}, over {profile.name}'s {top:g} s per {kind} file, and "
            "a URL is sent as it is (nothing is downloaded, so it cannot be cut). Download it and pass the file, or "
            "use a model with a longer limit (qwen3.5-omni-plus: 1 h of video, 3 h of audio)."
        )
    duration = options.duration if options.duration is not None else top
    notes = []
    if not known:
        notes.append(
            f"length unknown (a URL is never downloaded): planned as {profile.name}'s limit of {top:g} s, the worst "
            "case; the server refuses a longer file. Pass PlanOptions(duration=...) if you know it."
            if top is not None
            else "length unknown (a URL is never downloaded); token estimates assume 10 minutes"
        )
    seconds = duration if duration is not None else 600.0
    frames = math.ceil(seconds * options.fps) if kind == "video" else None
    width, height = _frame_size(None, options)
    tokens = audio_tokens(seconds, profile) + prompt_tokens
    if kind == "video":
        tokens += video_tokens(seconds, width, height, profile, fps=options.fps)
    segment = PlannedSegment(0, 0.0, seconds, "url", 0, 0, frames, tokens, _out(seconds, mode, limits))
    return Plan(
        recording.name, kind, profile.name, mode, duration, known, None, (segment,), options, limits, tuple(notes)
    )


def _plan_cuts(
    recording: Recording,
    info: MediaInfo,
    kind: Literal["audio", "video"],
    profile: ModelProfile,
    mode: Mode,
    options: PlanOptions,
    prompt_tokens: int,
    reasons: list[str],
) -> Plan:
    duration = info.duration or 0.0
    delivery: Delivery = "audio" if kind == "audio" else ("frames" if options.video_as == "frames" else "video")
    noun: MediaNoun = "audio" if delivery == "audio" else "frames" if delivery == "frames" else "video"
    limits = segment_limits(profile, noun)
    rates = _rates(delivery, info, options, profile)
    longest = _longest(limits, rates, options, prompt_tokens)
    snap = min(options.snap, longest / 8)
    step = longest - 2 * snap - options.overlap
    if step <= 0 or not math.isfinite(longest):
        raise LimitExceededError(
            f"{recording.name} cannot be cut into segments {profile.name} accepts: the longest segment is "
            f"{longest:.1f} s and overlap is {options.overlap:g} s. Lower fps, max_pixels or overlap."
        )
    count = max(1, math.ceil(duration / step))
    cuts = [i * duration / count for i in range(1, count)]
    notes = [f"cut: {'; '.join(reasons)}"]
    if snap > 0 and cuts and info.has_audio:
        envelope = loudness(recording.source)
        cuts = [envelope.quietest(cut, window=snap) for cut in cuts]
        notes.append(f"each cut moved to the quietest moment within {snap:g} s")
    edges = [0.0, *cuts, duration]
    segments = []
    for index in range(count):
        start = max(0.0, edges[index] - (options.overlap if index else 0.0))
        end = edges[index + 1]
        segments.append(_sized(index, start, end, delivery, rates, limits, mode, prompt_tokens))
    rate, size = _audio_rate(options, info), _frame_size(info, options)
    pixels = f"{size[0]}x{size[1]} px"
    encoding = {
        "audio": f"{options.audio_format.upper()} {rate / 1000:g} kHz mono {options.audio_bitrate // 1000} kb/s",
        "video": f"MP4 at {options.fps:g} fps, {pixels}, {options.video_bitrate // 1000} kb/s video + "
        f"{options.audio_bitrate // 1000} kb/s sound",
        "frames": f"JPEG frames at {options.fps:g} fps, {pixels}, no sound",
    }[delivery]
    notes.append(f"re-encoded as {encoding}")
    if options.overlap:
        notes.append(f"segments overlap by {options.overlap:g} s; duplicate lines are removed when merging")
    return Plan(
        recording.name,
        kind,
        profile.name,
        mode,
        duration,
        True,
        info.size_bytes,
        tuple(segments),
        options,
        limits,
        tuple(notes),
    )


def _sized(
    index: int,
    start: float,
    end: float,
    delivery: Delivery,
    rates: _Rates,
    limits: SegmentLimits,
    mode: Mode,
    prompt_tokens: int,
) -> PlannedSegment:
    seconds = end - start
    frames = None
    if delivery == "frames":
        frames = min(
            limits.frames_max or 10**9, max(limits.frames_min, round(seconds * (rates.frames_per_second or 1)))
        )
        size = frames * rates.frame_bytes
        wire = frames * data_uri_length(rates.frame_bytes, "data:image/jpeg;base64,")
        tokens = frames * rates.frame_tokens + prompt_tokens
    else:
        size = math.ceil(seconds * rates.bytes_per_second) + 1024
        wire = data_uri_length(size)
        tokens = math.ceil(seconds * rates.tokens_per_second) + prompt_tokens
        if delivery == "video":
            frames = max(1, math.ceil(seconds * (rates.frames_per_second or 0)))
    return PlannedSegment(index, start, end, delivery, size, wire, frames, tokens, _out(seconds, mode, limits))


def prompt_token_estimate(prompt: str) -> int:
    """Tokens of a prompt's text."""
    return text_tokens(len(prompt))
