"""One spoken-answer shape on every path, agents with structured output, copies and pickles: all against the emulator.

Paths: ``invoke``, ``streaming=True``, ``astream_events`` over a chain, LangGraph's ``stream_mode="messages"``, the
bare model's ``astream_events``; ``create_agent(model, tools, response_format=Schema)`` through its real loop.
"""

from __future__ import annotations

import asyncio
import base64
import io
import pickle
import wave
from collections.abc import Callable
from typing import Any

import pytest
from emulator_support import EMULATOR_KEY
from langchain.agents import create_agent
from langchain.agents.structured_output import ToolStrategy
from langchain_core.messages import AIMessageChunk, BaseMessage, HumanMessage
from langchain_core.runnables import RunnableLambda
from langchain_core.tools import tool
from langgraph.graph import START, MessagesState, StateGraph
from pydantic import BaseModel

from langchain_qwen_omni import ChatQwenOmni, QwenOmniInvalidRequestError, audio_pcm, audio_wav
from langchain_qwen_omni._spoken import SpokenAudio
from qwen_omni import samples
from qwen_omni.audio import wav_to_pcm16
from qwen_omni.emulator import Emulator, schema_answer
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


def assert_one_spoken_answer(message: BaseMessage, *, v1: bool) -> bytes:
    """The shape every path's final message has (README, "Spoken answers"); returns its WAV file.

    ``additional_kwargs["audio"]``: exactly the documented keys, the base64 PCM pieces decoding bit-exactly to the
    emulator's tone for the text; its v1 content: exactly one audio block, the whole answer as a WAV file, the very
    bytes ``audio_wav`` returns.
    """
    audio = message.additional_kwargs["audio"]
    assert isinstance(audio, SpokenAudio)
    assert list(audio) == ["id", "format", "sample_rate", "pcm", "transcript"], list(audio)
    assert (audio["format"], audio["sample_rate"], audio["transcript"]) == ("pcm16", 24000, message.text)
    assert audio["id"].startswith("audio_") and len(audio["pcm"]) > 3
    pcm = speech_pcm(message.text)
    assert b"".join(base64.b64decode(piece) for piece in audio["pcm"]) == pcm
    blocks = [b for b in message.content_blocks if b["type"] == "audio"]
    assert len(blocks) == 1, [b.get("mime_type") for b in blocks]
    (block,) = blocks
    wav = audio_wav(message)
    assert block["mime_type"] == "audio/wav" and base64.b64decode(block["base64"]) == wav  # type: ignore[typeddict-item]
    assert wav[:4] == b"RIFF" and wav_to_pcm16(wav) == pcm == audio_pcm(message)
    if v1:
        assert isinstance(message.content, list)
        assert [b["type"] for b in message.content if isinstance(b, dict)].count("audio") == 1
    else:
        assert isinstance(message.content, str)
    return wav


def _summed(chunks: list[Any]) -> AIMessageChunk:
    total = chunks[0]
    for chunk in chunks[1:]:
        total = total + chunk
    return total


def _final_message(path: str, speaker: ChatQwenOmni) -> BaseMessage:
    """The final message of one way of asking (each a path a user takes)."""
    if path == "invoke":
        return speaker.invoke("Say hi")
    if path == "streaming=True":
        return speaker.model_copy(update={"streaming": True}).invoke("Say hi")
    if path == "stream summed":
        return _summed(list(speaker.stream("Say hi")))
    if path == "astream summed":

        async def collect() -> list[Any]:
            return [chunk async for chunk in speaker.astream("Say hi")]

        return _summed(asyncio.run(collect()))
    if path in ("astream_events end", "astream_events end in a chain"):
        runnable: Any = speaker if path == "astream_events end" else RunnableLambda(lambda v: speaker.invoke(v))

        async def ends() -> list[Any]:
            events = [e async for e in runnable.astream_events("Say hi", version="v2")]
            return [e["data"]["output"] for e in events if e["event"] == "on_chat_model_end"]

        (end,) = asyncio.run(ends())
        return end  # type: ignore[no-any-return]
    if path in ("langgraph messages summed", "langgraph final state"):

        def node(state: MessagesState) -> dict[str, Any]:
            return {"messages": [speaker.invoke(state["messages"])]}

        builder = StateGraph(MessagesState)
        builder.add_node("speak", node)
        builder.add_edge(START, "speak")
        graph = builder.compile()
        parts = list(graph.stream({"messages": [HumanMessage("Say hi")]}, stream_mode=["messages", "values"]))
        streamed = [message for mode, (message, _) in ((m, c) for m, c in parts if m == "messages")]
        assert streamed and all(isinstance(m, AIMessageChunk) for m in streamed)  # the final one is deduplicated
        assert len({m.id for m in streamed}) == 1
        final = [c for mode, c in parts if mode == "values"][-1]["messages"][-1]
        assert final.id == streamed[0].id
        return _summed(streamed) if path == "langgraph messages summed" else final
    raise AssertionError(path)


