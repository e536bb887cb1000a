"""What a long-media run gives back: each segment's answer or the reason it was skipped, and the whole result.

Example:
    >>> skipped = SkippedSegment(3, 540.0, 720.0, "ServerError: upstream timed out (status 503)")
    >>> skipped.describe()
    'segment 4 (00:09:00 - 00:12:00): ServerError: upstream timed out (status 503)'
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from .modes import Mode, clock
from .plan import Plan
from .timestamps import TimedLine

__all__ = ["Gap", "GapReason", "LongMediaResult", "SegmentAnswer", "SegmentOutcome", "SkippedSegment"]


@dataclass(frozen=True)
class SegmentAnswer:
    """One segment's answer: the model's ``text`` as received and its ``lines`` in the whole file's time.

    ``notes`` say what was off in its times; ``cached`` is True when it came from the cache (no request);
    ``truncated`` when the model stopped at its output limit (the text is then incomplete). ``recording_text`` is
    the text with every time in it moved into the whole recording's time (:func:`~.timestamps.place_times`; the
    text itself when times are not placed, e.g. a custom prompt with ``timestamps=False``).
    """

    index: int
    start: float
    end: float
    text: str
    lines: tuple[TimedLine, ...]
    notes: tuple[str, ...] = ()
    finish_reason: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    cached: bool = False
    recording_text: str = ""

    @property
    def truncated(self) -> bool:
        return self.finish_reason == "length"


@dataclass(frozen=True)
class SkippedSegment:
    """A segment with no answer, and why (``error`` is the exception met, when there was one)."""

    index: int
    start: float
    end: float
    reason: str
    error: BaseException | None = field(default=None, compare=False, repr=False)
    #: True when the media had nothing in this span to send (not a failure: nothing was asked).
    empty: bool = False

    def describe(self) -> str:
        return f"segment {self.index + 1} ({clock(self.start)} - {clock(self.end)}): {self.reason}"


GapReason = Literal["damaged", "past_end", "skipped"]


@dataclass(frozen=True)
class Gap:
    """A stretch of the recording missing from the output, and why: ``"damaged"`` (it could not be decoded),
    ``"past_end"`` (the file ends before its header says it does) or ``"skipped"`` (a segment with no answer).

    Example:
        >>> Gap(250.0, 313.0, "damaged").describe()
        '00:04:10 - 00:05:13: damaged (could not be decoded)'
    """

    start: float
    end: float
    reason: GapReason

    def describe(self) -> str:
        why = {
            "damaged": "damaged (could not be decoded)",
            "past_end": "missing: the file ends before its header says",
            "skipped": "skipped (no answer)",
        }[self.reason]
        return f"{clock(self.start)} - {clock(self.end)}: {why}"


SegmentOutcome = SegmentAnswer | SkippedSegment


@dataclass(frozen=True)
class LongMediaResult:
    """The whole recording's result.

    Attributes:
        name: the recording's name.
        mode: what was asked (``transcript``, ``subtitles``, ``description``, ``summary``, ``custom``).
        plan: how it was cut (see :meth:`~qwen_omni.longmedia.plan.Plan.describe`).
        answers: the segments answered, in order.
        skipped: the segments not answered, with the reason (never silently missing).
        lines: every timed line, in the whole file's time, ordered, overlaps deduplicated.
        text: the output: the transcript or description as timed lines, the SRT or WebVTT file, the summary,
            or the custom answers one after another.
        notes: what the reader should know (times that could not be used, cut answers, missing parts, damaged
            stretches, a file shorter than its header, each ``(silence HH:MM:SS - HH:MM:SS)`` not sent).
        requests: requests sent (cached answers cost none).
        gaps: every stretch missing from the output (:class:`Gap`: damaged, past the file's real end, skipped).
        silences: the stretches of silence not sent (they are not missing: nothing was said there).
    """

    name: str
    mode: Mode
    model: str
    plan: Plan
    answers: tuple[SegmentAnswer, ...]
    skipped: tuple[SkippedSegment, ...]
    lines: tuple[TimedLine, ...]
    text: str
    notes: tuple[str, ...] = ()
    requests: int = 0
    reduce_model: str | None = None
    gaps: tuple[Gap, ...] = ()
    silences: tuple[tuple[float, float], ...] = ()

    @property
    def partial(self) -> bool:
        """True when the output misses part of the recording: a skipped segment, a damaged stretch, a file
        shorter than its header says, or an answer cut at the model's output limit (``gaps`` and ``notes``
        say which). A command's exit code says it."""
        return bool(self.gaps) or bool(self.skipped) or any(a.truncated for a in self.answers)

    @property
    def complete(self) -> bool:
        """True when every part of the recording was answered in full (``not partial``)."""
        return not self.partial

    @property
    def total_tokens(self) -> int:
        return sum(int(a.usage.get("total_tokens") or 0) for a in self.answers)

    def metadata(self) -> dict[str, Any]:
        """Plain facts about the run, for a document's metadata."""
        return {
            "file_name": self.name,
            "mode": self.mode,
            "model": self.model,
            "duration": self.plan.duration,
            "segments": len(self.plan.segments),
            "skipped": [s.describe() for s in self.skipped],
            "notes": list(self.notes),
            "complete": self.complete,
            "gaps": [g.describe() for g in self.gaps],
        }


def gather_notes(answers: Sequence[SegmentAnswer], skipped: Sequence[SkippedSegment]) -> list[str]:
    """The notes of every answer, and one per truncated answer and per skipped segment."""
    notes = [note for answer in answers for note in answer.notes]
    notes += [f"segment {a.index + 1}: the answer stopped at the model's output limit" for a in answers if a.truncated]
    notes += [f"skipped {s.describe()}" for s in skipped if not s.empty]
    return notes


def plan_notes(plan: Plan) -> list[str]:
    """What the plan found before anything was sent that the output lacks: each damaged stretch, a file shorter
    than its header, and one ``(silence HH:MM:SS - HH:MM:SS)`` per silence not sent."""
    notes = [f"damaged {clock(a)} - {clock(b)}: could not be decoded" for a, b in plan.damaged]
    if plan.declared_duration is not None and plan.duration is not None:
        notes.append(
            f"the file ends at {clock(plan.duration)}, short of the {clock(plan.declared_duration)} its header "
            "states: read to its real end"
        )
    notes += [f"(silence {clock(a)} - {clock(b)})" for a, b in plan.silences]
    return notes


def plan_gaps(plan: Plan, skipped: Sequence[SkippedSegment]) -> list[Gap]:
    """Every stretch missing from the output, in order."""
    gaps = [Gap(a, b, "damaged") for a, b in plan.damaged]
    if plan.declared_duration is not None and plan.duration is not None:
        gaps.append(Gap(plan.duration, plan.declared_duration, "past_end"))
    gaps += [Gap(s.start, s.end, "skipped") for s in skipped if not s.empty]
    return sorted(gaps, key=lambda gap: gap.start)
