"""The plan: how one recording is cut into segments, each within every limit of the chosen model.

A file that fits every limit as it is (duration, size, data-URI size, input tokens, an accepted format) is
sent whole and unchanged. Otherwise it is cut into balanced segments and re-encoded compactly: speech as
16 kHz mono MP3 (or Opus), as the practitioner's notes (reference source 002) advise; video as H.264 at a
chosen frame rate and pixel budget (default 2 fps, the API's own default sampling, and 230,400 pixels, the
guide's "fast review" budget; 921,600 for finer detail), or as a list of frames; :class:`~.encodings.Encoding`
records the choice, and it is what is sent. Each cut is moved to the quietest moment within ``snap`` seconds, so
fewer cuts land mid-word; segments may overlap. Planning a cut decodes the sound once: stretches that cannot be
decoded, a file shorter than its header says, and long silences (``skip_silence``) are found then, and told in
the notes before anything is sent; long silences and long damaged stretches are not sent.

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
from ..media import Loudness, MediaInfo, declared_duration, loudness, pixel_size, probe
from ..media import video_codec as video_codec_name
from ..parts import kind_from_name
from ..profiles import AUDIO_INPUT_FORMATS, VIDEO_INPUT_FORMATS, ModelProfile, get_profile
from ..tokens import audio_tokens, image_tokens, text_tokens, video_tokens
from .encodings import CutDelivery, Encoding
from .inputs import Recording
from .limits import Delivery, MediaNoun, SegmentLimits, data_uri_length, segment_limits
from .modes import Mode, check_mode, clock, output_tokens_per_second, task_of

__all__ = ["Plan", "PlanOptions", "PlannedSegment", "Prices", "make_plan", "whole_file_problems"]

#: Segments are planned this much under every byte and token limit (encoders overshoot a little).
SAFETY = 0.9
#: Tokens kept for the prompt's text in every segment request.
PROMPT_TOKENS = 400
#: Bytes a JPEG frame takes per pixel, for planning (measured on camera video at quality 85: 0.1 to 0.3).
JPEG_BYTES_PER_PIXEL = 0.3
#: Bits per pixel per frame given to re-encoded video (H.264 at low frame rates looks clean at 0.25).
VIDEO_BITS_PER_PIXEL = 0.25
#: The sample rates each sound encoder can hold (FFmpeg's libmp3lame, libopus and aac).
_CODEC_RATES = {
    "mp3": (8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000),
    "opus": (8_000, 12_000, 16_000, 24_000, 48_000),
    "aac": (7_350, 8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000, 64_000, 88_200, 96_000),
}
#: A file whose audio ends this many seconds before its header says is truncated.
TRUNCATION_SLACK = 1.0
#: Seconds of a long silence kept on each side of it (so that no word at its edges is cut off).
SILENCE_MARGIN = 0.5
#: Sound between two stretches left out that is shorter than this is not worth a request.
MIN_REGION = 0.2
#: A cut moves at most this fraction of a segment when it snaps to a quiet moment.
SNAP_FRACTION = 0.25
#: Snapping may add one request to a plan only when that is at most this fraction more requests.
SNAP_EXTRA_REQUESTS = 0.1


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
        skip_silence: leave out of a cut recording's requests every stretch of silence longer than
            ``silence_seconds`` (audio only: a video's pictures go on); each appears as one
            ``(silence HH:MM:SS - HH:MM:SS)`` note. False sends everything.
        silence_seconds: how long a quiet stretch must last to be left out (half a second of it is kept at each
            side); also the length from which a damaged stretch of audio is left out rather than sent as silence.
        silence_db: the level, in dB of full scale (RMS over 50 ms), below which audio counts as silence.
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
    skip_silence: bool = True
    silence_seconds: float = 10.0
    silence_db: float = -60.0

    def __post_init__(self) -> None:
        if self.segment_seconds is not None and self.segment_seconds <= 0:
            raise ValueError(f"segment_seconds must be positive; got {self.segment_seconds}.")
        if self.overlap < 0 or self.snap < 0:
            raise ValueError(f"overlap and snap must be 0 or more seconds; got {self.overlap}, {self.snap}.")
        if not 0.1 <= self.fps <= 10:
            raise ValueError(f"fps must be between 0.1 and 10 (the API's range); got {self.fps}.")
        if self.silence_seconds <= 0:
            raise ValueError(f"silence_seconds must be positive; got {self.silence_seconds}.")
        if self.channel != "mix" and self.channel < 0:
            raise ValueError(f"channel must be 'mix' or a channel index (0, 1, ...); got {self.channel}.")


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
    #: How every cut segment is encoded (None: the file is sent whole and unchanged, or by URL).
    encoding: Encoding | None = None
    #: What the file's header says it lasts, when that is longer than what decodes (a truncated file).
    declared_duration: float | None = None
    #: Stretches that could not be decoded, and stretches of silence not sent, ``(start, end)`` in seconds.
    damaged: tuple[tuple[float, float], ...] = ()
    silences: tuple[tuple[float, float], ...] = ()

    @property
    def audio_rate(self) -> int | None:
        """The sample rate of the sound sent with cut segments (None: sent unchanged, or no sound)."""
        return self.encoding.sample_rate if self.encoding is not None else None

    @property
    def frame_size(self) -> tuple[int, int] | None:
        """The ``(width, height)`` of the pictures sent with cut segments (None: sent unchanged, or audio)."""
        return self.encoding.frame_size if self.encoding is not None else None

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


def _audio_rate(options: PlanOptions, info: MediaInfo | None, codec: str) -> int:
    """Re-encoded sound's sample rate: ``options.sample_rate`` (16 kHz), or the source's if lower (upsampling adds
    nothing), moved to the nearest rate at or above it that ``codec`` can hold."""
    rate = options.sample_rate
    if info is not None and info.sample_rate and info.sample_rate < rate:
        rate = max(8_000, info.sample_rate)
    held = sorted(_CODEC_RATES[codec])
    return rate if rate in held else next((r for r in held if r >= rate), held[-1])


def _frame_size(info: MediaInfo | None, options: PlanOptions) -> tuple[int, int]:
    if info is None or not info.width or not info.height:
        side = int(math.sqrt(options.max_pixels))
        return side - side % 2, side - side % 2
    return pixel_size(info.width, info.height, options.max_pixels)


def _frame_rate(info: MediaInfo | None, options: PlanOptions) -> float:
    """Pictures a second: ``options.fps``, or the source's own rate when it is lower (no frame is invented)."""
    if info is not None and info.frames and info.duration:
        return min(options.fps, max(0.1, round(info.frames / info.duration, 3)))
    return options.fps


