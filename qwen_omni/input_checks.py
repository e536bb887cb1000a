"""The shape and types of what a caller passes, checked before anything else: messages, their content, options.

These checks turn what would otherwise crash deep inside (an ``AttributeError`` for a string where a message
belongs, a ``TypeError`` for ``stop=123``) or be sent to fail at the server (an empty message, ``TextPart(None)``,
a frame list given as a string) into an :class:`~qwen_omni.errors.InvalidRequestError` that says what to do.

A bare string is accepted as the whole conversation: one user message, as LangChain's ``invoke("Hi")`` takes it.

Example:
    >>> from qwen_omni.request import RequestOptions
    >>> as_messages("Hello")
    [Message(role='user', content='Hello', tool_calls=None, tool_call_id=None, name=None)]
    >>> check_option_types(RequestOptions(stop=123))
    Traceback (most recent call last):
    ...
    qwen_omni.errors.InvalidRequestError: stop must be a string or a list of strings; got 123 (a int).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .errors import InvalidRequestError
from .excerpt import shorten
from .wire_checks import check_wire_part

if TYPE_CHECKING:
    from .request import Message

__all__ = ["as_messages", "check_contents", "check_message", "check_option_types"]

_ROLES = ("system", "user", "assistant", "tool")


def _int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _strings(value: object) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)


def _stop(value: object) -> bool:
    return (isinstance(value, str) and bool(value)) or (_strings(value) and all(value))  # type: ignore[arg-type]


def _mappings(value: object) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(v, Mapping) for v in value)


#: Options that always go out, so cannot be None.
_REQUIRED = frozenset({"model", "audio_format"})
#: Each option's test and how its type is described; None passes for the others (the option is not sent).
_OPTION_TYPES: dict[str, tuple[Callable[[object], bool], str]] = {
    "model": (lambda v: isinstance(v, str) and bool(v.strip()), "a model name such as 'qwen3.5-omni-flash'"),
    "modalities": (_strings, "a list such as ['text'] or ['text', 'audio']"),
    "voice": (lambda v: isinstance(v, str), "a voice name such as 'Cherry'"),
    "audio_format": (lambda v: isinstance(v, str), "the string 'wav'"),
    "enable_search": (lambda v: isinstance(v, bool), "True or False"),
    "search_options": (lambda v: isinstance(v, Mapping), "a dict such as {'forced_search': True}"),
    "enable_thinking": (lambda v: isinstance(v, bool), "True or False"),
    "thinking_budget": (_int, "a whole number of tokens"),
    "temperature": (_number, "a number"),
    "top_p": (_number, "a number"),
    "max_tokens": (_int, "a whole number of tokens"),
    "stop": (_stop, "a string or a list of strings"),
    "seed": (_int, "a whole number"),
    "response_format": (lambda v: isinstance(v, Mapping), "a dict such as {'type': 'json_object'}"),
    "tools": (_mappings, "a list of tool dicts ({'type': 'function', 'function': {...}})"),
    "tool_choice": (lambda v: isinstance(v, str | Mapping), "'auto', 'none' or {'type': 'function', ...}"),
    "parallel_tool_calls": (lambda v: isinstance(v, bool), "True or False"),
    "extra_body": (lambda v: isinstance(v, Mapping), "a dict of further JSON body fields"),
}


def check_option_types(options: object) -> None:
    """Raise unless ``options`` is a :class:`~qwen_omni.request.RequestOptions` whose every field has its type."""
    from .request import RequestOptions

    if not isinstance(options, RequestOptions):
        raise InvalidRequestError(
            f"options must be a RequestOptions; got {type(options).__name__} {shorten(options)}. Pass options as "
            "keywords instead, e.g. client.complete(messages, model='qwen3.5-omni-flash', temperature=0.2)."
        )
    for option in dataclasses.fields(options):
        value = getattr(options, option.name)
        test, description = _OPTION_TYPES[option.name]
        if (value is not None or option.name in _REQUIRED) and not test(value):
            raise InvalidRequestError(
                f"{option.name} must be {description}; got {shorten(value)} (a {type(value).__name__})."
            )
    for index, tool in enumerate(options.tools or ()):
        function = tool.get("function")
        if tool.get("type") != "function" or not isinstance(function, Mapping) or not function.get("name"):
            raise InvalidRequestError(
                f"tools[{index}] must be {{'type': 'function', 'function': {{'name': ..., 'parameters': {{...}}}}}}; "
                f"got {shorten(dict(tool))}."
            )


def as_messages(messages: object) -> list[Message | Mapping[str, Any]]:
    """The conversation as a list: a bare string is one user message; anything else must be a list of messages."""
    from .request import Message

    if isinstance(messages, str):
        return [Message("user", messages)]
    if isinstance(messages, Message | Mapping):
        raise InvalidRequestError(
            f"messages must be a list of messages; got one {type(messages).__name__}. Wrap it in a list: [message]."
        )
    if isinstance(messages, bytes | bytearray) or not isinstance(messages, Iterable):
        raise InvalidRequestError(
            f"messages must be a list of Message objects or message dicts (or one string); got "
            f"{type(messages).__name__} {shorten(messages)}."
        )
    items = list(messages)
    for position, message in enumerate(items):
        if not isinstance(message, Message | Mapping):
            raise InvalidRequestError(
                f"Message {position} is a {type(message).__name__} ({shorten(message)}); each message must be a "
                "Message('user', ...) or a dict {'role': ..., 'content': ...}."
            )
    return items


def check_message(message: Message | Mapping[str, Any], position: int) -> None:
    """Raise unless one message has a known role, content of the right types, and well-formed tool calls."""
    from .parts import MEDIA_PART_TYPES, TextPart

    get = message.get if isinstance(message, Mapping) else lambda key: getattr(message, key, None)
    role = get("role")
    if role not in _ROLES:
        raise InvalidRequestError(f"Message {position} has role {shorten(role)}; use system, user, assistant or tool.")
    content = get("content")
    if content is not None and not isinstance(content, str | list | tuple):
        raise InvalidRequestError(
            f"Message {position} ({role}) has content of type {type(content).__name__}; give a string or a list of "
            "parts" + (" (wrap the part in a list)." if isinstance(content, (TextPart, *MEDIA_PART_TYPES)) else ".")
        )
    for index, part in enumerate(content if isinstance(content, list | tuple) else ()):
        where = f"part {index} of message {position}"
        if isinstance(part, Mapping):
            check_wire_part(part, where[:1].upper() + where[1:])
        elif not isinstance(part, (TextPart, *MEDIA_PART_TYPES)):
            raise InvalidRequestError(
                f"Content {where} is a {type(part).__name__} ({shorten(part)}); use TextPart, ImagePart, AudioPart, "
                "VideoPart, VideoFramesPart or a wire dict such as {'type': 'text', 'text': ...}."
            )
    for key in ("tool_call_id", "name"):
        if (value := get(key)) is not None and not isinstance(value, str):
            raise InvalidRequestError(f"Message {position}'s {key} must be a string; got {shorten(value)}.")
    _check_tool_calls(get("tool_calls"), position)


def _check_tool_calls(calls: object, position: int) -> None:
    if calls is None:
        return
    if not isinstance(calls, Sequence) or isinstance(calls, str):
        raise InvalidRequestError(f"Message {position}'s tool_calls must be a list; got {shorten(calls)}.")
    for index, call in enumerate(calls):
        function = call.get("function") if isinstance(call, Mapping) else None
        if (
            not isinstance(function, Mapping)
            or not isinstance(function.get("name"), str)
            or not function.get("name")
            or not isinstance(function.get("arguments", ""), str)
        ):
            raise InvalidRequestError(
                f"Tool call {index} of message {position} must be {{'id': ..., 'type': 'function', 'function': "
                f"{{'name': ..., 'arguments': '<JSON text>'}}}}; got {shorten(call)}."
            )


def check_contents(messages: Sequence[Mapping[str, Any]]) -> None:
    """Raise for a wire message with nothing in it, or a tool result that names no call."""
    for position, message in enumerate(messages):
        role = message.get("role")
        content = message.get("content")
        if role == "tool":
            if not message.get("tool_call_id"):
                raise InvalidRequestError(
                    f"Message {position} is a tool result without tool_call_id; give the id of the call it answers."
                )
            continue
        if _has_content(content) or (role == "assistant" and message.get("tool_calls")):
            continue
        advice = {
            "user": "give it some text or media, or leave it out.",
            "system": "give it the instructions, or leave it out.",
            "assistant": "give it the text it said (a spoken turn: its transcript) or its tool calls, or leave it out.",
        }[str(role)]
        raise InvalidRequestError(f"Message {position} ({role}) is empty: {advice}")


def _has_content(content: object) -> bool:
    if isinstance(content, str):
        return bool(content)
    if isinstance(content, list | tuple):
        return any(not (part.get("type") == "text" and not part.get("text")) for part in content)
    return False
