"""Structured output held to its schema, against an emulator scripted to answer like a careless model.

Every path LangChain offers (``with_structured_output`` by ``json_schema``, ``function_calling`` and ``json_mode``,
with ``include_raw``, in thinking mode, streamed and async; ``create_agent(response_format=Schema)``): a loose first
answer (a missing field, a string for a number, prose around the object) is repaired with one more request whose
errors the journal shows, and the repair counts in usage; an answer that stays wrong is LangChain's parse error
with the raw answer.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import pytest
from emulator_support import in_turn
from langchain.agents import create_agent
from langchain.agents.structured_output import StructuredOutputValidationError
from langchain_core.callbacks import UsageMetadataCallbackHandler
from langchain_core.exceptions import OutputParserException
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.tools import tool
from pydantic import BaseModel
from typing_extensions import TypedDict

from langchain_qwen_omni import ChatQwenOmni, QwenOmniOutputParserError
from qwen_omni.emulator import Emulator, ScriptedToolCall
from qwen_omni.errors import StructuredOutputError

Make = Callable[..., ChatQwenOmni]


class Weather(BaseModel):
    city: str
    temperature: float


class WeatherDict(TypedDict):
    city: str
    temperature: float


WEATHER_SCHEMA = {
    "title": "WeatherSchema",
    "type": "object",
    "properties": {"city": {"type": "string"}, "temperature": {"type": "number"}},
    "required": ["city", "temperature"],
}
#: A careless first answer: prose around the object, a string for the number, no city.
LOOSE = 'Sure! Here it is: {"temperature": "warm"} Hope that helps.'
GOOD = '{"city": "Paris", "temperature": 21}'


def words(text: str) -> int:
    """The emulator's output tokens for a text answer (qwen_omni/emulator/usage.py: one per word)."""
    return len(text.split())


def sent(emu: Emulator) -> list[dict[str, Any]]:
    return [r.payload or {} for r in emu.requests]


@pytest.mark.parametrize("method", ["json_schema", "json_mode"])
@pytest.mark.parametrize("schema", [Weather, WeatherDict, WEATHER_SCHEMA], ids=["pydantic", "typeddict", "dict"])
def test_a_loose_json_answer_is_repaired_once(make_llm: Make, emu: Emulator, method: str, schema: Any) -> None:
    runnable = make_llm().with_structured_output(schema, method=method, include_raw=True)  # type: ignore[arg-type]
    with emu.answering(in_turn(LOOSE, GOOD)):
        result = runnable.invoke("Weather in Paris?")
    parsed = result["parsed"]
    assert result["parsing_error"] is None
    assert (parsed.city, parsed.temperature) == ("Paris", 21) if schema is Weather else parsed == json.loads(GOOD)
    first, repair = sent(emu)
    assert first["response_format"] == repair["response_format"] == {"type": "json_object"}
    assert repair["messages"][:-2] == first["messages"]
    assert repair["messages"][-2] == {"role": "assistant", "content": LOOSE}
    errors = repair["messages"][-1]["content"]
    assert "city" in errors and "temperature" in errors and "JSON object only" in errors
    raw = result["raw"]
    assert isinstance(raw, AIMessage) and raw.content == GOOD
    assert raw.usage_metadata is not None and raw.usage_metadata["output_tokens"] == words(LOOSE) + words(GOOD)
    assert raw.response_metadata["structured_output"] == {
        "schema": "Weather" if schema is Weather else ("WeatherDict" if schema is WeatherDict else "WeatherSchema"),
        "valid": True,
        "repairs": 1,
        "errors": [],
    }


