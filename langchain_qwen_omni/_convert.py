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

Outbound: core deltas -> ``AIMessageChunk`` objects that sum with ``+``. Each streamed PCM piece is
base64-encoded on a 6-byte boundary (whole samples, no padding), so the concatenated base64 of any prefix
of the stream decodes to exactly the PCM received. :func:`translate_content` and
:func:`translate_content_chunk` derive v1 ``content_blocks`` (reasoning, text, audio, tool calls) from those
messages; they are registered as LangChain's translator for :data:`PROVIDER`.

Example:
    >>> from langchain_core.messages import HumanMessage
    >>> msg = HumanMessage([{"type": "text", "text": "What is it?"},
    ...                     {"type": "image", "url": "https://e.com/a.png", "extras": {"max_pixels": 50176}}])
    >>> [p.to_wire() for p in to_core_messages([msg])[0].content]  # doctest: +NORMALIZE_WHITESPACE
    [{'type': 'text', 'text': 'What is it?'},
     {'type': 'image_url', 'image_url': {'url': 'https://e.com/a.png'}, 'max_pixels': 50176}]
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping, Sequence
from typing import Any, cast

from langchain_core.language_models import ModelProfile
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    ChatMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)
from langchain_core.messages import content as types
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import tool_call_chunk

from qwen_omni.audio import pcm16_to_wav
from qwen_omni.errors import InvalidRequestError, MediaError
from qwen_omni.excerpt import shorten
from qwen_omni.local_media import LocalMediaPolicy
from qwen_omni.parts import AudioPart, ImagePart, Part, Source, TextPart, VideoFramesPart, VideoPart
from qwen_omni.profiles import OUTPUT_SAMPLE_RATE, get_profile
from qwen_omni.request import Message, Role
from qwen_omni.sources import is_wire_url, looks_like_base64
from qwen_omni.stream import (
    AudioDelta,
    Delta,
    FinishDelta,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    TranscriptDelta,
    Usage,
    UsageDelta,
)

