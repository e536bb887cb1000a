"""The times in a model's answer: found, shifted from the segment's time into the whole file's, checked, ordered.

A segment's answer counts time from the segment's start (its prompt asks for that). :func:`timed_lines`
finds every time span (``[00:00:15,020 --> 00:00:28,085]``, ``00:12.300 – 00:14.533``, ``[01:05]`` at a
line's start ...), shifts each by the segment's offset, and checks it lies inside the segment. A time it
cannot use is never guessed: the line keeps its text with no time, and a note says why.

Example:
    >>> lines, notes = timed_lines("[00:00:01,000 --> 00:00:02,500] Hello.\\n00:03.000 – 00:04.000 Bye.", 600.0, 60.0)
    >>> [(line.start, line.end, line.text) for line in lines], notes
    ([(601.0, 602.5, 'Hello.'), (603.0, 604.0, 'Bye.')], ())
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

__all__ = ["TimedLine", "parse_time", "place_times", "timed_lines"]

_TIME = r"(?:\d{1,2}:)?\d{1,3}:\d{2}(?:[.,]\d{1,3})?"
_ARROW = r"(?:-->|->|→|–|—|-|~|to)"
#: A span ``start --> end`` (brackets optional, a colon after it allowed), or one time that opens a line.
_STAMP = re.compile(
    rf"\[?\(?\s*(?P<start>{_TIME})\s*{_ARROW}\s*(?P<end>{_TIME})\s*\]?\)?\s*:?\s*"
    rf"|(?m:^\s*\[?\(?(?P<alone>{_TIME})\]?\)?\s*[:\-–]?\s*)"
)
#: Any time in running text: ``01:02:03``, ``02:03``, ``00:01:05,200`` (not ``16:9``, not part of a longer number).
_ANY_TIME = re.compile(r"(?<![\d:.,])(?P<time>(?:\d{1,2}:)?\d{1,3}:\d{2}(?:[.,]\d{1,3})?)(?![\d:]|[.,]\d)")
#: An answer that says the segment has nothing to transcribe: no line, and nothing to note.
NO_SPEECH = re.compile(r"\W*(?:no speech|no one speaks|silence)\W*", re.IGNORECASE)
#: Seconds a time may stray outside its segment and still count as inside (models round).
TOLERANCE = 1.0


@dataclass(frozen=True)
class TimedLine:
    """One line of an answer, in the whole recording's time; ``start``/``end`` are None where the model gave
    none that could be used. ``segment`` is the index of the segment it came from."""

    start: float | None
    end: float | None
    text: str
    segment: int


def parse_time(text: str) -> float:
    """``"01:02:03,500"``, ``"02:03.5"`` or ``"75:00"`` -> seconds.

    Example:
        >>> parse_time("01:02:03,500"), parse_time("02:03.5"), parse_time("75:00")
        (3723.5, 123.5, 4500.0)
    """
    whole, _, fraction = text.replace(",", ".").partition(".")
    fields = [int(f) for f in whole.split(":")]
    seconds = 0.0
    for value in fields:
        seconds = seconds * 60 + value
    return seconds + (float(f"0.{fraction}") if fraction else 0.0)


def _absolute(times: list[float], offset: float, duration: float) -> bool:
    """Whether the model counted in the whole recording's time: every time lies in the segment's span there, and
    some lie past the segment's own length."""
    return (
        offset > 0
        and bool(times)
        and max(times) > duration + TOLERANCE
        and all(offset - TOLERANCE <= t <= offset + duration + TOLERANCE for t in times)
    )


def _written_like(seconds: float, original: str) -> str:
    """``seconds`` written as ``original`` was: with hours if it had them (or needs them), with its fraction."""
    whole, sep, fraction = original.replace(",", ".").partition(".")
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    text = f"{minutes:02d}:{rest // 1000:02d}"
    if whole.count(":") == 2 or hours:
        text = f"{hours:02d}:{text}"
    if sep:
        digits = len(fraction)
        text += ("," if "," in original else ".") + f"{rest % 1000:03d}"[:digits]
    return text


