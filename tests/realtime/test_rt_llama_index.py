"""The LlamaIndex face: QwenOmniVoiceAgent holds the spoken conversation (a LlamaIndex tool run in the loop and
continued, barge-in, a dropped connection resumed), its messages and events exported as LlamaIndex's."""

from __future__ import annotations

from pathlib import Path

import pytest
from emulator_support import EMULATOR_KEY
from llama_index.core.llms import AudioBlock, MessageRole
from llama_index.core.tools import FunctionTool
from realtime_support import SPEECH_RATE, as_wav, recording

from llama_index_qwen_omni import AudioFileInterface, QwenOmniVoiceAgent
from llama_index_qwen_omni.voice_agent_events import InterruptionEvent, ToolCallEvent, ToolResultEvent
from qwen_omni.emulator import Emulator, ScriptedToolCall, ScriptRequest
from qwen_omni.emulator.realtime_state import RealtimeFault
from qwen_omni.realtime import SessionOptions

FILLER = " And now some more detail about the days ahead, one after the other." * 2


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}"


def script(request: ScriptRequest) -> object:
    if request.tool_results:
        return f"{request.tool_results[-1].content}.{FILLER}"
    if sum(m["role"] == "user" for m in request.messages) == 1:
        return ScriptedToolCall("get_weather", {"city": "Paris"})
    return "Tomorrow looks dry."


async def test_the_voice_agent_holds_a_spoken_conversation(rt: Emulator, tmp_path: Path) -> None:
    rt.realtime.configure(output_realtime_factor=1.0)
    audio = recording(0.3, "What is the weather in Paris?", 1.4, "And tomorrow? Will it rain in the afternoon?", 1.5)
    out = tmp_path / "answers.wav"
    interface = AudioFileInterface(as_wav(audio), realtime_factor=1.0, output_path=out)
    agent = QwenOmniVoiceAgent(interface=interface, tools=[FunctionTool.from_defaults(get_weather)],
                               base_url=rt.base_url, api_key=EMULATOR_KEY)  # fmt: skip
    with rt.answering(script):
        await agent.start(instructions="You are a weather assistant.")
        try:
            await agent.wait_for_responses(3, timeout=30)
        finally:
            await agent.stop()
    events = agent.export_events()
    call = next(e for e in events if isinstance(e, ToolCallEvent))
    result = next(e for e in events if isinstance(e, ToolResultEvent))
    assert (call.name, call.arguments, result.output) == ("get_weather", {"city": "Paris"}, "Sunny in Paris")
    assert any(isinstance(e, InterruptionEvent) for e in events) and interface.interruptions == 1
    assert rt.realtime.sessions[-1].tool_outputs == [(call.call_id, "Sunny in Paris")]
    messages = agent.export_messages()
    assert messages[0].role == MessageRole.SYSTEM
    assert [m.role for m in messages].count(MessageRole.TOOL) == 1
    last = messages[-1]
    assert last.role == MessageRole.ASSISTANT and last.content == "Tomorrow looks dry."
    assert any(isinstance(b, AudioBlock) for b in last.blocks)
    assert out.read_bytes() == interface.output() and out.read_bytes()[:4] == b"RIFF"
    assert events[0].model_dump(by_alias=True)["type"] in {"input_transcript", "tool_call"}
    assert abs(rt.realtime.sessions[-1].input_seconds - len(audio) / (2 * SPEECH_RATE)) < 0.05


async def test_the_voice_agent_resumes_a_dropped_connection(rt: Emulator) -> None:
    rt.realtime.inject(RealtimeFault(drop_after_responses=1))
    audio = recording(0.3, "What is the capital of France?", 1.2, "And of Italy?", 1.2)
    interface = AudioFileInterface(audio, sample_rate=SPEECH_RATE, realtime_factor=1.0)
    agent = QwenOmniVoiceAgent(interface=interface, base_url=rt.base_url, api_key=EMULATOR_KEY,
                               options=SessionOptions(event_timeout=15))  # fmt: skip
    await agent.start()
    try:
        await agent.wait_for_responses(2, timeout=30)
    finally:
        await agent.stop()
    assert [e.reason for e in agent.export_events() if e.type_t == "session.renewed"] == ["reconnect"]
    assert len(rt.realtime.sessions) == 2 and rt.realtime.sessions[0].close_reason == "dropped"


async def test_the_voice_agent_says_what_is_wrong(rt: Emulator) -> None:
    from qwen_omni.errors import InvalidRequestError

    agent = QwenOmniVoiceAgent(base_url=rt.base_url, api_key=EMULATOR_KEY)
    with pytest.raises(InvalidRequestError, match="not started"):
        await agent.send(b"\x00\x00")
    with pytest.raises(InvalidRequestError, match="no audio-only answer"):
        await agent.start(modalities=("audio",))
