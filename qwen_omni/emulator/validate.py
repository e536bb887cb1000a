"""The server-side checks, in the order the emulator runs them, each raising a :class:`~.wire.Refusal`
with DashScope's status, code and (where documented) wording.

Every limit is read from :mod:`qwen_omni.profiles`; nothing here repeats a number.

Example:
    >>> messages = [{"role": "user", "content": "hi"}]
    >>> req = check_payload({"model": "qwen3-omni-flash", "stream": True, "messages": messages})
    >>> req.profile.series.value, req.audio_output, req.thinking
    ('qwen3-omni-flash', False, False)
    >>> try:
    ...     check_payload({"model": "qwen3-omni-flash", "messages": messages})
    ... except Refusal as refusal:
    ...     print(refusal.status, refusal.code, refusal.message)
    400 None qwen3-omni-flash only support with stream=true
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qwen_omni.profiles import (
    AUDIO_INPUT_FORMATS,
    IMAGE_MAX_ASPECT_RATIO,
    IMAGE_MIN_SIDE_PX,
    OUTPUT_AUDIO_FORMAT,
    SEED_MAX,
    VIDEO_FPS_RANGE,
    Capability,
    FrameNeed,
    MediaLimits,
    ModelProfile,
    advise,
    get_profile,
    models_for,
)

from .received import ReceivedPart, message_text
from .wire import Refusal, invalid

ROLES = ("system", "user", "assistant", "tool")
#: The prefix of messages from DashScope's model layer (reference, "Corrections and additions (2026-12)").
ALGO_INVALID_PARAMETER = "<400> InternalError.Algo.InvalidParameter: "
VIDEO_TOO_LONG_MESSAGE = "The video modality input does not meet the requirements because: The video file is too long."
AUDIO_UNREADABLE_MESSAGE = ALGO_INVALID_PARAMETER + "The audio format is illegal and cannot be opened."
JSON_WORD_MESSAGE = (
    "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'."
)


@dataclass(frozen=True)
class ChatRequest:
    """A chat request that passed the request-level checks, with its options read and defaulted."""

    model: str
    profile: ModelProfile
    messages: list[dict[str, Any]]
    audio_output: bool = False
    voice: str | None = None
    thinking: bool = False
    thinking_budget: int | None = None
    search: bool = False
    search_strategy: str | None = None
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: Any = "auto"
    parallel_tool_calls: bool = False
    response_format: dict[str, Any] | None = None
    max_tokens: int | None = None
    stop: list[str] = field(default_factory=list)
    include_usage: bool = False

    @property
    def tool_names(self) -> list[str]:
        """The names of the declared functions, in order."""
        return [tool["function"]["name"] for tool in self.tools]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def stream_only_message(model: str) -> str:
    """Omni's refusal of a non-streaming call (sent with ``code: null``)."""
    return f"{model} only support with stream=true"


def voice_message(voices: Sequence[str]) -> str:
    """The refusal of a voice outside a complete list, in the server's (pydantic's) wording."""
    quoted = [f"'{v}'" for v in voices]
    listed = quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    return f"Input should be {listed}: parameters.audio.voice"


def check_model(payload: Mapping[str, Any]) -> tuple[str, ModelProfile]:
    """The model name and its profile; an unknown name is served only if it contains "omni"."""
    model = payload.get("model")
    if not isinstance(model, str) or not model.strip():
        raise invalid("The 'model' parameter is required: name a Qwen-Omni model, e.g. 'qwen3.5-omni-flash'.")
    profile = get_profile(model, warn=False)
    if not profile.known and "omni" not in model.lower():
        raise Refusal(404, "model_not_found", f"The model `{model}` does not exist or you do not have access to it.")
    return model, profile


