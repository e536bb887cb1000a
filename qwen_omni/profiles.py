"""What each Qwen-Omni model allows, as data: one profile per series, found by name or by pattern.

Every limit the client checks before sending, and every limit the emulator enforces, is read from this one
table, so a correction to the documentation is one edit here. Sources: Alibaba Cloud Model Studio's Qwen-Omni
guide and models page, and the corrections of 2026-12 (``shared/reference/README.md`` in the steering repo);
``tests/core/test_documented_limits.py`` pins every number against that text.

A name resolves in three steps: a name the documentation lists; else any name of a known series' shape (a
dated snapshot such as ``qwen3-omni-flash-2026-01-01`` or ``-latest``), which gets its series' limits; else
the permissive unknown profile and an :class:`UnknownModelWarning`. What the documentation leaves open is
named in :attr:`ModelProfile.undocumented`: a ``None`` limit there is not checked by the client (the server
has the last word), and any other value there is a choice explained beside it (permissive for a flag).

Example:
    >>> from qwen_omni.profiles import get_profile
    >>> p = get_profile("qwen3-omni-flash-2026-01-01")
    >>> p.series.value, p.supports_thinking, p.video.max_files
    ('qwen3-omni-flash', True, 1)
    >>> get_profile("qwen3.8-omni-flash").supports_audio_output
    False
"""

from __future__ import annotations

import enum
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Literal, assert_never

MB = 1024 * 1024
GB = 1024 * MB

#: Every base64 data URI must be shorter than this ("Exceeded limit on max bytes per data-uri item").
DATA_URI_MAX_BYTES = 10 * MB
#: At most this many base64 data URIs in one request, of every kind and frame together
#: ("Exceeded limit on max data-uri per request: 250").
DATA_URIS_PER_REQUEST_MAX = 250
#: Images: both sides must be larger than this many pixels.
IMAGE_MIN_SIDE_PX = 10
#: Images: the longer side divided by the shorter may be at most this.
IMAGE_MAX_ASPECT_RATIO = 200.0
#: Video file parts: the ``fps`` option must lie in this range.
VIDEO_FPS_RANGE = (0.1, 10.0)
#: Spoken answers: raw PCM16 little-endian mono at this rate, whatever the request's format says.
OUTPUT_SAMPLE_RATE = 24_000
#: The only output audio format the API accepts in ``audio.format``.
OUTPUT_AUDIO_FORMAT = "wav"
#: ``seed`` must lie in [0, 2**31 - 1].
SEED_MAX = 2**31 - 1
#: The system prompt that Qwen2.5-Omni-era models (qwen-omni-turbo, qwen2.5-omni-7b) need for a spoken
#: answer; a custom one is not supported with audio output (Qwen2.5-Omni README).
QWEN25_OMNI_SYSTEM_PROMPT = (
    "You are Qwen, a virtual human developed by the Qwen Team, Alibaba Group, capable of perceiving auditory "
    "and visual inputs, as well as generating text and speech."
)

#: Audio input formats, by the name the API expects in ``input_audio.format``.
AUDIO_INPUT_FORMATS = frozenset({"amr", "wav", "3gp", "3gpp", "aac", "mp3", "m4a", "flac", "ogg", "opus"})
#: Video file containers the API accepts.
VIDEO_INPUT_FORMATS = frozenset({"mp4", "avi", "mkv", "mov", "flv", "wmv", "webm", "m4v", "mpeg", "mpg", "3gp"})
#: File extensions of the image types the API accepts.
IMAGE_INPUT_EXTENSIONS = frozenset({"png", "jpg", "jpeg", "gif", "webp", "bmp", "tif", "tiff", "heic"})
#: Image mime types the API accepts.
IMAGE_MIME_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/tiff", "image/heic"}
)

MediaKind = Literal["image", "audio", "video"]


