"""Pure conversion between LlamaIndex and the core: ChatMessage blocks -> core parts, core deltas -> ChatResponse.

Nothing here does I/O or knows about the client: messages and dataclasses in, messages and dataclasses out.

Input blocks, by role:

* user: ``TextBlock``, ``ImageBlock``, ``AudioBlock``, ``VideoBlock`` (url, path or bytes) become the core's
  parts; a video made with :func:`video_frames_block` becomes a frame list. ``CachePoint`` is a hint for
  other providers and is skipped. Anything else (``DocumentBlock``, ``CitableBlock``...) is refused.
  A block is data (``ChatMessage.model_validate(json)`` builds one from anyone's JSON), so a ``path``, a
  ``file://`` URL or a local frame in it is read only through the given
  :class:`~qwen_omni.local_media.LocalMediaPolicy` (default: no local file). LlamaIndex's own
  ``resolve_image()`` and ``resolve_binary`` are used on a block's bytes only, never on its path or URL.
* system and tool: text only.
* assistant: reduced to text plus its ``ToolCallBlock`` calls; its own ``ThinkingBlock`` and ``AudioBlock``
  (a spoken answer, whose text is already in the message) are dropped, as Qwen-Omni accepts only text in
  earlier assistant turns.

Output: a streamed :class:`ChatResponse` carries the cumulative message and the new text in ``delta``;
reasoning pieces arrive in ``additional_kwargs["thinking_delta"]`` and speech pieces (raw PCM16 mono 24 kHz) in
``additional_kwargs["audio_delta"]``. The last response holds the whole message (a ``ThinkingBlock``, the text,
an ``AudioBlock`` with a complete WAV, ``ToolCallBlock`` calls) and the usage.

Example:
    >>> from llama_index.core.llms import ChatMessage
    >>> to_core_messages([ChatMessage(role="user", content="Hi")])
    [Message(role='user', content='Hi', tool_calls=None, tool_call_id=None, name=None)]
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from io import IOBase
from pathlib import Path
from typing import Any, assert_never

from llama_index.core.base.llms.types import (
    AudioBlock,
    CachePoint,
    ChatMessage,
    ChatResponse,
    CompletionResponse,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.utils import resolve_binary

from qwen_omni.adapter_support import usage_summary, usage_wire, wire_tool_choice
from qwen_omni.audio import WavBase64
from qwen_omni.errors import InvalidRequestError
from qwen_omni.excerpt import shorten
from qwen_omni.local_media import LocalMediaPolicy
from qwen_omni.parts import (
    AudioPart,
    ImagePart,
    Part,
    Source,
    TextPart,
    VideoFramesPart,
    VideoPart,
)
from qwen_omni.request import Message, Role
from qwen_omni.sources import Base64Source, is_wire_url
from qwen_omni.stream import (
    AudioDelta,
    Delta,
    FinishDelta,
    OmniResult,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    TranscriptDelta,
    Usage,
    UsageDelta,
    parse_partial_json,
)

logger = logging.getLogger("llama_index_qwen_omni")

#: The ``video_mimetype`` of a :class:`VideoBlock` that holds a frame list (see :func:`video_frames_block`).
FRAMES_MIMETYPE = "application/x-qwen-omni-frames+json"

#: ``ImageBlock.detail`` words and the pixel bounds they stand for. ``"low"`` caps an image at 512x512 pixels'
#: worth (about 256 tokens); ``"high"`` and ``"auto"`` leave the server's default.
IMAGE_DETAIL_PIXELS: dict[str, dict[str, int]] = {"low": {"max_pixels": 512 * 512}, "high": {}, "auto": {}}
_IMAGE_DETAIL_KEYS = ("min_pixels", "max_pixels", "total_pixels")

_NO_LOCAL_FILES = LocalMediaPolicy()

_ROLES: dict[MessageRole, Role] = {
    MessageRole.SYSTEM: "system",
    MessageRole.DEVELOPER: "system",
    MessageRole.USER: "user",
    MessageRole.ASSISTANT: "assistant",
    MessageRole.MODEL: "assistant",
    MessageRole.CHATBOT: "assistant",
    MessageRole.TOOL: "tool",
    MessageRole.FUNCTION: "tool",
}


# ------------------------------------------------------------------------------------------------ input


def video_frames_block(frames: Sequence[Source], *, fps: float | None = None) -> VideoBlock:
    """A ``VideoBlock`` that sends a video as a list of still frames (URLs, local paths or JPEG/PNG bytes).

    The frames travel inside the block: URLs as they are, bytes and local files (read here, by the code that
    calls this helper) as data URIs. So the message survives LlamaIndex's memory and serialisation, and the model
    never has to read a path named inside a block. ``fps`` (0.1 to 10) tells the model how far apart the frames are.

    Example:
        >>> block = video_frames_block(["https://e.com/1.jpg", "https://e.com/2.jpg"], fps=1)
        >>> block.video_mimetype
        'application/x-qwen-omni-frames+json'
    """
    if isinstance(frames, str | bytes | bytearray | memoryview) or not isinstance(frames, Sequence):
        raise InvalidRequestError(
            f"video_frames_block takes a list of frames; got {type(frames).__name__} {shorten(frames)}."
        )
    items: list[str] = []
    for frame in frames:
        if isinstance(frame, str) and is_wire_url(frame):
            items.append(frame)
        else:  # bytes or a path: the core's mime type and checks, read now
            items.append(ImagePart(frame).to_wire()["image_url"]["url"])
    body = json.dumps({"frames": items, "fps": fps}).encode()
    return VideoBlock(video=body, video_mimetype=FRAMES_MIMETYPE)


def to_core_messages(messages: Sequence[ChatMessage], local_media: LocalMediaPolicy | None = None) -> list[Message]:
    """LlamaIndex messages as the core's messages (see the module docstring for what each role may hold).

    ``local_media`` decides which local files the blocks may name (default: none).

    Raises:
        InvalidRequestError: a block Qwen-Omni cannot take, or media outside a user message.
        LocalFileRefusedError: a block names a local file the policy does not allow.
    """
    check_chat_messages(messages)
    policy = local_media or _NO_LOCAL_FILES
    return [_message(position, message, policy) for position, message in enumerate(messages)]


def check_chat_messages(messages: object) -> None:
    """Raise unless ``messages`` is a list (or tuple) of ``ChatMessage``: what ``chat()`` must be given.

    Example:
        >>> check_chat_messages("Hello")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        qwen_omni.errors.InvalidRequestError: chat() takes a list of ChatMessage; got str 'Hello'. ...
    """
    if isinstance(messages, str | bytes | ChatMessage) or not isinstance(messages, Sequence):
        raise InvalidRequestError(
            f"chat() takes a list of ChatMessage; got {type(messages).__name__} {shorten(messages)}. For a bare "
            "prompt use complete(prompt), or wrap it: [ChatMessage(role='user', content=prompt)]."
        )
    for position, message in enumerate(messages):
        if not isinstance(message, ChatMessage):
            hint = " Build one with ChatMessage.model_validate(d)." if isinstance(message, Mapping) else ""
            raise InvalidRequestError(
                f"Message {position} is a {type(message).__name__} ({shorten(message)}), not a ChatMessage.{hint}"
            )


def _message(position: int, message: ChatMessage, policy: LocalMediaPolicy) -> Message:
    role = _ROLES.get(message.role)
    if role is None:
        raise InvalidRequestError(f"Message {position} has role {message.role.value!r}, which Qwen-Omni does not take.")
    if role == "user":
        parts = [p for block in message.blocks if (p := _user_part(position, block, policy)) is not None]
        if all(isinstance(p, TextPart) for p in parts):
            return Message("user", "\n".join(p.text for p in parts if isinstance(p, TextPart)))
        return Message("user", parts)
    text = _text_only(position, role, message)
    if role == "assistant":
        calls = [_tool_call_wire(b) for b in message.blocks if isinstance(b, ToolCallBlock)]
        return Message("assistant", text, tool_calls=calls or _legacy_tool_calls(message) or None)
    if role == "tool":
        call_id = message.additional_kwargs.get("tool_call_id")
        if not call_id:
            raise InvalidRequestError(
                f"Message {position} is a tool result without additional_kwargs['tool_call_id']; Qwen-Omni needs the "
                "id of the call it answers. (A ReAct observation should use the user role.)"
            )
        return Message("tool", text, tool_call_id=str(call_id))
    return Message(role, text)


def _text_only(position: int, role: str, message: ChatMessage) -> str:
    texts: list[str] = []
    for block in message.blocks:
        if isinstance(block, TextBlock):
            texts.append(block.text)
        elif isinstance(block, CachePoint):
            continue
        elif role == "assistant" and isinstance(block, ToolCallBlock | ThinkingBlock | AudioBlock):
            continue  # calls go in tool_calls; the model's own reasoning and speech: the text already says it
        elif isinstance(block, ImageBlock | AudioBlock | VideoBlock):
            raise InvalidRequestError(
                f"Message {position} ({role}) holds a {type(block).__name__}: Qwen-Omni accepts media only in user "
                "messages, and text only in system, assistant and tool messages. Move the media into a user message."
            )
        else:
            raise InvalidRequestError(
                f"Message {position} ({role}) holds a {type(block).__name__}, which a {role} message cannot carry: "
                "Qwen-Omni takes text only there."
            )
    return "\n".join(texts)


def _user_part(position: int, block: Any, policy: LocalMediaPolicy) -> Part | None:
    if isinstance(block, TextBlock):
        return TextPart(block.text)
    if isinstance(block, ImageBlock):
        source = _source(block.image, block.path, block.url, policy, "An ImageBlock")
        return ImagePart(source, mime=block.image_mimetype, **_image_detail(block))
    if isinstance(block, AudioBlock):
        return AudioPart(_source(block.audio, block.path, block.url, policy, "An AudioBlock"), format=block.format)
    if isinstance(block, VideoBlock):
        return _video_part(block, policy)
    if isinstance(block, CachePoint):
        return None
    raise InvalidRequestError(
        f"Message {position} holds a {type(block).__name__}, which Qwen-Omni does not accept: it takes text, images, "
        "audio and video. Extract a document's text first (e.g. with a LlamaIndex reader) and send it as a TextBlock."
    )


_CANONICAL_BASE64 = re.compile(rb"[A-Za-z0-9+/]*={0,2}")


def _block_bytes(data: bytes | IOBase) -> bytes:
    """A block's media bytes: read from its file object, or decoded from the base64 LlamaIndex keeps (bytes only:
    never the block's path or URL)."""
    if isinstance(data, IOBase):
        data.seek(0)
        raw = data.read()
        return raw if isinstance(raw, bytes) else str(raw).encode()
    return resolve_binary(data).read()


