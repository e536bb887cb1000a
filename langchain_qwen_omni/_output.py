"""The core's answer as LangChain messages: streamed deltas -> ``AIMessageChunk``, a whole answer -> ``AIMessage``,
and the v1 ``content_blocks`` of both. Pure: no I/O, no client.

A spoken answer has one shape on every path (:mod:`._spoken`): base64 PCM pieces in ``additional_kwargs["audio"]``,
each the core's base64 as the API sent it (passed on, never decoded and encoded again), appended when chunks are
summed; the v1 view of a whole answer is one WAV ``audio`` block, made from the pieces by a join.

Example:
    >>> conv = ChunkConverter()
    >>> first = conv.convert(AudioDelta(data="AQABAAEA", audio_id="audio_1"))
    >>> dict(first.additional_kwargs["audio"])
    {'id': 'audio_1', 'format': 'pcm16', 'sample_rate': 24000, 'pcm': ['AQABAAEA']}
    >>> last = conv.close(model="m", completion_id=None)
    >>> dict((first + last).additional_kwargs["audio"])["transcript"]
    ''
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, assert_never

from langchain_core.messages import AIMessage, AIMessageChunk
from langchain_core.messages import content as types
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import invalid_tool_call, tool_call, tool_call_chunk

from qwen_omni.adapter_support import usage_summary
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
from qwen_omni.structured import StructuredOutcome

from ._spoken import PCM_FORMAT, SpokenAudio, wav_block

__all__ = [
    "PROVIDER",
    "AnswerBuilder",
    "ChunkConverter",
    "structured_message",
    "translate_content",
    "translate_content_chunk",
    "usage_metadata",
]

#: The ``model_provider`` tag on every message this package makes; LangChain looks up our translator by it.
PROVIDER = "qwen_omni"
_TEXT_INDEX = "lc_text"
_REASONING_INDEX = "lc_reasoning"


def _chunk(**fields: Any) -> AIMessageChunk:
    metadata = {"model_provider": PROVIDER, **fields.pop("response_metadata", {})}
    return AIMessageChunk(content=fields.pop("content", ""), response_metadata=metadata, **fields)


class ChunkConverter:
    """Turns one stream's core deltas into ``AIMessageChunk`` objects, as they arrive.

    ``output_version="v1"``: the last chunk (:meth:`close`) carries the whole answer's one WAV ``audio`` block, so
    the sum of the stream has it; for that the converter keeps a reference to each piece (the chunks hold the same
    strings). It also keeps the answer's text, the spoken answer's transcript.
    """

    def __init__(self, *, output_version: str | None = None) -> None:
        self._v1 = output_version == "v1"
        self._pieces: list[str] = []
        self._spoken = False
        self._audio_id: str | None = None
        self._text: list[str] = []
        self._transcribed = False

    def convert(self, delta: Delta) -> AIMessageChunk | None:
        """The chunk for one delta (None: nothing to send)."""
        if isinstance(delta, TextDelta):
            self._text.append(delta.text)
            return _chunk(content=delta.text)
        if isinstance(delta, ReasoningDelta):
            return _chunk(additional_kwargs={"reasoning_content": delta.text})
        if isinstance(delta, AudioDelta):
            return _chunk(additional_kwargs={"audio": self._piece(delta)})
        if isinstance(delta, TranscriptDelta):
            self._transcribed = True
            return _chunk(additional_kwargs={"audio": SpokenAudio(transcript=delta.text)})
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

    def _piece(self, delta: AudioDelta) -> SpokenAudio:
        # strings concatenate when chunks are summed: the id, format and rate go on the first piece only
        audio = SpokenAudio()
        if not self._spoken:
            self._spoken = True
            self._audio_id = delta.audio_id
            if delta.audio_id:
                audio["id"] = delta.audio_id
            audio.update(format=PCM_FORMAT, sample_rate=OUTPUT_SAMPLE_RATE)
        audio["pcm"] = [delta.data]
        if self._v1:
            self._pieces.append(delta.data)
        return audio

    def close(self, *, model: str | None, completion_id: str | None) -> AIMessageChunk:
        """The last chunk: the model name and completion id; for a spoken answer its transcript (unless the stream
        sent it), and in v1 its one WAV block."""
        kwargs: dict[str, Any] = {}
        metadata: dict[str, Any] = {"model_name": model, **({"id": completion_id} if completion_id else {})}
        content: str | list[str | dict[str, Any]] = ""
        if self._spoken:
            transcript = "".join(self._text)
            if not self._transcribed:
                kwargs["audio"] = SpokenAudio(transcript=transcript)
            if self._v1:
                audio = {"pcm": self._pieces, "id": self._audio_id}
                block = wav_block(audio, transcript)
                self._pieces = []
                if block is not None:
                    content = [dict(block)]
                    metadata["output_version"] = "v1"
        return _chunk(content=content, additional_kwargs=kwargs, response_metadata=metadata, chunk_position="last")


class AnswerBuilder:
    """Builds the whole answer's ``AIMessage`` from the deltas and the core's result, without LangChain's chunk sums.

    The spoken answer is kept as the core's base64 pieces, as a sum of the stream holds it.

    Example:
        >>> from qwen_omni.stream import StreamAccumulator
        >>> acc, builder = StreamAccumulator(), AnswerBuilder()
        >>> for delta in acc.feed({"choices": [{"delta": {"content": "Hi"}, "finish_reason": "stop"}]}):
        ...     builder.add(delta)
        >>> builder.message(acc.finish(), model="qwen3-omni-flash").content
        'Hi'
    """

    def __init__(self) -> None:
        self._pieces: list[str] = []

    def add(self, delta: Delta) -> None:
        if isinstance(delta, AudioDelta):
            self._pieces.append(delta.data)

    def message(self, result: OmniResult, *, model: str, message_id: str | None = None) -> AIMessage:
        extra: dict[str, Any] = {}
        if result.reasoning:
            extra["reasoning_content"] = result.reasoning
        if self._pieces or result.transcript:
            audio = SpokenAudio()
            if self._pieces:
                if result.audio_id:
                    audio["id"] = result.audio_id
                audio.update(format=PCM_FORMAT, sample_rate=OUTPUT_SAMPLE_RATE, pcm=self._pieces)
            audio["transcript"] = result.transcript or result.text
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


def structured_message(outcome: StructuredOutcome, *, model: str, message_id: str | None = None) -> AIMessage:
    """The message of a structured request: the last answer, whose content is the JSON found when it fits (prose
    around it dropped, as a provider's structured output has none), with the usage of every request and
    ``response_metadata["structured_output"]``: the schema's name, whether it fits, the repairs sent, the errors."""
    last = outcome.last
    builder = AnswerBuilder()
    if last.audio:
        builder.add(AudioDelta(last.audio, last.audio_id))
    text = outcome.text if outcome.valid and not last.tool_calls else last.text
    result = dataclasses.replace(last, text=text, usage=outcome.usage)
    message = builder.message(result, model=model, message_id=message_id)
    if outcome.called_tools:
        return message  # an agent's tool turn: not the structured answer yet
    message.response_metadata["structured_output"] = {
        "schema": outcome.schema.name,
        "valid": outcome.valid,
        "repairs": outcome.repairs,
        "errors": list(outcome.errors),
    }
    return message


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


# -- v1 content blocks -----------------------------------------------------------------------------------


def translate_content(message: AIMessage) -> list[types.ContentBlock]:
    """v1 blocks of a whole message: reasoning, text, the spoken answer as one WAV ``audio`` block, tool calls."""
    return _blocks(message, whole=True)


def translate_content_chunk(message: AIMessageChunk) -> list[types.ContentBlock]:
    """v1 blocks of a chunk: text and reasoning with a stable ``index`` (they merge into one block each); no audio
    block (the pieces are in ``additional_kwargs``). A sum that holds a whole answer (its first and last chunk) gives
    the blocks of a whole message, with the one WAV block."""
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
    if whole and isinstance(audio, Mapping):
        transcript = audio.get("transcript")
        spoken = wav_block(audio, str(transcript) if transcript else message.text)
        if spoken is not None:
            blocks.append(spoken)
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
