"""The pure conversion layer: ChatMessage blocks -> core parts, core deltas -> ChatResponse (no server)."""

from __future__ import annotations

import base64
import io
import logging
import wave
from pathlib import Path

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    CacheControl,
    CachePoint,
    ChatMessage,
    ChatResponse,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
    ThinkingBlock,
    ToolCallBlock,
    VideoBlock,
)

from llama_index_qwen_omni import FRAMES_MIMETYPE, video_frames_block
from llama_index_qwen_omni._convert import (
    ChatStream,
    keep_first_tool_call,
    resolve_tool_choice,
    to_completion_response,
    to_core_messages,
    tool_selections,
)
from qwen_omni import samples
from qwen_omni.errors import InvalidRequestError, MediaError
from qwen_omni.local_media import LocalMediaPolicy
from qwen_omni.parts import AudioPart, ImagePart, TextPart, VideoFramesPart, VideoPart
from qwen_omni.request import Message
from qwen_omni.stream import (
    AudioDelta,
    FinishDelta,
    OmniResult,
    ReasoningDelta,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    TranscriptDelta,
    Usage,
    UsageDelta,
)


def user(*blocks: object) -> ChatMessage:
    return ChatMessage(role=MessageRole.USER, blocks=list(blocks))


def only_user_parts(message: ChatMessage, local_media: LocalMediaPolicy | None = None) -> list[object]:
    (converted,) = to_core_messages([message], local_media)
    assert converted.role == "user"
    assert isinstance(converted.content, list)
    return list(converted.content)


# -- input ------------------------------------------------------------------------------------------------


def test_text_only_messages_become_strings_and_roles_map() -> None:
    messages = [
        ChatMessage(role="system", content="Be brief."),
        ChatMessage(role="developer", content="Really brief."),
        ChatMessage(role="user", blocks=[TextBlock(text="a"), TextBlock(text="b")]),
        ChatMessage(role="assistant", content="ok"),
        ChatMessage(role="model", content="ok too"),
    ]
    assert [(m.role, m.content) for m in to_core_messages(messages)] == [
        ("system", "Be brief."),
        ("system", "Really brief."),
        ("user", "a\nb"),
        ("assistant", "ok"),
        ("assistant", "ok too"),
    ]


def test_image_block_bytes_are_decoded_from_llamaindex_base64() -> None:
    png = samples.image_png(32, 24)
    text, image = only_user_parts(user(TextBlock(text="What?"), ImageBlock(image=png)))
    assert text == TextPart("What?")
    assert isinstance(image, ImagePart)
    assert image.loaded.data == png  # LlamaIndex stores base64; the part checks the real bytes
    assert image.mime == "image/png"
    stored = ImageBlock(image=png).image
    assert stored is not None
    # ... and sends the base64 LlamaIndex already holds, without encoding it again
    assert image.to_wire()["image_url"]["url"] == "data:image/png;base64," + stored.decode()


def test_image_block_url_and_path_pass_through_without_reading(tmp_path: Path) -> None:
    path = tmp_path / "cat.png"
    path.write_bytes(samples.image_png())
    message = user(ImageBlock(url="https://example.com/cat.png"), ImageBlock(path=path))
    by_url, by_path = only_user_parts(message, LocalMediaPolicy(tmp_path))
    assert isinstance(by_url, ImagePart) and by_url.source == "https://example.com/cat.png"
    assert isinstance(by_path, ImagePart) and by_path.source == path.resolve()


@pytest.mark.parametrize(
    ("detail", "expected"),
    [
        (None, {}),
        ("auto", {}),
        ("high", {}),
        ("low", {"max_pixels": 262_144}),
        ("max_pixels=921600", {"max_pixels": 921_600}),
        (
            "min_pixels=1024, max_pixels=4096; total_pixels=8192",
            {"min_pixels": 1024, "max_pixels": 4096, "total_pixels": 8192},
        ),
    ],
)
def test_image_detail_maps_to_pixel_bounds(detail: str | None, expected: dict[str, int]) -> None:
    (part,) = only_user_parts(user(ImageBlock(url="https://e.com/a.png", detail=detail)))
    assert isinstance(part, ImagePart)
    assert {k: getattr(part, k) for k in ("min_pixels", "max_pixels", "total_pixels") if getattr(part, k)} == expected


