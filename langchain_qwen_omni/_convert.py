"""Pure conversion between LangChain and the Qwen-Omni core, both ways. No I/O, no client.

Inbound: LangChain messages -> core :class:`~qwen_omni.request.Message` objects. User content may be plain
text, OpenAI-style parts (``image_url``, ``input_audio``, ``video_url``), Omni's frame list
(``{"type": "video", "video": [...]}``), or LangChain v1 standard ``image`` / ``audio`` / ``video`` blocks
(``url``, ``base64`` + ``mime_type``, or a local file as ``path`` or a ``file://`` URL, with media options
such as ``fps`` or ``max_pixels`` in ``extras``). Assistant turns are reduced to their text (a spoken turn
to its transcript; reasoning is dropped) plus their tool calls, as the API requires; media in them is refused.

Content blocks are data, possibly an end user's: a local path or ``file://`` URL in any of them (``path``,
``url``, an OpenAI-style part, a frame list) is read only through the given
:class:`~qwen_omni.local_media.LocalMediaPolicy`, which by default allows no local file at all.

The other way, the core's answer -> LangChain messages, is :mod:`._output`.

Example:
    >>> from langchain_core.messages import HumanMessage
    >>> msg = HumanMessage([{"type": "text", "text": "What is it?"},
    ...                     {"type": "image", "url": "https://e.com/a.png", "extras": {"max_pixels": 50176}}])
    >>> [p.to_wire() for p in to_core_messages([msg])[0].content]  # doctest: +NORMALIZE_WHITESPACE
    [{'type': 'text', 'text': 'What is it?'},
     {'type': 'image_url', 'image_url': {'url': 'https://e.com/a.png'}, 'max_pixels': 50176}]
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

from langchain_core.language_models import ModelProfile
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from qwen_omni.errors import InvalidRequestError
from qwen_omni.excerpt import shorten
from qwen_omni.local_media import LocalMediaPolicy
from qwen_omni.parts import AudioPart, ImagePart, Part, Source, TextPart, VideoFramesPart, VideoPart
from qwen_omni.profiles import get_profile
from qwen_omni.request import Message, Role
from qwen_omni.sources import Base64Source, is_wire_url, looks_like_base64

_PART_OPTIONS = {"image": ("min_pixels", "max_pixels", "total_pixels"), "video": ("fps",), "audio": ()}
_WIRE_TYPES = ("image_url", "input_audio", "video_url")
#: Blocks an earlier assistant turn may hold that carry no text for the API: reasoning, tool calls (sent from
#: ``tool_calls``; ``tool_use`` is Anthropic's shape of them), and the model's own spoken answer (its transcript is
#: the text).
_ASSISTANT_SKIPPED = frozenset(
    {"reasoning", "thinking", "tool_call", "tool_call_chunk", "invalid_tool_call", "tool_use", "audio"}
)
_NO_LOCAL_FILES = LocalMediaPolicy()


# -- inbound: messages -> core ---------------------------------------------------------------------------


def to_core_messages(messages: Sequence[BaseMessage], local_media: LocalMediaPolicy | None = None) -> list[Message]:
    """The core messages for a LangChain conversation.

    ``local_media`` decides which local files the blocks may name (default: none).

    Raises:
        InvalidRequestError: a message or block Qwen-Omni cannot take (a PDF, a media block outside a user
            message, an unknown message type); the message says what to do instead.
        LocalFileRefusedError: a block names a local file the policy does not allow.
    """
    return [to_core_message(message, local_media) for message in messages]


def to_core_message(message: BaseMessage, local_media: LocalMediaPolicy | None = None) -> Message:
    """One LangChain message as a core message (see :func:`to_core_messages`)."""
    if isinstance(message, HumanMessage):
        return Message("user", to_core_content(message.content, local_media), name=message.name)
    if isinstance(message, AIMessage):
        return _assistant(message)
    if isinstance(message, SystemMessage):
        return Message("system", _plain_text(message.content, "A system message"))
    if isinstance(message, ToolMessage):
        return Message("tool", _plain_text(message.content, "A tool message"), tool_call_id=message.tool_call_id)
    if isinstance(message, ChatMessage):
        role = {"human": "user", "ai": "assistant"}.get(message.role, message.role)
        if role not in ("system", "user", "assistant", "tool"):
            raise InvalidRequestError(
                f"ChatMessage role {shorten(message.role)} is not one of system, user, assistant, tool."
            )
        if role == "assistant":
            return _assistant(AIMessage(content=message.content))
        if role == "user":
            return Message("user", to_core_content(message.content, local_media))
        return Message(cast(Role, role), _plain_text(message.content, role))
    raise InvalidRequestError(
        f"{type(message).__name__} cannot be sent to Qwen-Omni; use System, Human, AI or Tool messages."
    )


def to_core_content(
    content: str | list[str | dict[str, Any]], local_media: LocalMediaPolicy | None = None
) -> str | list[Part | dict[str, Any]]:
    """A user message's content as core parts (a string stays a string)."""
    if isinstance(content, str):
        return content
    return [to_core_part(block, local_media) for block in content]