class Series(enum.StrEnum):
    """A family of models sharing limits and capabilities."""

    QWEN3_5_OMNI = "qwen3.5-omni"
    QWEN3_8_OMNI_FLASH = "qwen3.8-omni-flash"
    QWEN3_OMNI_FLASH = "qwen3-omni-flash"
    QWEN_OMNI_TURBO = "qwen-omni-turbo"
    QWEN2_5_OMNI_OPEN = "qwen2.5-omni"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class MediaLimits:
    """Per-request limits for one input kind.

    ``max_files`` counts files sent by URL or inline; ``max_inline_files`` counts base64 data URIs only.
    ``None`` means the documentation states no limit: the client does not check it, the server decides.
    """

    max_files: int | None
    max_inline_files: int | None
    max_bytes: int | None
    max_seconds: float | None = None


#: A kind whose limits the documentation does not give: nothing is checked before sending.
UNDOCUMENTED_MEDIA = MediaLimits(max_files=None, max_inline_files=None, max_bytes=None, max_seconds=None)


@dataclass(frozen=True)
class ModelProfile:
    """Capabilities and limits of one model name.

    Attributes mirror the models page. ``known`` is False for a name no series claims, whose profile is
    deliberately permissive (new models ship often and must not be refused). ``undocumented`` names the
    fields whose value is a choice rather than documentation (see the module docstring).
    """

    name: str
    series: Series
    context_window: int
    max_input_tokens: int
    max_output_tokens: int
    supports_thinking: bool
    supports_search: bool
    supports_tools: bool
    #: False for a text-only model (qwen3.8-omni-flash): a spoken answer is refused before sending.
    supports_audio_output: bool
    #: Several non-text modalities in one user message (Qwen3.5-Omni) or text plus one other (older).
    multi_modality_per_message: bool
    image: MediaLimits
    audio: MediaLimits
    video: MediaLimits
    #: Frames in a ``{"type": "video", "video": [...]}`` list; None where undocumented.
    frames_min: int | None
    frames_max: int | None
    #: The voices the documentation names, in its order; the whole list when ``voices_complete``.
    voices: tuple[str, ...]
    default_voice: str | None
    #: True when ``voices`` is the whole documented list (then another voice is refused before sending).
    voices_complete: bool
    #: The server's sampling defaults when the request sets none (None: undocumented).
    default_temperature: float | None
    default_top_p: float | None
    #: Input token limit when thinking, if lower than ``max_input_tokens``.
    max_input_tokens_thinking: int | None = None
    max_reasoning_tokens: int | None = None
    #: The lowest ``max_tokens`` the server accepts ("Range of max_tokens should be [10, 2048]").
    min_max_tokens: int = 1
    #: Thinking is on unless the request sets ``enable_thinking: false``.
    thinking_by_default: bool = False
    #: The spoken answer reads tool names and arguments aloud when tools are bound (QwenLM/Qwen3-Omni#126).
    speaks_tool_calls: bool = False
    #: A spoken answer needs :data:`QWEN25_OMNI_SYSTEM_PROMPT` as the system prompt (Qwen2.5-Omni era).
    audio_needs_fixed_system_prompt: bool = False
    #: Requests per minute and tokens per minute, account-wide (None: not listed).
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None
    #: Where the model is served (names of :data:`qwen_omni.endpoints.ALL_REGIONS`).
    regions: tuple[str, ...] = ("singapore", "beijing")
    #: Token accounting (Qwen-Omni guide), used by the emulator's usage figures.
    audio_input_tokens_per_second: float = 12.5
    audio_output_tokens_per_second: float = 12.5
    image_patch_px: int = 32
    min_image_tokens: int = 4
    supports_high_resolution_images: bool = False
    #: Field names whose value the documentation does not give (plus ``"stream_only"`` when it is unknown
    #: whether non-streaming calls are refused: the client always streams, so that never matters to it).
    undocumented: frozenset[str] = field(default=frozenset())
    known: bool = True

    def media(self, kind: MediaKind) -> MediaLimits:
        """The limits of one input kind.

        Example:
            >>> get_profile("qwen-omni-turbo").media("video").max_seconds
            40
        """
        if kind == "image":
            return self.image
        if kind == "audio":
            return self.audio
        if kind == "video":
            return self.video
        assert_never(kind)

    def input_token_limit(self, *, thinking: bool = False) -> int:
        """The most input tokens one request may hold (lower in thinking mode on some models).

        Example:
            >>> get_profile("qwen3-omni-flash").input_token_limit(thinking=True)
            16384
        """
        if thinking and self.max_input_tokens_thinking is not None:
            return self.max_input_tokens_thinking
        return self.max_input_tokens