def test_unknown_image_detail_is_a_clear_error() -> None:
    with pytest.raises(InvalidRequestError, match=r"Unknown detail 'ultra'.*low"):
        to_core_messages([user(ImageBlock(url="https://e.com/a.png", detail="ultra"))])


def test_audio_block_keeps_bytes_and_format() -> None:
    mp3 = samples.tone_mp3(0.5)
    (part,) = only_user_parts(user(AudioBlock(audio=mp3, format="mp3")))
    assert isinstance(part, AudioPart)
    assert part.loaded.data == mp3 and part.audio_format == "mp3"
    (by_url,) = only_user_parts(user(AudioBlock(url="https://e.com/a.mp3")))
    assert isinstance(by_url, AudioPart) and by_url.to_wire()["input_audio"] == {
        "data": "https://e.com/a.mp3",
        "format": "mp3",
    }


def test_audio_from_io_is_read_as_is() -> None:
    wav = samples.tone_wav(0.2)
    (part,) = only_user_parts(user(AudioBlock(audio=io.BytesIO(wav), format="wav")))
    assert isinstance(part, AudioPart) and part.source == wav


def test_video_block_fps_and_fractional_fps_through_detail() -> None:
    clip = samples.video_mp4(1.0)
    (part,) = only_user_parts(user(VideoBlock(video=clip, fps=2)))
    assert isinstance(part, VideoPart) and part.loaded.data == clip and part.fps == 2
    (slow,) = only_user_parts(user(VideoBlock(url="https://e.com/v.mp4", detail="fps=0.5")))
    assert isinstance(slow, VideoPart) and slow.fps == 0.5
    with pytest.raises(InvalidRequestError, match="keys fps"):
        to_core_messages([user(VideoBlock(url="https://e.com/v.mp4", detail="low"))])


def test_frames_block_survives_serialisation(tmp_path: Path) -> None:
    frames = samples.frames_jpeg(3)
    path = tmp_path / "f.jpg"
    path.write_bytes(frames[0])
    block = video_frames_block([*frames[:2], "https://e.com/3.jpg", path], fps=0.5)
    message = ChatMessage.model_validate_json(user(block, TextBlock(text="What happens?")).model_dump_json())
    part, _ = only_user_parts(message)
    assert isinstance(part, VideoFramesPart) and part.fps == 0.5
    wire = part.to_wire()["video"]
    assert wire[0] == "data:image/jpeg;base64," + base64.b64encode(frames[0]).decode()
    assert wire[2] == "https://e.com/3.jpg"
    assert wire[3].startswith("data:image/jpeg;base64,")  # the path, read at send time


def test_a_broken_frames_block_is_a_clear_error() -> None:
    broken = VideoBlock(video=b"not json", video_mimetype=FRAMES_MIMETYPE)
    with pytest.raises(InvalidRequestError, match="build it with llama_index_qwen_omni"):
        to_core_messages([user(broken)])


@pytest.mark.parametrize(
    "block",
    [
        DocumentBlock(data=b"%PDF-1.4 ...", document_mimetype="application/pdf"),
        ThinkingBlock(content="hmm"),
        ToolCallBlock(tool_name="x"),
    ],
)
def test_unsupported_user_blocks_are_clear_errors(block: object) -> None:
    with pytest.raises(InvalidRequestError, match=f"holds a {type(block).__name__}, which Qwen-Omni does not accept"):
        to_core_messages([user(TextBlock(text="Read this"), block)])


def test_cache_points_are_skipped() -> None:
    point = CachePoint(cache_control=CacheControl(type="ephemeral"))
    (message,) = to_core_messages([user(TextBlock(text="hi"), point)])
    assert message.content == "hi"


