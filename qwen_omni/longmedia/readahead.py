"""How far a load may run ahead of its caller: at most ``limit`` segment requests sent for documents not yet taken.

A lazy load (``lazy_load_data``, ``lazy_load``, ``async for``) hands documents out in order, one recording after the
other. Without a bound its requests would run ahead of the caller through the whole directory; with
:class:`ReadAhead` a segment request is sent only while fewer than ``limit`` segments are sent (or in flight) whose
documents the caller has not taken yet. Each recording is an *owner*; the one whose documents the caller is taking
is the head. Recordings after it may run ahead too (several are read at once), but together they hold at most
``limit - 1`` places, so the head always has one: documents are handed out in order, and a head that waited on
places held by later recordings would wait forever.

Example:
    >>> import asyncio
    >>> async def main() -> list[int]:
    ...     ahead = ReadAhead(2)
    ...     await ahead.take(0, 0); await ahead.take(0, 1)   # two requests ahead of the caller: full
    ...     waiting = asyncio.ensure_future(ahead.take(0, 2))
    ...     await asyncio.sleep(0)
    ...     ahead.give_back(0, 0)                           # the caller took segment 0's document
    ...     await waiting
    ...     return sorted(ahead.held(0))
    >>> asyncio.run(main())
    [1, 2]
"""

from __future__ import annotations

import asyncio
import threading

__all__ = ["ReadAhead"]


class ReadAhead:
    """At most ``limit`` segments sent ahead of the caller, over every recording of one load (module docstring).

    ``stalls`` counts the times a request waited for the caller, and :meth:`wait_full` lets another thread wait
    until every place is held (what a test uses to prove the bound with events, not timing).
    """

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"the read-ahead limit must be at least 1; got {limit}.")
        self.limit = limit
        self.head = 0
        self.stalls = 0
        self._held: dict[int, set[int]] = {}
        self._changed: asyncio.Condition | None = None
        self._observed = threading.Condition()

    def __repr__(self) -> str:
        return f"ReadAhead(limit={self.limit}, held={self.in_use})"

    def held(self, owner: int) -> set[int]:
        """The segments of ``owner`` sent (or being sent) whose documents the caller has not taken."""
        return set(self._held.get(owner, ()))

    def _condition(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    def _may_take(self, owner: int) -> bool:
        if self.in_use >= self.limit:
            return False
        if owner == self.head:
            return True
        later = sum(len(v) for k, v in self._held.items() if k != self.head)
        return later + 1 <= self.limit - 1

    async def take(self, owner: int, index: int) -> None:
        """Wait for a place, then hold it for segment ``index`` of recording ``owner``."""
        changed = self._condition()
        async with changed:
            if not self._may_take(owner):
                with self._observed:
                    self.stalls += 1
                    self._observed.notify_all()
                await changed.wait_for(lambda: self._may_take(owner))
            self._held.setdefault(owner, set()).add(index)
        with self._observed:
            self._observed.notify_all()

    @property
    def in_use(self) -> int:
        """Places held: segments sent (or being sent) whose documents the caller has not taken."""
        return sum(len(v) for v in self._held.values())

    def wait_full(self, timeout: float) -> bool:
        """Block (in another thread) until every place is held; True if that happened within ``timeout``."""
        with self._observed:
            return self._observed.wait_for(lambda: self.in_use >= self.limit, timeout)

    def give_back(self, owner: int, index: int) -> None:
        """The caller took segment ``index``'s document (a place never taken is ignored)."""
        held = self._held.get(owner)
        if held is None or index not in held:
            return
        held.discard(index)
        self._notify()

    def finished(self, owner: int) -> None:
        """The caller took every document of ``owner``: the next recording is the head, and any place ``owner``
        still held (a segment with no document) is free."""
        self._held.pop(owner, None)
        self.head = max(self.head, owner + 1)
        self._notify()

    def _notify(self) -> None:
        changed = self._changed
        if changed is None:
            return

        async def wake() -> None:
            async with changed:
                changed.notify_all()

        task = asyncio.get_running_loop().create_task(wake())
        _WAKING.add(task)
        task.add_done_callback(_WAKING.discard)


#: Wake-ups in flight (the loop keeps only weak references to tasks).
_WAKING: set[asyncio.Task[None]] = set()