# Voice lists: Qwen3.5-Omni has 55 voices and Qwen3-Omni-Flash 17 to 49 depending on the snapshot; the
# reference names only some of them, so those lists are incomplete and an unlisted voice is let through.
# Qwen-Omni-Turbo's four are the whole list, in the order of the server's own error message.
_QWEN3_FLASH_VOICES = ("Cherry", "Ethan", "Nofish", "Jennifer", "Ryan", "Katerina", "Elias", "Jada", "Dylan",
                       "Sunny", "Li", "Marcus", "Roy", "Peter", "Rocky", "Kiki", "Eric")  # fmt: skip
_QWEN35_VOICES = ("Tina", *_QWEN3_FLASH_VOICES)
_TURBO_VOICES = ("Cherry", "Serena", "Ethan", "Chelsie")

_QWEN35 = ModelProfile(
    name="qwen3.5-omni-plus",
    series=Series.QWEN3_5_OMNI,
    context_window=262_144,
    max_input_tokens=196_608,
    max_output_tokens=65_536,
    supports_thinking=False,
    supports_search=True,
    supports_tools=True,
    supports_audio_output=True,
    multi_modality_per_message=True,
    image=MediaLimits(max_files=2048, max_inline_files=250, max_bytes=20 * MB),
    audio=MediaLimits(max_files=2048, max_inline_files=250, max_bytes=2 * GB, max_seconds=3 * 3600),
    video=MediaLimits(max_files=512, max_inline_files=250, max_bytes=2 * GB, max_seconds=3600),
    frames_min=2,
    frames_max=2048,
    voices=_QWEN35_VOICES,
    default_voice="Tina",
    voices_complete=False,
    default_temperature=0.7,
    default_top_p=0.8,
    audio_input_tokens_per_second=7.0,
    audio_output_tokens_per_second=12.5,
    min_image_tokens=24,
    supports_high_resolution_images=True,
    # Rate limits: not on the rate-limit page (community reports say the same as qwen3-omni-flash).
    undocumented=frozenset({"requests_per_minute", "tokens_per_minute"}),
)

_QWEN38_FLASH = ModelProfile(
    name="qwen3.8-omni-flash",
    series=Series.QWEN3_8_OMNI_FLASH,
    context_window=1_000_000,
    max_input_tokens=991_808,
    max_input_tokens_thinking=983_616,
    max_output_tokens=131_072,
    supports_thinking=True,
    thinking_by_default=True,
    supports_search=True,
    supports_tools=True,
    supports_audio_output=False,
    # Undocumented from here on: the permissive choice, or None (not checked).
    multi_modality_per_message=True,
    image=UNDOCUMENTED_MEDIA,
    audio=UNDOCUMENTED_MEDIA,
    video=UNDOCUMENTED_MEDIA,
    frames_min=None,
    frames_max=None,
    voices=(),
    default_voice=None,
    voices_complete=False,
    default_temperature=None,
    default_top_p=None,
    max_reasoning_tokens=None,
    regions=("beijing", "singapore", "hong-kong", "tokyo", "frankfurt", "virginia"),
    # The emulator's token accounting borrows Qwen3.5-Omni's rates (undocumented for this series).
    audio_input_tokens_per_second=7.0,
    min_image_tokens=24,
    supports_high_resolution_images=True,
    undocumented=frozenset(
        {
            "stream_only",
            "multi_modality_per_message",
            "image",
            "audio",
            "video",
            "frames_min",
            "frames_max",
            "default_temperature",
            "default_top_p",
            "max_reasoning_tokens",
            # "adjustable effort" is documented, its request field is not: pass it in extra_body.
            "thinking_effort",
            "requests_per_minute",
            "tokens_per_minute",
            "audio_input_tokens_per_second",
            "audio_output_tokens_per_second",
            "image_patch_px",
            "min_image_tokens",
            "supports_high_resolution_images",
        }
    ),
)

