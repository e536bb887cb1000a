"""The request and token budget of an :class:`~qwen_omni.OmniClient`, with an adaptive pace.

Every client has one: without ``rate_limiter=``, ``RateLimiter(rpm=None, tpm=None)``, a pace that starts at two
requests a second, climbs while the server answers, and learns the account's limit from its 429s. Give a
:class:`RateLimiter` the quota (the documented one, 60 requests and 100,000 tokens a minute, is
``RateLimiter()``) and it never goes over it: requests are spaced evenly, never more than RPM/60 a second (which
DashScope enforces too), the pace starts at a quarter of the quota and ramps up (DashScope's burst guard refuses
a rate that climbs too fast), and a 429 that still arrives pauses every request of the limiter, in flight and
waiting, for the server's ``Retry-After``, and halves the pace (:mod:`.pace`). An "Allocated quota exceeded" 429
fails at once (:attr:`~qwen_omni.errors.RateLimitError.kind` ``"quota"``): waiting does not cure it.

The budgets live in a backend (:mod:`.budget_backends`): this process by default; a SQLite file that the
processes of one machine share (:class:`SQLiteBackend`, e.g. in the long-media cache folder); or Redis, shared
across machines (:class:`RedisBackend`). Every backend operation ends by the call's deadline; a failing store
raises :class:`~qwen_omni.errors.RateLimiterUnavailableError` (``on_backend_error="raise"``), or, with
``on_backend_error="local"``, the limiter warns once and goes on with a budget in this process, trying the
store again every :data:`BACKEND_RECHECK` seconds.

Tokens are counted in units of :data:`TOKEN_UNIT`. The tokens a request will use are not known before it is
answered: a caller that knows better (the long-media pipeline estimates each segment) says so with
:meth:`RateLimiter.expect`; otherwise :func:`estimate_payload_tokens` guesses from the payload.

Example:
    >>> limiter = RateLimiter(rpm=600, tpm=None, window=60.0)  # ten a second at most, evenly spaced
    >>> payload = {"messages": [{"role": "user", "content": "Hi"}]}
    >>> for _ in range(3):
    ...     limiter.acquire(payload, within=5.0)
    >>> limiter.requests, limiter.waited > 0.3  # the pace starts at a quarter of the quota: 2.5 a second
    (3, True)
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable, Generator, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from pyrate_limiter import Rate

from .budget_backends import (
    DEFAULT_BACKEND_TIMEOUT,
    BudgetBackend,
    InMemoryBackend,
    RedisBackend,
    SQLiteBackend,
    Taken,
)
from .errors import RateLimitError, RateLimiterUnavailableError, RateLimitKind
from .pace import DECREASE, OPEN_PERIOD, PaceRule, PaceState

__all__ = [
    "BACKEND_RECHECK",
    "DEFAULT_BACKEND_TIMEOUT",
    "DEFAULT_RPM",
    "DEFAULT_TPM",
    "TOKEN_UNIT",
    "BudgetBackend",
    "InMemoryBackend",
    "OnBackendError",
    "RateLimiter",
    "RedisBackend",
    "RequestBudget",
    "SQLiteBackend",
    "Unlimited",
    "estimate_payload_tokens",
]

logger = logging.getLogger("qwen_omni")

#: Requests a minute of the documented quota (qwen3-omni-flash, qwen-omni-turbo; Qwen3.5-Omni is not listed).
DEFAULT_RPM = 60
#: Tokens a minute of the documented quota.
DEFAULT_TPM = 100_000
#: Tokens per entry of the token budget's window log.
TOKEN_UNIT = 100
#: Tokens assumed per media part by :func:`estimate_payload_tokens` (a rough figure; see its docstring).
MEDIA_PART_TOKENS = 1_000
#: Slack added to the window, as a fraction of it (see ``RateLimiter(slack=)``).
SLACK_FRACTION = 0.05
#: Seconds before a limiter that fell back to a local budget tries its shared store again.
BACKEND_RECHECK = 30.0

OnBackendError = Literal["raise", "local"]

_EXPECTED: contextvars.ContextVar[int | None] = contextvars.ContextVar("qwen_omni_expected_tokens", default=None)


class RequestBudget(Protocol):
    """What :class:`~qwen_omni.OmniClient` asks of its ``rate_limiter``.

    ``acquire`` / ``aacquire`` wait before each attempt (at most ``within`` seconds, the time the call has
    left); ``admitted`` hears that the server accepted one; ``slow_down`` hears of a 429 of the request rate or
    the burst guard (its kind and the server's wait) and answers how long it holds every request back (None if it
    does not: the retry then waits the client's own backoff).
    """

    def acquire(self, payload: Mapping[str, Any], *, within: float | None = None) -> None: ...

    async def aacquire(self, payload: Mapping[str, Any], *, within: float | None = None) -> None: ...

    def admitted(self) -> None: ...

    def slow_down(self, retry_after: float | None, kind: RateLimitKind = "requests") -> float | None: ...


class Unlimited:
    """A budget that never waits: for a client whose requests are paced elsewhere (an upstream gateway, a batch
    service), or a test of the transport itself. ``OmniClient(rate_limiter=Unlimited())``.

    Example:
        >>> Unlimited().acquire({"messages": []})
    """

    def __repr__(self) -> str:
        return "Unlimited()"

    def acquire(self, payload: Mapping[str, Any], *, within: float | None = None) -> None:
        """Return at once."""

    async def aacquire(self, payload: Mapping[str, Any], *, within: float | None = None) -> None:
        """Return at once."""

    def admitted(self) -> None:
        """Nothing to learn."""

    def slow_down(self, retry_after: float | None, kind: RateLimitKind = "requests") -> float | None:
        """Nothing to slow down: the client's retry policy alone decides."""
        return None


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


@dataclass(frozen=True)
class _Sleep:
    seconds: float


@dataclass(frozen=True)
class _Take:
    pass


@dataclass(frozen=True)
class _Tokens:
    weight: int


_Step = _Sleep | _Take | _Tokens


def _send(steps: Generator[_Step, Any, None], answer: object) -> _Step | None:
    """The next step after answering the last one with ``answer`` (None once acquiring is done)."""
    try:
        return steps.send(answer)
    except StopIteration:
        return None


class RateLimiter:
    """Waits so that requests stay within ``rpm`` requests and ``tpm`` tokens per ``window`` seconds, at an
    adaptive pace (see the module docstring).

    Args:
        rpm: requests per window (the documented quota: 60 a minute); None when unknown: the pace starts at two
            requests a second and learns the limit from the server's 429s.
        tpm: tokens per window (the documented quota: 100,000 a minute); None for no token budget.
        window: the window in seconds (60; a shorter one scales the quota down, for benchmarks and tests).
        backend: where the budgets live: :class:`InMemoryBackend` (this process, the default),
            :class:`SQLiteBackend` (the processes of one machine) or :class:`RedisBackend` (several machines).
        key: the budgets' name in a shared backend: processes with the same key share one budget and one pace.
        max_wait: give up (raising :class:`~qwen_omni.errors.RateLimitError`) after waiting this long for one
            request; None waits as long as it takes (a call's own ``timeout`` still bounds its wait).
        slack: seconds added to the window (default 5 % of it). The limiter counts requests when they start;
            the server counts them when they arrive, which a large upload or a busy machine delays.
        on_backend_error: ``"raise"`` a :class:`~qwen_omni.errors.RateLimiterUnavailableError` when a shared
            backend fails, or ``"local"``: warn once and go on with a budget in this process.

    One limiter may be shared by several clients, threads and event loops; it pickles as its settings (a copy
    in another process shares a SQLite or Redis budget, and has its own in-memory one).
    """

    def __init__(
        self,
        rpm: int | None = DEFAULT_RPM,
        tpm: int | None = DEFAULT_TPM,
        *,
        window: float = 60.0,
        backend: BudgetBackend | None = None,
        key: str = "qwen-omni",
        max_wait: float | None = 600.0,
        slack: float | None = None,
        on_backend_error: OnBackendError = "raise",
    ) -> None:
        if (rpm is not None and rpm < 1) or (tpm is not None and tpm < 1) or window <= 0:
            raise ValueError(f"rpm and tpm must be at least 1 (or None), window positive; got {rpm}, {tpm}, {window}.")
        if (slack is not None and slack < 0) or (max_wait is not None and max_wait < 0):
            raise ValueError(f"slack and max_wait must be 0 or more; got {slack}, {max_wait}.")
        if on_backend_error not in ("raise", "local"):
            raise ValueError(f'on_backend_error must be "raise" or "local"; got {on_backend_error!r}.')
        if backend is not None and not isinstance(backend, BudgetBackend):
            raise TypeError(
                f"backend must be an InMemoryBackend, SQLiteBackend, RedisBackend or another BudgetBackend; got "
                f"{type(backend).__name__}."
            )
        self.rpm, self.tpm, self.window, self.key, self.max_wait = rpm, tpm, window, key, max_wait
        self.slack = window * SLACK_FRACTION if slack is None else slack
        self.on_backend_error: OnBackendError = on_backend_error
        self.backend: BudgetBackend = backend if backend is not None else InMemoryBackend()
        span = window + self.slack
        ceiling = rpm / span if rpm is not None else None
        self.rule = PaceRule(ceiling, window / 6 if rpm is not None else OPEN_PERIOD)
        self._seen = self.rule.initial(time.time())
        self._token_units = math.ceil(tpm / TOKEN_UNIT) if tpm is not None else None
        self._token_rate = Rate(self._token_units, max(1, round(span * 1000))) if self._token_units else None
        self._lock = threading.Lock()
        self._paused_until = 0.0
        self._local: InMemoryBackend | None = None
        self._local_until = 0.0
        #: Requests let through, seconds spent waiting in all, pauses after a 429, and falls back to a local budget.
        self.requests, self.waited, self.pauses, self.fallbacks = 0, 0.0, 0, 0

    def __repr__(self) -> str:
        return (
            f"RateLimiter(rpm={self.rpm}, tpm={self.tpm}, window={self.window:g}, key={self.key!r}, "
            f"backend={self.backend!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        settings = {
            "window": self.window, "backend": self.backend, "key": self.key, "max_wait": self.max_wait,
            "slack": self.slack, "on_backend_error": self.on_backend_error,
        }  # fmt: skip
        return (_restore, (self.rpm, self.tpm, settings))

    def with_backend(self, backend: BudgetBackend) -> RateLimiter:
        """A limiter with the same limits and key whose budgets live in ``backend`` (e.g. to share them).

        Example:
            >>> import tempfile
            >>> with tempfile.TemporaryDirectory() as folder:
            ...     RateLimiter(rpm=30).with_backend(SQLiteBackend(folder)).rpm
            30
        """
        return RateLimiter(
            self.rpm, self.tpm, window=self.window, backend=backend, key=self.key, max_wait=self.max_wait,
            slack=self.slack, on_backend_error=self.on_backend_error,
        )  # fmt: skip

    # -- tokens ------------------------------------------------------------------------------------------

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

    # -- waiting -----------------------------------------------------------------------------------------

    def acquire(self, payload: Mapping[str, Any], *, within: float | None = None) -> None:
        """Block until one request with ``payload`` fits the pace and the budgets (and any pause is over).

        Raises :class:`~qwen_omni.errors.RateLimitError` (``status_code`` None) at once if the wait would end
        after ``within`` seconds or ``max_wait``, and :class:`~qwen_omni.errors.RateLimiterUnavailableError`
        if a shared backend fails (unless ``on_backend_error="local"``).
        """
        started = time.monotonic()
        steps = self._steps(payload, started, within)
        step = next(steps, None)
        while step is not None:
            if isinstance(step, _Sleep):
                time.sleep(step.seconds)
                step = _send(steps, None)
            else:
                step = _send(steps, self._backend_step(started, within, self._sync_op(step)))

    async def aacquire(self, payload: Mapping[str, Any], *, within: float | None = None) -> None:
        """The async form of :meth:`acquire`: the event loop runs on while it waits, and no backend call blocks it."""
        started = time.monotonic()
        steps = self._steps(payload, started, within)
        step = next(steps, None)
        while step is not None:
            if isinstance(step, _Sleep):
                await asyncio.sleep(step.seconds)
                step = _send(steps, None)
            else:
                step = _send(steps, await self._abackend_step(started, within, self._async_op(step)))

    def _steps(self, payload: Mapping[str, Any], started: float, within: float | None) -> Generator[_Step, Any, None]:
        """What acquiring takes, as steps for the sync and async drivers: sleeps and backend takes (each answered
        with 0 when admitted, else the seconds to wait)."""
        weight = self.weight(payload) if self._token_rate is not None else 0
        while True:
            pause = self._pause_left()
            if pause > 0:
                self._check_wait(pause, started, within, "a pause after a 429")
                yield _Sleep(pause)
                continue
            taken: Taken = yield _Take()
            self._seen = taken.state
            if taken.wait_ms <= 0:
                break
            wait = taken.wait_ms / 1000
            self._check_wait(wait, started, within, "a pause after a 429" if taken.paused else "the pace")
            yield _Sleep(wait)
        while weight:
            waited_ms: int = yield _Tokens(weight)
            if waited_ms <= 0:
                break
            self._check_wait(waited_ms / 1000, started, within, "the token budget")
            yield _Sleep(waited_ms / 1000)
        with self._lock:
            self.requests += 1
            self.waited += time.monotonic() - started

    def _check_wait(self, wait: float, started: float, within: float | None, what: str) -> None:
        """Raise at once if waiting ``wait`` more seconds ends after the call's time or ``max_wait``."""
        spent = time.monotonic() - started
        bounds = [(self.max_wait, f"max_wait={self.max_wait:g} s")] if self.max_wait is not None else []
        if within is not None:
            bounds.append((within, f"the {within:.3g} s this call had left"))
        for bound, name in sorted(bounds):
            if spent + wait > bound:
                raise RateLimitError(
                    f"No room in the rate budget ({self._quota()}) for {wait:.3g} s more ({what}), past {name}; "
                    "raise timeout= or max_wait, or send less at once.",
                    code="limit_requests",
                )

    def _quota(self) -> str:
        rate = f"pace {self._seen.rate:.3g} requests/s"
        if self.rpm is None:
            return rate
        tokens = f", {self.tpm} tokens" if self.tpm is not None else ""
        return f"{self.rpm} requests{tokens} per {self.window:g} s, {rate}"

    # -- the backend, bounded and with its fallback --------------------------------------------------------

    def _remaining(self, started: float, within: float | None) -> float | None:
        """The time a backend operation may take: what the call has left, less a little, so that a store that does
        not answer is reported as such just before the call's own deadline would cut it short."""
        if within is None:
            return None
        left = within - (time.monotonic() - started)
        return max(0.001, left - min(0.05, left / 10))

    def _store(self) -> BudgetBackend:
        if self._local is not None and time.monotonic() < self._local_until:
            return self._local
        return self.backend

    def _sync_op(self, step: _Take | _Tokens) -> Callable[[BudgetBackend, float | None], object]:
        if isinstance(step, _Take):
            return lambda store, left: store.take(self.key, self.rule, within=left)
        rate = self._token_rate
        assert rate is not None
        return lambda store, left: store.window(f"{self.key}:tokens", rate, step.weight, within=left)

    def _async_op(self, step: _Take | _Tokens) -> Callable[[BudgetBackend, float | None], Awaitable[object]]:
        if isinstance(step, _Take):
            return lambda store, left: store.atake(self.key, self.rule, within=left)
        rate = self._token_rate
        assert rate is not None
        return lambda store, left: store.awindow(f"{self.key}:tokens", rate, step.weight, within=left)

    def _backend_step(
        self, started: float, within: float | None, op: Callable[[BudgetBackend, float | None], object]
    ) -> object:
        store = self._store()
        try:
            answer = op(store, self._remaining(started, within))
        except RateLimiterUnavailableError as error:
            answer = op(self._fall_back(store, error), None)
        else:
            self._recovered(store)
        return answer

    async def _abackend_step(
        self, started: float, within: float | None, op: Callable[[BudgetBackend, float | None], Awaitable[object]]
    ) -> object:
        store = self._store()
        try:
            answer = await op(store, self._remaining(started, within))
        except RateLimiterUnavailableError as error:
            answer = await op(self._fall_back(store, error), None)
        else:
            self._recovered(store)
        return answer

    def _fall_back(self, store: BudgetBackend, error: RateLimiterUnavailableError) -> BudgetBackend:
        """The local budget to go on with (``on_backend_error="local"``), or raise ``error``."""
        if self.on_backend_error == "raise" or store is self._local:
            raise error
        with self._lock:
            first = self._local is None
            if self._local is None:
                self._local = InMemoryBackend()
            self._local_until = time.monotonic() + BACKEND_RECHECK
            self.fallbacks += 1
        if first:
            logger.warning(
                "%s Going on with a rate budget in this process only (on_backend_error='local'); trying the "
                "store again every %g s.",
                error,
                BACKEND_RECHECK,
            )
        return self._local

    def _recovered(self, store: BudgetBackend) -> None:
        if store is self.backend and self._local is not None:
            with self._lock:
                if self._local is not None:
                    self._local = None
                    logger.info("The rate budget's store answers again; back on the shared budget.")

    # -- what the server said ------------------------------------------------------------------------------

    def _pause_left(self) -> float:
        with self._lock:
            return max(0.0, self._paused_until - time.monotonic())

    @property
    def pace(self) -> PaceState:
        """The pace as this limiter last saw it (its store's, which other processes may share)."""
        return self._seen

    def admitted(self) -> None:
        """The server accepted a request: the pace may grow (told to the store in the background)."""
        self._seen = self.rule.answered(self._seen, time.time())
        self._store().report(self.key, self.rule, "answered")

    def slow_down(self, retry_after: float | None, kind: RateLimitKind = "requests") -> float | None:
        """A 429 arrived: hold back every request of this limiter for ``retry_after`` seconds (one interval of
        the lowered pace if the server gave no wait), and halve the pace (once for the 429s of one burst).
        Returns the pause.

        A ``"quota"`` 429 changes nothing (None): waiting does not cure an exhausted quota.
        """
        if kind == "quota":
            return None
        if retry_after is not None and retry_after >= 0:
            seconds = retry_after
        else:
            seconds = 1.0 / max(self.rule.floor, self._seen.rate * DECREASE)
        self._seen, _ = self.rule.limited(self._seen, time.time(), seconds)
        self._store().report(self.key, self.rule, "limited", seconds)  # every process sharing the store pauses
        with self._lock:
            self._paused_until = max(self._paused_until, time.monotonic() + seconds)
            self.pauses += 1
        return seconds

    def close(self) -> None:
        """Close the backend's connections or files (it opens them again if the limiter is used afterwards)."""
        self.backend.close()


def _restore(rpm: int | None, tpm: int | None, settings: dict[str, Any]) -> RateLimiter:
    return RateLimiter(rpm, tpm, **settings)
