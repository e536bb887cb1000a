"""The emulator over real HTTP (httpx and the openai SDK): stream shapes, auth, what it reports about the
parts it received, spoken answers, reasoning, tools, JSON, usage and faults."""

from __future__ import annotations

import base64
import json
import math
import time
from typing import Any

import httpx
import openai
import pytest

from qwen_omni import samples
from qwen_omni.emulator import Emulator, Fault
from qwen_omni.profiles import get_profile

CHAT = "/chat/completions"
FLASH = "qwen3.5-omni-flash"
THINKER = "qwen3-omni-flash"
TURBO = "qwen-omni-turbo"


# ------------------------------------------------------------------------------------------ helpers


@pytest.fixture(autouse=True)
def _clean(emu: Emulator) -> None:
    emu.reset()


def data_uri(data: bytes, mime: str = "") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def payload(content: Any, model: str = FLASH, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model,
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": content}],
    }
    body.update(extra)
    return body


def parse_sse(text: str) -> tuple[list[dict[str, Any]], bool]:
    """The JSON events of a stream, and whether it ended with [DONE]."""
    events, done = [], False
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        assert block.startswith("data: "), block
        data = block[len("data: ") :]
        if data == "[DONE]":
            done = True
            continue
        assert not done, "an event after [DONE]"
        events.append(json.loads(data))
    return events, done


def stream(http: httpx.Client, body: dict[str, Any], **headers: str) -> list[dict[str, Any]]:
    """POST a chat request; assert a complete 200 stream; return its chunks."""
    response = http.post(CHAT, json=body, headers=headers)
    assert response.status_code == 200, response.text
    chunks, done = parse_sse(response.text)
    assert done
    return chunks


def content_of(chunks: list[dict[str, Any]], key: str = "content") -> str:
    return "".join(c["choices"][0]["delta"].get(key) or "" for c in chunks if c["choices"])


def finish_of(chunks: list[dict[str, Any]]) -> str | None:
    reasons = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert len(reasons) == 1
    return str(reasons[0])


@pytest.fixture(scope="module")
def media() -> dict[str, Any]:
    return {
        "png": samples.image_png(64, 48),
        "wav": samples.tone_wav(1.0),
        "mp4": samples.video_mp4(1.0, fps=10, width=160, height=120, with_audio=True),
        "frames": samples.frames_jpeg(4, width=64, height=48),
    }


# ------------------------------------------------------------------------------------------ stream shape