_QWEN3_FLASH = ModelProfile(
    name="qwen3-omni-flash",
    series=Series.QWEN3_OMNI_FLASH,
    context_window=65_536,
    max_input_tokens=49_152,
    max_input_tokens_thinking=16_384,
    max_output_tokens=16_384,
    max_reasoning_tokens=32_768,
    supports_thinking=True,
    supports_search=False,
    supports_tools=True,
    supports_audio_output=True,
    multi_modality_per_message=False,
    image=MediaLimits(max_files=2048, max_inline_files=250, max_bytes=10 * MB),
    audio=MediaLimits(max_files=1, max_inline_files=1, max_bytes=100 * MB, max_seconds=20 * 60),
    video=MediaLimits(max_files=1, max_inline_files=1, max_bytes=256 * MB, max_seconds=150),
    frames_min=2,
    frames_max=128,
    voices=_QWEN3_FLASH_VOICES,
    default_voice="Cherry",
    voices_complete=False,
    default_temperature=0.9,
    default_top_p=1.0,
    speaks_tool_calls=True,
    requests_per_minute=60,
    tokens_per_minute=100_000,
)

_TURBO = ModelProfile(
    name="qwen-omni-turbo",
    series=Series.QWEN_OMNI_TURBO,
    context_window=32_768,
    max_input_tokens=30_720,
    max_output_tokens=2_048,
    supports_thinking=False,
    supports_search=False,
    supports_tools=False,
    supports_audio_output=True,
    multi_modality_per_message=False,
    image=MediaLimits(max_files=2048, max_inline_files=250, max_bytes=10 * MB),
    audio=MediaLimits(max_files=1, max_inline_files=1, max_bytes=10 * MB, max_seconds=3 * 60),
    video=MediaLimits(max_files=1, max_inline_files=1, max_bytes=150 * MB, max_seconds=40),
    frames_min=4,
    frames_max=80,
    voices=_TURBO_VOICES,
    default_voice="Cherry",
    voices_complete=True,
    default_temperature=None,
    default_top_p=None,
    audio_needs_fixed_system_prompt=True,
    requests_per_minute=60,
    tokens_per_minute=100_000,
    audio_input_tokens_per_second=25.0,
    audio_output_tokens_per_second=25.0,
    image_patch_px=28,
    undocumented=frozenset({"default_temperature", "default_top_p"}),
)

# The open-weights model as DashScope serves it: turbo's limits; its voice is "apparently Ethan only" (a
# report, not documentation), so Ethan is the default and other voices are let through to the server.
# Its media limits and token rates are not documented: it keeps turbo's (the same generation) as a choice.
_OPEN_7B = replace(
    _TURBO,
    name="qwen2.5-omni-7b",
    series=Series.QWEN2_5_OMNI_OPEN,
    voices=("Ethan",),
    default_voice="Ethan",
    voices_complete=False,
    min_max_tokens=10,
    requests_per_minute=None,
    tokens_per_minute=None,
    undocumented=_TURBO.undocumented
    | {
        "requests_per_minute",
        "tokens_per_minute",
        "image",
        "audio",
        "video",
        "frames_min",
        "frames_max",
        "audio_input_tokens_per_second",
        "audio_output_tokens_per_second",
        "image_patch_px",
        "min_image_tokens",
    },
)

#: The permissive profile for names no series claims: the largest documented limits and every capability,
#: so that a new model is never refused by the client (the server has the last word).
_UNKNOWN = replace(
    _QWEN35,
    name="unknown",
    series=Series.UNKNOWN,
    supports_thinking=True,
    frames_min=2,
    voices=tuple(dict.fromkeys(_QWEN35_VOICES + _TURBO_VOICES)),
    default_temperature=None,
    default_top_p=None,
    regions=_QWEN38_FLASH.regions,
    undocumented=frozenset(),
    known=False,
)

_SNAPSHOT = r"(?:-latest|-\d{4}-\d{2}-\d{2})?"


@dataclass(frozen=True)
class SeriesEntry:
    """One series: its profile, the names the documentation lists, and the pattern of every other name of it.

    ``advised`` are the names that advice may suggest (none for a series that is no longer updated).
    """

    profile: ModelProfile
    listed: tuple[str, ...]
    pattern: re.Pattern[str]
    advised: tuple[str, ...] = ()

    def matches(self, name: str) -> bool:
        return self.pattern.fullmatch(name) is not None


