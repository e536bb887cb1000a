"""One spoken-answer shape on every path, agents with structured output, copies and pickles: all against the emulator.

Paths: ``invoke``, ``streaming=True``, ``astream_events`` over a chain, LangGraph's ``stream_mode="messages"``, the
bare model's ``astream_events``; ``create_agent(model, tools, response_format=Schema)`` through its real loop.
"""

from __future__ import annotations

import asyncio
import base64
import pickle
from collections.abc import Callable
from typing import Any

import pytest
from emulator_support import EMULATOR_KEY
from langchain.agents import create_agent
from langchain.agents.structured_output import ToolStrategy
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool
from langgraph.graph import START, MessagesState, StateGraph
from pydantic import BaseModel

from langchain_qwen_omni import ChatQwenOmni, QwenOmniInvalidRequestError, audio_pcm, audio_wav
from qwen_omni import samples
from qwen_omni.audio import wav_to_pcm16
from qwen_omni.emulator import Emulator
from qwen_omni.emulator.speech import speech_pcm

Make = Callable[..., ChatQwenOmni]
SPEAK = ["text", "audio"]


class Weather(BaseModel):
    city: str
    temperature: float


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"It is 21 degrees in {city}."


@tool
def get_time(city: str) -> str:
    """The local time in a city."""
    return "12:00"


def the_wav(message: AIMessage) -> bytes:
    """The WAV a whole answer holds, read the OpenAI way, checked against its v1 block."""
    audio = message.additional_kwargs["audio"]
    assert audio["format"] == "wav"
    wav = base64.b64decode(audio["data"])
    (block,) = [b for b in message.content_blocks if b["type"] == "audio"]
    assert block["mime_type"] == "audio/wav" and base64.b64decode(block["base64"]) == wav  # type: ignore[typeddict-item]
    assert wav[:4] == b"RIFF" and wav_to_pcm16(wav) == speech_pcm(message.text)
    return wav


def test_every_invoke_path_gives_the_same_playable_wav(make_llm: Make) -> None:
    speaker = make_llm(modalities=SPEAK)
    expected = the_wav(speaker.invoke("Say hi"))
    assert the_wav(make_llm(modalities=SPEAK, streaming=True).invoke("Say hi")) == expected

    async def through_events() -> tuple[AIMessage, list[Any]]:
        chain = RunnableLambda(lambda value: speaker.invoke(value))
        events = [e async for e in chain.astream_events("Say hi", version="v2")]
        (end,) = [e["data"]["output"] for e in events if e["event"] == "on_chat_model_end"]
        return end, [e["data"]["chunk"] for e in events if e["event"] == "on_chat_model_stream"]

    end, chunks = asyncio.run(through_events())
    assert isinstance(end, AIMessage) and the_wav(end) == expected
    # ... and the tokens still streamed, as PCM pieces with their sample format in the v1 block
    pieces = [c for c in chunks if audio_pcm(c)]
    assert len(pieces) > 3 and b"".join(audio_pcm(c) for c in pieces) == wav_to_pcm16(expected)
    block = next(b for b in pieces[0].content_blocks if b["type"] == "audio")
    assert block["mime_type"] == "audio/pcm" and block["extras"] == {"sample_rate": 24000, "channels": 1,  # type: ignore[typeddict-item]
                                                                     "sample_width": 2}  # fmt: skip


def test_langgraph_messages_mode_streams_pieces_and_keeps_one_wav(make_llm: Make) -> None:
    speaker = make_llm(modalities=SPEAK)

    def node(state: MessagesState) -> dict[str, Any]:
        return {"messages": [speaker.invoke(state["messages"])]}

    graph_builder = StateGraph(MessagesState)
    graph_builder.add_node("speak", node)
    graph_builder.add_edge(START, "speak")
    graph = graph_builder.compile()
    parts = list(graph.stream({"messages": [HumanMessage("Say hi")]}, stream_mode=["messages", "values"]))
    streamed = [message for mode, (message, _) in ((m, c) for m, c in parts if m == "messages")]
    assert streamed and all(isinstance(m, AIMessageChunk) for m in streamed)  # the final message is deduplicated
    assert len({m.id for m in streamed}) == 1
    final = [c for mode, c in parts if mode == "values"][-1]["messages"][-1]
    assert final.id == streamed[0].id
    assert wav_to_pcm16(the_wav(final)) == b"".join(audio_pcm(m) for m in streamed)


