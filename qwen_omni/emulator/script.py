"""The answer hook: a test's own function decides what the emulator answers, after the request passed its checks.

The function gets a :class:`ScriptRequest` (a read-only view of the checked request) and returns one of:

* a ``str``: the text of the answer (spoken too when the request asks for audio);
* a mapping or a list that is not of tool calls: a JSON answer (``json.dumps``, streamed in JSON fragments);
* a :class:`ScriptedToolCall`, or a list of them: tool calls (``finish_reason: "tool_calls"``);
* a :class:`ScriptedAnswer`: text or tool calls, with reasoning, a finish reason or no audio;
* ``None``: the emulator's own answer (a function may script only some requests).

It may be ``async`` (it is then run to completion on the server's worker thread). The answer is then streamed
as the emulator's own: chunks, audio, usage, ``stop``/``max_tokens`` cuts, faults and the journal are unchanged;
the reasoning is streamed only when thinking is on (the emulator's own reasoning when the script gives none),
cut to ``thinking_budget``. A script that raises, or returns something else (a call to a function the request
does not declare, a call when ``tool_choice`` is ``"none"``, a wrong type), gets the request a 500 with
DashScope's ``InternalError`` body naming the exception, recorded in the journal; the server goes on.

This plays the part of pydantic-ai's ``FunctionModel``, at the HTTP level: the client, the adapters and the
framework under test all run for real.

Example:
    >>> from openai import OpenAI
    >>> from qwen_omni.emulator import Emulator, ScriptRequest, ScriptedToolCall
    >>> def answer(request: ScriptRequest) -> str | ScriptedToolCall:
    ...     if request.tool_results:
    ...         return f"It is {request.tool_results[-1].content}."
    ...     return ScriptedToolCall("get_weather", {"city": "Paris"})
    >>> with Emulator(answer=answer) as emu:
    ...     client = OpenAI(base_url=emu.base_url, api_key="any-key")
    ...     stream = client.chat.completions.create(
    ...         model="qwen3.5-omni-flash", stream=True, messages=[{"role": "user", "content": "Weather?"}],
    ...         tools=[{"type": "function", "function": {"name": "get_weather", "parameters": {}}}])
    ...     [c.choices[0].delta.tool_calls[0].function.name for c in stream
    ...      if c.choices and c.choices[0].delta.tool_calls and c.choices[0].delta.tool_calls[0].id]
    ['get_weather']
"""

from __future__ import annotations

import asyncio
import inspect
import json
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

from .answer import AnswerPlan, ToolCall, clip, cut_answer, cut_reasoning, last_user_text, reasoning_text
from .received import ReceivedPart, message_text
from .validate import ChatRequest

#: The longest exception message a 500 body repeats.
ERROR_MESSAGE_LIMIT = 300
FinishReason = Literal["stop", "length", "tool_calls"]


class ScriptError(Exception):
    """An answer function returned something the emulator cannot answer with."""


@dataclass(frozen=True)
class ToolResult:
    """One ``tool`` message of the last turn: the call it answers, that call's function name, and its text."""

    call_id: str | None
    name: str | None
    content: str


@dataclass(frozen=True)
class ScriptRequest:
    """What an answer function sees of one request, after the emulator's checks passed.

    Attributes:
        model: the ``model`` field.
        messages: the messages as received (data URIs included).
        text: the text of the last user message.
        tools: the declared functions (each ``tool["function"]``: ``name``, ``description``, ``parameters``).
        tool_choice: ``"auto"``, ``"none"`` or ``{"type": "function", "function": {"name": ...}}``.
        parallel_tool_calls: the request's flag.
        response_format: the ``response_format`` object, or None.
        thinking: whether thinking is on (the request's ``enable_thinking`` or the model's default).
        audio_output: whether the request asks for a spoken answer (``modalities`` with ``"audio"``).
        voice: the voice asked for, or None.
        parts: the media parts of the user messages, probed (see :class:`~.received.ReceivedPart`).
        tool_results: the ``tool`` messages after the last assistant message, in order.
        payload: the whole JSON body.
    """

    model: str
    messages: Sequence[Mapping[str, Any]]
    text: str
    tools: Sequence[Mapping[str, Any]]
    tool_choice: Any
    parallel_tool_calls: bool
    response_format: Mapping[str, Any] | None
    thinking: bool
    audio_output: bool
    voice: str | None
    parts: Sequence[ReceivedPart]
    tool_results: Sequence[ToolResult]
    payload: Mapping[str, Any] = field(repr=False)

    @property
    def tool_names(self) -> list[str]:
        """The names of the declared functions, in order."""
        return [str(tool["name"]) for tool in self.tools]


