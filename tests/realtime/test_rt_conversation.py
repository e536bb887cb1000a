"""A spoken conversation against the emulator through the core: real speech streamed at real-time pace, server VAD,
a tool call answered and continued, barge-in, and every byte checked on the emulator's side."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import av
import numpy as np
from realtime_support import SPEECH_RATE, converse, recording, seconds_of

from qwen_omni.emulator import Emulator, ScriptedToolCall, ScriptRequest
from qwen_omni.emulator.speech import speech_pcm as emulator_speech
from qwen_omni.realtime import (
    AudioDelta,
    BargeIn,
    InputTranscriptDone,
    RealtimeTool,
    ResponseDone,
    ServerVAD,
    SessionConfig,
    SpeechStarted,
    ToolCall,
    ToolResult,
)

#: Long enough (about 6 s spoken at real-time pace) to be still playing when the next question starts.
FILLER = " Let me tell you more about the week ahead, day by day, with all the details." * 2
LAST_ANSWER = "Tomorrow looks dry."


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny and 24 degrees in {city}"


def weather_script(request: ScriptRequest) -> Any:
    """First turn: call get_weather; after its output: say it, at length (to be interrupted); then a short answer."""
    if request.tool_results:
        return f"It is {request.tool_results[-1].content}.{FILLER}"
    spoken_turns = [m for m in request.messages if m["role"] == "user"]
    if len(spoken_turns) == 1:
        return ScriptedToolCall("get_weather", {"city": "Paris"})
    return LAST_ANSWER


def decoded(wav: bytes) -> tuple[int, int, np.ndarray]:
    with av.open(io.BytesIO(wav)) as container:
        stream = container.streams.audio[0]
        samples = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(stream)])
        return stream.rate, stream.channels, samples


async def test_spoken_conversation_with_a_tool_call_and_barge_in(rt: Emulator, connect: Callable[..., Any]) -> None:
    rt.realtime.configure(output_realtime_factor=1.0)
    audio = recording(0.3, "What is the weather in Paris?", 1.4, "And tomorrow? Will it rain in the afternoon?", 1.5)
    config = SessionConfig(tools=[RealtimeTool.from_function(get_weather)], turn_detection=ServerVAD())
    with rt.answering(weather_script):
        async with connect(config) as session:
            events = await converse(session, audio, answers=3)
    kinds = [type(e).__name__ for e in events]
    # the tool call, run by the session, answered, then continued with one response.create
    call = next(e for e in events if isinstance(e, ToolCall))
    assert (call.name, call.arguments) == ("get_weather", {"city": "Paris"})
    result = next(e for e in events if isinstance(e, ToolResult))
    assert (result.call_id, result.output, result.error) == (call.call_id, "sunny and 24 degrees in Paris", False)
    record = rt.realtime.sessions[-1]
    assert record.tool_outputs == [(call.call_id, "sunny and 24 degrees in Paris")]
    after_output = record.events[record.events.index("conversation.item.create") :]
    assert after_output.count("response.create") == 1
    dones = [e for e in events if isinstance(e, ResponseDone)]
    assert [d.answer.tool_calls[0].name for d in dones[:1]] == ["get_weather"]
    # the continuation started speaking before the input ended, and the second question barged in
    barge = next(e for e in events if isinstance(e, BargeIn))
    assert barge.response_id == dones[1].response_id
    assert dones[1].answer.interrupted and dones[1].status == "cancelled"
    assert kinds.index("BargeIn") < kinds.index("ResponseDone", kinds.index("BargeIn"))
    stale = [
        e for e in events[kinds.index("BargeIn") :] if isinstance(e, AudioDelta) and e.response_id == barge.response_id
    ]
    assert stale == []  # not one delta of the interrupted answer after the barge-in
    # the last answer is whole, and its WAV is bit-exact: the deltas' samples, which are the emulator's speech
    last = dones[2]
    assert last.answer.complete and last.answer.said == LAST_ANSWER
    deltas = b"".join(e.pcm for e in events if isinstance(e, AudioDelta) and e.response_id == last.response_id)
    assert bytes(last.answer.pcm) == deltas == emulator_speech(LAST_ANSWER)
    rate, channels, samples = decoded(last.answer.wav())
    assert (rate, channels) == (24_000, 1) and samples.astype("<i2").tobytes() == deltas
    # what the emulator heard: the whole recording, converted to 16 kHz mono, two spoken turns transcribed
    rate, channels, samples = decoded(record.input_wav())
    assert (rate, channels) == (16_000, 1)
    assert abs(len(samples) / rate - seconds_of(audio)) < 0.05
    heard = [e.transcript for e in events if isinstance(e, InputTranscriptDone)]
    assert len(heard) == 2 and all(h.endswith(" s of speech]") for h in heard)
    assert sum(isinstance(e, SpeechStarted) for e in events) == 2
    assert record.close_reason == "client"


async def test_the_received_audio_is_the_sent_audio_resampled(rt: Emulator, connect: Callable[..., Any]) -> None:
    """48 kHz stereo in: the emulator receives 16 kHz mono of the same length and pitch (decoded, not assumed)."""
    seconds, rate = 1.5, 48_000
    t = np.arange(int(seconds * rate)) / rate
    tone = (0.3 * 32767 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
    stereo = np.repeat(tone, 2).tobytes()
    async with connect(SessionConfig(turn_detection=None)) as session:
        sent = await session.send_audio(stereo, sample_rate=rate, channels=2)
    record = rt.realtime.sessions[-1]
    assert record.wait_closed(10)
    got_rate, got_channels, samples = decoded(record.input_wav())
    assert (got_rate, got_channels) == (16_000, 1)
    assert abs(len(samples) / 16_000 - seconds) < 0.01 and abs(sent - seconds) < 0.01
    spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
    assert abs(np.argmax(spectrum) * 16_000 / len(samples) - 440) < 5
    frames = [e for e in record.events if e == "input_audio_buffer.append"]
    assert len(frames) == 15  # 100 ms frames


async def test_a_wav_file_says_its_own_format(rt: Emulator, connect: Callable[..., Any]) -> None:
    from realtime_support import as_wav

    wav = as_wav(recording(0.2, "Hello there.", 0.2))
    async with connect(SessionConfig(turn_detection=None)) as session:
        sent = await session.send_audio(wav)
    assert abs(sent - seconds_of(recording(0.2, "Hello there.", 0.2), SPEECH_RATE)) < 0.01