def test_a_string_for_a_number_fails_a_dict_schema_but_pydantic_coerces_it(make_llm: Make, emu: Emulator) -> None:
    numeric_string = '{"city": "Paris", "temperature": "21"}'
    with emu.answering(in_turn(numeric_string, GOOD)):
        assert make_llm().with_structured_output(WEATHER_SCHEMA, method="json_mode").invoke("Weather?") == {
            "city": "Paris",
            "temperature": 21,
        }
    assert len(emu.requests) == 2 and "temperature" in sent(emu)[1]["messages"][-1]["content"]
    emu.reset()
    with emu.answering(in_turn(numeric_string)):  # pydantic's own (lax) validation accepts "21" for a float
        assert make_llm().with_structured_output(Weather, method="json_mode").invoke("Weather?") == Weather(
            city="Paris", temperature=21
        )
    assert len(emu.requests) == 1


def test_an_object_inside_prose_that_fits_needs_no_repair(make_llm: Make, emu: Emulator) -> None:
    with emu.answering(in_turn(f"```json\n{GOOD}\n```")):
        result = make_llm().with_structured_output(Weather, method="json_schema", include_raw=True).invoke("Paris?")
    assert result["parsed"] == Weather(city="Paris", temperature=21) and len(emu.requests) == 1
    assert result["raw"].content == GOOD  # the JSON alone, as a provider's structured output is


def test_a_loose_forced_call_is_repaired_through_a_tool_message(make_llm: Make, emu: Emulator) -> None:
    loose = ScriptedToolCall("Weather", {"city": "Paris", "temperature": "warm"})
    good = ScriptedToolCall("Weather", {"city": "Paris", "temperature": 20.5})
    with emu.answering(in_turn(loose, good)):
        result = make_llm().with_structured_output(Weather, include_raw=True).invoke("Weather in Paris?")
    assert result["parsed"] == Weather(city="Paris", temperature=20.5)
    first, repair = sent(emu)
    assert first["tool_choice"] == repair["tool_choice"] == {"type": "function", "function": {"name": "Weather"}}
    call, reply = repair["messages"][-2:]
    assert call["role"] == "assistant"
    assert json.loads(call["tool_calls"][0]["function"]["arguments"])["temperature"] == "warm"
    assert reply["role"] == "tool" and reply["tool_call_id"] == call["tool_calls"][0]["id"]
    assert "temperature" in reply["content"] and "Call Weather again" in reply["content"]
    assert result["raw"].tool_calls[0]["args"] == {"city": "Paris", "temperature": 20.5}
    assert result["raw"].response_metadata["structured_output"]["repairs"] == 1


@pytest.mark.parametrize("method", ["json_schema", "function_calling", "json_mode"])
def test_an_answer_that_stays_wrong_is_langchains_parse_error_with_the_raw_answer(
    make_llm: Make, emu: Emulator, method: str
) -> None:
    wrong = ScriptedToolCall("Weather", {"city": 3}) if method == "function_calling" else LOOSE
    with emu.answering(in_turn(wrong)), pytest.raises(OutputParserException) as info:
        make_llm().with_structured_output(Weather, method=method).invoke("Weather in Paris?")  # type: ignore[arg-type]
    error = info.value
    assert isinstance(error, QwenOmniOutputParserError) and isinstance(error, StructuredOutputError)
    assert error.llm_output == error.raw == ('{"city": 3}' if method == "function_calling" else LOOSE)
    assert any("temperature" in e for e in error.errors) and "after 1 repair request" in str(error)
    assert len(emu.requests) == 2  # the answer and one repair


def test_include_raw_keeps_the_last_answer_and_the_parsing_error(make_llm: Make, emu: Emulator) -> None:
    with emu.answering(in_turn("No JSON at all.")):
        result = make_llm().with_structured_output(Weather, method="json_mode", include_raw=True).invoke("Paris?")
    assert result["parsed"] is None and isinstance(result["parsing_error"], QwenOmniOutputParserError)
    raw = result["raw"]
    assert isinstance(raw, AIMessage) and raw.content == "No JSON at all."
    assert raw.response_metadata["structured_output"]["valid"] is False
    assert raw.response_metadata["structured_output"]["errors"] == [
        "The answer holds no JSON object; it must be one JSON object and nothing else."
    ]


