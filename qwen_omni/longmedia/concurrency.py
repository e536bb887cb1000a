"""A bound on requests in flight, shared by every call that holds the same :class:`Slots`.

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
import threading
from collections import deque
from types import TracebackType

__all__ = ["Slots"]


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