def to_core_part(block: str | Mapping[str, Any], local_media: LocalMediaPolicy | None = None) -> Part | dict[str, Any]:
    """One content block as a core part; OpenAI-style parts and frame lists with URLs pass through unchanged.

    Example:
        >>> to_core_part({"type": "video", "url": "https://e.com/a.mp4", "extras": {"fps": 1}}).to_wire()
        {'type': 'video_url', 'video_url': {'url': 'https://e.com/a.mp4'}, 'fps': 1}
    """
    policy = local_media or _NO_LOCAL_FILES
    if isinstance(block, str):
        return TextPart(block)
    kind = block.get("type")
    if kind == "text":
        text = block.get("text", "")
        if not isinstance(text, str):
            raise InvalidRequestError(f"A text block's text must be a string; got {shorten(text)}.")
        return TextPart(text)
    if kind in _WIRE_TYPES or (kind == "video" and "video" in block):
        return _wire_part(block, policy)
    if kind in ("image", "audio", "video"):
        return _media_part(block, policy)
    if kind == "file" and (media := _file_media_kind(block.get("mime_type"))) is not None:
        return _media_part({**block, "type": media}, policy)  # e.g. a WAV sent as a generic file block
    if kind == "file" or kind == "text-plain":
        raise InvalidRequestError(
            f"Qwen-Omni does not read documents (got a {kind!r} block"
            + (f" of type {shorten(block['mime_type'])}" if block.get("mime_type") else "")
            + "): it takes text, images, audio and video. Extract the text first, or render the pages as images."
        )
    raise InvalidRequestError(
        f"Unsupported content block type {shorten(kind)} in a user message; Qwen-Omni takes text, image, audio and "
        "video blocks (LangChain v1 standard or OpenAI style) and frame lists ({'type': 'video', 'video': [...]})."
    )


def _file_media_kind(mime: object) -> str | None:
    """The media kind of a ``file`` block's mime type (``audio/wav`` -> ``audio``), or None for a document."""
    if not isinstance(mime, str):
        return None
    major = mime.partition("/")[0].strip().lower()
    return major if major in ("image", "audio", "video") else None


def _wire_part(block: Mapping[str, Any], policy: LocalMediaPolicy) -> Part | dict[str, Any]:
    """An OpenAI-style part or a frame list: passed through when it holds only URLs and data URIs (the core
    checks them); a local path or ``file://`` URL in it goes through ``policy`` and becomes a typed part."""
    kind = block["type"]
    if kind == "video":
        frames = block["video"]
        if not isinstance(frames, list | tuple) or all(isinstance(f, str) and is_wire_url(f) for f in frames):
            return dict(block)  # a malformed frame list is refused by the core, with the fix
        where = "A frame of a frame list"
        return VideoFramesPart([policy.location(frame, where) for frame in frames], fps=block.get("fps"))
    value = block.get(kind)
    key = "data" if kind == "input_audio" else "url"
    location = value.get(key) if isinstance(value, Mapping) else value
    if not isinstance(location, str) or is_wire_url(location) or looks_like_base64(location):
        return dict(block)  # the core checks it (and refuses raw base64, which the API does too)
    source = policy.location(location, f"The {key} of the {kind} part")
    if kind == "image_url":
        pixels = {k: block[k] for k in _PART_OPTIONS["image"] if k in block}
        return ImagePart(source, **pixels)
    if kind == "input_audio":
        fmt = value.get("format") if isinstance(value, Mapping) else None
        return AudioPart(source, format=fmt if isinstance(fmt, str) else None)
    return VideoPart(source, fps=block.get("fps"))


def _media_part(block: Mapping[str, Any], policy: LocalMediaPolicy) -> Part:
    kind = str(block["type"])
    extras = block.get("extras") or {}
    if not isinstance(extras, Mapping):
        raise InvalidRequestError(f"The {kind} block's extras must be a dict; got {shorten(extras)}.")
    options = {k: v for k in _PART_OPTIONS[kind] if (v := extras.get(k, block.get(k))) is not None}
    source = _media_source(block, kind, policy)
    mime = block.get("mime_type")
    if mime is not None and not isinstance(mime, str):
        raise InvalidRequestError(f"The {kind} block's mime_type must be a string; got {shorten(mime)}.")
    if kind == "image":
        return ImagePart(source, mime=mime, **options)
    if kind == "audio":
        fmt = extras.get("format") or mime
        return AudioPart(source, format=fmt if isinstance(fmt, str) else None)
    return VideoPart(source, **options)


