"""Make a value that fits a JSON schema: the emulator's tool-call arguments and ``json_schema`` answers.

Rules: every property in ``required`` (all properties when nothing is required); ``const``, then the first
``enum`` value, then by type: string -> a word from the user's text (else ``"example"``), integer -> 1,
number -> 1.5, boolean -> true, null -> null, array -> one item, object -> recurse. ``$ref`` into
``$defs``/``definitions`` is resolved; ``anyOf``/``oneOf`` take the first non-null choice, ``allOf`` merges.

Example:
    >>> schema = {"type": "object", "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    ...           "required": ["city"]}
    >>> example_value(schema, text="What is the weather in Paris?")
    {'city': 'Paris'}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_MAX_DEPTH = 12
_WORD_RE = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*")
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


def example_value(schema: Any, *, text: str = "") -> Any:
    """A value that validates against ``schema`` (see the module docstring for the rules)."""
    root = schema if isinstance(schema, Mapping) else {}
    return _value(schema, root, word_from_text(text), 0)


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


def _value(schema: Any, root: Mapping[str, Any], word: str, depth: int) -> Any:
    if not isinstance(schema, Mapping) or depth > _MAX_DEPTH:
        return word if depth == 0 else None
    schema = _resolve(schema, root)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        choices = schema.get(key)
        if isinstance(choices, list) and choices:
            non_null = [c for c in choices if not (isinstance(c, Mapping) and c.get("type") == "null")]
            return _value((non_null or choices)[0], root, word, depth + 1)
    if isinstance(schema.get("allOf"), list):
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            if isinstance(part, Mapping):
                part = _resolve(part, root)
                merged["properties"] = {**merged.get("properties", {}), **part.get("properties", {})}
                merged["required"] = [*merged.get("required", []), *part.get("required", [])]
                merged.update({k: v for k, v in part.items() if k not in ("properties", "required")})
        return _value(merged, root, word, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "array" if "items" in schema else "string"
    if kind == "object":
        return _object(schema, root, word, depth)
    if kind == "array":
        return [_value(schema.get("items", {"type": "string"}), root, word, depth + 1)]
    if kind == "integer":
        return int(_clamp(1, schema))
    if kind == "number":
        return float(_clamp(1.5, schema))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _FORMATS.get(str(schema.get("format")), word)


def _clamp(value: float, schema: Mapping[str, Any]) -> float:
    """``value`` moved inside ``minimum``/``maximum`` when the schema sets them."""
    low, high = schema.get("minimum"), schema.get("maximum")
    if isinstance(low, int | float) and value < low:
        value = low
    if isinstance(high, int | float) and value > high:
        value = high
    return value


def _object(schema: Mapping[str, Any], root: Mapping[str, Any], word: str, depth: int) -> dict[str, Any]:
    properties = schema.get("properties")
    if not isinstance(properties, Mapping):
        return {}
    required = schema.get("required")
    names = [n for n in required if n in properties] if isinstance(required, list) and required else list(properties)
    return {name: _value(properties[name], root, word, depth + 1) for name in names}
