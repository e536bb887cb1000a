"""Structured output held to its class, against an emulator scripted to answer like a careless model.

``structured_predict`` (a forced tool call; JSON mode in thinking mode), its async and streaming forms,
``as_structured_llm`` and ``FunctionAgent(output_cls=...)``: a loose first answer (a missing field, a string for a
number, prose around the object) is repaired with one more request, seen by callbacks and instrumentation as a chat
event of its own and counted by ``TokenCountingHandler``; an answer that stays wrong is LlamaIndex's
``OutputParserException`` with the raw answer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from emulator_support import in_turn
from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.llm import (
    LLMChatStartEvent,
    LLMStructuredPredictEndEvent,
    LLMStructuredPredictStartEvent,
)
from llama_index.core.llms import ChatMessage
from llama_index.core.output_parsers.base import OutputParserException
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llama_index_qwen_omni import QwenOmni
from llama_index_qwen_omni.errors import QwenOmniOutputParserError
from qwen_omni.emulator import Emulator, ScriptedToolCall
from qwen_omni.errors import StructuredOutputError

Make = Callable[..., QwenOmni]
PROMPT = PromptTemplate("What is the weather in {city}?")


class Weather(BaseModel):
    city: str
    temperature: float


LOOSE_CALL = ScriptedToolCall("Weather", {"temperature": "warm"})
GOOD_CALL = ScriptedToolCall("Weather", {"city": "Paris", "temperature": 21})
LOOSE = 'Sure! {"temperature": "warm"} Hope that helps.'
GOOD = '{"city": "Paris", "temperature": 21}'


def sent(emu: Emulator) -> list[dict[str, Any]]:
    return [r.payload or {} for r in emu.requests]


def test_a_loose_forced_call_is_repaired_and_every_request_is_a_chat_event(
    make_llm: Make, emu: Emulator, events: list[BaseEvent]
) -> None:
    llm = make_llm()
    counter = TokenCountingHandler()
    llm.callback_manager = CallbackManager([counter])
    with emu.answering(in_turn(LOOSE_CALL, GOOD_CALL)):
        assert llm.structured_predict(Weather, PROMPT, city="Paris") == Weather(city="Paris", temperature=21)
    first, repair = sent(emu)
    assert first["tool_choice"] == repair["tool_choice"] == {"type": "function", "function": {"name": "Weather"}}
    call, reply = repair["messages"][-2:]
    assert json.loads(call["tool_calls"][0]["function"]["arguments"]) == {"temperature": "warm"}
    assert reply["role"] == "tool" and "city: Field required" in reply["content"] and "temperature" in reply["content"]
    # the repair is an LLM event of its own: counted, and seen by instrumentation
    assert len(counter.llm_token_counts) == 2 and all(c.completion_token_count > 0 for c in counter.llm_token_counts)
    kinds = [type(e) for e in events]
    assert kinds.count(LLMChatStartEvent) == 2
    assert kinds.count(LLMStructuredPredictStartEvent) == kinds.count(LLMStructuredPredictEndEvent) == 1


def test_thinking_mode_repairs_a_loose_json_answer(make_llm: Make, emu: Emulator) -> None:
    thinker = make_llm(model="qwen3-omni-flash", enable_thinking=True)
    with emu.answering(in_turn(LOOSE, GOOD)):
        assert thinker.structured_predict(Weather, PROMPT, city="Paris") == Weather(city="Paris", temperature=21)
    first, repair = sent(emu)
    assert first["response_format"] == repair["response_format"] == {"type": "json_object"}
    assert "tool_choice" not in first and '"temperature"' in first["messages"][0]["content"]
    assert repair["messages"][-2] == {"role": "assistant", "content": LOOSE}
    assert "JSON object only" in repair["messages"][-1]["content"]


def test_the_async_and_streamed_forms_repair_too(make_llm: Make, emu: Emulator) -> None:
    llm = make_llm()
    with emu.answering(in_turn(LOOSE_CALL, GOOD_CALL)):
        assert asyncio.run(llm.astructured_predict(Weather, PROMPT, city="Paris")).city == "Paris"
    with emu.answering(in_turn(LOOSE_CALL, GOOD_CALL)):
        streamed = list(llm.stream_structured_predict(Weather, PROMPT, city="Paris"))
    assert streamed == [Weather(city="Paris", temperature=21)]

    async def streamed() -> list[Weather]:
        return [w async for w in await llm.astream_structured_predict(Weather, PROMPT, city="Paris")]

    with emu.answering(in_turn(LOOSE_CALL, GOOD_CALL)):
        assert asyncio.run(streamed()) == [Weather(city="Paris", temperature=21)]
    assert len(emu.requests) == 6


def test_as_structured_llm_repairs(make_llm: Make, emu: Emulator) -> None:
    structured = make_llm().as_structured_llm(Weather)
    with emu.answering(in_turn(LOOSE_CALL, GOOD_CALL)):
        response = structured.chat([ChatMessage(role="user", content="Weather in Paris?")])
    assert response.raw == Weather(city="Paris", temperature=21)
    assert Weather.model_validate_json(response.message.content or "") == response.raw
    with emu.answering(in_turn(LOOSE_CALL, GOOD_CALL)):
        streamed = list(structured.stream_chat([ChatMessage(role="user", content="Weather in Paris?")]))
    assert [r.raw for r in streamed] == [Weather(city="Paris", temperature=21)]


def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"It is 21 degrees in {city}."


def test_function_agent_output_cls_repairs_a_loose_answer(make_llm: Make, emu: Emulator) -> None:
    thinker = make_llm(model="qwen3-omni-flash", enable_thinking=True)
    agent = FunctionAgent(tools=[FunctionTool.from_defaults(get_weather)], llm=thinker, output_cls=Weather)
    answers = iter([ScriptedToolCall("get_weather", {"city": "Paris"}), "It is 21 degrees in Paris.", LOOSE, GOOD])

    async def run() -> Any:
        return await agent.run("What is the weather in Paris?")

    with emu.answering(lambda request: next(answers)):
        result = asyncio.run(run())
    assert Weather.model_validate(result.structured_response) == Weather(city="Paris", temperature=21)
    payloads = sent(emu)
    assert [p.get("response_format") for p in payloads[-2:]] == [{"type": "json_object"}] * 2
    assert payloads[-1]["messages"][-2] == {"role": "assistant", "content": LOOSE}


@pytest.mark.parametrize("thinking", [False, True], ids=["forced call", "json mode"])
def test_an_answer_that_stays_wrong_is_llamaindexs_parse_error(make_llm: Make, emu: Emulator, thinking: bool) -> None:
    llm = make_llm(model="qwen3-omni-flash", enable_thinking=thinking)
    wrong = LOOSE if thinking else LOOSE_CALL
    with emu.answering(in_turn(wrong)), pytest.raises(OutputParserException) as info:
        llm.structured_predict(Weather, PROMPT, city="Paris")
    error = info.value
    assert isinstance(error, QwenOmniOutputParserError) and isinstance(error, StructuredOutputError)
    assert error.raw == (LOOSE if thinking else '{"temperature": "warm"}')
    assert "city: Field required" in error.errors and "after 1 repair request" in str(error)
    assert len(emu.requests) == 2


@pytest.mark.parametrize(("repairs", "requests"), [(0, 1), (3, 4)])
def test_the_number_of_repairs_is_a_setting(make_llm: Make, emu: Emulator, repairs: int, requests: int) -> None:
    with emu.answering(in_turn(LOOSE_CALL)), pytest.raises(QwenOmniOutputParserError):
        make_llm(structured_output_repairs=repairs).structured_predict(Weather, PROMPT, city="Paris")
    assert len(emu.requests) == requests
