"""The emulator as agents see it, over real HTTP: ReAct steps written for text-only agents (a ReAct system
prompt, no ``tools``), and parallel tool calls (``parallel_tool_calls: true``)."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import openai
import pytest

from qwen_omni.emulator import Emulator
from qwen_omni.emulator.react import ACTION_THOUGHT, ANSWER_THOUGHT

CHAT = "/chat/completions"
FLASH = "qwen3.5-omni-flash"
#: LlamaIndex's extract_tool_use pattern (llama_index/core/agent/react/output_parser.py).
ACTION_RE = re.compile(r"(?:\s*Thought: (.*?)|(.+))\n+Action: ([^\n\(\) ]+).*?\n+Action Input: .*?(\{.*\})", re.DOTALL)


@pytest.fixture(autouse=True)
def _clean(emu: Emulator) -> None:
    emu.reset()


def stream(http: httpx.Client, messages: list[dict[str, Any]], **extra: Any) -> list[dict[str, Any]]:
    """POST a chat request; assert a complete 200 stream; return its chunks (usage chunk included)."""
    body = {"model": FLASH, "stream": True, "stream_options": {"include_usage": True}, "messages": messages, **extra}
    response = http.post(CHAT, json=body)
    assert response.status_code == 200, response.text
    blocks = [b[len("data: ") :] for b in response.text.split("\n\n") if b.strip()]
    assert blocks[-1] == "[DONE]"
    return [json.loads(b) for b in blocks[:-1]]


def deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c["choices"][0]["delta"] for c in chunks if c["choices"]]


def content_of(chunks: list[dict[str, Any]]) -> str:
    return "".join(d.get("content") or "" for d in deltas(chunks))


def finish_of(chunks: list[dict[str, Any]]) -> str:
    (reason,) = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    return str(reason)


def tool_deltas(chunks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [call for d in deltas(chunks) for call in d.get("tool_calls", [])]


# ------------------------------------------------------------------------------------------ ReAct

TIME_ARGS = {"type": "object", "properties": {"timezone": {"title": "Timezone", "type": "string"}}}
WEATHER_ARGS = {
    "type": "object",
    "properties": {
        "city": {"title": "City", "type": "string"},
        "days": {"title": "Days", "type": "integer", "minimum": 2},
        "unit": {"title": "Unit", "default": "celsius", "enum": ["celsius", "fahrenheit"], "type": "string"},
    },
    "required": ["city", "days"],
}


def react_system(*tools: tuple[str, str, str]) -> str:
    """A system prompt as LlamaIndex's ReActChatFormatter writes it, listing ``(name, description, args)``."""
    entries = "\n".join(f"> Tool Name: {n}\nTool Description: {d}\nTool Args: {a}\n" for n, d, a in tools)
    return (
        "You are designed to help with a variety of tasks.\n\n## Tools\n\n"
        f"You have access to the following tools:\n{entries}\n\n## Output Format\n\n"
        "```\nThought: The current language of the user is: (user's language). I need to use a tool.\n"
        f"Action: tool name (one of {', '.join(n for n, _, _ in tools)}) if using a tool.\n"
        'Action Input: the input to the tool, in a JSON format (e.g. {"input": "hello world"})\n```\n\n'
        "If this format is used, the tool will respond in the following format:\n\n"
        "```\nObservation: tool response\n```\n\n"
        "```\nThought: I can answer without using any more tools.\nAnswer: [your answer here]\n```\n"
    )


SYSTEM = react_system(
    ("get_time", "get_time(timezone: str) -> str\nTell the time.", json.dumps(TIME_ARGS)),
    ("get_weather", "get_weather(city: str, days: int) -> str\nTell the weather.", json.dumps(WEATHER_ARGS)),
)


def test_react_prompt_gets_an_action_for_the_named_tool(http: httpx.Client) -> None:
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "Use get_weather for Paris"}]
    chunks = stream(http, messages)
    text = content_of(chunks)
    assert text == f'{ACTION_THOUGHT}\nAction: get_weather\nAction Input: {{"city": "Paris", "days": 2}}'
    match = ACTION_RE.search(text)
    assert match is not None and match.group(3) == "get_weather"
    assert json.loads(match.group(4)) == {"city": "Paris", "days": 2}  # required only; minimum honoured
    assert sum(1 for d in deltas(chunks) if d.get("content")) >= 3, "streamed in several chunks"
    assert finish_of(chunks) == "stop" and not tool_deltas(chunks)