def test_assistant_turns_are_reduced_to_text_and_tool_calls() -> None:
    spoken = ChatMessage(
        role="assistant",
        blocks=[
            ThinkingBlock(content="let me think"),
            TextBlock(text="It is sunny."),
            AudioBlock(audio=samples.tone_wav(0.1), format="wav"),
            ToolCallBlock(tool_call_id="call_1", tool_name="weather", tool_kwargs={"city": "Paris"}),
            ToolCallBlock(tool_call_id="call_2", tool_name="time", tool_kwargs='{"tz": "UTC"}'),
        ],
    )
    (message,) = to_core_messages([spoken])
    assert message == Message(
        "assistant",
        "It is sunny.",
        tool_calls=[
            {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"city": "Paris"}'}},
            {"id": "call_2", "type": "function", "function": {"name": "time", "arguments": '{"tz": "UTC"}'}},
        ],
    )


@pytest.mark.parametrize("role", ["assistant", "system", "tool"])
def test_media_outside_user_messages_is_refused(role: str) -> None:
    message = ChatMessage(
        role=role,
        blocks=[TextBlock(text="x"), ImageBlock(url="https://e.com/a.png")],
        additional_kwargs={"tool_call_id": "c"},
    )
    with pytest.raises(InvalidRequestError, match="accepts media only in user messages"):
        to_core_messages([message])


def test_non_text_blocks_outside_user_messages_are_refused() -> None:
    message = ChatMessage(role="system", blocks=[TextBlock(text="x"), ThinkingBlock(content="y")])
    with pytest.raises(InvalidRequestError, match="holds a ThinkingBlock, which a system message cannot carry"):
        to_core_messages([message])


def test_tool_messages_need_their_call_id() -> None:
    ok = ChatMessage(role="tool", content="42", additional_kwargs={"tool_call_id": "call_9"})
    assert to_core_messages([ok]) == [Message("tool", "42", tool_call_id="call_9")]
    with pytest.raises(InvalidRequestError, match="tool_call_id"):
        to_core_messages([ChatMessage(role="tool", content="42")])


# -- tools ------------------------------------------------------------------------------------------------


def test_tool_choice_never_sends_required(caplog: pytest.LogCaptureFixture) -> None:
    named = {"type": "function", "function": {"name": "a"}}
    assert resolve_tool_choice(None, False, ["a"]) is None
    assert resolve_tool_choice(None, True, ["a"]) == named
    assert resolve_tool_choice("required", False, ["a"]) == named
    assert resolve_tool_choice("a", False, ["a", "b"]) == named  # FunctionAgent's initial_tool_choice is a name
    assert resolve_tool_choice("none", True, ["a"]) == "none"
    assert resolve_tool_choice(named, False, ["a"]) == named
    assert resolve_tool_choice("auto", False, []) is None
    with caplog.at_level(logging.WARNING, logger="llama_index_qwen_omni"):
        assert resolve_tool_choice(None, True, ["a", "b"]) == "auto"
        assert resolve_tool_choice(None, True, ["a"], thinking=True) == "auto"
    assert "among 2 tools" in caplog.text and "in thinking mode" in caplog.text


def test_tool_selections_parse_partial_arguments() -> None:
    message = ChatMessage(
        role="assistant",
        blocks=[TextBlock(text=""), ToolCallBlock(tool_call_id="c1", tool_name="weather", tool_kwargs='{"city": "Par')],
    )
    (selection,) = tool_selections(ChatResponse(message=message))
    assert (selection.tool_id, selection.tool_name, selection.tool_kwargs) == ("c1", "weather", {"city": "Par"})
    assert tool_selections(ChatResponse(message=ChatMessage(role="assistant", content="hi")), False) == []
    with pytest.raises(ValueError, match="at least one tool call"):
        tool_selections(ChatResponse(message=ChatMessage(role="assistant", content="hi")))


