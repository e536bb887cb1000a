"""The client against the emulator: streaming, retries, error mapping and the secrecy of the key."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from qwen_omni import samples
from qwen_omni.client import OmniClient, RetryPolicy, resolve_base_url
from qwen_omni.emulator import Emulator, Fault
from qwen_omni.errors import (
    APIConnectionError,
    AuthenticationError,
    BadRequestError,
    ContentModerationError,
    IncompleteResponseError,
    MissingAPIKeyError,
    RateLimitError,
    ServerError,
    StreamErrorEvent,
)
from qwen_omni.parts import AudioPart, ImagePart, TextPart, VideoFramesPart, VideoPart
from qwen_omni.request import Message
from qwen_omni.stream import AudioDelta, OmniResult, ReasoningDelta, TextDelta, ToolCallDelta

SECRET = "sk-very-secret-key-123"
FAST = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.05)
HELLO = [Message("user", "Hello")]


@pytest.fixture
def client(emu: Emulator) -> OmniClient:
    emu.reset()
    return OmniClient(api_key=SECRET, base_url=emu.base_url, retry_policy=FAST)


async def acollect(client: OmniClient, messages: list[Message], **options: Any) -> tuple[list[Any], OmniResult]:
    stream = client.astream(messages, **options)
    deltas = [d async for d in stream]
    return deltas, stream.result


def collect(client: OmniClient, messages: list[Message], **options: Any) -> tuple[list[Any], OmniResult]:
    stream = client.stream(messages, **options)
    deltas = list(stream)
    return deltas, stream.result


@pytest.fixture(params=["sync", "async"])
def run(request: pytest.FixtureRequest) -> Any:
    """Run a request through the sync or the async path, so every test below covers both."""
    import asyncio

    if request.param == "sync":
        return collect
    return lambda c, m, **o: asyncio.run(acollect(c, m, **o))


def test_text_answer_streams_deltas_and_usage(client: OmniClient, emu: Emulator, run: Any) -> None:
    deltas, result = run(client, HELLO, model="qwen3-omni-flash")
    texts = [d.text for d in deltas if isinstance(d, TextDelta)]
    assert len(texts) > 1, "the answer arrives in several deltas"
    assert "".join(texts) == result.text and result.text
    assert result.finish_reason == "stop"
    assert result.usage is not None and result.usage.total_tokens > 0
    assert emu.last_request.payload["stream"] is True
    assert emu.last_request.payload["stream_options"] == {"include_usage": True}


def test_media_crosses_the_wire_intact(client: OmniClient, emu: Emulator, run: Any) -> None:
    png, mp3 = samples.image_png(64, 48), samples.tone_mp3(1.0)
    mp4 = samples.video_mp4(2.0, fps=10, width=160, height=120)
    messages = [
        Message(
            "user",
            [
                ImagePart(png),
                AudioPart(mp3),
                VideoPart(mp4, fps=2),
                VideoFramesPart(samples.frames_jpeg(4)),
                TextPart("Describe."),
            ],
        )
    ]
    _, result = run(client, messages, model="qwen3.5-omni-plus")
    image, audio, video, frames = emu.last_request.parts
    assert (image.kind, image.source, image.mime_type, image.size_bytes) == ("image", "inline", "image/png", len(png))
    assert image.info is not None and (image.info.width, image.info.height) == (64, 48)
    assert (audio.kind, audio.format, audio.size_bytes) == ("audio", "mp3", len(mp3))
    assert audio.info is not None and audio.info.duration == pytest.approx(1.0, abs=0.1)
    assert video.kind == "video" and video.size_bytes == len(mp4) and video.options.get("fps") == 2
    assert video.info is not None and (video.info.width, video.info.height) == (160, 120)
    assert video.info.duration == pytest.approx(2.0, abs=0.2)
    assert frames.kind == "video_frames" and frames.frame_count == 4
    assert "64x48" in result.text


def test_spoken_answer_is_collected_whole(client: OmniClient, run: Any) -> None:
    deltas, result = run(client, HELLO, modalities=["text", "audio"], model="qwen3.5-omni-flash")
    pieces = [d.pcm for d in deltas if isinstance(d, AudioDelta)]
    assert len(pieces) > 1
    assert b"".join(pieces) == result.audio and len(result.audio) % 2 == 0
    assert result.wav()[:4] == b"RIFF"
    assert result.usage is not None and result.usage.completion_tokens_details.get("audio_tokens", 0) > 0


def test_transcript_style_audio_still_gives_text(emu: Emulator) -> None:
    with Emulator(audio_style="transcript") as old_style:
        client = OmniClient(api_key=SECRET, base_url=old_style.base_url)
        result = client.complete(HELLO, modalities=["text", "audio"], model="qwen-omni-turbo")
    assert result.text and result.transcript == result.text
    assert result.audio


def test_reasoning_arrives_before_the_text(client: OmniClient, run: Any) -> None:
    deltas, result = run(client, HELLO, model="qwen3-omni-flash", enable_thinking=True)
    kinds = [type(d).__name__ for d in deltas if isinstance(d, ReasoningDelta | TextDelta)]
    assert kinds[0] == "ReasoningDelta" and kinds[-1] == "TextDelta"
    assert result.reasoning and result.usage is not None
    assert result.usage.completion_tokens_details.get("reasoning_tokens", 0) > 0


def test_tool_call_is_streamed_in_fragments(client: OmniClient, run: Any) -> None:
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {
        "type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}  # fmt: skip
    deltas, result = run(client, [Message("user", "Weather in Paris?")], tools=[tool], model="qwen3-omni-flash")
    assert len([d for d in deltas if isinstance(d, ToolCallDelta)]) > 1
    (call,) = result.tool_calls
    assert call.name == "get_weather" and isinstance(call.arguments, dict) and "city" in call.arguments
    assert result.finish_reason == "tool_calls"


def test_429_twice_then_success(client: OmniClient, emu: Emulator, run: Any) -> None:
    emu.inject(Fault(status=429, retry_after=0.01), times=2)
    _, result = run(client, HELLO)
    assert result.finish_reason == "stop"
    assert [r.status for r in emu.requests] == [429, 429, 200]


def test_retry_after_is_honoured(client: OmniClient, emu: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    emu.inject(Fault(status=429, retry_after=0.2), times=1)
    with caplog.at_level(logging.WARNING, logger="qwen_omni"):
        client.complete(HELLO)
    (record,) = [r for r in caplog.records if "retry" in r.getMessage()]
    assert "in 0.20 s" in record.getMessage(), "the server's Retry-After, not the policy's backoff"


def test_retries_give_up_after_the_maximum(client: OmniClient, emu: Emulator, run: Any) -> None:
    emu.inject(Fault(status=503), times=5)
    with pytest.raises(ServerError) as info:
        run(client, HELLO)
    assert info.value.status_code == 503
    assert len(emu.requests) == 3, "one try and two retries"


def test_exhausted_quota_is_not_retried(client: OmniClient, emu: Emulator) -> None:
    emu.inject(Fault(status=429, code="insufficient_quota"), times=3)
    with pytest.raises(RateLimitError, match="quota") as info:
        client.complete(HELLO)
    assert info.value.code == "insufficient_quota"
    assert len(emu.requests) == 1


def test_no_retry_after_the_first_delta(client: OmniClient, emu: Emulator, run: Any) -> None:
    emu.inject(Fault(cut_after=2), times=1)  # the role chunk and one text delta
    with pytest.raises(APIConnectionError):
        run(client, HELLO)
    assert len(emu.requests) == 1, "a delta had reached the caller: retrying would repeat it"


def test_a_cut_before_any_delta_is_retried(client: OmniClient, emu: Emulator) -> None:
    emu.inject(Fault(cut_after=1), times=1)  # only the role chunk, which carries no delta
    result = client.complete(HELLO)
    assert result.finish_reason == "stop"
    assert len(emu.requests) == 2


def test_error_event_inside_a_200_stream_raises(client: OmniClient, emu: Emulator, run: Any) -> None:
    emu.inject(Fault(error_event_after=2, code="data_inspection_failed"), times=1)
    with pytest.raises(StreamErrorEvent) as info:
        run(client, HELLO)
    assert isinstance(info.value, ContentModerationError)
    assert info.value.code == "data_inspection_failed"
    assert len(emu.requests) == 1


def test_stream_ending_without_finish_reason_is_incomplete(client: OmniClient, emu: Emulator, run: Any) -> None:
    emu.inject(Fault(end_early_after=2), times=1)
    with pytest.raises(IncompleteResponseError, match="without a finish reason"):
        run(client, HELLO)


def test_401_is_not_retried_and_never_shows_the_key(emu: Emulator, run: Any) -> None:
    with Emulator(api_key="sk-the-right-one") as guarded:
        client = OmniClient(api_key=SECRET, base_url=guarded.base_url, retry_policy=FAST)
        with pytest.raises(AuthenticationError) as info:
            run(client, HELLO)
        assert len(guarded.requests) == 1
    message = str(info.value)
    assert "DASHSCOPE_API_KEY" in message and "region" in message
    assert SECRET not in message and SECRET not in repr(info.value)
    assert info.value.status_code == 401 and info.value.code == "invalid_api_key"
    assert info.value.request_id


def test_server_side_400_keeps_status_code_and_request_id(client: OmniClient, emu: Emulator) -> None:
    emu.inject(Fault(status=400, code="Arrearage"), times=1)
    with pytest.raises(BadRequestError) as info:
        client.complete(HELLO)
    assert (info.value.status_code, info.value.code) == (400, "Arrearage")
    assert info.value.request_id and info.value.request_id in str(info.value)


def test_missing_key_is_an_error_at_the_first_call_not_at_construction(
    emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    client = OmniClient(base_url=emu.base_url)
    with pytest.raises(MissingAPIKeyError, match="DASHSCOPE_API_KEY"):
        client.complete(HELLO)
    monkeypatch.setenv("DASHSCOPE_API_KEY", SECRET)
    assert client.complete(HELLO).finish_reason == "stop"


def test_the_key_is_never_in_repr_or_logs(emu: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    client = OmniClient(api_key=SECRET, base_url=emu.base_url, retry_policy=FAST)
    emu.inject(Fault(status=500), times=1)
    with caplog.at_level(logging.DEBUG):
        client.complete([Message("user", [ImagePart(samples.image_png()), TextPart("hi")])])
    assert SECRET not in repr(client)
    assert SECRET not in caplog.text
    assert "base64," not in caplog.text, "data URIs are never logged"


def test_connection_refused_is_a_connection_error() -> None:
    client = OmniClient(api_key=SECRET, base_url="http://127.0.0.1:9/compatible-mode/v1", retry_policy=FAST)
    with pytest.raises(APIConnectionError, match="Could not reach"):
        client.complete(HELLO)


def test_base_url_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHSCOPE_BASE_URL", raising=False)
    assert resolve_base_url() == "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"
    assert resolve_base_url(region="beijing") == "https://dashscope.aliyuncs.com/compatible-mode/v1"
    assert resolve_base_url(region="cn") == "https://dashscope.aliyuncs.com/compatible-mode/v1"
    monkeypatch.setenv("DASHSCOPE_BASE_URL", "http://localhost:1/v1/")
    assert resolve_base_url() == "http://localhost:1/v1"
    assert resolve_base_url("http://x/v1") == "http://x/v1"
    with pytest.raises(ValueError, match="Unknown region 'mars'"):
        resolve_base_url(region="mars")


def test_retry_policy_backoff_with_jitter() -> None:
    policy = RetryPolicy(initial_delay=1.0, max_delay=8.0, max_retry_after=60)
    for attempt, ceiling in [(0, 1.0), (1, 2.0), (2, 4.0), (5, 8.0)]:
        delay = policy.delay(attempt)
        assert 0.75 * ceiling <= delay <= ceiling
    assert policy.delay(0, retry_after=3.0) == 3.0
    assert policy.delay(0, retry_after=600.0) is None, "a longer wait than the cap is not retried early"


def test_result_before_the_end_is_an_error(client: OmniClient) -> None:
    stream = client.stream(HELLO)
    with pytest.raises(RuntimeError, match="not been read to the end"):
        _ = stream.result
    next(stream)
    list(stream)
    assert stream.result.finish_reason == "stop"


def test_async_calls_work_from_one_event_loop_after_another(client: OmniClient) -> None:
    import asyncio

    first = asyncio.run(client.acomplete(HELLO))
    second = asyncio.run(client.acomplete(HELLO))
    assert first.text == second.text
    assert first.finish_reason == second.finish_reason == "stop"


def test_a_stream_can_be_closed_early(client: OmniClient, emu: Emulator) -> None:
    emu.inject(Fault(chunk_delay=0.05), times=1)
    with client.stream(HELLO) as stream:
        first = next(stream)
    assert isinstance(first, TextDelta)
    with pytest.raises(StopIteration):
        next(stream)
    with pytest.raises(RuntimeError, match="not been read to the end"):
        _ = stream.result


async def test_an_async_stream_can_be_closed_early(client: OmniClient) -> None:
    async with client.astream(HELLO) as stream:
        first = await stream.__anext__()
    assert isinstance(first, TextDelta)
    with pytest.raises(StopAsyncIteration):
        await stream.__anext__()


def test_a_non_json_error_body_from_a_proxy_maps_to_a_server_error() -> None:
    """A gateway in front of the API may answer 502 with an HTML page: still a ServerError, retried, status kept."""
    import http.server
    import threading

    hits: list[str] = []

    class BadGateway(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hits.append(self.path)
            self.rfile.read(int(self.headers["Content-Length"]))
            body = b"<html><body>502 Bad Gateway</body></html>"
            self.send_response(502)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), BadGateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        client = OmniClient(api_key=SECRET, base_url=f"http://127.0.0.1:{server.server_port}/v1", retry_policy=FAST)
        with pytest.raises(ServerError) as info:
            client.complete(HELLO)
    finally:
        server.shutdown()
        server.server_close()
    assert info.value.status_code == 502
    assert "Bad Gateway" in str(info.value)
    assert hits == ["/v1/chat/completions"] * 3, "a 502 is retried"


def test_the_client_pickles_without_its_connections(emulator: Any) -> None:
    import pickle

    from emulator_support import EMULATOR_KEY

    from qwen_omni import Message, OmniClient

    client = OmniClient(api_key=EMULATOR_KEY, base_url=emulator.base_url)
    client.complete([Message("user", "Hi")])
    clone = pickle.loads(pickle.dumps(client))
    assert clone.complete([Message("user", "Hi")]).text == 'Received the text "Hi".'
    assert EMULATOR_KEY not in repr(clone)