def encoding_of(delivery: CutDelivery, info: MediaInfo | None, options: PlanOptions) -> Encoding:
    """The one encoding of every cut segment (see :mod:`.encodings`): what the cutter writes, the notes say."""
    if delivery == "audio":
        codec = options.audio_format
        return Encoding(
            delivery, "ogg" if codec == "opus" else "mp3", codec, _audio_rate(options, info, codec), 1,
            options.audio_bitrate, None, None, None, None, options.channel,
        )  # fmt: skip
    size, fps = _frame_size(info, options), _frame_rate(info, options)
    if delivery == "video":
        sound = info is None or info.has_audio
        rate = _audio_rate(options, info, "aac") if sound else None
        video_codec: Literal["h264", "mpeg4"] = "h264" if video_codec_name() == "libx264" else "mpeg4"
        bitrate = max(64_000, round(size[0] * size[1] * fps * VIDEO_BITS_PER_PIXEL))
        return Encoding(
            delivery, "mp4", "aac" if sound else None, rate, 1 if sound else None,
            options.audio_bitrate if sound else None, size, fps, video_codec, bitrate, options.channel,
        )  # fmt: skip
    if delivery == "frames":
        return Encoding(delivery, "jpeg", None, None, None, None, size, fps, None, None, options.channel)
    assert_never(delivery)


