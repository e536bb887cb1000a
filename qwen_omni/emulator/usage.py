"""The emulator's token accounting, after the Qwen-Omni guide's rules, with the rates from each profile.

The rules live in :mod:`qwen_omni.tokens`, shared with the long-media planner.

Prompt: text ≈ characters / 4; an image ``ceil(w / patch) * ceil(h / patch)`` tokens clamped to
[``min_image_tokens``, 1280] (256 for an image sent by URL, whose size is unknown); audio
``seconds * audio_input_tokens_per_second``; a video file its frames sampled at ``fps`` (default 2) times the
tokens of one frame, its sound counted as audio; a frame list its frames times the tokens of one frame.
Completion: one token per word of text (characters / 4 for tool-call arguments), reasoning likewise, audio
``seconds * audio_output_tokens_per_second``.

Example:
    >>> from qwen_omni.profiles import get_profile
    >>> image_tokens(64, 48, get_profile("qwen3.5-omni-flash"))
    24
    >>> image_tokens(4000, 4000, get_profile("qwen-omni-turbo"))
    1280
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from qwen_omni.profiles import ModelProfile
from qwen_omni.tokens import DEFAULT_VIDEO_FPS, image_tokens

from .answer import AnswerPlan, count_words
from .received import ReceivedPart, message_text
from .validate import ChatRequest

#: Tokens counted for one image, or one frame, sent by URL (never fetched, so its size is unknown).
URL_IMAGE_TOKENS = 256
#: Seconds assumed for audio or video sent by URL.
URL_MEDIA_SECONDS = 10.0


def text_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    """≈ characters / 4 over the text of every message."""
    return math.ceil(sum(len(message_text(m.get("content"))) for m in messages) / 4)


def _frame_tokens(part: ReceivedPart, profile: ModelProfile) -> int:
    info = part.info
    if info is None or info.width is None or info.height is None:
        return URL_IMAGE_TOKENS if part.source == "url" else 0
    return image_tokens(info.width, info.height, profile)


def _part_tokens(part: ReceivedPart, profile: ModelProfile) -> dict[str, int]:
    """The prompt tokens of one part, by detail key."""
    info = part.info
    audio_rate = profile.audio_input_tokens_per_second
    if part.kind == "image":
        return {"image_tokens": _frame_tokens(part, profile)}
    if part.kind == "audio":
        seconds = URL_MEDIA_SECONDS if part.source == "url" else (info.duration if info and info.duration else 0.0)
        return {"audio_tokens": math.ceil(seconds * audio_rate)}
    if part.kind == "video_frames":
        return {"video_tokens": (part.frame_count or 0) * _frame_tokens(part, profile)}
    fps = part.options.get("fps")
    fps = float(fps) if isinstance(fps, int | float) and not isinstance(fps, bool) else DEFAULT_VIDEO_FPS
    if part.source == "url":
        return {"video_tokens": math.ceil(URL_MEDIA_SECONDS * fps) * URL_IMAGE_TOKENS}
    seconds = info.duration if info and info.duration else 0.0
    tokens = {"video_tokens": max(1, math.ceil(seconds * fps)) * _frame_tokens(part, profile)}
    if info is not None and info.has_audio:
        tokens["audio_tokens"] = math.ceil(seconds * audio_rate)
    return tokens


def prompt_details(req: ChatRequest, parts: Sequence[ReceivedPart]) -> dict[str, int]:
    """``prompt_tokens_details``: ``text_tokens`` always, the other kinds when non-zero."""
    details = {"text_tokens": text_tokens(req.messages), "audio_tokens": 0, "image_tokens": 0, "video_tokens": 0}
    for part in parts:
        for key, value in _part_tokens(part, req.profile).items():
            details[key] += value
    return {k: v for k, v in details.items() if v or k == "text_tokens"}


def completion_details(plan: AnswerPlan, profile: ModelProfile, audio_seconds: float) -> dict[str, int]:
    """``completion_tokens_details``: ``text_tokens`` always, ``audio_tokens``/``reasoning_tokens`` when non-zero."""
    calls = plan.tool_calls
    text = math.ceil(sum(len(c.arguments) for c in calls) / 4) if calls else count_words(plan.content)
    details = {
        "text_tokens": text,
        "audio_tokens": math.ceil(audio_seconds * profile.audio_output_tokens_per_second),
        "reasoning_tokens": count_words(plan.reasoning),
    }
    return {k: v for k, v in details.items() if v or k == "text_tokens"}


def usage(req: ChatRequest, parts: Sequence[ReceivedPart], plan: AnswerPlan, audio_seconds: float) -> dict[str, Any]:
    """The ``usage`` object of the last chunk."""
    prompt = prompt_details(req, parts)
    completion = completion_details(plan, req.profile, audio_seconds)
    prompt_tokens, completion_tokens = sum(prompt.values()), sum(completion.values())
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "prompt_tokens_details": prompt,
        "completion_tokens_details": completion,
    }


__all__ = [
    "URL_IMAGE_TOKENS",
    "URL_MEDIA_SECONDS",
    "completion_details",
    "prompt_details",
    "text_tokens",
    "usage",
]