def test_stream_chunks_have_dashscope_shape(emu: Emulator, http: httpx.Client) -> None:
    response = http.post(CHAT, json=payload("What is this?"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    chunks, done = parse_sse(response.text)
    assert done
    first, *middle, finish, usage = chunks
    request_id = response.headers["x-request-id"]
    assert first == {
        "id": f"chatcmpl-{request_id}",
        "object": "chat.completion.chunk",
        "created": first["created"],
        "model": FLASH,
        "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None, "logprobs": None}
        ],
        "usage": None,
    }
    assert isinstance(first["created"], int)
    assert {c["id"] for c in chunks} == {first["id"]}
    texts = [c["choices"][0]["delta"]["content"] for c in [*middle, finish]]
    assert len(texts) >= 2 and all(len(t.split()) <= 3 for t in texts), "text arrives in several small chunks"
    assert all(c["choices"][0]["finish_reason"] is None for c in middle)
    assert finish["choices"][0]["finish_reason"] == "stop"  # it carries the last fragment, as DashScope's does
    assert usage["choices"] == [] and usage["usage"]["total_tokens"] > 0
    assert content_of(chunks) == 'Received the text "What is this?".'
    assert emu.last_request is not None and emu.last_request.status == 200
    assert emu.last_request.request_id == request_id


def test_no_usage_chunk_unless_asked(http: httpx.Client) -> None:
    body = payload("Hi")
    del body["stream_options"]
    chunks = stream(http, body)
    assert all(c["choices"] and c["usage"] is None for c in chunks)
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_models_and_health(emu: Emulator, http: httpx.Client) -> None:
    models = http.get("/models").json()
    assert models["object"] == "list"
    assert {m["id"] for m in models["data"]} >= {FLASH, THINKER, TURBO, "qwen2.5-omni-7b"}
    assert all(m["object"] == "model" for m in models["data"])
    assert httpx.get(emu.url + "/_emulator/health").json()["status"] == "ok"
    missing = http.get("/nowhere")
    assert missing.status_code == 404 and "request_id" in missing.json()


# ------------------------------------------------------------------------------------------ auth


def test_missing_key_gets_documented_401(emu: Emulator) -> None:
    response = httpx.post(emu.base_url + CHAT, json=payload("Hi"))
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == {
        "message": "Incorrect API key provided. ",
        "type": "invalid_request_error",
        "param": None,
        "code": "invalid_api_key",
    }
    assert body["request_id"] == response.headers["x-request-id"]
    assert emu.last_request is not None and emu.last_request.status == 401
    assert emu.last_request.error_code == "invalid_api_key"


def test_required_key_is_checked_and_never_shown() -> None:
    secret = "sk-very-secret-key"
    with Emulator(api_key=secret) as emu:
        assert secret not in repr(emu)
        wrong = httpx.post(emu.base_url + CHAT, json=payload("Hi"), headers={"Authorization": "Bearer sk-other"})
        assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_api_key"
        assert httpx.get(emu.base_url + "/models", headers={"Authorization": "Bearer sk-other"}).status_code == 401
        right = httpx.post(emu.base_url + CHAT, json=payload("Hi"), headers={"Authorization": f"Bearer {secret}"})
        assert right.status_code == 200
        assert [r.status for r in emu.requests] == [401, 200]
        for request in emu.requests:
            assert "authorization" not in request.headers
            assert secret not in repr(request)
    assert secret not in repr(emu)


# ------------------------------------------------------------------------------------------ parts


def test_inline_parts_are_probed_and_reported(emu: Emulator, http: httpx.Client, media: dict[str, Any]) -> None:
    content = [
        {"type": "image_url", "image_url": {"url": data_uri(media["png"], "image/png")}, "min_pixels": 3136},
        {"type": "input_audio", "input_audio": {"data": data_uri(media["wav"]), "format": "wav"}},
        {"type": "video_url", "video_url": {"url": data_uri(media["mp4"])}, "fps": 1},
        {"type": "video", "video": [data_uri(f, "image/jpeg") for f in media["frames"]]},
        {"type": "text", "text": "What is this?"},
    ]
    text = content_of(stream(http, payload(content)))
    image, audio, video, frames = emu.last_request.parts if emu.last_request else []

    assert (image.kind, image.source, image.mime_type, image.size_bytes) == (
        "image",
        "inline",
        "image/png",
        len(media["png"]),
    )
    assert image.info is not None and (image.info.width, image.info.height) == (64, 48)
    assert image.options == {"min_pixels": 3136}
    assert (audio.kind, audio.format, audio.size_bytes) == ("audio", "wav", len(media["wav"]))
    assert audio.info is not None and audio.info.duration == pytest.approx(1.0) and audio.info.sample_rate == 16000
    assert video.kind == "video" and video.options == {"fps": 1}
    assert video.info is not None and video.info.duration == pytest.approx(1.0, abs=0.05)
    assert (video.info.width, video.info.height, video.info.frames, video.info.has_audio) == (160, 120, 10, True)
    assert (frames.kind, frames.frame_count, frames.mime_type) == ("video_frames", 4, "image/jpeg")
    assert frames.size_bytes == sum(len(f) for f in media["frames"])

    assert text.startswith(f"Received 1 image (png, 64x48, {len(media['png'])} bytes; min_pixels=3136), ")
    assert f"1 audio (wav, 1.00 s, 16000 Hz mono, {len(media['wav'])} bytes)" in text
    assert "1 video (mp4, 1.00 s, 160x120, 10 frames, with audio" in text
    assert "1 video of 4 frames (jpeg, 64x48, 2.00 s at 2 fps" in text
    assert text.endswith(' and the text "What is this?".')


def test_payload_keeps_placeholders_not_data(emu: Emulator, http: httpx.Client, media: dict[str, Any]) -> None:
    stream(http, payload([{"type": "image_url", "image_url": {"url": data_uri(media["png"], "image/png")}}]))
    assert emu.last_request is not None and emu.last_request.payload is not None
    part = emu.last_request.payload["messages"][0]["content"][0]
    assert part["image_url"]["url"] == f"data:image/png;base64,<{len(media['png'])} bytes>"
    assert len(repr(emu.last_request)) < 3000


def test_url_parts_are_recorded_not_fetched(emu: Emulator, http: httpx.Client) -> None:
    content = [
        {"type": "image_url", "image_url": {"url": "https://example.invalid/cat.png", "max_pixels": 1000000}},
        {"type": "input_audio", "input_audio": {"data": "https://example.invalid/a.mp3", "format": "mp3"}},
        {"type": "video_url", "video_url": {"url": "oss://bucket/clip.mp4"}},
        {"type": "video", "video": [f"https://example.invalid/{i}.jpg" for i in range(3)]},
    ]
    text = content_of(stream(http, payload(content)))
    parts = emu.last_request.parts if emu.last_request else []
    assert [(p.kind, p.source) for p in parts] == [
        ("image", "url"),
        ("audio", "url"),
        ("video", "url"),
        ("video_frames", "url"),
    ]
    assert parts[0].url == "https://example.invalid/cat.png" and parts[0].options == {"max_pixels": 1000000}
    assert parts[0].mime_type == "image/png" and parts[0].info is None and parts[0].size_bytes is None
    assert parts[1].format == "mp3" and parts[3].frame_count == 3
    assert "1 image by URL (https://example.invalid/cat.png; max_pixels=1000000)" in text
    assert "1 video of 3 frames by URL" in text


# ------------------------------------------------------------------------------------------ spoken answers


def _audio_chunks(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c["choices"][0]["delta"]["audio"] for c in chunks if c["choices"] and "audio" in c["choices"][0]["delta"]]


@pytest.mark.parametrize("how", ["instance", "header"])
def test_audio_output_both_styles(http: httpx.Client, how: str) -> None:
    body = payload("Say hi", modalities=["text", "audio"], audio={"voice": "Tina", "format": "wav"})
    content_chunks = stream(http, body)
    if how == "instance":
        with Emulator(audio_style="transcript") as other, httpx.Client(base_url=other.base_url) as client:
            response = client.post(CHAT, json=body, headers={"Authorization": "Bearer k"})
            transcript_chunks, _ = parse_sse(response.text)
    else:
        transcript_chunks = stream(http, body, **{"X-Emulator-Audio-Style": "transcript"})

    text = content_of(content_chunks)
    assert text == 'Received the text "Say hi".'
    for chunks in (content_chunks, transcript_chunks):
        audio = [a for a in _audio_chunks(chunks) if "data" in a]
        pcm = [base64.b64decode(a["data"]) for a in audio]
        assert all(len(p) % 2 == 0 and 0 < len(p) <= 4800 for p in pcm), "whole samples, ~0.1 s each"
        assert sum(map(len, pcm)) == len(text) * 1200 * 2  # 0.05 s of 24 kHz PCM16 per character
        assert len({a["id"] for a in audio}) == 1 and audio[0]["id"].startswith("audio_")
        assert all(isinstance(a["expires_at"], int) for a in audio)
        usage = chunks[-1]["usage"]
        seconds = len(text) * 0.05
        assert usage["completion_tokens_details"]["audio_tokens"] == math.ceil(seconds * 12.5)
    assert not any("transcript" in a for a in _audio_chunks(content_chunks))
    assert content_of(transcript_chunks) == ""
    assert "".join(a.get("transcript", "") for a in _audio_chunks(transcript_chunks)) == text


def test_openai_sdk_streams_text_and_audio(emu: Emulator) -> None:
    client = openai.OpenAI(base_url=emu.base_url, api_key="x", max_retries=0)
    chunks = list(
        client.chat.completions.create(
            model=FLASH,
            messages=[{"role": "user", "content": "Hello"}],
            stream=True,
            stream_options={"include_usage": True},
            modalities=["text", "audio"],
            audio={"voice": "Tina", "format": "wav"},
        )
    )
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    pcm = b"".join(
        base64.b64decode(c.choices[0].delta.audio.data)
        for c in chunks
        if c.choices and c.choices[0].delta.audio and c.choices[0].delta.audio.data
    )
    assert text == 'Received the text "Hello".'
    assert len(pcm) == len(text) * 2400
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0


# ------------------------------------------------------------------------------------------ reasoning, search


def test_reasoning_comes_first_and_is_counted(http: httpx.Client) -> None:
    chunks = stream(http, payload("Why?", model=THINKER, enable_thinking=True))
    kinds = [
        k for c in chunks if c["choices"] for k in c["choices"][0]["delta"] if k in ("reasoning_content", "content")
    ]
    reasoning = content_of(chunks, "reasoning_content")
    assert reasoning and kinds.index("reasoning_content") < max(i for i, k in enumerate(kinds) if k == "content")
    assert "reasoning_content" not in kinds[kinds.index("content", 1) :]
    details = chunks[-1]["usage"]["completion_tokens_details"]
    assert details["reasoning_tokens"] == len(reasoning.split())

    budgeted = stream(http, payload("Why?", model=THINKER, enable_thinking=True, thinking_budget=5))
    assert len(content_of(budgeted, "reasoning_content").split()) == 5


def test_web_search_prefix(http: httpx.Client) -> None:
    body = payload("News?", enable_search=True, search_options={"search_strategy": "agent"})
    assert content_of(stream(http, body)).startswith("[web search: agent] Received")


# ------------------------------------------------------------------------------------------ tools and JSON

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "$defs": {"Unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
            "properties": {
                "city": {"type": "string"},
                "days": {"type": "integer"},
                "unit": {"$ref": "#/$defs/Unit"},
                "hourly": {"type": "boolean"},
                "tags": {"type": "array", "items": {"type": "string"}},
                "where": {"type": "object", "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}}},
                "ignored": {"type": "string"},
            },
            "required": ["city", "days", "unit", "hourly", "tags", "where"],
        },
    },
}
TIME_TOOL = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}}}


