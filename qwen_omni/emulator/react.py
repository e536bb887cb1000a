"""ReAct: answer text-only agent prompts (LlamaIndex's ``ReActAgent``) the way a model that follows them would.

A ReAct agent sends no ``tools`` field: it lists its tools in the system message and asks for plain-text
steps. LlamaIndex's ``ReActChatFormatter`` writes each tool as::

    > Tool Name: get_weather
    Tool Description: get_weather(city: str) -> str
    Tell the weather in a city.
    Tool Args: {"properties": {"city": {"title": "City", "type": "string"}}, "required": ["city"], ...}

then the format (``Thought:`` / ``Action:`` / ``Action Input:`` / ``Observation:`` / ``Answer:``), and sends
each tool's output back as a turn ``Observation: <output>``.

Trigger (checked by :func:`react_reply`; the caller also requires that the request has no ``tools`` and no
JSON ``response_format``): a system message holds the instructions, i.e. the words ``Thought:``, ``Action:``,
``Action Input:`` and ``Observation:`` and at least one ``> Tool Name: <name>`` line; and the *question*
(the last user message that does not start with ``Observation:``) does not script a step itself (an
``Action:`` line followed by an ``Action Input:`` line). A scripted question keeps the ordinary echo for the
whole conversation, so that a test can drive an agent with exact actions.

Answer:

* when a turn after the question (any role but ``system`` and ``assistant``) starts with ``Observation:``,
  the final answer quotes the last such observation::

      Thought: I can answer without using any more tools. I'll use the user's language to answer
      Answer: <the observation's text>

* otherwise one action::

      Thought: I need to use a tool to help me answer the question.
      Action: <tool>
      Action Input: <JSON object>

  The tool is the first listed tool whose name appears in the question (case-insensitive), else the first
  listed tool. Its arguments come from the schema on its ``Tool Args:`` line, made by
  :func:`~.schema.example_value` with the question as text (so its numbers and quoted texts fill the
  arguments); a missing or unreadable schema gives ``{}``.

So an agent calls one tool, gets its output back and ends on the next turn: two requests per question.

Example:
    >>> system = ('## Tools\\n> Tool Name: add\\nTool Description: Add two integers.\\n'
    ...           'Tool Args: {"type": "object", "properties": {"a": {"type": "integer"}}, "required": ["a"]}\\n\\n'
    ...           'Thought: ...\\nAction: ...\\nAction Input: {}\\nObservation: tool response\\nAnswer: ...')
    >>> messages = [{"role": "system", "content": system}, {"role": "user", "content": "What is 2 + 3?"}]
    >>> print(react_reply(messages))
    Thought: I need to use a tool to help me answer the question.
    Action: add
    Action Input: {"a": 2}
    >>> print(react_reply([*messages, {"role": "assistant", "content": "(the action)"},
    ...                    {"role": "user", "content": "Observation: 5"}]))
    Thought: I can answer without using any more tools. I'll use the user's language to answer
    Answer: 5
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .received import message_text
from .schema import example_value

#: The words a system message must hold to count as ReAct instructions (besides one tool entry).
FORMAT_WORDS = ("Thought:", "Action:", "Action Input:", "Observation:")
#: What a turn that carries a tool's output starts with.
OBSERVATION = "Observation:"
#: The thought before an action.
ACTION_THOUGHT = "Thought: I need to use a tool to help me answer the question."
#: The thought before a final answer (the wording of LlamaIndex's ReAct prompt).
ANSWER_THOUGHT = "Thought: I can answer without using any more tools. I'll use the user's language to answer"

_TOOL_NAME_RE = re.compile(r"^> Tool Name: *(\S[^\n]*?) *$", re.MULTILINE)
_TOOL_ARGS_RE = re.compile(r"^Tool Args: *", re.MULTILINE)
_SCRIPTED_STEP_RE = re.compile(r"^[ \t]*Action:[^\n]*\n+[ \t]*Action Input:", re.MULTILINE)


@dataclass(frozen=True)
class ReactTool:
    """One tool listed in a ReAct system prompt: its name and the schema of its arguments (None if unreadable)."""

    name: str
    schema: Mapping[str, Any] | None


def parse_tools(text: str) -> list[ReactTool]:
    """The tools listed in ``text`` (``> Tool Name:`` entries, each with its ``Tool Args:`` JSON), in order.

    Example:
        >>> parse_tools('> Tool Name: now\\nTool Description: The time.\\nTool Args: {"type": "object"}\\n')
        [ReactTool(name='now', schema={'type': 'object'})]
    """
    entries = list(_TOOL_NAME_RE.finditer(text))
    tools = []
    for index, entry in enumerate(entries):
        end = entries[index + 1].start() if index + 1 < len(entries) else len(text)
        tools.append(ReactTool(name=entry.group(1), schema=_schema(text[entry.end() : end])))
    return tools


def _schema(entry: str) -> Mapping[str, Any] | None:
    """The JSON object after the entry's last ``Tool Args:`` (the description before it may hold anything)."""
    matches = list(_TOOL_ARGS_RE.finditer(entry))
    if not matches:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(entry, matches[-1].end())
    except ValueError:
        return None
    return value if isinstance(value, Mapping) else None