PATHS = ["invoke", "streaming=True", "stream summed", "astream summed", "astream_events end",
         "astream_events end in a chain", "langgraph messages summed", "langgraph final state"]  # fmt: skip


@pytest.mark.parametrize("output_version", ["v0", "v1"])
@pytest.mark.parametrize("path", PATHS)
def test_every_path_gives_one_spoken_answer_of_one_shape(make_llm: Make, path: str, output_version: str) -> None:
    speaker = make_llm(modalities=SPEAK, output_version=output_version)
    wav = assert_one_spoken_answer(_final_message(path, speaker), v1=output_version == "v1")
    assert wav == audio_wav(make_llm(modalities=SPEAK).invoke("Say hi"))  # the same file, whatever the path


def test_streamed_pieces_play_as_they_arrive_on_the_event_paths(make_llm: Make) -> None:
    speaker = make_llm(modalities=SPEAK)

    async def chunks() -> list[Any]:
        chain = RunnableLambda(lambda value: speaker.invoke(value))
        events = [e async for e in chain.astream_events("Say hi", version="v2")]
        return [e["data"]["chunk"] for e in events if e["event"] == "on_chat_model_stream"]

    pieces = [c for c in asyncio.run(chunks()) if audio_pcm(c)]
    assert len(pieces) > 3 and b"".join(audio_pcm(c) for c in pieces) == speech_pcm('Received the text "Say hi".')
    assert all(b["type"] != "audio" for c in pieces for b in c.content_blocks)  # no block per piece


def test_a_summed_v1_stream_of_a_ten_minute_answer_holds_one_bit_exact_wav(make_llm: Make, emu: Emulator) -> None:
    text = ("Ten minutes of speech, read out one word after another. " * 215)[:12_000]  # 0.05 s a character
    speaker = make_llm(modalities=SPEAK, output_version="v1")
    with emu.answering(lambda request: text):
        total = None
        for chunk in speaker.stream("Talk for ten minutes"):
            total = chunk if total is None else total + chunk
    assert total is not None and total.text == text
    pcm = speech_pcm(text)
    assert len(pcm) == 600 * 24000 * 2
    audio_blocks = [b for b in total.content if isinstance(b, dict) and b["type"] == "audio"]
    assert len(audio_blocks) == 1 and audio_blocks[0]["mime_type"] == "audio/wav"
    wav = base64.b64decode(audio_blocks[0]["base64"])
    with wave.open(io.BytesIO(wav)) as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (24000, 1, 2)
        assert reader.readframes(reader.getnframes()) == pcm  # bit-exact


def test_create_agent_with_tools_and_a_schema_returns_the_structured_response(make_llm: Make, emu: Emulator) -> None:
    agent = create_agent(make_llm(model="qwen3.5-omni-flash"), tools=[get_weather, get_time], response_format=Weather)
    with emu.answering(schema_answer):  # the opt-in answers that fit the schema (a tool call first)
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
    with emu.answering(schema_answer):
        result = thinker.with_structured_output(Weather).invoke("Paris is 21 degrees. Which city, how warm?")
    assert result == Weather(city="warm", temperature=21)  # what the opt-in answers read from the prompt
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
