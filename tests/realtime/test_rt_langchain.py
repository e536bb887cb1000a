"""The LangChain face: QwenOmniVoiceReactAgent holds the spoken conversation with a LangChain tool in the loop
(continued), barge-in and a dropped connection resumed; each response is a traced chat-model run, its tool beneath."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from typing import Any
from uuid import UUID

from emulator_support import EMULATOR_KEY
from langchain_core.callbacks import AsyncCallbackHandler
from langchain_core.tools import tool
from realtime_support import recording

from langchain_qwen_omni import QwenOmniVoiceReactAgent
from qwen_omni.emulator import Emulator, ScriptedToolCall, ScriptRequest
from qwen_omni.emulator.realtime_state import RealtimeFault
from qwen_omni.realtime.audio_in import audio_frames

FILLER = " Then some more about the weather this week, day after day, all of it." * 2


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Rainy in {city}"


def script(request: ScriptRequest) -> object:
    if request.tool_results:
        return f"{request.tool_results[-1].content}.{FILLER}"
    if sum(m["role"] == "user" for m in request.messages) == 1:
        return ScriptedToolCall("get_weather", {"city": "Oslo"})
    return "Take an umbrella."


class Recorder(AsyncCallbackHandler):
    def __init__(self) -> None:
        self.calls: list[tuple[str, UUID, UUID | None]] = []

    async def on_chat_model_start(self, serialized: dict[str, Any], messages: Any, *, run_id: UUID,
                                  parent_run_id: UUID | None = None, **kwargs: Any) -> None:  # fmt: skip
        self.calls.append(("chat_start", run_id, parent_run_id))

    async def on_llm_end(self, response: Any, *, run_id: UUID, parent_run_id: UUID | None = None,
                         **kwargs: Any) -> None:  # fmt: skip
        self.calls.append(("llm_end", run_id, parent_run_id))
        self.last_text = response.generations[0][0].message.content

    async def on_tool_start(self, serialized: dict[str, Any], input_str: str, *, run_id: UUID,
                            parent_run_id: UUID | None = None, **kwargs: Any) -> None:  # fmt: skip
        self.calls.append(("tool_start", run_id, parent_run_id))


def browser_stream(pcm: bytes, rate: int, until: asyncio.Event) -> AsyncIterator[str]:
    """The input a browser sends react-voice-agent: input_audio_buffer.append JSON events, at real-time pace."""

    async def stream() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        start, sent = loop.time(), 0.0
        async for frame in audio_frames(pcm, sample_rate=rate):
            await asyncio.sleep(max(0.0, start + sent - loop.time()))
            sent += len(frame) / 32_000
            yield json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(frame).decode()})
        await asyncio.wait_for(until.wait(), 30)

    return stream()


async def run_agent(rt: Emulator, pcm: bytes, answers: int, **fields: Any) -> tuple[list[dict[str, Any]], Recorder]:
    out: list[dict[str, Any]] = []
    enough = asyncio.Event()

    async def send_output_chunk(chunk: str) -> None:
        out.append(json.loads(chunk))
        if sum(o["type"] == "response.done" for o in out) >= answers:
            enough.set()

    recorder = Recorder()
    agent = QwenOmniVoiceReactAgent(base_url=rt.base_url, api_key=EMULATOR_KEY, **fields)
    await asyncio.wait_for(agent.aconnect(browser_stream(pcm, 22_050, enough), send_output_chunk,
                                          callbacks=[recorder]), 60)  # fmt: skip
    return out, recorder


async def test_the_voice_react_agent_runs_langchain_tools_in_the_loop(rt: Emulator) -> None:
    rt.realtime.configure(output_realtime_factor=1.0)
    audio = recording(0.3, "What is the weather in Oslo?", 1.4, "And tomorrow? Will it rain in the afternoon?", 1.5)
    with rt.answering(script):
        out, recorder = await run_agent(rt, audio, 3, tools=[get_weather], instructions="Weather only.")
    tool_outputs = [o for o in out if o["type"] == "tool.output"]
    assert [(o["name"], o["output"]) for o in tool_outputs] == [("get_weather", "Rainy in Oslo")]
    record = rt.realtime.sessions[-1]
    assert record.tool_outputs[0][1] == "Rainy in Oslo"
    assert record.session_updates[0]["tools"][0]["function"]["name"] == "get_weather"  # nested, as Qwen takes it
    done = [o for o in out if o["type"] == "response.done"]
    assert [d["status"] for d in done] == ["completed", "cancelled", "completed"]  # the second was barged in on
    assert done[-1]["transcript"] == "Take an umbrella."
    assert any(o["type"] == "input_audio_buffer.speech_started" for o in out)
    audio_out = b"".join(base64.b64decode(o["delta"]) for o in out if o["type"] == "response.audio.delta"
                         and o["response_id"] == done[-1]["response_id"])  # fmt: skip
    assert len(audio_out) == len("Take an umbrella.") * 2400  # the emulator's 50 ms of speech per character
    # tracing: three chat-model runs; the tool run is a child of the first (the one that called it)
    starts = [c for c in recorder.calls if c[0] == "chat_start"]
    tool_run = next(c for c in recorder.calls if c[0] == "tool_start")
    assert len(starts) == 3 and tool_run[2] == starts[0][1]
    assert sum(c[0] == "llm_end" for c in recorder.calls) == 3 and recorder.last_text == "Take an umbrella."


async def test_the_voice_react_agent_resumes_a_dropped_connection(rt: Emulator) -> None:
    rt.realtime.inject(RealtimeFault(drop_after_responses=1))
    out, _ = await run_agent(rt, recording(0.3, "What is the capital of France?", 1.2, "And of Italy?", 1.2), 2)
    assert [o["reason"] for o in out if o["type"] == "session.renewed"] == ["reconnect"]
    assert [o["status"] for o in out if o["type"] == "response.done"] == ["completed", "completed"]
    assert rt.realtime.sessions[0].close_reason == "dropped" and rt.realtime.sessions[1].responses
