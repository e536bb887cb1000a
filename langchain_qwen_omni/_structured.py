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

Nothing on the server holds the answer to the schema, so the model does (:mod:`qwen_omni.structured`): a request
that asks for structured output (a ``json_schema`` response format, or the :class:`StructuredSpec` that
``with_structured_output`` binds) is answered whole, validated, and repaired with one more request listing the
errors (``structured_output_repairs``, default 1); the message returned holds the JSON found (prose around it
dropped) and the usage of every request. An answer that still does not fit is returned as it is, for the parser
to refuse: ``with_structured_output``'s raises :class:`~langchain_qwen_omni.QwenOmniOutputParserError` (an
``OutputParserException`` with the raw answer), an agent's its own ``StructuredOutputValidationError``.

Example:
    >>> tool_choice_to_wire("any", ["get_weather"])
    {'type': 'function', 'function': {'name': 'get_weather'}}
    >>> from langchain_core.messages import HumanMessage
    >>> add_json_instruction([HumanMessage("Tell me a joke.")], None)[0].content
    'Respond with a JSON object only.'
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, SystemMessage
from langchain_core.runnables import Runnable, RunnableLambda, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass

from qwen_omni.adapter_support import StructuredMethod, json_instruction, wire_tool_choice
from qwen_omni.errors import InvalidRequestError
from qwen_omni.structured import Checked, OutputSchema, Via, structured_error

from .errors import to_langchain_error

#: The call argument ``with_structured_output`` binds: how the model checks the answer.
STRUCTURED_KWARG = "qwen_omni_structured"


@dataclass(frozen=True)
class StructuredSpec:
    """What a structured request's answer must be, and how it comes (JSON text, or a call to ``tool_name``)."""

    schema: OutputSchema
    via: Via = "json"
    tool_name: str | None = None

    def __repr__(self) -> str:
        return f"StructuredSpec({self.schema.name!r}, via={self.via!r})"


def spec_of_request(kwargs: Mapping[str, Any]) -> StructuredSpec | None:
    """The structured spec of a call: the one bound, else one for a ``json_schema`` response format (an agent's
    ``ProviderStrategy``), validated by its JSON schema; None for any other call."""
    spec = kwargs.get(STRUCTURED_KWARG)
    if isinstance(spec, StructuredSpec):
        return spec
    fmt = kwargs.get("response_format")
    if isinstance(fmt, Mapping) and fmt.get("type") == "json_schema" and isinstance(fmt.get("json_schema"), Mapping):
        return StructuredSpec(OutputSchema.of(fmt["json_schema"]))
    return None


def _output_schema(schema: dict[str, Any] | type | None, json_schema: dict[str, Any] | None) -> OutputSchema:
    """A pydantic model is validated by pydantic; a TypedDict or a dict by its JSON schema, as LangChain writes it."""
    if isinstance(schema, type) and is_basemodel_subclass(schema):
        return OutputSchema.of(schema)
    return OutputSchema.of(json_schema if json_schema is not None else schema)


def parse_structured(spec: StructuredSpec) -> Callable[[AIMessage], Any]:
    """The parser of ``with_structured_output``: the validated value of the model's answer.

    Raises:
        QwenOmniOutputParserError: the answer does not fit (after the model's repair requests).
    """

    def parse(message: AIMessage) -> Any:
        schema = spec.schema
        if spec.via == "tool":
            call = next((c for c in message.tool_calls if c["name"] == spec.tool_name), None)
            broken = [c.get("args") or "" for c in message.invalid_tool_calls if c.get("name") == spec.tool_name]
            if call is not None:
                checked, raw = schema.check(call["args"]), json.dumps(call["args"], ensure_ascii=False)
            elif broken:
                checked, raw = schema.check_text(broken[0]), broken[0]
            else:
                problem = f"The answer called no {spec.tool_name!r} tool."
                checked, raw = Checked(None, (problem,), message.text), message.text
        else:
            checked = schema.check_text(message.text)
            raw = message.text
        if checked.valid:
            return checked.value
        report = message.response_metadata.get("structured_output")
        repairs = int(report.get("repairs", 0)) if isinstance(report, Mapping) else 0
        raise to_langchain_error(structured_error(schema.name, checked.errors, raw, repairs=repairs))

    return parse


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
    # what LangSmith records about the request (LangChain requires a schema there, so none without one)
    trace = {"ls_structured_output_format": {"kwargs": {"method": method, "strict": strict}, "schema": schema}}
    if schema is None:
        trace = {}
    llm: Runnable[Any, AIMessage]
    if method == "function_calling":
        if schema is None:
            raise InvalidRequestError("with_structured_output(method='function_calling') needs a schema.")
        tool = convert_to_openai_tool(schema, strict=strict)
        name = tool["function"]["name"]
        spec = StructuredSpec(_output_schema(schema, tool["function"].get("parameters")), "tool", name)
        llm = model.bind_tools([schema], tool_choice=name, strict=strict, **trace, **{STRUCTURED_KWARG: spec})
    elif method in ("json_mode", "json_schema"):
        json_schema = convert_to_json_schema(schema) if schema is not None else None
        spec = StructuredSpec(_output_schema(schema, json_schema))
        if method == "json_mode":
            prompt: Callable[[LanguageModelInput], list[BaseMessage]] = lambda value: add_json_instruction(  # noqa: E731
                model._convert_input(value).to_messages(), json_schema
            )
            llm = RunnableLambda(prompt, name="add_json_instruction") | model.bind(
                response_format={"type": "json_object"}, **trace, **{STRUCTURED_KWARG: spec}
            )
        else:
            if json_schema is None:
                raise InvalidRequestError("with_structured_output(method='json_schema') needs a schema.")
            fmt: dict[str, Any] = {"name": json_schema.get("title", "output"), "schema": json_schema}
            if strict is not None:
                fmt["strict"] = strict
            llm = model.bind(
                response_format={"type": "json_schema", "json_schema": fmt}, **trace, **{STRUCTURED_KWARG: spec}
            )
    else:
        raise InvalidRequestError(
            f"Unknown structured-output method {method!r}; use 'function_calling', 'json_mode' or 'json_schema'."
        )
    parser = RunnableLambda(parse_structured(spec), name="structured_output_parser")
    if not include_raw:
        return llm | parser
    parsed = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
    failed = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=llm) | parsed.with_fallbacks([failed], exception_key="parsing_error")


__all__ = [
    "FORCED_CALL_ADVICE",
    "STRUCTURED_KWARG",
    "StructuredSpec",
    "add_json_instruction",
    "check_tool_choice",
    "format_tools",
    "parse_structured",
    "spec_of_request",
    "structured_output",
    "tool_choice_to_wire",
]
