"""The pure conversions of the LangChain adapter, without any server."""

from __future__ import annotations

import base64
import json
import random
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_qwen_omni import audio_pcm, audio_wav
from langchain_qwen_omni._convert import assistant_text, langchain_profile, to_core_messages
from langchain_qwen_omni._output import ChunkConverter, translate_content, translate_content_chunk, usage_metadata
from langchain_qwen_omni._spoken import SpokenAudio
from langchain_qwen_omni._structured import add_json_instruction, tool_choice_to_wire
from qwen_omni import samples
from qwen_omni.audio import ALIGNED_WAV_HEADER_BYTES, pcm16_to_wav, wav_to_pcm16
from qwen_omni.errors import InvalidRequestError, MediaError
from qwen_omni.local_media import LocalMediaPolicy
from qwen_omni.parts import ImagePart
from qwen_omni.request import Message, RequestOptions, build_payload
from qwen_omni.stream import (
    AudioDelta,
    FinishDelta,
    ReasoningDelta,
    TextDelta,
    ToolCallDelta,
    TranscriptDelta,
    Usage,
    UsageDelta,
)


def wire(
    *messages: Any, model: str = "qwen3.5-omni-flash", local_media: LocalMediaPolicy | None = None
) -> list[dict[str, Any]]:
    """The wire messages the core would send for LangChain ``messages`` (validated, nothing sent)."""
    payload = build_payload(to_core_messages(list(messages), local_media), RequestOptions(model=model))
    return list(payload["messages"])


def user_parts(*blocks: Any, local_media: LocalMediaPolicy | None = None) -> list[dict[str, Any]]:
    return list(wire(HumanMessage(list(blocks)), local_media=local_media)[0]["content"])


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


# -- inbound -----------------------------------------------------------------------------------------------


def test_plain_strings_and_text_blocks() -> None:
    assert wire(HumanMessage("Hi"))[0] == {"role": "user", "content": "Hi"}
    assert user_parts("a", {"type": "text", "text": "b"}) == [
        {"type": "text", "text": "a"},
        {"type": "text", "text": "b"},
    ]


def test_openai_style_parts_and_frame_lists_pass_through_unchanged() -> None:
    image = {"type": "image_url", "image_url": {"url": "https://e.com/a.png", "detail": "high"}, "max_pixels": 50176}
    audio = {"type": "input_audio", "input_audio": {"data": "https://e.com/a.mp3", "format": "mp3"}}
    video = {"type": "video_url", "video_url": {"url": "https://e.com/a.mp4"}, "fps": 1}
    frames = {"type": "video", "video": ["https://e.com/1.jpg", "https://e.com/2.jpg"], "fps": 2}
    assert user_parts(image, audio, video, frames) == [image, audio, video, frames]


def test_v1_image_blocks_by_url_base64_and_path(tmp_path: Path) -> None:
    png = samples.image_png(32, 24)
    path = tmp_path / "pic.png"
    path.write_bytes(png)
    by_url = {"type": "image", "url": "https://e.com/a.png", "extras": {"min_pixels": 3136, "max_pixels": 50176}}
    parts = user_parts(
        by_url,
        {"type": "image", "base64": b64(png), "mime_type": "image/png"},
        {"type": "image", "path": str(path)},
        {"type": "image", "url": path.as_uri()},
        local_media=LocalMediaPolicy(tmp_path),
    )
    assert parts[0] == {
        "type": "image_url", "image_url": {"url": "https://e.com/a.png"}, "min_pixels": 3136, "max_pixels": 50176
    }  # fmt: skip
    inline = f"data:image/png;base64,{b64(png)}"
    assert [p["image_url"]["url"] for p in parts[1:]] == [inline, inline, inline]


def test_v1_audio_blocks_get_the_format_the_api_expects() -> None:
    mp3 = samples.tone_mp3(0.5)
    # audio/mpeg is "mp3" to the API (ChatOpenAI sends "mpeg"); a URL's format comes from its extension.
    by_mime, by_url = user_parts(
        {"type": "audio", "base64": b64(mp3), "mime_type": "audio/mpeg"},
        {"type": "audio", "url": "https://e.com/talk.wav"},
    )
    assert by_mime == {"type": "input_audio", "input_audio": {"data": f"data:;base64,{b64(mp3)}", "format": "mp3"}}
    assert by_url == {"type": "input_audio", "input_audio": {"data": "https://e.com/talk.wav", "format": "wav"}}


