"""What the pipeline asks of each segment, per mode, and how it tells the model where the segment lies.

Modes: ``"transcript"`` (verbatim, timestamped), ``"subtitles"`` (the transcript, written as SRT or
WebVTT), ``"description"`` (timestamped, in the Qwen-Omni guide's format), ``"summary"`` (timestamped notes
per segment, then one summary of the whole recording) and ``"custom"`` (the caller's prompt).

Every segment prompt says where the segment lies in the whole recording and asks for times counted from
the segment's own start, which the pipeline then shifts (:mod:`.timestamps`).

Example:
    >>> print(segment_prompt("transcript", Where(kind="audio", index=1, count=3, start=600.0, end=1200.0)))
    ... # doctest: +ELLIPSIS
    Transcribe all speech in this audio verbatim...
    This audio is part 2 of 3 of a longer recording: it starts 00:10:00 into the recording and lasts 00:10:00...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, assert_never

from ..errors import InvalidRequestError

__all__ = [
    "MODES",
    "Mode",
    "Task",
    "Where",
    "answers_prompt",
    "check_mode",
    "clock",
    "output_tokens_per_second",
    "reduce_prompt",
    "segment_prompt",
    "task_of",
]

Mode = Literal["transcript", "subtitles", "description", "summary", "custom"]
MODES: tuple[Mode, ...] = ("transcript", "subtitles", "description", "summary", "custom")
#: What one segment request asks for; subtitles are the transcript written another way, so they share it.
Task = Literal["transcript", "description", "notes", "custom"]

#: The Qwen-Omni guide's lyric-caption format, which transcripts and notes use.
CAPTION_EXAMPLE = "[00:00:15,020 --> 00:00:28,085] When you walk through a storm, hold your head up high."
#: The guide's timestamped-description format.
DESCRIPTION_EXAMPLE = (
    "00:00.000 – 00:02.500 A rain-soaked city street fills the widescreen frame. A man in a dark trench coat "
    "walks toward the camera; steady rain crackles all around."
)


@dataclass(frozen=True)
class Where:
    """Where a segment lies: its kind (``audio`` or ``video``), its place among ``count``, and its span."""

    kind: str
    index: int
    count: int
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


def clock(seconds: float, *, millis: bool = False) -> str:
    """``3725.5`` -> ``01:02:05`` (``01:02:05.500`` with ``millis``).

    Example:
        >>> clock(3725.5), clock(3725.5, millis=True)
        ('01:02:05', '01:02:05.500')
    """
    total = round(seconds * 1000) if millis else int(seconds) * 1000
    hours, rest = divmod(total, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    text = f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}"
    return f"{text}.{rest % 1000:03d}" if millis else text


def check_mode(mode: Any) -> Mode:
    """``mode`` if it is one of :data:`MODES`, else a clear :class:`~qwen_omni.errors.InvalidRequestError`.

    Example:
        >>> check_mode("description")
        'description'
        >>> check_mode("describe")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        qwen_omni.errors.InvalidRequestError: Unknown mode 'describe'; the modes are ... (did you mean 'description'?).
    """
    for known in MODES:
        if mode == known:
            return known
    import difflib

    close = difflib.get_close_matches(str(mode), MODES, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise InvalidRequestError(f"Unknown mode {mode!r}; the modes are {', '.join(MODES)}{hint}.")


def task_of(mode: Mode, *, summary_from: Literal["notes", "transcript"] = "notes") -> Task:
    """The segment request behind a mode (a summary's map step is timestamped notes, or the transcript)."""
    if mode == "transcript" or mode == "subtitles":
        return "transcript"
    if mode == "description":
        return "description"
    if mode == "summary":
        return summary_from
    if mode == "custom":
        return "custom"
    assert_never(mode)


def _noun(kind: str) -> str:
    return "video" if kind == "video" else "audio" if kind == "audio" else "recording"


def _context(where: Where) -> str:
    if where.kind == "image":  # a picture has no time to place it in
        return ""
    noun = _noun(where.kind)
    if where.count == 1 and where.start == 0:
        return f"This {noun} is the whole recording; it lasts {clock(where.duration)}."
    return (
        f"This {noun} is part {where.index + 1} of {where.count} of a longer recording: it starts "
        f"{clock(where.start)} into the recording and lasts {clock(where.duration)}."
    )


def segment_prompt(task: Task, where: Where, *, custom: str | None = None, times: bool = True) -> str:
    """The prompt for one segment (``custom`` is the caller's prompt, for the ``"custom"`` task, which with
    ``times`` is also told how to count any time it gives)."""
    noun = _noun(where.kind)
    relative = (
        f"Count every time from the start of this {noun}, which begins at 00:00:00,000, not from the start of "
        "the whole recording."
    )
    if task == "transcript":
        return (
            f"Transcribe all speech in this {noun} verbatim, in the language spoken. Give each sentence or short "
            "phrase (at most about 7 seconds) its own line, with its start and end time, in this format:\n"
            f"{CAPTION_EXAMPLE}\n{_context(where)} {relative} Write only these lines; if no one speaks, write "
            "(no speech)."
        )
    if task == "description":
        return (
            f"Generate a comprehensive timestamped description of this {noun}: what is seen and heard, in order. "
            "Start each entry on its own line with its time span, in this format:\n"
            f"{DESCRIPTION_EXAMPLE}\n{_context(where)} {relative.replace('00:00:00,000', '00:00.000')}"
        )
    if task == "notes":
        return (
            f"Take notes on this {noun} for a summary of the whole recording: its topics, key points, decisions "
            "and action items, each on its own line with the time it happens, in this format:\n"
            "[00:00:15,020 --> 00:00:28,085] The team agrees to ship the release on Friday.\n"
            f"{_context(where)} {relative}"
        )
    if task == "custom":
        if not custom:
            raise ValueError('mode="custom" needs prompt=...')
        context = _context(where)
        if context and times:
            context += f" If you mention times, give them as HH:MM:SS and {relative[0].lower()}{relative[1:]}"
        return f"{custom}\n\n{context}" if context else custom
    assert_never(task)


def reduce_prompt(name: str, duration: float, notes: str, *, missing: str | None = None) -> str:
    """The prompt that turns the timestamped notes of every segment into one summary."""
    gap = f"\nSome parts could not be read and have no notes: {missing}. Say so in the summary.\n" if missing else ""
    return (
        f"Below are timestamped notes on consecutive parts of one recording, {name!r}, {clock(duration)} long. "
        "Their times are in the whole recording's time. Write a summary of the whole recording: its purpose, the "
        "main topics in order, decisions and action items. Cite the time (HH:MM:SS) of each point you mention."
        f"{gap}\n\nNotes:\n{notes}"
    )


def answers_prompt(question: str, name: str, duration: float, answers: str, *, missing: str | None = None) -> str:
    """The prompt that turns the answers of every part of a recording to one question into one answer."""
    gap = f"\nSome parts could not be read and have no answer: {missing}. Say so if it matters.\n" if missing else ""
    return (
        f"The question {question!r} was asked of each consecutive part of one recording, {name!r}, "
        f"{clock(duration)} long. Below is each part's answer, marked with the part's time span; every time in them "
        "is in the whole recording's time. Answer the question once, for the whole recording, from these answers. "
        "Give every time you mention as HH:MM:SS in the whole recording's time."
        f"{gap}\n\nAnswers:\n{answers}"
    )


def output_tokens_per_second(task: Task) -> float:
    """A planning figure (not documented) for the tokens an answer takes per second of media."""
    if task == "transcript":
        return 4.0  # about 150 words a minute, plus the timestamps
    if task == "description":
        return 3.0
    if task == "notes":
        return 1.0
    if task == "custom":
        return 2.0
    assert_never(task)
