"""What each Qwen-Omni model allows, as data.

Every limit the client checks before sending, and every limit the emulator enforces, is read from this
one table, so a correction to the documentation is one edit here. Sources: Alibaba Cloud Model Studio's
Qwen-Omni guide and models page (see ``shared/reference/README.md`` in the project's steering repo).

Example:
    >>> from qwen_omni.profiles import get_profile
    >>> p = get_profile("qwen3-omni-flash-2025-12-01")
    >>> p.series.value, p.supports_thinking, p.video.max_files
    ('qwen3-omni-flash', True, 1)
"""

from __future__ import annotations

import enum
import warnings
from dataclasses import dataclass, field, replace
from functools import lru_cache

MB = 1024 * 1024
GB = 1024 * MB

#: Every base64 data URI must be shorter than this ("Exceeded limit on max bytes per data-uri item").
DATA_URI_MAX_BYTES = 10 * MB
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


class Series(enum.StrEnum):
    """A family of models sharing limits and capabilities."""

    QWEN3_5_OMNI = "qwen3.5-omni"
    QWEN3_OMNI_FLASH = "qwen3-omni-flash"
    QWEN_OMNI_TURBO = "qwen-omni-turbo"
    QWEN2_5_OMNI_OPEN = "qwen2.5-omni"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class MediaLimits:
    """Per-request limits for one input kind.

    ``max_files`` counts files sent by URL or inline; ``max_inline_files`` counts base64 data URIs only.
    ``None`` means the documentation states no limit.
    """

    max_files: int | None
    max_inline_files: int | None
    max_bytes: int | None
    max_seconds: float | None = None


@dataclass(frozen=True)
class ModelProfile:
    """Capabilities and limits of one model name.

    Attributes mirror the models page; ``known`` is False for a name this table has never seen, whose
    profile is deliberately permissive (new snapshots ship often and must not be refused).
    """

    name: str
    series: Series
    context_window: int
    max_input_tokens: int
    max_output_tokens: int
    supports_thinking: bool
    supports_search: bool
    supports_tools: bool
    #: Several non-text modalities in one user message (Qwen3.5-Omni) or text plus one other (older).
    multi_modality_per_message: bool
    image: MediaLimits
    audio: MediaLimits
    video: MediaLimits
    frames_min: int
    frames_max: int
    voices: frozenset[str]
    default_voice: str
    #: True when ``voices`` is the whole documented list (then another voice is refused before sending).
    voices_complete: bool
    default_temperature: float | None
    default_top_p: float | None
    max_input_tokens_thinking: int | None = None
    max_reasoning_tokens: int | None = None
    #: Token accounting (Qwen-Omni guide), used by the emulator's usage figures.
    audio_input_tokens_per_second: float = 12.5
    audio_output_tokens_per_second: float = 12.5
    image_patch_px: int = 32
    min_image_tokens: int = 4
    supports_high_resolution_images: bool = False
    known: bool = True
    aliases: tuple[str, ...] = field(default=())

    @property
    def supports_audio_output(self) -> bool:
        """Every Qwen-Omni model can answer with speech (not while thinking)."""
        return True


# Voice lists: Qwen3.5-Omni has 55 voices and Qwen3-Omni-Flash 17 to 49 depending on the snapshot; the
# reference names only some of them, so those lists are incomplete and an unlisted voice is let through.
# Qwen-Omni-Turbo's four are the whole list.
_QWEN3_FLASH_VOICES = frozenset(
    {
        "Cherry",
        "Ethan",
        "Nofish",
        "Jennifer",
        "Ryan",
        "Katerina",
        "Elias",
        "Jada",
        "Dylan",
        "Sunny",
        "Li",
        "Marcus",
        "Roy",
        "Peter",
        "Rocky",
        "Kiki",
        "Eric",
    }
)
_QWEN35_VOICES = frozenset({"Tina"}) | _QWEN3_FLASH_VOICES
_TURBO_VOICES = frozenset({"Cherry", "Serena", "Ethan", "Chelsie"})

