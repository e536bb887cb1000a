"""The reference's real error messages (2026-12), matched on substrings: the emulator sends them where it refuses
the same things, and each maps to the right error class with a hint that says what to do."""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from qwen_omni import samples
from qwen_omni.client import OmniClient
from qwen_omni.emulator import Emulator, Fault
from qwen_omni.errors import (
    APIError,
    BadRequestError,
    ContentModerationError,
    NotFoundError,
    StreamErrorEvent,
    StreamModerationError,
    error_for_status,
)
from qwen_omni.request import Message

CHAT = "/chat/completions"


def body(content: Any = "Hi", model: str = "qwen3.5-omni-flash", **extra: Any) -> dict[str, Any]:
    return {"model": model, "stream": True, "messages": [{"role": "user", "content": content}], **extra}


def data_uri(data: bytes) -> str:
    return "data:;base64," + base64.b64encode(data).decode()


def refused(http: httpx.Client, payload: dict[str, Any], path: str = CHAT) -> APIError:
    """Send ``payload`` as it is and map the refusal the way the client does."""
    response = http.post(path, json=payload)
    assert response.status_code >= 400, response.text
    error = response.json()["error"]
    return error_for_status(response.status_code, error["message"], code=error["code"])


def no_stream() -> dict[str, Any]:
    payload = body(model="qwen3-omni-flash")
    payload["stream"] = False
    return payload


frame = data_uri(samples.image_png(16, 16))
EMULATED: list[tuple[str, dict[str, Any], str, type[APIError], str, str | None]] = [
    # (case, payload, the reference's message (substring), class, hint substring, code)
    ("stream-only", no_stream(), "qwen3-omni-flash only support with stream=true", BadRequestError,
     "send stream=true", None),
    ("bare base64 audio",
     body([{"type": "input_audio", "input_audio": {"data": base64.b64encode(b"x" * 64).decode(), "format": "wav"}}]),
     "<400> InternalError.Algo.InvalidParameter: The provided URL does not appear to be valid.", BadRequestError,
     "never bare base64", "invalid_parameter_error"),
    ("audio_url part", body([{"type": "audio_url", "audio_url": {"url": "https://e.com/a.mp3"}}]),
     "Invalid value: audio_url. Supported values are: 'text','image_url','video_url' and 'video'.",
     BadRequestError, '"type": "input_audio"', "invalid_parameter_error"),
    ("turbo voice", body(model="qwen-omni-turbo", modalities=["text", "audio"], audio={"voice": "Tina",
                                                                                        "format": "wav"}),
     "Input should be 'Cherry', 'Serena', 'Ethan' or 'Chelsie': parameters.audio.voice", BadRequestError,
     "qwen-omni-turbo: Cherry, Serena, Ethan, Chelsie", "invalid_parameter_error"),
    ("251 data URIs", body([{"type": "video", "video": [frame] * 128}, {"type": "video", "video": [frame] * 123}]),
     "Exceeded limit on max data-uri per request: 250", BadRequestError, "pass the others by URL",
     "invalid_parameter_error"),
    ("max_tokens on qwen2.5-omni-7b", body(model="qwen2.5-omni-7b", max_tokens=5),
     "Range of max_tokens should be [10, 2048]", BadRequestError, "Set max_tokens within the range",
     "invalid_parameter_error"),
    ("unreadable audio", body([{"type": "input_audio", "input_audio": {"data": data_uri(b"junk" * 40),
                                                                        "format": "wav"}}]),
     "<400> InternalError.Algo.InvalidParameter: The audio format is illegal and cannot be opened",
     BadRequestError, "qwen_omni.media.transcode_audio", "invalid_parameter_error"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "payload", "message", "cls", "hint", "code"), EMULATED, ids=[c[0] for c in EMULATED])
def test_real_messages_through_the_emulator(
    http: httpx.Client,
    case: str,
    payload: dict[str, Any],
    message: str,
    cls: type[APIError],
    hint: str,
    code: str | None,
) -> None:
    error = refused(http, payload)
    assert type(error) is cls
    assert message in error.message and hint in error.message
    assert error.code == code


def test_url_error_from_the_wrong_endpoint_family(emu: Emulator) -> None:
    root = emu.base_url.removesuffix("/compatible-mode/v1")
    client = OmniClient(api_key="sk-test", base_url=root + "/api/v1", max_retries=0)
    with pytest.raises(NotFoundError) as info:
        client.complete([Message("user", "Hi")])
    assert "url error, please check url" in str(info.value) and "workspace endpoint" in str(info.value)


