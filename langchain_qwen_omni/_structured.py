"""Tools and structured output for :class:`~langchain_qwen_omni.ChatQwenOmni`, as the API allows them.

Qwen-Omni's ``tool_choice`` is ``"auto"``, ``"none"`` or one named function; there is no ``"required"``.
LangChain's ``"any"`` (or ``True``) therefore names the tool when exactly one is bound, and otherwise is
sent as it is, so the request is refused before it leaves with a message saying to name one tool.

Structured output goes through a forced tool call (``function_calling``, the default), through JSON mode
(``json_mode``: ``response_format={"type": "json_object"}``, with an instruction holding the schema and the
word "json" that the API requires added to the prompt), or through ``json_schema`` (sent as
``response_format={"type": "json_schema", ...}``, which Alibaba does not document for Qwen-Omni).

Example:
    >>> tool_choice_to_wire("any", ["get_weather"])
    {'type': 'function', 'function': {'name': 'get_weather'}}
    >>> from langchain_core.messages import HumanMessage
    >>> add_json_instruction([HumanMessage("Tell me a joke.")], None)[0].content
    'Respond with a JSON object only.'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any, Literal

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage
from langchain_core.output_parsers import JsonOutputKeyToolsParser, JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import PydanticToolsParser
from langchain_core.runnables import Runnable, RunnableLambda, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass

from qwen_omni.errors import InvalidRequestError

StructuredMethod = Literal["function_calling", "json_mode", "json_schema"]
_FORCE = ("any", "required")


def tool_choice_to_wire(tool_choice: Any, tool_names: Sequence[str]) -> str | dict[str, Any] | None:
    """The API's ``tool_choice`` for LangChain's (``"auto"``, ``"none"``, ``"any"``, a tool name, a dict).

    Raises:
        InvalidRequestError: a name that is not among the bound tools.
    """
    if tool_choice is None or tool_choice is False:
        return None
    if isinstance(tool_choice, dict):
        return tool_choice
    if tool_choice is True or tool_choice in _FORCE:
        return _named(tool_names[0]) if len(tool_names) == 1 else "any" if tool_choice is True else tool_choice
    if tool_choice in ("auto", "none"):
        return str(tool_choice)
    if isinstance(tool_choice, str) and tool_choice in tool_names:
        return _named(tool_choice)
    raise InvalidRequestError(
        f"tool_choice {tool_choice!r} is neither 'auto', 'none', 'any' nor one of the bound tools "
        f"({', '.join(tool_names) or 'none bound'})."
    )


def _named(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name}}


def format_tools(tools: Sequence[Any], *, strict: bool | None = None) -> list[dict[str, Any]]:
    """OpenAI-format tool dicts for LangChain tools, functions, pydantic models, TypedDicts or dicts."""
    return [convert_to_openai_tool(tool, strict=strict) for tool in tools]


def add_json_instruction(messages: list[BaseMessage], schema: dict[str, Any] | None) -> list[BaseMessage]:
    """``messages`` with an instruction to answer in JSON (and, given a schema, to follow it).

    JSON mode needs the word "json" in the prompt. Without a schema the instruction is added only where
    the prompt lacks that word; with one, always, since the model must learn the keys from it. It joins
    the first system message, or becomes one.
    """
    if schema is None:
        if any("json" in m.text.lower() for m in messages):
            return messages
        instruction = "Respond with a JSON object only."
    else:
        instruction = "Respond with a JSON object only, one that validates against this JSON schema:\n" + json.dumps(
            schema, ensure_ascii=False
        )
    if messages and isinstance(messages[0], SystemMessage) and isinstance(messages[0].content, str):
        first = SystemMessage(f"{messages[0].content}\n\n{instruction}", id=messages[0].id)
        return [first, *messages[1:]]
    return [SystemMessage(instruction), *messages]


def structured_output(
    model: Any,
    schema: dict[str, Any] | type | None,
    *,
    method: StructuredMethod,
    include_raw: bool,
    strict: bool | None,
) -> Runnable[LanguageModelInput, Any]:
    """The runnable behind ``ChatQwenOmni.with_structured_output`` (see the module docstring)."""
    is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
    # what LangSmith records about the request (LangChain requires a schema there, so none without one)
    trace = {"ls_structured_output_format": {"kwargs": {"method": method, "strict": strict}, "schema": schema}}
    if schema is None:
        trace = {}
    llm: Runnable[Any, AIMessage]
    parser: Runnable[AIMessage, Any]
    if method == "function_calling":
        if schema is None:
            raise InvalidRequestError("with_structured_output(method='function_calling') needs a schema.")
        name = convert_to_openai_tool(schema)["function"]["name"]
        llm = model.bind_tools([schema], tool_choice=name, strict=strict, **trace)
        parser = (
            PydanticToolsParser(tools=[schema], first_tool_only=True)  # type: ignore[list-item]
            if is_pydantic
            else JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
        )
    elif method in ("json_mode", "json_schema"):
        json_schema = convert_to_json_schema(schema) if schema is not None else None
        if method == "json_mode":
            prompt: Callable[[LanguageModelInput], list[BaseMessage]] = lambda value: add_json_instruction(  # noqa: E731
                model._convert_input(value).to_messages(), json_schema
            )
            llm = RunnableLambda(prompt, name="add_json_instruction") | model.bind(
                response_format={"type": "json_object"}, **trace
            )
        else:
            if json_schema is None:
                raise InvalidRequestError("with_structured_output(method='json_schema') needs a schema.")
            spec = {"name": json_schema.get("title", "output"), "schema": json_schema}
            if strict is not None:
                spec["strict"] = strict
            llm = model.bind(response_format={"type": "json_schema", "json_schema": spec}, **trace)
        parser = PydanticOutputParser(pydantic_object=schema) if is_pydantic else JsonOutputParser()  # type: ignore[arg-type]
    else:
        raise InvalidRequestError(
            f"Unknown structured-output method {method!r}; use 'function_calling', 'json_mode' or 'json_schema'."
        )
    if not include_raw:
        return llm | parser
    parsed = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
    failed = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=llm) | parsed.with_fallbacks([failed], exception_key="parsing_error")


__all__ = [
    "add_json_instruction",
    "format_tools",
    "structured_output",
    "tool_choice_to_wire",
]
