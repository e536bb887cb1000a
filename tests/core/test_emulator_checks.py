"""The emulator's server-side checks: each refusal has DashScope's status, body shape, code and wording,
and is recorded with its status."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from qwen_omni import samples
from qwen_omni.emulator import Emulator
from qwen_omni.profiles import DATA_URI_MAX_BYTES, get_profile

CHAT = "/chat/completions"
FLASH = "qwen3.5-omni-flash"
THINKER = "qwen3-omni-flash"
TURBO = "qwen-omni-turbo"


def data_uri(data: bytes, mime: str = "") -> str:
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def body(content: Any = "Hi", model: str = FLASH, **extra: Any) -> dict[str, Any]:
    return {"model": model, "stream": True, "messages": [{"role": "user", "content": content}], **extra}


def image(data: bytes, mime: str = "image/png") -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": data_uri(data, mime)}}


def audio(data: bytes | str, fmt: str = "wav") -> dict[str, Any]:
    source = data if isinstance(data, str) else data_uri(data)
    return {"type": "input_audio", "input_audio": {"data": source, "format": fmt}}


def video(data: bytes | str) -> dict[str, Any]:
    return {"type": "video_url", "video_url": {"url": data if isinstance(data, str) else data_uri(data)}}


def frames(count: int) -> dict[str, Any]:
    return {"type": "video", "video": [f"https://example.invalid/{i}.jpg" for i in range(count)]}


def expect_refusal(
    emu: Emulator,
    response: httpx.Response,
    status: int,
    code: str | None,
    message: str | None = None,
    contains: str = "",
) -> None:
    assert response.status_code == status, response.text
    payload = response.json()
    assert set(payload) == {"error", "request_id"} and payload["request_id"] == response.headers["x-request-id"]
    error = payload["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["param"] is None
    assert error["code"] == code
    if code in ("invalid_parameter_error", None):
        assert error["type"] == "invalid_request_error"
    if message is not None:
        assert error["message"] == message
    assert contains.lower() in error["message"].lower()
    last = emu.last_request
    assert last is not None and last.status == status and last.error_code == code


STREAM_ONLY = f"{FLASH} only support with stream=true"  # with "code": null (reference, 2026-12)
JSON_WORD = "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'."
WEATHER = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object", "properties": {}}}}


def _no_stream() -> dict[str, Any]:
    payload = body()
    del payload["stream"]
    return payload


REQUEST_CHECKS: list[tuple[str, Callable[[], dict[str, Any]], int, str | None, str | None, str]] = [
    ("stream missing", _no_stream, 400, None, STREAM_ONLY, ""),
    ("stream false", lambda: {**body(), "stream": False}, 400, None, STREAM_ONLY, ""),
    (
        "unknown model",
        lambda: body(model="gpt-4o"),
        404,
        "model_not_found",
        "The model `gpt-4o` does not exist or you do not have access to it.",
        "",
    ),
    ("n=2", lambda: body(n=2), 400, "invalid_parameter_error", None, "n must be 1"),
    ("audio-only modality", lambda: body(modalities=["audio"]), 400, "invalid_parameter_error", None, "modalities"),
    (
        "mp3 output",
        lambda: body(modalities=["text", "audio"], audio={"voice": "Tina", "format": "mp3"}),
        400,
        "invalid_parameter_error",
        None,
        "audio.format must be 'wav'",
    ),
    (
        "turbo voice",
        lambda: body(model=TURBO, modalities=["text", "audio"], audio={"voice": "Tina", "format": "wav"}),
        400,
        "invalid_parameter_error",
        None,
        "voice",
    ),
    (
        "thinking unsupported",
        lambda: body(enable_thinking=True),
        400,
        "invalid_parameter_error",
        f"The model {FLASH} does not support enable_thinking.",
        "",
    ),
    (
        "thinking with audio",
        lambda: body(model=THINKER, enable_thinking=True, modalities=["text", "audio"]),
        400,
        "invalid_parameter_error",
        None,
        "not supported in thinking mode",
    ),
    (
        "search unsupported",
        lambda: body(model=THINKER, enable_search=True),
        400,
        "invalid_parameter_error",
        None,
        "enable_search",
    ),
    (
        "search strategy",
        lambda: body(enable_search=True, search_options={"search_strategy": "turbo"}),
        400,
        "invalid_parameter_error",
        None,
        "agent",
    ),
    ("tools unsupported", lambda: body(model=TURBO, tools=[WEATHER]), 400, "invalid_parameter_error", None, "tools"),
    (
        "tool_choice required",
        lambda: body(tools=[WEATHER], tool_choice="required"),
        400,
        "invalid_parameter_error",
        None,
        "tool_choice",
    ),
    (
        "forced tool while thinking",
        lambda: body(
            model=THINKER,
            enable_thinking=True,
            tools=[WEATHER],
            tool_choice={"type": "function", "function": {"name": "get_weather"}},
        ),
        400,
        "invalid_parameter_error",
        None,
        "thinking mode",
    ),
    (
        "json_object without json",
        lambda: body("Answer briefly", response_format={"type": "json_object"}),
        400,
        "invalid_parameter_error",
        JSON_WORD,
        "",
    ),
    ("seed range", lambda: body(seed=-1), 400, "invalid_parameter_error", None, "seed"),
    (
        "max_tokens range",
        lambda: body(model=TURBO, max_tokens=get_profile(TURBO).max_output_tokens + 1),
        400,
        "invalid_parameter_error",
        None,
        "max_tokens",
    ),
    (
        "assistant media",
        lambda: {
            **body(),
            "messages": [
                {"role": "user", "content": "Hi"},
                {
                    "role": "assistant",
                    "content": [{"type": "image_url", "image_url": {"url": "https://x.invalid/a.png"}}],
                },
                {"role": "user", "content": "And?"},
            ],
        },
        400,
        "invalid_parameter_error",
        None,
        "assistant messages may contain only text",
    ),
    (
        "mixed modalities on turbo",
        lambda: body([video("https://x.invalid/v.mp4"), audio("https://x.invalid/a.mp3", "mp3")], model=TURBO),
        400,
        "invalid_parameter_error",
        None,
        "one other modality per user message",
    ),
    (
        "two audio files on qwen3-omni-flash",
        lambda: body([audio("https://x.invalid/a.mp3", "mp3"), audio("https://x.invalid/b.mp3", "mp3")], model=THINKER),
        400,
        "invalid_parameter_error",
        None,
        "at most 1",
    ),
    ("one frame", lambda: body([frames(1)]), 400, "invalid_parameter_error", None, "between 2 and 2048"),
    (
        "three frames on turbo",
        lambda: body([frames(3)], model=TURBO),
        400,
        "invalid_parameter_error",
        None,
        "between 4",
    ),
    (
        "fps out of range",
        lambda: body([{**video("https://x.invalid/v.mp4"), "fps": 20}]),
        400,
        "invalid_parameter_error",
        None,
        "fps",
    ),
    (
        "audio format mpeg",
        lambda: body([audio("https://x.invalid/a.mp3", "mpeg")]),
        400,
        "invalid_parameter_error",
        None,
        "'mpeg'",
    ),
    (
        "bare base64 audio",
        lambda: body([audio(base64.b64encode(b"x" * 300).decode())]),
        400,
        "invalid_parameter_error",
        "<400> InternalError.Algo.InvalidParameter: The provided URL does not appear to be valid.",
        "",
    ),
    (
        "unknown part type",
        lambda: body([{"type": "input_file", "file": {}}]),
        400,
        "invalid_parameter_error",
        None,
        "input_file",
    ),
    (
        "high resolution on turbo",
        lambda: body(model=TURBO, vl_high_resolution_images=True),
        400,
        "invalid_parameter_error",
        None,
        "vl_high_resolution_images",
    ),
]


@pytest.mark.parametrize(
    ("make", "status", "code", "message", "contains"),
    [pytest.param(*check[1:], id=check[0]) for check in REQUEST_CHECKS],
)
def test_request_checks(
    emu: Emulator,
    http: httpx.Client,
    make: Callable[[], dict[str, Any]],
    status: int,
    code: str | None,
    message: str | None,
    contains: str,
) -> None:
    expect_refusal(emu, http.post(CHAT, json=make()), status, code, message, contains)


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(body(model="qwen9-omni-max"), id="unknown omni model served permissively"),
        pytest.param(body([image(samples.image_png(64, 48)), audio(samples.tone_wav(0.2))]), id="mixed on 3.5"),
        pytest.param(body([audio("https://x.invalid/a.mp3", "mp3")] * 2), id="two audios on 3.5"),
        pytest.param(body("Reply in JSON", response_format={"type": "json_object"}), id="json word"),
        pytest.param(body(model=THINKER, enable_thinking=True, tools=[WEATHER]), id="auto tools while thinking"),
    ],
)
def test_allowed_requests(http: httpx.Client, payload: dict[str, Any]) -> None:
    response = http.post(CHAT, json=payload)
    assert response.status_code == 200, response.text


def test_malformed_json(emu: Emulator, http: httpx.Client) -> None:
    response = http.post(
        CHAT, content=b'{"model": "qwen3.5-omni-flash", "stream": tr', headers={"content-type": "application/json"}
    )
    expect_refusal(emu, response, 400, "invalid_parameter_error", contains="not valid JSON")
    assert emu.last_request is not None and emu.last_request.payload is None
    response = http.post(CHAT, json=["not", "an", "object"])
    expect_refusal(emu, response, 400, "invalid_parameter_error", contains="JSON object")


def test_data_uri_over_the_limit(emu: Emulator, http: httpx.Client) -> None:
    prefix = "data:;base64,"
    big = prefix + "A" * (DATA_URI_MAX_BYTES + 1 - len(prefix))
    response = http.post(CHAT, json=body([audio(big)]))
    expect_refusal(
        emu, response, 400, "invalid_parameter_error", "Exceeded limit on max bytes per data-uri item : 10485760"
    )
    assert emu.last_request is not None and len(repr(emu.last_request)) < 3000


def test_media_checks(emu: Emulator, http: httpx.Client) -> None:
    turbo = get_profile(TURBO)
    assert turbo.video.max_seconds is not None and turbo.audio.max_seconds is not None
    long_video = samples.video_mp4(turbo.video.max_seconds + 1, fps=1, width=32, height=32, with_audio=False)
    expect_refusal(
        emu,
        http.post(CHAT, json=body([video(long_video)], model=TURBO)),
        400,
        "invalid_parameter_error",
        "The video modality input does not meet the requirements because: The video file is too long.",
    )
    part = emu.last_request.parts[0] if emu.last_request else None
    assert (
        part is not None and part.info is not None and part.info.duration == pytest.approx(turbo.video.max_seconds + 1)
    )

    expect_refusal(
        emu,
        http.post(CHAT, json=body([audio(b"this is not audio at all" * 10)])),
        400,
        "invalid_parameter_error",
        "<400> InternalError.Algo.InvalidParameter: The audio format is illegal and cannot be opened.",
    )
    long_audio = samples.tone_wav(turbo.audio.max_seconds + 1, sample_rate=8000)
    expect_refusal(
        emu,
        http.post(CHAT, json=body([audio(long_audio)], model=TURBO)),
        400,
        "invalid_parameter_error",
        contains="too long",
    )
    expect_refusal(
        emu, http.post(CHAT, json=body([image(b"garbage" * 20)])), 400, "invalid_parameter_error", contains="image"
    )
    expect_refusal(
        emu,
        http.post(CHAT, json=body([image(samples.image_png(8, 64))])),
        400,
        "invalid_parameter_error",
        contains="larger than 10",
    )


def test_emulator_headers_are_checked(emu: Emulator, http: httpx.Client) -> None:
    response = http.post(CHAT, json=body(), headers={"X-Emulator-Fault": "explode=1"})
    expect_refusal(emu, response, 400, "invalid_parameter_error", contains="unknown key")
    response = http.post(CHAT, json=body(), headers={"X-Emulator-Audio-Style": "loud"})
    expect_refusal(emu, response, 400, "invalid_parameter_error", contains="X-Emulator-Audio-Style")
