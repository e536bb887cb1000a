"""The state one emulator shares between its server thread and its owner: settings, the journal of received
requests, the queue of injected faults, and the answer function (:mod:`.script`), if any.

Example:
    >>> settings = Settings(api_key="sk-secret")
    >>> "sk-secret" in repr(settings)
    False
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from .faults import FaultQueue
from .limits import RateGate
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
    #: Bodies over this many bytes are refused with a 413 (read as a stream, never held whole beyond it).
    max_body_bytes: int = 128 * 1024 * 1024
    #: Seconds a request's whole body may take to arrive; a slower or stalled upload gets a 408.
    body_timeout: float = 60.0

    def __post_init__(self) -> None:
        if self.max_body_bytes < 1 or self.body_timeout <= 0:
            raise ValueError(
                f"max_body_bytes and body_timeout must be positive; got {self.max_body_bytes}, {self.body_timeout}."
            )
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


@dataclass
class EmulatorState:
    """Everything the app needs from its emulator."""

    settings: Settings
    journal: Journal = field(default_factory=Journal)
    faults: FaultQueue = field(default_factory=FaultQueue)
    limits: RateGate = field(default_factory=RateGate)
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
