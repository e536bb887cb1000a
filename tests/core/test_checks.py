"""Every pre-send check: a clear error naming the limit and the fix, and nothing reaches the server."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from qwen_omni import samples
from qwen_omni.client import OmniClient
from qwen_omni.emulator import Emulator
from qwen_omni.errors import CapabilityError, InvalidRequestError, LimitExceededError, MediaError
from qwen_omni.parts import AudioPart, ImagePart, TextPart, VideoFramesPart, VideoPart
from qwen_omni.profiles import UnknownModelWarning
from qwen_omni.request import Message, RequestOptions, build_payload

URL_VIDEO = "https://e.com/clip.mp4"
URL_AUDIO = "https://e.com/talk.mp3"
URL_IMAGE = "https://e.com/a.png"


def user(*parts: Any) -> list[Message]:
    return [Message("user", [*parts, TextPart("What is this?")])]


def long_wav(seconds: float) -> bytes:
    return samples.tone_wav(seconds, sample_rate=8000)


CASES: list[tuple[str, Callable[[], tuple[list[Any], dict[str, Any]]], type[Exception], str]] = [
    ("three videos on flash", lambda: (user(*[VideoPart(URL_VIDEO)] * 3), {"model": "qwen3-omni-flash"}),
     LimitExceededError, "qwen3-omni-flash accepts one video file per request; got 3. Use qwen3.5-omni-plus or split"),
    ("two audio files on turbo", lambda: (user(AudioPart(URL_AUDIO), AudioPart(URL_AUDIO)),
     {"model": "qwen-omni-turbo"}), LimitExceededError, "qwen-omni-turbo accepts one audio file per request; got 2"),
    ("513 videos on 3.5", lambda: (user(*[VideoPart(URL_VIDEO)] * 513), {"model": "qwen3.5-omni-plus"}),
     LimitExceededError, "accepts 512 video files per request; got 513"),
    ("251 inline images on 3.5", lambda: (user(*[ImagePart(samples.image_png(16, 16))] * 251),
     {"model": "qwen3.5-omni-plus"}), LimitExceededError, "accepts 250 images as base64 per request; got 251"),
    ("frame list too short on turbo", lambda: (user(VideoFramesPart([URL_IMAGE] * 3)), {"model": "qwen-omni-turbo"}),
     LimitExceededError, "takes a frame list of 4 to 80 images; message 0 has 3"),
    ("frame list too long on flash", lambda: (user(VideoFramesPart([URL_IMAGE] * 129)),
     {"model": "qwen3-omni-flash"}), LimitExceededError, "takes a frame list of 2 to 128 images; message 0 has 129"),
    ("data URI over 10 MB", lambda: (user(AudioPart(b"\x00" * 8_000_000, format="wav")),
     {"model": "qwen3.5-omni-plus", "max_tokens": 10}), LimitExceededError, "under 10 MB per item"),
    ("tiny image", lambda: (user(ImagePart(samples.image_png(8, 64))), {}), LimitExceededError,
     "is 8x64 px; both sides must be larger than 10 px"),
    ("extreme aspect ratio", lambda: (user(ImagePart(samples.image_png(2400, 11))), {}), LimitExceededError,
     "an aspect ratio over 200:1"),
    ("thinking on 3.5", lambda: (user(), {"model": "qwen3.5-omni-plus", "enable_thinking": True}), CapabilityError,
     "qwen3.5-omni-plus has no thinking mode (enable_thinking). Use qwen3.8-omni-flash or qwen3-omni-flash"),
    ("thinking with audio output", lambda: (user(), {"model": "qwen3-omni-flash", "enable_thinking": True,
     "modalities": ["text", "audio"]}), CapabilityError, "Thinking mode answers in text only"),
    ("search on flash", lambda: (user(), {"model": "qwen3-omni-flash", "enable_search": True}), CapabilityError,
     "qwen3-omni-flash has no web search (enable_search). Use qwen3.5-omni-plus or qwen3.8-omni-flash"),
    ("search strategy", lambda: (user(), {"model": "qwen3.5-omni-plus", "enable_search": True,
     "search_options": {"search_strategy": "turbo"}}), InvalidRequestError, "search_strategy must be 'agent'"),
    ("two modalities in one message on flash", lambda: (user(ImagePart(URL_IMAGE), AudioPart(URL_AUDIO)),
     {"model": "qwen3-omni-flash"}), LimitExceededError, "accepts text plus one other modality per user message"),
    ("audio in assistant history", lambda: ([Message("user", "hi"), {"role": "assistant", "content": [
        {"type": "input_audio", "input_audio": {"data": URL_AUDIO, "format": "mp3"}}]}, Message("user", "and?")], {}),
     InvalidRequestError, "Message 1 (assistant) holds audio: Qwen-Omni accepts media only in user messages"),
    ("missing local file", lambda: (user(AudioPart("/no/such/file.mp3")), {}), MediaError,
     "'/no/such/file.mp3' is neither a URL (http://, https://, oss://, data:) nor an existing file"),
    ("unreadable audio", lambda: (user(AudioPart(b"ID3" + b"\x00" * 50)), {}), MediaError,
     "cannot be opened as mp3; the API would refuse it"),
    ("unsupported audio format", lambda: (user(AudioPart(URL_AUDIO, format="audio/x-ms-wma")), {}), MediaError,
     "'x-ms-wma', which Qwen-Omni does not accept"),
    ("pdf file block", lambda: ([{"role": "user", "content": [{"type": "file", "file": {"file_data": "x"}}]}], {}),
     InvalidRequestError, "Unsupported content part type 'file'"),
    ("tools on turbo", lambda: (user(), {"model": "qwen-omni-turbo", "tools": [
        {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]}), CapabilityError,
     "qwen-omni-turbo cannot call tools"),
    ("tool_choice required", lambda: (user(), {"tool_choice": "required", "tools": [
        {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]}), InvalidRequestError,
     "tool_choice must be 'auto', 'none' or one named function"),
    ("audio over the turbo duration", lambda: (user(AudioPart(long_wav(185))), {"model": "qwen-omni-turbo"}),
     LimitExceededError,
     "qwen-omni-turbo accepts audio up to 3 min; the given audio lasts 185 s. Use qwen3.5-omni-plus (up to 3 h"),
    ("video over the turbo duration", lambda: (user(VideoPart(samples.video_mp4(41, fps=1, width=32, height=32,
     with_audio=False))), {"model": "qwen-omni-turbo"}), LimitExceededError,
     "qwen-omni-turbo accepts video up to 40 s; the given video lasts 41 s"),
    ("unknown turbo voice", lambda: (user(), {"model": "qwen-omni-turbo", "modalities": ["text", "audio"],
     "voice": "Tina"}), InvalidRequestError, "qwen-omni-turbo has no voice 'Tina'; its voices are Chelsie, Cherry"),
    ("json mode without the word", lambda: (user(), {"response_format": {"type": "json_object"}}),
     InvalidRequestError, "needs the word 'json' somewhere in the messages"),
    ("max_tokens over the model's", lambda: (user(), {"model": "qwen-omni-turbo", "max_tokens": 5000}),
     LimitExceededError, "max_tokens must be between 1 and 2048 for qwen-omni-turbo"),
    ("seed out of range", lambda: (user(), {"seed": -1}), InvalidRequestError, "seed must be between 0 and 2147483647"),
    ("audio output format", lambda: (user(), {"modalities": ["text", "audio"], "audio_format": "mp3"}),
     InvalidRequestError, "audio_format must be 'wav'"),
    ("bad modalities", lambda: (user(), {"modalities": ["audio"]}), InvalidRequestError,
     "modalities must be ['text'] or ['text', 'audio']"),
    ("thinking budget without thinking", lambda: (user(), {"model": "qwen3-omni-flash", "thinking_budget": 100}),
     InvalidRequestError, "thinking_budget applies only with enable_thinking=True"),
    ("fps out of range", lambda: (user(VideoPart(URL_VIDEO, fps=30)), {}), LimitExceededError,
     "fps must be between 0.1 and 10.0 frames per second; got 30"),
    ("empty conversation", lambda: ([], {}), InvalidRequestError, "No messages to send"),
    ("unknown option", lambda: (user(), {"temprature": 0.2}), InvalidRequestError, "Unknown option(s) temprature"),
]  # fmt: skip


@pytest.fixture(scope="module")
def emulator() -> Any:
    with Emulator() as emu:
        yield emu


@pytest.mark.parametrize(("name", "build", "error", "message"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_refused_before_sending(
    emulator: Emulator, name: str, build: Callable[[], Any], error: type[Exception], message: str
) -> None:
    emulator.reset()
    messages, overrides = build()
    client = OmniClient(api_key="sk-test", base_url=emulator.base_url)
    with pytest.raises(error) as info:
        for _ in client.stream(messages, **overrides):
            pass
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)
    assert emulator.requests == [], "nothing may be sent when a check fails"


def test_at_least_twenty_distinct_checks() -> None:
    assert len({message for *_, message in CASES}) >= 20


def test_same_checks_pass_on_a_model_that_allows_it(emulator: Emulator) -> None:
    emulator.reset()
    client = OmniClient(api_key="sk-test", base_url=emulator.base_url)
    result = client.complete(
        user(*[VideoPart(URL_VIDEO)] * 3, ImagePart(URL_IMAGE), AudioPart(URL_AUDIO)), model="qwen3.5-omni-plus"
    )
    assert result.finish_reason == "stop"
    assert [p.kind for p in emulator.last_request.parts] == ["video", "video", "video", "image", "audio"]


def test_unknown_model_warns_and_is_sent(emulator: Emulator) -> None:
    emulator.reset()
    client = OmniClient(api_key="sk-test", base_url=emulator.base_url)
    with pytest.warns(UnknownModelWarning, match="qwen9-omni-ultra"):
        result = client.complete([Message("user", "hi")], model="qwen9-omni-ultra")
    assert result.finish_reason == "stop"
    assert emulator.last_request.model == "qwen9-omni-ultra"


def test_payload_always_streams_with_usage_whatever_was_asked() -> None:
    payload = build_payload(
        [Message("user", "hi")],
        RequestOptions(extra_body={"stream": False, "stream_options": {"include_usage": False}, "x_custom": 1}),
    )
    assert payload["stream"] is True
    assert payload["stream_options"] == {"include_usage": True}
    assert payload["x_custom"] == 1


def test_payload_fields() -> None:
    tool = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}
    payload = build_payload(
        [Message("system", "Be brief."), Message("user", "Answer in JSON.")],
        RequestOptions(
            model="qwen3-omni-flash", enable_thinking=True, thinking_budget=50, temperature=0.3, top_p=0.9,
            max_tokens=100, stop="END", seed=7, response_format={"type": "json_object"}, tools=[tool],
            tool_choice="auto", parallel_tool_calls=True,
        ),
    )  # fmt: skip
    assert payload["enable_thinking"] is True and payload["thinking_budget"] == 50
    assert payload["stop"] == ["END"]
    assert (payload["temperature"], payload["top_p"], payload["max_tokens"], payload["seed"]) == (0.3, 0.9, 100, 7)
    assert payload["tools"] == [tool] and payload["tool_choice"] == "auto" and payload["parallel_tool_calls"] is True
    assert "modalities" not in payload and "audio" not in payload


def test_audio_output_uses_the_profile_voice_and_search_adds_the_agent_strategy() -> None:
    payload = build_payload(
        [Message("user", "hi")],
        RequestOptions(model="qwen3.5-omni-plus", modalities=["text", "audio"], enable_search=True),
    )
    assert payload["modalities"] == ["text", "audio"]
    assert payload["audio"] == {"voice": "Tina", "format": "wav"}
    assert payload["search_options"] == {"search_strategy": "agent"}


def test_enable_thinking_false_is_not_sent_to_models_without_it() -> None:
    payload = build_payload([Message("user", "hi")], RequestOptions(model="qwen3.5-omni-plus", enable_thinking=False))
    assert "enable_thinking" not in payload


def test_voice_without_audio_output_warns() -> None:
    with pytest.warns(UserWarning, match="will not be spoken"):
        build_payload([Message("user", "hi")], RequestOptions(voice="Cherry"))


def test_media_in_separate_user_messages_is_fine_on_flash(tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        payload = build_payload(
            [
                Message("user", [ImagePart(URL_IMAGE)]),
                Message("assistant", "A cat."),
                Message("user", [AudioPart(URL_AUDIO)]),
            ],
            RequestOptions(model="qwen3-omni-flash"),
        )
    assert len(payload["messages"]) == 3