def _rates(encoding: Encoding, info: MediaInfo | None, profile: ModelProfile) -> _Rates:
    """Bytes and tokens a second of ``encoding`` costs (sized from the encoding itself, so the estimate is of what
    is sent)."""
    if encoding.delivery == "audio":
        return _Rates((encoding.audio_bitrate or 0) / 8, profile.audio_input_tokens_per_second)
    width, height = encoding.frame_size or _frame_size(info, PlanOptions())
    fps = encoding.fps or 1.0
    frame = image_tokens(width, height, profile)
    if encoding.delivery == "video":
        sound = (encoding.audio_bitrate or 0) / 8 if encoding.audio_codec else 0.0
        audio_per_second = profile.audio_input_tokens_per_second if encoding.audio_codec else 0.0
        video = (encoding.video_bitrate or 0) / 8
        return _Rates(video + sound, fps * frame + audio_per_second, fps, frame)
    if encoding.delivery == "frames":
        jpeg = round(width * height * JPEG_BYTES_PER_PIXEL)
        return _Rates(fps * jpeg, fps * frame, fps, frame, jpeg)
    assert_never(encoding.delivery)


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
    if kind == "video" and options.video_as == "frames":
        reasons.append("frames were asked for (video_as='frames')")
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
    # A file sent unchanged is seen at its own size: only cut segments are shrunk to max_pixels.
    width, height = info.width or 1, info.height or 1
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
        InvalidRequestError: an unknown ``mode`` (the message lists the modes).
        MediaError: the file cannot be read, or its length cannot be told.
        LimitExceededError: a URL whose known length is over the model's limit (it cannot be cut here), or a
            recording no segment length can fit.
    """
    mode = check_mode(mode)
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
        declared = declared_duration(recording.source)
        short = declared is not None and declared > info.duration + TRUNCATION_SLACK
        if short and declared is not None:
            note += (
                f"; the file ends at {clock(info.duration)}, {clock(declared - info.duration)} short of the "
                f"{clock(declared)} its header states (truncated)"
            )
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
            declared_duration=declared if short else None,
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
    delivery: CutDelivery = "audio" if kind == "audio" else ("frames" if options.video_as == "frames" else "video")
    noun: MediaNoun = "audio" if delivery == "audio" else "frames" if delivery == "frames" else "video"
    limits = segment_limits(profile, noun)
    encoding = encoding_of(delivery, info, options)
    rates = _rates(encoding, info, profile)
    longest = _longest(limits, rates, options, prompt_tokens)
    if longest - options.overlap <= 0 or not math.isfinite(longest):
        raise LimitExceededError(
            f"{recording.name} cannot be cut into segments {profile.name} accepts: the longest segment is "
            f"{longest:.1f} s and overlap is {options.overlap:g} s. Lower fps, max_pixels or overlap."
        )
    notes = [f"cut: {'; '.join(reasons)}"]
    envelope = loudness(recording.source) if info.has_audio else None  # one decoding pass: levels, damage, the end
    scanned = _scan(recording, info, kind, options, envelope)
    duration = scanned.duration
    notes += scanned.notes
    segments: list[PlannedSegment] = []
    snapped = 0.0
    for low, high in scanned.regions:
        count, snap = _count_and_snap(high - low, longest, options)
        cuts = [low + i * (high - low) / count for i in range(1, count)]
        if snap > 0 and cuts and envelope is not None:
            cuts = [envelope.quietest(cut, window=snap) for cut in cuts]
            snapped = max(snapped, snap)
        edges = [low, *cuts, high]
        for number in range(count):
            start = max(low, edges[number] - (options.overlap if number else 0.0))
            end = edges[number + 1]
            segments.append(_sized(len(segments), start, end, delivery, rates, limits, mode, prompt_tokens))
    if snapped:
        notes.append(f"each cut moved to the quietest moment within {snapped:.3g} s")
    notes.append(f"re-encoded as {encoding.describe()}")
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
        encoding=encoding,
        declared_duration=scanned.declared,
        damaged=scanned.damaged,
        silences=scanned.silences,
    )


@dataclass(frozen=True)
class _Scanned:
    """What decoding the whole file found before it is cut: its real length, the stretches not to send."""

    duration: float
    declared: float | None
    damaged: tuple[tuple[float, float], ...]
    silences: tuple[tuple[float, float], ...]
    regions: tuple[tuple[float, float], ...]
    notes: tuple[str, ...]


def _scan(
    recording: Recording,
    info: MediaInfo,
    kind: Literal["audio", "video"],
    options: PlanOptions,
    envelope: Loudness | None,
) -> _Scanned:
    """The real length (a truncated file is read to its real end, the shortfall told), the damaged stretches, and
    for audio the long silences: where segments go, and the notes that say why not elsewhere."""
    length = info.duration or 0.0
    declared = max(length, declared_duration(recording.source) or 0.0)
    notes: list[str] = []
    real = length
    if envelope is not None and envelope.end is not None and envelope.end < declared - TRUNCATION_SLACK:
        real = envelope.end
        notes.append(
            f"the file ends at {clock(real)}, {clock(declared - real)} short of the {clock(declared)} its header "
            "states (truncated): it was read to its real end"
        )
    damaged = tuple((a, min(b, real)) for a, b in (envelope.damaged if envelope else ()) if a < real)
    left_out: list[tuple[float, float]] = []
    for a, b in damaged:
        long = kind == "audio" and b - a >= options.silence_seconds
        notes.append(
            f"damaged: {clock(a)} - {clock(b)} could not be decoded and is "
            + ("not sent" if long else "sent as silence, so later times stay true")
        )
        if long:
            left_out.append((a, b))
    silences: tuple[tuple[float, float], ...] = ()
    if envelope is not None and kind == "audio" and options.skip_silence:
        quiet = envelope.quiet(level_db=options.silence_db, min_seconds=options.silence_seconds)
        silences = tuple(
            (a + SILENCE_MARGIN, min(b, real) - SILENCE_MARGIN)
            for a, b in quiet
            if min(b, real) - a > 2 * SILENCE_MARGIN
        )
        silences = tuple((a, b) for a, b in silences if not any(x < b and a < y for x, y in damaged))
        notes += [f"(silence {clock(a)} - {clock(b)}) not sent" for a, b in silences]
        left_out += silences
    regions, at = [], 0.0
    for a, b in sorted(left_out):
        if a - at >= MIN_REGION:
            regions.append((at, a))
        at = max(at, b)
    if real - at >= MIN_REGION or (not regions and not left_out):
        regions.append((at, real))
    return _Scanned(
        real, declared if declared > real + TRUNCATION_SLACK else None, damaged, silences, tuple(regions), tuple(notes)
    )


def _count_and_snap(duration: float, longest: float, options: PlanOptions) -> tuple[int, float]:
    """How many segments, and how far each cut may move to a quiet moment.

    The fewest segments that fit come first: a cut moves only within the room they leave under ``longest``, and
    never more than a quarter of a segment or ``options.snap``. When that room is too small for the whole window,
    one more segment is added only if it is at most a tenth more requests (so small segments never multiply).
    """
    step = longest - options.overlap
    fewest = max(1, math.ceil(duration / step - 1e-9))

    def window(count: int) -> float:
        base = duration / count
        return max(0.0, min(options.snap, base * SNAP_FRACTION, (step - base) / 2))

    wanted = min(options.snap, duration / fewest * SNAP_FRACTION)
    if fewest == 1 or window(fewest) >= wanted or 1 / fewest > SNAP_EXTRA_REQUESTS:
        return fewest, window(fewest) if fewest > 1 else 0.0
    return fewest + 1, window(fewest + 1)


def _sized(
    index: int,
    start: float,
    end: float,
    delivery: CutDelivery,
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
