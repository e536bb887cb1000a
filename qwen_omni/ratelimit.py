"""A request and token budget shared by every request of one :class:`~qwen_omni.OmniClient`.

Qwen-Omni's documented quota is 60 requests and 100,000 tokens a minute, account-wide (rate-limit page,
see the reference). A :class:`RateLimiter` given to ``OmniClient(rate_limiter=...)`` makes every request
of that client wait for room in both budgets before it is sent, instead of failing with HTTP 429; a 429
that does arrive (another program sharing the key) pauses it for the server's ``Retry-After``.

The budgets are pyrate-limiter buckets (sliding-window logs). Their store is pluggable: the default keeps
them in this process; :class:`RedisBackend` keeps them in Redis, so several processes using one key share
one budget; any ``(rates, name) -> pyrate_limiter.AbstractBucket`` function plugs another store (SQLite,
Postgres, ...). Tokens are counted in units of :data:`TOKEN_UNIT` so that a window log holds at most about
a thousand entries a minute.

The tokens a request will use are not known before it is answered. A caller that knows better (the
long-media pipeline estimates each segment from the documented token rates) says so with
:meth:`RateLimiter.expect`; otherwise :func:`estimate_payload_tokens` guesses from the payload.

Example:
    >>> limiter = RateLimiter(rpm=2, tpm=10_000, window=0.2)
    >>> payload = {"messages": [{"role": "user", "content": "Hi"}]}
    >>> for _ in range(3):
    ...     limiter.acquire(payload)  # the third waits for the 0.2 s window to move on
    >>> limiter.requests, limiter.waited > 0.1
    (3, True)
"""

from __future__ import annotations

import asyncio
import contextvars
import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from pyrate_limiter import AbstractBucket, InMemoryBucket, Limiter, Rate, RedisBucket

from .errors import RateLimitError

if TYPE_CHECKING:
    from redis import Redis

__all__ = [
    "DEFAULT_RPM",
    "DEFAULT_TPM",
    "TOKEN_UNIT",
    "BucketBackend",
    "InMemoryBackend",
    "RateLimiter",
    "RedisBackend",
    "RequestBudget",
    "estimate_payload_tokens",
]

#: Requests a minute of the documented quota (qwen3-omni-flash, qwen-omni-turbo; Qwen3.5-Omni is not listed).
DEFAULT_RPM = 60
#: Tokens a minute of the documented quota.
DEFAULT_TPM = 100_000
#: Tokens per entry of the token budget's window log.
TOKEN_UNIT = 100
#: Tokens assumed per media part by :func:`estimate_payload_tokens` (a rough figure; see its docstring).
MEDIA_PART_TOKENS = 1_000
#: Pause after a 429 that gives no ``Retry-After``.
DEFAULT_PAUSE = 1.0

_EXPECTED: contextvars.ContextVar[int | None] = contextvars.ContextVar("qwen_omni_expected_tokens", default=None)


class RequestBudget(Protocol):
    """What :class:`~qwen_omni.OmniClient` asks of its ``rate_limiter``: wait before each attempt, hear of 429s."""

    def acquire(self, payload: Mapping[str, Any]) -> None: ...

    async def aacquire(self, payload: Mapping[str, Any]) -> None: ...

    def slow_down(self, retry_after: float | None) -> None: ...


BucketBackend = Callable[[list[Rate], str], AbstractBucket]
"""Makes the bucket of one budget: ``(rates, name) -> bucket``; ``name`` is ``"<key>:requests"`` or ``":tokens"``."""


class InMemoryBackend:
    """Budgets kept in this process (shared by its threads and event loops only)."""

    def __call__(self, rates: list[Rate], name: str) -> AbstractBucket:
        return InMemoryBucket(rates)

    def __repr__(self) -> str:
        return "InMemoryBackend()"


class RedisBackend:
    """Budgets kept in Redis, so that every process using the same Redis and key shares them.

    For example ``RateLimiter(backend=RedisBackend(redis.Redis(port=6379)), key="team-a")`` in every worker
    process gives them one budget of 60 requests a minute between them.
    """

    def __init__(self, redis: Redis, *, prefix: str = "qwen-omni") -> None:
        self.redis = redis
        self.prefix = prefix

    def __call__(self, rates: list[Rate], name: str) -> AbstractBucket:
        bucket = RedisBucket.init(rates, self.redis, f"{self.prefix}:{name}")
        assert isinstance(bucket, AbstractBucket)
        return bucket

    def __repr__(self) -> str:
        return f"RedisBackend(prefix={self.prefix!r})"


def estimate_payload_tokens(payload: Mapping[str, Any]) -> int:
    """A rough guess of a request's tokens when nobody said better: text characters / 4, plus
    :data:`MEDIA_PART_TOKENS` per media part, plus ``max_tokens`` when set.

    Example:
        >>> estimate_payload_tokens({"messages": [{"role": "user", "content": "x" * 400}], "max_tokens": 50})
        150
    """
    characters, media = 0, 0
    for message in payload.get("messages") or ():
        content = message.get("content") if isinstance(message, Mapping) else None
        if isinstance(content, str):
            characters += len(content)
        elif isinstance(content, list):
            for part in content:
                if isinstance(part, Mapping) and part.get("type") == "text":
                    characters += len(str(part.get("text", "")))
                else:
                    media += 1
    out = payload.get("max_tokens") or payload.get("max_completion_tokens") or 0
    return math.ceil(characters / 4) + media * MEDIA_PART_TOKENS + int(out)


