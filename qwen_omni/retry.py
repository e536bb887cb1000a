"""When to try a failed request again, and how long to wait first.

A failure is retried only while nothing has reached the caller, only if it is transient (a broken connection,
a protocol error, 408, 409, 429 other than an exhausted quota, 5xx), and only if the wait ends before the call's
deadline. The wait is the server's ``Retry-After`` when it sends one (``retry-after-ms``, seconds, or an HTTP date;
anything else is ignored), else exponential backoff with jitter. A server that asks for a longer wait than
:attr:`RetryPolicy.max_retry_after` is not retried early: its error is raised, carrying the wait in
``retry_after``.

Example:
    >>> parse_retry_after({"retry-after": "2"}), parse_retry_after({"retry-after": "soon"})
    (2.0, None)
    >>> policy = RetryPolicy(max_retry_after=60)
    >>> policy.delay(0, retry_after=3.0), policy.delay(0, retry_after=120.0)
    (3.0, None)
"""

from __future__ import annotations

import datetime
import email.utils
import math
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import (
    APIConnectionError,
    APIError,
    APIProtocolError,
    APITimeoutError,
    IncompleteResponseError,
    InvalidRequestError,
    QwenOmniError,
    RateLimitError,
    ServerError,
    StreamErrorEvent,
)

__all__ = ["RETRYABLE_STATUS", "RetryPolicy", "is_transient", "parse_retry_after"]

#: HTTP statuses worth another try (as openai-python's ``_should_retry``).
RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before trying again.

    The n-th retry waits ``initial_delay * 2**n`` seconds (at most ``max_delay``) less up to 25 % jitter,
    or what the server's ``Retry-After`` asks if that is at most ``max_retry_after``; a longer ask is not retried.

    Example:
        >>> 0.375 <= RetryPolicy(initial_delay=0.5).delay(0) <= 0.5
        True
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def __post_init__(self) -> None:
        if isinstance(self.max_retries, bool) or not isinstance(self.max_retries, int) or self.max_retries < 0:
            raise InvalidRequestError(
                f"max_retries must be a whole number, 0 or more (0: never retry); got {self.max_retries!r}."
            )
        for name in ("initial_delay", "max_delay", "max_retry_after"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or isinstance(value, bool) or not value >= 0:
                raise InvalidRequestError(f"{name} must be a number of seconds, 0 or more; got {value!r}.")

    def delay(self, attempt: int, retry_after: float | None = None) -> float | None:
        """Seconds to wait before retry number ``attempt + 1``; None when the server asks for more than the cap."""
        if retry_after is not None:
            return retry_after if retry_after <= self.max_retry_after else None
        backoff = min(self.initial_delay * 2.0**attempt, self.max_delay)
        return backoff * (1 - 0.25 * random.random())


def is_transient(error: QwenOmniError) -> bool:
    """True for failures that another try may cure (it says nothing about whether a delta was delivered)."""
    if isinstance(error, RateLimitError) and error.kind == "quota":
        return False  # "Allocated quota exceeded": retrying does not help
    if isinstance(error, APITimeoutError):
        return False  # the deadline covers every attempt: a timeout leaves no time for another
    if isinstance(error, APIConnectionError | ServerError | IncompleteResponseError | APIProtocolError):
        return True
    return (
        isinstance(error, APIError)
        and not isinstance(error, StreamErrorEvent)
        and error.status_code in RETRYABLE_STATUS
    )


def parse_retry_after(headers: Mapping[str, str] | None, *, now: float | None = None) -> float | None:
    """The wait a response asks for, in seconds: ``retry-after-ms``, else ``Retry-After`` as seconds or as an
    HTTP date. A value that is none of these (``"soon"``), negative or NaN is ignored (None); a number too
    large for a float is an infinite wait.

    Example:
        >>> parse_retry_after({"retry-after-ms": "1500"})
        1.5
        >>> parse_retry_after({"retry-after": "Thu, 01 Jan 1970 00:01:40 GMT"}, now=40.0)
        60.0
    """
    if headers is None:
        return None
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) / divisor
        except ValueError:
            continue
        if seconds == math.inf:
            return math.inf  # an overflowing number is an excessive wait, not a malformed one
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    return _http_date_wait(headers.get("retry-after"), time.time() if now is None else now)


def _http_date_wait(value: str | None, now: float) -> float | None:
    if not value:
        return None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; "-0000" parses as naive
        when = when.replace(tzinfo=datetime.UTC)
    return max(0.0, when.timestamp() - now)