#: Every series, best first: advice names models in this order.
SERIES: tuple[SeriesEntry, ...] = (
    SeriesEntry(
        _QWEN35,
        ("qwen3.5-omni-plus", "qwen3.5-omni-plus-2026-03-15", "qwen3.5-omni-flash", "qwen3.5-omni-flash-2026-03-15"),
        re.compile(r"qwen3\.5-omni-(?:plus|flash)" + _SNAPSHOT),
        advised=("qwen3.5-omni-plus", "qwen3.5-omni-flash"),
    ),
    SeriesEntry(
        _QWEN38_FLASH,
        ("qwen3.8-omni-flash",),
        re.compile(r"qwen3\.8-omni-flash" + _SNAPSHOT),
        advised=("qwen3.8-omni-flash",),
    ),
    SeriesEntry(
        _QWEN3_FLASH,
        ("qwen3-omni-flash", "qwen3-omni-flash-2025-12-01", "qwen3-omni-flash-2025-09-15"),
        re.compile(r"qwen3-omni-flash" + _SNAPSHOT),
        advised=("qwen3-omni-flash",),
    ),
    SeriesEntry(
        _TURBO,
        ("qwen-omni-turbo", "qwen-omni-turbo-latest", "qwen-omni-turbo-2025-03-26", "qwen-omni-turbo-2025-01-19"),
        re.compile(r"qwen-omni-turbo" + _SNAPSHOT),
    ),
    SeriesEntry(_OPEN_7B, ("qwen2.5-omni-7b",), re.compile(r"qwen2\.5-omni-7b")),
)

_LISTED: dict[str, ModelProfile] = {
    name: replace(entry.profile, name=name) for entry in SERIES for name in entry.listed
}

#: Every model name and snapshot the documentation lists, in a stable order (other snapshots of these
#: series resolve by pattern).
KNOWN_MODELS: tuple[str, ...] = tuple(_LISTED)

#: The model used when none is named.
DEFAULT_MODEL = "qwen3.5-omni-flash"


class UnknownModelWarning(UserWarning):
    """A model name this package has no profile for; the permissive profile is used."""


def series_of(model: str) -> Series:
    """The series a model name belongs to (``Series.UNKNOWN`` if none), without a warning.

    Example:
        >>> series_of("Qwen3.5-Omni-Plus-2026-07-01").value
        'qwen3.5-omni'
    """
    return get_profile(model, warn=False).series


def get_profile(model: str, *, warn: bool = True) -> ModelProfile:
    """Return the profile of ``model``: listed names, then any name of a known series' shape, else permissive.

    Names are matched case-insensitively. A name no series claims gets a permissive profile (every
    capability, the largest limits) and an :class:`UnknownModelWarning`, never a refusal.

    Example:
        >>> get_profile("qwen-omni-turbo").supports_tools
        False
        >>> get_profile("QWEN3.8-OMNI-FLASH-2026-09-21").max_output_tokens
        131072
    """
    key = model.strip().lower()
    listed = _LISTED.get(key)
    if listed is not None:
        return listed
    matched = _by_pattern(key)
    if matched is not None:
        return matched
    if warn:
        patterns = ", ".join(f"{entry.profile.name}[-YYYY-MM-DD|-latest]" for entry in SERIES[:-1])
        warnings.warn(
            f"Unknown Qwen-Omni model {model!r}: checking it against the largest documented limits, with every "
            f"capability allowed; the server has the last word. Known series: {patterns}, qwen2.5-omni-7b.",
            UnknownModelWarning,
            stacklevel=2,
        )
    return _unknown_profile(model)


@lru_cache(maxsize=256)
def _by_pattern(key: str) -> ModelProfile | None:
    for entry in SERIES:
        if entry.matches(key):
            return replace(entry.profile, name=key)
    return None


@lru_cache(maxsize=64)
def _unknown_profile(model: str) -> ModelProfile:
    return replace(_UNKNOWN, name=model)


# ------------------------------------------------------------------------------------------ advice


class Capability(enum.StrEnum):
    """What a request may need that some models lack; :func:`advise` names the models that have it."""

    THINKING = "thinking"
    WEB_SEARCH = "web search"
    TOOLS = "tool calling"
    SPOKEN_ANSWER = "spoken answers"
    MIXED_MODALITIES = "several media kinds in one message"
    HIGH_RESOLUTION_IMAGES = "vl_high_resolution_images"


