"""``structured_predict`` and its kin for ``QwenOmni``: the object asked for, held to its class.

LlamaIndex's programs parse what the model answered and fail on a loose answer. Here the answer is asked for as
LlamaIndex would (a forced call to a tool made from the class; in thinking mode, where the API refuses a forced
call, JSON mode with the schema in the prompt), then validated by pydantic, and repaired with one more request that
lists the errors (``structured_output_repairs``, default 1) (:mod:`qwen_omni.structured`). Each request is a chat
event of the LLM (callbacks, ``TokenCountingHandler`` and instrumentation see the repair too). An answer that still
does not fit raises :class:`~llama_index_qwen_omni.errors.QwenOmniOutputParserError`, LlamaIndex's
``OutputParserException`` with the raw answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.program.function_program import get_function_tool

from qwen_omni.adapter_support import json_schema_as_json_mode, thinking_on
from qwen_omni.request import RequestOptions
from qwen_omni.structured import OutputSchema, RepairLoop, StructuredOutcome

from .errors import to_llama_index_error

if TYPE_CHECKING:
    from .llm import QwenOmni

__all__ = ["StructuredRequest", "structured_request", "structured_value"]

#: What LlamaIndex's programs put in ``llm_kwargs`` for their own tool call: the forced call here replaces them.
_PROGRAM_KWARGS = ("tool_required", "tool_choice", "allow_parallel_tool_calls", "tools")


class StructuredRequest:
    """One structured request: the loop that checks and repairs, and the options every attempt is sent with."""

    def __init__(self, loop: RepairLoop, options: RequestOptions) -> None:
        self.loop = loop
        self.options = options


def json_schema_format(output_cls: type[Any]) -> dict[str, Any]:
    """The ``json_schema`` response format for a pydantic class (sent as JSON mode with the schema in the prompt).

    Example:
        >>> from pydantic import BaseModel
        >>> class City(BaseModel):
        ...     name: str
        >>> json_schema_format(City)["json_schema"]["name"]
        'City'
    """
    return {
        "type": "json_schema",
        "json_schema": {"name": output_cls.__name__, "schema": output_cls.model_json_schema()},
    }


def structured_request(
    llm: QwenOmni, output_cls: type[Any], messages: Sequence[ChatMessage], llm_kwargs: dict[str, Any] | None
) -> StructuredRequest:
    """How ``llm`` asks for ``output_cls``: a forced call to the class's tool, or in thinking mode JSON mode."""
    kwargs = {k: v for k, v in (llm_kwargs or {}).items() if k not in _PROGRAM_KWARGS}
    schema = OutputSchema.of(output_cls)
    core = llm.core_messages(messages)
    repairs = llm.structured_output_repairs
    if thinking_on(llm.request_options(enable_thinking=kwargs.get("enable_thinking"))):
        options = llm.request_options(**kwargs, response_format=json_schema_format(output_cls))
        core, options = json_schema_as_json_mode(core, options)
        return StructuredRequest(RepairLoop(schema, core, via="json", repairs=repairs), options)
    tool = get_function_tool(output_cls).metadata.to_openai_tool(skip_length_check=True)
    name = tool["function"]["name"]
    options = llm.request_options(
        **kwargs, tools=[tool], tool_choice={"type": "function", "function": {"name": name}}, parallel_tool_calls=False
    )
    return StructuredRequest(RepairLoop(schema, core, via="tool", tool_name=name, repairs=repairs), options)


def structured_value(outcome: StructuredOutcome) -> Any:
    """The validated object, or LlamaIndex's parse error with the raw answer."""
    if outcome.valid:
        return outcome.value
    raise to_llama_index_error(outcome.error())