def _tool_deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for c in chunks if c["choices"] for d in c["choices"][0]["delta"].get("tool_calls", [])]


def test_tool_call_streams_arguments_matching_schema(http: httpx.Client) -> None:
    body = payload("What is the weather for Paris", tools=[WEATHER_TOOL, TIME_TOOL])  # the first declared is called
    chunks = stream(http, body)
    first, *rest = _tool_deltas(chunks)
    assert first["index"] == 0 and first["id"].startswith("call_") and first["type"] == "function"
    assert first["function"] == {"name": "get_weather", "arguments": ""}
    assert len(rest) >= 2 and all(set(d) == {"index", "function"} and set(d["function"]) == {"arguments"} for d in rest)
    arguments = json.loads("".join(d["function"]["arguments"] for d in rest))
    assert arguments == {
        "city": "Paris",
        "days": 1,
        "unit": "celsius",
        "hourly": True,
        "tags": ["Paris"],
        "where": {"lat": 1.5, "lon": 1.5},
    }
    assert finish_of(chunks) == "tool_calls"
    assert content_of(chunks) == ""


def test_tool_choice_picks_or_suppresses_the_call(http: httpx.Client) -> None:
    forced = payload(
        "Weather?", tools=[WEATHER_TOOL, TIME_TOOL], tool_choice={"type": "function", "function": {"name": "get_time"}}
    )
    assert _tool_deltas(stream(http, forced))[0]["function"]["name"] == "get_time"
    first_tool = payload("Anything", tools=[TIME_TOOL, WEATHER_TOOL])
    assert _tool_deltas(stream(http, first_tool))[0]["function"]["name"] == "get_time"
    none = stream(http, payload("Weather?", tools=[WEATHER_TOOL], tool_choice="none"))
    assert not _tool_deltas(none) and finish_of(none) == "stop"