def _capability_field(capability: Capability) -> str:
    match capability:
        case Capability.THINKING:
            return "supports_thinking"
        case Capability.WEB_SEARCH:
            return "supports_search"
        case Capability.TOOLS:
            return "supports_tools"
        case Capability.SPOKEN_ANSWER:
            return "supports_audio_output"
        case Capability.MIXED_MODALITIES:
            return "multi_modality_per_message"
        case Capability.HIGH_RESOLUTION_IMAGES:
            return "supports_high_resolution_images"
        case _:
            assert_never(capability)


def has_capability(profile: ModelProfile, capability: Capability) -> bool:
    """True when ``profile`` offers ``capability`` (a permissive choice on an undocumented field counts).

    Example:
        >>> has_capability(get_profile("qwen3-omni-flash"), Capability.WEB_SEARCH)
        False
    """
    return bool(getattr(profile, _capability_field(capability)))


@dataclass(frozen=True)
class MediaNeed:
    """A request's demand on one input kind: how many files, how long, how large (0: no demand).

    Example:
        >>> MediaNeed("video", seconds=600).met_by(get_profile("qwen3-omni-flash"))
        False
    """

    kind: MediaKind
    files: int = 0
    inline_files: int = 0
    seconds: float = 0.0
    size_bytes: int = 0

    def met_by(self, profile: ModelProfile) -> bool:
        """True when every demand is within a documented limit (an undocumented limit meets nothing)."""
        limits = profile.media(self.kind)
        demands = ((self.files, limits.max_files), (self.inline_files, limits.max_inline_files),
                   (self.seconds, limits.max_seconds), (self.size_bytes, limits.max_bytes))  # fmt: skip
        return all(limit is not None and need <= limit for need, limit in demands if need)

    def detail(self, profile: ModelProfile) -> str:
        limits = profile.media(self.kind)
        if self.seconds and limits.max_seconds is not None:
            return f"up to {format_seconds(limits.max_seconds)} of {self.kind}"
        if self.size_bytes and limits.max_bytes is not None:
            return f"{format_bytes(limits.max_bytes)} per {self.kind} file"
        return ""


@dataclass(frozen=True)
class FrameNeed:
    """A frame list of ``count`` images.

    Example:
        >>> FrameNeed(300).met_by(get_profile("qwen3-omni-flash"))
        False
    """

    count: int

    def met_by(self, profile: ModelProfile) -> bool:
        low, high = profile.frames_min, profile.frames_max
        return low is not None and high is not None and low <= self.count <= high

    def detail(self, profile: ModelProfile) -> str:
        return f"{profile.frames_min} to {profile.frames_max} frames"


Need = Capability | MediaNeed | FrameNeed


def _meets(profile: ModelProfile, need: Need) -> bool:
    if isinstance(need, Capability):
        return _capability_field(need) not in profile.undocumented and has_capability(profile, need)
    if isinstance(need, MediaNeed):
        return need.kind not in profile.undocumented and need.met_by(profile)
    if isinstance(need, FrameNeed):
        return not {"frames_min", "frames_max"} & profile.undocumented and need.met_by(profile)
    assert_never(need)


def models_for(need: Need) -> tuple[str, ...]:
    """The advisable model names whose documented profile meets ``need``, best first (one per series).

    Retired series (qwen-omni-turbo) and open weights are never advised; an undocumented limit or a permissive
    choice never counts as meeting a need.

    Example:
        >>> models_for(Capability.SPOKEN_ANSWER)
        ('qwen3.5-omni-plus', 'qwen3-omni-flash')
        >>> models_for(MediaNeed("video", files=3))
        ('qwen3.5-omni-plus',)
    """
    return tuple(entry.advised[0] for entry in SERIES if entry.advised and _meets(entry.profile, need))