def _check_messages_shape(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    messages = payload.get("messages")
    if not isinstance(messages, list) or not messages:
        raise invalid("'messages' must be a non-empty list of messages.")
    for index, message in enumerate(messages):
        if not isinstance(message, dict):
            raise invalid(f"messages[{index}] must be an object with 'role' and 'content'.")
        if message.get("role") not in ROLES:
            raise invalid(f"messages[{index}].role must be one of {', '.join(ROLES)}; got {message.get('role')!r}.")
        content = message.get("content")
        if message["role"] != "assistant" and not isinstance(content, str | list):
            raise invalid(f"messages[{index}].content must be a string or a list of content parts.")
    return messages


def _check_output(payload: Mapping[str, Any], model: str, profile: ModelProfile) -> tuple[bool, str | None]:
    modalities = payload.get("modalities")
    if modalities is None:
        modalities = ["text"]
    if modalities not in (["text"], ["text", "audio"], ["audio", "text"]):
        raise invalid(f'modalities must be ["text"] or ["text", "audio"]; got {json.dumps(modalities)}.')
    if "audio" not in modalities:
        return False, None
    if not profile.supports_audio_output:
        speakers = " or ".join(models_for(Capability.SPOKEN_ANSWER)[:2])
        raise invalid(
            f"The model {model} does not support audio output: it answers in text only. Set modalities to "
            f'["text"], or use {speakers} for a spoken answer.'
        )
    audio = payload.get("audio")
    if audio is None:
        audio = {}
    if not isinstance(audio, Mapping):
        raise invalid('audio must be an object such as {"voice": "Cherry", "format": "wav"}.')
    fmt = audio.get("format", OUTPUT_AUDIO_FORMAT)
    if fmt != OUTPUT_AUDIO_FORMAT:
        raise invalid(
            f"audio.format must be '{OUTPUT_AUDIO_FORMAT}'; got {fmt!r}. The spoken answer arrives as raw "
            "PCM16 little-endian mono 24 kHz whatever the format says."
        )
    voice = audio.get("voice") or profile.default_voice
    if not isinstance(voice, str):
        raise invalid(f"audio.voice must be a string; got {voice!r}.")
    if profile.voices_complete and voice not in profile.voices:
        raise invalid(voice_message(profile.voices))
    return True, voice


def _check_thinking(
    payload: Mapping[str, Any], model: str, profile: ModelProfile, audio: bool
) -> tuple[bool, int | None]:
    thinking = payload.get("enable_thinking")
    if thinking not in (None, True, False):
        raise invalid(f"enable_thinking must be true or false; got {thinking!r}.")
    if thinking is None:
        thinking = profile.thinking_by_default
    if not thinking:
        return False, None
    if not profile.supports_thinking:
        raise invalid(f"The model {model} does not support enable_thinking.")
    if audio:
        raise invalid(
            'Audio output is not supported in thinking mode: set modalities to ["text"] (and drop "audio") '
            "when enable_thinking is true."
        )
    budget = payload.get("thinking_budget")
    if budget is not None:
        top = profile.max_reasoning_tokens
        if not _is_int(budget) or budget < 1 or (top is not None and budget > top):
            raise invalid(f"thinking_budget must be a whole number between 1 and {top}; got {budget!r}.")
    return True, budget


def _check_search(payload: Mapping[str, Any], model: str, profile: ModelProfile) -> tuple[bool, str | None]:
    search = payload.get("enable_search")
    if search not in (None, True, False):
        raise invalid(f"enable_search must be true or false; got {search!r}.")
    if not search:
        return False, None
    if not profile.supports_search:
        raise invalid(f"The model {model} does not support enable_search (web search). {advise(Capability.WEB_SEARCH)}")
    options = payload.get("search_options") or {}
    strategy = options.get("search_strategy") if isinstance(options, Mapping) else None
    if strategy != "agent":
        raise invalid(
            f'Web search on {model} needs "search_options": {{"search_strategy": "agent"}}; '
            f"got search_strategy {strategy!r}."
        )
    return True, strategy


def _check_tools(
    payload: Mapping[str, Any], model: str, profile: ModelProfile, thinking: bool
) -> tuple[list[dict[str, Any]], Any]:
    tools = payload.get("tools")
    choice = payload.get("tool_choice", "auto")
    if tools in (None, []):
        return [], choice
    if not profile.supports_tools:
        raise invalid(f"The model {model} does not support tools (function calling).")
    if not isinstance(tools, list):
        raise invalid("tools must be a list of function definitions.")
    for index, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, Mapping) else None
        if not isinstance(tool, Mapping) or tool.get("type") != "function" or not isinstance(function, Mapping):
            raise invalid(
                f'tools[{index}] must be {{"type": "function", "function": {{"name": ..., "parameters": ...}}}}.'
            )
        if not isinstance(function.get("name"), str) or not function["name"]:
            raise invalid(f"tools[{index}].function.name must be a non-empty string.")
        if "parameters" in function and not isinstance(function["parameters"], Mapping):
            raise invalid(f"tools[{index}].function.parameters must be a JSON schema object.")
    names = [tool["function"]["name"] for tool in tools]
    if isinstance(choice, Mapping):
        function = choice.get("function")
        name = function.get("name") if isinstance(function, Mapping) else None
        if name not in names:
            raise invalid(
                f"tool_choice names the function {name!r}, which is not among the tools ({', '.join(names)})."
            )
    elif choice not in ("auto", "none"):
        raise invalid(
            f'tool_choice must be "auto", "none" or {{"type": "function", "function": {{"name": ...}}}}; '
            f"got {choice!r}."
        )
    if thinking and isinstance(choice, Mapping):
        raise invalid("The tool_choice parameter does not support being set to required or object in thinking mode.")
    return tools, choice


