"""One budget of tries for a unit of work, shared by the client's own retries and its caller's.

The client retries a transient failure itself (:mod:`.retry`); a caller such as the long-media pipeline may retry
the whole request again. Without a shared count the two multiply: two client retries inside three pipeline tries
is nine requests for a segment that always fails. :func:`retry_budget` sets a :class:`RetryBudget` for the code
inside it (a context variable, so it follows the call into the client, across ``await`` and ``asyncio.to_thread``),
and every retry, the client's or the caller's, takes from it:

- ``retries``: tries after a failure that is not a rate limit (5xx, a broken connection or stream);
- ``rate_waits``: tries after a 429 of the request rate, which only asks to wait (an exhausted quota is never
  retried).

So a unit of work sends at most ``1 + retries + rate_waits`` requests, whoever retries.

Example:
    >>> from qwen_omni.errors import ServerError
    >>> with retry_budget(retries=1) as budget:
    ...     first, second = take_retry(ServerError("boom")), take_retry(ServerError("boom"))
    >>> first, second, budget.used
    (True, False, 1)
    >>> take_retry(ServerError("no budget set: the client's own policy decides"))
    True
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from .errors import QwenOmniError, RateLimitError

__all__ = ["RetryBudget", "current_budget", "retry_budget", "take_retry"]


@dataclass
class RetryBudget:
    """Tries left for one unit of work (see the module docstring); safe to share between threads."""

    retries: int
    rate_waits: int = 8
    used: int = 0
    waited: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def take(self, error: QwenOmniError) -> bool:
        """Whether one more try may follow ``error``; if so, it is counted."""
        with self._lock:
            if isinstance(error, RateLimitError) and error.code != "insufficient_quota":
                if self.waited >= self.rate_waits:
                    return False
                self.waited += 1
                return True
            if self.used >= self.retries:
                return False
            self.used += 1
            return True


_CURRENT: ContextVar[RetryBudget | None] = ContextVar("qwen_omni_retry_budget", default=None)


def current_budget() -> RetryBudget | None:
    """The budget set by the innermost :func:`retry_budget`, or None."""
    return _CURRENT.get()


def take_retry(error: QwenOmniError) -> bool:
    """Whether the budget in force (if any) allows one more try after ``error``, counting it."""
    budget = _CURRENT.get()
    return True if budget is None else budget.take(error)


@contextmanager
def retry_budget(*, retries: int, rate_waits: int = 8) -> Iterator[RetryBudget]:
    """A fresh :class:`RetryBudget` for the code inside the ``with`` block."""
    if retries < 0 or rate_waits < 0:
        raise ValueError(f"retries and rate_waits must be 0 or more; got {retries}, {rate_waits}.")
    budget = RetryBudget(retries, rate_waits)
    token = _CURRENT.set(budget)
    try:
        yield budget
    finally:
        _CURRENT.reset(token)