def test_tool_result_is_quoted(http: httpx.Client) -> None:
    body = payload("Weather in Paris?", tools=[WEATHER_TOOL])
    body["messages"] += [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{}"}}
            ],
        },
        {"role": "tool", "tool_call_id": "call_1", "content": "18 C and sunny"},
    ]
    chunks = stream(http, body)
    assert content_of(chunks) == "The tool returned: 18 C and sunny"
    assert finish_of(chunks) == "stop"


def test_json_object_and_json_schema(http: httpx.Client) -> None:
    chunks = stream(http, payload("Answer in JSON please", response_format={"type": "json_object"}))
    assert json.loads(content_of(chunks)) == {"answer": 'Received the text "Answer in JSON please".'}
    assert len([c for c in chunks if c["choices"] and c["choices"][0]["delta"].get("content")]) > 2

    # like a model, not a validator: a json_schema format, or a schema in a JSON-mode prompt, is not followed
    schema = {"type": "object", "properties": {"name": {"type": "string"}, "age": {"type": "integer"}}}
    fmt = {"type": "json_schema", "json_schema": {"name": "person", "schema": schema}}
    answer = json.loads(content_of(stream(http, payload("Who is Ada", response_format=fmt))))
    assert answer == {"answer": 'Received the text "Who is Ada".'}
    text = f"Reply in JSON following {json.dumps(schema)}: who is Ada"
    asked = payload(text, response_format={"type": "json_object"})
    assert set(json.loads(content_of(stream(http, asked)))) == {"answer"}