def test_the_bare_models_stream_end_is_the_sum_of_pieces_whose_v1_view_is_the_wav(make_llm: Make) -> None:
    speaker = make_llm(modalities=SPEAK)

    async def events() -> Any:
        found = [e async for e in speaker.astream_events("Say hi", version="v2")]
        return [e["data"]["output"] for e in found if e["event"] == "on_chat_model_end"][-1]

    end = asyncio.run(events())
    assert isinstance(end, AIMessageChunk) and len(end.additional_kwargs["audio"]["pcm"]) > 3
    (block,) = [b for b in end.content_blocks if b["type"] == "audio"]
    assert block["mime_type"] == "audio/wav" and base64.b64decode(block["base64"]) == audio_wav(end)  # type: ignore[typeddict-item]
    assert audio_wav(end) == audio_wav(speaker.invoke("Say hi"))


def test_create_agent_with_tools_and_a_schema_returns_the_structured_response(make_llm: Make, emu: Emulator) -> None:
    agent = create_agent(make_llm(model="qwen3.5-omni-flash"), tools=[get_weather, get_time], response_format=Weather)
    out = agent.invoke({"messages": [HumanMessage("What is the weather in Paris? Use get_weather.")]})
    assert isinstance(out["structured_response"], Weather)
    assert [type(m).__name__ for m in out["messages"]] == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage"]
    assert out["messages"][1].tool_calls[0]["name"] == "get_weather"
    # ProviderStrategy, chosen from the profile, sent as JSON mode (what Alibaba documents), with no forced tool
    payloads = [r.payload or {} for r in emu.requests]
    assert [p.get("response_format") for p in payloads] == [{"type": "json_object"}] * 2
    assert all("tool_choice" not in p for p in payloads)
    assert '"temperature"' in payloads[0]["messages"][0]["content"]


def test_tool_strategy_over_two_tools_says_what_works(make_llm: Make, emu: Emulator) -> None:
    agent = create_agent(make_llm(), tools=[get_weather, get_time], response_format=ToolStrategy(Weather))
    with pytest.raises(QwenOmniInvalidRequestError, match=r"ProviderStrategy\(Schema\)"):
        agent.invoke({"messages": [HumanMessage("Weather in Paris?")]})
    assert emu.requests == []


def test_structured_output_on_a_thinking_model_uses_json_mode(make_llm: Make, emu: Emulator) -> None:
    thinker = make_llm(model="qwen3-omni-flash", enable_thinking=True)
    result = thinker.with_structured_output(Weather).invoke("Paris is 21 degrees. Which city, how warm?")
    assert isinstance(result, Weather)
    payload = emu.requests[-1].payload or {}
    assert payload["response_format"] == {"type": "json_object"} and "tool_choice" not in payload
    with pytest.raises(QwenOmniInvalidRequestError, match="method='json_mode'"):
        thinker.with_structured_output(Weather, method="function_calling")


def test_model_copy_rebuilds_the_client(make_llm: Make, emu: Emulator) -> None:
    with Emulator() as other:
        original = make_llm()
        copied = original.model_copy(update={"base_url": other.base_url})
        assert copied.invoke("Hi").content == 'Received the text "Hi".'
        assert len(other.requests) == 1 and emu.requests == []
        original.invoke("Hi")
        assert len(emu.requests) == 1


def test_models_pickle_for_process_pools(make_llm: Make, monkeypatch: pytest.MonkeyPatch, emu: Emulator) -> None:
    given = make_llm(modalities=SPEAK)
    clone = pickle.loads(pickle.dumps(given))
    assert audio_wav(clone.invoke("Hi")) == audio_wav(given.invoke("Hi"))
    assert "sk-" not in repr(clone) and "**********" in repr(clone.api_key)
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    data = pickle.dumps(ChatQwenOmni(base_url=emu.base_url))
    assert EMULATOR_KEY.encode() not in data  # reread from the worker's environment instead
    monkeypatch.delenv("DASHSCOPE_API_KEY")
    assert pickle.loads(data).api_key is None
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    worker = pickle.loads(data)
    assert worker.api_key is not None and worker.api_key.get_secret_value() == EMULATOR_KEY
    assert worker.invoke("Hi").content == 'Received the text "Hi".'


def test_a_file_block_holding_audio_is_sent_as_audio(make_llm: Make, emu: Emulator) -> None:
    wav = samples.tone_wav(0.3)
    block = {"type": "file", "base64": base64.b64encode(wav).decode(), "mime_type": "audio/wav"}
    make_llm().invoke([HumanMessage([block, {"type": "text", "text": "What is this?"}])])
    (part, _) = (emu.requests[-1].payload or {})["messages"][0]["content"]
    assert part["type"] == "input_audio" and part["input_audio"]["format"] == "wav"
