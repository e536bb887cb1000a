"""What the emulator answers when no answer function is set (:mod:`.script`): a deterministic sentence of
checkable facts about what it received, or tool calls, or a JSON object; with reasoning when thinking is on; cut by
``stop`` and ``max_tokens``.

The first rule that applies decides:

1. ``tools`` set, ``tool_choice`` not ``"none"`` and the last message not a ``tool`` one: one tool call
   (``finish_reason: "tool_calls"``) to the function named by ``tool_choice``, if it names one, else to the
   first declared function. Its arguments come from the function's ``parameters`` and the last user text
   (:func:`~.schema.example_value`: numbers and quoted texts of the text fill them), with Unicode as it is
   (not ``\\u`` escapes). Else, when ``timed`` is given (:mod:`.timed`: a timestamp format asked for about
   one audio or video file), that answer, cut by ``max_tokens``.
2. The last message a ``tool`` one: ``The tool returned: <its content>``.
3. Otherwise the facts sentence (``Received 1 image (...) and the text "..."``), prefixed when web search is
   on, padded or cut to ``answer_words``; with a ``response_format`` of ``json_object`` (JSON mode) or
   ``json_schema``, it is answered as ``{"answer": "<the sentence>"}``, whatever schema the prompt or the format
   holds: like a model, the emulator does not promise an answer that fits a schema.

Parallel calls, a choice among several tools, ReAct steps, a careless JSON answer or any other answer: script it
(:mod:`.script`). Answers that fit the schema a JSON-mode prompt holds (for smoke tests of one's own structured
output): ``Emulator(answer=schema_answer)`` (:mod:`.schema_answers`).

Example:
    >>> from qwen_omni.emulator.validate import check_payload
    >>> req = check_payload({"model": "qwen3.5-omni-flash", "stream": True,
    ...                      "messages": [{"role": "user", "content": "What is this?"}]})
    >>> plan_answer(req, []).content
    'Received the text "What is this?".'
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

from .received import ReceivedPart, message_text
from .schema import example_value
from .validate import ChatRequest

_PIECE_RE = re.compile(r"\s*\S+")
_QUOTE_LIMIT = 200
_URL_LIMIT = 80
#: The words that pad an answer up to ``answer_words``.
FILLER_TEXT = "This padding makes the answer as long as was asked so that timings can be compared fairly."
FILLER = FILLER_TEXT.split()
NOUNS = {"image": "image", "audio": "audio", "video": "video"}
#: The frame rate a frame list is played at when its part sets no ``fps`` (the API's default).
DEFAULT_FRAMES_FPS = 2


@dataclass(frozen=True)
class ToolCall:
    """One function call the emulator makes."""

    id: str
    name: str
    arguments: str


@dataclass(frozen=True)
class AnswerPlan:
    """Everything the stream will carry, before it is cut into chunks.

    ``tool_calls`` are streamed in order, the n-th with ``index`` n (empty: the answer is ``content``).
    ``content_kind`` says how to cut the content: ``"words"`` (a few words per chunk) or ``"json"``
    (fixed-size fragments).
    """

    content: str
    finish_reason: Literal["stop", "length", "tool_calls"]
    reasoning: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    content_kind: Literal["words", "json"] = "words"
    audio: bool = False


def word_pieces(text: str) -> list[str]:
    """``text`` as words, each with the whitespace before it, so that ``"".join`` gives the text back.

    Example:
        >>> word_pieces("Hello  big world ")
        ['Hello', '  big', ' world ']
    """
    pieces: list[str] = _PIECE_RE.findall(text)
    tail = text[sum(map(len, pieces)) :]
    if tail and pieces:
        pieces[-1] += tail
    elif tail:
        pieces.append(tail)
    return pieces


def count_words(text: str) -> int:
    """The number of whitespace-separated words (the emulator's token count for text)."""
    return len(text.split())


def _join_clauses(clauses: Sequence[str]) -> str:
    if len(clauses) <= 1:
        return "".join(clauses)
    return ", ".join(clauses[:-1]) + " and " + clauses[-1]


def clip(text: str, limit: int) -> str:
    """``text``, or its first ``limit - 3`` characters and ``...`` when it is longer than ``limit``.

    Example:
        >>> clip("a long sentence", 9)
        'a long...'
    """
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _options(part: ReceivedPart) -> str:
    if not part.options:
        return ""
    return "; " + ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(part.options.items()))


def _details(part: ReceivedPart) -> str:
    """The probe's description of a part, without the leading kind word (``png, 64x48, 1234 bytes``)."""
    info = part.info
    if info is None:
        return f"unreadable, {part.size_bytes} bytes"
    text = info.describe()
    prefix = f"{info.kind} "
    return text[len(prefix) :] if text.startswith(prefix) else text


def _frames_clause(part: ReceivedPart) -> str:
    count = part.frame_count or 0
    fps = part.options.get("fps", DEFAULT_FRAMES_FPS)
    others = _options(replace(part, options={k: v for k, v in part.options.items() if k != "fps"}))
    timing = f"{count / fps:.2f} s at {fps:g} fps" if isinstance(fps, int | float) and fps > 0 else f"fps={fps!r}"
    if part.source == "url":
        return f"1 video of {count} frames by URL ({clip(part.url or '', _URL_LIMIT)}, ...; {timing}{others})"
    info = part.info
    shape = f"{info.container}, {info.width}x{info.height}" if info is not None else "unreadable"
    return f"1 video of {count} frames ({shape}, {timing}, {part.size_bytes} bytes{others})"


