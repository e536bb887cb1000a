"""Tools and structure against the emulator: tool choice, streamed tool calls, agents, structured output."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import pytest
from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ReActAgent, ToolCallResult
from llama_index.core.base.llms.types import ChatMessage, ToolCallBlock
from llama_index.core.memory import Memory
from llama_index.core.prompts import PromptTemplate
from llama_index.core.tools import FunctionTool
from pydantic import BaseModel

from llama_index_qwen_omni import QwenOmni
from qwen_omni.emulator import Emulator, ScriptedToolCall, ScriptRequest
from qwen_omni.emulator.received import ReceivedRequest

# llama-index-workflows walks each agent with inspect.getmembers (pydantic deprecation warnings) and its
# ReActAgent asks ctx.is_running inside a step: framework noise, not this package's.
pytestmark = [
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
    pytest.mark.filterwarnings("ignore:is_running called from within a step:DeprecationWarning"),
]

MakeLLM = Callable[..., QwenOmni]
Last = Callable[[], ReceivedRequest]


def get_weather(city: str) -> str:
    """Tell the weather in a city."""
    return f"Sunny and 21 C in {city}"


def get_time(timezone: str) -> str:
    """Tell the time in a timezone."""
    return f"12:00 in {timezone}"


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


WEATHER = FunctionTool.from_defaults(get_weather)
TIME = FunctionTool.from_defaults(get_time)


class City(BaseModel):
    """A city and its population."""

    name: str
    population: int


# -- tool choice ----------------------------------------------------------------------------------------------


def test_a_required_single_tool_is_named(llm: QwenOmni, last: Last) -> None:
    history = [ChatMessage(role="system", content="Use tools.")]
    response = llm.chat_with_tools(
        [WEATHER], user_msg="What is the weather in Paris", chat_history=history, tool_required=True
    )
    payload = last().payload
    assert payload is not None
    assert payload["tool_choice"] == {"type": "function", "function": {"name": "get_weather"}}
    assert payload["parallel_tool_calls"] is False
    assert payload["tools"][0]["function"]["parameters"]["required"] == ["city"]
    assert len(history) == 1  # the caller's history is not modified
    (selection,) = llm.get_tool_calls_from_response(response)
    assert (selection.tool_name, selection.tool_kwargs) == ("get_weather", {"city": "Paris"})
    assert selection.tool_id.startswith("call_")


def test_required_with_several_tools_falls_back_to_auto(
    llm: QwenOmni, last: Last, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    with (
        caplog.at_level(logging.WARNING, logger="llama_index_qwen_omni"),
        emu.answering(lambda request: ScriptedToolCall("get_time", {"timezone": "UTC"})),  # the model's own pick
    ):
        response = llm.chat_with_tools([WEATHER, TIME], user_msg="What is the time in UTC", tool_required=True)
    assert last().payload["tool_choice"] == "auto"  # type: ignore[index]
    assert "cannot be made to call a tool among 2 tools" in caplog.text
    assert llm.get_tool_calls_from_response(response)[0].tool_name == "get_time"


def test_tool_choice_none_and_by_name(llm: QwenOmni, last: Last) -> None:
    response = llm.chat_with_tools([WEATHER, TIME], user_msg="Hello", tool_choice="none")
    assert last().payload["tool_choice"] == "none"  # type: ignore[index]
    assert llm.get_tool_calls_from_response(response, error_on_no_tool_call=False) == []
    with pytest.raises(ValueError, match="at least one tool call"):
        llm.get_tool_calls_from_response(response)
    response = llm.chat_with_tools([WEATHER, TIME], user_msg="Hello", tool_choice="get_time")
    assert last().payload["tool_choice"] == {"type": "function", "function": {"name": "get_time"}}  # type: ignore[index]
    assert llm.get_tool_calls_from_response(response)[0].tool_name == "get_time"


def test_thinking_mode_never_forces_a_tool(make_llm: MakeLLM, last: Last) -> None:
    llm = make_llm(model="qwen3-omni-flash", enable_thinking=True)
    response = llm.chat_with_tools([WEATHER], user_msg="Weather in Oslo", tool_required=True)
    assert last().payload["tool_choice"] == "auto"  # type: ignore[index]
    assert llm.get_tool_calls_from_response(response)[0].tool_kwargs == {"city": "Oslo"}


def test_streamed_tool_calls_are_readable_while_partial(llm: QwenOmni) -> None:
    responses = list(llm.stream_chat_with_tools([WEATHER], user_msg="What is the weather in Reykjavik"))
    seen = [llm.get_tool_calls_from_response(r, error_on_no_tool_call=False) for r in responses]
    partial = [s[0].tool_kwargs for s in seen if s]
    assert len(partial) > 2 and partial[-1] == {"city": "Reykjavik"}
    assert any(kwargs not in ({}, {"city": "Reykjavik"}) for kwargs in partial)  # a half-arrived argument
    final = responses[-1].message.blocks[-1]
    assert isinstance(final, ToolCallBlock) and final.tool_kwargs == {"city": "Reykjavik"}


def test_parallel_calls_are_cut_to_one_unless_allowed(llm: QwenOmni) -> None:
    response = llm.chat_with_tools([WEATHER], user_msg="Weather in Lima", allow_parallel_tool_calls=True)
    assert len(llm.get_tool_calls_from_response(response)) == 1  # the emulator makes one call


def test_predict_and_call_runs_the_tool(llm: QwenOmni) -> None:
    output = llm.predict_and_call([WEATHER], user_msg="What is the weather in Lisbon")
    assert output.response == "Sunny and 21 C in Lisbon"
    # llama-index-core 0.14 releases record the call with positional or with keyword arguments.
    assert output.sources[0].raw_input in (
        {"args": (), "kwargs": {"city": "Lisbon"}},
        {"args": ("Lisbon",), "kwargs": {}},
    )


def test_tools_on_a_model_without_them_raise(make_llm: MakeLLM, emu: Emulator) -> None:
    llm = make_llm(model="qwen-omni-turbo")
    assert not llm.metadata.is_function_calling_model
    with pytest.raises(ValueError, match="cannot call tools"):
        llm.chat_with_tools([WEATHER], user_msg="Weather in Paris")
    assert emu.requests == []


# -- agents ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("streaming", [True, False])
async def test_function_agent_round_trip(llm: QwenOmni, emu: Emulator, streaming: bool) -> None:
    calls: list[str] = []

    def weather(city: str) -> str:
        """Tell the weather in a city."""
        calls.append(city)
        return f"Sunny in {city}"

    agent = FunctionAgent(tools=[weather], llm=llm, streaming=streaming, system_prompt="You help with weather.")
    handler = agent.run("What is the weather in Paris")
    events = [event async for event in handler.stream_events()]
    result = await handler
    assert calls == ["Paris"]
    assert str(result) == "The tool returned: Sunny in Paris"
    assert [e.tool_output.content for e in events if isinstance(e, ToolCallResult)] == ["Sunny in Paris"]
    if streaming:
        assert "".join(e.delta for e in events if isinstance(e, AgentStream)) == "The tool returned: Sunny in Paris"
    first, second = emu.requests
    assert first.payload is not None and second.payload is not None
    call = second.payload["messages"][-2]["tool_calls"][0]
    assert second.payload["messages"][-1] == {"role": "tool", "content": "Sunny in Paris", "tool_call_id": call["id"]}
    assert call["function"] == {"name": "weather", "arguments": '{"city": "Paris"}'}


async def test_function_agent_remembers_earlier_runs(make_llm: MakeLLM, emu: Emulator) -> None:
    llm = make_llm(modalities=["text", "audio"])  # spoken answers, kept in memory, go back as text
    agent = FunctionAgent(tools=[WEATHER], llm=llm, streaming=False)
    memory = Memory.from_defaults(session_id="li-test", token_limit=40_000)  # stores messages as JSON
    await agent.run("What is the weather in Paris", memory=memory)
    result = await agent.run("And what is the weather in Rome", memory=memory)
    assert str(result) == "The tool returned: Sunny and 21 C in Rome"
    history = emu.requests[2].payload["messages"]  # type: ignore[index]
    assert [m["role"] for m in history] == ["user", "assistant", "tool", "assistant", "user"]
    assert history[1]["tool_calls"][0]["function"]["arguments"] == '{"city": "Paris"}'
    assert history[3] == {"role": "assistant", "content": "The tool returned: Sunny and 21 C in Paris"}


async def test_function_agent_initial_tool_choice(llm: QwenOmni, emu: Emulator) -> None:
    agent = FunctionAgent(tools=[WEATHER, TIME], llm=llm, initial_tool_choice="get_time", streaming=False)
    result = await agent.run("What is the weather in Paris")
    first, second = emu.requests
    assert first.payload is not None and second.payload is not None
    assert first.payload["tool_choice"] == {"type": "function", "function": {"name": "get_time"}}
    assert "tool_choice" not in second.payload  # only the first turn is forced
    assert str(result) == "The tool returned: 12:00 in Paris"


async def test_function_agent_driven_by_a_scripted_model(llm: QwenOmni, emu: Emulator) -> None:
    """The answer hook plays the model: parallel calls to two tools, then an answer from both results."""

    def answer(request: ScriptRequest) -> str | list[ScriptedToolCall]:
        if request.tool_results:
            return "; ".join(f"{r.name}: {r.content}" for r in request.tool_results)
        return [ScriptedToolCall("get_weather", {"city": "Kyoto"}), ScriptedToolCall("get_time", {"timezone": "JST"})]

    agent = FunctionAgent(tools=[WEATHER, TIME], llm=llm, streaming=False)
    with emu.answering(answer):
        result = await agent.run("Weather and time in Kyoto?")
    assert str(result) == "get_weather: Sunny and 21 C in Kyoto; get_time: 12:00 in JST"
    first, second = emu.requests
    assert first.payload is not None and second.payload is not None
    assert [m["role"] for m in second.payload["messages"]] == ["user", "assistant", "tool", "tool"]


REACT_ACTION = "Thought: I need to use a tool to help me answer the question.\nAction: {name}\nAction Input: {args}"
REACT_ANSWER = "Thought: I can answer without using any more tools.\nAnswer: {answer}"


def react_answer(request: ScriptRequest) -> str:
    """A model that follows ReAct's format: one action, then the answer once its observation is back."""
    if request.text.startswith("Observation:"):
        return REACT_ANSWER.format(answer=request.text.removeprefix("Observation:").strip())
    assert "> Tool Name: add" in request.messages[0]["content"]  # ReAct's instructions list the tool
    return REACT_ACTION.format(name="add", args=json.dumps({"a": 2, "b": 3}))


