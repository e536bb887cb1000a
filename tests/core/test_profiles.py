"""How a model name finds its profile (the resolution matrix), the advice built from the profiles, and the
per-model rules: qwen3.8-omni-flash end to end, text only and thinking; tools or a custom system prompt with a
spoken answer; the data-URI cap."""

from __future__ import annotations

import base64
import warnings

import httpx
import pytest

from qwen_omni import SpokenAnswerWarning, samples
from qwen_omni.client import OmniClient
from qwen_omni.emulator import Emulator
from qwen_omni.errors import CapabilityError, LimitExceededError
from qwen_omni.parts import ImagePart, TextPart
from qwen_omni.profiles import (
    KNOWN_MODELS,
    QWEN25_OMNI_SYSTEM_PROMPT,
    Capability,
    FrameNeed,
    MediaNeed,
    Series,
    UnknownModelWarning,
    advise,
    get_profile,
    models_for,
    series_of,
)
from qwen_omni.request import Message, RequestOptions, build_payload
from qwen_omni.stream import ReasoningDelta, TextDelta

S35, S38, S3F, TURBO, OPEN, UNKNOWN = (Series.QWEN3_5_OMNI, Series.QWEN3_8_OMNI_FLASH, Series.QWEN3_OMNI_FLASH,
                                       Series.QWEN_OMNI_TURBO, Series.QWEN2_5_OMNI_OPEN, Series.UNKNOWN)  # fmt: skip

MATRIX: list[tuple[str, Series]] = [
    # listed names
    *[(name, get_profile(name).series) for name in KNOWN_MODELS],
    # dated snapshots nobody listed, -latest, and case or whitespace
    ("qwen3-omni-flash-2026-01-01", S3F),
    ("qwen3-omni-flash-latest", S3F),
    ("QWEN3-OMNI-FLASH-2025-12-01", S3F),
    ("  qwen3-omni-flash  ", S3F),
    ("qwen3.5-omni-plus-2026-07-01", S35),
    ("qwen3.5-omni-flash-2026-11-11", S35),
    ("Qwen3.5-Omni-Plus-Latest", S35),
    ("qwen-omni-turbo-2025-11-30", TURBO),
    ("qwen3.8-omni-flash-2026-09-21", S38),
    ("qwen3.8-omni-flash-latest", S38),
    ("Qwen2.5-Omni-7B", OPEN),
    # other models, or other APIs, that only look alike
    ("qwen3.8-omni-flash-realtime", UNKNOWN),
    ("qwen3-omni-flash-realtime-2025-12-01", UNKNOWN),
    ("qwen3.5-omni-max", UNKNOWN),
    ("qwen3-omni-flash-2025-12", UNKNOWN),
    ("qwen3-omni-flashy", UNKNOWN),
    ("qwen3.9-omni-flash", UNKNOWN),
    ("qwen2.5-omni-3b", UNKNOWN),
    ("qwen-omni-turbo-0119", UNKNOWN),
    ("dashscope/qwen3-omni-flash", UNKNOWN),
    ("qwen-plus", UNKNOWN),
]


@pytest.mark.parametrize(("name", "series"), MATRIX, ids=[name.strip() for name, _ in MATRIX])
def test_resolution_matrix(name: str, series: Series) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        profile = get_profile(name)
    assert profile.series is series
    assert series_of(name) is series
    unknown = [w for w in caught if issubclass(w.category, UnknownModelWarning)]
    assert bool(unknown) is (series is UNKNOWN)
    assert profile.known is (series is not UNKNOWN)


def test_a_snapshot_gets_its_series_limits_under_its_own_name() -> None:
    snapshot = get_profile("qwen3-omni-flash-2026-01-01")
    assert snapshot.name == "qwen3-omni-flash-2026-01-01"
    assert snapshot.video.max_files == 1 and snapshot.video.max_seconds == 150 and not snapshot.thinking_by_default
    with pytest.raises(LimitExceededError, match="qwen3-omni-flash-2026-01-01 accepts one video file"):
        build_payload(
            [
                Message(
                    "user", [{"type": "video_url", "video_url": {"url": f"https://e.com/{i}.mp4"}} for i in range(2)]
                )
            ],
            RequestOptions(model="qwen3-omni-flash-2026-01-01"),
        )


def test_unknown_names_stay_permissive() -> None:
    with pytest.warns(UnknownModelWarning, match="Known series: qwen3.5-omni-plus"):
        profile = get_profile("qwen9-omni-ultra")
    assert profile.name == "qwen9-omni-ultra" and not profile.known
    assert profile.supports_thinking and profile.supports_audio_output and profile.video.max_files == 512


