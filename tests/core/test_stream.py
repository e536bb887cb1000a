"""The stream accumulator on hand-written chunk sequences (dicts and openai SDK objects)."""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import pytest
from openai.types.chat import ChatCompletionChunk

from qwen_omni.audio import wav_to_pcm16
from qwen_omni.errors import APIProtocolError, ContentModerationError, IncompleteResponseError, StreamErrorEvent
from qwen_omni.stream import (
    AudioDelta,
    FinishDelta,
    ReasoningDelta,
    StreamAccumulator,
    TextDelta,
    ToolCallDelta,
    TranscriptDelta,
    UsageDelta,
    parse_partial_json,
)

PCM = bytes(range(256)) * 40  # 10,240 bytes: an even number, so whole PCM16 samples


def chunk(delta: dict[str, Any] | None = None, finish: str | None = None, **extra: Any) -> dict[str, Any]:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}]
    return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1, "model": "m", "choices": choices,
            **extra}  # fmt: skip


def pieces(data: bytes, sizes: list[int]) -> list[bytes]:
    out, start = [], 0
    for size in sizes:
        out.append(data[start : start + size])
        start += size
    out.append(data[start:])
    return out


def audio_chunks(style: str) -> list[dict[str, Any]]:
    chunks = [chunk({"role": "assistant", "content": ""})]
    words = ["Hello", " there", "."]
    for i, part in enumerate(pieces(PCM, [1001, 3000, 2999])):  # odd sizes: samples split across chunks
        audio: dict[str, Any] = {"id": "audio_1", "data": base64.b64encode(part).decode()}
        if style == "transcript" and i < len(words):
            audio["transcript"] = words[i]
        delta: dict[str, Any] = {"audio": audio}
        if style == "content" and i < len(words):
            delta["content"] = words[i]
        chunks.append(chunk(delta))
    chunks.append(chunk({}, finish="stop"))
    usage = {"prompt_tokens": 10, "completion_tokens": 20, "total_tokens": 30,
             "prompt_tokens_details": {"text_tokens": 10},
             "completion_tokens_details": {"text_tokens": 3, "audio_tokens": 17}}  # fmt: skip
    chunks.append(chunk(None, usage=usage))
    return chunks


@pytest.mark.parametrize("style", ["content", "transcript"])
@pytest.mark.parametrize("as_sdk_objects", [False, True])
def test_audio_in_both_text_styles_is_bit_exact(style: str, as_sdk_objects: bool) -> None:
    acc = StreamAccumulator()
    deltas = []
    for raw in audio_chunks(style):
        fed = ChatCompletionChunk.model_validate(raw) if as_sdk_objects else raw
        deltas.extend(acc.feed(fed))
    result = acc.finish()

    assert result.text == "Hello there."
    assert result.transcript == ("Hello there." if style == "transcript" else "")
    assert result.audio == PCM
    assert wav_to_pcm16(result.wav()) == PCM
    audio_deltas = [d for d in deltas if isinstance(d, AudioDelta)]
    assert all(len(d.pcm) % 2 == 0 for d in audio_deltas), "every audio delta holds whole samples"
    assert b"".join(d.pcm for d in audio_deltas) == PCM
    assert [d.text for d in deltas if isinstance(d, TextDelta)] == ["Hello", " there", "."]
    assert (len([d for d in deltas if isinstance(d, TranscriptDelta)]) == 3) is (style == "transcript")
    assert result.usage is not None
    assert result.usage.completion_tokens_details == {"text_tokens": 3, "audio_tokens": 17}
    assert result.finish_reason == "stop"
    assert result.audio_id == "audio_1"
    assert result.audio_seconds == pytest.approx(len(PCM) / 48_000)


def test_audio_as_sdk_object_is_read_by_attribute() -> None:
    raw = chunk({"audio": {"id": "a", "data": base64.b64encode(b"\x01\x02").decode(), "expires_at": 1}})
    sdk = ChatCompletionChunk.model_validate(raw)
    assert not isinstance(sdk.choices[0].delta.audio, dict)
    assert StreamAccumulator().feed(sdk) == [AudioDelta(b"\x01\x02", "a")]