def _source(
    data: bytes | IOBase | None, path: Path | str | None, url: Any, policy: LocalMediaPolicy, what: str
) -> Source:
    """Where a block's media is: its bytes (decoded from LlamaIndex's base64), else its path, else its URL; a path
    or a ``file://`` URL only as ``policy`` allows."""
    if isinstance(data, IOBase):
        return _block_bytes(data)
    if data:
        decoded = _block_bytes(data)
        if len(data) % 4 == 0 and _CANONICAL_BASE64.fullmatch(data):
            # LlamaIndex keeps a block's bytes as base64: send that as it is, instead of encoding them again
            return Base64Source(data.decode("ascii"), decoded)
        return decoded
    if path is not None:
        # LlamaIndex checked that the path exists relative to the working directory, so that is what it means.
        return policy.path(os.path.abspath(os.fspath(path)), f"{what}'s path")
    if url is not None:
        return policy.location(str(url), f"{what}'s url")
    raise InvalidRequestError(f"{what} has no data, path or url; give it one of them.")


def _detail_pairs(detail: str, allowed: Sequence[str]) -> dict[str, float]:
    pairs: dict[str, float] = {}
    for item in detail.replace(";", ",").split(","):
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in allowed:
            raise InvalidRequestError(
                f"Unknown detail {shorten(detail)}; use one of {', '.join(sorted(IMAGE_DETAIL_PIXELS))} or "
                f"'key=value' pairs with the keys {', '.join(allowed)}."
            )
        try:
            pairs[key] = float(value)
        except ValueError:
            raise InvalidRequestError(
                f"detail {shorten(detail)}: {key} must be a number; got {shorten(value.strip())}."
            ) from None
    return pairs


