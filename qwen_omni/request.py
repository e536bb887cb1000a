"""Options + messages + the model's profile -> one validated wire payload.

The payload always streams with usage on (Qwen-Omni refuses non-streaming calls), whatever the caller
asked. Every documented rule is checked here, before anything is sent; a broken rule raises an
:class:`~qwen_omni.errors.InvalidRequestError` naming the limit and what to do instead.

Example:
    >>> from qwen_omni.request import Message, RequestOptions, build_payload
    >>> payload = build_payload([Message("user", "Hello")], RequestOptions(model="qwen3-omni-flash"))
    >>> payload["stream"], payload["stream_options"]
    (True, {'include_usage': True})
"""

from __future__ import annotations

import dataclasses
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from . import model_rules
from .errors import CapabilityError, InvalidRequestError, LimitExceededError, MediaError
from .excerpt import shorten
from .input_checks import as_messages, check_contents, check_message, check_option_types
from .parts import (
    MEDIA_PART_TYPES,
    AudioPart,
    ImagePart,
    Part,
    TextPart,
    VideoFramesPart,
    VideoPart,
    check_data_uri_size,
    wire_kind,
    wire_urls,
)
from .profiles import (
    DEFAULT_MODEL,
    OUTPUT_AUDIO_FORMAT,
    SEED_MAX,
    Capability,
    FrameNeed,
    MediaKind,
    MediaNeed,
    ModelProfile,
    advise,
    format_seconds,
    get_profile,
)

Role = Literal["system", "user", "assistant", "tool"]
Content = str | Sequence[Part | Mapping[str, Any]] | None


@dataclass
class Message:
    """One chat message in the core's terms.

    ``content`` is a string or a list of parts (typed parts, or wire dicts passed through as they are).
    ``tool_calls`` are wire-shaped (``{"id", "type": "function", "function": {"name", "arguments"}}``).

    Example:
        >>> Message("user", [TextPart("What is in it?"), ImagePart("https://e.com/a.png")]).role
        'user'
    """

    role: Role
    content: Content = None
    tool_calls: Sequence[Mapping[str, Any]] | None = None
    tool_call_id: str | None = None
    name: str | None = None