def test_keep_first_tool_call() -> None:
    calls = [ToolCallBlock(tool_call_id=f"c{i}", tool_name="t") for i in range(3)]
    response = keep_first_tool_call(
        ChatResponse(message=ChatMessage(role="assistant", blocks=[TextBlock(text="x"), *calls]))
    )
    assert [b.tool_call_id for b in response.message.blocks if isinstance(b, ToolCallBlock)] == ["c0"]


# -- output -----------------------------------------------------------------------------------------------


def test_chat_stream_is_cumulative_with_new_text_in_delta() -> None:
    stream = ChatStream()
    pcm = b"\x01\x00" * 240
    responses = [
        stream.feed(d)
        for d in (
            ReasoningDelta("Think"),
            TextDelta("Hel"),
            AudioDelta(pcm, "audio_1"),
            TranscriptDelta("Hel"),
            TextDelta("lo"),
            ToolCallDelta(0, "call_1", "weather", '{"city": '),
            ToolCallDelta(0, None, None, '"Paris"}'),
            FinishDelta("stop"),
            UsageDelta(Usage(1, 2, 3)),
        )
    ]
    shown = [r for r in responses if r is not None]
    assert [r.delta for r in shown] == ["", "Hel", "", "lo", "", ""]
    assert shown[0].additional_kwargs == {"thinking_delta": "Think"}
    assert shown[2].additional_kwargs == {"audio_delta": pcm}
    assert shown[3].message.content == "Hello"
    assert isinstance(shown[3].message.blocks[0], ThinkingBlock)
    partial = shown[4].message.blocks[-1]
    assert isinstance(partial, ToolCallBlock) and partial.tool_kwargs == '{"city": '
    assert tool_selections(shown[5])[0].tool_kwargs == {"city": "Paris"}


def test_finish_holds_the_whole_message_with_a_wav_and_usage() -> None:
    pcm = b"\x10\x00" * 2400
    usage = Usage(7, 5, 12, {"text_tokens": 7}, {"reasoning_tokens": 3, "text_tokens": 2})
    result = OmniResult(
        text="Hi.",
        reasoning="Short.",
        audio=pcm,
        transcript="",
        tool_calls=[ToolCall("call_1", "weather", '{"city": "Rome"}', {"city": "Rome"})],
        usage=usage,
        finish_reason="stop",
        model="qwen3-omni-flash",
        id="chatcmpl-1",
    )
    final = ChatStream().finish(result)
    thinking, text, audio, call = final.message.blocks
    assert isinstance(thinking, ThinkingBlock) and (thinking.content, thinking.num_tokens) == ("Short.", 3)
    assert isinstance(text, TextBlock) and text.text == "Hi."
    assert isinstance(audio, AudioBlock) and audio.format == "wav"
    with wave.open(io.BytesIO(audio.resolve_audio().read())) as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.readframes(wav.getnframes())) == (24_000, 1, pcm)
    assert isinstance(call, ToolCallBlock) and call.tool_kwargs == {"city": "Rome"}
    assert final.delta == ""
    assert final.raw is not None and final.raw["usage"]["prompt_tokens"] == 7
    assert final.additional_kwargs == {"prompt_tokens": 7, "completion_tokens": 5, "total_tokens": 12}
    completion = to_completion_response(final)
    assert completion.text == "Hi." and completion.additional_kwargs["thinking"] == "Short."
    assert completion.additional_kwargs["audio_wav"][:4] == b"RIFF"


def test_frame_bytes_of_unknown_type_are_refused_not_labelled_jpeg() -> None:
    with pytest.raises(MediaError, match="Cannot tell the type of the given image"):
        video_frames_block([b"not a picture", b"nor this"])
    block = video_frames_block([samples.image_png(32, 32), samples.image_jpeg(32, 32)])
    part, _ = only_user_parts(user(block, TextBlock(text="What happens?")))
    assert isinstance(part, VideoFramesPart)
    assert [f.split(";")[0] for f in part.to_wire()["video"]] == ["data:image/png", "data:image/jpeg"]
