"""What every framework adapter needs and no framework knows: call options, ``tool_choice``, usage, JSON mode.

An adapter for LangChain, LlamaIndex or a third framework holds settings (fields on its model class), takes
per-call arguments, binds tools and reports usage. The rules for all of it are Qwen-Omni's, so they live here
once, and an adapter is left with converting its framework's messages and output types:

- :func:`build_options`: the adapter's settings, its free-form body fields and the call's arguments, merged into
  one :class:`~qwen_omni.request.RequestOptions` (a later layer wins; ``None`` means "not set").
- :func:`wire_tool_choice`: a framework's ``tool_choice`` (``"auto"``, ``"none"``, ``"any"`` / ``"required"`` /
  ``True``, a tool's name, a dict) as the API takes it: ``"auto"``, ``"none"`` or one named function.
- :func:`usage_summary`: token counts with the per-modality details under the names frameworks use.
- :func:`thinking_on`, :func:`json_instruction` and :func:`structured_method`: what structured output may use
  on a model (a forced tool call is refused in thinking mode, so JSON mode is used there).

Example:
    >>> build_options({"model": "qwen3-omni-flash", "temperature": None}, call={"seed": 7}).seed
    7
    >>> wire_tool_choice("any", ["get_weather"])
    {'type': 'function', 'function': {'name': 'get_weather'}}
    >>> usage_summary(Usage(10, 5, 15, {"audio_tokens": 4}, {"reasoning_tokens": 2})).output_details
    {'reasoning': 2}
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from .errors import InvalidRequestError
from .excerpt import shorten
from .profiles import get_profile
from .request import Message, RequestOptions
from .stream import Usage

__all__ = [
    "OPTION_NAMES",
    "StructuredMethod",
    "ToolChoiceInput",
    "UsageSummary",
    "build_options",
    "json_instruction",
    "json_schema_as_json_mode",
    "structured_method",
    "thinking_on",
    "usage_summary",
    "usage_wire",
    "wire_tool_choice",
]

logger = logging.getLogger("qwen_omni")

#: Every name :class:`RequestOptions` takes: what an adapter may accept as a setting or a call argument.
OPTION_NAMES: frozenset[str] = frozenset(f.name for f in dataclasses.fields(RequestOptions))

#: ``tool_choice`` as frameworks spell it.
ToolChoiceInput = str | bool | Mapping[str, Any] | None
#: How structured output is asked for: a forced tool call, JSON mode, or a JSON schema (sent as JSON mode).
StructuredMethod = Literal["function_calling", "json_mode", "json_schema"]
_FORCE = ("any", "required")


def build_options(
    settings: Mapping[str, Any],
    *,
    body: Mapping[str, Any] | None = None,
    call: Mapping[str, Any] | None = None,
) -> RequestOptions:
    """One request's options from three layers, each overriding the one before where it sets a value.

    ``settings``: option values an adapter holds as fields (``None`` = unset; names that are not options are an
    error, since they are the adapter's own). ``body``: free-form extra fields (LangChain's ``model_kwargs``,
    LlamaIndex's ``additional_kwargs``): an option's name there sets that option, ``extra_body`` merges, anything
    else goes to the JSON body. ``call``: per-call arguments: option names and ``extra_body`` only.

    Raises:
        InvalidRequestError: a call argument that names no option.

    Example:
        >>> options = build_options({"model": "qwen3-omni-flash"}, body={"seed": 1, "foo": 2}, call={"stop": ["x"]})
        >>> options.seed, options.stop, dict(options.extra_body or {})
        (1, ['x'], {'foo': 2})
    """
    unknown = sorted(set(settings) - OPTION_NAMES)
    if unknown:
        raise TypeError(f"build_options: settings {', '.join(unknown)} are not request options.")
    values = {name: value for name, value in settings.items() if value is not None}
    extra: dict[str, Any] = dict(values.pop("extra_body", None) or {})
    for name, value in (body or {}).items():
        if name == "extra_body":
            extra.update(value or {})
        elif name in OPTION_NAMES:
            values[name] = value
        else:
            extra[name] = value
    options = RequestOptions(**values, extra_body=extra or None) if values or extra else RequestOptions()
    return options.merged(**call) if call else options


def wire_tool_choice(
    choice: ToolChoiceInput,
    tool_names: Sequence[str],
    *,
    thinking: bool = False,
    unforceable: Literal["refuse", "auto"] = "refuse",
    advice: str = "",
) -> str | dict[str, Any] | None:
    """The API's ``tool_choice`` for a framework's: ``"auto"``, ``"none"`` or one named function (or ``None``).

    Qwen-Omni has no "call some tool" (``"required"``): a forced call names the tool when exactly one is bound.
    With several tools, or in thinking mode (where a named choice is refused), ``unforceable`` decides: ``"refuse"``
    raises before anything is sent (``advice`` is added to the message), ``"auto"`` logs a warning and sends
    ``"auto"``.

    Raises:
        InvalidRequestError: a name that is not among the tools, or a forced call that cannot be made with
            ``unforceable="refuse"``.

    Example:
        >>> wire_tool_choice("required", ["a", "b"], unforceable="auto")
        'auto'
        >>> wire_tool_choice("b", ["a", "b"])
        {'type': 'function', 'function': {'name': 'b'}}
    """
    if choice is None or choice is False:
        return None
    if isinstance(choice, Mapping):
        return dict(choice)
    if choice in ("auto", "none"):
        return str(choice)
    if choice is True or choice in _FORCE:
        if len(tool_names) == 1 and not thinking:
            return _named(tool_names[0])
        reason = "in thinking mode" if thinking else f"among {len(tool_names)} tools"
        return _unforceable(f"Qwen-Omni cannot be made to call a tool {reason}", unforceable, advice)
    if isinstance(choice, str) and choice in tool_names:
        if thinking:
            return _unforceable(f"Qwen-Omni cannot be made to call {choice!r} in thinking mode", unforceable, advice)
        return _named(choice)
    raise InvalidRequestError(
        f"tool_choice {shorten(choice)} is neither 'auto', 'none', 'any' / 'required' nor one of the bound tools "
        f"({', '.join(tool_names) or 'none bound'})."
    )


def _named(name: str) -> dict[str, Any]:
    return {"type": "function", "function": {"name": name}}


def _unforceable(reason: str, policy: Literal["refuse", "auto"], advice: str) -> str:
    if policy == "auto":
        logger.warning("%s (it takes 'auto', 'none' or one named tool); sending 'auto'.", reason)
        return "auto"
    raise InvalidRequestError(
        f"{reason}: its tool_choice is 'auto', 'none' or one named function (there is no 'required'). "
        + (advice or "Name one tool, or use tool_choice='auto'.")
    )


@dataclass(frozen=True)
class UsageSummary:
    """Token counts with their details under the names LangChain and OpenAI-style consumers read.

    ``input_details``: ``audio``, ``cache_read``, ``text``, ``image``, ``video``; ``output_details``: ``audio``,
    ``reasoning``, ``text``. A detail the server did not report is absent, not zero.
    """

    input_tokens: int
    output_tokens: int
    total_tokens: int
    input_details: dict[str, int]
    output_details: dict[str, int]


_INPUT_DETAILS = {"audio_tokens": "audio", "cached_tokens": "cache_read", "text_tokens": "text",
                  "image_tokens": "image", "video_tokens": "video"}  # fmt: skip
_OUTPUT_DETAILS = {"audio_tokens": "audio", "reasoning_tokens": "reasoning", "text_tokens": "text"}


def usage_summary(usage: Usage) -> UsageSummary:
    """The usage of an answer, for a framework's usage record."""
    return UsageSummary(
        input_tokens=usage.prompt_tokens,
        output_tokens=usage.completion_tokens,
        total_tokens=usage.total_tokens,
        input_details={_INPUT_DETAILS[k]: v for k, v in usage.prompt_tokens_details.items() if k in _INPUT_DETAILS},
        output_details={
            _OUTPUT_DETAILS[k]: v for k, v in usage.completion_tokens_details.items() if k in _OUTPUT_DETAILS
        },
    )


def usage_wire(usage: Usage) -> dict[str, Any]:
    """The usage as the API sent it (OpenAI-shaped), e.g. for LlamaIndex's ``raw["usage"]``.

    Example:
        >>> usage_wire(Usage(3, 2, 5))["total_tokens"]
        5
    """
    return {
        "prompt_tokens": usage.prompt_tokens,
        "completion_tokens": usage.completion_tokens,
        "total_tokens": usage.total_tokens,
        "prompt_tokens_details": dict(usage.prompt_tokens_details),
        "completion_tokens_details": dict(usage.completion_tokens_details),
    }


def thinking_on(options: RequestOptions) -> bool:
    """Whether a request with ``options`` runs in thinking mode: as asked, else the model's default.

    Example:
        >>> thinking_on(RequestOptions(model="qwen3-omni-flash")), thinking_on(RequestOptions(model="qwen3-omni-flash",
        ...     enable_thinking=True))
        (False, True)
    """
    profile = get_profile(options.model, warn=False)
    if not profile.supports_thinking:
        return False
    if options.enable_thinking is not None:
        return bool(options.enable_thinking)
    return profile.thinking_by_default


def structured_method(requested: StructuredMethod | None, options: RequestOptions) -> StructuredMethod:
    """The structured-output method to use: ``requested``, or by default a forced tool call, except in thinking
    mode, where a forced tool call is refused and JSON mode is used instead.

    Raises:
        InvalidRequestError: ``function_calling`` asked for in thinking mode, with the method that works.

    Example:
        >>> structured_method(None, RequestOptions(model="qwen3-omni-flash", enable_thinking=True))
        'json_mode'
    """
    thinking = thinking_on(options)
    if requested is None:
        return "json_mode" if thinking else "function_calling"
    if requested == "function_calling" and thinking:
        raise InvalidRequestError(
            f"{options.model} is in thinking mode, where a forced tool call (method='function_calling') is refused; "
            "use method='json_mode' (or leave method unset, which picks it), or set enable_thinking=False."
        )
    return requested


def json_instruction(schema: Mapping[str, Any] | None) -> str:
    """The instruction JSON mode needs: answer with a JSON object (following ``schema`` if given).

    The API's JSON mode (``response_format={"type": "json_object"}``) requires the word "json" in the prompt, and
    the model learns the keys only from the prompt; this text says both.

    Example:
        >>> json_instruction(None)
        'Respond with a JSON object only.'
    """
    if schema is None:
        return "Respond with a JSON object only."
    return "Respond with a JSON object only, one that validates against this JSON schema:\n" + json.dumps(
        schema, ensure_ascii=False
    )


def json_schema_as_json_mode(messages: list[Message], options: RequestOptions) -> tuple[list[Message], RequestOptions]:
    """A ``json_schema`` response format sent the way Qwen-Omni documents: JSON mode, with the schema in the prompt.

    Alibaba documents only ``response_format={"type": "json_object"}`` for Qwen-Omni (which needs the word "json"
    in the prompt); ``json_schema`` is not documented for it. So a ``json_schema`` request (LangChain's
    ``ProviderStrategy``, ``with_structured_output(method="json_schema")``) becomes JSON mode, and the schema joins
    the first system message (or becomes one) as :func:`json_instruction`. Other requests are returned as they are.

    Example:
        >>> fmt = {"type": "json_schema", "json_schema": {"name": "City", "schema": {"type": "object"}}}
        >>> sent, opts = json_schema_as_json_mode([Message("user", "Paris?")], RequestOptions(response_format=fmt))
        >>> opts.response_format, sent[0].role, "JSON schema" in str(sent[0].content)
        ({'type': 'json_object'}, 'system', True)
    """
    fmt = options.response_format
    if not isinstance(fmt, Mapping) or fmt.get("type") != "json_schema":
        return messages, options
    spec = fmt.get("json_schema")
    schema = spec.get("schema") if isinstance(spec, Mapping) else None
    if not isinstance(schema, Mapping):
        raise InvalidRequestError(
            'response_format json_schema needs {"type": "json_schema", "json_schema": {"name": ..., "schema": {...}}}; '
            f"got {shorten(fmt)}."
        )
    instruction = json_instruction(schema)
    first = messages[0] if messages else None
    if first is not None and first.role == "system" and isinstance(first.content, str):
        sent = [dataclasses.replace(first, content=f"{first.content}\n\n{instruction}"), *messages[1:]]
    else:
        sent = [Message("system", instruction), *messages]
    return sent, dataclasses.replace(options, response_format={"type": "json_object"})
