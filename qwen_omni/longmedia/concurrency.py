"""A bound on requests in flight, shared by every call that holds the same :class:`Slots`, or (with
:class:`ProcessSlots`) by the processes of one machine.

Unlike an ``asyncio.Semaphore``, one :class:`Slots` works across threads and event loops, so a reader, a
loader and a CLI run can share it: the bound is per object, not per call.

Example:
    >>> import asyncio
    >>> slots = Slots(2)
    >>> async def busy() -> int:
    ...     async with slots:
    ...         await asyncio.sleep(0.01)
    ...         return slots.in_use
    >>> async def main() -> list[int]:
    ...     return await asyncio.gather(*(busy() for _ in range(5)))
    >>> max(asyncio.run(main())), slots.peak
    (2, 2)
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections import deque
from pathlib import Path
from types import TracebackType
from typing import Any

from filelock import FileLock, Timeout

__all__ = ["POLL", "ProcessSlots", "Slots"]

#: Seconds between two looks for a free slot held by other processes.
POLL = 0.05


class Slots:
    """At most ``limit`` holders at once, first come first served; usable with ``with`` and ``async with``."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"the concurrency limit must be at least 1; got {limit}.")
        self.limit = limit
        self.in_use = 0
        self.peak = 0
        self._lock = threading.Lock()
        self._waiters: deque[threading.Event | tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = deque()

    def __repr__(self) -> str:
        return f"Slots(limit={self.limit}, in_use={self.in_use})"

    def _take(self) -> None:
        self.in_use += 1
        self.peak = max(self.peak, self.in_use)

    def acquire(self) -> None:
        """Block until a slot is free, then hold it."""
        with self._lock:
            if self.in_use < self.limit and not self._waiters:
                self._take()
                return
            event = threading.Event()
            self._waiters.append(event)
        event.wait()  # release() hands the slot over, already counted

    async def aacquire(self) -> None:
        """Wait (without blocking the loop) until a slot is free, then hold it."""
        loop = asyncio.get_running_loop()
        with self._lock:
            if self.in_use < self.limit and not self._waiters:
                self._take()
                return
            future: asyncio.Future[None] = loop.create_future()
            entry = (loop, future)
            self._waiters.append(entry)
        try:
            await future
        except asyncio.CancelledError:
            with self._lock:
                if entry in self._waiters:
                    self._waiters.remove(entry)
                    raise
            self.release()  # the slot was handed over as we were cancelled: pass it on
            raise

    def release(self) -> None:
        """Give the slot back (to the longest waiter, if any)."""
        with self._lock:
            while self._waiters:
                waiter = self._waiters.popleft()
                if isinstance(waiter, threading.Event):
                    waiter.set()
                    return
                loop, future = waiter
                try:
                    loop.call_soon_threadsafe(_hand_over, future, self)
                except RuntimeError:  # its event loop is closed: the next waiter gets the slot
                    continue
                return
            self.in_use -= 1

    def __enter__(self) -> Slots:
        self.acquire()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()

    async def __aenter__(self) -> Slots:
        await self.aacquire()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def _hand_over(future: asyncio.Future[None], slots: Slots) -> None:
    if future.cancelled():  # its waiter gave up after it was chosen: the slot goes to the next
        slots.release()
    else:
        future.set_result(None)


class ProcessSlots(Slots):
    """At most ``limit`` holders at once across every process of this machine that uses the same ``folder``.

    Each slot is a lock file, ``<folder>/<name>-<n>.lock``, held with ``filelock`` (an operating-system lock, so
    the slots of a process that dies are free at once). A holder first takes one of this process's ``limit``
    slots (first come, first served, as :class:`Slots`), then the first free lock file, looking again every
    :data:`POLL` seconds while the other processes hold them all (without blocking the event loop). It pickles
    as its limit and folder, so copies sent to worker processes share the bound.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     first, other = ProcessSlots(1, folder), ProcessSlots(1, folder)  # as two processes would
        ...     with first:
        ...         free = other.try_acquire()
        ...     free, other.try_acquire(), other.release()
        (False, True, None)
    """

    def __init__(self, limit: int, folder: str | os.PathLike[str], *, name: str = "requests") -> None:
        super().__init__(limit)
        self.folder = Path(folder).expanduser()
        self.name = name
        self._held: list[FileLock] = []
        self._files = threading.Lock()

    def __repr__(self) -> str:
        return f"ProcessSlots(limit={self.limit}, folder={str(self.folder)!r}, in_use={self.in_use})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_process_slots, (self.limit, str(self.folder), self.name))

    def _take_file(self) -> bool:
        self.folder.mkdir(parents=True, exist_ok=True)
        for number in range(self.limit):
            lock = FileLock(str(self.folder / f"{self.name}-{number}.lock"), thread_local=False)
            try:
                lock.acquire(timeout=0)  # flock(LOCK_NB): never waits
            except Timeout:
                continue
            with self._files:
                self._held.append(lock)
            return True
        return False

    def try_acquire(self) -> bool:
        """Take a slot if one is free here and in the other processes, without waiting."""
        with self._lock:
            if self.in_use >= self.limit or self._waiters:
                return False
            self._take()
        if self._take_file():
            return True
        Slots.release(self)
        return False

    def acquire(self) -> None:
        """Block until a slot is free here and in the other processes, then hold it."""
        super().acquire()
        try:
            while not self._take_file():
                time.sleep(POLL)
        except BaseException:
            Slots.release(self)
            raise

    async def aacquire(self) -> None:
        """Wait (without blocking the loop) until a slot is free here and in the other processes, then hold it."""
        await super().aacquire()
        try:
            while not self._take_file():  # noqa: ASYNC110 (another process frees it: no event to wait on)
                await asyncio.sleep(POLL)
        except BaseException:
            Slots.release(self)
            raise

    def release(self) -> None:
        """Give the slot back: its lock file, then this process's slot."""
        with self._files:
            lock = self._held.pop() if self._held else None
        if lock is not None:
            lock.release()
        super().release()


def _process_slots(limit: int, folder: str, name: str) -> ProcessSlots:
    return ProcessSlots(limit, folder, name=name)