def test_advice_names_the_models_that_allow_it() -> None:
    assert models_for(Capability.SPOKEN_ANSWER) == ("qwen3.5-omni-plus", "qwen3-omni-flash")
    assert models_for(Capability.THINKING) == ("qwen3.8-omni-flash", "qwen3-omni-flash")
    assert models_for(Capability.WEB_SEARCH) == ("qwen3.5-omni-plus", "qwen3.8-omni-flash")
    # qwen3.8-omni-flash's mixing rule is undocumented: a permissive choice is never advice
    assert models_for(Capability.MIXED_MODALITIES) == ("qwen3.5-omni-plus",)
    assert models_for(MediaNeed("video", seconds=600)) == ("qwen3.5-omni-plus",)
    assert models_for(MediaNeed("audio", seconds=600)) == ("qwen3.5-omni-plus", "qwen3-omni-flash")
    assert models_for(FrameNeed(100)) == ("qwen3.5-omni-plus", "qwen3-omni-flash")
    assert advise(MediaNeed("video", files=9999), "split the request") == "Split the request."
    assert advise(FrameNeed(3000)) == ""
    assert advise(MediaNeed("audio", seconds=600), "split it") == (
        "Use qwen3.5-omni-plus (up to 3 h of audio) or qwen3-omni-flash (up to 20 min of audio), or split it."
    )


# ------------------------------------------------------------------------ qwen3.8-omni-flash


def test_qwen38_refuses_a_spoken_answer_before_sending(emu: Emulator) -> None:
    client = OmniClient(api_key="sk-test", base_url=emu.base_url)
    emu.reset()
    with pytest.raises(CapabilityError) as info:
        client.complete([Message("user", "Read this aloud.")], model="qwen3.8-omni-flash", modalities=["text", "audio"])
    message = str(info.value)
    assert "qwen3.8-omni-flash answers in text only" in message
    assert "For speech use qwen3.5-omni-plus or qwen3-omni-flash" in message and "Qwen3.5-Omni for speech" in message
    assert emu.last_request is None


def test_qwen38_end_to_end_text_with_thinking(emu: Emulator) -> None:
    client = OmniClient(api_key="sk-test", base_url=emu.base_url)
    image = ImagePart(samples.image_png(32, 24))
    stream = client.stream(
        [Message("user", [image, TextPart("What is in this picture?")])], model="qwen3.8-omni-flash", temperature=1
    )
    deltas = list(stream)
    result = stream.result
    assert any(isinstance(d, ReasoningDelta) for d in deltas), "qwen3.8-omni-flash thinks by default"
    assert any(isinstance(d, TextDelta) for d in deltas) and result.text and result.reasoning
    assert result.finish_reason == "stop" and not result.audio
    assert result.usage is not None and result.usage.completion_tokens_details.get("reasoning_tokens", 0) > 0
    sent = emu.last_request
    assert sent is not None and sent.status == 200 and sent.payload is not None
    assert "enable_thinking" not in sent.payload and "modalities" not in sent.payload
    temperature = sent.payload["temperature"]
    assert temperature == 1.0 and isinstance(temperature, float), "'temperature' must be Float"
    assert [p.kind for p in sent.parts] == ["image"]


def test_qwen38_thinking_can_be_turned_off(emu: Emulator) -> None:
    client = OmniClient(api_key="sk-test", base_url=emu.base_url)
    result = client.complete([Message("user", "Hello")], model="qwen3.8-omni-flash", enable_thinking=False)
    assert result.text and not result.reasoning
    assert emu.last_request is not None and emu.last_request.payload is not None
    assert emu.last_request.payload["enable_thinking"] is False


def test_qwen38_forced_tool_choice_needs_thinking_off() -> None:
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}
    forced = {"type": "function", "function": {"name": "lookup"}}
    options = RequestOptions(model="qwen3.8-omni-flash", tools=[tool], tool_choice=forced)
    with pytest.raises(CapabilityError, match=r"thinks by default.*enable_thinking=False"):
        build_payload([Message("user", "Look it up")], options)
    payload = build_payload([Message("user", "Look it up")], options.merged(enable_thinking=False))
    assert payload["tool_choice"] == forced and payload["enable_thinking"] is False


def test_qwen38_unknown_media_limits_are_left_to_the_server() -> None:
    videos = [{"type": "video_url", "video_url": {"url": f"https://e.com/{i}.mp4"}} for i in range(600)]
    frames = {"type": "video", "video": [f"https://e.com/{i}.jpg" for i in range(3000)]}
    payload = build_payload([Message("user", [*videos, frames])], RequestOptions(model="qwen3.8-omni-flash"))
    assert len(payload["messages"][0]["content"]) == 601


# ------------------------------------------------------------------------ spoken answers