# ------------------------------------------------------------------------------------------ usage and cuts


def test_usage_details_follow_the_profiles(http: httpx.Client, media: dict[str, Any]) -> None:
    content = [
        {"type": "image_url", "image_url": {"url": data_uri(media["png"], "image/png")}},
        {"type": "text", "text": "Describe this image in detail"},
    ]
    for model in (FLASH, TURBO):
        profile = get_profile(model)
        usage = stream(http, payload(content, model=model))[-1]["usage"]
        prompt = usage["prompt_tokens_details"]
        expected_image = max(
            profile.min_image_tokens, math.ceil(64 / profile.image_patch_px) * math.ceil(48 / profile.image_patch_px)
        )
        assert prompt == {
            "text_tokens": math.ceil(len("Describe this image in detail") / 4),
            "image_tokens": expected_image,
        }
        assert usage["prompt_tokens"] == sum(prompt.values())
        assert usage["completion_tokens"] == sum(usage["completion_tokens_details"].values())
        assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]

    audio = [{"type": "input_audio", "input_audio": {"data": data_uri(media["wav"]), "format": "wav"}}]
    for model in (FLASH, TURBO):
        usage = stream(http, payload(audio, model=model))[-1]["usage"]
        rate = get_profile(model).audio_input_tokens_per_second
        assert usage["prompt_tokens_details"]["audio_tokens"] == math.ceil(1.0 * rate)


def test_max_tokens_and_stop_cut_the_answer(http: httpx.Client) -> None:
    long_question = "one two three four five six seven eight nine ten"
    cut = stream(http, payload(long_question, max_tokens=4))
    assert content_of(cut) == 'Received the text "one' and finish_of(cut) == "length"
    assert cut[-1]["usage"]["completion_tokens_details"]["text_tokens"] == 4
    stopped = stream(http, payload(long_question, stop=["five"]))
    assert content_of(stopped) == 'Received the text "one two three four ' and finish_of(stopped) == "stop"
    seeded = stream(http, payload("Hi", seed=42, temperature=0.3))
    assert finish_of(seeded) == "stop"


def test_answer_words_pads_and_cuts() -> None:
    with (
        Emulator(answer_words=50) as emu,
        httpx.Client(base_url=emu.base_url, headers={"Authorization": "Bearer k"}) as client,
    ):
        chunks, _ = parse_sse(client.post(CHAT, json=payload("Hi")).text)
        assert len(content_of(chunks).split()) == 50
        assert chunks[-1]["usage"]["completion_tokens_details"]["text_tokens"] == 50


# ------------------------------------------------------------------------------------------ faults


def test_injected_429_with_retry_after_then_success(emu: Emulator, http: httpx.Client) -> None:
    emu.inject(Fault(status=429, retry_after=2), times=2)
    for _ in range(2):
        response = http.post(CHAT, json=payload("Hi"))
        assert response.status_code == 429
        assert response.headers["retry-after"] == "2"
        assert response.json()["error"]["code"] == "limit_requests"
        assert response.json()["error"]["message"] == "You have exceeded your current request limit."
    assert http.post(CHAT, json=payload("Hi")).status_code == 200
    assert [r.status for r in emu.requests] == [429, 429, 200]
    assert emu.requests[0].fault == Fault(status=429, retry_after=2)