def _image_detail(block: ImageBlock) -> dict[str, int]:
    detail = (block.detail or "auto").strip().lower()
    if detail in IMAGE_DETAIL_PIXELS:
        return dict(IMAGE_DETAIL_PIXELS[detail])
    return {k: int(v) for k, v in _detail_pairs(detail, _IMAGE_DETAIL_KEYS).items()}


def _video_part(block: VideoBlock, policy: LocalMediaPolicy) -> Part:
    fps: float | None = block.fps
    detail = (block.detail or "auto").strip().lower()
    if detail != "auto":
        fps = _detail_pairs(detail, ("fps",))["fps"]
    if block.video_mimetype == FRAMES_MIMETYPE:
        try:
            if not block.video:
                raise ValueError
            body = json.loads(_block_bytes(block.video))
            frames, body_fps = body["frames"], body.get("fps")
            if not isinstance(frames, list):
                raise TypeError
        except (InvalidRequestError, ValueError, KeyError, TypeError):
            raise InvalidRequestError(
                f"This VideoBlock's video_mimetype says it holds a frame list ({FRAMES_MIMETYPE}), but its data is "
                "not one; build it with llama_index_qwen_omni.video_frames_block(frames)."
            ) from None
        where = "A frame of a frame-list VideoBlock"
        sources = [policy.location(frame, where) for frame in frames]
        return VideoFramesPart(sources, fps=fps if fps is not None else body_fps)
    return VideoPart(_source(block.video, block.path, block.url, policy, "A VideoBlock"), fps=fps)


