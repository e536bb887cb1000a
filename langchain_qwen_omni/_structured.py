"""Tools and structured output for :class:`~langchain_qwen_omni.ChatQwenOmni`, as the API allows them.

Qwen-Omni's ``tool_choice`` is ``"auto"``, ``"none"`` or one named function; there is no ``"required"``.
LangChain's ``"any"`` (or ``True``) therefore names the tool when exactly one is bound; with several it is
refused before anything is sent, with the way that works (:func:`qwen_omni.adapter_support.wire_tool_choice`).

Structured output goes through a forced tool call (``function_calling``), through JSON mode (``json_mode``:
``response_format={"type": "json_object"}``, with an instruction holding the schema and the word "json" that the
API requires added to the prompt), or through ``json_schema``, which Alibaba does not document for Qwen-Omni and
which is therefore sent as JSON mode with the schema in a system instruction
(:func:`qwen_omni.adapter_support.json_schema_as_json_mode`). Without a ``method``, a forced tool call is used,
except in thinking mode, where the API refuses one and JSON mode is used.

The model's LangChain profile says ``structured_output: True``, so ``create_agent(model, tools,
response_format=Schema)`` picks ``ProviderStrategy`` (a ``json_schema`` response format, sent as JSON mode) and
works with any number of tools; ``ToolStrategy`` would need the "call one of these tools" choice the API lacks.

Example:
    >>> tool_choice_to_wire("any", ["get_weather"])
    {'type': 'function', 'function': {'name': 'get_weather'}}
    >>> from langchain_core.messages import HumanMessage
    >>> add_json_instruction([HumanMessage("Tell me a joke.")], None)[0].content
    'Respond with a JSON object only.'
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage
from langchain_core.output_parsers import JsonOutputKeyToolsParser, JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import PydanticToolsParser
from langchain_core.runnables import Runnable, RunnableLambda, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass

from qwen_omni.adapter_support import StructuredMethod, json_instruction, wire_tool_choice
from qwen_omni.errors import InvalidRequestError

_FORCE = ("any", "required")
#: What a refused forced call says to do instead, in LangChain's terms.
FORCED_CALL_ADVICE = (
    "Name one tool (tool_choice='my_tool'), or use tool_choice='auto'. For an agent's structured answer, pass the "
    "schema alone (create_agent(model, tools, response_format=Schema)) or ProviderStrategy(Schema), which use JSON "
    "mode, rather than ToolStrategy; for with_structured_output, method='json_mode'."
)


def tool_choice_to_wire(
    tool_choice: Any, tool_names: Sequence[str], *, thinking: bool = False
) -> str | dict[str, Any] | None:
    """The API's ``tool_choice`` for LangChain's (``"auto"``, ``"none"``, ``"any"``, a tool name, a dict).

    A forced call the API cannot make (``"any"`` among several tools, or in thinking mode) is kept as ``"any"``:
    binding succeeds, as LangChain expects, and the call is refused before sending by :func:`check_tool_choice`.

    Raises:
        InvalidRequestError: a name that is not among the bound tools.
    """
    try:
        return wire_tool_choice(tool_choice, tool_names, thinking=thinking)
    except InvalidRequestError:
        if tool_choice is True or tool_choice in _FORCE:
            return "any"
        raise


def check_tool_choice(tool_choice: Any, tool_names: Sequence[str], *, thinking: bool) -> None:
    """Refuse, before sending, a forced call the API cannot make, saying what works instead.

    Raises:
        InvalidRequestError: ``tool_choice`` is ``"any"`` / ``"required"`` among several tools or in thinking mode.
    """
    if tool_choice is True or tool_choice in _FORCE:
        wire_tool_choice(tool_choice, tool_names, thinking=thinking, unforceable="refuse", advice=FORCED_CALL_ADVICE)


def format_tools(tools: Sequence[Any], *, strict: bool | None = None) -> list[dict[str, Any]]:
    """OpenAI-format tool dicts for LangChain tools, functions, pydantic models, TypedDicts or dicts."""
    return [convert_to_openai_tool(tool, strict=strict) for tool in tools]


def add_json_instruction(messages: list[BaseMessage], schema: dict[str, Any] | None) -> list[BaseMessage]:
    """``messages`` with an instruction to answer in JSON (and, given a schema, to follow it).

    JSON mode needs the word "json" in the prompt. Without a schema the instruction is added only where
    the prompt lacks that word; with one, always, since the model must learn the keys from it. It joins
    the first system message, or becomes one.
    """
    if schema is None and any("json" in m.text.lower() for m in messages):
        return messages
    instruction = json_instruction(schema)
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
    "FORCED_CALL_ADVICE",
    "add_json_instruction",
    "check_tool_choice",
    "format_tools",
    "structured_output",
    "tool_choice_to_wire",
]
