"""Progress of long work: a tqdm bar per recording on stderr (off unless asked for) that names its stage, and
counts a caller can read while the work runs.

A recording's bar reads ``meeting.mp3: encoding segment 2/3`` while a segment is cut and re-encoded,
``meeting.mp3: requests`` while answers are awaited (``2 in flight, 1 cached`` beside it), and counts each
segment as soon as it is settled, in any order. The stages are ``probing`` (reading the headers and loudness,
to plan), ``hashing`` (reading the file for the cache's key), ``encoding segment N/M`` and ``requests``.

:class:`Progress` keeps one :class:`RecordingProgress` per recording, so that a caller (the CLI) can tell,
after a failure or an interrupt, how many segments of each recording were answered and how many are missing.

Example:
    >>> progress = Progress(False)
    >>> run = progress.recording("meeting.mp3")
    >>> run.start(3); run.settled(answered=True, cached=True); run.settled(answered=True); run.close()
    >>> run.answered, run.cached, run.missing
    (2, 1, 1)
"""

from __future__ import annotations

import sys
from typing import Any, Protocol

__all__ = ["Progress", "ProgressBar", "ProgressSetting", "RecordingProgress", "progress_bar", "recording_progress"]


class ProgressBar(Protocol):
    """What the pipeline does with a bar: name the stage, set the total, count segments, close it."""

    def update(self, n: float | None = 1) -> bool | None: ...

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None: ...

    def set_description_str(self, desc: str | None = None, refresh: bool = True) -> None: ...

    def reset(self, total: float | None = None) -> None: ...

    def close(self) -> None: ...


class _Silent:
    def update(self, n: float | None = 1) -> bool | None:
        return None

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        return None

    def set_description_str(self, desc: str | None = None, refresh: bool = True) -> None:
        return None

    def reset(self, total: float | None = None) -> None:
        return None

    def close(self) -> None:
        return None


def progress_bar(enabled: bool | dict[str, Any], *, total: int | None, desc: str) -> ProgressBar:
    """A tqdm bar of ``total`` segments on stderr, or a silent stand-in; a dict gives tqdm's own options.

    Example:
        >>> bar = progress_bar(False, total=3, desc="meeting.mp3")
        >>> bar.update(1); bar.close()
    """
    if not enabled:
        return _Silent()
    from tqdm.auto import tqdm

    options: dict[str, Any] = {"total": total, "desc": desc, "unit": "segment", "file": sys.stderr, "leave": True}
    if isinstance(enabled, dict):
        options.update(enabled)
    bar: ProgressBar = tqdm(**options)
    return bar


class RecordingProgress:
    """One recording's progress: its stage, its segments' counts, and its bar (silent when not shown)."""

    def __init__(self, name: str, show: bool | dict[str, Any]) -> None:
        self.name = name
        self.total: int | None = None
        self.stage_name = "waiting"
        self.answered = 0
        self.cached = 0
        self.skipped = 0
        self.in_flight = 0
        self._bar = progress_bar(show, total=None, desc=f"{name}: waiting")
        self.closed = False

    def __repr__(self) -> str:
        return (
            f"RecordingProgress({self.name!r}, stage={self.stage_name!r}, answered={self.answered}, "
            f"cached={self.cached}, skipped={self.skipped}, total={self.total})"
        )

    @property
    def missing(self) -> int | None:
        """Segments with no answer yet (skipped ones included); None before the plan is known."""
        return None if self.total is None else self.total - self.answered

    def stage(self, text: str) -> None:
        """Show what the recording's work is doing now (``"probing"``, ``"encoding segment 2/3"``...)."""
        self.stage_name = text
        self._bar.set_description_str(f"{self.name}: {text}")

    def start(self, total: int) -> None:
        """The plan is made: ``total`` segments."""
        if self.total != total:
            self.total = total
            self._bar.reset(total=total)
            self._show_counts()

    def sending(self, delta: int) -> None:
        """A request went out (+1) or came back (-1)."""
        self.in_flight += delta
        self._show_counts()

    def settled(self, *, answered: bool, cached: bool = False) -> None:
        """A segment is done: answered (from the cache, with ``cached``) or skipped."""
        if answered:
            self.answered += 1
            self.cached += cached
        else:
            self.skipped += 1
        self._bar.update(1)
        self._show_counts()

    def close(self) -> None:
        """Close the bar (it stays on screen); the counts stay readable."""
        if not self.closed:
            self.closed = True
            self._bar.close()

    def _show_counts(self) -> None:
        counts = [(self.in_flight, "in flight"), (self.cached, "cached"), (self.skipped, "skipped")]
        self._bar.set_postfix_str(", ".join(f"{n} {what}" for n, what in counts if n))


class Progress:
    """The progress of every recording a pipeline works on (see the module docstring).

    Args:
        show: draw a tqdm bar per recording on stderr (or tqdm's options as a dict); False: only count.

    Pass it as ``LongMedia(progress=...)``; :meth:`runs` reads every recording's counts, even after an
    interrupt or a failure.
    """

    def __init__(self, show: bool | dict[str, Any] = True) -> None:
        self.show = show
        self._runs: dict[object, RecordingProgress] = {}

    def __repr__(self) -> str:
        return f"Progress(show={bool(self.show)}, recordings={len(self._runs)})"

    def recording(self, key: object, name: str | None = None) -> RecordingProgress:
        """The progress of the recording ``key``: its open one, else a new one (``name`` defaults to ``str(key)``)."""
        run = self._runs.get(key)
        if run is None or run.closed:
            run = self._runs[key] = RecordingProgress(name if name is not None else str(key), self.show)
        return run

    def get(self, key: object) -> RecordingProgress | None:
        """The progress of ``key``, if its work has started."""
        return self._runs.get(key)

    def runs(self) -> list[RecordingProgress]:
        """Every recording's progress, in the order their work started."""
        return list(self._runs.values())


ProgressSetting = bool | dict[str, Any] | Progress
"""What ``LongMedia(progress=...)`` takes: show bars (True, or tqdm's options), not (False), or a :class:`Progress`."""


def recording_progress(setting: ProgressSetting, key: object, name: str) -> RecordingProgress:
    """The progress object of one recording: the shared :class:`Progress`'s, or a new one of its own."""
    if isinstance(setting, Progress):
        return setting.recording(key, name)
    return RecordingProgress(name, setting)
