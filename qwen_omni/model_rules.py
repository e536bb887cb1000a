"""Rules that follow from one model's profile rather than from the wire format: text-only models, thinking by
default, spoken answers that read tool calls aloud, the Qwen2.5-Omni-era system prompt, and the cap on data
URIs per request.

:func:`qwen_omni.request.prepare_request` runs :func:`check_output` before its option checks and
:func:`check_request` after its message checks.

Example:
    >>> from qwen_omni.profiles import get_profile
    >>> from qwen_omni.request import RequestOptions
    >>> try:
    ...     check_output(RequestOptions(model="qwen3.8-omni-flash", modalities=["text", "audio"]),
    ...                  get_profile("qwen3.8-omni-flash"))
    ... except CapabilityError as exc:
    ...     print(str(exc)[:59])
    qwen3.8-omni-flash answers in text only (no spoken answer).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .errors import CapabilityError, LimitExceededError
from .parts import wire_kind, wire_urls
from .profiles import DATA_URIS_PER_REQUEST_MAX, QWEN25_OMNI_SYSTEM_PROMPT, Capability, ModelProfile, models_for

if TYPE_CHECKING:
    from .request import RequestOptions


class SpokenAnswerWarning(UserWarning):
    """The request is valid, but the spoken answer will not sound as meant (see the message)."""


def thinks(options: RequestOptions, profile: ModelProfile) -> bool:
    """Whether the request will run in thinking mode: its ``enable_thinking``, else the model's default.

    Example:
        >>> from qwen_omni.profiles import get_profile
        >>> from qwen_omni.request import RequestOptions
        >>> thinks(RequestOptions(model="qwen3.8-omni-flash"), get_profile("qwen3.8-omni-flash"))
        True
    """
    if options.enable_thinking is not None:
        return options.enable_thinking and profile.supports_thinking
    return profile.thinking_by_default


def check_output(options: RequestOptions, profile: ModelProfile) -> None:
    """Refuse a spoken answer from a model that answers in text only."""
    if options.wants_audio and not profile.supports_audio_output:
        raise CapabilityError(
            f"{profile.name} answers in text only (no spoken answer). For speech use {_speakers()} (Model "
            "Studio: Qwen3.8-Omni-Flash for text analysis, Qwen3.5-Omni for speech output), or drop 'audio' "
            "from modalities."
        )


def check_request(messages: Sequence[Mapping[str, Any]], options: RequestOptions, profile: ModelProfile) -> None:
    """The per-model rules that need the wire messages too; warns where a request is valid but ill-advised."""
    if isinstance(options.tool_choice, Mapping) and options.enable_thinking is None and thinks(options, profile):
        raise CapabilityError(
            f"{profile.name} thinks by default, and a forced tool_choice is not available in thinking mode; "
            "pass enable_thinking=False, or use tool_choice='auto'."
        )
    if options.wants_audio and options.tools and profile.speaks_tool_calls:
        warnings.warn(
            f"{profile.name} reads the tool names and arguments aloud in its spoken answer when tools are bound "
            "(QwenLM/Qwen3-Omni#126). Ask for text only while tools are bound and speak the final answer in a "
            "separate request.",
            SpokenAnswerWarning,
            stacklevel=4,
        )
    if options.wants_audio and profile.audio_needs_fixed_system_prompt and _has_custom_system_prompt(messages):
        warnings.warn(
            f"{profile.name} does not support a custom system prompt with a spoken answer: it needs Qwen's fixed "
            "prompt (qwen_omni.profiles.QWEN25_OMNI_SYSTEM_PROMPT), or the speech may not work as expected. "
            f"Put your instructions in the user message, or use {_speakers()}.",
            SpokenAnswerWarning,
            stacklevel=4,
        )
    inline = sum(1 for message in messages for part in _parts(message) for url in wire_urls(part) if _is_data(url))
    if inline > DATA_URIS_PER_REQUEST_MAX:
        raise LimitExceededError(
            f"A request may hold at most {DATA_URIS_PER_REQUEST_MAX} base64 data URIs (images, audio, video and "
            f"frames together); this one has {inline}. Pass some by URL, or split the request."
        )


def _speakers() -> str:
    return " or ".join(models_for(Capability.SPOKEN_ANSWER)[:2])


def _parts(message: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    content = message.get("content")
    return [p for p in content if isinstance(p, Mapping)] if isinstance(content, list) else []


def _is_data(url: str) -> bool:
    return url[:5].lower() == "data:"


def _has_custom_system_prompt(messages: Sequence[Mapping[str, Any]]) -> bool:
    for message in messages:
        if message.get("role") != "system":
            continue
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(str(p.get("text", "")) for p in content if wire_kind(p) == "text")
        if str(content or "").strip() != QWEN25_OMNI_SYSTEM_PROMPT:
            return True
    return False


__all__ = ["SpokenAnswerWarning", "check_output", "check_request", "thinks"]
