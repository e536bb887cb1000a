"""Make a value that fits a JSON schema and reads the prompt: the emulator's own tool-call arguments, and the JSON
answers of the opt-in :func:`~.schema_answers.schema_answer` (an answer function, :mod:`.script`, replaces them).

The text read is the last user message. Which values: every property in ``required`` (all properties when
nothing is required), in the order of ``properties``; ``$ref`` into ``$defs``/``definitions`` is resolved;
``anyOf``/``oneOf`` take the first non-null choice, ``allOf`` merges; an array gets one item; an object recurses.
Each value is then, by the first rule that applies:

1. ``const``: that value; ``enum``: its first value.
2. ``integer`` / ``number``: the n-th numeric value made (depth first, in the order above) takes the n-th number
   of the text when that number fits: whole for an integer, and inside ``minimum``/``maximum``/
   ``exclusiveMinimum``/``exclusiveMaximum``. A number is ASCII digits with an optional ``-`` and decimal part
   (``3``, ``-2``, ``4.5``), not glued to a letter or digit, nor preceded by ``_``, ``.`` or ``-`` (so
   ``qwen3.5``, ``h2o`` and ``omni-5`` hold none); numbers inside quoted text are not counted. Otherwise (no
   n-th number, or one that does not fit): 1 for an integer and 1.5 for a number, moved inside
   ``minimum``/``maximum``.
3. ``string``: a ``format`` it knows (``date``, ``email``, ``uri``...) gives a fixed example. Otherwise the
   n-th string value made takes the n-th quoted text of the text: ``'...'``, ``"..."``, ``“...”``, ``‘...’``
   or ``「...」``, on one line, trimmed, not empty (a ``'`` or ``’`` glued to a letter or digit on its outer
   side is an apostrophe, not a quote: ``What's``, ``Bob's``). With no n-th quote: the last word of the text
   (a name or place usually ends a question), or ``"example"`` when the text has no word.
4. ``boolean`` -> true, ``null`` -> null.

"Glued to a letter or digit" means next to a letter or digit of a script written with spaces between words
(ASCII, Latin, Greek, Cyrillic), so that a number or quote written inside Chinese or Japanese text still counts.
Values are copied from the text as they are: Unicode passes through unchanged. The same schema and text always
give the same value.

What each reading is for (the tests that need it): numbers, langchain-tests' ``test_tool_calling``
(``magic_function`` called with ``{"input": 3}`` from "What is the value of magic_function(3)?"); quotes,
its ``test_unicode_tool_call_integration`` (``'你好啊集团'``); the last word, the LlamaIndex tests whose tools
and structured outputs read a city from "What is the weather in Paris" (tests/llama_index/test_li_tools.py).

:func:`find_schema` finds a JSON schema written in a prompt (what :func:`~.schema_answers.schema_answer` follows; the
emulator's own JSON-mode answer ignores it, as a careless model would).

Example:
    >>> schema = {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    ...           "required": ["city"]}
    >>> example_value(schema, text="What is the weather in Paris?")
    {'city': 'Paris'}
    >>> schema["required"] = ["city", "days"]
    >>> example_value(schema, text="Weather in 'São Paulo' for the next 3 days")
    {'city': 'São Paulo', 'days': 3}
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

_MAX_DEPTH = 12
_WORD_RE = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
#: Letters and digits of scripts written with spaces between words (a quote, number or enum value next to one
#: of these is part of a longer word).
_GLUE = "0-9A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f\u0370-\u03ff\u0400-\u04ff"
_QUOTE_RE = re.compile(
    rf"(?<![{_GLUE}])'([^\n]+?)'(?![{_GLUE}])"
    r'|"([^"\n]+)"'
    r"|“([^”\n]+)”"
    rf"|‘([^\n]+?)’(?![{_GLUE}])"
    r"|「([^」\n]+)」"
)
_NUMBER_RE = re.compile(rf"(?<![{_GLUE}_.\-])-?[0-9]+(?:\.[0-9]+)?(?![{_GLUE}_]|\.[0-9])")
_FORMATS = {
    "date": "2025-01-01",
    "date-time": "2025-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "user@example.com",
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "uuid": "00000000-0000-4000-8000-000000000000",
}


def word_from_text(text: str) -> str:
    """The last word of ``text`` (a name or place usually ends a question), or ``"example"``."""
    words = _WORD_RE.findall(text)
    return words[-1] if words else "example"


def quotes_in_text(text: str) -> list[str]:
    """The quoted texts of ``text``, in order, trimmed (the quote styles of the module docstring).

    Example:
        >>> quotes_in_text("Name it 'Bob's bar' or “Chez Bob”; it's 「寿司」, not \\"x\\"")
        ["Bob's bar", 'Chez Bob', '寿司', 'x']
    """
    quotes = []
    for match in _QUOTE_RE.finditer(text):
        quoted = next(g for g in match.groups() if g is not None).strip()
        if quoted:
            quotes.append(quoted)
    return quotes


def numbers_in_text(text: str) -> list[int | float]:
    """The numbers of ``text`` outside quoted text, in order (an int when written without a decimal part).

    Example:
        >>> numbers_in_text("Add -2 and 4.5 to magic_function(3) with qwen3.5, not 'Agent 47'.")
        [-2, 4.5, 3]
    """
    unquoted = _QUOTE_RE.sub(" ", text)
    return [float(n) if "." in n else int(n) for n in _NUMBER_RE.findall(unquoted)]


@dataclass
class _Prompt:
    """What the values read from the text: its last word, quotes and numbers, with how many were handed out."""

    word: str
    quotes: list[str]
    numbers: list[int | float]
    strings_made: int = field(default=0)
    numbers_made: int = field(default=0)

    @classmethod
    def of(cls, text: str) -> _Prompt:
        return cls(word=word_from_text(text), quotes=quotes_in_text(text), numbers=numbers_in_text(text))

    def next_string(self) -> str:
        index, self.strings_made = self.strings_made, self.strings_made + 1
        return self.quotes[index] if index < len(self.quotes) else self.word

    def next_number(self) -> int | float | None:
        index, self.numbers_made = self.numbers_made, self.numbers_made + 1
        return self.numbers[index] if index < len(self.numbers) else None


def example_value(schema: Any, *, text: str = "") -> Any:
    """A value that validates against ``schema``, read from ``text`` (see the module docstring for the rules)."""
    root = schema if isinstance(schema, Mapping) else {}
    return _value(schema, root, _Prompt.of(text), 0)


def find_schema(text: str) -> dict[str, Any] | None:
    """The last JSON schema written in ``text``: a JSON object whose ``properties`` is an object of schemas.

    A schema may stand alone or sit inside other JSON (``{"name": ..., "schema": {...}}``); the objects nested
    in a schema are part of it, not schemas of their own; text that is not JSON is skipped.

    Example:
        >>> find_schema('Answer with JSON that follows {"type": "object", "properties": {"a": {"type": "integer"}}}.')
        {'type': 'object', 'properties': {'a': {'type': 'integer'}}}
        >>> find_schema('Answer with JSON like {"a": 1}.') is None
        True
        >>> find_schema('{"name": "n", "schema": {"properties": {"b": {}}}}')
        {'properties': {'b': {}}}
    """
    found = [schema for _, _, value in json_objects(text) for schema in _schemas_in(value)]
    return found[-1] if found else None


def json_objects(text: str) -> list[tuple[int, int, Any]]:
    """The JSON objects written in ``text`` (outermost only), in order, as ``(start, end, value)``.

    Example:
        >>> json_objects('f(x) = {"a": 1} or {broken} {"b": {"c": 2}}')
        [(7, 15, {'a': 1}), (28, 43, {'b': {'c': 2}})]
    """
    decoder = json.JSONDecoder()
    found = []
    start = text.find("{")
    while start != -1:
        try:
            value, end = decoder.raw_decode(text, start)
        except (ValueError, RecursionError):  # not JSON, or nested too deep to read
            start = text.find("{", start + 1)
            continue
        found.append((start, end, value))
        start = text.find("{", end)
    return found


def _schemas_in(value: Any, depth: int = 0) -> list[dict[str, Any]]:
    """The schemas in a decoded JSON value, in document order (a schema's own insides are not searched)."""
    if depth > _MAX_DEPTH:
        return []
    if isinstance(value, dict):
        properties = value.get("properties")
        if isinstance(properties, dict) and all(isinstance(p, dict | bool) for p in properties.values()):
            return [value]
        return [schema for item in value.values() for schema in _schemas_in(item, depth + 1)]
    if isinstance(value, list):
        return [schema for item in value for schema in _schemas_in(item, depth + 1)]
    return []


def _resolve(schema: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    seen = 0
    while "$ref" in schema and seen < _MAX_DEPTH:
        ref = schema["$ref"]
        target: Any = root
        if isinstance(ref, str) and ref.startswith("#"):
            for piece in ref.lstrip("#").strip("/").split("/"):
                if not piece:
                    continue
                target = (
                    target.get(piece.replace("~1", "/").replace("~0", "~")) if isinstance(target, Mapping) else None
                )
        if not isinstance(target, Mapping):
            return {}
        extra = {k: v for k, v in schema.items() if k != "$ref"}
        schema = {**target, **extra}
        seen += 1
    return schema


def _value(schema: Any, root: Mapping[str, Any], prompt: _Prompt, depth: int) -> Any:
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
        return prompt.word if depth == 0 else None
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        choices = schema.get(key)
        if isinstance(choices, list) and choices:
            non_null = [c for c in choices if not (isinstance(c, Mapping) and c.get("type") == "null")]
            return _value((non_null or choices)[0], root, prompt, depth + 1)
    if isinstance(schema.get("allOf"), list):
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            if isinstance(part, Mapping):
                part = _resolve(part, root)
                merged["properties"] = {**merged.get("properties", {}), **part.get("properties", {})}
                merged["required"] = [*merged.get("required", []), *part.get("required", [])]
                merged.update({k: v for k, v in part.items() if k not in ("properties", "required")})
        return _value(merged, root, prompt, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if kind == "object":
        return _object(schema, root, prompt, depth)
    if kind == "array":
        return [_value(schema.get("items", {"type": "string"}), root, prompt, depth + 1)]
    if kind in ("integer", "number"):
        return _number(schema, prompt.next_number(), integer=kind == "integer")
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    fmt = str(schema.get("format"))
    return _FORMATS[fmt] if fmt in _FORMATS else prompt.next_string()


def _number(schema: Mapping[str, Any], found: int | float | None, *, integer: bool) -> int | float:
    """``found`` when it fits the schema (whole for an integer, inside the bounds), else the clamped default."""
    if found is not None and _fits(found, schema, integer=integer):
        return int(found) if integer else found
    return int(_clamp(1, schema)) if integer else float(_clamp(1.5, schema))


def _fits(value: float, schema: Mapping[str, Any], *, integer: bool) -> bool:
    if not math.isfinite(value) or (integer and not float(value).is_integer()):
        return False
    low, high = _bound(schema, "minimum"), _bound(schema, "maximum")
    above, below = _bound(schema, "exclusiveMinimum"), _bound(schema, "exclusiveMaximum")
    return (
        (low is None or value >= low)
        and (high is None or value <= high)
        and (above is None or value > above)
        and (below is None or value < below)
    )


def _bound(schema: Mapping[str, Any], key: str) -> float | None:
    bound = schema.get(key)
    return float(bound) if isinstance(bound, int | float) and not isinstance(bound, bool) else None


def _clamp(value: float, schema: Mapping[str, Any]) -> float:
    """``value`` moved inside ``minimum``/``maximum`` when the schema sets them."""
    low, high = schema.get("minimum"), schema.get("maximum")
    if isinstance(low, int | float) and value < low:
        value = low
    if isinstance(high, int | float) and value > high:
        value = high
    return value


def _object(schema: Mapping[str, Any], root: Mapping[str, Any], prompt: _Prompt, depth: int) -> dict[str, Any]:
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return {}
    required = schema.get("required")
    wanted = set(required) if isinstance(required, list) and required else set(properties)
    return {name: _value(properties[name], root, prompt, depth + 1) for name in properties if name in wanted}


__all__ = [
    "example_value",
    "find_schema",
    "json_objects",
    "numbers_in_text",
    "quotes_in_text",
    "word_from_text",
]
