"""The state one emulator shares between its server thread and its owner: settings, the journal of received
requests, and the queue of injected faults.

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
from typing import Any, Literal

from .faults import FaultQueue
from .received import ReceivedRequest

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

    def __post_init__(self) -> None:
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


@dataclass
class EmulatorState:
    """Everything the app needs from its emulator."""

    settings: Settings
    journal: Journal = field(default_factory=Journal)
    faults: FaultQueue = field(default_factory=FaultQueue)
    #: Set while the emulator stops: streams still playing are cut at once.
    closing: threading.Event = field(default_factory=threading.Event)
    #: The server's transport for a client address (``scope["client"]``), to reset a connection; set by the server.
    transport_for: Callable[[tuple[Any, ...]], Any] | None = None


__all__ = [
    "AUDIO_STYLES",
    "AudioStyle",
    "EmulatorState",
    "Journal",
    "Settings",
]