def _check_parallel_tool_calls(payload: Mapping[str, Any]) -> bool:
    """``parallel_tool_calls``: true or false (absent or null: false, the API's default)."""
    value = payload.get("parallel_tool_calls")
    if value is not None and not isinstance(value, bool):
        raise invalid(f"parallel_tool_calls must be true or false; got {json.dumps(value)}.")
    return bool(value)


def _all_text(messages: Sequence[Mapping[str, Any]]) -> str:
    return "\n".join(message_text(m.get("content")) for m in messages)


def _check_response_format(payload: Mapping[str, Any], messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    fmt = payload.get("response_format")
    if fmt is None:
        return None
    if not isinstance(fmt, dict) or fmt.get("type") not in ("text", "json_object", "json_schema"):
        raise invalid(
            'response_format must be {"type": "text"}, {"type": "json_object"} or {"type": "json_schema", ...}.'
        )
    if fmt["type"] == "json_object" and "json" not in _all_text(messages).lower():
        raise invalid(JSON_WORD_MESSAGE)
    if fmt["type"] == "json_schema":
        spec = fmt.get("json_schema")
        if not isinstance(spec, Mapping) or not isinstance(spec.get("schema", {}), Mapping):
            raise invalid('response_format json_schema needs "json_schema": {"name": ..., "schema": {...}}.')
    return fmt


def _check_sampling(payload: Mapping[str, Any], profile: ModelProfile) -> tuple[int | None, list[str]]:
    if payload.get("n") not in (None, 1):
        raise invalid(f"n must be 1: Qwen-Omni returns one choice per request; got {payload.get('n')!r}.")
    seed = payload.get("seed")
    if seed is not None and (not _is_int(seed) or not 0 <= seed <= SEED_MAX):
        raise invalid(f"seed must be a whole number in [0, {SEED_MAX}]; got {seed!r}.")
    for name in ("temperature", "top_p", "presence_penalty"):
        value = payload.get(name)
        if value is not None and not _is_number(value):
            raise invalid(f"{name} must be a number; got {value!r}.")
    max_tokens = payload.get("max_tokens", payload.get("max_completion_tokens"))
    low, high = profile.min_max_tokens, profile.max_output_tokens
    if max_tokens is not None and (not _is_int(max_tokens) or not low <= max_tokens <= high):
        raise invalid(f"Range of max_tokens should be [{low}, {high}]")
    stop = payload.get("stop")
    if stop is None:
        stops: list[str] = []
    elif isinstance(stop, str):
        stops = [stop]
    elif isinstance(stop, list) and all(isinstance(s, str) for s in stop):
        stops = [s for s in stop if s]
    else:
        raise invalid("stop must be a string or a list of strings.")
    return max_tokens, stops


def check_payload(payload: Mapping[str, Any]) -> ChatRequest:
    """Run every request-level check (everything but the media parts) and return the request's options."""
    model, profile = check_model(payload)
    if payload.get("stream") is not True:  # undocumented for qwen3.8-omni-flash: refused too (stream-only here)
        raise Refusal(400, None, stream_only_message(model))
    messages = _check_messages_shape(payload)
    max_tokens, stops = _check_sampling(payload, profile)
    audio, voice = _check_output(payload, model, profile)
    thinking, budget = _check_thinking(payload, model, profile, audio)
    search, strategy = _check_search(payload, model, profile)
    tools, choice = _check_tools(payload, model, profile, thinking)
    response_format = _check_response_format(payload, messages)
    if payload.get("vl_high_resolution_images") and not profile.supports_high_resolution_images:
        raise invalid(f"The model {model} does not support vl_high_resolution_images.")
    options = payload.get("stream_options")
    if options is not None and not isinstance(options, Mapping):
        raise invalid('stream_options must be an object such as {"include_usage": true}.')
    return ChatRequest(
        model=model,
        profile=profile,
        messages=messages,
        audio_output=audio,
        voice=voice,
        thinking=thinking,
        thinking_budget=budget,
        search=search,
        search_strategy=strategy,
        tools=tools,
        tool_choice=choice,
        parallel_tool_calls=_check_parallel_tool_calls(payload),
        response_format=response_format,
        max_tokens=max_tokens,
        stop=stops,
        include_usage=bool(options and options.get("include_usage")),
    )


# ------------------------------------------------------------------------------------------ parts


_MODALITY = {"image": "image", "audio": "audio", "video": "video", "video_frames": "video"}
_NOUN = {"image": "image", "audio": "audio file", "video": "video file"}


def check_parts(req: ChatRequest, parts: Sequence[ReceivedPart]) -> None:
    """Structure and counts of the media parts: where they are, how many, frame-list lengths, options."""
    profile, model = req.profile, req.model
    for part in parts:
        role = req.messages[part.message_index].get("role")
        if role != "user":
            raise invalid(
                f"messages[{part.message_index}]: {role} messages may contain only text; "
                f"got a {part.kind.replace('_', ' ')} part. Put media in user messages."
            )
    if not profile.multi_modality_per_message:
        by_message: dict[int, set[str]] = {}
        for part in parts:
            by_message.setdefault(part.message_index, set()).add(_MODALITY[part.kind])
        for index, kinds in sorted(by_message.items()):
            if len(kinds) > 1:
                raise invalid(
                    f"messages[{index}] mixes {' and '.join(sorted(kinds))}, but {model} accepts text plus one "
                    "other modality per user message. "
                    + advise(Capability.MIXED_MODALITIES, "split them into separate user messages")
                )
    for kind, limits in (("image", profile.image), ("audio", profile.audio), ("video", profile.video)):
        _check_count(model, kind, limits, [p for p in parts if p.kind == kind])
    low, high = VIDEO_FPS_RANGE
    for part in parts:
        count = part.frame_count
        if part.kind == "video_frames" and count is not None and not _frames_ok(count, profile):
            raise invalid(
                f"The video frame list has {count} images; {model} accepts between "
                f"{profile.frames_min} and {profile.frames_max}. {advise(FrameNeed(count))}".rstrip()
            )
        fps = part.options.get("fps")
        if fps is not None and (not _is_number(fps) or not low <= fps <= high):
            raise invalid(f"fps must be a number between {low} and {high}; got {fps!r}.")
        if part.kind == "audio" and part.format is not None and part.format.lower() not in AUDIO_INPUT_FORMATS:
            raise invalid(
                f"input_audio.format {part.format!r} is not an audio format the API knows; use one of "
                f"{', '.join(sorted(AUDIO_INPUT_FORMATS))}."
            )


def _frames_ok(count: int, profile: ModelProfile) -> bool:
    low, high = profile.frames_min, profile.frames_max  # None: undocumented, not checked
    return (low is None or count >= low) and (high is None or count <= high)


def _check_count(model: str, kind: str, limits: MediaLimits, parts: list[ReceivedPart]) -> None:
    noun = _NOUN[kind]
    if limits.max_files is not None and len(parts) > limits.max_files:
        raise invalid(f"Too many {noun}s: {model} accepts at most {limits.max_files} per request; got {len(parts)}.")
    inline = sum(1 for p in parts if p.source == "inline")
    if limits.max_inline_files is not None and inline > limits.max_inline_files:
        raise invalid(
            f"Too many base64 {noun}s: {model} accepts at most {limits.max_inline_files} inline per request; "
            f"got {inline}. Send the others by URL."
        )


def check_media(req: ChatRequest, parts: Sequence[ReceivedPart]) -> None:
    """What probing the inline media found: unreadable files, durations, sizes and image shapes."""
    profile, model = req.profile, req.model
    for part in parts:
        if part.source != "inline" and part.kind != "video_frames":
            continue
        info = part.info
        if part.kind == "audio":
            if info is None or not info.has_audio:
                raise invalid(AUDIO_UNREADABLE_MESSAGE)
            _check_size(model, "audio file", profile.audio, part)
            top = profile.audio.max_seconds
            if top is not None and info.duration is not None and info.duration > top:
                raise invalid(
                    f"The audio input is too long: {info.duration:.1f} s, but {model} accepts at most {top:g} s "
                    "per audio file. Split it into shorter pieces."
                )
        elif part.kind == "video":
            if info is None or not info.has_video:
                raise invalid("The video format is illegal and cannot be opened.")
            _check_size(model, "video file", profile.video, part)
            top = profile.video.max_seconds
            if top is not None and info.duration is not None and info.duration > top:
                raise invalid(VIDEO_TOO_LONG_MESSAGE)
        elif part.kind == "image":
            _check_image(part)
            _check_size(model, "image", profile.image, part)
        elif part.kind == "video_frames" and part.source == "inline":
            _check_image(part)


def _check_size(model: str, noun: str, limits: MediaLimits, part: ReceivedPart) -> None:
    if limits.max_bytes is not None and part.size_bytes is not None and part.size_bytes > limits.max_bytes:
        raise invalid(f"The {noun} is too large: {part.size_bytes} bytes; {model} accepts at most {limits.max_bytes}.")


def _check_image(part: ReceivedPart) -> None:
    info = part.info
    if info is None or info.width is None or info.height is None:
        raise invalid("The image format is illegal and cannot be opened.")
    width, height = info.width, info.height
    if min(width, height) <= IMAGE_MIN_SIDE_PX:
        raise invalid(
            "The image length and width do not meet the model restrictions. "
            f"[height:{height} or width:{width} must be larger than {IMAGE_MIN_SIDE_PX}]"
        )
    if max(width, height) / min(width, height) > IMAGE_MAX_ASPECT_RATIO:
        raise invalid(
            f"The image aspect ratio {width}x{height} is too extreme: the longer side may be at most "
            f"{IMAGE_MAX_ASPECT_RATIO:g} times the shorter."
        )


__all__ = [
    "ALGO_INVALID_PARAMETER",
    "AUDIO_UNREADABLE_MESSAGE",
    "JSON_WORD_MESSAGE",
    "ROLES",
    "VIDEO_TOO_LONG_MESSAGE",
    "ChatRequest",
    "check_media",
    "check_model",
    "check_parts",
    "check_payload",
    "stream_only_message",
    "voice_message",
]
