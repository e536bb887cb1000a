"""Every documented limit, written from the reference (shared/reference/README.md and its .txt sources), not
from our code: a wrong number in qwen_omni/profiles.py fails here, whatever the emulator says.

Sources: "README <section>" is the reference README; "000:<line>" is 000_f2ad5188115d22d0.txt (Model Studio's
Qwen-Omni guide) at that line; "2026-12" is the README's last section, "Corrections and additions (2026-12)".
A value written ``None`` is a limit the reference does not give. A profile field neither pinned here nor named
in the profile's ``undocumented`` set fails ``test_every_number_of_every_series_is_pinned``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from qwen_omni import profiles, tokens
from qwen_omni.profiles import MediaLimits, ModelProfile, get_profile

MB = 1024 * 1024
GB = 1024 * MB

# The names the reference lists for each series, plus names of the same shape it does not list (a later dated
# snapshot, -latest, another case): all of them must carry the series' documented limits.
NAMES: dict[str, tuple[str, ...]] = {
    "Qwen3.5-Omni": ("qwen3.5-omni-plus", "qwen3.5-omni-plus-2026-03-15", "qwen3.5-omni-flash",
                     "qwen3.5-omni-flash-2026-03-15", "qwen3.5-omni-plus-2026-07-01", "Qwen3.5-Omni-Flash-latest"),
    "Qwen3.8-Omni-Flash": ("qwen3.8-omni-flash", "qwen3.8-omni-flash-2026-09-21", "QWEN3.8-OMNI-FLASH-2027-01-05"),
    "Qwen3-Omni-Flash": ("qwen3-omni-flash", "qwen3-omni-flash-2025-12-01", "qwen3-omni-flash-2025-09-15",
                         "qwen3-omni-flash-2026-01-01", "qwen3-omni-flash-latest"),
    "Qwen-Omni-Turbo": ("qwen-omni-turbo", "qwen-omni-turbo-latest", "qwen-omni-turbo-2025-03-26",
                        "qwen-omni-turbo-2025-01-19", "qwen-omni-turbo-2025-11-30"),
    "qwen2.5-omni-7b": ("qwen2.5-omni-7b", "Qwen2.5-Omni-7B"),
}  # fmt: skip

MODELS = "README Models"
LIMITS = "README Limits per series"
RULES = "README Request rules"
TOKENS = "README Streaming response, token math"
RATES = "README Models, rate limits"
NEW = "2026-12, qwen3.8-omni-flash"
VOICES = "2026-12, voices differ per model"

# (series, limit, value, source). A limit is a profile attribute path; MediaLimits are spelt out.
PINS: list[tuple[str, str, Any, str]] = [
    # ---------------------------------------------------------------- Qwen3.5-Omni
    ("Qwen3.5-Omni", "context_window", 262_144, MODELS),
    ("Qwen3.5-Omni", "max_input_tokens", 196_608, MODELS),
    ("Qwen3.5-Omni", "max_input_tokens_thinking", None, MODELS + ": thinking no"),
    ("Qwen3.5-Omni", "max_output_tokens", 65_536, MODELS),
    ("Qwen3.5-Omni", "max_reasoning_tokens", None, MODELS + ": thinking no"),
    ("Qwen3.5-Omni", "min_max_tokens", 1, "no floor documented"),
    ("Qwen3.5-Omni", "supports_thinking", False, MODELS),
    ("Qwen3.5-Omni", "thinking_by_default", False, MODELS),
    ("Qwen3.5-Omni", "supports_search", True, MODELS),
    ("Qwen3.5-Omni", "supports_tools", True, MODELS + ": listed by some docs, treat as allowed"),
    ("Qwen3.5-Omni", "supports_audio_output", True, "2026-12: Qwen3.5-Omni for speech output"),
    ("Qwen3.5-Omni", "multi_modality_per_message", True, RULES + "; 000:1"),
    ("Qwen3.5-Omni", "video.max_files", 512, LIMITS + "; 000:192"),
    ("Qwen3.5-Omni", "video.max_inline_files", 250, LIMITS + "; 000:192"),
    ("Qwen3.5-Omni", "video.max_bytes", 2 * GB, LIMITS + "; 000:195"),
    ("Qwen3.5-Omni", "video.max_seconds", 60 * 60, LIMITS + "; 000:195 (1 hour)"),
    ("Qwen3.5-Omni", "audio.max_files", 2048, LIMITS + "; 000:428"),
    ("Qwen3.5-Omni", "audio.max_inline_files", 250, LIMITS + "; 000:428"),
    ("Qwen3.5-Omni", "audio.max_bytes", 2 * GB, LIMITS + "; 000:431"),
    ("Qwen3.5-Omni", "audio.max_seconds", 3 * 60 * 60, LIMITS + "; 000:431 (3 hours)"),
    ("Qwen3.5-Omni", "image.max_files", 2048, LIMITS + "; 000:543"),
    ("Qwen3.5-Omni", "image.max_inline_files", 250, LIMITS + "; 000:544"),
    ("Qwen3.5-Omni", "image.max_bytes", 20 * MB, LIMITS + "; 000:546"),
    ("Qwen3.5-Omni", "image.max_seconds", None, "images have no duration"),
    ("Qwen3.5-Omni", "frames_min", 2, LIMITS + "; 000:304"),
    ("Qwen3.5-Omni", "frames_max", 2048, LIMITS + "; 000:304"),
    ("Qwen3.5-Omni", "default_voice", "Tina", VOICES + "; 000:24"),
    ("Qwen3.5-Omni", "voices_complete", False, "000:155: 55 voices, not all named"),
    ("Qwen3.5-Omni", "default_temperature", 0.7, RULES),
    ("Qwen3.5-Omni", "default_top_p", 0.8, RULES),
    ("Qwen3.5-Omni", "audio_input_tokens_per_second", 7.0, TOKENS),
    ("Qwen3.5-Omni", "audio_output_tokens_per_second", 12.5, TOKENS),
    ("Qwen3.5-Omni", "image_patch_px", 32, TOKENS),
    ("Qwen3.5-Omni", "min_image_tokens", 24, TOKENS),
    ("Qwen3.5-Omni", "supports_high_resolution_images", True, RULES),
    ("Qwen3.5-Omni", "regions", ("singapore", "beijing"), "README Endpoints and auth"),
    ("Qwen3.5-Omni", "speaks_tool_calls", False, "2026-12: reported for qwen3-omni-flash only"),
    ("Qwen3.5-Omni", "audio_needs_fixed_system_prompt", False, "2026-12: turbo / 2.5 era only"),
    # ---------------------------------------------------------------- qwen3.8-omni-flash
    ("Qwen3.8-Omni-Flash", "context_window", 1_000_000, NEW + ": context 1M tokens"),
    ("Qwen3.8-Omni-Flash", "max_input_tokens", 991_808, NEW),
    ("Qwen3.8-Omni-Flash", "max_input_tokens_thinking", 983_616, NEW),
    ("Qwen3.8-Omni-Flash", "max_output_tokens", 131_072, NEW),
    ("Qwen3.8-Omni-Flash", "min_max_tokens", 1, "no floor documented"),
    ("Qwen3.8-Omni-Flash", "supports_thinking", True, NEW + ": thinking on by default"),
    ("Qwen3.8-Omni-Flash", "thinking_by_default", True, NEW),
    ("Qwen3.8-Omni-Flash", "supports_tools", True, NEW),
    ("Qwen3.8-Omni-Flash", "supports_search", True, NEW),
    ("Qwen3.8-Omni-Flash", "supports_audio_output", False, NEW + ": output text only"),
    ("Qwen3.8-Omni-Flash", "voices", (), NEW + ": no spoken answer"),
    ("Qwen3.8-Omni-Flash", "default_voice", None, NEW + ": no spoken answer"),
    ("Qwen3.8-Omni-Flash", "voices_complete", False, NEW + ": no spoken answer"),
    ("Qwen3.8-Omni-Flash", "regions", ("beijing", "singapore", "hong-kong", "tokyo", "frankfurt", "virginia"),
     NEW + ": regions"),
    ("Qwen3.8-Omni-Flash", "speaks_tool_calls", False, NEW + ": no spoken answer"),
    ("Qwen3.8-Omni-Flash", "audio_needs_fixed_system_prompt", False, NEW + ": no spoken answer"),
    # ---------------------------------------------------------------- Qwen3-Omni-Flash
    ("Qwen3-Omni-Flash", "context_window", 65_536, MODELS),
    ("Qwen3-Omni-Flash", "max_input_tokens", 49_152, MODELS),
    ("Qwen3-Omni-Flash", "max_input_tokens_thinking", 16_384, MODELS),
    ("Qwen3-Omni-Flash", "max_output_tokens", 16_384, MODELS),
    ("Qwen3-Omni-Flash", "max_reasoning_tokens", 32_768, MODELS),
    ("Qwen3-Omni-Flash", "min_max_tokens", 1, "no floor documented"),
    ("Qwen3-Omni-Flash", "supports_thinking", True, MODELS + "; 000:763"),
    ("Qwen3-Omni-Flash", "thinking_by_default", False, MODELS + ": enable_thinking default false"),
    ("Qwen3-Omni-Flash", "supports_search", False, MODELS),
    ("Qwen3-Omni-Flash", "supports_tools", True, MODELS),
    ("Qwen3-Omni-Flash", "supports_audio_output", True, "000:779"),
    ("Qwen3-Omni-Flash", "multi_modality_per_message", False, RULES + ": older models, text plus one other"),
    ("Qwen3-Omni-Flash", "video.max_files", 1, LIMITS + "; 000:193"),
    ("Qwen3-Omni-Flash", "video.max_inline_files", 1, LIMITS + "; 000:193"),
    ("Qwen3-Omni-Flash", "video.max_bytes", 256 * MB, LIMITS + "; 000:196"),
    ("Qwen3-Omni-Flash", "video.max_seconds", 150, LIMITS + "; 000:196"),
    ("Qwen3-Omni-Flash", "audio.max_files", 1, LIMITS + "; 000:429"),
    ("Qwen3-Omni-Flash", "audio.max_inline_files", 1, LIMITS + "; 000:429"),
    ("Qwen3-Omni-Flash", "audio.max_bytes", 100 * MB, LIMITS + "; 000:432"),
    ("Qwen3-Omni-Flash", "audio.max_seconds", 20 * 60, LIMITS + "; 000:432 (20 minutes)"),
    ("Qwen3-Omni-Flash", "image.max_files", 2048, "000:543 (every Qwen-Omni model)"),
    ("Qwen3-Omni-Flash", "image.max_inline_files", 250, "000:544 (every Qwen-Omni model)"),
    ("Qwen3-Omni-Flash", "image.max_bytes", 10 * MB, LIMITS + "; 000:547"),
    ("Qwen3-Omni-Flash", "image.max_seconds", None, "images have no duration"),
    ("Qwen3-Omni-Flash", "frames_min", 2, LIMITS + "; 000:305"),
    ("Qwen3-Omni-Flash", "frames_max", 128, LIMITS + "; 000:305"),
    ("Qwen3-Omni-Flash", "default_voice", "Cherry", VOICES),
    ("Qwen3-Omni-Flash", "voices_complete", False, "000:156: 17 to 49 voices by version"),
    ("Qwen3-Omni-Flash", "default_temperature", 0.9, RULES),
    ("Qwen3-Omni-Flash", "default_top_p", 1.0, RULES),
    ("Qwen3-Omni-Flash", "requests_per_minute", 60, RATES),
    ("Qwen3-Omni-Flash", "tokens_per_minute", 100_000, RATES),
    ("Qwen3-Omni-Flash", "audio_input_tokens_per_second", 12.5, TOKENS),
    ("Qwen3-Omni-Flash", "audio_output_tokens_per_second", 12.5, TOKENS),
    ("Qwen3-Omni-Flash", "image_patch_px", 32, TOKENS),
    ("Qwen3-Omni-Flash", "min_image_tokens", 4, TOKENS),
    ("Qwen3-Omni-Flash", "supports_high_resolution_images", False, RULES + ": Qwen3.5-Omni only"),
    ("Qwen3-Omni-Flash", "regions", ("singapore", "beijing"), "README Endpoints and auth"),
    ("Qwen3-Omni-Flash", "speaks_tool_calls", True, "2026-12: QwenLM/Qwen3-Omni#126"),
    ("Qwen3-Omni-Flash", "audio_needs_fixed_system_prompt", False, "2026-12: Qwen3-Omni accepts system prompts"),
    # ---------------------------------------------------------------- Qwen-Omni-Turbo
    ("Qwen-Omni-Turbo", "context_window", 32_768, MODELS),
    ("Qwen-Omni-Turbo", "max_input_tokens", 30_720, MODELS),
    ("Qwen-Omni-Turbo", "max_input_tokens_thinking", None, MODELS + ": thinking no"),
    ("Qwen-Omni-Turbo", "max_output_tokens", 2_048, MODELS),
    ("Qwen-Omni-Turbo", "max_reasoning_tokens", None, MODELS + ": thinking no"),
    ("Qwen-Omni-Turbo", "min_max_tokens", 1, "no floor documented"),
    ("Qwen-Omni-Turbo", "supports_thinking", False, MODELS + "; 000:777"),
    ("Qwen-Omni-Turbo", "thinking_by_default", False, MODELS),
    ("Qwen-Omni-Turbo", "supports_search", False, MODELS),
    ("Qwen-Omni-Turbo", "supports_tools", False, MODELS),
    ("Qwen-Omni-Turbo", "supports_audio_output", True, "2026-12: turbo voices"),
    ("Qwen-Omni-Turbo", "multi_modality_per_message", False, RULES),
    ("Qwen-Omni-Turbo", "video.max_files", 1, LIMITS + "; 000:193"),
    ("Qwen-Omni-Turbo", "video.max_inline_files", 1, LIMITS + "; 000:193"),
    ("Qwen-Omni-Turbo", "video.max_bytes", 150 * MB, LIMITS + "; 000:197"),
    ("Qwen-Omni-Turbo", "video.max_seconds", 40, LIMITS + "; 000:197"),
    ("Qwen-Omni-Turbo", "audio.max_files", 1, LIMITS + "; 000:429"),
    ("Qwen-Omni-Turbo", "audio.max_inline_files", 1, LIMITS + "; 000:429"),
    ("Qwen-Omni-Turbo", "audio.max_bytes", 10 * MB, LIMITS + "; 000:433"),
    ("Qwen-Omni-Turbo", "audio.max_seconds", 3 * 60, LIMITS + "; 000:433 (3 minutes)"),
    ("Qwen-Omni-Turbo", "image.max_files", 2048, "000:543 (every Qwen-Omni model)"),
    ("Qwen-Omni-Turbo", "image.max_inline_files", 250, "000:544 (every Qwen-Omni model)"),
    ("Qwen-Omni-Turbo", "image.max_bytes", 10 * MB, LIMITS + "; 000:547"),
    ("Qwen-Omni-Turbo", "image.max_seconds", None, "images have no duration"),
    ("Qwen-Omni-Turbo", "frames_min", 4, LIMITS + "; 000:306"),
    ("Qwen-Omni-Turbo", "frames_max", 80, LIMITS + "; 000:306"),
    ("Qwen-Omni-Turbo", "voices", ("Cherry", "Serena", "Ethan", "Chelsie"), VOICES + ": exactly these"),
    ("Qwen-Omni-Turbo", "voices_complete", True, VOICES + ": exactly these; 000:157: 4"),
    ("Qwen-Omni-Turbo", "requests_per_minute", 60, RATES),
    ("Qwen-Omni-Turbo", "tokens_per_minute", 100_000, RATES),
    ("Qwen-Omni-Turbo", "audio_input_tokens_per_second", 25.0, TOKENS),
    ("Qwen-Omni-Turbo", "audio_output_tokens_per_second", 25.0, TOKENS),
    ("Qwen-Omni-Turbo", "image_patch_px", 28, TOKENS),
    ("Qwen-Omni-Turbo", "min_image_tokens", 4, TOKENS),
    ("Qwen-Omni-Turbo", "supports_high_resolution_images", False, RULES + ": Qwen3.5-Omni only"),
    ("Qwen-Omni-Turbo", "regions", ("singapore", "beijing"), "README Endpoints and auth"),
    ("Qwen-Omni-Turbo", "speaks_tool_calls", False, MODELS + ": no tools"),
    ("Qwen-Omni-Turbo", "audio_needs_fixed_system_prompt", True, "2026-12: turbo / 2.5 era system prompt"),
    # ---------------------------------------------------------------- qwen2.5-omni-7b (open weights)
    ("qwen2.5-omni-7b", "context_window", 32_768, MODELS),
    ("qwen2.5-omni-7b", "max_input_tokens", 30_720, MODELS),
    ("qwen2.5-omni-7b", "max_input_tokens_thinking", None, MODELS + ": thinking no"),
    ("qwen2.5-omni-7b", "max_output_tokens", 2_048, MODELS + "; 2026-12: [10, 2048]"),
    ("qwen2.5-omni-7b", "min_max_tokens", 10, "2026-12: Range of max_tokens should be [10, 2048]"),
    ("qwen2.5-omni-7b", "max_reasoning_tokens", None, MODELS + ": thinking no"),
    ("qwen2.5-omni-7b", "supports_thinking", False, MODELS),
    ("qwen2.5-omni-7b", "thinking_by_default", False, MODELS),
    ("qwen2.5-omni-7b", "supports_search", False, MODELS),
    ("qwen2.5-omni-7b", "supports_tools", False, MODELS),
    ("qwen2.5-omni-7b", "supports_audio_output", True, VOICES + ": Ethan"),
    ("qwen2.5-omni-7b", "multi_modality_per_message", False, RULES + ": older models"),
    ("qwen2.5-omni-7b", "voices", ("Ethan",), VOICES + ": apparently Ethan only"),
    ("qwen2.5-omni-7b", "default_voice", "Ethan", VOICES + ": apparently Ethan only"),
    ("qwen2.5-omni-7b", "voices_complete", False, VOICES + ": 'apparently', so not refused before sending"),
    ("qwen2.5-omni-7b", "default_temperature", None, "not documented"),
    ("qwen2.5-omni-7b", "default_top_p", None, "not documented"),
    ("qwen2.5-omni-7b", "regions", ("singapore", "beijing"), "README Endpoints and auth"),
    ("qwen2.5-omni-7b", "speaks_tool_calls", False, MODELS + ": no tools"),
    ("qwen2.5-omni-7b", "audio_needs_fixed_system_prompt", True, "2026-12: turbo / 2.5 era system prompt"),
    ("qwen2.5-omni-7b", "supports_high_resolution_images", False, RULES + ": Qwen3.5-Omni only"),
]  # fmt: skip

# Limits every model shares (module constants), and the emulator's copy of the image token cap.
SHARED: list[tuple[Any, Any, str]] = [
    (profiles.DATA_URI_MAX_BYTES, 10_485_760, "README Input parts: max bytes per data-uri item : 10485760"),
    (profiles.DATA_URIS_PER_REQUEST_MAX, 250, "2026-12: Exceeded limit on max data-uri per request: 250"),
    (profiles.IMAGE_MIN_SIDE_PX, 10, "README Limits per series: both sides > 10 px; 000:548"),
    (profiles.IMAGE_MAX_ASPECT_RATIO, 200, "README Limits per series: at most 200:1; 000:548"),
    (profiles.VIDEO_FPS_RANGE, (0.1, 10), RULES + ": fps 0.1 to 10"),
    (profiles.SEED_MAX, 2**31 - 1, RULES + ": seed in [0, 2^31-1]"),
    (profiles.OUTPUT_SAMPLE_RATE, 24_000, "README Streaming response: 24,000 Hz"),
    (profiles.OUTPUT_AUDIO_FORMAT, "wav", RULES + ": only wav accepted"),
    (tokens.MAX_IMAGE_TOKENS, 1_280, TOKENS + ": default cap 1,280 per image"),
]


def _value(profile: ModelProfile, path: str) -> Any:
    value: Any = profile
    for attribute in path.split("."):
        value = getattr(value, attribute)
    return value


@pytest.mark.parametrize(("series", "limit", "value", "source"), PINS, ids=[f"{s}:{lim}" for s, lim, _, _ in PINS])
def test_documented_limit(series: str, limit: str, value: Any, source: str) -> None:
    for name in NAMES[series]:
        got = _value(get_profile(name, warn=False), limit)
        assert got == value, f"{name}.{limit} is {got!r}; the reference says {value!r} ({source})"
        assert type(got) is type(value) or (isinstance(got, int | float) and isinstance(value, int | float))


@pytest.mark.parametrize(("got", "value", "source"), SHARED, ids=[s for _, _, s in SHARED])
def test_shared_limit(got: Any, value: Any, source: str) -> None:
    assert got == value, f"{got!r}, but the reference says {value!r} ({source})"


# The names the README's Models table lists, and the new series' name (2026-12).
LISTED = ("qwen3.5-omni-plus", "qwen3.5-omni-plus-2026-03-15", "qwen3.5-omni-flash", "qwen3.5-omni-flash-2026-03-15",
          "qwen3.8-omni-flash", "qwen3-omni-flash", "qwen3-omni-flash-2025-12-01", "qwen3-omni-flash-2025-09-15",
          "qwen-omni-turbo", "qwen-omni-turbo-latest", "qwen-omni-turbo-2025-03-26", "qwen-omni-turbo-2025-01-19",
          "qwen2.5-omni-7b")  # fmt: skip


def test_the_listed_names_are_the_known_models() -> None:
    assert set(profiles.KNOWN_MODELS) == set(LISTED)
    assert all(get_profile(name, warn=False).known for names in NAMES.values() for name in names)


def _numeric_paths(profile: ModelProfile) -> list[str]:
    """Every attribute path of a profile that holds a number (or None where a number could be)."""
    paths = []
    for field in dataclasses.fields(profile):
        value = getattr(profile, field.name)
        if isinstance(value, MediaLimits):
            paths += [f"{field.name}.{sub.name}" for sub in dataclasses.fields(value)]
        elif value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
            paths.append(field.name)
    return paths


@pytest.mark.parametrize("series", list(NAMES))
def test_every_number_of_every_series_is_pinned(series: str) -> None:
    """A number in a profile is either pinned above or declared undocumented by the profile itself."""
    profile = get_profile(NAMES[series][0])
    pinned = {limit for s, limit, _, _ in PINS if s == series}
    loose = [p for p in _numeric_paths(profile) if p not in pinned and p.split(".")[0] not in profile.undocumented]
    assert not loose, f"{series}: {loose} are neither pinned from the reference nor named undocumented"


def test_undocumented_fields_of_qwen38_are_not_checked() -> None:
    """The reference names stream-only and per-file media limits as unknown for qwen3.8-omni-flash."""
    profile = get_profile("qwen3.8-omni-flash")
    assert {"stream_only", "image", "audio", "video", "frames_min", "frames_max"} <= profile.undocumented
    assert profile.video == profile.audio == profile.image == profiles.UNDOCUMENTED_MEDIA
    assert profile.frames_min is None and profile.frames_max is None
    names = {f.name for f in dataclasses.fields(profile)} | {"stream_only", "thinking_effort"}
    for entry in profiles.SERIES:
        assert entry.profile.undocumented <= names, entry.profile.undocumented - names