#: The ``model_provider`` tag on every message this package makes; LangChain looks up our translator by it.
PROVIDER = "qwen_omni"
#: ``additional_kwargs["audio"]["format"]`` of streamed pieces: raw PCM16 little-endian mono 24 kHz.
PCM_FORMAT = "pcm16"
#: ... and of a complete answer from ``invoke``: a WAV file.
WAV_FORMAT = "wav"
PCM_MIME_TYPE = "audio/pcm"
WAV_MIME_TYPE = "audio/wav"
#: PCM pieces are cut on this boundary: whole 16-bit samples and whole base64 groups (no ``=`` padding).
_PCM_ALIGN = 6
_BLOCK_INDEX = {"reasoning": "lc_reasoning", "text": "lc_text", "audio": "lc_audio"}
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
        try:
            return base64.b64decode(data, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MediaError(
                f"The {kind} block's base64 data is not valid base64 ({exc}); got {shorten(data)}. Encode the file's "
                "bytes with base64.b64encode, or give a 'url'."
            ) from None
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


# -- outbound: deltas -> chunks --------------------------------------------------------------------------


def _chunk(**fields: Any) -> AIMessageChunk:
    metadata = {"model_provider": PROVIDER, **fields.pop("response_metadata", {})}
    return AIMessageChunk(content=fields.pop("content", ""), response_metadata=metadata, **fields)


class ChunkConverter:
    """Turns one stream's core deltas into ``AIMessageChunk`` objects, as they arrive.

    It holds only what the base64 alignment needs: up to five PCM bytes carried to the next piece, and
    whether the first piece (which names the format) has gone out. Call :meth:`close` after the last delta.

    Example:
        >>> conv = ChunkConverter()
        >>> conv.convert(AudioDelta(b"\\x01\\x00" * 4)).additional_kwargs["audio"]
        {'data': 'AQABAAEA', 'format': 'pcm16', 'sample_rate': 24000}
        >>> conv.close(model="m", completion_id=None).additional_kwargs["audio"]
        {'data': 'AQA='}
    """

    def __init__(self) -> None:
        self._pcm_tail = b""
        self._audio_started = False

    def convert(self, delta: Delta) -> AIMessageChunk | None:
        """The chunk for one delta, or None when it carries nothing yet (a PCM piece under 6 bytes)."""
        if isinstance(delta, TextDelta):
            return _chunk(content=delta.text)
        if isinstance(delta, ReasoningDelta):
            return _chunk(additional_kwargs={"reasoning_content": delta.text})
        if isinstance(delta, AudioDelta):
            return self._audio(delta)
        if isinstance(delta, TranscriptDelta):
            return _chunk(additional_kwargs={"audio": {"transcript": delta.text}})
        if isinstance(delta, ToolCallDelta):
            piece = tool_call_chunk(name=delta.name, args=delta.arguments, id=delta.id, index=delta.index)
            return _chunk(tool_call_chunks=[piece])
        if isinstance(delta, UsageDelta):
            usage = delta.usage
            details = {
                "prompt_tokens_details": dict(usage.prompt_tokens_details),
                "completion_tokens_details": dict(usage.completion_tokens_details),
            }
            return _chunk(usage_metadata=usage_metadata(usage), response_metadata=details)
        if isinstance(delta, FinishDelta):
            return _chunk(response_metadata={"finish_reason": delta.reason})
        raise TypeError(f"Unknown delta type {type(delta).__name__}")  # pragma: no cover - Delta is a closed union

    def _audio(self, delta: AudioDelta) -> AIMessageChunk | None:
        pcm = self._pcm_tail + delta.pcm
        cut = len(pcm) - len(pcm) % _PCM_ALIGN
        self._pcm_tail = pcm[cut:]
        if not cut:
            return None
        audio: dict[str, Any] = {"data": base64.b64encode(pcm[:cut]).decode("ascii")}
        if not self._audio_started:
            # Strings concatenate when chunks are summed, so the format goes on the first piece only.
            self._audio_started = True
            audio.update(format=PCM_FORMAT, sample_rate=OUTPUT_SAMPLE_RATE)
            if delta.audio_id:
                audio["id"] = delta.audio_id
        return _chunk(additional_kwargs={"audio": audio})

    def close(self, *, model: str | None, completion_id: str | None) -> AIMessageChunk:
        """The last chunk: the PCM remainder (base64 with its padding), the model name and completion id."""
        kwargs: dict[str, Any] = {}
        if self._pcm_tail:
            kwargs["audio"] = {"data": base64.b64encode(self._pcm_tail).decode("ascii")}
            self._pcm_tail = b""
        metadata = {"model_name": model, **({"id": completion_id} if completion_id else {})}
        return _chunk(additional_kwargs=kwargs, response_metadata=metadata, chunk_position="last")


def usage_metadata(usage: Usage) -> UsageMetadata:
    """LangChain's usage record: totals, audio and cached input tokens, audio and reasoning output tokens.

    Example:
        >>> usage_metadata(Usage(10, 5, 15, {"audio_tokens": 4}, {"reasoning_tokens": 2}))["input_token_details"]
        {'audio': 4}
    """
    prompt, completion = usage.prompt_tokens_details, usage.completion_tokens_details
    result = UsageMetadata(
        input_tokens=usage.prompt_tokens, output_tokens=usage.completion_tokens, total_tokens=usage.total_tokens
    )
    inputs = InputTokenDetails()
    if "audio_tokens" in prompt:
        inputs["audio"] = prompt["audio_tokens"]
    if "cached_tokens" in prompt:
        inputs["cache_read"] = prompt["cached_tokens"]
    outputs = OutputTokenDetails()
    if "audio_tokens" in completion:
        outputs["audio"] = completion["audio_tokens"]
    if "reasoning_tokens" in completion:
        outputs["reasoning"] = completion["reasoning_tokens"]
    if inputs:
        result["input_token_details"] = inputs
    if outputs:
        result["output_token_details"] = outputs
    return result


def complete_audio(message: AIMessage) -> AIMessage:
    """The message with its streamed PCM replaced by one WAV file (``format: "wav"``) and a transcript.

    Used on the aggregate that ``invoke`` returns; a message without audio is returned as it is.
    """
    audio = message.additional_kwargs.get("audio")
    if not isinstance(audio, Mapping) or audio.get("format", PCM_FORMAT) != PCM_FORMAT or not audio.get("data"):
        return message
    complete = {
        **audio,
        "data": _wav_base64(audio),
        "format": WAV_FORMAT,
        "transcript": audio.get("transcript") or message.text,
    }
    return message.model_copy(update={"additional_kwargs": {**message.additional_kwargs, "audio": complete}})


def _wav_base64(audio: Mapping[str, Any]) -> str:
    """An ``additional_kwargs["audio"]`` entry's data as a base64 WAV file (unchanged when it is one already)."""
    if audio.get("format") == WAV_FORMAT:
        return str(audio["data"])
    return base64.b64encode(pcm16_to_wav(base64.b64decode(audio["data"]))).decode("ascii")


# -- v1 content blocks -----------------------------------------------------------------------------------


def translate_content(message: AIMessage) -> list[types.ContentBlock]:
    """v1 blocks of a whole message: reasoning, text, the spoken answer as a WAV ``audio`` block, tool calls."""
    return _blocks(message, whole=True)


def translate_content_chunk(message: AIMessageChunk) -> list[types.ContentBlock]:
    """v1 blocks of a chunk; each carries a stable ``index`` so that chunks merge into one block per kind."""
    return _blocks(message, whole=False)


def _blocks(message: AIMessage, *, whole: bool) -> list[types.ContentBlock]:
    if not isinstance(message.content, str):
        raise NotImplementedError  # list content (not made by this package): LangChain's best-effort parsing
    blocks: list[types.ContentBlock] = []
    reasoning = message.additional_kwargs.get("reasoning_content")
    if reasoning:
        reasoning_block = types.ReasoningContentBlock(type="reasoning", reasoning=str(reasoning))
        if not whole:
            reasoning_block["index"] = _BLOCK_INDEX["reasoning"]
        blocks.append(reasoning_block)
    if message.content:
        text_block = types.TextContentBlock(type="text", text=message.content)
        if not whole:
            text_block["index"] = _BLOCK_INDEX["text"]
        blocks.append(text_block)
    audio = message.additional_kwargs.get("audio")
    if isinstance(audio, Mapping) and audio.get("data"):
        blocks.append(_audio_block(audio, message, whole=whole))
    finished = whole or (isinstance(message, AIMessageChunk) and message.chunk_position == "last")
    if finished:
        blocks.extend(
            types.ToolCall(type="tool_call", id=call.get("id"), name=call["name"], args=call["args"])
            for call in message.tool_calls
        )
    elif isinstance(message, AIMessageChunk):
        for piece in message.tool_call_chunks:
            block = types.ToolCallChunk(type="tool_call_chunk", id=piece.get("id"), name=piece.get("name"),
                                        args=piece.get("args"))  # fmt: skip
            if (position := piece.get("index")) is not None:
                block["index"] = position
            blocks.append(block)
    return blocks


def _audio_block(audio: Mapping[str, Any], message: AIMessage, *, whole: bool) -> types.AudioContentBlock:
    fmt = audio.get("format")
    if whole:
        block = types.AudioContentBlock(
            type="audio",
            base64=_wav_base64(audio),
            mime_type=WAV_MIME_TYPE,
            extras={"transcript": audio.get("transcript") or message.text},
        )
        if audio.get("id"):
            block["id"] = str(audio["id"])
        return block
    block = types.AudioContentBlock(type="audio", base64=str(audio["data"]), index=_BLOCK_INDEX["audio"])
    if fmt:  # the first piece of a stream (or a sum that starts with it) says what the bytes are
        block["mime_type"] = WAV_MIME_TYPE if fmt == WAV_FORMAT else PCM_MIME_TYPE
        if fmt == PCM_FORMAT:
            block["extras"] = {"sample_rate": int(audio.get("sample_rate") or OUTPUT_SAMPLE_RATE), "channels": 1,
                               "sample_width": 2}  # fmt: skip
    return block


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
        structured_output=False,
    )
