"""The long-recording commands' flags, made from the pipeline's own options: every :class:`PlanOptions` field and
every keyword option of :class:`LongMedia` becomes a flag, its help the docstring's text.

``PlanOptions.max_pixels`` is ``--max-pixels``, a ``bool`` is a ``--x`` / ``--no-x`` pair, a ``Literal`` takes
its values (``--video-as frames``), ``Literal["mix"] | int`` takes either (``--channel 1``). A field added to
``PlanOptions`` (or an option added to ``LongMedia``) gets its flag with no edit here; an option whose type no
flag can carry (a client, a callable) is named in :data:`NOT_FLAGS` with what stands for it, and a test holds
the two lists together. Flags not given leave the pipeline's own default.

Example:
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_option_flags(parser, "transcript")
    >>> options, settings = chosen(parser.parse_args(["--fps", "1", "--channel", "1", "--no-send-whole"]))
    >>> options.fps, options.channel, options.send_whole, settings
    (1.0, 1, False, {})
"""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import re
import types
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from .errors import InvalidRequestError
from .longmedia import LongMedia, Mode, PlanOptions

__all__ = [
    "NOT_FLAGS",
    "ONLY_FOR",
    "OptionFlag",
    "add_option_flags",
    "chosen",
    "cli_words",
    "given",
    "option_flags",
    "option_value",
]

#: ``LongMedia`` options that are not flags of their own, and what stands for them on the command line.
NOT_FLAGS: dict[str, str] = {
    "client": "--base-url, --region, --workspace-id, DASHSCOPE_API_KEY",
    "model": "--model",
    "options": "one flag per PlanOptions field",
    "concurrency": "--concurrency",
    "cache": "--cache DIR, --no-cache",
    "progress": "--no-progress",
    "request_options": "(segments' sampling options stay the model's defaults)",
    "ask": "(the CLI sends through its own client)",
}

#: Options that mean something in some modes only: their flags are on those commands alone.
ONLY_FOR: dict[str, frozenset[Mode]] = {
    "reduce_model": frozenset({"summary"}),
    "summary_from": frozenset({"summary"}),
    "custom_timestamps": frozenset({"custom"}),
}

#: Flags named otherwise than their option (``ask-each --no-timestamps``: a prompt whose answers hold no times).
_FLAG_NAMES: dict[str, str] = {"custom_timestamps": "timestamps"}

#: Help written for the command line where the docstring speaks of Python.
_HELP: dict[str, str] = {
    "on_error": "stop at a failed segment (raise), or note it and go on (skip)",
    "retries": "tries again per segment after a connection error, a 5xx or a broken stream",
    "retry_delay": "seconds before a segment's first retry, doubled each time",
    "custom_timestamps": "find the times in each answer and move them into the whole recording's time (default); "
    "--no-timestamps for a prompt whose answers hold no times",
}

_DEST_PREFIX = "option__"


@dataclass(frozen=True)
class OptionFlag:
    """One pipeline option as a flag: ``owner`` is ``"plan"`` (a ``PlanOptions`` field) or ``"pipeline"``."""

    name: str
    owner: Literal["plan", "pipeline"]
    hint: Any
    default: Any
    help: str

    @property
    def flag(self) -> str:
        return "--" + _FLAG_NAMES.get(self.name, self.name).replace("_", "-")

    @property
    def dest(self) -> str:
        return f"{_DEST_PREFIX}{self.owner}__{self.name}"


def _documented(doc: str | None, section: str) -> dict[str, str]:
    """``name: text`` entries of a Google-style docstring section (``Attributes:`` or ``Args:``), as plain text."""
    entries: dict[str, str] = {}
    lines = inspect.cleandoc(doc or "").splitlines()
    try:
        start = lines.index(f"{section}:") + 1
    except ValueError:
        return entries
    current: str | None = None
    indent: int | None = None
    for line in lines[start:]:
        if not line.strip():
            if current is not None:
                break
            continue
        depth = len(line) - len(line.lstrip())
        if indent is None:
            indent = depth
        if depth < indent:
            break
        match = re.match(r"(\w+): (.*)", line.strip())
        if depth == indent and match:
            current = match.group(1)
            entries[current] = match.group(2)
        elif current is not None:
            entries[current] += " " + line.strip()
    return {name: _plain(text) for name, text in entries.items()}


