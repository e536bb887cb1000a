"""Functions a realtime model may call: their wire definition, and how a call is run and answered.

A :class:`RealtimeTool` is a name, a description, a JSON schema of its arguments, and (optionally) the function
that answers a call. The session runs a call's function (sync in a worker thread, ``async`` on the loop) and sends
its result as the ``function_call_output`` item; a tool without a function is answered by the caller with
``send_tool_result``. The faces build these from LangChain and LlamaIndex tools.

Example:
    >>> def get_weather(city: str) -> str:
    ...     '''The weather in a city.'''
    ...     return f"Sunny in {city}."
    >>> tool = RealtimeTool.from_function(get_weather)
    >>> tool.wire()["function"]["parameters"]["required"]
    ['city']
    >>> parse_arguments(' {"city": "Paris"}')
    {'city': 'Paris'}
"""

from __future__ import annotations

import asyncio
import inspect
import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import create_model

from ..errors import InvalidRequestError

__all__ = ["RealtimeTool", "ToolFunction", "parse_arguments", "tool_output_text"]

#: A tool's function: keyword arguments from the call in, the output (any value; made text) out; sync or async.
ToolFunction = Callable[..., Any | Awaitable[Any]]


def parse_arguments(text: str) -> dict[str, Any]:
    """A call's arguments (JSON text, which Qwen sends with a leading space) as a dict.

    Raises:
        InvalidRequestError: the text is not a JSON object.
    """
    stripped = text.strip()
    if not stripped:
        return {}
    try:
        value = json.loads(stripped)
    except json.JSONDecodeError as exc:
        raise InvalidRequestError(f"The model's tool arguments are not JSON ({exc.msg}): {stripped[:80]!r}") from None
    if not isinstance(value, dict):
        raise InvalidRequestError(f"The model's tool arguments are not a JSON object: {stripped[:80]!r}")
    return value


def tool_output_text(value: Any) -> str:
    """A tool's result as the text of a ``function_call_output`` (JSON when it can be, else ``str``).

    Example:
        >>> tool_output_text({"temp": 21}), tool_output_text("Sunny")
        ('{"temp": 21}', 'Sunny')
    """
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return str(value)


@dataclass(frozen=True)
class RealtimeTool:
    """A function the model may call.

    Attributes:
        name: the function's name (what the model calls).
        description: what it does, for the model.
        parameters: the JSON schema of its arguments (an object schema).
        function: what answers a call (keyword arguments in), or None: the caller answers with
            ``send_tool_result``.
    """

    name: str
    description: str = ""
    parameters: Mapping[str, Any] = field(default_factory=lambda: {"type": "object", "properties": {}})
    function: ToolFunction | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.name or not all(c.isalnum() or c in "_-" for c in self.name):
            raise InvalidRequestError(f"A tool name is letters, digits, '_' and '-'; got {self.name!r}.")

    @classmethod
    def from_function(cls, function: ToolFunction, *, name: str | None = None,
                      description: str | None = None) -> RealtimeTool:  # fmt: skip
        """A tool from a Python function: its name, docstring and typed parameters (a pydantic schema)."""
        signature = inspect.signature(function)
        fields: dict[str, Any] = {}
        for param in signature.parameters.values():
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            annotation = Any if param.annotation is inspect.Parameter.empty else param.annotation
            default = ... if param.default is inspect.Parameter.empty else param.default
            fields[param.name] = (annotation, default)
        schema = create_model(f"{function.__name__}_arguments", **fields).model_json_schema()
        schema.pop("title", None)
        for prop in schema.get("properties", {}).values():
            prop.pop("title", None)
        return cls(
            name=name or function.__name__,
            description=description if description is not None else inspect.getdoc(function) or "",
            parameters=schema,
            function=function,
        )

    def wire(self) -> dict[str, Any]:
        """The nested definition DashScope takes (``{"type": "function", "function": {...}}``)."""
        return {"type": "function", "function": {"name": self.name, "description": self.description,
                                                 "parameters": dict(self.parameters)}}  # fmt: skip

    async def run(self, arguments: Mapping[str, Any]) -> Any:
        """Call the function with ``arguments`` (a sync one in a worker thread); its result as returned."""
        if self.function is None:
            raise InvalidRequestError(f"The tool {self.name!r} has no function; answer it with send_tool_result.")
        if inspect.iscoroutinefunction(self.function):
            return await self.function(**arguments)
        result = await asyncio.to_thread(self.function, **arguments)
        return await result if inspect.isawaitable(result) else result