def test_moderation_is_recognised_by_its_wording_whatever_the_code(emu: Emulator) -> None:
    client = OmniClient(api_key="sk-test", base_url=emu.base_url, max_retries=0)
    flagged = "<400> InternalError.Algo.DataInspectionFailed: Input text data may contain inappropriate content."
    emu.inject(Fault(status=400, code="invalid_parameter_error", message=flagged))
    with pytest.raises(ContentModerationError) as info:
        client.complete([Message("user", "Hi")])
    assert info.value.code == "invalid_parameter_error" and "rephrase or remove" in str(info.value)
    emu.inject(Fault(error_event_after=2, code="InternalError", message=flagged.replace("Input text", "Output")))
    with pytest.raises(StreamModerationError):
        client.complete([Message("user", "Hi")])
    emu.inject(Fault(error_event_after=2))  # the default event: output moderation, with the prefix and no type
    with pytest.raises(StreamModerationError, match="DataInspectionFailed: Output data"):
        client.complete([Message("user", "Hi")])


def test_the_stream_error_event_has_no_type(emu: Emulator, http: httpx.Client) -> None:
    emu.inject(Fault(error_event_after=1))
    with http.stream("POST", CHAT, json=body()) as response:
        events = [line for line in response.iter_lines() if line.startswith('data: {"error"')]
    assert len(events) == 1 and '"type"' not in events[0] and "data_inspection_failed" in events[0]


PURE: list[tuple[str, int, str | None, str, type[APIError], str]] = [
    ("moderation, code null", 400, None,
     "<400> InternalError.Algo.DataInspectionFailed: Input text data may contain inappropriate content.",
     ContentModerationError, "rephrase"),
    ("documented moderation", 400, "data_inspection_failed", "Input data may contain inappropriate content.",
     ContentModerationError, "rephrase"),
    ("images to a text-only model", 400, "invalid_parameter_error",
     "<400> InternalError.Algo.InvalidParameter: The provided messages input is invalid. The error info is "
     "[Unexpected item type in content.]", BadRequestError, "use a Qwen-Omni model"),
    ("QwQ stream-only wording", 400, "invalid_parameter_error",
     "This model only support stream mode, please enable the stream parameter to access the model.",
     BadRequestError, "send stream=true"),
    ("data URI too big", 400, "invalid_parameter_error", "Exceeded limit on max bytes per data-uri item : 10485760",
     BadRequestError, "under 10 MB"),
    ("video too long", 400, "invalid_parameter_error",
     "The video modality input does not meet the requirements because: The video file is too long.",
     BadRequestError, "qwen3.5-omni-plus (up to 1 h of video)"),
    ("thinking unsupported", 400, "invalid_parameter_error", "The model qwen-omni-turbo does not support "
     "enable_thinking.", BadRequestError, "qwen3.8-omni-flash or qwen3-omni-flash"),
    ("url error", 404, None, "url error, please check url", NotFoundError, "compatible-mode URL"),
    ("rate", 429, "limit_requests", "You have exceeded your current request limit.", APIError,
     "qwen3-omni-flash 60, qwen-omni-turbo 60"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "status", "code", "message", "cls", "hint"), PURE, ids=[c[0] for c in PURE])
def test_real_messages_map_to_classes_and_hints(
    case: str, status: int, code: str | None, message: str, cls: type[APIError], hint: str
) -> None:
    error = error_for_status(status, message, code=code)
    assert isinstance(error, cls) and hint in str(error) and message in error.message


def test_a_non_moderation_event_in_a_stream_is_a_stream_error() -> None:
    error = error_for_status(200, "<400> InternalError.Algo.InvalidParameter: bad", code=None, in_stream=True)
    assert type(error) is StreamErrorEvent


def test_every_error_class_is_exported() -> None:
    import qwen_omni
    from qwen_omni import errors

    classes = {name for name in errors.__all__ if isinstance(getattr(errors, name), type)}
    assert classes <= set(qwen_omni.__all__)
    assert all(getattr(qwen_omni, name) is getattr(errors, name) for name in classes)
    defined = {name for name, value in vars(errors).items() if isinstance(value, type) and
               issubclass(value, errors.QwenOmniError)}  # fmt: skip
    assert defined <= classes