@dataclass(frozen=True)
class ScriptedToolCall:
    """A function call to answer with: ``arguments`` as a mapping (JSON-encoded) or as the exact JSON text.

    Example:
        >>> ScriptedToolCall("magic_function", {"input": 3}).arguments
        {'input': 3}
    """

    name: str
    arguments: Mapping[str, Any] | str = field(default_factory=dict)


@dataclass(frozen=True)
class ScriptedAnswer:
    """A full answer: ``text`` or ``tool_calls`` (not both), and optionally the rest.

    Attributes:
        text: the answer's text (JSON text for a JSON answer).
        tool_calls: the calls to make instead of a text answer.
        reasoning: the reasoning to stream when thinking is on (None: the emulator's own).
        finish_reason: overrides the finish reason (else ``"tool_calls"``, ``"length"`` when ``max_tokens`` cut
            the text, or ``"stop"``).
        audio: False answers in text only even when audio is asked for; None speaks when the request asks.

    Example:
        >>> ScriptedAnswer(text="Paris.", reasoning="The capital of France.").finish_reason is None
        True
    """

    text: str = ""
    tool_calls: Sequence[ScriptedToolCall] = ()
    reasoning: str | None = None
    finish_reason: FinishReason | None = None
    audio: bool | None = None


ScriptResult: TypeAlias = (
    str | ScriptedToolCall | Sequence[ScriptedToolCall] | ScriptedAnswer | Mapping[str, Any] | list[Any] | None
)
#: The answer hook: a function (or ``async`` function) from the request to the answer.
AnswerFunction: TypeAlias = Callable[[ScriptRequest], ScriptResult | Awaitable[ScriptResult]]


def _tool_results(messages: Sequence[Mapping[str, Any]]) -> list[ToolResult]:
    names: dict[str, str] = {}
    results: list[ToolResult] = []
    for message in messages:
        if message.get("role") == "assistant":
            results = []
            for call in message.get("tool_calls") or []:
                if isinstance(call, Mapping) and isinstance(call.get("function"), Mapping):
                    names[str(call.get("id"))] = str(call["function"].get("name"))
        elif message.get("role") == "tool":
            call_id = message.get("tool_call_id")
            call_id = call_id if isinstance(call_id, str) else None
            results.append(ToolResult(call_id, names.get(str(call_id)), message_text(message.get("content"))))
    return results


def script_request(req: ChatRequest, parts: Sequence[ReceivedPart], payload: Mapping[str, Any]) -> ScriptRequest:
    """The view of a checked request that an answer function gets."""
    return ScriptRequest(
        model=req.model,
        messages=tuple(req.messages),
        text=last_user_text(req.messages),
        tools=tuple(tool["function"] for tool in req.tools),
        tool_choice=req.tool_choice,
        parallel_tool_calls=req.parallel_tool_calls,
        response_format=req.response_format,
        thinking=req.thinking,
        audio_output=req.audio_output,
        voice=req.voice,
        parts=tuple(parts),
        tool_results=tuple(_tool_results(req.messages)),
        payload=payload,
    )


async def _wait(result: Awaitable[Any]) -> Any:
    return await result


def call_script(function: AnswerFunction, request: ScriptRequest) -> ScriptedAnswer | None:
    """Run ``function`` on ``request`` (awaiting an ``async`` one) and read its result as a :class:`ScriptedAnswer`
    (None: the function leaves this request to the emulator's own answer)."""
    result: Any = function(request)
    if inspect.isawaitable(result):
        result = asyncio.run(_wait(result))
    return None if result is None else as_answer(result)


