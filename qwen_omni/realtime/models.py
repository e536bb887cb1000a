"""What each Qwen-Omni Realtime model allows, as data: one profile per family, found by name or pattern.

Sources: ``shared/reference/realtime.md`` (the realtime guide, client and server events, the WebSocket access page,
and the live clients it cites). ``tests/realtime/test_realtime_documented.py`` pins these numbers to that text.

- Input audio is PCM16 little-endian mono at 16 kHz; output audio PCM16 mono at 24 kHz.
- Tools: the 3.5 and 3.8 families call them; qwen3-omni-flash-realtime accepts definitions but never calls them
  (tau2-bench's live suite), and the turbo family has none, so both refuse tools here rather than stay silent.
- qwen3.8-omni-flash-realtime is served only on workspace endpoints.
- The voice lists of qwen3-omni-flash-realtime (17, 49 for the 2025-12-01 snapshot) and of turbo (4) are the whole
  documented lists, so another voice is refused before connecting; 3.5 and 3.8 also take cloned voices, so any
  voice is let through to the server.

Example:
    >>> p = get_realtime_profile("qwen3.5-omni-plus-realtime-2026-03-15")
    >>> p.family, p.default_voice, p.calls_tools
    ('qwen3.5', 'Tina', True)
    >>> get_realtime_profile("qwen3-omni-flash-realtime-2025-12-01").voices_complete
    True
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, replace
from typing import Literal

__all__ = [
    "DEFAULT_REALTIME_MODEL",
    "INPUT_SAMPLE_RATE",
    "MAX_SESSION_SECONDS",
    "OUTPUT_SAMPLE_RATE",
    "REALTIME_MODELS",
    "RealtimeFamily",
    "RealtimeProfile",
    "get_realtime_profile",
]

#: Input audio: PCM16 little-endian mono at this rate (every model).
INPUT_SAMPLE_RATE = 16_000
#: Output audio: PCM16 little-endian mono at this rate (3-flash, 3.5, 3.8; turbo unverified).
OUTPUT_SAMPLE_RATE = 24_000
#: The documented longest session: the server closes it after 120 minutes (older ja/tc pages say 30).
MAX_SESSION_SECONDS = 120 * 60
#: The model used when none is named: it calls tools and has the widest session settings.
DEFAULT_REALTIME_MODEL = "qwen3.5-omni-flash-realtime"

RealtimeFamily = Literal["qwen3.5", "qwen3.8", "qwen3-flash", "turbo", "unknown"]

_FLASH_17 = ("Cherry", "Ethan", "Nofish", "Jennifer", "Ryan", "Katerina", "Elias", "Jada", "Dylan", "Sunny", "Li",
             "Marcus", "Roy", "Peter", "Rocky", "Kiki", "Eric")  # fmt: skip
_FLASH_49 = ("Cherry", "Serena", "Ethan", "Chelsie", "Momo", "Vivian", "Moon", "Maia", "Kai", "Nofish", "Bella",
             "Jennifer", "Ryan", "Katerina", "Aiden", "Eldric Sage", "Mia", "Mochi", "Bellona", "Vincent", "Bunny",
             "Neil", "Elias", "Arthur", "Nini", "Ebona", "Seren", "Pip", "Stella", "Bodega", "Sonrisa", "Alek",
             "Dolce", "Sohee", "Ono Anna", "Lenn", "Emilien", "Andre", "Radio Gol", "Jada", "Dylan", "Li", "Marcus",
             "Roy", "Peter", "Sunny", "Eric", "Rocky", "Kiki")  # fmt: skip
_TURBO = ("Cherry", "Serena", "Ethan", "Chelsie")


@dataclass(frozen=True)
class RealtimeProfile:
    """One realtime model's rules.

    Attributes:
        name: the model name.
        family: the family it belongs to.
        default_voice: the server's voice when none is set.
        voices: the documented voices (the whole list when ``voices_complete``).
        voices_complete: another voice is refused before connecting.
        calls_tools: the model calls the functions it is given.
        semantic_vad: ``turn_detection.type`` may be ``"semantic_vad"``.
        smooth_output: the ``smooth_output`` field exists.
        idle_timeout: ``turn_detection.idle_timeout_ms`` exists (the model speaks after a silence).
        search: ``enable_search`` exists (and excludes tools).
        text_input: ``conversation.item.create`` takes user text messages (contested: see the module docstring).
        sampling: temperature, top_p and the other sampling fields may be set.
        input_format / output_format: the audio format names the server expects and reports.
        workspace_only: the model is served only on workspace endpoints.
        context_tokens: the context window, when documented (the input a session may gather).
        known: False for the permissive profile of a name no family claims.
    """

    name: str
    family: RealtimeFamily
    default_voice: str | None
    voices: tuple[str, ...]
    voices_complete: bool
    calls_tools: bool
    semantic_vad: bool
    smooth_output: bool
    idle_timeout: bool
    search: bool
    text_input: bool
    sampling: bool
    input_format: str
    output_format: str
    workspace_only: bool = False
    context_tokens: int | None = None
    known: bool = True


_QWEN35 = RealtimeProfile("qwen3.5-omni-plus-realtime", "qwen3.5", "Tina", ("Tina", "Ethan", "Jennifer"), False,
                          calls_tools=True, semantic_vad=True, smooth_output=False, idle_timeout=True, search=True,
                          text_input=True, sampling=True, input_format="pcm", output_format="pcm",
                          context_tokens=262_144)  # fmt: skip
_QWEN38 = replace(_QWEN35, name="qwen3.8-omni-flash-realtime", family="qwen3.8", idle_timeout=False,
                  workspace_only=True, context_tokens=None)  # fmt: skip
_FLASH = RealtimeProfile("qwen3-omni-flash-realtime", "qwen3-flash", "Cherry", _FLASH_17, True, calls_tools=False,
                         semantic_vad=False, smooth_output=True, idle_timeout=False, search=False, text_input=False,
                         sampling=True, input_format="pcm16", output_format="pcm24",
                         context_tokens=65_536)  # fmt: skip
_TURBO_PROFILE = RealtimeProfile("qwen-omni-turbo-realtime", "turbo", "Chelsie", _TURBO, True, calls_tools=False,
                                 semantic_vad=False, smooth_output=False, idle_timeout=False, search=False,
                                 text_input=False, sampling=False, input_format="pcm16", output_format="pcm16",
                                 context_tokens=32_768)  # fmt: skip
_UNKNOWN = RealtimeProfile("unknown", "unknown", None, (), False, calls_tools=True, semantic_vad=True,
                           smooth_output=True, idle_timeout=True, search=True, text_input=True, sampling=True,
                           input_format="pcm", output_format="pcm", known=False)  # fmt: skip

_SNAPSHOT = r"(?:-latest|-\d{4}-\d{2}-\d{2})?"
#: (pattern, profile), the first match wins.
_PATTERNS: tuple[tuple[re.Pattern[str], RealtimeProfile], ...] = (
    (re.compile(r"qwen3\.5-omni-plus-realtime" + _SNAPSHOT), _QWEN35),
    (
        re.compile(r"qwen3\.5-omni-flash-realtime" + _SNAPSHOT),
        replace(_QWEN35, name="qwen3.5-omni-flash-realtime", context_tokens=None),
    ),
    (re.compile(r"qwen3\.8-omni-flash-realtime" + _SNAPSHOT), _QWEN38),
    (re.compile(r"qwen3-omni-flash-realtime-2025-12-01"), replace(_FLASH, voices=_FLASH_49)),
    (re.compile(r"qwen3-omni-flash-realtime" + _SNAPSHOT), _FLASH),
    (re.compile(r"qwen-omni-turbo-realtime" + _SNAPSHOT), _TURBO_PROFILE),
)

#: The realtime model names the documentation lists.
REALTIME_MODELS: tuple[str, ...] = (
    "qwen3.5-omni-plus-realtime",
    "qwen3.5-omni-plus-realtime-2026-03-15",
    "qwen3.5-omni-flash-realtime",
    "qwen3.5-omni-flash-realtime-2026-03-15",
    "qwen3.8-omni-flash-realtime",
    "qwen3-omni-flash-realtime",
    "qwen3-omni-flash-realtime-2025-09-15",
    "qwen3-omni-flash-realtime-2025-12-01",
    "qwen-omni-turbo-realtime",
    "qwen-omni-turbo-realtime-latest",
    "qwen-omni-turbo-realtime-2025-05-08",
)


def get_realtime_profile(model: str, *, warn: bool = True) -> RealtimeProfile:
    """The profile of ``model`` (any case; dated snapshots and ``-latest`` by pattern).

    A name no family claims gets a permissive profile (nothing refused before connecting) and a warning.

    Example:
        >>> get_realtime_profile("QWEN3.8-OMNI-FLASH-REALTIME").workspace_only
        True
    """
    key = model.strip().lower()
    for pattern, profile in _PATTERNS:
        if pattern.fullmatch(key):
            return replace(profile, name=model)
    if warn:
        from ..profiles import UnknownModelWarning

        warnings.warn(
            f"{model!r} is not a known Qwen-Omni Realtime model; nothing is checked before connecting. Known: "
            f"{', '.join(REALTIME_MODELS[::2])}.",
            UnknownModelWarning,
            stacklevel=2,
        )
    return replace(_UNKNOWN, name=model)
