"""Bad input and limits: each a clear error of the project's, raised before anything is sent where the rule is
documented, or the server's error frame mapped; never a hang (every wait below is bounded)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from emulator_support import EMULATOR_KEY

from qwen_omni import samples
from qwen_omni.emulator import Emulator
from qwen_omni.emulator.realtime_state import RealtimeFault
from qwen_omni.errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CapabilityError,
    InvalidRequestError,
    LimitExceededError,
    MediaError,
    MissingAPIKeyError,
    NotFoundError,
    RateLimitError,
    ServerError,
)
from qwen_omni.realtime import (
    ErrorEvent,
    RealtimeSession,
    RealtimeTool,
    ResponseDone,
    SemanticVAD,
    ServerVAD,
    SessionConfig,
    SessionOptions,
)

MANUAL = SessionConfig(turn_detection=None)


def test_wrong_sample_rate_or_channels_are_refused_before_sending() -> None:
    import asyncio

    from qwen_omni.realtime.audio_in import audio_frames

    async def frames(**kwargs: Any) -> list[bytes]:
        return [f async for f in audio_frames(b"\x00\x00" * 100, **kwargs)]

    with pytest.raises(InvalidRequestError, match="sample_rate must be between 8000 and 192000"):
        asyncio.run(frames(sample_rate=4_000))
    with pytest.raises(InvalidRequestError, match=r"channels must be 1 \(mono\) or 2 \(stereo"):
        asyncio.run(frames(channels=0))
    with pytest.raises(InvalidRequestError, match=r"channels must be 1 \(mono\) or 2"):
        asyncio.run(frames(channels=6))

    async def odd() -> list[bytes]:
        return [f async for f in audio_frames(b"\x00" * 202, channels=2)]

    with pytest.raises(MediaError, match="middle of a sample"):
        asyncio.run(odd())  # 202 bytes are not whole stereo frames


async def test_odd_pcm_and_8_bit_wav_are_media_errors(rt: Emulator, connect: Callable[..., Any]) -> None:
    import io
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(1)
        out.setframerate(8000)
        out.writeframes(b"\x80" * 800)
    async with connect(MANUAL) as session:
        with pytest.raises(MediaError, match="8-bit"):
            await session.send_audio(buffer.getvalue())
        with pytest.raises(MediaError, match="middle of a sample"):
            await session.send_audio(b"\x00\x00\x00")


async def test_an_image_before_any_audio_is_refused_and_not_sent(rt: Emulator, connect: Callable[..., Any]) -> None:
    jpeg = samples.image_jpeg(64, 48)
    async with connect(MANUAL) as session:
        with pytest.raises(InvalidRequestError, match="Send audio before the first image"):
            await session.send_image(jpeg)
        await session.send_audio(b"\x00\x00" * 1600)
        await session.send_image(jpeg)
        with pytest.raises(MediaError, match="must be JPEG"):
            await session.send_image(samples.image_png(64, 48))
        with pytest.raises(LimitExceededError, match="at most 256 KB after base64"):
            await session.send_image(b"\xff\xd8\xff" + b"\x00" * 200_000 + b"\xff\xd9")
    record = rt.realtime.sessions[-1]
    assert record.wait_closed(10)
    assert record.events.count("input_image_buffer.append") == 1 and record.images == [jpeg]


async def test_the_emulator_refuses_an_image_before_audio_too(rt: Emulator, connect: Callable[..., Any]) -> None:
    import base64

    async with connect(MANUAL) as session:
        await session._send({"type": "input_image_buffer.append",
                             "image": base64.b64encode(samples.image_jpeg()).decode()})  # fmt: skip
        error = await session.wait_for(ErrorEvent, timeout=10)
    assert "only be appended after audio" in error.message and isinstance(error.error, BadRequestError)


async def test_unknown_voice_tools_and_vad_per_model_are_refused_before_connecting(rt: Emulator) -> None:
    def connect(model: str, config: SessionConfig) -> Any:
        return RealtimeSession.connect(model, config, base_url=rt.base_url, api_key=EMULATOR_KEY)

    with pytest.raises(CapabilityError, match="has no voice 'Nobody'; its voices are Cherry, Ethan"):
        connect("qwen3-omni-flash-realtime", SessionConfig(voice="Nobody"))
    with pytest.raises(CapabilityError, match="never calls tools"):
        connect("qwen3-omni-flash-realtime", SessionConfig(tools=[RealtimeTool("f")]))
    with pytest.raises(CapabilityError, match=r"semantic_vad needs a qwen3.5 or qwen3.8"):
        connect("qwen-omni-turbo-realtime", SessionConfig(turn_detection=SemanticVAD()))
    with pytest.raises(LimitExceededError, match=r"silence_duration_ms must lie in \[200, 6000\]"):
        connect("qwen3.5-omni-flash-realtime", SessionConfig(turn_detection=ServerVAD(silence_duration_ms=100)))
    with pytest.raises(InvalidRequestError, match="no audio-only answer"):
        connect("qwen3.5-omni-flash-realtime", SessionConfig(modalities=("audio",)))
    with pytest.raises(InvalidRequestError, match="workspace endpoints"):
        RealtimeSession.connect("qwen3.8-omni-flash-realtime", api_key="sk-x", region="singapore")
    assert rt.realtime.sessions == []  # nothing was opened


async def test_the_servers_refusal_of_a_session_update_is_raised(rt: Emulator, connect: Callable[..., Any]) -> None:
    """A rule the client does not know (here forced through ``extra``) is refused by the server's error frame."""
    with pytest.raises(BadRequestError, match=r"Invalid modalities: \['audio'\]"):
        await connect(SessionConfig(extra={"modalities": ["audio"]}))
    async with connect(MANUAL) as session:
        with pytest.raises(BadRequestError, match=r"turn_detection.type must be server_vad or semantic_vad"):
            await session.update_session(extra={"turn_detection": {"type": "nonsense_vad"}})