def _plain(text: str) -> str:
    """Docstring markup as plain text: ````x```` -> x, :class:`~.a.B` -> B."""
    text = re.sub(r":\w+:`~?(?:[\w.]*\.)?([^`]+)`", r"\1", text)
    return re.sub(r"``([^`]+)``", r"\1", text).replace("%", "%%")


def option_flags() -> list[OptionFlag]:
    """Every flag made from ``PlanOptions`` and ``LongMedia`` (the options of :data:`NOT_FLAGS` aside)."""
    found: list[OptionFlag] = []
    plan_help = _documented(PlanOptions.__doc__, "Attributes")
    plan_hints = typing.get_type_hints(PlanOptions)
    for field in dataclasses.fields(PlanOptions):
        found.append(OptionFlag(field.name, "plan", plan_hints[field.name], field.default,
                                plan_help.get(field.name, "")))  # fmt: skip
    run_help = _documented(LongMedia.__doc__, "Args")
    run_hints = typing.get_type_hints(LongMedia.__init__)
    for parameter in inspect.signature(LongMedia.__init__).parameters.values():
        if parameter.name == "self" or parameter.name in NOT_FLAGS:
            continue
        text = _HELP.get(parameter.name, run_help.get(parameter.name, ""))
        found.append(OptionFlag(parameter.name, "pipeline", run_hints[parameter.name], parameter.default, text))
    return [flag for flag in found if _argument(flag) is not None]


def _members(hint: Any) -> tuple[Any, ...]:
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        return tuple(typing.get_args(hint))
    return (hint,)


def _argument(flag: OptionFlag) -> dict[str, Any] | None:
    """argparse's keywords for ``flag``, or None when no flag can carry its type."""
    members = [m for m in _members(flag.hint) if m is not type(None)]
    default = "" if flag.default in (None, dataclasses.MISSING, inspect.Parameter.empty) else flag.default
    shown = f" (default {default})" if default != "" and not isinstance(default, bool) else ""
    help_text = (flag.help or flag.name.replace("_", " ")).rstrip(".") + shown
    if members == [bool]:
        return {"action": argparse.BooleanOptionalAction, "help": help_text}
    literals = [value for m in members if typing.get_origin(m) is Literal for value in typing.get_args(m)]
    plain = [m for m in members if typing.get_origin(m) is not Literal]
    if not all(m in (int, float, str) for m in plain) or not (literals or plain):
        return None
    if literals and not plain:
        return {"choices": [str(v) for v in literals], "type": _literal(literals), "help": help_text,
                "metavar": "{" + ",".join(str(v) for v in literals) + "}"}  # fmt: skip
    return {"type": _converter(literals, plain), "help": help_text, "metavar": _metavar(literals, plain)}


def _literal(values: list[Any]) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        for value in values:
            if str(value) == text:
                return value
        return text  # argparse's choices refuses it with the list

    return convert


def _converter(literals: list[Any], plain: list[Any]) -> Callable[[str], Any]:
    def convert(text: str) -> Any:
        for value in literals:
            if str(value) == text:
                return value
        for kind in sorted(plain, key=[int, float, str].index):  # the narrowest reading first
            try:
                return kind(text)
            except ValueError:
                continue
        wanted = " or ".join([repr(str(v)) for v in literals] + [k.__name__ for k in plain])
        raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}")

    convert.__name__ = "value"
    return convert


def _metavar(literals: list[Any], plain: list[Any]) -> str:
    names = {int: "N", float: "N", str: "TEXT"}
    return "|".join([str(v) for v in literals] + sorted({names[k] for k in plain}))


def _flags_for(mode: Mode) -> Iterator[OptionFlag]:
    for flag in option_flags():
        modes = ONLY_FOR.get(flag.name)
        if modes is None or mode in modes:
            yield flag