def _legacy_tool_calls(message: ChatMessage) -> list[dict[str, Any]]:
    """OpenAI-shaped ``additional_kwargs["tool_calls"]`` of a message that has no ``ToolCallBlock``."""
    calls = message.additional_kwargs.get("tool_calls") or []
    dumped = [c.model_dump() if hasattr(c, "model_dump") else c for c in calls]
    return [dict(c) for c in dumped if isinstance(c, Mapping)]


def _tool_call_wire(block: ToolCallBlock) -> dict[str, Any]:
    arguments = block.tool_kwargs if isinstance(block.tool_kwargs, str) else json.dumps(block.tool_kwargs)
    return {
        "id": block.tool_call_id or "",
        "type": "function",
        "function": {"name": block.tool_name, "arguments": arguments},
    }


# ------------------------------------------------------------------------------------------------ tools


def resolve_tool_choice(
    tool_choice: str | Mapping[str, Any] | None,
    tool_required: bool,
    tool_names: Sequence[str],
    *,
    thinking: bool = False,
) -> str | dict[str, Any] | None:
    """The ``tool_choice`` to send: Qwen-Omni takes ``"auto"``, ``"none"`` or one named function, not ``"required"``.

    A forced call (``tool_required=True`` or ``"required"``) names the tool when there is exactly one; with
    several tools, or in thinking mode (where a named choice is refused), it falls back to ``"auto"`` and logs a
    warning, since the API cannot promise that some tool is called
    (:func:`qwen_omni.adapter_support.wire_tool_choice`). Any other string is a tool's name.

    Example:
        >>> resolve_tool_choice(None, True, ["get_weather"])
        {'type': 'function', 'function': {'name': 'get_weather'}}
        >>> resolve_tool_choice("none", False, ["a", "b"])
        'none'
    """
    if not tool_names:
        return None
    if tool_choice is None and tool_required:
        tool_choice = "required"
    if isinstance(tool_choice, str) and tool_choice not in ("auto", "none", "required", *tool_names):
        return {"type": "function", "function": {"name": tool_choice}}  # an unknown name: the core refuses it
    return wire_tool_choice(tool_choice, tool_names, thinking=thinking, unforceable="auto")


