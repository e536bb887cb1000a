"""The reduce step of a summary: every segment's timestamped notes into one summary of the whole recording.

When the notes are too long for the reduce model's input, they are summarised in groups first, each group
under the budget, and the group summaries are then reduced in turn (map-reduce, as deep as it takes).

Example:
    >>> import asyncio
    >>> async def echo(prompt: str) -> str:
    ...     return f"summary of {prompt.count(chr(10) + '[')} notes"
    >>> lines = [TimedLine(60.0 * i, None, f"Point {i}.", 0) for i in range(5)]
    >>> asyncio.run(reduce_notes(echo, "talk.mp3", 300.0, lines, budget_tokens=10_000))
    'summary of 5 notes'
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from ..tokens import text_tokens
from .merge import render_lines
from .modes import clock, reduce_prompt
from .timestamps import TimedLine

__all__ = ["reduce_notes"]

AskText = Callable[[str], Awaitable[str]]


async def reduce_notes(
    ask: AskText,
    name: str,
    duration: float,
    lines: Sequence[TimedLine],
    *,
    budget_tokens: int,
    missing: str | None = None,
) -> str:
    """One summary of ``lines`` (timestamped notes in the whole file's time), asking ``ask`` as often as needed."""
    notes = render_lines(lines, "caption")
    prompt = reduce_prompt(name, duration, notes, missing=missing)
    if text_tokens(len(prompt)) <= budget_tokens or len(lines) <= 1:
        return await ask(prompt)
    groups: list[list[TimedLine]] = [[]]
    room = budget_tokens - text_tokens(len(reduce_prompt(name, duration, "", missing=missing)))
    used = 0
    for line in lines:
        cost = text_tokens(len(line.text) + 40)
        if groups[-1] and used + cost > room:
            groups.append([])
            used = 0
        groups[-1].append(line)
        used += cost
    partial = []
    for group in groups:
        first, last = group[0].start or 0.0, group[-1].end or group[-1].start or duration
        summary = await ask(
            reduce_prompt(f"{name}, {clock(first)} to {clock(last)}", last - first, render_lines(group, "caption"))
        )
        partial.append(TimedLine(first, last, " ".join(summary.split()), 0))
    return await reduce_notes(ask, name, duration, partial, budget_tokens=budget_tokens, missing=missing)
