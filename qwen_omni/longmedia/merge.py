"""Every segment's lines, put together in the whole recording's time: ordered, overlaps deduplicated, rendered.

Where segments overlap, the same words are heard twice; a line of a later segment that starts inside the
overlap and says what a line of the earlier segment near the same time says is dropped, and so is a sentence's
head or tail that the other segment heard whole (see :func:`merge_lines`).

Example:
    >>> a = [TimedLine(0.0, 2.0, "Hello there.", 0), TimedLine(9.0, 10.5, "See you soon.", 0)]
    >>> b = [TimedLine(9.1, 10.4, "See you soon!", 1), TimedLine(11.0, 12.0, "Bye.", 1)]
    >>> [line.text for line in merge_lines([a, b], [(0.0, 10.5), (8.5, 20.0)])]
    ['Hello there.', 'See you soon.', 'Bye.']
    >>> print(render_lines(merge_lines([a], [(0.0, 10.5)]), "caption"))
    [00:00:00.000 --> 00:00:02.000] Hello there.
    [00:00:09.000 --> 00:00:10.500] See you soon.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import Literal, assert_never

from .modes import clock
from .timestamps import TimedLine

__all__ = ["merge_lines", "render_lines", "with_silences"]

#: Texts at least this similar (difflib's ratio, after normalising) count as the same line.
SAME_TEXT = 0.8
#: Lines this many seconds apart or closer may be duplicates.
SAME_TIME = 2.0
#: Seconds on each side of a cut where the two segments may both have heard the same words.
EDGE = 1.0


def _normal(text: str) -> str:
    return re.sub(r"[^\w]+", " ", text.lower()).strip()


def _same(a: TimedLine, b: TimedLine, slack: float) -> bool:
    if a.start is None or b.start is None or abs(a.start - b.start) > slack:
        return False
    return difflib.SequenceMatcher(None, _normal(a.text), _normal(b.text)).ratio() >= SAME_TEXT


def _spanning(kept: TimedLine, other: TimedLine) -> TimedLine:
    """``kept``'s text over the time both lines cover."""
    starts = [t for t in (kept.start, other.start) if t is not None]
    ends = [t for t in (kept.end, other.end) if t is not None]
    return replace(kept, start=min(starts) if starts else None, end=max(ends) if ends else None)


def _reach(line: TimedLine) -> float | None:
    """Where a line ends, or starts when it has no end."""
    return line.end if line.end is not None else line.start


def _within(short: TimedLine, long: TimedLine, slack: float) -> bool:
    """Whether ``short`` says part of what ``long`` says (a sentence's tail or head, heard in an overlap), at a
    time inside it."""
    if short.start is None or long.start is None or short is long:
        return False
    long_end = long.end if long.end is not None else long.start + slack
    if not long.start - slack <= short.start <= long_end + slack:
        return False
    part, whole = _normal(short.text), _normal(long.text)
    return bool(part) and len(part) < len(whole) and f" {part} " in f" {whole} "