def place_times(text: str, offset: float, duration: float, *, segment: int = 0) -> tuple[str, tuple[str, ...]]:
    """``text`` with every time in it moved from the segment's clock into the whole recording's, and notes.

    For answers that are prose (a custom prompt, an agent's question): a time anywhere in the text (``at 00:00:05``,
    ``from 1:30 to 2:10``) counted from the segment's start is shifted by ``offset``; times already in the whole
    recording's time (see :func:`timed_lines`) are kept. A time that lies outside the segment cannot be placed: it
    is never guessed, but marked ``[unplaced 00:07:30]`` in the text, and a note says so.

    Example:
        >>> place_times("She starts at 00:00:05 and ends at 01:10.", 120.0, 90.0)
        ('She starts at 00:02:05 and ends at 03:10.', ())
        >>> place_times("At 00:07:30 he leaves.", 120.0, 90.0, segment=1)[0]
        'At [unplaced 00:07:30] he leaves.'
    """
    found = list(_ANY_TIME.finditer(text))
    if not found:
        return text, ()
    times = [parse_time(m.group("time")) for m in found]
    base = offset if _absolute(times, offset, duration) else 0.0
    notes = []
    if base:
        notes.append(f"segment {segment}: the model gave times in the whole recording's time; kept as they are")
    pieces, last, unplaced = [], 0, []
    for match, seconds in zip(found, times, strict=True):
        pieces.append(text[last : match.start()])
        original = match.group("time")
        if -TOLERANCE <= seconds - base <= duration + TOLERANCE:
            pieces.append(_written_like(offset + min(max(seconds - base, 0.0), duration), original))
        else:
            pieces.append(f"[unplaced {original}]")
            unplaced.append(original)
        last = match.end()
    pieces.append(text[last:])
    if unplaced:
        notes.append(
            f"segment {segment}: {len(unplaced)} time(s) lay outside the part (0 to {duration:.1f} s) and could not be "
            f"placed in the recording: {', '.join(unplaced)}"
        )
    return "".join(pieces), tuple(notes)


def _raw(text: str) -> tuple[str, list[tuple[float, float | None, str]]]:
    """The text before the first time, and each (start, end, text) from one time to the next."""
    matches = list(_STAMP.finditer(text))
    if not matches:
        return text, []
    head = text[: matches[0].start()]
    found = []
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        body = text[match.end() : following.start() if following else len(text)]
        start_text = match.group("start") or match.group("alone")
        end_text = match.group("end")
        found.append(
            (parse_time(start_text), parse_time(end_text) if end_text else None, " ".join(body.split()).strip())
        )
    return head, found


def timed_lines(
    answer: str, offset: float, duration: float, *, segment: int = 0
) -> tuple[list[TimedLine], tuple[str, ...]]:
    """The lines of one segment's ``answer`` in the whole file's time, ordered, and notes on what was off.

    ``offset`` is where the segment starts in the whole file and ``duration`` how long it is. Times are taken
    as counted from the segment's start; if every one of them instead lies inside ``[offset, offset +
    duration]`` and some lie past the segment's own length, the model answered in the whole file's time,
    and they are kept as they are.
    """
    if NO_SPEECH.fullmatch(answer):
        return [], ()
    head, found = _raw(answer)
    notes: list[str] = []
    lines: list[TimedLine] = []
    if head.strip() and found:
        lines.append(TimedLine(None, None, " ".join(head.split()), segment))
        notes.append(f"segment {segment}: 1 line(s) came without a time; kept without one")
    if not found:
        text = " ".join(answer.split())
        if text:
            notes.append(f"segment {segment}: no times found in the answer; its text is kept without times")
            lines.append(TimedLine(None, None, text, segment))
        return lines, tuple(notes)
    times = [t for start, end, _ in found for t in (start, end) if t is not None]
    absolute = _absolute(times, offset, duration)
    if absolute:
        notes.append(f"segment {segment}: the model gave times in the whole recording's time; kept as they are")
    base = offset if absolute else 0.0  # subtracting it gives the time within the segment
    dropped = 0
    for start, end, text in found:
        if not text:
            continue
        if start is None or not -TOLERANCE <= start - base <= duration + TOLERANCE:
            dropped += 1
            lines.append(TimedLine(None, None, text, segment))
            continue
        begin = offset + min(max(start - base, 0.0), duration)
        stop = None
        if end is not None:
            if end < start or end - base > duration + TOLERANCE:
                notes.append(f"segment {segment}: an end time ({end:.3f} s) was unusable; that line has no end")
            else:
                stop = offset + min(end - base, duration)
                stop = stop if stop > begin else None  # a line clamped to nothing has no usable end
        lines.append(TimedLine(begin, stop, text, segment))
    if dropped:
        notes.append(
            f"segment {segment}: {dropped} time(s) fell outside the segment (0 to {duration:.1f} s); "
            "those lines are kept without times"
        )
    timed = [line for line in lines if line.start is not None]
    if [line.start for line in timed] != sorted(line.start for line in timed if line.start is not None):
        notes.append(f"segment {segment}: the model's lines were out of order; they are sorted by time")
    return _ordered(lines), tuple(notes)


def _ordered(lines: list[TimedLine]) -> list[TimedLine]:
    """Timed lines sorted by start; an untimed line stays just after the line it followed."""
    keyed: list[tuple[float, int, TimedLine]] = []
    last = -1.0
    for position, line in enumerate(lines):
        if line.start is not None:
            last = line.start
        keyed.append((line.start if line.start is not None else last, position, line))
    return [replace(line) for _, _, line in sorted(keyed, key=lambda item: (item[0], item[1]))]