def test_tools_with_a_spoken_answer_on_qwen3_omni_flash_warn() -> None:
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    spoken = RequestOptions(model="qwen3-omni-flash", modalities=["text", "audio"], tools=[tool])
    with pytest.warns(SpokenAnswerWarning, match="reads the tool names and arguments aloud"):
        payload = build_payload([Message("user", "Weather in Paris?")], spoken)
    assert payload["tools"] == [tool] and payload["audio"]["voice"] == "Cherry"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build_payload([Message("user", "Weather?")], spoken.merged(modalities=["text"]))
        build_payload([Message("user", "Weather?")], RequestOptions(model="qwen3.5-omni-plus", tools=[tool],
                                                                     modalities=["text", "audio"]))  # fmt: skip


def test_custom_system_prompt_with_speech_on_turbo_warns() -> None:
    spoken = RequestOptions(model="qwen-omni-turbo", modalities=["text", "audio"])
    custom = [Message("system", "You are a pirate."), Message("user", "Hello")]
    with pytest.warns(SpokenAnswerWarning, match="QWEN25_OMNI_SYSTEM_PROMPT"):
        build_payload(custom, spoken)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build_payload([Message("system", QWEN25_OMNI_SYSTEM_PROMPT), Message("user", "Hello")], spoken)
        build_payload([Message("user", "Hello")], spoken)
        build_payload(custom, spoken.merged(modalities=["text"]))
        build_payload(custom, RequestOptions(model="qwen3-omni-flash", modalities=["text", "audio"]))


def test_at_most_250_data_uris_per_request() -> None:
    frame = "data:image/png;base64," + base64.b64encode(samples.image_png(16, 16)).decode()
    lists = [{"type": "video", "video": [frame] * 128}, {"type": "video", "video": [frame] * 123}]
    messages = [Message("user", [lists[0], TextPart("one")]), Message("user", [lists[1], TextPart("two")])]
    with pytest.raises(LimitExceededError, match=r"at most 250 base64 data URIs.*this one has 251"):
        build_payload(messages, RequestOptions(model="qwen3-omni-flash"))
    lists[1]["video"] = [frame] * 122
    assert build_payload(messages, RequestOptions(model="qwen3-omni-flash"))["messages"][1]["content"][0] == lists[1]


def test_the_emulator_refuses_251_data_uris(emu: Emulator) -> None:
    frame = "data:image/png;base64," + base64.b64encode(samples.image_png(16, 16)).decode()
    content = [{"type": "video", "video": [frame] * 125}, {"type": "video", "video": [frame] * 126}]
    body = {"model": "qwen3.5-omni-plus", "stream": True, "messages": [{"role": "user", "content": content}]}
    response = httpx.post(emu.base_url + "/chat/completions", json=body, headers={"Authorization": "Bearer k"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "Exceeded limit on max data-uri per request: 250"


def test_the_emulator_holds_each_model_to_its_input_token_limit(emu: Emulator) -> None:
    def send(model: str, chars: int, **extra: object) -> httpx.Response:
        payload = {"model": model, "stream": True, "messages": [{"role": "user", "content": "a" * chars}], **extra}
        return httpx.post(emu.base_url + "/chat/completions", json=payload, headers={"Authorization": "Bearer k"})

    thinking = get_profile("qwen3-omni-flash").input_token_limit(thinking=True)
    assert thinking == 16_384
    over = send("qwen3-omni-flash", 4 * thinking + 40, enable_thinking=True)
    assert over.status_code == 400 and over.json()["error"]["message"] == "Range of input length should be [1, 16384]"
    assert send("qwen3-omni-flash", 4 * thinking + 40).status_code == 200  # under 49,152 without thinking


def test_the_emulator_thinks_by_default_on_qwen38(emu: Emulator) -> None:
    tool = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}}}
    payload = {"model": "qwen3.8-omni-flash", "stream": True, "messages": [{"role": "user", "content": "Hi"}],
               "tools": [tool], "tool_choice": {"type": "function", "function": {"name": "lookup"}}}  # fmt: skip
    headers = {"Authorization": "Bearer k"}
    url = emu.base_url + "/chat/completions"
    refused = httpx.post(url, json=payload, headers=headers)
    assert refused.status_code == 400 and "thinking mode" in refused.json()["error"]["message"]
    allowed = httpx.post(
        emu.base_url + "/chat/completions", json={**payload, "enable_thinking": False}, headers=headers
    )
    assert allowed.status_code == 200 and '"tool_calls"' in allowed.text and "reasoning_content" not in allowed.text
    spoken = {**payload, "tools": None, "tool_choice": None, "modalities": ["text", "audio"]}
    answer = httpx.post(url, json=spoken, headers=headers)
    assert answer.status_code == 400 and "does not support audio output" in answer.json()["error"]["message"]