async def test_a_tool_result_for_an_unknown_call_is_refused(rt: Emulator, connect: Callable[..., Any]) -> None:
    async with connect(MANUAL) as session:
        with pytest.raises(InvalidRequestError, match="'call_nope' is not a call the model made"):
            await session.send_tool_result("call_nope", "42")
    assert "conversation.item.create" not in rt.realtime.sessions[-1].events


async def test_a_second_response_while_one_is_active_is_refused(rt: Emulator, connect: Callable[..., Any]) -> None:
    rt.realtime.configure(output_realtime_factor=0.5)  # a slow answer, still under way below
    async with connect(MANUAL) as session:
        await session.send_text("Tell me a long story, please, with many words in it.")
        with pytest.raises(InvalidRequestError, match="already under way"):
            await session.create_response()
        assert await session.cancel_response()
        done = await session.wait_for(ResponseDone, timeout=10)
        assert done.status == "cancelled" and done.answer.interrupted
        assert not await session.cancel_response()  # nothing left to cancel: nothing is sent
    assert rt.realtime.sessions[-1].events.count("response.cancel") == 1


async def test_commit_of_an_empty_buffer_is_refused(rt: Emulator, connect: Callable[..., Any]) -> None:
    async with connect(MANUAL) as session:
        with pytest.raises(InvalidRequestError, match="Nothing to commit"):
            await session.commit()


async def test_text_items_on_a_model_without_them(rt: Emulator, connect: Callable[..., Any]) -> None:
    async with connect(MANUAL, model="qwen3-omni-flash-realtime") as session:
        with pytest.raises(CapabilityError, match="does not take text messages"):
            await session.send_text("Hi")


async def test_the_connection_cap_is_a_rate_limit_error(rt: Emulator, connect: Callable[..., Any]) -> None:
    rt.realtime.configure(max_connections=1)
    async with connect(MANUAL):
        with pytest.raises(RateLimitError, match=r"connections too much max_connections 1.*account-wide"):
            await connect(MANUAL)


async def test_a_key_of_another_region_is_explained(rt: Emulator) -> None:
    with pytest.raises(AuthenticationError, match="works only in its own region") as caught:
        await RealtimeSession.connect(base_url=rt.base_url, api_key="sk-beijing-key-0001")
    assert caught.value.status_code == 401 and "sk-beijing-key-0001" not in str(caught.value)


async def test_no_key_a_chat_model_and_a_refused_upgrade(rt: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    with pytest.raises(MissingAPIKeyError):
        RealtimeSession.connect(base_url=rt.base_url)
    with pytest.warns(UserWarning, match="not a known Qwen-Omni Realtime model"):
        connector = RealtimeSession.connect("qwen3.5-omni-flash", base_url=rt.base_url, api_key=EMULATOR_KEY)
    with pytest.raises(NotFoundError, match="not a realtime model"):
        await connector
    rt.realtime.inject(RealtimeFault(reject_status=503))
    with pytest.raises(Exception, match="HTTP 503") as caught:
        await RealtimeSession.connect(base_url=rt.base_url, api_key=EMULATOR_KEY)
    assert type(caught.value).__name__ == "ServerError"


async def test_a_slow_handshake_and_a_quiet_session_end_by_their_timeouts(rt: Emulator) -> None:
    rt.realtime.inject(RealtimeFault(first_event_delay=3.0))
    with pytest.raises(APITimeoutError, match=r"not ready within 0.3 s"):
        await RealtimeSession.connect(base_url=rt.base_url, api_key=EMULATOR_KEY,
                                      options=SessionOptions(connect_timeout=0.3))  # fmt: skip
    async with RealtimeSession.connect(session=MANUAL, base_url=rt.base_url, api_key=EMULATOR_KEY) as session:
        with pytest.raises(APITimeoutError, match=r"No realtime event within 0.2 s"):
            async for _ in session.events(timeout=0.2):
                pass


async def test_an_error_after_connecting_and_an_unreachable_host(rt: Emulator) -> None:
    rt.realtime.inject(RealtimeFault(error_after_connect="COMMON_ERROR: Connect call failed 127.0.0.1:8090"))
    with pytest.raises(ServerError, match="Connect call failed"):
        await RealtimeSession.connect(base_url=rt.base_url, api_key=EMULATOR_KEY)
    with pytest.raises(APIConnectionError, match="Could not open the realtime connection"):
        await RealtimeSession.connect(base_url="http://127.0.0.1:9/compatible-mode/v1", api_key="sk-x")


async def test_close_is_idempotent_and_hangs_up_at_once(rt: Emulator, connect: Callable[..., Any]) -> None:
    session = await connect(MANUAL)
    record = rt.realtime.sessions[-1]
    await session.aclose()
    await session.aclose()
    assert record.wait_closed(5) and record.close_reason == "client"
    assert await session.next_event(timeout=1) is None
    with pytest.raises(APIConnectionError, match="closed"):
        await session.send_audio(b"\x00\x00" * 10)
