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
from langchain_qwen_omni._output import (
    ChunkConverter,
    complete_audio,
    translate_content,
    translate_content_chunk,
    usage_metadata,
)
from langchain_qwen_omni._structured import add_json_instruction, tool_choice_to_wire
from qwen_omni import samples
from qwen_omni.audio import wav_to_pcm16
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


def convert_all(deltas: list[Any]) -> list[AIMessageChunk]:
    converter = ChunkConverter()
    chunks = [c for d in deltas if (c := converter.convert(d)) is not None]
    return [*chunks, converter.close(model="qwen3-omni-flash", completion_id="chatcmpl-1")]


def total(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    return full


@pytest.mark.parametrize("seed", range(5))
def test_streamed_pcm_pieces_sum_bit_exactly(seed: int) -> None:
    rng = random.Random(seed)
    pcm = bytes(rng.randrange(256) for _ in range(2 * 5000))
    pieces, offset = [], 0
    while offset < len(pcm):
        size = 2 * rng.randint(1, 700)  # whole samples, any number of them, as the core delivers
        pieces.append(pcm[offset : offset + size])
        offset += size
    chunks = convert_all([TextDelta("Hi"), *(AudioDelta(p, "audio_1") for p in pieces), FinishDelta("stop")])
    audio = [c.additional_kwargs["audio"] for c in chunks if "audio" in c.additional_kwargs]
    # each chunk holds one piece; every piece but the last is whole base64 groups of whole samples: playable alone,
    # no "=" padding
    assert all(len(a["pcm"]) == 1 for a in audio)
    assert all(len(base64.b64decode(a["pcm"][0])) % 6 == 0 and "=" not in a["pcm"][0] for a in audio[:-1])
    assert [a.get("format") for a in audio].count("pcm16") == 1
    full = total(chunks)
    # the sum holds the pieces as a list (LangChain's merge appends them): the same strings, none copied
    assert full.additional_kwargs["audio"]["pcm"] == [a["pcm"][0] for a in audio]
    assert b"".join(base64.b64decode(p) for p in full.additional_kwargs["audio"]["pcm"]) == pcm
    assert full.additional_kwargs["audio"]["format"] == "pcm16"
    assert audio_pcm(full) == pcm
    assert b"".join(audio_pcm(c) for c in chunks) == pcm
    assert wav_to_pcm16(audio_wav(full)) == pcm


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


def test_complete_audio_makes_one_wav_with_a_transcript() -> None:
    pcm = samples.tone_pcm16(0.05)
    streamed = AIMessage("Hi.", additional_kwargs={"audio": {"data": b64(pcm), "format": "pcm16", "id": "a1"}})
    done = complete_audio(streamed)
    audio = done.additional_kwargs["audio"]
    assert (audio["format"], audio["transcript"], audio["id"]) == ("wav", "Hi.", "a1")
    assert base64.b64decode(audio["data"])[:4] == b"RIFF"
    assert audio_pcm(done) == pcm == audio_pcm(streamed)
    assert complete_audio(AIMessage("no audio")) == AIMessage("no audio")


def test_v1_blocks_of_a_whole_message() -> None:
    pcm = samples.tone_pcm16(0.05)
    message = AIMessage(
        "Hi.",
        additional_kwargs={"reasoning_content": "Greet.", "audio": {"data": b64(pcm), "format": "pcm16"}},
        tool_calls=[{"id": "c1", "name": "f", "args": {}}],
        response_metadata={"model_provider": "qwen_omni"},
    )
    blocks = message.content_blocks
    assert [b["type"] for b in blocks] == ["reasoning", "text", "audio", "tool_call"]
    audio = blocks[2]
    assert audio["mime_type"] == "audio/wav" and audio["extras"] == {"transcript": "Hi."}
    assert wav_to_pcm16(base64.b64decode(audio["base64"])) == pcm
    assert blocks == translate_content(message)


def test_v1_blocks_of_chunks_merge_into_one_block_per_kind() -> None:
    pcm = samples.tone_pcm16(0.1)
    chunks = convert_all(
        [ReasoningDelta("a"), ReasoningDelta("b"), TextDelta("c"), AudioDelta(pcm[:4800]), TextDelta("d"),
         AudioDelta(pcm[4800:]), ToolCallDelta(0, "c1", "f", '{"x"'), ToolCallDelta(0, None, None, ": 1}"),
         FinishDelta("stop")]
    )  # fmt: skip
    v1 = [c.model_copy(update={"content": translate_content_chunk(c)}) for c in chunks]
    merged = total(v1)
    kinds = [b["type"] for b in merged.content if isinstance(b, dict)]
    assert kinds == ["reasoning", "text", "audio", "tool_call_chunk"]
    reasoning, text, audio, call = merged.content
    assert (reasoning["reasoning"], text["text"], call["args"]) == ("ab", "cd", '{"x": 1}')
    assert audio["mime_type"] == "audio/pcm" and audio["extras"]["sample_rate"] == 24000
    assert base64.b64decode(audio["base64"]) == pcm
    assert audio_pcm(merged.model_copy(update={"additional_kwargs": {}})) == pcm


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