def tool_selections(response: ChatResponse, error_on_no_tool_call: bool = True) -> list[ToolSelection]:
    """The tool calls of a response, also while streaming (partial arguments are parsed as far as they go).

    Raises:
        ValueError: there is no tool call and ``error_on_no_tool_call`` is set.
    """
    calls = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
    if not calls and error_on_no_tool_call:
        raise ValueError("Expected at least one tool call, but the response has none.")
    return [
        ToolSelection(
            tool_id=call.tool_call_id or "",
            tool_name=call.tool_name,
            tool_kwargs=parse_partial_json(call.tool_kwargs) if isinstance(call.tool_kwargs, str) else call.tool_kwargs,
        )
        for call in calls
    ]


def keep_first_tool_call(response: ChatResponse) -> ChatResponse:
    """``response`` with only its first tool call (for ``allow_parallel_tool_calls=False``)."""
    calls = [b for b in response.message.blocks if isinstance(b, ToolCallBlock)]
    if len(calls) > 1:
        response.message.blocks = [b for b in response.message.blocks if not isinstance(b, ToolCallBlock)] + calls[:1]
    return response


# ------------------------------------------------------------------------------------------------ output


def usage_dict(usage: Usage) -> dict[str, Any]:
    """Usage as the OpenAI-shaped dict that LlamaIndex's ``TokenCountingHandler`` reads from ``raw["usage"]``."""
    return usage_wire(usage)


def _token_counts(usage: Usage | None) -> dict[str, Any]:
    if usage is None:
        return {}
    summary = usage_summary(usage)
    return {
        "prompt_tokens": summary.input_tokens,
        "completion_tokens": summary.output_tokens,
        "total_tokens": summary.total_tokens,
    }


def result_message(result: OmniResult, wav_base64: bytes | None = None) -> ChatMessage:
    """The whole answer as an assistant message: thinking, text, a WAV ``AudioBlock``, tool calls.

    ``wav_base64``: the WAV as base64, built as the audio arrived (:class:`~qwen_omni.audio.WavBase64`), for a
    result whose audio the core did not keep; else the WAV is made from ``result.audio``.
    """
    blocks: list[Any] = []
    if result.reasoning:
        reasoning_tokens = result.usage.completion_tokens_details.get("reasoning_tokens") if result.usage else None
        blocks.append(ThinkingBlock(content=result.reasoning, num_tokens=reasoning_tokens))
    blocks.append(TextBlock(text=result.text))
    if wav_base64:
        # already base64, as AudioBlock stores it: its validator would decode and encode it again
        blocks.append(AudioBlock.model_construct(audio=wav_base64, format="wav"))
    elif result.audio:
        blocks.append(AudioBlock(audio=result.wav(), format="wav"))
    for call in result.tool_calls:
        kwargs: dict[str, Any] | str = call.arguments if call.arguments is not None else call.raw_arguments
        blocks.append(ToolCallBlock(tool_call_id=call.id, tool_name=call.name, tool_kwargs=kwargs))
    return _assistant(blocks)


def _assistant(blocks: list[Any]) -> ChatMessage:
    """An assistant message; its tool calls are also listed, OpenAI-shaped, in ``additional_kwargs["tool_calls"]``,
    where LlamaIndex's streaming structured output looks for them."""
    calls = [_tool_call_wire(b) for b in blocks if isinstance(b, ToolCallBlock)]
    extra = {"tool_calls": calls} if calls else {}
    if any(isinstance(b, AudioBlock) for b in blocks):
        # ChatMessage's validation copies an AudioBlock's data twice over; these blocks are valid as built
        return ChatMessage.model_construct(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)
    return ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks, additional_kwargs=extra)


def result_to_chat_response(
    result: OmniResult, *, delta: str | None = None, wav_base64: bytes | None = None
) -> ChatResponse:
    """The whole answer as a :class:`ChatResponse`; ``raw["usage"]`` and the token counts feed LlamaIndex's counters."""
    raw = {
        "id": result.id,
        "model": result.model,
        "finish_reason": result.finish_reason,
        "usage": usage_dict(result.usage) if result.usage else None,
    }
    return ChatResponse(
        message=result_message(result, wav_base64),
        raw=raw,
        delta=delta,
        additional_kwargs=_token_counts(result.usage),
    )