def add_option_flags(parser: argparse.ArgumentParser, mode: Mode) -> None:
    """Add the option flags of a command in ``mode`` to ``parser`` (given ones land in ``args``, see :func:`chosen`)."""
    group = parser.add_argument_group("how recordings are cut, encoded and asked")
    for flag in _flags_for(mode):
        keywords = _argument(flag)
        if keywords is not None:
            group.add_argument(flag.flag, dest=flag.dest, default=argparse.SUPPRESS, **keywords)


def chosen(args: argparse.Namespace) -> tuple[PlanOptions, dict[str, Any]]:
    """The ``PlanOptions`` and the ``LongMedia`` keywords the given flags chose (the others keep their defaults).

    Raises:
        InvalidRequestError: a value the options refuse, worded with its flag.
    """
    plan: dict[str, Any] = {}
    pipeline: dict[str, Any] = {}
    for dest, value in vars(args).items():
        if dest.startswith(_DEST_PREFIX):
            owner, name = dest.removeprefix(_DEST_PREFIX).split("__", 1)
            (plan if owner == "plan" else pipeline)[name] = value
    try:
        options = PlanOptions(**plan)
    except ValueError as exc:
        raise InvalidRequestError(cli_words(str(exc), subject=True)) from None
    return options, pipeline


def given(args: argparse.Namespace, name: str) -> bool:
    """True when the option ``name`` (a ``PlanOptions`` field or a ``LongMedia`` option) was given as a flag."""
    return option_value(args, name) is not None


def option_value(args: argparse.Namespace, name: str) -> Any:
    """The value given for the option ``name``, or None when its flag was not given."""
    for dest, value in vars(args).items():
        if dest.startswith(_DEST_PREFIX) and dest.endswith(f"__{name}"):
            return value
    return None


def _known_names() -> dict[str, OptionFlag]:
    return {flag.name: flag for flag in option_flags()}


_EXTRA_WORDS = {"cache": "--cache DIR", "prices": "--prices IN OUT", "on_error": "--on-error"}


def cli_words(text: str, *, subject: bool = False) -> str:
    """A message of the Python API worded for the command line: ``PlanOptions(duration=...)`` -> ``--duration``,
    ``send_whole=False`` -> ``--no-send-whole``, ``on_error='skip'`` -> ``--on-error skip``, ``max_pixels`` ->
    ``--max-pixels``; with ``subject``, also the option names before "must" (``fps must be...``).

    Example:
        >>> cli_words("Pass PlanOptions(duration=...) if you know it; or send_whole=False, or on_error='skip'.")
        'Pass --duration if you know it; or --no-send-whole, or --on-error skip.'
        >>> cli_words("overlap and snap must be 0 or more seconds; got 1, -1.", subject=True)
        '--overlap and --snap must be 0 or more seconds; got 1, -1.'
    """
    known = _known_names()
    flags = {name: flag.flag for name, flag in known.items()}
    flags.update({name: words.split()[0] for name, words in _EXTRA_WORDS.items()})

    def call(match: re.Match[str]) -> str:
        return flags.get(match.group(1), match.group(0))

    def assignment(match: re.Match[str]) -> str:
        name, value = match.group(1), match.group(2)
        if name not in flags:
            return match.group(0)
        if value == "False":
            return "--no-" + flags[name].removeprefix("--")
        if value == "True":
            return flags[name]
        if value in ("...", ""):
            return _EXTRA_WORDS.get(name, flags[name])
        return f"{flags[name]} {value.strip(chr(39) + chr(34))}"

    text = re.sub(r"PlanOptions\((\w+)=[^)]*\)", call, text)
    text = re.sub(r"\b(\w+)=('[^']*'|\"[^\"]*\"|\.\.\.|True|False|[\w.]+|)", assignment, text)
    text = re.sub(r"(?<![-\w])([a-z]+(?:_[a-z]+)+)\b", call, text)  # snake_case names
    if subject:
        head, found, tail = text.partition(" must ")
        if found:
            text = re.sub(r"(?<![-\w])(\w+)\b", call, head) + found + tail
    return text