def test_react_prompt_without_a_named_tool_acts_with_the_first(http: httpx.Client) -> None:
    messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": "What time is it in Tokyo?"}]
    text = content_of(stream(http, messages))
    assert text == f'{ACTION_THOUGHT}\nAction: get_time\nAction Input: {{"timezone": "Tokyo"}}'


def test_react_unreadable_tool_args_give_an_empty_input(http: httpx.Client) -> None:
    system = react_system(("lookup", "Look something up.", "{not json"))
    messages = [{"role": "system", "content": system}, {"role": "user", "content": "Look up Rome"}]
    assert content_of(stream(http, messages)) == f"{ACTION_THOUGHT}\nAction: lookup\nAction Input: {{}}"


@pytest.mark.parametrize("role", ["user", "tool"])
def test_react_answers_with_the_observation(http: httpx.Client, role: str) -> None:
    action = f'{ACTION_THOUGHT}\nAction: get_weather\nAction Input: {{"city": "Paris", "days": 2}}'
    messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "Use get_weather for Paris"},
        {"role": "assistant", "content": action},
        {"role": role, "content": "Observation: Sunny and 21 C\nin Paris"},
    ]
    chunks = stream(http, messages)
    assert content_of(chunks) == f"{ANSWER_THOUGHT}\nAnswer: Sunny and 21 C\nin Paris"
    assert sum(1 for d in deltas(chunks) if d.get("content")) >= 3
    assert finish_of(chunks) == "stop"


def test_react_new_question_after_an_earlier_observation_acts_again(http: httpx.Client) -> None:
    messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "Use get_weather for Paris"},
        {"role": "assistant", "content": "(an action)"},
        {"role": "user", "content": "Observation: Sunny"},
        {"role": "assistant", "content": f"{ANSWER_THOUGHT}\nAnswer: Sunny"},
        {"role": "user", "content": "And the get_time in UTC?"},
    ]
    assert (
        content_of(stream(http, messages)) == f'{ACTION_THOUGHT}\nAction: get_time\nAction Input: {{"timezone": "UTC"}}'
    )


def test_react_is_not_triggered_by_tools_plain_prompts_or_scripted_steps(http: httpx.Client) -> None:
    question = {"role": "user", "content": "Use get_weather for Paris"}
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_ARGS}}
    with_tools = stream(http, [{"role": "system", "content": SYSTEM}, question], tools=[tool])
    assert finish_of(with_tools) == "tool_calls" and content_of(with_tools) == ""
    plain = stream(http, [{"role": "system", "content": "Thought: Action: Action Input: Observation:"}, question])
    assert content_of(plain) == 'Received the text "Use get_weather for Paris".'  # instructions but no tool list
    script = 'Thought: I must.\nAction: get_time\nAction Input: {"timezone": "UTC"}'
    scripted = stream(http, [{"role": "system", "content": SYSTEM}, {"role": "user", "content": script}])
    assert content_of(scripted) == f'Received the text "{script}".'  # a scripted step is echoed, not replaced
    json_mode = stream(http, [{"role": "system", "content": SYSTEM}, question], response_format={"type": "json_object"})
    assert json.loads(content_of(json_mode)) == {"answer": 'Received the text "Use get_weather for Paris".'}


def test_react_reads_the_prompt_of_llama_index_formatter(http: httpx.Client) -> None:
    react = pytest.importorskip("llama_index.core.agent.react")
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.tools import FunctionTool

    def multiply(a: int, b: float, label: str = "x") -> float:
        """Multiply two numbers."""
        return a * b

    messages = react.ReActChatFormatter.from_defaults().format(
        [FunctionTool.from_defaults(multiply)], [ChatMessage(role="user", content="Please multiply for Alice")]
    )
    body = [{"role": m.role.value, "content": m.content} for m in messages]
    text = content_of(stream(http, body))
    assert text == f'{ACTION_THOUGHT}\nAction: multiply\nAction Input: {{"a": 1, "b": 1.5}}'