@dataclass(frozen=True)
class RequestOptions:
    """Everything a request can ask for besides the messages.

    ``extra_body`` passes further fields through to the JSON body unchanged (except ``stream`` and
    ``stream_options``, which are always forced on).

    Example:
        >>> RequestOptions(model="qwen3-omni-flash").merged(enable_thinking=True).enable_thinking
        True
    """

    model: str = DEFAULT_MODEL
    modalities: Sequence[Literal["text", "audio"]] | None = None
    voice: str | None = None
    audio_format: str = OUTPUT_AUDIO_FORMAT
    enable_search: bool | None = None
    search_options: Mapping[str, Any] | None = None
    enable_thinking: bool | None = None
    thinking_budget: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: str | Sequence[str] | None = None
    seed: int | None = None
    response_format: Mapping[str, Any] | None = None
    tools: Sequence[Mapping[str, Any]] | None = None
    tool_choice: str | Mapping[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    extra_body: Mapping[str, Any] | None = field(default=None)

    def merged(self, **overrides: Any) -> RequestOptions:
        """A copy with ``overrides`` applied; ``None`` values leave the field as it is.

        Raises:
            InvalidRequestError: an override names no option.
        """
        names = {f.name for f in dataclasses.fields(self)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise InvalidRequestError(
                f"Unknown option(s) {', '.join(unknown)}; the options are: {', '.join(sorted(names))}. "
                "Pass other API fields in extra_body."
            )
        changes = {k: v for k, v in overrides.items() if v is not None}
        if "extra_body" in changes and self.extra_body:
            changes["extra_body"] = {**self.extra_body, **changes["extra_body"]}
        return dataclasses.replace(self, **changes)

    @property
    def wants_audio(self) -> bool:
        return bool(self.modalities) and "audio" in (self.modalities or ())


#: What :func:`build_payload` and the client take as the conversation: messages, or one string (a user message).
MessagesInput = str | Iterable[Message | Mapping[str, Any]]


@dataclass
class PreparedRequest:
    """A validated payload and the profile it was checked against."""

    payload: dict[str, Any]
    profile: ModelProfile


def build_payload(messages: MessagesInput, options: RequestOptions) -> dict[str, Any]:
    """Validate ``messages`` and ``options`` against the model's profile and return the wire payload.

    ``messages`` is a list (or any iterable) of :class:`Message` objects and message dicts, or one string, which
    is taken as a single user message.
    """
    return prepare_request(messages, options).payload


def prepare_request(messages: MessagesInput, options: RequestOptions) -> PreparedRequest:
    """Like :func:`build_payload`, also returning the profile used."""
    check_option_types(options)
    given = as_messages(messages)
    for position, message in enumerate(given):
        check_message(message, position)
    profile = get_profile(options.model)
    wire_messages = [_message_to_wire(m, profile) for m in given]
    if not wire_messages:
        raise InvalidRequestError("No messages to send; pass at least one user message.")
    check_contents(wire_messages)
    model_rules.check_output(options, profile)
    _check_options(options, profile)
    _check_messages(wire_messages, options, profile)
    model_rules.check_request(wire_messages, options, profile)
    return PreparedRequest(payload=_payload(wire_messages, options, profile), profile=profile)


def _message_to_wire(message: Message | Mapping[str, Any], profile: ModelProfile) -> dict[str, Any]:
    if isinstance(message, Mapping):
        wire = dict(message)
        content = wire.get("content")
        if isinstance(content, list | tuple):
            wire["content"] = [_part_to_wire(p, profile) for p in content]
        return wire
    wire = {"role": message.role}
    if isinstance(message.content, str) or message.content is None:
        wire["content"] = message.content if message.content is not None else ""
    else:
        wire["content"] = [_part_to_wire(p, profile) for p in message.content]
    if message.tool_calls:
        wire["tool_calls"] = [dict(c) for c in message.tool_calls]
    if message.tool_call_id is not None:
        wire["tool_call_id"] = message.tool_call_id
    if message.name is not None:
        wire["name"] = message.name
    return wire


def _part_to_wire(part: Part | Mapping[str, Any], profile: ModelProfile) -> dict[str, Any]:
    if isinstance(part, Mapping):
        if wire_kind(part) == "unknown":
            raise InvalidRequestError(
                f"Unsupported content part type {shorten(part.get('type'))}; Qwen-Omni takes text, image_url, "
                "input_audio, video_url and video (a frame list). Documents such as PDFs are not accepted."
            )
        return dict(part)
    wire = part.to_wire()
    if isinstance(part, MEDIA_PART_TYPES):
        _check_duration(part, profile)
    return wire


#: Audio formats whose files PyAV always opens (with FFmpeg's own demuxers and decoders): bytes labelled so that it
#: cannot open are refused before sending, as the API would refuse them.
AUDIO_FORMATS_PYAV_READS = frozenset({"wav", "mp3", "flac", "ogg", "aac", "m4a"})


def _check_duration(part: Part, profile: ModelProfile) -> None:
    if not isinstance(part, AudioPart | VideoPart) or part.loaded.data is None:
        return
    limits = profile.audio if isinstance(part, AudioPart) else profile.video
    kind: MediaKind = "audio" if isinstance(part, AudioPart) else "video"
    try:
        info = part.info
    except MediaError:
        if isinstance(part, AudioPart) and part.audio_format in AUDIO_FORMATS_PYAV_READS:
            raise MediaError(
                f"{part.label[:1].upper()}{part.label[1:]} cannot be opened as {part.audio_format}; the API would "
                "refuse it ('The audio format is illegal and cannot be opened'). Check the file, or transcode it with "
                "qwen_omni.media.transcode_audio."
            ) from None
        return
    if info is None or info.duration is None or limits.max_seconds is None:
        return
    if info.duration > limits.max_seconds:
        advice = advise(MediaNeed(kind, seconds=info.duration), "split it with qwen_omni.media.split")
        raise LimitExceededError(
            f"{profile.name} accepts {kind} up to {format_seconds(limits.max_seconds)}; {part.label} lasts "
            f"{format_seconds(info.duration)}. {advice}"
        )


def _check_options(options: RequestOptions, profile: ModelProfile) -> None:
    name = profile.name
    if options.modalities is not None:
        modalities = list(options.modalities)
        if modalities not in (["text"], ["text", "audio"], ["audio", "text"]):
            raise InvalidRequestError(
                f"modalities must be ['text'] or ['text', 'audio']; got {modalities}. "
                "Qwen-Omni always answers with text, optionally with speech too."
            )
    if options.audio_format != OUTPUT_AUDIO_FORMAT:
        raise InvalidRequestError(
            f"audio_format must be 'wav' (the only output format Qwen-Omni accepts); got {options.audio_format!r}. "
            "The audio arrives as PCM16 24 kHz; use result.wav() for a WAV file."
        )
    if options.wants_audio and options.voice and profile.voices_complete and options.voice not in profile.voices:
        raise InvalidRequestError(
            f"{name} has no voice {options.voice!r}; its voices are {', '.join(sorted(profile.voices))}."
        )
    if options.voice and not options.wants_audio:
        warnings.warn(
            "voice is set but modalities does not include 'audio', so the answer will not be spoken. "
            "Pass modalities=['text', 'audio'].",
            UserWarning,
            stacklevel=4,
        )
    if options.enable_thinking:
        if not profile.supports_thinking:
            raise CapabilityError(
                f"{name} has no thinking mode (enable_thinking). " + advise(Capability.THINKING, "drop enable_thinking")
            )
        if options.wants_audio:
            raise CapabilityError(
                "Thinking mode answers in text only: drop 'audio' from modalities, or set enable_thinking=False "
                "to get a spoken answer."
            )
        if isinstance(options.tool_choice, Mapping):
            raise CapabilityError(
                "A forced tool_choice is not available in thinking mode; use tool_choice='auto' or turn thinking off."
            )
    if options.thinking_budget is not None:
        if not options.enable_thinking:
            raise InvalidRequestError("thinking_budget applies only with enable_thinking=True.")
        limit = profile.max_reasoning_tokens
        if options.thinking_budget <= 0 or (limit is not None and options.thinking_budget > limit):
            raise LimitExceededError(
                f"thinking_budget must be between 1 and {limit or 'the model maximum'} tokens for {name}; "
                f"got {options.thinking_budget}."
            )
    if options.enable_search:
        if not profile.supports_search:
            raise CapabilityError(
                f"{name} has no web search (enable_search). " + advise(Capability.WEB_SEARCH, "drop enable_search")
            )
        strategy = (options.search_options or {}).get("search_strategy", "agent")
        if strategy != "agent":
            raise InvalidRequestError(
                f"search_options.search_strategy must be 'agent' (the only strategy Qwen-Omni accepts); "
                f"got {strategy!r}."
            )
    if options.tools and not profile.supports_tools:
        raise CapabilityError(f"{name} cannot call tools. " + advise(Capability.TOOLS, "drop the tools"))
    if options.tool_choice is not None:
        _check_tool_choice(options)
    if options.max_tokens is not None and not profile.min_max_tokens <= options.max_tokens <= profile.max_output_tokens:
        raise LimitExceededError(
            f"max_tokens must be between {profile.min_max_tokens} and {profile.max_output_tokens} for {name}; "
            f"got {options.max_tokens}."
        )
    if options.seed is not None and not 0 <= options.seed <= SEED_MAX:
        raise InvalidRequestError(f"seed must be between 0 and {SEED_MAX}; got {options.seed}.")
    if options.temperature is not None and not 0 <= options.temperature < 2:
        raise InvalidRequestError(f"temperature must be in [0, 2); got {options.temperature}.")
    if options.top_p is not None and not 0 < options.top_p <= 1:
        raise InvalidRequestError(f"top_p must be in (0, 1]; got {options.top_p}.")
    fmt = (options.response_format or {}).get("type")
    if fmt not in (None, "text", "json_object", "json_schema"):
        raise InvalidRequestError(f"response_format type must be text, json_object or json_schema; got {fmt!r}.")


def _check_tool_choice(options: RequestOptions) -> None:
    choice = options.tool_choice
    if isinstance(choice, str):
        if choice not in ("auto", "none"):
            raise InvalidRequestError(
                f"tool_choice must be 'auto', 'none' or one named function; got {choice!r}. "
                "To force a call, name the tool: {'type': 'function', 'function': {'name': ...}}."
            )
        return
    name = (choice or {}).get("function", {}).get("name")
    names = [t.get("function", {}).get("name") for t in options.tools or ()]
    if name not in names:
        raise InvalidRequestError(
            f"tool_choice names {name!r}, which is not among the tools ({', '.join(map(str, names)) or 'none'})."
        )


def _check_messages(messages: list[dict[str, Any]], options: RequestOptions, profile: ModelProfile) -> None:
    counts: Counter[str] = Counter()
    inline: Counter[str] = Counter()
    for position, message in enumerate(messages):
        role = message.get("role")
        if role not in ("system", "user", "assistant", "tool"):
            raise InvalidRequestError(f"Message {position} has role {role!r}; use system, user, assistant or tool.")
        content = message.get("content")
        parts = content if isinstance(content, list) else []
        kinds = [wire_kind(p) for p in parts]
        media = [k for k in kinds if k != "text"]
        if role != "user" and media:
            raise InvalidRequestError(
                f"Message {position} ({role}) holds {', '.join(sorted(set(media)))}: Qwen-Omni accepts media only "
                "in user messages; earlier assistant turns may hold text only (use a spoken turn's transcript)."
            )
        if role == "user" and not profile.multi_modality_per_message:
            distinct = {"video" if k == "video_frames" else k for k in media}
            if len(distinct) > 1:
                raise LimitExceededError(
                    f"{profile.name} accepts text plus one other modality per user message; message {position} "
                    f"mixes {', '.join(sorted(distinct))}. "
                    + advise(Capability.MIXED_MODALITIES, "put them in separate user messages")
                )
        for part, kind in zip(parts, kinds, strict=True):
            if kind == "text":
                continue
            urls = wire_urls(part)
            for url in urls:
                check_data_uri_size(url, f"An inline {kind.replace('_', ' ')} in message {position}")
            if kind == "video_frames":
                _check_frames(len(urls), position, profile)
                counts["video_frames"] += 1
                continue
            counts[kind] += 1
            inline[kind] += sum(1 for u in urls if u.startswith("data:"))
    media_kinds: tuple[MediaKind, ...] = ("image", "audio", "video")
    for kind in media_kinds:
        limits = profile.media(kind)
        label = {"image": "image", "audio": "audio file", "video": "video file"}[kind]
        if limits.max_files is not None and counts[kind] > limits.max_files:
            advice = advise(MediaNeed(kind, files=counts[kind]), "split the request")
            raise LimitExceededError(
                f"{profile.name} accepts {_count(limits.max_files, label)} per request; got {counts[kind]}. {advice}"
            )
        if limits.max_inline_files is not None and inline[kind] > limits.max_inline_files:
            raise LimitExceededError(
                f"{profile.name} accepts {_count(limits.max_inline_files, label)} as base64 per request; got "
                f"{inline[kind]}. "
                + advise(MediaNeed(kind, inline_files=inline[kind]), "pass some by URL, or split the request")
            )
    if counts["video_frames"] and not profile.multi_modality_per_message and counts["video"]:
        raise LimitExceededError(
            f"{profile.name} accepts one video per request; got a video file and a frame list. "
            + advise(MediaNeed("video", files=2), "split the request")
        )
    if (options.response_format or {}).get("type") == "json_object" and not _mentions_json(messages):
        raise InvalidRequestError(
            "response_format json_object needs the word 'json' somewhere in the messages (an API rule); "
            "add e.g. 'Answer in JSON.' to the system or user message."
        )


def _check_frames(count: int, position: int, profile: ModelProfile) -> None:
    low, high = profile.frames_min, profile.frames_max  # None: undocumented, not checked
    if (low is not None and count < low) or (high is not None and count > high):
        raise LimitExceededError(
            f"{profile.name} takes a frame list of {low} to {high} images; message {position} has {count}. "
            + (
                "Add frames, or send single images as image parts."
                if low is not None and count < low
                else advise(
                    FrameNeed(count),
                    "sample fewer frames (qwen_omni.media.sample_frames(..., count=N)) or send the video file",
                )
            )
        )


def _count(n: int, label: str) -> str:
    return f"one {label}" if n == 1 else f"{n} {label}s"


def _mentions_json(messages: list[dict[str, Any]]) -> bool:
    for message in messages:
        content = message.get("content")
        if isinstance(content, str) and "json" in content.lower():
            return True
        if isinstance(content, list) and any(
            "json" in str(p.get("text", "")).lower() for p in content if wire_kind(p) == "text"
        ):
            return True
    return False


def _payload(messages: list[dict[str, Any]], options: RequestOptions, profile: ModelProfile) -> dict[str, Any]:
    payload: dict[str, Any] = {"model": options.model, "messages": messages}
    if options.modalities is not None:
        payload["modalities"] = ["text", "audio"] if options.wants_audio else ["text"]
    if options.wants_audio:
        payload["audio"] = {"voice": options.voice or profile.default_voice, "format": options.audio_format}
    if options.enable_thinking is not None and profile.supports_thinking:
        payload["enable_thinking"] = options.enable_thinking
    if options.thinking_budget is not None:
        payload["thinking_budget"] = options.thinking_budget
    if options.enable_search:
        payload["enable_search"] = True
        payload["search_options"] = {"search_strategy": "agent", **(options.search_options or {})}
    for key in ("temperature", "top_p", "max_tokens", "seed", "response_format", "tool_choice",
                "parallel_tool_calls"):  # fmt: skip
        value = getattr(options, key)
        if key in ("temperature", "top_p") and value is not None:
            value = float(value)  # an integer temperature has been seen refused ("'temperature' must be Float")
        if value is not None:
            payload[key] = dict(value) if isinstance(value, Mapping) else value
    for key in ("temperature", "top_p"):  # "'temperature' must be Float" (seen on qwen3.8-omni-flash)
        if key in payload:
            payload[key] = float(payload[key])
    if options.stop is not None:
        payload["stop"] = [options.stop] if isinstance(options.stop, str) else list(options.stop)
    if options.tools:
        payload["tools"] = [dict(t) for t in options.tools]
    payload.update(options.extra_body or {})
    payload["stream"] = True
    payload["stream_options"] = {**(payload.get("stream_options") or {}), "include_usage": True}
    return payload


def payload_summary(payload: Mapping[str, Any]) -> str:
    """A one-line description of a payload for logs: model, roles and part kinds, never the data itself."""
    kinds: Counter[str] = Counter()
    for message in payload.get("messages", []):
        content = message.get("content")
        for part in content if isinstance(content, list) else []:
            kinds[wire_kind(part)] += 1
    shown = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "text only"
    return f"model={payload.get('model')} messages={len(payload.get('messages', []))} parts=[{shown}]"


__all__ = [
    "AudioPart",
    "ImagePart",
    "Message",
    "MessagesInput",
    "PreparedRequest",
    "RequestOptions",
    "TextPart",
    "VideoFramesPart",
    "VideoPart",
    "build_payload",
    "payload_summary",
    "prepare_request",
]
