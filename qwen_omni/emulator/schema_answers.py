"""An opt-in answer function for one's own smoke tests: JSON answers that fit the schema the request holds.

The emulator's own JSON-mode answer is ``{"answer": "<the facts sentence>"}`` whatever the prompt asks, as a model
that did not follow the schema would answer, so that code which must cope with such answers is tested against one.
For a quick test of a chain whose structured output should simply work, opt in:

    Emulator(answer=schema_answer)                   # or: with emu.answering(schema_answer): ...
    python -m qwen_omni.emulator --answer qwen_omni.emulator.schema_answers:schema_answer

Then a ``json_schema`` response format is answered with a value of its schema, and JSON mode (``json_object``) with a
value of the last JSON schema written in the prompt (:func:`~.schema.find_schema`; the latest message first), read
from the last user text as the emulator's tool-call arguments are (:func:`~.schema.example_value`). A request with
tools that may call one (and no tool result yet) gets the emulator's own tool call, and every other request its own
answer. To test how code copes with a careless model, script that answer instead.

Example:
    >>> from openai import OpenAI
    >>> from qwen_omni.emulator import Emulator
    >>> schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
    >>> with Emulator(answer=schema_answer) as emu:
    ...     client = OpenAI(base_url=emu.base_url, api_key="any-key")
    ...     stream = client.chat.completions.create(
    ...         model="qwen3.5-omni-flash", stream=True, response_format={"type": "json_object"},
    ...         messages=[{"role": "system", "content": f"Reply in JSON following {schema}".replace("'", '"')},
    ...                   {"role": "user", "content": "Which city? Paris"}])
    ...     print("".join(c.choices[0].delta.content or "" for c in stream if c.choices))
    {"city": "Paris"}
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .received import message_text
from .schema import example_value, find_schema
from .script import ScriptRequest

__all__ = ["prompt_schema", "schema_answer"]


def prompt_schema(messages: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The JSON schema a JSON-mode prompt asks the answer to follow, or None.

    It is the last schema (:func:`~.schema.find_schema`) written in the text of a system or user message, the
    latest message first (LangChain's and LlamaIndex's JSON mode write the schema in the prompt).

    Example:
        >>> prompt_schema([{"role": "system", "content": 'Reply in JSON: {"properties": {"joke": {}}}'},
        ...                {"role": "user", "content": "Tell me a joke."}])
        {'properties': {'joke': {}}}
    """
    for message in reversed(messages):
        if message.get("role") not in ("system", "user"):
            continue
        schema = find_schema(message_text(message.get("content")))
        if schema is not None:
            return schema
    return None


def schema_answer(request: ScriptRequest) -> Any:
    """A value of the request's schema for a JSON request (see the module docstring); None (the emulator's own
    answer) for any other request, or when the prompt holds no usable schema."""
    fmt = (request.response_format or {}).get("type")
    schema: Any = None
    if fmt == "json_schema":
        schema = ((request.response_format or {}).get("json_schema") or {}).get("schema") or {"type": "object"}
    elif fmt == "json_object":
        schema = prompt_schema(request.messages)
    calls_next = bool(request.tools) and request.tool_choice != "none" and not request.tool_results
    if schema is None or calls_next:  # a tool call comes first (an agent's turn), as the emulator's own answer makes
        return None
    try:
        value = example_value(schema, text=request.text)
    except (TypeError, ValueError):  # a malformed schema (e.g. a "required" that is not a list of names)
        return None
    return value if isinstance(value, dict) else None
