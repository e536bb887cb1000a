"""Timed lines as subtitle files: SRT (with the ``srt`` library) and WebVTT (with ``webvtt-py``).

A cue needs a start and an end. A line the model gave no usable start is left out; a line with a start
but no end ends where the next line starts, or :data:`LONGEST_CUE` seconds later, whichever is sooner
(and within its segment); the notes say how many.

Example:
    >>> lines = [TimedLine(61.0, 63.5, "Good morning.", 0), TimedLine(64.0, None, "Shall we start?", 0)]
    >>> print(to_srt(lines)[0])
    1
    00:01:01,000 --> 00:01:03,500
    Good morning.
    <BLANKLINE>
    2
    00:01:04,000 --> 00:01:11,000
    Shall we start?
    <BLANKLINE>
    <BLANKLINE>
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import srt
import webvtt

from .timestamps import TimedLine

__all__ = ["LONGEST_CUE", "cues", "to_srt", "to_vtt"]

#: The longest a cue without an end of its own is shown, in seconds.
LONGEST_CUE = 7.0


def cues(
    lines: Sequence[TimedLine], *, ends: Sequence[float] | None = None
) -> tuple[list[tuple[float, float, str]], list[str]]:
    """``(start, end, text)`` for every line that can be a cue, and notes on the lines that could not.

    ``ends`` (one per line) caps an end-less line's end (its segment's end).
    """
    timed = [(i, line) for i, line in enumerate(lines) if line.start is not None and line.text]
    notes = []
    if skipped := len(lines) - len(timed):
        notes.append(f"{skipped} line(s) had no usable time and are not in the subtitles")
    out: list[tuple[float, float, str]] = []
    guessed = 0
    for position, (index, line) in enumerate(timed):
        assert line.start is not None
        end = line.end if line.end is not None and line.end > line.start else None  # never a zero-length cue
        if end is None:
            guessed += 1
            following = timed[position + 1][1].start if position + 1 < len(timed) else None
            end = min(x for x in (following, line.start + LONGEST_CUE, ends[index] if ends else None) if x is not None)
            end = max(end, line.start + 0.5)
        out.append((line.start, end, line.text))
    if guessed:
        notes.append(f"{guessed} line(s) had a start but no end; each ends at the next line or {LONGEST_CUE:g} s later")
    return out, notes


def to_srt(lines: Sequence[TimedLine]) -> tuple[str, list[str]]:
    """An SRT file of ``lines``, and the notes of :func:`cues`."""
    found, notes = cues(lines)
    subtitles = [
        srt.Subtitle(number, datetime.timedelta(seconds=start), datetime.timedelta(seconds=end), text)
        for number, (start, end, text) in enumerate(found, start=1)
    ]
    return srt.compose(subtitles, reindex=False), notes


def _vtt_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def to_vtt(lines: Sequence[TimedLine]) -> tuple[str, list[str]]:
    """A WebVTT file of ``lines``, and the notes of :func:`cues`."""
    found, notes = cues(lines)
    captions = [webvtt.Caption(_vtt_time(start), _vtt_time(end), text) for start, end, text in found]
    content: str = webvtt.WebVTT(captions=captions).content
    return content, notes