def test_deltas_come_out_in_order_one_chunk_at_a_time() -> None:
    acc = StreamAccumulator()
    assert acc.feed(chunk({"role": "assistant", "content": ""})) == []
    assert acc.feed(chunk({"reasoning_content": "Let me think."})) == [ReasoningDelta("Let me think.")]
    assert acc.feed(chunk({"content": "Answer"})) == [TextDelta("Answer")]
    assert acc.feed(chunk({}, finish="stop")) == [FinishDelta("stop")]
    (usage_delta,) = acc.feed(chunk(None, usage={"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3}))
    assert isinstance(usage_delta, UsageDelta)
    result = acc.finish()
    assert (result.reasoning, result.text, result.model, result.id) == ("Let me think.", "Answer", "m", "chatcmpl-1")


def test_tool_call_fragments_are_joined_and_parsed() -> None:
    acc = StreamAccumulator()
    first = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}
    acc.feed(chunk({"tool_calls": [first]}))
    for fragment in ['{"ci', 'ty": "Par', 'is", "days"', ": 2}"]:
        deltas = acc.feed(chunk({"tool_calls": [{"index": 0, "function": {"arguments": fragment}}]}))
        assert deltas == [ToolCallDelta(index=0, arguments=fragment)]
    second = {"index": 1, "id": "call_2", "type": "function", "function": {"name": "noop", "arguments": "{}"}}
    acc.feed(chunk({"tool_calls": [second]}, finish="tool_calls"))
    result = acc.finish()
    assert [(c.id, c.name, c.arguments) for c in result.tool_calls] == [
        ("call_1", "get_weather", {"city": "Paris", "days": 2}),
        ("call_2", "noop", {}),
    ]
    assert result.tool_calls[0].to_wire()["function"]["arguments"] == '{"city": "Paris", "days": 2}'
    assert result.finish_reason == "tool_calls"


def test_invalid_tool_arguments_are_kept_with_an_error() -> None:
    acc = StreamAccumulator()
    acc.feed(chunk({"tool_calls": [{"index": 0, "id": "c", "function": {"name": "f", "arguments": "{oops"}}]}))
    acc.feed(chunk({}, finish="tool_calls"))
    (call,) = acc.finish().tool_calls
    assert call.arguments is None
    assert call.raw_arguments == "{oops"
    assert call.error is not None and "invalid JSON" in call.error


def test_error_object_mid_stream_raises_with_code() -> None:
    acc = StreamAccumulator()
    acc.feed(chunk({"content": "Partial"}))
    error = {"error": {"message": "Output data may contain inappropriate content.", "type": "x",
                       "code": "data_inspection_failed"}, "request_id": "req-9"}  # fmt: skip
    with pytest.raises(StreamErrorEvent) as info:
        acc.feed(error)
    assert isinstance(info.value, ContentModerationError), "moderation is catchable wherever it happens"
    assert info.value.code == "data_inspection_failed"
    assert info.value.request_id == "req-9"
    assert "inappropriate" in str(info.value)


def test_stream_without_finish_reason_is_incomplete() -> None:
    acc = StreamAccumulator()
    acc.feed(chunk({"content": "Half an ans"}))
    with pytest.raises(IncompleteResponseError, match="without a finish reason") as info:
        acc.finish()
    assert info.value.partial.text == "Half an ans"


def test_audio_cut_inside_a_base64_group_is_incomplete() -> None:
    acc = StreamAccumulator()
    acc.feed(chunk({"audio": {"data": base64.b64encode(b"\x00\x01\x02\x03").decode()[:5]}}))
    acc.feed(chunk({}, finish="stop"))
    with pytest.raises(IncompleteResponseError, match="audio is incomplete"):
        acc.finish()


def test_invalid_base64_audio_raises() -> None:
    with pytest.raises(APIProtocolError, match="not valid base64"):
        StreamAccumulator().feed(chunk({"audio": {"data": "!!!!"}}))


def test_choices_other_than_the_first_are_ignored() -> None:
    acc = StreamAccumulator()
    raw = chunk({"content": "a"})
    raw["choices"].append({"index": 1, "delta": {"content": "b"}, "finish_reason": None})
    assert acc.feed(raw) == [TextDelta("a")]


def test_accumulation_is_linear_in_answer_size() -> None:
    acc = StreamAccumulator()
    for _ in range(20_000):
        acc.feed(chunk({"content": "word "}))
    acc.feed(chunk({}, finish="length"))
    assert len(acc.finish().text) == 100_000
    assert acc._text.__class__ is list  # pieces are kept, joined once


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"city": "Par', {"city": "Par"}),
        ('{"a": 1, "b', {"a": 1}),
        ('{"a": [1, 2', {"a": [1, 2]}),
        ("", {}),
        ('{"a": {"b": true}}', {"a": {"b": True}}),
        ("[1, 2]", {}),
    ],
)
def test_parse_partial_json(raw: str, expected: dict[str, Any]) -> None:
    assert parse_partial_json(raw) == expected
    json.dumps(parse_partial_json(raw))


@pytest.mark.parametrize(
    ("chunk", "where"),
    [
        ({"choices": [{"index": 0, "delta": {"content": 5}}]}, "delta.content"),
        ({"choices": [{"index": 0, "delta": {"reasoning_content": ["x"]}}]}, "delta.reasoning_content"),
        ({"choices": [{"index": 0, "delta": {"audio": {"data": 12}}}]}, "delta.audio.data"),
        ({"choices": [{"index": 0, "delta": {"audio": "abc"}}]}, "delta.audio"),
        ({"choices": [{"index": "0", "delta": {}}]}, "choice.index"),
        ({"choices": {"index": 0}}, "chunk.choices"),
        ({"choices": ["x"]}, "choice"),
        ({"choices": [{"index": 0, "delta": "text"}]}, "choice.delta"),
        ({"choices": [{"index": 0, "delta": {}, "finish_reason": 1}]}, "choice.finish_reason"),
        ({"choices": [{"index": 0, "delta": {"tool_calls": [{"function": {"arguments": {}}}]}}]}, "function.arguments"),
        ({"choices": [], "usage": {"prompt_tokens": "many"}}, "usage.prompt_tokens"),
        ({"choices": [], "usage": 7}, "chunk.usage"),
        ({"model": 3, "choices": []}, "chunk.model"),
        ([1, 2], "chunk"),
    ],
)
def test_a_field_of_the_wrong_type_is_a_protocol_error_when_it_arrives(chunk: Any, where: str) -> None:
    acc = StreamAccumulator()
    with pytest.raises(APIProtocolError, match=re.escape(f"{where} is")):
        acc.feed(chunk)


def test_sdk_chunks_with_wrong_types_are_caught_too() -> None:
    chunk = ChatCompletionChunk.construct(id="c", choices=[{"index": 0, "delta": {"content": 42}}])
    with pytest.raises(APIProtocolError, match=r"delta\.content is int"):
        StreamAccumulator().feed(chunk)
