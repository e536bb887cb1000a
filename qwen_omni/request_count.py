"""How many HTTP requests a block of code sent, the client's own retries included.

A caller that wants to tell its user how many requests something took (the long-media pipeline and its CLI
commands: "(17 requests)") counts them with :func:`counting_requests`; every attempt an
:class:`~qwen_omni.OmniClient` sends inside the block, in this thread or task and the tasks it starts, is counted.

Example:
    >>> from qwen_omni import Message, OmniClient
    >>> from qwen_omni.emulator import Emulator, Fault
    >>> with Emulator() as emu, OmniClient(api_key="sk-test", base_url=emu.base_url) as client:
    ...     emu.inject(Fault(status=503))
    ...     with counting_requests() as count:
    ...         _ = client.complete([Message("user", "Hi")])
    >>> count.sent
    2
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["RequestCount", "count_request", "counting_requests"]


class RequestCount:
    """The requests sent inside a :func:`counting_requests` block so far (safe to update from any thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.sent = 0

    def add(self) -> None:
        with self._lock:
            self.sent += 1

    def __repr__(self) -> str:
        return f"RequestCount(sent={self.sent})"


_COUNTS: contextvars.ContextVar[tuple[RequestCount, ...]] = contextvars.ContextVar("qwen_omni_counts", default=())


@contextmanager
def counting_requests() -> Iterator[RequestCount]:
    """Count the HTTP requests sent inside this block (blocks nest: each counts what is sent inside it)."""
    count = RequestCount()
    reset = _COUNTS.set((*_COUNTS.get(), count))
    try:
        yield count
    finally:
        _COUNTS.reset(reset)


def count_request() -> None:
    """One request is being sent (the client calls this before every attempt)."""
    for count in _COUNTS.get():
        count.add()