_QWEN35 = ModelProfile(
    name="qwen3.5-omni-plus",
    series=Series.QWEN3_5_OMNI,
    context_window=262_144,
    max_input_tokens=196_608,
    max_output_tokens=65_536,
    supports_thinking=False,
    supports_search=True,
    supports_tools=True,
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
    audio_input_tokens_per_second=25.0,
    audio_output_tokens_per_second=25.0,
    image_patch_px=28,
)

_OPEN_7B = replace(_TURBO, name="qwen2.5-omni-7b", series=Series.QWEN2_5_OMNI_OPEN)

#: The permissive profile for names this table has never seen: the largest documented limits and every
#: capability, so that a new snapshot is never refused by the client (the server has the last word).
_UNKNOWN = replace(
    _QWEN35,
    name="unknown",
    series=Series.UNKNOWN,
    supports_thinking=True,
    frames_min=2,
    voices=_QWEN35_VOICES | _TURBO_VOICES,
    default_temperature=None,
    default_top_p=None,
    known=False,
)

_NAMES: dict[str, ModelProfile] = {}


def _register(base: ModelProfile, *names: str) -> None:
    for name in names:
        _NAMES[name] = replace(base, name=name, aliases=tuple(n for n in names if n != name))


_register(_QWEN35, "qwen3.5-omni-plus", "qwen3.5-omni-plus-2026-03-15")
_register(_QWEN35, "qwen3.5-omni-flash", "qwen3.5-omni-flash-2026-03-15")
_register(_QWEN3_FLASH, "qwen3-omni-flash", "qwen3-omni-flash-2025-12-01", "qwen3-omni-flash-2025-09-15")
_register(
    _TURBO,
    "qwen-omni-turbo",
    "qwen-omni-turbo-latest",
    "qwen-omni-turbo-2025-03-26",
    "qwen-omni-turbo-2025-01-19",
)
_register(_OPEN_7B, "qwen2.5-omni-7b")

#: Every model name and snapshot this table knows, in a stable order.
KNOWN_MODELS: tuple[str, ...] = tuple(_NAMES)

#: The model used when none is named.
DEFAULT_MODEL = "qwen3.5-omni-flash"


def get_profile(model: str, *, warn: bool = True) -> ModelProfile:
    """Return the profile of ``model``.

    An unknown name gets a permissive profile (every capability, the largest limits) and a
    :class:`UnknownModelWarning`, never a refusal. Names are matched case-insensitively.

    Example:
        >>> get_profile("qwen-omni-turbo").supports_tools
        False
    """
    key = model.strip().lower()
    profile = _NAMES.get(key)
    if profile is not None:
        return profile
    if warn:
        warnings.warn(
            f"Unknown Qwen-Omni model {model!r}: checking it against the largest documented limits, with every "
            f"capability allowed; the server has the last word. Known models: {', '.join(KNOWN_MODELS)}.",
            UnknownModelWarning,
            stacklevel=2,
        )
    return _unknown_profile(model)


@lru_cache(maxsize=64)
def _unknown_profile(model: str) -> ModelProfile:
    return replace(_UNKNOWN, name=model)


class UnknownModelWarning(UserWarning):
    """A model name this package has no profile for; the permissive profile is used."""


def models_with(capability: str) -> list[str]:
    """Names of the known models whose profile has ``capability`` set (e.g. ``"supports_thinking"``).

    Example:
        >>> models_with("supports_search")[:1]
        ['qwen3.5-omni-plus']
    """
    return [name for name, p in _NAMES.items() if getattr(p, capability)]


def suggest_model(capability: str) -> str:
    """The first model name (a non-snapshot alias) that has ``capability``, for use in error messages."""
    for name in models_with(capability):
        if not name[-1].isdigit():
            return name
    return models_with(capability)[0]