@pytest.mark.parametrize("streaming", [True, False])
async def test_react_agent_round_trip_with_a_scripted_model(llm: QwenOmni, emu: Emulator, streaming: bool) -> None:
    """The adapter carries ReAct text both ways: the action parsed from the (streamed) answer, the tool run, its
    observation sent back as a user turn and the next answer taken as final."""
    calls: list[tuple[int, int]] = []

    def adder(a: int, b: int) -> int:
        """Add two integers."""
        calls.append((a, b))
        return a + b

    agent = ReActAgent(tools=[FunctionTool.from_defaults(adder, name="add")], llm=llm, streaming=streaming)
    with emu.answering(react_answer):
        result = await agent.run("What is 2 + 3?")
    assert calls == [(2, 3)] and str(result) == "5"
    first, second = emu.requests
    assert first.payload is not None and second.payload is not None
    assert first.payload["messages"][0]["role"] == "system" and "tools" not in first.payload
    assert second.payload["messages"][-1] == {"role": "user", "content": "Observation: 5"}


# -- structured output ----------------------------------------------------------------------------------------


def test_structured_predict(llm: QwenOmni, last: Last) -> None:
    city = llm.structured_predict(City, PromptTemplate("Describe the city of {name}"), name="Vienna")
    assert city == City(name="Vienna", population=1)
    assert last().payload["tool_choice"] == {"type": "function", "function": {"name": "City"}}  # type: ignore[index]


async def test_astructured_predict(llm: QwenOmni) -> None:
    city = await llm.astructured_predict(City, PromptTemplate("Describe the city of {name}"), name="Graz")
    assert city == City(name="Graz", population=1)


def test_stream_structured_predict_yields_growing_objects(llm: QwenOmni) -> None:
    objects = list(llm.stream_structured_predict(City, PromptTemplate("Describe the city of {name}"), name="Bern"))
    assert objects[-1].model_dump() == {"name": "Bern", "population": 1}


def test_as_structured_llm(llm: QwenOmni) -> None:
    structured = llm.as_structured_llm(City)
    response = structured.chat([ChatMessage(role="user", content="Tell me about Rome")])
    assert response.raw == City(name="Rome", population=1)
    assert City.model_validate_json(response.message.content or "") == City(name="Rome", population=1)
