"""One question about one recording, whatever its length, answered as text for an agent: the agent tools' core.

A recording that fits the model is asked in one request. A longer one is asked part by part, each part told where
it lies and how to count times, and every time in each answer is placed in the whole recording
(:func:`~.timestamps.place_times`). The parts' answers then reach the agent in one of two ways:

- together they fit the budget (``max_answer_tokens``, by default what one answer of the model may hold): each
  answer, marked with its part's time, after a first line that says why the recording was asked in parts;
- they do not: one more request (to the pipeline's reduce model) writes one answer to the question from them, in
  the whole recording's time, as :meth:`~.runner.LongMedia.summarize` does; so an agent's context does not grow
  with the recording. When even the parts' answers are too long for that request, they are reduced in groups
  first.

Either way :class:`MediaAnswer` keeps every part's answer (``.result.answers``) beside the text. Parts that could
not be read are named with the reason; when no part could be, that is an error.

Example:
    >>> from qwen_omni import OmniClient, samples
    >>> from qwen_omni.emulator import Emulator
    >>> from qwen_omni.longmedia import LongMedia, Recording
    >>> with Emulator() as emu:
    ...     pipeline = LongMedia(OmniClient(api_key="sk-test", base_url=emu.base_url), model="qwen-omni-turbo",
    ...                          on_error="skip")
    ...     answer = asyncio.run(aanswer(pipeline, Recording("call.wav", data=samples.tone_wav(200.0)), "Who?"))
    >>> print(answer.splitlines()[0])
    call.wav is too long for one request to qwen-omni-turbo (00:03:20 is over qwen-omni-turbo's 180 s per audio \
file), so it was asked in 2 parts; each answer below is marked with its part's time in the recording.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace

from ..errors import InvalidRequestError, QwenOmniError
from ..profiles import get_profile
from ..tokens import text_tokens
from .inputs import Recording
from .modes import answers_prompt, clock
from .plan import whole_file_problems
from .results import LongMediaResult
from .runner import LongMedia
from .timestamps import place_times

__all__ = ["MediaAnswer", "aanswer", "aanswer_media", "agent_text", "answer_budget"]


@dataclass(frozen=True)
class MediaAnswer:
    """What an agent tool answers: ``text`` (what the agent reads) and ``result``, every part's answer behind it.

    ``reduced`` is True when the parts' answers were combined into one by a further request; ``notes`` say what
    was off (times that could not be placed, parts that could not be read). ``str()`` gives the text.
    """

    text: str
    result: LongMediaResult
    reduced: bool = False
    notes: tuple[str, ...] = ()

    def __str__(self) -> str:
        return self.text


def answer_budget(pipeline: LongMedia, max_answer_tokens: int | None) -> int:
    """The tokens the parts' answers may take together before they are reduced to one: ``max_answer_tokens``, or
    what one answer of the reduce model may hold (its output limit)."""
    if max_answer_tokens is not None:
        if max_answer_tokens < 1:
            raise InvalidRequestError(f"max_answer_tokens must be at least 1; got {max_answer_tokens}.")
        return max_answer_tokens
    return get_profile(pipeline.reduce_model, warn=False).max_output_tokens


def _check(result: LongMediaResult) -> None:
    if result.answers:
        return
    reasons = "; ".join(s.describe() for s in result.skipped) or "nothing was answered"
    first = result.skipped[0].error if result.skipped else None
    if isinstance(first, QwenOmniError) and len(result.skipped) == 1:
        raise first
    raise QwenOmniError(f"No part of {result.name} could be read: {reasons}.")


def _unread(result: LongMediaResult) -> list[str]:
    return [f"[{clock(s.start)} - {clock(s.end)}] could not be read: {s.reason}" for s in result.skipped]


def agent_text(result: LongMediaResult, problems: list[str]) -> str:
    """The answers of a custom-prompt run as one text for an agent, each marked with its part's time.

    Raises:
        QwenOmniError: no part was answered (the first part's own error, when it is one of the project's).
    """
    _check(result)
    if len(result.plan.segments) == 1:
        answer = result.answers[0]
        return (answer.recording_text or answer.text).strip()
    why = f" ({problems[0]})" if problems else ""
    lines = [
        f"{result.name} is too long for one request to {result.model}{why}, so it was asked in "
        f"{len(result.plan.segments)} parts; each answer below is marked with its part's time in the recording.",
        "",
        result.text,
    ]
    for unread in _unread(result):
        lines += ["", unread]
    return "\n".join(lines)


def _parts(result: LongMediaResult) -> list[tuple[float, float, str]]:
    return [(a.start, a.end, (a.recording_text or a.text).strip()) for a in result.answers]


def _render(parts: Sequence[tuple[float, float, str]]) -> str:
    return "\n\n".join(f"[{clock(start)} - {clock(end)}]\n{text}" for start, end, text in parts)


async def _reduce(
    pipeline: LongMedia,
    question: str,
    name: str,
    duration: float,
    parts: Sequence[tuple[float, float, str]],
    missing: str | None,
) -> tuple[str, int]:
    """One answer to ``question`` from the parts' answers (in groups first if they are too long): the text, and
    the requests it took."""
    budget = pipeline.reduce_budget()
    prompt = answers_prompt(question, name, duration, _render(parts), missing=missing)
    if text_tokens(len(prompt)) <= budget or len(parts) <= 1:
        return (await pipeline.ask_text(prompt)).strip(), 1
    room = budget - text_tokens(len(answers_prompt(question, name, duration, "", missing=missing)))
    groups: list[list[tuple[float, float, str]]] = [[]]
    used = 0
    for part in parts:
        cost = text_tokens(len(part[2]) + 40)
        if groups[-1] and used + cost > room:
            groups.append([])
            used = 0
        groups[-1].append(part)
        used += cost
    combined, requests = [], 0
    for group in groups:
        first, last = group[0][0], group[-1][1]
        span = f"{name}, {clock(first)} to {clock(last)}"
        text, spent = await _reduce(pipeline, question, span, duration, group, None)
        combined.append((first, last, " ".join(text.split())))
        requests += spent
    text, spent = await _reduce(pipeline, question, name, duration, combined, missing)
    return text, requests + spent


async def aanswer_media(
    pipeline: LongMedia, recording: Recording, question: str, *, max_answer_tokens: int | None = None
) -> MediaAnswer:
    """``question`` about ``recording``, asked of each of its parts if it does not fit one request, the parts'
    answers reduced to one when together they are over the budget (see the module docstring).

    Raises:
        QwenOmniError: no part could be read (or the recording itself could not be).
    """
    budget = answer_budget(pipeline, max_answer_tokens)
    problems = await asyncio.to_thread(whole_file_problems, recording, pipeline.model, pipeline.options)
    result = await pipeline.arun(recording, "custom", prompt=question)
    _check(result)
    parts = _parts(result)
    if len(result.plan.segments) == 1 or sum(text_tokens(len(text)) for _, _, text in parts) <= budget:
        return MediaAnswer(agent_text(result, problems), result, notes=result.notes)
    duration = result.plan.duration or result.answers[-1].end
    missing = ", ".join(f"{clock(s.start)} to {clock(s.end)}" for s in result.skipped) or None
    text, requests = await _reduce(pipeline, question, result.name, duration, parts, missing)
    placed, notes = place_times(text, 0.0, duration, segment=len(result.plan.segments))
    head = (
        f"{result.name} was asked in {len(result.plan.segments)} parts; their answers, combined below into one, "
        "give times in the whole recording's time."
    )
    body = "\n".join([head, "", placed, *(["", *_unread(result)] if result.skipped else [])])
    final = replace(
        result, text=placed, notes=(*result.notes, *notes), requests=result.requests + requests,
        reduce_model=pipeline.reduce_model,
    )  # fmt: skip
    return MediaAnswer(body, final, reduced=True, notes=final.notes)


async def aanswer(
    pipeline: LongMedia, recording: Recording, question: str, *, max_answer_tokens: int | None = None
) -> str:
    """The text of :func:`aanswer_media`."""
    return (await aanswer_media(pipeline, recording, question, max_answer_tokens=max_answer_tokens)).text
