"""The state one emulator shares between its server thread and its owner: settings, the journal of received
requests, the queue of injected faults, and the answer function (:mod:`.script`), if any.

Example:
    >>> settings = Settings(api_key="sk-secret")
    >>> "sk-secret" in repr(settings)
    False
"""

from __future__ import annotations

import bisect
import math
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .faults import FaultQueue
from .realtime_state import RealtimeState
from .received import ReceivedRequest

if TYPE_CHECKING:
    from .script import AnswerFunction

AudioStyle = Literal["content", "transcript"]
AUDIO_STYLES: tuple[AudioStyle, ...] = ("content", "transcript")


@dataclass(frozen=True)
class Settings:
    """How one emulator behaves when a request does not say otherwise."""

    api_key: str | None = field(default=None, repr=False)
    audio_style: AudioStyle = "content"
    chunk_delay: float = 0.0
    first_chunk_delay: float = 0.0
    answer_words: int | None = None
    rpm: int | None = None
    rpm_window: float = 60.0

    def __post_init__(self) -> None:
        if (self.rpm is not None and self.rpm < 1) or self.rpm_window <= 0:
            raise ValueError(f"rpm must be 1 or more and rpm_window positive; got {self.rpm}, {self.rpm_window}.")
        if self.audio_style not in AUDIO_STYLES:
            raise ValueError(f"audio_style must be 'content' or 'transcript'; got {self.audio_style!r}.")
        if self.chunk_delay < 0 or self.first_chunk_delay < 0:
            raise ValueError("chunk_delay and first_chunk_delay must be 0 or more seconds.")
        if self.answer_words is not None and self.answer_words < 1:
            raise ValueError(f"answer_words must be 1 or more; got {self.answer_words}.")


class Journal:
    """The received requests, in order of arrival, safe to read from any thread.

    A request is numbered when it arrives and recorded when its answer is decided; :meth:`clear` forgets
    the recorded ones and drops those still in flight.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._next = 0
        self._generation = 0
        self._items: list[tuple[int, ReceivedRequest]] = []

    def arrive(self) -> tuple[int, int]:
        """A ticket (generation, number) for a request that just arrived."""
        with self._lock:
            self._next += 1
            return self._generation, self._next

    def record(self, ticket: tuple[int, int], request: ReceivedRequest) -> None:
        """Record ``request`` in its arrival place (unless the journal was cleared since it arrived)."""
        generation, number = ticket
        with self._lock:
            if generation == self._generation:
                bisect.insort(self._items, (number, request), key=lambda item: item[0])

    def requests(self) -> list[ReceivedRequest]:
        """A copy of the recorded requests."""
        with self._lock:
            return [request for _, request in self._items]

    def clear(self) -> None:
        """Forget every request."""
        with self._lock:
            self._items.clear()
            self._generation += 1


class AnswerSlot:
    """The answer function the emulator calls (None: its own answers), swapped safely from any thread.

    Example:
        >>> slot = AnswerSlot()
        >>> slot.swap(str.upper) is None, slot.get() is str.upper
        (True, True)
    """

    def __init__(self, function: AnswerFunction | None = None) -> None:
        self._lock = threading.Lock()
        self._function = function

    def get(self) -> AnswerFunction | None:
        """The current answer function."""
        with self._lock:
            return self._function

    def swap(self, function: AnswerFunction | None) -> AnswerFunction | None:
        """Set ``function`` and return the one it replaces."""
        with self._lock:
            previous, self._function = self._function, function
            return previous


class RequestWindow:
    """The emulator's request-rate limit: at most ``rpm`` requests admitted in any ``window`` seconds.

    Example:
        >>> window = RequestWindow(rpm=2, window=60.0)
        >>> window.admit(0.0), window.admit(1.0), window.admit(2.0)
        (None, None, 58)
    """

    def __init__(self, rpm: int | None = None, window: float = 60.0) -> None:
        self._lock = threading.Lock()
        self._times: deque[float] = deque()
        self.set(rpm, window)

    def set(self, rpm: int | None, window: float = 60.0) -> None:
        """Change the limit (None: no limit) and forget the requests admitted so far."""
        with self._lock:
            self.rpm, self.window = rpm, window
            self._times.clear()

    def admit(self, now: float) -> int | None:
        """None if a request arriving at ``now`` is admitted (and counted), else the whole seconds to wait."""
        with self._lock:
            if self.rpm is None:
                return None
            while self._times and self._times[0] <= now - self.window:
                self._times.popleft()
            if len(self._times) < self.rpm:
                self._times.append(now)
                return None
            return max(1, math.ceil(self._times[0] + self.window - now))


@dataclass
class EmulatorState:
    """Everything the app needs from its emulator."""

    settings: Settings
    journal: Journal = field(default_factory=Journal)
    faults: FaultQueue = field(default_factory=FaultQueue)
    window: RequestWindow = field(default_factory=RequestWindow)
    answer: AnswerSlot = field(default_factory=AnswerSlot)
    #: The realtime endpoint's settings, faults and journal.
    realtime: RealtimeState = field(default_factory=RealtimeState)
    #: Set while the emulator stops: streams still playing are cut at once.
    closing: threading.Event = field(default_factory=threading.Event)
    #: The server's transport for a client address (``scope["client"]``), to reset a connection; set by the server.
    transport_for: Callable[[tuple[Any, ...]], Any] | None = None


__all__ = [
    "AUDIO_STYLES",
    "AnswerSlot",
    "AudioStyle",
    "EmulatorState",
    "Journal",
    "Settings",
]