class RateLimiter:
    """Waits so that requests stay within ``rpm`` requests and ``tpm`` tokens per ``window`` seconds.

    Args:
        rpm: requests per window (the documented quota: 60 a minute).
        tpm: tokens per window (the documented quota: 100,000 a minute); None for no token budget.
        window: the window in seconds (60; a shorter one scales the quota down, for benchmarks and tests).
        backend: where the budgets live (:class:`InMemoryBackend` by default, :class:`RedisBackend` to share
            them between processes, or any ``(rates, name) -> bucket`` function).
        key: the budgets' name in a shared backend: processes with the same key share one budget.
        max_wait: give up (raising :class:`~qwen_omni.errors.RateLimitError`) after waiting this long for
            one request; None waits as long as it takes.
        slack: seconds added to the window (default 2 % of it). The limiter counts requests when they start;
            the server counts them when they arrive, which a large upload or a busy machine delays.

    One limiter may be shared by several clients, threads and event loops. A 429 reported through
    :meth:`slow_down` pauses this process's requests; other processes sharing the backend slow down when
    they receive their own 429s.
    """

    def __init__(
        self,
        rpm: int = DEFAULT_RPM,
        tpm: int | None = DEFAULT_TPM,
        *,
        window: float = 60.0,
        backend: BucketBackend | None = None,
        key: str = "qwen-omni",
        max_wait: float | None = 600.0,
        slack: float | None = None,
    ) -> None:
        if rpm < 1 or (tpm is not None and tpm < 1) or window <= 0 or (slack is not None and slack < 0):
            raise ValueError(
                f"rpm and tpm must be at least 1, window positive, slack 0 or more; got {rpm}, {tpm}, {window}."
            )
        self.rpm, self.tpm, self.window, self.key, self.max_wait = rpm, tpm, window, key, max_wait
        self.slack = window * 0.02 if slack is None else slack
        make = backend or InMemoryBackend()
        interval = max(1, round((window + self.slack) * 1000))
        self._requests = Limiter(make([Rate(rpm, interval)], f"{key}:requests"))
        self._token_units = math.ceil(tpm / TOKEN_UNIT) if tpm is not None else None
        self._tokens = (
            Limiter(make([Rate(self._token_units, interval)], f"{key}:tokens")) if self._token_units else None
        )
        self._lock = threading.Lock()
        self._paused_until = 0.0
        #: Requests let through, seconds spent waiting in all, and pauses after a 429.
        self.requests, self.waited, self.pauses = 0, 0.0, 0

    def __repr__(self) -> str:
        return f"RateLimiter(rpm={self.rpm}, tpm={self.tpm}, window={self.window:g}, key={self.key!r})"

    @contextmanager
    def expect(self, tokens: int) -> Iterator[None]:
        """Count ``tokens`` for the requests made inside this block (in this thread or task) instead of a guess.

        Example:
            >>> limiter = RateLimiter()
            >>> with limiter.expect(2_000):
            ...     limiter.weight({})
            20
        """
        reset = _EXPECTED.set(tokens)
        try:
            yield
        finally:
            _EXPECTED.reset(reset)

    def weight(self, payload: Mapping[str, Any]) -> int:
        """The token units one request counts for (at most the whole token budget)."""
        expected = _EXPECTED.get()
        tokens = expected if expected is not None else estimate_payload_tokens(payload)
        units = max(1, math.ceil(tokens / TOKEN_UNIT))
        return min(units, self._token_units) if self._token_units else units

    def _pause_left(self) -> float:
        with self._lock:
            return max(0.0, self._paused_until - time.monotonic())

    def _give_up(self, waited: float) -> RateLimitError:
        return RateLimitError(
            f"Waited {waited:.0f} s for room in the rate budget ({self.rpm} requests, {self.tpm} tokens per "
            f"{self.window:g} s) and gave up (max_wait={self.max_wait}). Raise max_wait, or send less at once.",
            code="limit_requests",
        )

    def _timeout(self, started: float) -> float:
        if self.max_wait is None:
            return -1
        left = self.max_wait - (time.monotonic() - started)
        if left <= 0:
            raise self._give_up(time.monotonic() - started)
        return left

    def acquire(self, payload: Mapping[str, Any]) -> None:
        """Block until one request with ``payload`` fits both budgets (and any pause is over)."""
        started = time.monotonic()
        while (pause := self._pause_left()) > 0:
            self._timeout(started)
            time.sleep(pause)
        weight = self.weight(payload)
        limiters = [(self._requests, 1), *([(self._tokens, weight)] if self._tokens else [])]
        for limiter, units in limiters:
            if not limiter.try_acquire(self.key, weight=units, blocking=True, timeout=self._timeout(started)):
                raise self._give_up(time.monotonic() - started)
        self._count(started)

    async def aacquire(self, payload: Mapping[str, Any]) -> None:
        """The async form of :meth:`acquire` (the event loop runs on while it waits)."""
        started = time.monotonic()
        while (pause := self._pause_left()) > 0:
            self._timeout(started)
            await asyncio.sleep(pause)
        weight = self.weight(payload)
        limiters = [(self._requests, 1), *([(self._tokens, weight)] if self._tokens else [])]
        for limiter, units in limiters:
            if not await limiter.try_acquire_async(
                self.key, weight=units, blocking=True, timeout=self._timeout(started)
            ):
                raise self._give_up(time.monotonic() - started)
        self._count(started)

    def _count(self, started: float) -> None:
        with self._lock:
            self.requests += 1
            self.waited += time.monotonic() - started

    def slow_down(self, retry_after: float | None) -> None:
        """A 429 arrived: hold back every request of this limiter for ``retry_after`` seconds (1 s if unknown)."""
        seconds = retry_after if retry_after is not None and retry_after >= 0 else DEFAULT_PAUSE
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)
            self.pauses += 1

    def close(self) -> None:
        """Stop the buckets' background cleanup (the limiter cannot be used afterwards)."""
        self._requests.close()
        if self._tokens is not None:
            self._tokens.close()