def merge_lines(per_segment: Sequence[Sequence[TimedLine]], spans: Sequence[tuple[float, float]]) -> list[TimedLine]:
    """One ordered list from each segment's lines (in segment order) and the segments' ``(start, end)``.

    Near each cut (inside the overlap, or within :data:`EDGE` seconds of a cut without one), a later line that
    says what an earlier one says is dropped, and so is a piece of a sentence that the other segment heard whole
    (the earlier segment's cut-off head, or the later one's tail): the whole sentence is kept, once.

    Example:
        >>> a = [TimedLine(50.0, 58.0, "We will ship the release on Friday.", 0)]
        >>> b = [TimedLine(55.0, 58.0, "release on Friday.", 1), TimedLine(59.0, 60.0, "Thanks.", 1)]
        >>> [line.text for line in merge_lines([a, b], [(0.0, 58.0), (55.0, 90.0)])]
        ['We will ship the release on Friday.', 'Thanks.']
    """
    merged: list[TimedLine] = []
    previous: Sequence[TimedLine] = ()
    for number, lines in enumerate(per_segment):
        overlap_end = spans[number - 1][1] if number else None
        slack = max(SAME_TIME, (overlap_end - spans[number][0]) if overlap_end is not None else 0.0)
        begins = spans[number][0] - EDGE
        edge = [e for e in previous if overlap_end is not None and (_reach(e) or -1.0) >= begins]
        for line in lines:
            near = overlap_end is not None and line.start is not None and line.start < overlap_end + EDGE
            twin = next((e for e in edge if near and (_same(line, e, slack) or _within(line, e, slack))), None)
            if twin is not None:  # heard by both segments: kept once, spanning what both heard of it
                merged = [_spanning(kept, line) if kept is twin else kept for kept in merged]
                edge = [_spanning(e, line) if e is twin else e for e in edge]
                continue
            cut_off = [e for e in edge if near and _within(e, line, slack)]
            if cut_off:  # the earlier segment heard only the start of this sentence: keep it whole
                merged = [kept for kept in merged if not any(kept is e for e in cut_off)]
            merged.append(line)
        previous = lines
    timed_key = -1.0
    keyed = []
    for position, line in enumerate(merged):
        if line.start is not None:
            timed_key = line.start
        keyed.append((timed_key, position, line))
    return [line for _, _, line in sorted(keyed, key=lambda item: (item[0], item[1]))]


def render_lines(
    lines: Sequence[TimedLine], style: Literal["caption", "description", "plain"], *, unknown: str = "[time unknown] "
) -> str:
    """Lines as text: ``[HH:MM:SS.mmm --> HH:MM:SS.mmm] text`` (caption), ``HH:MM:SS.mmm – HH:MM:SS.mmm text``
    (description) or the texts alone (plain). A line without a time starts with ``unknown`` (documents pass
    ``""``: they say it in their metadata, not in the text that is embedded)."""
    out = []
    for line in lines:
        if style == "plain":
            out.append(line.text)
            continue
        if line.start is None:
            out.append(f"{unknown}{line.text}")
            continue
        start = clock(line.start, millis=True)
        end = clock(line.end, millis=True) if line.end is not None else "?"
        if style == "caption":
            out.append(f"[{start} --> {end}] {line.text}")
        elif style == "description":
            out.append(f"{start} – {end} {line.text}")
        else:
            assert_never(style)
    return "\n".join(out)


def with_silences(text: str, lines: Sequence[TimedLine], silences: Sequence[tuple[float, float]]) -> str:
    """``text`` (one rendered line per item of ``lines``) with one ``(silence HH:MM:SS - HH:MM:SS)`` line per
    silence not sent, in time order.

    Example:
        >>> lines = [TimedLine(1.0, 2.0, "Hi.", 0), TimedLine(90.0, 91.0, "Back.", 1)]
        >>> print(with_silences(render_lines(lines, "caption"), lines, [(3.0, 88.5)]))
        [00:00:01.000 --> 00:00:02.000] Hi.
        (silence 00:00:03 - 00:01:28)
        [00:01:30.000 --> 00:01:31.000] Back.
    """
    if not silences:
        return text
    rendered = text.split("\n") if text else []
    if len(rendered) != len(lines):  # a line's text held a line break: no place to tell, so it goes last
        return "\n".join([*rendered, *(f"(silence {clock(a)} - {clock(b)})" for a, b in silences)])
    keyed: list[tuple[float, int, str]] = []
    last = 0.0
    for position, (line, shown) in enumerate(zip(lines, rendered, strict=True)):
        last = line.start if line.start is not None else last
        keyed.append((last, position, shown))
    keyed += [(a, -1, f"(silence {clock(a)} - {clock(b)})") for a, b in silences]
    return "\n".join(shown for _, _, shown in sorted(keyed, key=lambda item: (item[0], item[1])))