def describe_part(part: ReceivedPart) -> str:
    """One clause of the facts sentence, e.g. ``1 image (png, 64x48, 1234 bytes)``.

    Example:
        >>> describe_part(ReceivedPart(kind="audio", source="url", url="https://x.test/a.mp3"))
        '1 audio by URL (https://x.test/a.mp3)'
    """
    if part.kind == "video_frames":
        return _frames_clause(part)
    noun = NOUNS[part.kind]
    if part.source == "url":
        return f"1 {noun} by URL ({clip(part.url or '', _URL_LIMIT)}{_options(part)})"
    return f"1 {noun} ({_details(part)}{_options(part)})"


def last_user_text(messages: Sequence[Mapping[str, Any]]) -> str:
    """The text of the last user message."""
    for message in reversed(messages):
        if message.get("role") == "user":
            return message_text(message.get("content"))
    return ""


def facts_sentence(req: ChatRequest, parts: Sequence[ReceivedPart]) -> str:
    """``Received 1 image (png, 64x48, 1234 bytes) and the text "What is this?".``"""
    clauses = [describe_part(p) for p in parts]
    text = last_user_text(req.messages).strip()
    if text:
        clauses.append(f'the text "{clip(text, _QUOTE_LIMIT)}"')
    if not clauses:
        return "Received no user input."
    return f"Received {_join_clauses(clauses)}."


def reasoning_text(parts: Sequence[ReceivedPart], text: str, budget: int | None) -> str:
    """The deterministic reasoning of a thinking answer, cut to ``budget`` words."""
    reasoning = (
        f"The user sent {len(parts)} media part{'s' if len(parts) != 1 else ''} and {count_words(text)} words of "
        "text. I will list every part with its kind, format, size and duration, then quote the text."
    )
    return cut_reasoning(reasoning, budget)


def cut_reasoning(reasoning: str, budget: int | None) -> str:
    """``reasoning`` cut to its first ``budget`` words (None: whole), as ``thinking_budget`` cuts it."""
    return reasoning if budget is None else "".join(word_pieces(reasoning)[:budget])


def fit_words(text: str, words: int | None) -> str:
    """``text`` padded with :data:`FILLER` or cut so that it has exactly ``words`` words (None: unchanged)."""
    if words is None:
        return text
    pieces = word_pieces(text)[:words]
    index = 0
    while len(pieces) < words:
        pieces.append(" " + FILLER[index % len(FILLER)] if pieces else FILLER[0])
        index += 1
    return "".join(pieces)


def _choose_tool(req: ChatRequest) -> dict[str, Any]:
    """The function to call (rule 1 of the module docstring)."""
    functions: list[dict[str, Any]] = [tool["function"] for tool in req.tools]
    choice = req.tool_choice
    if isinstance(choice, Mapping):
        return next(f for f in functions if f["name"] == choice["function"]["name"])
    return functions[0]


def _tool_calls(req: ChatRequest, text: str) -> tuple[ToolCall, ...]:
    function = _choose_tool(req)
    arguments = json.dumps(
        example_value(function.get("parameters") or {"type": "object"}, text=text), ensure_ascii=False
    )
    return (ToolCall(id=f"call_{uuid.uuid4().hex[:24]}", name=function["name"], arguments=arguments),)


def cut_answer(text: str, req: ChatRequest) -> tuple[str, Literal["stop", "length"]]:
    """``text`` cut before the first ``stop`` string, then to ``max_tokens`` words (``"length"``)."""
    positions = [text.find(s) for s in req.stop if s in text]
    if positions:
        text = text[: min(positions)]
    if req.max_tokens is not None:
        pieces = word_pieces(text)
        if len(pieces) > req.max_tokens:
            return "".join(pieces[: req.max_tokens]), "length"
    return text, "stop"


def plan_answer(
    req: ChatRequest, parts: Sequence[ReceivedPart], *, answer_words: int | None = None, timed: str | None = None
) -> AnswerPlan:
    """Decide what to answer (see the module docstring)."""
    text = last_user_text(req.messages)
    last_role = req.messages[-1].get("role")
    reasoning = reasoning_text(parts, text, req.thinking_budget) if req.thinking else ""
    if req.tools and req.tool_choice != "none" and last_role != "tool":
        return AnswerPlan(
            content="", finish_reason="tool_calls", reasoning=reasoning, tool_calls=_tool_calls(req, text)
        )
    if timed is not None:
        content, finish = cut_answer(timed, req)
        return AnswerPlan(content=content, finish_reason=finish, reasoning=reasoning, audio=req.audio_output)
    fmt = (req.response_format or {}).get("type")
    if last_role == "tool":
        base = f"The tool returned: {message_text(req.messages[-1].get('content'))}"
    else:
        base = facts_sentence(req, parts)
    if req.search:
        base = f"[web search: {req.search_strategy}] {base}"
    base = fit_words(base, answer_words)
    kind: Literal["words", "json"] = "words"
    if fmt in ("json_object", "json_schema"):
        base, kind = json.dumps({"answer": base}, ensure_ascii=False), "json"
    content, finish = cut_answer(base, req)
    return AnswerPlan(
        content=content, finish_reason=finish, reasoning=reasoning, content_kind=kind, audio=req.audio_output
    )


__all__ = [
    "DEFAULT_FRAMES_FPS",
    "FILLER",
    "FILLER_TEXT",
    "NOUNS",
    "AnswerPlan",
    "ToolCall",
    "clip",
    "count_words",
    "cut_answer",
    "cut_reasoning",
    "describe_part",
    "facts_sentence",
    "fit_words",
    "last_user_text",
    "plan_answer",
    "reasoning_text",
    "word_pieces",
]
