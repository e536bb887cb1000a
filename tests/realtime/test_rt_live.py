"""The same spoken conversation against the real service (skipped without DASHSCOPE_API_KEY and QWEN_OMNI_LIVE=1)."""

from __future__ import annotations

import pytest
from realtime_support import converse, recording

from qwen_omni.realtime import RealtimeSession, RealtimeTool, ResponseDone, SessionConfig, ToolResult


def get_weather(city: str) -> str:
    """The current weather in a city."""
    return f"Sunny and 24 degrees in {city}"


@pytest.mark.live
async def test_a_spoken_conversation_with_a_tool_call_on_the_real_service() -> None:
    config = SessionConfig(instructions="Use get_weather for any weather question. Answer in one short sentence.",
                           tools=[RealtimeTool.from_function(get_weather)])  # fmt: skip
    audio = recording(0.3, "What is the weather in Paris right now?", 2.0)
    async with RealtimeSession.connect("qwen3.5-omni-flash-realtime", config) as session:
        events = await converse(session, audio, answers=2, wait=60)
    assert any(isinstance(e, ToolResult) and "Paris" in e.output for e in events)
    last = [e for e in events if isinstance(e, ResponseDone)][-1]
    assert last.answer.said and last.answer.pcm and last.answer.wav()[:4] == b"RIFF"
    assert isinstance(RealtimeSession, type)