# ------------------------------------------------------------------------------------------ parallel tool calls


def function(name: str, parameters: dict[str, Any]) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name, "parameters": parameters}}


TOOLS: list[Any] = [  # list[Any]: it also fits the openai SDK's typed tools parameter
    function("get_time", TIME_ARGS),
    function("get_news", {"type": "object", "properties": {}}),
    function("get_weather", WEATHER_ARGS),
]
BOTH = "Call get_weather and get_time for Oslo"
FORCED_NEWS = {"type": "function", "function": {"name": "get_news"}}


def test_parallel_calls_one_per_named_tool_in_declared_order(http: httpx.Client) -> None:
    chunks = stream(http, [{"role": "user", "content": BOTH}], tools=TOOLS, parallel_tool_calls=True)
    calls = tool_deltas(chunks)
    headers = [d for d in calls if "id" in d]
    assert [(h["index"], h["type"], h["function"]) for h in headers] == [
        (0, "function", {"name": "get_time", "arguments": ""}),
        (1, "function", {"name": "get_weather", "arguments": ""}),
    ]
    assert len({h["id"] for h in headers}) == 2 and all(h["id"].startswith("call_") for h in headers)
    fragments = [d for d in calls if "id" not in d]
    assert all(set(d) == {"index", "function"} and set(d["function"]) == {"arguments"} for d in fragments)
    assert [d["index"] for d in calls] == sorted(d["index"] for d in calls), "one call after the other"
    arguments = ["".join(d["function"]["arguments"] for d in fragments if d["index"] == i) for i in (0, 1)]
    assert [json.loads(a) for a in arguments] == [{"timezone": "Oslo"}, {"city": "Oslo", "days": 2}]
    assert sum(1 for d in fragments if d["index"] == 1) >= 2, "arguments arrive in several fragments"
    assert finish_of(chunks) == "tool_calls" and content_of(chunks) == ""
    usage = chunks[-1]["usage"]["completion_tokens_details"]
    assert usage["text_tokens"] == -(-sum(map(len, arguments)) // 4)


@pytest.mark.parametrize(
    ("text", "extra", "name"),
    [
        (BOTH, {}, "get_time"),  # no flag: one call, the first declared of the named tools
        (BOTH, {"parallel_tool_calls": False}, "get_time"),
        ("Call get_weather for Oslo", {"parallel_tool_calls": True}, "get_weather"),  # one name: one call
        ("Anything for Oslo", {"parallel_tool_calls": True}, "get_time"),  # no name: the first tool
        (BOTH, {"parallel_tool_calls": True, "tool_choice": FORCED_NEWS}, "get_news"),  # a named tool_choice wins
    ],
)
def test_single_call_otherwise(http: httpx.Client, text: str, extra: dict[str, Any], name: str) -> None:
    chunks = stream(http, [{"role": "user", "content": text}], tools=TOOLS, **extra)
    calls = tool_deltas(chunks)
    (header,) = [d for d in calls if "id" in d]
    assert header["index"] == 0 and header["function"]["name"] == name
    assert {d["index"] for d in calls} == {0}
    json.loads("".join(d["function"]["arguments"] for d in calls))


def test_parallel_calls_through_the_openai_sdk(emu: Emulator) -> None:
    client = openai.OpenAI(base_url=emu.base_url, api_key="sk-any", max_retries=0)
    with client.chat.completions.stream(
        model=FLASH, messages=[{"role": "user", "content": BOTH}], tools=TOOLS, parallel_tool_calls=True
    ) as events:
        message = events.get_final_completion().choices[0].message
    calls = message.tool_calls or []
    assert [(c.function.name, json.loads(c.function.arguments)) for c in calls] == [
        ("get_time", {"timezone": "Oslo"}),
        ("get_weather", {"city": "Oslo", "days": 2}),
    ]


def test_parallel_tool_calls_must_be_a_boolean(http: httpx.Client) -> None:
    body = {"model": FLASH, "stream": True, "messages": [{"role": "user", "content": BOTH}], "tools": TOOLS}
    response = http.post(CHAT, json={**body, "parallel_tool_calls": "yes"})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == 'parallel_tool_calls must be true or false; got "yes".'