def _media_source(block: Mapping[str, Any], kind: str, policy: LocalMediaPolicy) -> Source:
    if block.get("url"):
        return policy.location(block["url"], f"The {kind} block's url")
    if block.get("path"):
        return policy.path(block["path"], f"The {kind} block's path")
    data = block.get("base64")
    if isinstance(data, str) and data:
        if data[:5].lower() == "file:" or is_wire_url(data):
            # an OpenAI-style input_audio whose "data" was a URL, a data URI or a file URL
            return policy.location(data, f"The data of the {kind} block")
        return Base64Source(data)  # decoded once, for the checks, and sent as given
    if block.get("file_id"):
        raise InvalidRequestError(
            f"Qwen-Omni has no file store, so a {kind} block cannot refer to a file_id; pass url, base64 + mime_type, "
            "or path."
        )
    raise InvalidRequestError(
        f"The {kind} block needs 'url', 'base64' (with 'mime_type') or 'path'; got keys {sorted(map(str, block))}."
    )


def _plain_text(content: str | list[str | dict[str, Any]], where: str) -> str:
    if isinstance(content, str):
        return content
    texts: list[str] = []
    for block in content:
        if isinstance(block, str):
            texts.append(block)
        elif block.get("type") == "text":
            texts.append(str(block.get("text", "")))
        else:
            raise InvalidRequestError(
                f"{where} holds a {shorten(block.get('type'))} block, but Qwen-Omni accepts media only in user "
                "messages; put it in a HumanMessage."
            )
    return "".join(texts)


def _assistant(message: AIMessage) -> Message:
    tool_calls = [
        {
            "id": call.get("id") or f"call_{index}",
            "type": "function",
            "function": {"name": call["name"], "arguments": json.dumps(call["args"], ensure_ascii=False)},
        }
        for index, call in enumerate(message.tool_calls)
    ]
    return Message("assistant", assistant_text(message), tool_calls=tool_calls or None)


def assistant_text(message: AIMessage) -> str:
    """What an earlier assistant turn said, as text: its text blocks, else its spoken transcript.

    Reasoning, audio data and tool-call blocks are dropped (the API takes only text in assistant turns); any
    other block (an image, a video, a file) is refused rather than silently dropped.

    Example:
        >>> assistant_text(AIMessage([{"type": "reasoning", "reasoning": "hmm"}, {"type": "text", "text": "Hi"}]))
        'Hi'
    """
    if isinstance(message.content, str):
        text = message.content
    else:
        for block in message.content:
            kind = "text" if isinstance(block, str) else block.get("type")
            if kind != "text" and kind not in _ASSISTANT_SKIPPED:
                raise InvalidRequestError(
                    f"An assistant message holds a {shorten(kind)} block, but Qwen-Omni accepts only "
                    "text in earlier assistant turns. Put media in a HumanMessage, or drop the block."
                )
        text = "".join(
            b if isinstance(b, str) else str(b.get("text", "")) for b in message.content if _is_text_block(b)
        )
    if text:
        return text
    audio = message.additional_kwargs.get("audio")
    if isinstance(audio, Mapping) and audio.get("transcript"):
        return str(audio["transcript"])
    for block in message.content if isinstance(message.content, list) else []:
        if isinstance(block, dict) and block.get("type") == "audio" and (block.get("extras") or {}).get("transcript"):
            return str(block["extras"]["transcript"])
    return ""


def _is_text_block(block: str | dict[str, Any]) -> bool:
    return isinstance(block, str) or block.get("type") == "text"


# -- capabilities ----------------------------------------------------------------------------------------


def langchain_profile(model: str) -> ModelProfile:
    """LangChain's capability record for ``model``, read from the core's profile table.

    Example:
        >>> langchain_profile("qwen3-omni-flash")["reasoning_output"]
        True
    """
    profile = get_profile(model, warn=False)
    return ModelProfile(
        max_input_tokens=profile.max_input_tokens,
        max_output_tokens=profile.max_output_tokens,
        text_inputs=True,
        image_inputs=True,
        image_url_inputs=True,
        audio_inputs=True,
        video_inputs=True,
        pdf_inputs=False,
        image_tool_message=False,
        pdf_tool_message=False,
        text_outputs=True,
        audio_outputs=profile.supports_audio_output,
        image_outputs=False,
        video_outputs=False,
        reasoning_output=profile.supports_thinking,
        tool_calling=profile.supports_tools,
        tool_choice=profile.supports_tools,
        tool_call_streaming=profile.supports_tools,
        # JSON mode is native; a json_schema response format (LangChain's ProviderStrategy) is sent as JSON mode
        # with the schema in the prompt, so create_agent(..., response_format=Schema) needs no forced tool call.
        structured_output=True,
    )


__all__ = [
    "assistant_text",
    "langchain_profile",
    "to_core_content",
    "to_core_message",
    "to_core_messages",
    "to_core_part",
]