@pytest.mark.parametrize(("repairs", "requests"), [(0, 1), (2, 3)])
def test_the_number_of_repairs_is_a_setting(make_llm: Make, emu: Emulator, repairs: int, requests: int) -> None:
    with emu.answering(in_turn(LOOSE)), pytest.raises(QwenOmniOutputParserError):
        make_llm(structured_output_repairs=repairs).with_structured_output(Weather, method="json_mode").invoke("?")
    assert len(emu.requests) == requests


def test_thinking_mode_repairs_in_json_mode(make_llm: Make, emu: Emulator) -> None:
    thinker = make_llm(model="qwen3-omni-flash", enable_thinking=True)
    with emu.answering(in_turn(LOOSE, GOOD)):
        result = thinker.with_structured_output(Weather, include_raw=True).invoke("Paris is 21 degrees. Weather?")
    assert result["parsed"] == Weather(city="Paris", temperature=21)
    assert [p["response_format"] for p in sent(emu)] == [{"type": "json_object"}] * 2
    assert all(p["enable_thinking"] is True and "tool_choice" not in p for p in sent(emu))
    assert result["raw"].additional_kwargs["reasoning_content"]  # the reasoning of the answer that fits


def test_the_repair_counts_in_callbacks_usage(make_llm: Make, emu: Emulator) -> None:
    handler = UsageMetadataCallbackHandler()
    with emu.answering(in_turn(LOOSE, GOOD)):
        make_llm().with_structured_output(Weather, method="json_mode").invoke("Weather?", {"callbacks": [handler]})
    (usage,) = handler.usage_metadata.values()
    assert usage["output_tokens"] == words(LOOSE) + words(GOOD)


def test_streamed_and_async_structured_output_yield_the_validated_object(make_llm: Make, emu: Emulator) -> None:
    runnable = make_llm().with_structured_output(Weather, method="json_mode")
    with emu.answering(in_turn(LOOSE, GOOD)):
        assert list(runnable.stream("Weather?")) == [Weather(city="Paris", temperature=21)]
    with emu.answering(in_turn(LOOSE, GOOD)):
        assert asyncio.run(runnable.ainvoke("Weather?")) == Weather(city="Paris", temperature=21)
    assert len(emu.requests) == 4


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"It is 21 degrees in {city}."


def agent_answer(final: list[str]) -> Callable[[Any], Any]:
    """The agent's model: call get_weather first, then give the ``final`` answers in turn."""

    def answer(request: Any) -> Any:
        if not any(m.get("role") == "tool" for m in request.messages):
            return ScriptedToolCall("get_weather", {"city": "Paris"})
        return final.pop(0) if len(final) > 1 else final[0]

    return answer


def test_create_agent_repairs_a_loose_final_answer(make_llm: Make, emu: Emulator) -> None:
    agent = create_agent(make_llm(), tools=[get_weather], response_format=Weather)
    with emu.answering(agent_answer([LOOSE, GOOD])):
        out = agent.invoke({"messages": [HumanMessage("What is the weather in Paris?")]})
    assert out["structured_response"] == Weather(city="Paris", temperature=21)
    final = out["messages"][-1]
    assert final.content == GOOD and final.usage_metadata["output_tokens"] == words(LOOSE) + words(GOOD)
    payloads = sent(emu)
    assert len(payloads) == 3 and [p["response_format"] for p in payloads] == [{"type": "json_object"}] * 3
    assert payloads[2]["messages"][-2] == {"role": "assistant", "content": LOOSE}


def test_create_agent_whose_answer_stays_wrong_raises_its_own_parse_error(make_llm: Make, emu: Emulator) -> None:
    agent = create_agent(make_llm(), tools=[get_weather], response_format=Weather)
    with emu.answering(agent_answer([LOOSE])), pytest.raises(StructuredOutputValidationError) as info:
        agent.invoke({"messages": [HumanMessage("What is the weather in Paris?")]})
    assert info.value.ai_message.content == LOOSE  # the raw answer, as the agent reports it
    assert len(emu.requests) == 3  # the tool call, the answer, one repair
