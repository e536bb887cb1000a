"""Tool calls on the wire, over real HTTP: the emulator's own single call, and parallel calls (``parallel_tool_calls:
true``) as an answer function scripts them, streamed the way OpenAI streams them."""

from __future__ import annotations

import json
from typing import Any

import httpx
import openai
import pytest

from qwen_omni.emulator import Emulator, ScriptedToolCall, ScriptRequest

CHAT = "/chat/completions"
FLASH = "qwen3.5-omni-flash"


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


def both(request: ScriptRequest) -> list[ScriptedToolCall]:
    """Parallel calls when the request allows them, else one."""
    calls = [
        ScriptedToolCall("get_time", {"timezone": "Oslo"}),
        ScriptedToolCall("get_weather", {"city": "Oslo", "days": 2}),
    ]
    return calls if request.parallel_tool_calls else calls[:1]


def test_parallel_calls_stream_one_after_the_other(http: httpx.Client, emu: Emulator) -> None:
    with emu.answering(both):
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
    ("extra", "name"),
    [
        ({}, "get_time"),  # no tool_choice: the first declared function
        ({"parallel_tool_calls": True}, "get_time"),  # the emulator's own answer is one call
        ({"tool_choice": FORCED_NEWS}, "get_news"),  # a named tool_choice wins
    ],
)
def test_the_emulators_own_answer_is_one_call(http: httpx.Client, extra: dict[str, Any], name: str) -> None:
    chunks = stream(http, [{"role": "user", "content": "Call get_weather for 'Oslo' in 3 days"}], tools=TOOLS, **extra)
    calls = tool_deltas(chunks)
    (header,) = [d for d in calls if "id" in d]
    assert header["index"] == 0 and header["function"]["name"] == name
    assert {d["index"] for d in calls} == {0}
    json.loads("".join(d["function"]["arguments"] for d in calls))


def test_parallel_calls_through_the_openai_sdk(emu: Emulator) -> None:
    client = openai.OpenAI(base_url=emu.base_url, api_key="sk-any", max_retries=0)
    with (
        emu.answering(both),
        client.chat.completions.stream(
            model=FLASH, messages=[{"role": "user", "content": BOTH}], tools=TOOLS, parallel_tool_calls=True
        ) as events,
    ):
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
