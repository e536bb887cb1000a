"""The core's answer as LangChain messages: streamed deltas -> ``AIMessageChunk``, a whole answer -> ``AIMessage``,
and the v1 ``content_blocks`` of both. Pure: no I/O, no client.

The spoken answer has one shape per kind of message:

* A whole answer (``invoke``, ``batch``, ``streaming=True``, and a model invoked inside a chain, an agent or a
  LangGraph node, which stream tokens to callbacks while they run) holds one WAV file: base64 in
  ``additional_kwargs["audio"]["data"]`` with ``format: "wav"``, the OpenAI shape, and as one v1 ``audio`` block
  with ``mime_type: "audio/wav"``.
* A streamed chunk holds one piece of raw PCM16 (little-endian, mono, 24 kHz): base64 in
  ``additional_kwargs["audio"]["pcm"]``, a one-item list, and as a v1 ``audio`` block with ``mime_type:
  "audio/pcm"`` and its sample format (``sample_rate``, ``channels``, ``sample_width``) in ``extras``.

Pieces are list items, so LangChain's merges (``chunk + chunk``, ``stream()``'s final merge) append them: the sum
of a stream costs time and memory linear in the length of the speech, where one growing base64 string would be
copied again at every piece. The sum holds the list of pieces; its v1 view is one WAV block, since it holds the
whole answer. :func:`langchain_qwen_omni.audio_wav` and :func:`~langchain_qwen_omni.audio_pcm` read every shape.

Example:
    >>> conv = ChunkConverter()
    >>> first = conv.convert(AudioDelta(b"\\x01\\x00" * 4, "audio_1"))
    >>> first.additional_kwargs["audio"]
    {'pcm': ['AQABAAEA'], 'index': 0, 'format': 'pcm16', 'sample_rate': 24000, 'id': 'audio_1'}
    >>> last = conv.close(model="m", completion_id=None)
    >>> (first + last).additional_kwargs["audio"]["pcm"]
    ['AQABAAEA', 'AQA=']
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, assert_never

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages import content as types
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk

from qwen_omni.adapter_support import usage_summary
from qwen_omni.audio import CHANNELS, SAMPLE_WIDTH_BYTES, WavBase64, pcm16_to_wav
from qwen_omni.profiles import OUTPUT_SAMPLE_RATE
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
)

__all__ = [
    "PCM_FORMAT",
    "PCM_MIME_TYPE",
    "PROVIDER",
    "WAV_FORMAT",
    "WAV_MIME_TYPE",
    "AnswerBuilder",
    "ChunkConverter",
    "audio_bytes",
    "complete_audio",
    "translate_content",
    "translate_content_chunk",
    "usage_metadata",
]

#: The ``model_provider`` tag on every message this package makes; LangChain looks up our translator by it.
PROVIDER = "qwen_omni"
#: ``additional_kwargs["audio"]["format"]`` of streamed pieces: raw PCM16 little-endian mono 24 kHz.
PCM_FORMAT = "pcm16"
#: ... and of a whole answer: a WAV file.
WAV_FORMAT = "wav"
PCM_MIME_TYPE = "audio/pcm"
WAV_MIME_TYPE = "audio/wav"
#: PCM pieces are cut on this boundary: whole 16-bit samples and whole base64 groups (no ``=`` padding).
_PCM_ALIGN = 6
_TEXT_INDEX = "lc_text"
_REASONING_INDEX = "lc_reasoning"
_PCM_EXTRAS = {"sample_rate": OUTPUT_SAMPLE_RATE, "channels": CHANNELS, "sample_width": SAMPLE_WIDTH_BYTES}


def _chunk(**fields: Any) -> AIMessageChunk:
    metadata = {"model_provider": PROVIDER, **fields.pop("response_metadata", {})}
    return AIMessageChunk(content=fields.pop("content", ""), response_metadata=metadata, **fields)


class ChunkConverter:
    """Turns one stream's core deltas into ``AIMessageChunk`` objects, as they arrive.

    It holds only up to five PCM bytes carried to the next piece (pieces end on whole samples and whole base64
    groups) and the number of pieces sent. Call :meth:`close` after the last delta.
    """

    def __init__(self) -> None:
        self._pcm_tail = b""
        self._pieces = 0

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
            details = {
                "prompt_tokens_details": dict(delta.usage.prompt_tokens_details),
                "completion_tokens_details": dict(delta.usage.completion_tokens_details),
            }
            return _chunk(usage_metadata=usage_metadata(delta.usage), response_metadata=details)
        if isinstance(delta, FinishDelta):
            return _chunk(response_metadata={"finish_reason": delta.reason})
        assert_never(delta)

    def _audio(self, delta: AudioDelta) -> AIMessageChunk | None:
        pcm = self._pcm_tail + delta.pcm if self._pcm_tail else delta.pcm
        cut = len(pcm) - len(pcm) % _PCM_ALIGN
        self._pcm_tail = pcm[cut:]
        if not cut:
            return None
        return _chunk(additional_kwargs={"audio": self._piece(pcm[:cut], delta.audio_id)})

    def _piece(self, pcm: bytes, audio_id: str | None) -> dict[str, Any]:
        # "index" is the piece's place in the stream (LangChain's merges keep the last); strings concatenate when
        # chunks are summed, so the format and the id go on the first piece only.
        audio: dict[str, Any] = {"pcm": [base64.b64encode(pcm).decode("ascii")], "index": self._pieces}
        if not self._pieces:
            audio.update(format=PCM_FORMAT, sample_rate=OUTPUT_SAMPLE_RATE)
            if audio_id:
                audio["id"] = audio_id
        self._pieces += 1
        return audio

    def close(self, *, model: str | None, completion_id: str | None) -> AIMessageChunk:
        """The last chunk: the PCM remainder (base64 with its padding), the model name and completion id."""
        kwargs: dict[str, Any] = {}
        if self._pcm_tail:
            kwargs["audio"] = self._piece(self._pcm_tail, None)
            self._pcm_tail = b""
        metadata = {"model_name": model, **({"id": completion_id} if completion_id else {})}
        return _chunk(additional_kwargs=kwargs, response_metadata=metadata, chunk_position="last")


class AnswerBuilder:
    """Builds the whole answer's ``AIMessage`` from the deltas and the core's result, without LangChain's chunk sums.

    The WAV's base64 is written as the audio arrives (:class:`~qwen_omni.audio.WavBase64`), so the message costs
    the speech's base64 once, plus the same again for the moment the pieces are joined.

    Example:
        >>> from qwen_omni.stream import StreamAccumulator
        >>> acc, builder = StreamAccumulator(), AnswerBuilder()
        >>> for delta in acc.feed({"choices": [{"delta": {"content": "Hi"}, "finish_reason": "stop"}]}):
        ...     builder.add(delta)
        >>> builder.message(acc.finish(), model="qwen3-omni-flash").content
        'Hi'
    """

    def __init__(self) -> None:
        self._wav = WavBase64()

    def add(self, delta: Delta) -> None:
        if isinstance(delta, AudioDelta):
            self._wav.add(delta.pcm)

    def message(self, result: OmniResult, *, model: str, message_id: str | None = None) -> AIMessage:
        extra: dict[str, Any] = {}
        if result.reasoning:
            extra["reasoning_content"] = result.reasoning
        wav = self._wav.text()
        if wav or result.transcript:
            audio: dict[str, Any] = {"transcript": result.transcript or result.text}
            if wav:
                audio.update(data=wav, format=WAV_FORMAT)
            if result.audio_id:
                audio["id"] = result.audio_id
            extra["audio"] = audio
        metadata: dict[str, Any] = {"model_provider": PROVIDER, "model_name": result.model or model}
        if result.id:
            metadata["id"] = result.id
        if result.finish_reason:
            metadata["finish_reason"] = result.finish_reason
        if result.usage is not None:
            metadata["prompt_tokens_details"] = dict(result.usage.prompt_tokens_details)
            metadata["completion_tokens_details"] = dict(result.usage.completion_tokens_details)
        calls = [
            tool_call(name=c.name, args=c.arguments, id=c.id) for c in result.tool_calls if c.arguments is not None
        ]
        broken = [
            invalid_tool_call(name=c.name, args=c.raw_arguments, id=c.id, error=c.error)
            for c in result.tool_calls
            if c.arguments is None
        ]
        return AIMessage(
            content=result.text,
            additional_kwargs=extra,
            response_metadata=metadata,
            tool_calls=calls,
            invalid_tool_calls=broken,
            usage_metadata=usage_metadata(result.usage) if result.usage is not None else None,
            id=message_id,
        )


def usage_metadata(usage: Usage) -> UsageMetadata:
    """LangChain's usage record: totals, audio and cached input tokens, audio and reasoning output tokens.

    Example:
        >>> usage_metadata(Usage(10, 5, 15, {"audio_tokens": 4}, {"reasoning_tokens": 2}))["input_token_details"]
        {'audio': 4}
    """
    summary = usage_summary(usage)
    result = UsageMetadata(
        input_tokens=summary.input_tokens, output_tokens=summary.output_tokens, total_tokens=summary.total_tokens
    )
    inputs = InputTokenDetails()
    if "audio" in summary.input_details:
        inputs["audio"] = summary.input_details["audio"]
    if "cache_read" in summary.input_details:
        inputs["cache_read"] = summary.input_details["cache_read"]
    outputs = OutputTokenDetails()
    if "audio" in summary.output_details:
        outputs["audio"] = summary.output_details["audio"]
    if "reasoning" in summary.output_details:
        outputs["reasoning"] = summary.output_details["reasoning"]
    if inputs:
        result["input_token_details"] = inputs
    if outputs:
        result["output_token_details"] = outputs
    return result


# -- reading the audio back ------------------------------------------------------------------------------


def audio_bytes(message: BaseMessage) -> tuple[bytes, bool]:
    """The spoken answer's bytes in ``message`` (any shape this package makes) and whether they are a WAV file.

    Example:
        >>> audio_bytes(AIMessage("", additional_kwargs={"audio": {"pcm": ["AQA=", "AgA="]}}))
        (b'\\x01\\x00\\x02\\x00', False)
    """
    audio = message.additional_kwargs.get("audio")
    if isinstance(audio, Mapping):
        if isinstance(audio.get("pcm"), list) and audio["pcm"]:
            return b"".join(base64.b64decode(piece) for piece in audio["pcm"]), False
        if audio.get("data"):
            return base64.b64decode(audio["data"]), audio.get("format") == WAV_FORMAT
    pcm: list[bytes] = []
    for block in message.content if isinstance(message.content, list) else []:
        if isinstance(block, dict) and block.get("type") == "audio" and block.get("base64"):
            data = base64.b64decode(block["base64"])
            if block.get("mime_type") == WAV_MIME_TYPE:
                return data, True
            pcm.append(data)
    return b"".join(pcm), False


def complete_audio(message: AIMessage) -> AIMessage:
    """The message with streamed PCM (pieces, or one string) replaced by one WAV file (``format: "wav"``).

    A message without audio, or whose audio is a WAV already, is returned as it is.
    """
    audio = message.additional_kwargs.get("audio")
    if not isinstance(audio, Mapping) or audio.get("format") == WAV_FORMAT:
        return message
    data, is_wav = audio_bytes(message)
    if not data or is_wav:
        return message
    kept = {k: v for k, v in audio.items() if k not in ("pcm", "index", "sample_rate")}
    complete = {
        **kept,
        "data": base64.b64encode(pcm16_to_wav(data)).decode("ascii"),
        "format": WAV_FORMAT,
        "transcript": audio.get("transcript") or message.text,
    }
    return message.model_copy(update={"additional_kwargs": {**message.additional_kwargs, "audio": complete}})


# -- v1 content blocks -----------------------------------------------------------------------------------


def translate_content(message: AIMessage) -> list[types.ContentBlock]:
    """v1 blocks of a whole message: reasoning, text, the spoken answer as one WAV ``audio`` block, tool calls."""
    return _blocks(message, whole=True)


def translate_content_chunk(message: AIMessageChunk) -> list[types.ContentBlock]:
    """v1 blocks of a chunk: text and reasoning with a stable ``index`` (they merge into one block each), each PCM
    piece as its own ``audio`` block. A sum that holds the whole answer (its first and last chunk) gives one WAV."""
    audio = message.additional_kwargs.get("audio")
    whole = message.chunk_position == "last" and isinstance(audio, Mapping) and "format" in audio
    return _blocks(message, whole=whole)


def _blocks(message: AIMessage, *, whole: bool) -> list[types.ContentBlock]:
    if not isinstance(message.content, str):
        raise NotImplementedError  # list content (not made by this package): LangChain's best-effort parsing
    blocks: list[types.ContentBlock] = []
    reasoning = message.additional_kwargs.get("reasoning_content")
    if reasoning:
        reasoning_block = types.ReasoningContentBlock(type="reasoning", reasoning=str(reasoning))
        if not whole:
            reasoning_block["index"] = _REASONING_INDEX
        blocks.append(reasoning_block)
    if message.content:
        text_block = types.TextContentBlock(type="text", text=message.content)
        if not whole:
            text_block["index"] = _TEXT_INDEX
        blocks.append(text_block)
    audio = message.additional_kwargs.get("audio")
    if isinstance(audio, Mapping) and (audio.get("data") or audio.get("pcm")):
        blocks.extend([_wav_block(audio, message)] if whole else _pcm_blocks(audio))
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


def _wav_block(audio: Mapping[str, Any], message: AIMessage) -> types.AudioContentBlock:
    if audio.get("format") == WAV_FORMAT and audio.get("data"):
        data = str(audio["data"])
    else:
        pcm, _ = audio_bytes(message)
        data = base64.b64encode(pcm16_to_wav(pcm)).decode("ascii")
    block = types.AudioContentBlock(
        type="audio",
        base64=data,
        mime_type=WAV_MIME_TYPE,
        extras={"transcript": audio.get("transcript") or message.text},
    )
    if audio.get("id"):
        block["id"] = str(audio["id"])
    return block


def _pcm_blocks(audio: Mapping[str, Any]) -> list[types.ContentBlock]:
    pieces = audio.get("pcm")
    if not isinstance(pieces, list):  # an older single-string shape
        pieces = [str(audio["data"])]
    # each piece its own block: a shared index would make LangChain concatenate their base64 at every merge
    last = int(audio.get("index") or 0)
    first = last - len(pieces) + 1
    return [
        types.AudioContentBlock(
            type="audio",
            base64=str(piece),
            mime_type=PCM_MIME_TYPE,
            index=f"lc_audio_{first + n}",
            extras=dict(_PCM_EXTRAS),
        )
        for n, piece in enumerate(pieces)
    ]
