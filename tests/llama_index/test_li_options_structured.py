"""QwenOmni's options from the shared adapter layer, structured output in thinking mode, agents, pickling."""

from __future__ import annotations

import asyncio
import pickle
from collections.abc import Callable

import pytest
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.llms import ChatMessage
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llama_index_qwen_omni import QwenOmni
from qwen_omni.emulator import Emulator, schema_answer
from qwen_omni.errors import InvalidRequestError

Make = Callable[..., QwenOmni]


class Weather(BaseModel):
    city: str
    temperature: float


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"It is 21 degrees in {city}."


def test_the_options_langchain_has_are_sent(make_llm: Make, emu: Emulator) -> None:
    llm = make_llm(seed=3, stop=["zz"], extra_body={"x_field": 1}, default_headers={"X-Team": "search"})
    llm.chat([ChatMessage(role="user", content="Hi")])
    request = emu.requests[-1]
    payload = request.payload or {}
    assert (payload["seed"], payload["stop"], payload["x_field"]) == (3, ["zz"], 1)
    assert request.headers["x-team"] == "search"
    llm.chat([ChatMessage(role="user", content="Hi")], seed=4, extra_body={"y_field": 2})
    payload = emu.requests[-1].payload or {}
    assert (payload["seed"], payload["x_field"], payload["y_field"]) == (4, 1, 2)


def test_bad_option_values_are_refused_before_sending(make_llm: Make, emu: Emulator) -> None:
    with pytest.raises(InvalidRequestError, match="audio_format must be 'wav'"):
        make_llm(audio_format="mp3").chat([ChatMessage(role="user", content="Hi")])
    with pytest.raises(InvalidRequestError, match="seed must be between"):
        make_llm(seed=-1).chat([ChatMessage(role="user", content="Hi")])
    assert emu.requests == []


def test_structured_predict_in_thinking_mode_uses_json_mode(make_llm: Make, emu: Emulator) -> None:
    thinker = make_llm(model="qwen3-omni-flash", enable_thinking=True)
    with emu.answering(schema_answer):  # the opt-in answers that fit the schema in the prompt
        result = thinker.structured_predict(Weather, PromptTemplate("Paris is {t} degrees."), t="21")
    assert isinstance(result, Weather) and result.temperature == 21
    payload = emu.requests[-1].payload or {}
    assert payload["response_format"] == {"type": "json_object"} and "tool_choice" not in payload
    assert payload["enable_thinking"] is True and '"temperature"' in payload["messages"][0]["content"]
    with emu.answering(schema_answer):
        structured = thinker.as_structured_llm(Weather).chat([ChatMessage(role="user", content="Paris is 21 degrees.")])
    assert Weather.model_validate_json(structured.message.content or "").temperature == 21


def test_structured_predict_without_thinking_still_uses_a_forced_tool(make_llm: Make, emu: Emulator) -> None:
    result = make_llm().structured_predict(Weather, PromptTemplate("Paris is {t} degrees."), t="21")
    assert isinstance(result, Weather)
    assert (emu.requests[-1].payload or {})["tool_choice"] == {"type": "function", "function": {"name": "Weather"}}


def test_function_agent_with_output_cls_in_thinking_mode(make_llm: Make, emu: Emulator) -> None:
    thinker = make_llm(model="qwen3-omni-flash", enable_thinking=True)
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(get_weather)], llm=thinker, output_cls=Weather)

    async def run() -> object:
        return await agent.run("What is the weather in Paris?")

    with emu.answering(schema_answer):
        result = asyncio.run(run())
    assert Weather.model_validate(result.structured_response)  # type: ignore[attr-defined]
    payloads = [r.payload or {} for r in emu.requests]
    assert all(p.get("enable_thinking") is True for p in payloads)
    assert payloads[-1]["response_format"] == {"type": "json_object"}


def test_the_llm_pickles(make_llm: Make) -> None:
    llm = make_llm(modalities=["text", "audio"])
    clone = pickle.loads(pickle.dumps(llm))
    assert clone.complete("Hi").text == llm.complete("Hi").text
    assert "sk-" not in repr(clone)