def test_v1_video_blocks_with_fps_in_extras() -> None:
    mp4 = samples.video_mp4(1.0)
    (inline,) = user_parts({"type": "video", "base64": b64(mp4), "mime_type": "video/mp4", "extras": {"fps": 1}})
    assert inline == {"type": "video_url", "video_url": {"url": f"data:;base64,{b64(mp4)}"}, "fps": 1}


@pytest.mark.parametrize(
    ("block", "expected"),
    [
        ({"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf"}, "does not read documents"),
        ({"type": "text-plain", "text": "x", "mime_type": "text/plain"}, "does not read documents"),
        ({"type": "image", "file_id": "file-1"}, "no file store"),
        ({"type": "image"}, "needs 'url', 'base64'"),
        ({"type": "tool_use", "id": "x"}, "Unsupported content block type 'tool_use'"),
    ],
)
def test_unsupported_blocks_are_clear_errors(block: dict[str, Any], expected: str) -> None:
    with pytest.raises(InvalidRequestError, match=expected):
        to_core_messages([HumanMessage([block])])


def test_bad_base64_is_a_media_error() -> None:
    (message,) = to_core_messages([HumanMessage([{"type": "image", "base64": "%%%", "mime_type": "image/png"}])])
    assert isinstance(message.content, list)
    with pytest.raises(MediaError, match="not valid base64"):  # checked when the payload is built, before sending
        build_payload([message], RequestOptions())


def test_base64_blocks_go_on_the_wire_as_given() -> None:
    png = samples.image_png(32, 24)
    text = base64.b64encode(png).decode()
    (message,) = to_core_messages([HumanMessage([{"type": "image", "base64": text, "mime_type": "image/png"}])])
    assert isinstance(message.content, list)
    (image,) = message.content
    assert isinstance(image, ImagePart) and image.loaded.data == png  # decoded once, for the checks
    assert image.loaded.base64 is text  # the caller's own string, not a copy encoded again
    assert build_payload([message], RequestOptions())["messages"][0]["content"][0]["image_url"]["url"] == (
        "data:image/png;base64," + text
    )


def test_system_and_tool_messages_are_text_only() -> None:
    messages = wire(
        SystemMessage([{"type": "text", "text": "Be "}, "brief."]),
        HumanMessage("Hi"),
        AIMessage("", tool_calls=[{"id": "c1", "name": "f", "args": {"city": "東京"}}]),
        ToolMessage([{"type": "text", "text": "sunny"}], tool_call_id="c1"),
    )
    assert messages[0] == {"role": "system", "content": "Be brief."}
    assert messages[3] == {"role": "tool", "content": "sunny", "tool_call_id": "c1"}
    with pytest.raises(InvalidRequestError, match="only in user messages"):
        to_core_messages([SystemMessage([{"type": "image", "url": "https://e.com/a.png"}])])


def test_assistant_turns_are_reduced_to_text_and_tool_calls() -> None:
    spoken = AIMessage("", additional_kwargs={"audio": {"data": "AAAA", "format": "wav", "transcript": "Hello."}})
    thinking = AIMessage([{"type": "reasoning", "reasoning": "Let me think."}, {"type": "text", "text": "Four."}])
    v1_spoken = AIMessage(
        [{"type": "audio", "base64": "AAAA", "mime_type": "audio/wav", "extras": {"transcript": "Hi"}}]
    )
    caller = AIMessage("", tool_calls=[{"id": "c1", "name": "f", "args": {"city": "東京"}}])
    sent = wire(HumanMessage("a"), spoken, HumanMessage("b"), thinking, HumanMessage("c"), v1_spoken, caller)
    assert [sent[i]["content"] for i in (1, 3, 5, 6)] == ["Hello.", "Four.", "Hi", ""]
    assert sent[-1]["tool_calls"] == [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": '{"city": "東京"}'}}
    ]
    assert "audio" not in json.dumps(sent)