def advise(need: Need, alternative: str | None = None, *, most: int = 2) -> str:
    """A sentence naming the models that meet ``need`` (at most ``most``), or else ``alternative``.

    Example:
        >>> advise(MediaNeed("video", seconds=600), "split it with qwen_omni.media.split")
        'Use qwen3.5-omni-plus (up to 1 h of video) or split it with qwen_omni.media.split.'
        >>> advise(Capability.THINKING, "drop enable_thinking")
        'Use qwen3.8-omni-flash or qwen3-omni-flash, or drop enable_thinking.'
        >>> advise(MediaNeed("video", files=9999), "split the request")
        'Split the request.'
    """
    names = models_for(need)[:most]
    shown = []
    for name in names:
        detail = need.detail(_LISTED[name]) if isinstance(need, MediaNeed | FrameNeed) else ""
        shown.append(f"{name} ({detail})" if detail else name)
    phrase = " or ".join(shown)
    if phrase and alternative:
        return f"Use {phrase}{',' if len(shown) > 1 else ''} or {alternative}."
    if phrase:
        return f"Use {phrase}."
    return f"{alternative[:1].upper()}{alternative[1:]}." if alternative else ""


def models_with(capability: str) -> list[str]:
    """Names of the listed models whose profile has the attribute ``capability`` set.

    Example:
        >>> models_with("supports_search")[:1]
        ['qwen3.5-omni-plus']
    """
    return [name for name, p in _LISTED.items() if getattr(p, capability)]


def suggest_model(capability: str) -> str:
    """The best advisable model whose profile has the attribute ``capability`` set, for error messages.

    Example:
        >>> suggest_model("supports_thinking")
        'qwen3.8-omni-flash'
    """
    for entry in SERIES:
        if entry.advised and getattr(entry.profile, capability) and capability not in entry.profile.undocumented:
            return entry.advised[0]
    return models_with(capability)[0]


def complete_voice_lists() -> Mapping[str, tuple[str, ...]]:
    """The models whose whole voice list is documented, by series name.

    Example:
        >>> complete_voice_lists()
        {'qwen-omni-turbo': ('Cherry', 'Serena', 'Ethan', 'Chelsie')}
    """
    return {entry.profile.name: entry.profile.voices for entry in SERIES if entry.profile.voices_complete}


def format_seconds(value: float) -> str:
    """``3600`` -> ``'1 h'``, ``1200`` -> ``'20 min'``, ``40`` -> ``'40 s'`` (whole minutes from 2 min on).

    Example:
        >>> format_seconds(10800), format_seconds(180), format_seconds(150)
        ('3 h', '3 min', '150 s')
    """
    if value >= 3600:
        return f"{value / 3600:g} h"
    if value >= 120 and value % 60 == 0:
        return f"{value / 60:g} min"
    return f"{value:g} s"


def format_bytes(value: int) -> str:
    """``2 * GB`` -> ``'2 GB'``, ``10 * MB`` -> ``'10 MB'``.

    Example:
        >>> format_bytes(2 * GB), format_bytes(150 * MB)
        ('2 GB', '150 MB')
    """
    if value >= GB:
        return f"{value / GB:g} GB"
    if value >= MB:
        return f"{value / MB:g} MB"
    return f"{value} bytes"


__all__ = [
    "AUDIO_INPUT_FORMATS",
    "DATA_URIS_PER_REQUEST_MAX",
    "DATA_URI_MAX_BYTES",
    "DEFAULT_MODEL",
    "GB",
    "IMAGE_INPUT_EXTENSIONS",
    "IMAGE_MAX_ASPECT_RATIO",
    "IMAGE_MIME_TYPES",
    "IMAGE_MIN_SIDE_PX",
    "KNOWN_MODELS",
    "MB",
    "OUTPUT_AUDIO_FORMAT",
    "OUTPUT_SAMPLE_RATE",
    "QWEN25_OMNI_SYSTEM_PROMPT",
    "SEED_MAX",
    "SERIES",
    "UNDOCUMENTED_MEDIA",
    "VIDEO_FPS_RANGE",
    "VIDEO_INPUT_FORMATS",
    "Capability",
    "FrameNeed",
    "MediaKind",
    "MediaLimits",
    "MediaNeed",
    "ModelProfile",
    "Need",
    "Series",
    "SeriesEntry",
    "UnknownModelWarning",
    "advise",
    "complete_voice_lists",
    "format_bytes",
    "format_seconds",
    "get_profile",
    "has_capability",
    "models_for",
    "models_with",
    "series_of",
    "suggest_model",
]