def as_answer(result: Any) -> ScriptedAnswer:
    """An answer function's result as a :class:`ScriptedAnswer` (module docstring), or :class:`ScriptError`.

    Example:
        >>> as_answer([ScriptedToolCall("a"), ScriptedToolCall("b")]).tool_calls[1].name
        'b'
        >>> as_answer({"answer": 42}).text
        '{"answer": 42}'
    """
    if isinstance(result, ScriptedAnswer):
        return result
    if isinstance(result, str):
        return ScriptedAnswer(text=result)
    if isinstance(result, ScriptedToolCall):
        return ScriptedAnswer(tool_calls=(result,))
    if isinstance(result, list | tuple) and result and all(isinstance(c, ScriptedToolCall) for c in result):
        return ScriptedAnswer(tool_calls=tuple(result))
    if isinstance(result, Mapping | list):
        try:
            return ScriptedAnswer(text=json.dumps(result, ensure_ascii=False))
        except (TypeError, ValueError) as exc:
            raise ScriptError(
                f"The answer function returned a {type(result).__name__} that is not JSON: {exc}"
            ) from exc
    raise ScriptError(
        f"The answer function returned {type(result).__name__}; return a str, a ScriptedToolCall (or a list of "
        "them), a ScriptedAnswer, or a dict/list for a JSON answer."
    )


def _tool_call(call: Any, req: ChatRequest) -> ToolCall:
    if not isinstance(call, ScriptedToolCall):
        raise ScriptError(f"ScriptedAnswer.tool_calls must hold ScriptedToolCall items; got {type(call).__name__}.")
    if call.name not in req.tool_names:
        declared = ", ".join(req.tool_names) or "none"
        raise ScriptError(f"The answer calls {call.name!r}, which the request does not declare (declared: {declared}).")
    if isinstance(call.arguments, str):
        arguments = call.arguments
    elif isinstance(call.arguments, Mapping):
        try:
            arguments = json.dumps(call.arguments, ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            raise ScriptError(f"The arguments of {call.name!r} are not JSON: {exc}") from exc
    else:
        raise ScriptError(f"The arguments of {call.name!r} must be a dict or a JSON str; got {type(call.arguments)}.")
    return ToolCall(id=f"call_{uuid.uuid4().hex[:24]}", name=call.name, arguments=arguments)


def scripted_plan(req: ChatRequest, parts: Sequence[ReceivedPart], answer: ScriptedAnswer) -> AnswerPlan:
    """The :class:`~.answer.AnswerPlan` that streams ``answer`` as the emulator's own answers are streamed."""
    if not isinstance(answer.text, str):
        raise ScriptError(f"ScriptedAnswer.text must be a str; got {type(answer.text).__name__}.")
    reasoning = ""
    if req.thinking:
        reasoning = (
            reasoning_text(parts, last_user_text(req.messages), req.thinking_budget)
            if answer.reasoning is None
            else cut_reasoning(answer.reasoning, req.thinking_budget)
        )
    if answer.tool_calls:
        if answer.text:
            raise ScriptError("A ScriptedAnswer has text or tool calls, not both.")
        if req.tool_choice == "none":
            raise ScriptError('The answer calls a tool, but the request sets tool_choice "none".')
        calls = tuple(_tool_call(call, req) for call in answer.tool_calls)
        return AnswerPlan(
            content="", finish_reason=answer.finish_reason or "tool_calls", reasoning=reasoning, tool_calls=calls
        )
    if answer.audio and not req.audio_output:
        raise ScriptError("ScriptedAnswer.audio is True, but the request does not ask for audio (modalities).")
    content, finish = cut_answer(answer.text, req)
    fmt = (req.response_format or {}).get("type")
    return AnswerPlan(
        content=content,
        finish_reason=answer.finish_reason or finish,
        reasoning=reasoning,
        content_kind="json" if fmt in ("json_object", "json_schema") else "words",
        audio=req.audio_output and answer.audio is not False,
    )


def failure_message(exc: BaseException) -> str:
    """The message of the 500 a failed script gets: the exception's type and its message, shortened."""
    return f"The emulator's answer function failed: {type(exc).__name__}: {clip(str(exc), ERROR_MESSAGE_LIMIT)}"


__all__ = [
    "ERROR_MESSAGE_LIMIT",
    "AnswerFunction",
    "ScriptError",
    "ScriptRequest",
    "ScriptResult",
    "ScriptedAnswer",
    "ScriptedToolCall",
    "ToolResult",
    "as_answer",
    "call_script",
    "failure_message",
    "script_request",
    "scripted_plan",
]