@pytest.mark.parametrize(
    ("header", "status", "code"),
    [
        ("status=429;code=insufficient_quota", 429, "insufficient_quota"),
        ("status=500", 500, "InternalError"),
        ("status=503", 503, "ServiceUnavailable"),
        ("status=400;code=data_inspection_failed", 400, "data_inspection_failed"),
        ("code=Arrearage", 400, "Arrearage"),
    ],
)
def test_error_status_faults(http: httpx.Client, header: str, status: int, code: str) -> None:
    response = http.post(CHAT, json=payload("Hi"), headers={"X-Emulator-Fault": header})
    assert response.status_code == status
    body = response.json()
    assert body["error"]["code"] == code and body["error"]["message"] and body["error"]["param"] is None
    assert body["request_id"] == response.headers["x-request-id"]
    if code == "data_inspection_failed":
        message = "<400> InternalError.Algo.DataInspectionFailed: Input text data may contain inappropriate content."
        assert body["error"]["message"] == message


def test_header_fault_leaves_the_queue_alone(emu: Emulator, http: httpx.Client) -> None:
    emu.inject(Fault(status=503))
    assert http.post(CHAT, json=payload("Hi"), headers={"X-Emulator-Fault": "status=500"}).status_code == 500
    assert http.post(CHAT, json=payload("Hi")).status_code == 503
    assert http.post(CHAT, json=payload("Hi")).status_code == 200


def test_cut_after_breaks_the_connection(emu: Emulator) -> None:
    emu.inject(Fault(cut_after=3))
    received: list[str] = []
    with (
        httpx.Client(base_url=emu.base_url, headers={"Authorization": "Bearer k"}, timeout=10) as client,
        client.stream("POST", CHAT, json=payload("Hi")) as response,
    ):
        assert response.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError, match="incomplete chunked read"):
            received.extend(response.iter_lines())
    assert len([line for line in received if line.startswith("data: ")]) == 3
    assert emu.last_request is not None and emu.last_request.fault == Fault(cut_after=3)
    # the server keeps serving afterwards
    assert httpx.post(emu.base_url + CHAT, json=payload("Hi"), headers={"Authorization": "Bearer k"}).status_code == 200


def test_end_early_closes_cleanly_without_finish(http: httpx.Client) -> None:
    response = http.post(CHAT, json=payload("Hi"), headers={"X-Emulator-Fault": "end-early-after=2"})
    chunks, done = parse_sse(response.text)
    assert response.status_code == 200 and not done and len(chunks) == 2
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks)


def test_error_event_inside_the_stream(emu: Emulator, http: httpx.Client) -> None:
    header = "error-event-after=2;code=data_inspection_failed"
    response = http.post(CHAT, json=payload("Hi"), headers={"X-Emulator-Fault": header})
    chunks, done = parse_sse(response.text)
    assert response.status_code == 200 and not done and len(chunks) == 3
    error = chunks[-1]
    assert set(error) == {"error", "request_id"} and error["error"]["code"] == "data_inspection_failed"
    assert error["error"]["message"] and error["request_id"] == response.headers["x-request-id"]

    emu.inject(Fault(error_event_after=1))
    client = openai.OpenAI(base_url=emu.base_url, api_key="x", max_retries=0)
    broken = client.chat.completions.create(model=FLASH, messages=[{"role": "user", "content": "Hi"}], stream=True)
    with pytest.raises(openai.APIError, match="inappropriate"):
        list(broken)


def test_delays_are_applied(emu: Emulator) -> None:
    headers = {"Authorization": "Bearer k", "X-Emulator-Fault": "first-chunk-delay=0.3;chunk-delay=0.05"}
    body = payload("one two three four five six")
    with httpx.Client(timeout=10) as client:
        started = time.monotonic()
        with client.stream("POST", emu.base_url + CHAT, json=body, headers=headers) as response:
            lines = response.iter_lines()
            next(line for line in lines if line)
            first = time.monotonic() - started
            events = 1 + sum(1 for line in lines if line.startswith("data: "))
        total = time.monotonic() - started
    assert first >= 0.3
    assert events >= 5 and total >= 0.3 + 0.05 * (events - 1)


def test_openai_sdk_sees_status_faults(emu: Emulator) -> None:
    emu.inject(Fault(status=429, retry_after=1))
    client = openai.OpenAI(base_url=emu.base_url, api_key="x", max_retries=0)
    with pytest.raises(openai.RateLimitError) as caught:
        client.chat.completions.create(model=FLASH, messages=[{"role": "user", "content": "Hi"}], stream=True)
    assert caught.value.response.headers["retry-after"] == "1"
