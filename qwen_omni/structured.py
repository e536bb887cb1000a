"""Structured answers held to their schema: read, validate, repair once, and say what went wrong (framework-free).

Qwen-Omni documents JSON mode, not ``json_schema``, so a structured answer is asked for as JSON mode with the
schema in the prompt, or as a forced tool call; nothing on the server holds the answer to the schema. This module
does, for both faces and the long-media pipeline alike:

- :class:`OutputSchema`: what the answer must be. A pydantic model is validated by pydantic (its own strictness:
  ``"21"`` is a valid ``float`` unless the model is strict); a JSON schema (a dict, or a TypedDict's) by the
  ``jsonschema`` validator of its dialect (Draft 2020-12 by default), where ``"21"`` is not a number.
- :func:`read_json`: the JSON value of an answer's text: the whole text, else the object in a ```` ```json ````
  fence or inside prose (the first one that validates, else the first one).
- :class:`RepairLoop`: the answer is checked; if it does not fit, the next request is the conversation with the
  answer and a repair message listing every error (a ``tool`` message for a forced call), up to ``repairs`` times
  (default 1; 0 sends none). :func:`answer_structured` / :func:`aanswer_structured` drive it with a function that
  sends one request.
- :class:`StructuredOutcome`: the value (or the errors), every answer received, their summed usage; a face turns
  a failure into its framework's parse error with :meth:`StructuredOutcome.error`.

Example:
    >>> from pydantic import BaseModel
    >>> class City(BaseModel):
    ...     name: str
    ...     population: int
    >>> schema = OutputSchema.of(City)
    >>> schema.check_text('Sure! {"name": "Graz", "population": "many"}').errors
    ("population: Input should be a valid integer, unable to parse string as an integer (got 'many')",)
    >>> schema.check_text('```json\\n{"name": "Graz", "population": 300000}\\n```').value
    City(name='Graz', population=300000)
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, TypeAdapter, ValidationError

from .errors import InvalidRequestError, StructuredOutputError
from .excerpt import shorten
from .request import Message
from .stream import OmniResult, ToolCall, Usage

__all__ = [
    "DEFAULT_REPAIRS",
    "Checked",
    "OutputSchema",
    "RepairLoop",
    "StructuredOutcome",
    "Via",
    "aanswer_structured",
    "answer_structured",
    "read_json",
    "structured_error",
    "sum_usage",
]

#: Repair requests sent after an answer that does not fit, unless a face is told otherwise.
DEFAULT_REPAIRS = 1
#: How the answer comes: as JSON text (JSON mode) or as a forced tool call's arguments.
Via = Literal["json", "tool"]
#: The most errors a repair message lists (a schema of many fields may have many).
_MAX_ERRORS = 20
_FENCE = "```"


@dataclass(frozen=True)
class Checked:
    """One answer, checked: ``value`` when it fits (``errors`` empty), else the errors; ``text`` is the JSON that
    was read (the object found in prose, or the whole text when none was found)."""

    value: Any
    errors: tuple[str, ...]
    text: str

    @property
    def valid(self) -> bool:
        return not self.errors


def _json_candidates(text: str) -> list[tuple[str, Any]]:
    """``(text, value)`` of the JSON the answer may mean: the whole text, a fenced block, the objects in it."""
    stripped = text.strip()
    found: list[tuple[str, Any]] = []
    try:
        found.append((stripped, json.loads(stripped)))
        return found
    except (ValueError, RecursionError):
        pass
    if _FENCE in stripped:
        for block in stripped.split(_FENCE)[1::2]:
            head, _, rest = block.partition("\n")
            body = rest if head.strip().isalpha() else block  # a language tag (```json) is not part of the JSON
            try:
                found.append((body.strip(), json.loads(body)))
            except (ValueError, RecursionError):
                continue
    decoder = json.JSONDecoder()
    start = stripped.find("{")
    while start != -1:
        try:
            value, end = decoder.raw_decode(stripped, start)
        except (ValueError, RecursionError):
            start = stripped.find("{", start + 1)
            continue
        found.append((stripped[start:end], value))
        start = stripped.find("{", end)
    return found


def read_json(text: str) -> list[tuple[str, Any]]:
    """The JSON values an answer's text holds, most likely first: the whole text, fenced blocks, objects in prose.

    Example:
        >>> read_json('Here: {"a": 1} and {"b": 2}.')
        [('{"a": 1}', {'a': 1}), ('{"b": 2}', {'b': 2})]
    """
    return _json_candidates(text)


@dataclass(frozen=True)
class OutputSchema:
    """What a structured answer must be.

    ``model``: a pydantic model class, validated by pydantic (the value is an instance). Otherwise ``json_schema``
    is validated by ``jsonschema`` (the value is the decoded JSON). ``name`` names it in messages and tool calls.
    Build one with :meth:`of`.
    """

    name: str
    json_schema: Mapping[str, Any]
    model: type[Any] | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.model is None:
            validator = _validator_class(self.json_schema)
            try:
                validator.check_schema(self.json_schema)
            except Exception as exc:  # jsonschema.SchemaError
                problem = _clip(str(getattr(exc, "message", exc)), 200)
                raise InvalidRequestError(
                    f"The schema {self.name!r} is not a valid JSON Schema: {problem}. Fix it, or pass a pydantic "
                    "model or a TypedDict."
                ) from None

    @classmethod
    def of(
        cls, schema: type[Any] | Mapping[str, Any] | None, *, json_schema: Mapping[str, Any] | None = None
    ) -> OutputSchema:
        """The schema of a pydantic model, a TypedDict (or any type pydantic can describe), or a JSON schema dict.

        ``json_schema``: the schema as the face shows it to the model (e.g. LangChain's own conversion), when it
        has one; None: pydantic's. ``None`` as ``schema``: any JSON object.

        Example:
            >>> OutputSchema.of({"title": "Pet", "type": "object", "required": ["name"]}).name
            'Pet'
        """
        if schema is None:
            return cls("JSON object", {"type": "object"})
        if isinstance(schema, Mapping):
            spec = dict(schema)
            if isinstance(spec.get("schema"), Mapping) and "name" in spec:  # {"name": ..., "schema": {...}} as sent
                return cls(str(spec["name"]), dict(spec["schema"]))
            return cls(str(spec.get("title") or "output"), spec)
        if isinstance(schema, type) and issubclass(schema, BaseModel):
            return cls(schema.__name__, dict(json_schema or schema.model_json_schema()), model=schema)
        if _is_pydantic_v1(schema):
            return cls(schema.__name__, dict(json_schema or schema.schema()), model=schema)
        try:
            described = dict(json_schema or TypeAdapter(schema).json_schema())
        except Exception as exc:  # a type pydantic cannot describe
            raise InvalidRequestError(
                f"Cannot build a JSON schema from {shorten(schema)} ({type(exc).__name__}); give a pydantic model, a "
                "TypedDict or a JSON schema dict."
            ) from None
        return cls(str(getattr(schema, "__name__", described.get("title", "output"))), described)

    def check(self, value: Any) -> Checked:
        """Validate a decoded JSON value."""
        text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
        if self.model is not None:
            return self._check_model(value, text)
        validator = _validator_class(self.json_schema)(self.json_schema)
        errors = sorted(validator.iter_errors(value), key=lambda e: (list(e.absolute_path), e.message))
        messages = tuple(_schema_error(error) for error in errors[:_MAX_ERRORS])
        return Checked(None if messages else value, messages, text)

    def _check_model(self, value: Any, text: str) -> Checked:
        model = self.model
        assert model is not None
        try:
            if isinstance(model, type) and issubclass(model, BaseModel):
                return Checked(model.model_validate(value), (), text)
            return Checked(model.parse_obj(value), (), text)
        except ValidationError as exc:
            return Checked(None, tuple(_pydantic_error(e) for e in exc.errors()[:_MAX_ERRORS]), text)
        except Exception as exc:  # a pydantic v1 ValidationError, or a model's own validator raising
            errors = getattr(exc, "errors", None)
            if callable(errors):
                return Checked(None, tuple(_pydantic_error(e) for e in list(errors())[:_MAX_ERRORS]), text)
            return Checked(None, (f"{type(exc).__name__}: {_clip(str(exc), 200)}",), text)

    def check_text(self, text: str) -> Checked:
        """Validate an answer's text: the first JSON value in it that fits, else the first one's errors."""
        candidates = _json_candidates(text)
        if not candidates:
            problem = "The answer holds no JSON object" if text.strip() else "The answer is empty"
            return Checked(None, (f"{problem}; it must be one JSON object and nothing else.",), text)
        first: Checked | None = None
        for found, value in candidates:
            checked = dataclasses.replace(self.check(value), text=found)
            if checked.valid:
                return checked
            first = first or checked
        assert first is not None
        return first

    def check_call(self, result: OmniResult, tool_name: str) -> Checked:
        """Validate the arguments of the answer's call to ``tool_name``."""
        call = next((c for c in result.tool_calls if c.name == tool_name), None)
        if call is None:
            said = f" (it answered in text: {shorten(result.text, 80)})" if result.text.strip() else ""
            return Checked(None, (f"The answer called no {tool_name!r} tool{said}; call it with the answer.",), "")
        if call.arguments is None:
            return Checked(None, (f"The arguments are not a JSON object ({call.error}).",), call.raw_arguments)
        return dataclasses.replace(self.check(call.arguments), text=call.raw_arguments)


def _is_pydantic_v1(schema: Any) -> bool:
    try:
        from pydantic import v1
    except ImportError:  # pragma: no cover - pydantic 2 always ships pydantic.v1
        return False
    return isinstance(schema, type) and issubclass(schema, v1.BaseModel)


def _validator_class(schema: Mapping[str, Any]) -> Any:
    from jsonschema import Draft202012Validator
    from jsonschema.validators import validator_for

    return validator_for(schema, default=Draft202012Validator)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _where(path: Sequence[Any]) -> str:
    return ".".join(str(p) for p in path) or "the answer"


def _schema_error(error: Any) -> str:
    """One ``jsonschema`` error as a line of the repair message."""
    return f"{_where(list(error.absolute_path))}: {_clip(error.message, 200)}"


def _pydantic_error(error: Mapping[str, Any]) -> str:
    """One pydantic error as a line of the repair message (the input shown when it is short and not missing)."""
    where = _where(error.get("loc", ()))
    line = f"{where}: {error.get('msg', 'invalid')}"
    if error.get("type") != "missing" and "input" in error and not isinstance(error["input"], dict | list):
        line += f" (got {shorten(error['input'], 60)})"
    return line


def sum_usage(usages: Sequence[Usage | None]) -> Usage | None:
    """The usage of several answers together (None when none reported one).

    Example:
        >>> total = sum_usage([Usage(10, 5, 15, {"text_tokens": 10}), Usage(12, 4, 16, {"text_tokens": 12})])
        >>> total.total_tokens, total.prompt_tokens_details
        (31, {'text_tokens': 22})
    """
    known = [u for u in usages if u is not None]
    if not known:
        return None

    def details(key: str) -> dict[str, int]:
        merged: dict[str, int] = {}
        for usage in known:
            for name, count in getattr(usage, key).items():
                merged[name] = merged.get(name, 0) + count
        return merged

    return Usage(
        prompt_tokens=sum(u.prompt_tokens for u in known),
        completion_tokens=sum(u.completion_tokens for u in known),
        total_tokens=sum(u.total_tokens for u in known),
        prompt_tokens_details=details("prompt_tokens_details"),
        completion_tokens_details=details("completion_tokens_details"),
    )


@dataclass(frozen=True)
class StructuredOutcome:
    """What a structured request came to: the value (``None`` with ``errors`` when the last answer did not fit),
    the JSON text that was read, and every answer received, first to last."""

    schema: OutputSchema
    value: Any
    errors: tuple[str, ...]
    text: str
    results: tuple[OmniResult, ...]

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def called_tools(self) -> bool:
        """Whether the answer is a turn of tool calls (an agent's) rather than the structured answer."""
        return bool(self.last.tool_calls) and self.value is None and not self.errors

    @property
    def repairs(self) -> int:
        """How many repair requests were sent."""
        return len(self.results) - 1

    @property
    def last(self) -> OmniResult:
        return self.results[-1]

    @property
    def usage(self) -> Usage | None:
        """The usage of every request, the repairs included."""
        return sum_usage([r.usage for r in self.results])

    @property
    def raw(self) -> str:
        """The last answer as the model gave it: its text, or a forced call's arguments."""
        calls = self.last.tool_calls
        return calls[0].raw_arguments if calls and not self.last.text else self.last.text

    def error(self) -> StructuredOutputError:
        """The error for an answer that does not fit (the face raises it as its framework's parse error)."""
        return structured_error(self.schema.name, self.errors, self.raw, repairs=self.repairs, outcome=self)


def structured_error(
    name: str, errors: Sequence[str], raw: str, *, repairs: int, outcome: StructuredOutcome | None = None
) -> StructuredOutputError:
    """The error of an answer that does not fit ``name``: what does not fit, how many repairs were sent, what to do.

    Example:
        >>> str(structured_error("City", ["population: Field required"], '{"name": "Graz"}', repairs=1))[:60]
        'The answer does not fit City after 1 repair request: populat'
    """
    tries = f"after {repairs} repair request{'s' if repairs != 1 else ''}" if repairs else "(no repair was asked for)"
    listed = "; ".join(e.rstrip(".") for e in errors[:5]) + (f"; and {len(errors) - 5} more" if len(errors) > 5 else "")
    return StructuredOutputError(
        f"The answer does not fit {name} {tries}: {listed}. The answer begins {shorten(raw, 120)}. Make the prompt "
        "clearer, allow more repairs (structured_output_repairs), or loosen the schema.",
        raw=raw,
        errors=tuple(errors),
        outcome=outcome,
    )


_REPAIR_JSON = (
    "Your answer does not match the required JSON schema{name}:\n{errors}\n"
    "Reply with the corrected JSON object only: no other text, no code fence."
)
_REPAIR_TOOL = (
    "The arguments do not match the parameters of {name}:\n{errors}\nCall {name} again with corrected arguments."
)


class RepairLoop:
    """Checks each answer and builds the repair request, for a face's own sending (see :func:`answer_structured`).

    ``messages`` is what to send next (the conversation at first); :meth:`take` checks an answer and returns True
    when it is done (the answer fits, or no repair is left), else ``messages`` holds the repair request.

    Example:
        >>> loop = RepairLoop(OutputSchema.of({"type": "object", "required": ["a"]}), [Message("user", "json?")])
        >>> def result(text):
        ...     return OmniResult(text, "", b"", "", [], None, "stop", "m", None)
        >>> loop.take(result('{"b": 1}')), loop.messages[-1].content.splitlines()[1]
        (False, "- the answer: 'a' is a required property")
        >>> loop.take(result('{"a": 1}')), loop.outcome.value, loop.outcome.repairs
        (True, {'a': 1}, 1)
    """

    def __init__(
        self,
        schema: OutputSchema,
        messages: Sequence[Message],
        *,
        via: Via = "json",
        tool_name: str | None = None,
        repairs: int = DEFAULT_REPAIRS,
    ) -> None:
        if via == "tool" and not tool_name:
            raise ValueError("RepairLoop(via='tool') needs the tool_name the call must name.")
        if isinstance(repairs, bool) or not isinstance(repairs, int) or repairs < 0:
            raise InvalidRequestError(f"structured_output_repairs must be a whole number, 0 or more; got {repairs!r}.")
        self.schema = schema
        self.via = via
        self.tool_name = tool_name
        self.repairs_left = repairs
        self.conversation = list(messages)
        self.messages = list(messages)
        self.results: list[OmniResult] = []
        self._last: Checked | None = None

    def check(self, result: OmniResult) -> Checked:
        """Validate one answer as this loop reads it."""
        if self.via == "tool":
            assert self.tool_name is not None
            return self.schema.check_call(result, self.tool_name)
        return self.schema.check_text(result.text)

    def take(self, result: OmniResult) -> bool:
        """Check an answer; True when done, False when :attr:`messages` holds the repair request to send.

        In JSON mode an answer that calls tools (an agent's turn before its final answer) is not the structured
        answer yet: it is taken as it is.
        """
        self.results.append(result)
        if self.via == "json" and result.tool_calls:
            self._last = Checked(None, (), result.text)
            return True
        checked = self._last = self.check(result)
        if checked.valid or self.repairs_left <= 0:
            return True
        self.repairs_left -= 1
        self.messages = [*self.messages, *self._repair(result, checked.errors)]
        return False

    def _repair(self, result: OmniResult, errors: Sequence[str]) -> list[Message]:
        listed = "\n".join(f"- {e}" for e in errors)
        if self.via == "tool":
            call = next((c for c in result.tool_calls if c.name == self.tool_name), None)
            if call is not None:
                reply = _REPAIR_TOOL.format(name=self.tool_name, errors=listed)
                return [_assistant_call(call), Message("tool", reply, tool_call_id=call.id)]
            text = _REPAIR_TOOL.format(name=self.tool_name, errors=listed).replace("again ", "")
            return [Message("assistant", result.text or " "), Message("user", text)]
        name = f" {self.schema.name!r}" if self.schema.name != "JSON object" else ""
        return [
            Message("assistant", result.text or " "),
            Message("user", _REPAIR_JSON.format(name=name, errors=listed)),
        ]

    @property
    def outcome(self) -> StructuredOutcome:
        """The outcome, once :meth:`take` returned True."""
        if self._last is None:
            raise RuntimeError("RepairLoop.outcome is known once an answer was taken.")
        last = self._last
        return StructuredOutcome(self.schema, last.value, last.errors, last.text, tuple(self.results))


def _assistant_call(call: ToolCall) -> Message:
    return Message("assistant", None, tool_calls=[call.to_wire()])


def answer_structured(ask: Callable[[list[Message]], OmniResult], loop: RepairLoop) -> StructuredOutcome:
    """Send ``loop.messages`` with ``ask`` until the answer fits or no repair is left.

    Example:
        >>> answers = iter(['{"a": "x"}', '{"a": 2}'])
        >>> schema = OutputSchema.of({"type": "object", "properties": {"a": {"type": "integer"}}})
        >>> outcome = answer_structured(lambda messages: OmniResult(next(answers), "", b"", "", [], None, "stop",
        ...                             "m", None), RepairLoop(schema, [Message("user", "json")]))
        >>> outcome.value, outcome.repairs
        ({'a': 2}, 1)
    """
    while not loop.take(ask(loop.messages)):
        pass
    return loop.outcome


async def aanswer_structured(
    ask: Callable[[list[Message]], Awaitable[OmniResult]], loop: RepairLoop
) -> StructuredOutcome:
    """The async form of :func:`answer_structured`."""
    while not loop.take(await ask(loop.messages)):
        pass
    return loop.outcome