@dataclass
class _PartialCall:
    id: str | None = None
    name: str = ""
    arguments: list[str] = field(default_factory=list)


@dataclass
class ChatStream:
    """Turns the core's deltas into cumulative :class:`ChatResponse` objects, one per delta worth showing.

    Example:
        >>> stream = ChatStream()
        >>> stream.feed(TextDelta("Hel")).delta, stream.feed(TextDelta("lo")).message.content
        ('Hel', 'Hello')
    """

    _text: str = ""
    _reasoning: str = ""
    _calls: dict[int, _PartialCall] = field(default_factory=dict)
    _wav: WavBase64 = field(default_factory=WavBase64)

    def gather(self, delta: Delta) -> None:
        """Take a delta for :meth:`finish` only (``chat``): just the audio, the rest is in the core's result."""
        if isinstance(delta, AudioDelta):
            self._wav.add(delta.pcm)

    def feed(self, delta: Delta) -> ChatResponse | None:
        """The response to yield for ``delta``, or None (finish and usage deltas wait for :meth:`finish`)."""
        extra: dict[str, Any] = {}
        text = ""
        if isinstance(delta, TextDelta):
            text = delta.text
            self._text += text
        elif isinstance(delta, ReasoningDelta):
            self._reasoning += delta.text
            extra["thinking_delta"] = delta.text
        elif isinstance(delta, AudioDelta):
            self._wav.add(delta.pcm)
            extra["audio_delta"] = delta.pcm
        elif isinstance(delta, ToolCallDelta):
            call = self._calls.setdefault(delta.index, _PartialCall())
            call.id = call.id or delta.id
            call.name = call.name or delta.name or ""
            call.arguments.append(delta.arguments)
        elif isinstance(delta, TranscriptDelta | FinishDelta | UsageDelta):
            return None  # the transcript's text arrives as TextDelta too; finish and usage go in the last response
        else:
            assert_never(delta)
        return ChatResponse(message=self._message(), delta=text, additional_kwargs=extra)

    def _message(self) -> ChatMessage:
        blocks: list[Any] = []
        if self._reasoning:
            blocks.append(ThinkingBlock(content=self._reasoning))
        blocks.append(TextBlock(text=self._text))
        for _, call in sorted(self._calls.items()):
            blocks.append(ToolCallBlock(tool_call_id=call.id, tool_name=call.name, tool_kwargs="".join(call.arguments)))
        return _assistant(blocks)

    def finish(self, result: OmniResult) -> ChatResponse:
        """The last response: the whole message (with the WAV and parsed tool arguments) and the usage.

        The WAV is the one built from the streamed pieces, so the core need not keep the audio
        (``keep_audio=False``)."""
        return result_to_chat_response(result, delta="", wav_base64=self._wav.ascii() or None)


def to_completion_response(response: ChatResponse) -> CompletionResponse:
    """A chat response as a completion: the text, the same extras; a final one adds ``thinking`` and ``audio_wav``.

    Example:
        >>> to_completion_response(ChatResponse(message=ChatMessage(role="assistant", content="Hi"), delta="Hi")).text
        'Hi'
    """
    extra = dict(response.additional_kwargs)
    for block in response.message.blocks:
        if isinstance(block, AudioBlock):
            extra["audio_wav"] = block.resolve_audio().read()
        elif isinstance(block, ThinkingBlock) and response.raw is not None:
            extra["thinking"] = block.content or ""
    return CompletionResponse(
        text=response.message.content or "", additional_kwargs=extra, raw=response.raw, delta=response.delta
    )


__all__ = [
    "FRAMES_MIMETYPE",
    "IMAGE_DETAIL_PIXELS",
    "ChatStream",
    "check_chat_messages",
    "keep_first_tool_call",
    "resolve_tool_choice",
    "result_message",
    "result_to_chat_response",
    "to_completion_response",
    "to_core_messages",
    "tool_selections",
    "usage_dict",
    "video_frames_block",
]
