"""ChatQwenOmni inside LangChain's own agent (``langchain.agents.create_agent``): a full tool round trip."""

from __future__ import annotations

from collections.abc import Callable

from langchain.agents import create_agent
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.tools import tool

from langchain_qwen_omni import ChatQwenOmni
from qwen_omni.emulator import Emulator, ScriptedToolCall, ScriptRequest


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"18 C and sunny in {city}"


def test_create_agent_calls_the_tool_and_answers_from_its_result(
    make_llm: Callable[..., ChatQwenOmni], emu: Emulator
) -> None:
    agent = create_agent(model=make_llm(model="qwen3-omni-flash"), tools=[get_weather])
    state = agent.invoke({"messages": [HumanMessage("What is the weather in Paris?")]})

    human, call, result, answer = state["messages"]
    assert isinstance(human, HumanMessage)
    assert isinstance(call, AIMessage) and [c["name"] for c in call.tool_calls] == ["get_weather"]
    assert isinstance(result, ToolMessage) and result.tool_call_id == call.tool_calls[0]["id"]
    assert result.content.startswith("18 C and sunny in ")
    assert isinstance(answer, AIMessage) and not answer.tool_calls
    assert answer.content == f"The tool returned: {result.content}"
    first, second = emu.requests
    assert first.payload and first.payload["tools"][0]["function"]["name"] == "get_weather"
    assert second.payload and second.payload["messages"][-1]["role"] == "tool"
    assert second.payload["messages"][-2]["tool_calls"][0]["id"] == call.tool_calls[0]["id"]


async def test_create_agent_streams_the_round_trip_async(make_llm: Callable[..., ChatQwenOmni]) -> None:
    agent = create_agent(model=make_llm(model="qwen3.5-omni-flash"), tools=[get_weather])
    updates = [u async for u in agent.astream({"messages": [("user", "Weather in Rome?")]}, stream_mode="updates")]
    steps = [next(iter(u)) for u in updates]
    assert steps == ["model", "tools", "model"]
    final = updates[-1]["model"]["messages"][-1]
    assert final.content.startswith("The tool returned: 18 C and sunny in ")


def test_create_agent_loop_driven_by_a_scripted_model(make_llm: Callable[..., ChatQwenOmni], emu: Emulator) -> None:
    """The answer hook plays the model: two rounds of tool calls (the second one parallel), then the answer."""

    def answer(request: ScriptRequest) -> str | ScriptedToolCall | list[ScriptedToolCall]:
        results = [r.content for r in request.tool_results]
        if not any(m.get("role") == "tool" for m in request.messages):
            return ScriptedToolCall("get_weather", {"city": "Paris"})
        if len(results) == 1:
            return [
                ScriptedToolCall("get_weather", {"city": "Rome"}),
                ScriptedToolCall("get_weather", {"city": "Oslo"}),
            ]
        return "Paris is warmest; " + " / ".join(results)

    agent = create_agent(model=make_llm(model="qwen3.5-omni-flash"), tools=[get_weather])
    with emu.answering(answer):
        state = agent.invoke({"messages": [HumanMessage("Compare the weather in Paris, Rome and Oslo.")]})
    kinds = [type(m).__name__ for m in state["messages"]]
    assert kinds == ["HumanMessage", "AIMessage", "ToolMessage", "AIMessage", "ToolMessage", "ToolMessage", "AIMessage"]
    parallel = state["messages"][3]
    assert [c["args"] for c in parallel.tool_calls] == [{"city": "Rome"}, {"city": "Oslo"}]
    assert state["messages"][-1].content == "Paris is warmest; 18 C and sunny in Rome / 18 C and sunny in Oslo"
    assert [r.status for r in emu.requests] == [200, 200, 200]