def test_chat_messages_and_unknown_types() -> None:
    converted = to_core_messages([ChatMessage(role="human", content="x"), ChatMessage(role="ai", content="y")])
    assert [m.role for m in converted] == ["user", "assistant"]
    with pytest.raises(InvalidRequestError, match="role 'critic'"):
        to_core_messages([ChatMessage(role="critic", content="x")])
    with pytest.raises(InvalidRequestError, match="FunctionMessage"):
        to_core_messages([FunctionMessage(name="f", content="x")])


def test_assistant_text_of_a_message_without_text() -> None:
    assert assistant_text(AIMessage("")) == ""


# -- outbound ----------------------------------------------------------------------------------------------


def convert_all(deltas: list[Any], output_version: str | None = None) -> list[AIMessageChunk]:
    converter = ChunkConverter(output_version=output_version)
    chunks = [c for d in deltas if (c := converter.convert(d)) is not None]
    return [*chunks, converter.close(model="qwen3-omni-flash", completion_id="chatcmpl-1")]


def total(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    return full


@pytest.mark.parametrize("seed", range(5))
def test_streamed_pieces_are_the_cores_base64_and_sum_bit_exactly(seed: int) -> None:
    rng = random.Random(seed)
    pcm = bytes(rng.randrange(256) for _ in range(2 * 5000))
    pieces, offset = [], 0
    while offset < len(pcm):
        size = 2 * rng.randint(1, 700)  # whole samples, any number of them, as the core delivers
        pieces.append(pcm[offset : offset + size])
        offset += size
    deltas = [AudioDelta(data=b64(p), audio_id="audio_1") for p in pieces]
    chunks = convert_all([TextDelta("Hi"), *deltas, FinishDelta("stop")])
    audio = [c.additional_kwargs["audio"] for c in chunks if "pcm" in c.additional_kwargs.get("audio", {})]
    # each chunk holds the core's own string for its piece: passed on, never decoded and encoded again
    assert all(a["pcm"][0] is d.data for a, d in zip(audio, deltas, strict=True))
    assert [a.get("format") for a in audio].count("pcm16") == 1 and audio[0]["id"] == "audio_1"
    full = total(chunks)
    assert isinstance(full.additional_kwargs["audio"], SpokenAudio)
    assert full.additional_kwargs["audio"]["pcm"] == [d.data for d in deltas]
    assert full.additional_kwargs["audio"]["transcript"] == "Hi"
    assert audio_pcm(full) == pcm == b"".join(audio_pcm(c) for c in chunks)
    wav = audio_wav(full)
    assert wav_to_pcm16(wav) == pcm and len(wav) == ALIGNED_WAV_HEADER_BYTES + len(pcm)
    (block,) = [b for b in full.content_blocks if b["type"] == "audio"]
    assert base64.b64decode(block["base64"]) == wav  # type: ignore[typeddict-item]


def test_every_delta_kind_becomes_a_chunk() -> None:
    usage = Usage(10, 7, 17, {"text_tokens": 4, "audio_tokens": 5, "image_tokens": 1, "cached_tokens": 2},
                  {"text_tokens": 3, "audio_tokens": 2, "reasoning_tokens": 2})  # fmt: skip
    chunks = convert_all(
        [
            ReasoningDelta("Think"),
            ReasoningDelta("ing."),
            TextDelta("Hel"),
            TranscriptDelta("Hel"),
            TextDelta("lo"),
            ToolCallDelta(0, "call_1", "get_weather", ""),
            ToolCallDelta(0, None, None, '{"city": '),
            ToolCallDelta(0, None, None, '"Paris"}'),
            FinishDelta("tool_calls"),
            UsageDelta(usage),
        ]
    )
    full = total(chunks)
    assert full.content == "Hello"
    assert full.additional_kwargs == {"reasoning_content": "Thinking.", "audio": {"transcript": "Hel"}}
    assert [b["type"] for b in full.content_blocks] == ["reasoning", "text", "tool_call"]  # no speech, no audio block
    assert full.tool_calls == [{"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1", "type": "tool_call"}]
    assert full.response_metadata == {
        "model_provider": "qwen_omni",
        "finish_reason": "tool_calls",
        "model_name": "qwen3-omni-flash",
        "id": "chatcmpl-1",
        "prompt_tokens_details": usage.prompt_tokens_details,
        "completion_tokens_details": usage.completion_tokens_details,
    }
    assert full.usage_metadata == {
        "input_tokens": 10,
        "output_tokens": 7,
        "total_tokens": 17,
        "input_token_details": {"audio": 5, "cache_read": 2},
        "output_token_details": {"audio": 2, "reasoning": 2},
    }
    assert chunks[-1].chunk_position == "last"


def test_usage_without_details() -> None:
    assert usage_metadata(Usage(3, 4, 7)) == {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}


def test_v1_blocks_of_a_whole_message() -> None:
    pcm = samples.tone_pcm16(0.05)
    audio = SpokenAudio(id="a1", format="pcm16", sample_rate=24000, pcm=[b64(pcm[:1200]), b64(pcm[1200:])],
                        transcript="Hi.")  # fmt: skip
    message = AIMessage(
        "Hi.",
        additional_kwargs={"reasoning_content": "Greet.", "audio": audio},
        tool_calls=[{"id": "c1", "name": "f", "args": {}}],
        response_metadata={"model_provider": "qwen_omni"},
    )
    blocks = message.content_blocks
    assert [b["type"] for b in blocks] == ["reasoning", "text", "audio", "tool_call"]
    spoken = blocks[2]
    assert spoken["mime_type"] == "audio/wav" and spoken["id"] == "a1"  # type: ignore[typeddict-item]
    assert spoken["extras"] == {"transcript": "Hi.", "sample_rate": 24000, "channels": 1, "sample_width": 2}  # type: ignore[typeddict-item]
    assert wav_to_pcm16(base64.b64decode(spoken["base64"])) == pcm  # type: ignore[typeddict-item]
    assert blocks == translate_content(message)


def test_v1_chunks_hold_no_audio_block_and_the_last_one_holds_the_whole_wav() -> None:
    pcm = samples.tone_pcm16(0.1)
    deltas = [ReasoningDelta("a"), ReasoningDelta("b"), TextDelta("c"), AudioDelta(pcm[:4800]), TextDelta("d"),
              AudioDelta(pcm[4800:]), ToolCallDelta(0, "c1", "f", '{"x"'), ToolCallDelta(0, None, None, ": 1}"),
              FinishDelta("stop")]  # fmt: skip
    chunks = convert_all(deltas, output_version="v1")
    *pieces, last = chunks
    assert all("audio" not in [b["type"] for b in translate_content_chunk(c)] for c in pieces)
    v1 = [c.model_copy(update={"content": c.content_blocks}) for c in pieces] + [last]
    merged = total(v1)
    kinds = [b["type"] for b in merged.content if isinstance(b, dict)]
    assert kinds == ["reasoning", "text", "tool_call", "audio"]  # LangChain parses the call in the last chunk's sum
    reasoning, text, call, audio = merged.content
    assert (reasoning["reasoning"], text["text"], call["args"]) == ("ab", "cd", {"x": 1})  # type: ignore[index]
    assert audio["mime_type"] == "audio/wav" and wav_to_pcm16(base64.b64decode(audio["base64"])) == pcm  # type: ignore[index]
    assert base64.b64decode(audio["base64"]) == audio_wav(merged)  # type: ignore[index]
    # the v0 converter's last chunk carries no audio: the sum holds the pieces once
    assert convert_all(deltas)[-1].content == ""


def test_the_old_data_key_reads_the_wav_with_a_deprecation_warning() -> None:
    pcm = samples.tone_pcm16(0.05)
    audio = SpokenAudio(format="pcm16", sample_rate=24000, pcm=[b64(pcm)])
    message = AIMessage("Hi.", additional_kwargs={"audio": audio})
    with pytest.warns(DeprecationWarning, match=r"audio_wav\(message\)"):
        data = message.additional_kwargs["audio"]["data"]
    assert base64.b64decode(data) == audio_wav(message)
    with pytest.warns(DeprecationWarning, match="deprecated"):
        assert message.additional_kwargs["audio"].get("data") == data
    assert "data" not in audio and audio.get("nothing", 3) == 3
    with pytest.raises(KeyError):
        SpokenAudio()["data"]
    assert SpokenAudio().get("data") is None
    assert type(audio.copy()) is SpokenAudio and audio.copy() == audio


def test_messages_made_before_the_one_shape_still_read() -> None:
    pcm = samples.tone_pcm16(0.05)
    old_invoke = AIMessage("Hi.", additional_kwargs={"audio": {"data": b64(pcm16_to_wav(pcm)), "format": "wav"}})
    old_v1 = AIMessage([{"type": "audio", "base64": b64(pcm16_to_wav(pcm)), "mime_type": "audio/wav"}])
    for message in (old_invoke, old_v1):
        assert audio_pcm(message) == pcm and wav_to_pcm16(audio_wav(message)) == pcm


def test_list_content_falls_back_to_langchains_parsing() -> None:
    message = AIMessage([{"type": "text", "text": "x"}], response_metadata={"model_provider": "qwen_omni"})
    assert message.content_blocks == [{"type": "text", "text": "x"}]


def test_audio_helpers_on_a_message_without_audio() -> None:
    assert audio_wav(AIMessage("x")) == b"" == audio_pcm(AIMessage("x"))


# -- tools, JSON mode, profiles ----------------------------------------------------------------------------


def test_tool_choice_mapping() -> None:
    named = {"type": "function", "function": {"name": "f"}}
    assert tool_choice_to_wire(None, ["f"]) is None
    assert tool_choice_to_wire("auto", ["f", "g"]) == "auto"
    assert tool_choice_to_wire("none", ["f"]) == "none"
    assert tool_choice_to_wire("f", ["f", "g"]) == named
    assert tool_choice_to_wire("any", ["f"]) == named
    assert tool_choice_to_wire(True, ["f"]) == named
    assert tool_choice_to_wire("required", ["f"]) == named
    assert tool_choice_to_wire(named, ["f"]) == named
    assert tool_choice_to_wire("any", ["f", "g"]) == "any"  # refused by the core, before sending
    with pytest.raises(InvalidRequestError, match="one of the bound tools"):
        tool_choice_to_wire("h", ["f", "g"])


def test_json_instruction_is_added_where_the_api_needs_it() -> None:
    asked = [HumanMessage("Answer in JSON.")]
    assert add_json_instruction(asked, None) is asked
    plain = add_json_instruction([HumanMessage("Tell me a joke.")], None)
    assert isinstance(plain[0], SystemMessage) and "JSON" in plain[0].text
    schema = {"type": "object", "properties": {"setup": {"type": "string"}}}
    merged = add_json_instruction([SystemMessage("Be funny."), HumanMessage("Joke, JSON.")], schema)
    assert len(merged) == 2 and merged[0].text.startswith("Be funny.") and json.dumps(schema) in merged[0].text
    build_payload(
        to_core_messages(plain), RequestOptions(response_format={"type": "json_object"})
    )  # the API rule holds: no error


def test_langchain_profiles_follow_the_core_table() -> None:
    flash, turbo = langchain_profile("qwen3-omni-flash"), langchain_profile("qwen-omni-turbo")
    assert (flash["reasoning_output"], flash["tool_calling"], flash["max_output_tokens"]) == (True, True, 16_384)
    assert (turbo["reasoning_output"], turbo["tool_calling"], turbo["video_inputs"]) == (False, False, True)
    assert langchain_profile("qwen9-omni-next")["tool_calling"] is True  # unknown: permissive, no warning


def test_message_to_core_passes_names() -> None:
    assert to_core_messages([HumanMessage("hi", name="ann")]) == [Message("user", "hi", name="ann")]


@pytest.mark.parametrize("module", ["_convert", "_output", "_structured", "audio", "chat_models", "tools", "__init__"])
def test_docstring_examples_run(module: str) -> None:
    import doctest
    import importlib

    name = "langchain_qwen_omni" if module == "__init__" else f"langchain_qwen_omni.{module}"
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