def instruction_tools(text: str) -> list[ReactTool]:
    """The tools listed in ``text`` when it holds ReAct instructions (the format words and one tool at least), else [].

    Example:
        >>> instruction_tools('> Tool Name: now\\nTool Args: {"type": "object"}')
        []
    """
    if not all(word in text for word in FORMAT_WORDS):
        return []
    return parse_tools(text)


def react_tools(messages: Sequence[Mapping[str, Any]]) -> list[ReactTool] | None:
    """The tools of the first system message that holds ReAct instructions, or None when none does."""
    for message in messages:
        if message.get("role") != "system":
            continue
        tools = instruction_tools(message_text(message.get("content")))
        if tools:
            return tools
    return None


def _question_index(messages: Sequence[Mapping[str, Any]]) -> int | None:
    """The index of the last user message that is not an observation."""
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if message.get("role") == "user" and not _is_observation(message):
            return index
    return None


def _is_observation(message: Mapping[str, Any]) -> bool:
    """A turn (not the system's, not the assistant's) that starts with ``Observation:``."""
    if message.get("role") in ("system", "assistant"):
        return False
    return message_text(message.get("content")).lstrip().startswith(OBSERVATION)


def _arguments(tool: ReactTool, question: str) -> dict[str, Any]:
    """Arguments for ``tool`` from its schema; ``{}`` when there is none or it yields no object."""
    if tool.schema is None:
        return {}
    try:
        value = example_value(tool.schema, text=question)
    except (TypeError, ValueError):  # a malformed schema (e.g. properties that are not an object)
        return {}
    return value if isinstance(value, dict) else {}


def react_reply(messages: Sequence[Mapping[str, Any]]) -> str | None:
    """The ReAct step to answer with, or None when the conversation is not a ReAct one (module docstring)."""
    tools = react_tools(messages)
    if tools is None:
        return None
    start = _question_index(messages)
    question = message_text(messages[start].get("content")) if start is not None else ""
    if _SCRIPTED_STEP_RE.search(question):
        return None
    later = messages[start + 1 :] if start is not None else messages
    observations = [m for m in later if _is_observation(m)]
    if observations:
        observation = message_text(observations[-1].get("content")).lstrip()[len(OBSERVATION) :].strip()
        return f"{ANSWER_THOUGHT}\nAnswer: {observation}"
    lowered = question.lower()
    tool = next((t for t in tools if t.name.lower() in lowered), tools[0])
    arguments = json.dumps(_arguments(tool, question), ensure_ascii=False)
    return f"{ACTION_THOUGHT}\nAction: {tool.name}\nAction Input: {arguments}"


__all__ = [
    "ACTION_THOUGHT",
    "ANSWER_THOUGHT",
    "FORMAT_WORDS",
    "OBSERVATION",
    "ReactTool",
    "instruction_tools",
    "parse_tools",
    "react_reply",
    "react_tools",
]
