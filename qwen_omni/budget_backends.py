"""Where a :class:`~qwen_omni.ratelimit.RateLimiter` keeps its budgets: in this process, in a SQLite file that the
processes of one machine share, or in Redis, which processes on several machines share.

A backend keeps two things for a limiter's key, each changed in one atomic step:

- **the pace**: one record holding the adaptive pace (:class:`~qwen_omni.pace.PaceState`: its rate, its hold after
  a 429, the pause every request waits out) and the cell of pyrate-limiter's ``GCRA`` that spaces requests at
  that rate. :meth:`BudgetBackend.take` lets one request through or says how long to wait; :meth:`BudgetBackend.
  report` tells the pace what the server answered. Processes sharing a backend and a key share the record, so
  they follow one pace, halve it once for one burst of 429s, and pause together;
- **the token budget**: a sliding-window log, pyrate-limiter's buckets (:meth:`BudgetBackend.window`).

Nothing here waits for room: the limiter does, within the call's deadline. Every operation of a shared backend is
bounded by ``timeout`` and by the time the call has left, and a failure of the store (down, frozen, a full disk)
is a :class:`~qwen_omni.errors.RateLimiterUnavailableError` naming it. Reports never hold a call up: they run
in the background (a failing store shows at the next take). pyrate-limiter's leak thread is not used: the
limiter trims the logs as it goes.

- :class:`InMemoryBackend`: this process only (its threads and event loops).
- :class:`SQLiteBackend`: a SQLite file under a file lock (``filelock``), e.g. in the long-media cache folder: the
  processes of one machine share it without a server. A frozen process holding the lock is waited for at most
  the time the call has left.
- :class:`RedisBackend`: Redis, through ``redis.asyncio`` on one event loop thread of its own, so that neither a
  sync caller nor an event loop is ever blocked past its deadline by a frozen server (socket and connect
  timeouts bound the connections too).

Example:
    >>> from qwen_omni.pace import PaceRule
    >>> backend, rule = InMemoryBackend(), PaceRule(ceiling=1.0, period=10.0)
    >>> backend.take("k", rule, within=None).wait_ms, backend.take("k", rule, within=None).wait_ms > 3_000
    (0, True)
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import hashlib
import json
import math
import os
import re
import sqlite3
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Coroutine
from inspect import isawaitable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, TypeVar

from filelock import FileLock
from pyrate_limiter import GCRA, AbstractBucket, InMemoryBucket, Rate, RateItem, RedisBucket, SQLiteBucket
from pyrate_limiter.abstracts.algorithm import Decision
from pyrate_limiter.buckets.sqlite_bucket import Queries

from .errors import RateLimiterUnavailableError
from .extras import require
from .pace import PaceRule, PaceState

if TYPE_CHECKING:
    from filelock import BaseFileLock
    from redis import Redis
    from redis.asyncio import Redis as AsyncRedis

__all__ = [
    "DEFAULT_BACKEND_TIMEOUT",
    "BudgetBackend",
    "InMemoryBackend",
    "PaceEvent",
    "RedisBackend",
    "SQLiteBackend",
    "Taken",
]

#: Seconds one operation of a shared backend may take at most (also the Redis socket and connect timeouts).
DEFAULT_BACKEND_TIMEOUT = 2.0
#: A window log is trimmed of expired entries every this many admissions.
_LEAK_EVERY = 64
#: A pace record unused this long is forgotten by Redis (milliseconds).
_PACE_TTL_MS = 3_600_000
_GCRA = GCRA()
T = TypeVar("T")

PaceEvent = Literal["answered", "limited"]


class Taken(NamedTuple):
    """What a take answered: 0 ms (let through) or the milliseconds to wait, whether that is the pause after a
    429 (not the pace), and the pace as it now is."""

    wait_ms: int
    paused: bool
    state: PaceState


def _load(record: str | None, rule: PaceRule, now: float) -> tuple[PaceState, int]:
    """A pace record's state and GCRA cell (a new pace's when there is none yet)."""
    if record is None:
        return rule.initial(now), 0
    loaded = json.loads(record)
    return PaceState.from_json(loaded["pace"]), int(loaded["tat"])


def _take(record: str | None, rule: PaceRule) -> tuple[str, Taken]:
    """One take on a pace record (JSON, None when new): the record to store, and the answer."""
    now = time.time()
    state, tat = _load(record, rule, now)
    if state.paused_until > now:
        return _record(state, tat), Taken(max(1, math.ceil((state.paused_until - now) * 1000)), True, state)
    state, interval = rule.interval(state, now)
    rates = [Rate(1, max(1, round(interval * 1000)), burst=rule.burst(state))]
    (new_tat,), decision = _GCRA.step(rates, (tat,), int(now * 1000), 1)
    return _record(state, int(new_tat) if decision.allowed else tat), Taken(_wait_of(decision), False, state)


def _report(record: str | None, rule: PaceRule, event: PaceEvent, pause: float) -> str:
    """A record after the server's answer to one request."""
    now = time.time()
    state, tat = _load(record, rule, now)
    if event == "answered":
        state = rule.answered(state, now)
    else:
        state, _ = rule.limited(state, now, pause)
    return _record(state, tat)


def _record(state: PaceState, tat: int) -> str:
    return json.dumps({"pace": state.to_json(), "tat": tat})


def now_ms() -> int:
    """The wall clock in milliseconds: what every process (and machine) sharing a budget agrees on."""
    return time.time_ns() // 1_000_000


def _wait_of(decision: Decision) -> int:
    if decision.allowed:
        return 0
    return max(1, decision.retry_after_ms or 1)


def _bound(within: float | None, default: float) -> float:
    return default if within is None else max(0.0, min(within, default))


class BudgetBackend(ABC):
    """The store of a limiter's budgets (see the module docstring). Subclass it to keep them elsewhere."""

    #: True if other processes may share the budgets (the limiter then names the store in its errors).
    shared = False

    @abstractmethod
    def take(self, key: str, rule: PaceRule, *, within: float | None) -> Taken:
        """Let one request through the pace ``key`` (moved by ``rule``), or say how long to wait."""

    @abstractmethod
    def report(self, key: str, rule: PaceRule, event: PaceEvent, pause: float = 0.0) -> None:
        """Tell the pace that the server answered a request (``"answered"``) or refused one with a 429
        (``"limited"``, holding every request back ``pause`` seconds). Never waits: it runs in the background."""

    @abstractmethod
    def window(self, key: str, rate: Rate, weight: int, *, within: float | None) -> int:
        """Put ``weight`` units in the sliding window ``key`` of ``rate``: 0, or the ms to wait."""

    async def atake(self, key: str, rule: PaceRule, *, within: float | None) -> Taken:
        """The async form of :meth:`take` (by default in a worker thread, never blocking the loop)."""
        return await asyncio.to_thread(self.take, key, rule, within=within)

    async def awindow(self, key: str, rate: Rate, weight: int, *, within: float | None) -> int:
        """The async form of :meth:`window`."""
        return await asyncio.to_thread(self.window, key, rate, weight, within=within)

    def close(self) -> None:  # noqa: B027 (optional)
        """Release connections and files (the backend opens them again if used afterwards)."""


class InMemoryBackend(BudgetBackend):
    """Budgets kept in this process, shared by its threads and event loops only (the default).

    Example:
        >>> InMemoryBackend()
        InMemoryBackend()
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._paces: dict[str, str] = {}
        self._windows: dict[tuple[str, int, int], tuple[InMemoryBucket, list[int]]] = {}

    def __repr__(self) -> str:
        return "InMemoryBackend()"

    def __reduce__(self) -> tuple[Any, ...]:
        return (InMemoryBackend, ())  # a copy in another process starts empty: it is that process's budget

    def take(self, key: str, rule: PaceRule, *, within: float | None) -> Taken:
        with self._lock:
            self._paces[key], taken = _take(self._paces.get(key), rule)
            return taken

    def report(self, key: str, rule: PaceRule, event: PaceEvent, pause: float = 0.0) -> None:
        with self._lock:
            self._paces[key] = _report(self._paces.get(key), rule, event, pause)

    def window(self, key: str, rate: Rate, weight: int, *, within: float | None) -> int:
        with self._lock:
            entry = self._windows.get((key, rate.limit, rate.interval))
            if entry is None:
                entry = self._windows[(key, rate.limit, rate.interval)] = (InMemoryBucket([rate]), [0])
            return _log_put(entry[0], entry[1], RateItem(key, now_ms(), weight))

    async def atake(self, key: str, rule: PaceRule, *, within: float | None) -> Taken:
        return self.take(key, rule, within=within)  # no I/O: never blocks the loop

    async def awindow(self, key: str, rate: Rate, weight: int, *, within: float | None) -> int:
        return self.window(key, rate, weight, within=within)


def _log_put(bucket: AbstractBucket, admitted: list[int], item: RateItem) -> int:
    """One put into a sync log bucket (the caller holds its lock): 0, or the ms to wait; trims now and then."""
    if bucket.put(item):
        admitted[0] += 1
        if admitted[0] % _LEAK_EVERY == 0:
            bucket.leak(item.timestamp)
        return 0
    wait = bucket.waiting(item)
    assert isinstance(wait, int)
    return max(1, wait)


# ------------------------------------------------------------------------------------------------ SQLite


def _table(key: str, rate: Rate) -> str:
    """A safe table name for the window ``key`` of ``rate``."""
    digest = hashlib.sha256(f"{key}/{rate.limit}/{rate.interval}".encode()).hexdigest()[:16]
    return f"qwen_omni_window_{re.sub(r'[^A-Za-z0-9_]', '_', key)[:40]}_{digest}"


class SQLiteBackend(BudgetBackend):
    """Budgets in a SQLite file under a file lock, shared by every process of this machine that opens it.

    ``path`` is the file, or a folder to keep ``qwen-omni-budget.sqlite`` in (the long-media cache folder is a
    good place). The lock is ``filelock``'s, on ``<file>.lock``; the windows are pyrate-limiter's
    ``SQLiteBucket``. A process waits for the lock at most ``timeout`` seconds (and never past its call's
    deadline): a frozen holder is a :class:`~qwen_omni.errors.RateLimiterUnavailableError`, not a hang.

    Example:
        >>> import tempfile
        >>> from qwen_omni.pace import PaceRule
        >>> rule = PaceRule(ceiling=1.0, period=10.0)
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     backend = SQLiteBackend(folder)
        ...     first = backend.take("k", rule, within=1.0).wait_ms
        ...     again = SQLiteBackend(folder).take("k", rule, within=1.0).wait_ms  # as another process would
        ...     backend.close()
        >>> first, again > 3_000
        (0, True)
    """

    shared = True
    FILE_NAME = "qwen-omni-budget.sqlite"

    def __init__(self, path: str | os.PathLike[str], *, timeout: float = DEFAULT_BACKEND_TIMEOUT) -> None:
        location = Path(path).expanduser()
        self.path = location / self.FILE_NAME if location.is_dir() or not location.suffix else location
        self.timeout = timeout
        self._setup = threading.Lock()
        self._pid: int | None = None
        self._conn: sqlite3.Connection | None = None
        self._lock: BaseFileLock | None = None
        self._windows: dict[tuple[str, int, int], tuple[SQLiteBucket, list[int]]] = {}
        self._reporter: concurrent.futures.ThreadPoolExecutor | None = None

    def __repr__(self) -> str:
        return f"SQLiteBackend({str(self.path)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (SQLiteBackend, (self.path,), {"timeout": self.timeout})

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.timeout = state["timeout"]

    @property
    def description(self) -> str:
        return f"the SQLite budget at {self.path}"

    def _open(self) -> tuple[sqlite3.Connection, BaseFileLock]:
        with self._setup:
            if self._conn is None or self._lock is None or self._pid != os.getpid():
                self.path.parent.mkdir(parents=True, exist_ok=True)
                lock = FileLock(str(self.path) + ".lock")
                with lock.acquire(timeout=self.timeout):
                    conn = sqlite3.connect(self.path, timeout=self.timeout, check_same_thread=False)
                    conn.execute("PRAGMA journal_mode=WAL")
                    conn.execute("PRAGMA synchronous=NORMAL")
                    conn.execute("CREATE TABLE IF NOT EXISTS qwen_omni_pace (key TEXT PRIMARY KEY, state TEXT)")
                    conn.commit()
                self._conn, self._lock, self._pid, self._windows = conn, lock, os.getpid(), {}
            return self._conn, self._lock

    def _locked(self, within: float | None, operation: Callable[[sqlite3.Connection], int]) -> int:
        try:
            conn, lock = self._open()
            with lock.acquire(timeout=_bound(within, self.timeout)):
                return operation(conn)
        except Exception as exc:
            raise _unavailable(self.description, exc, within) from None

    def take(self, key: str, rule: PaceRule, *, within: float | None) -> Taken:
        answer: list[Taken] = []

        def take(conn: sqlite3.Connection) -> int:
            row = conn.execute("SELECT state FROM qwen_omni_pace WHERE key = ?", (key,)).fetchone()
            record, taken = _take(row[0] if row else None, rule)
            conn.execute("INSERT OR REPLACE INTO qwen_omni_pace (key, state) VALUES (?, ?)", (key, record))
            conn.commit()
            answer.append(taken)
            return 0

        self._locked(within, take)
        return answer[0]

    def report(self, key: str, rule: PaceRule, event: PaceEvent, pause: float = 0.0) -> None:
        def update(conn: sqlite3.Connection) -> int:
            row = conn.execute("SELECT state FROM qwen_omni_pace WHERE key = ?", (key,)).fetchone()
            record = _report(row[0] if row else None, rule, event, pause)
            conn.execute("INSERT OR REPLACE INTO qwen_omni_pace (key, state) VALUES (?, ?)", (key, record))
            conn.commit()
            return 0

        def background() -> None:
            with contextlib.suppress(RateLimiterUnavailableError):  # shown by the next take
                self._locked(None, update)

        with self._setup:
            if self._reporter is None or self._pid != os.getpid():
                self._reporter = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="qwen-omni-budget")
            reporter = self._reporter
        reporter.submit(background)

    def window(self, key: str, rate: Rate, weight: int, *, within: float | None) -> int:
        def take(conn: sqlite3.Connection) -> int:
            entry = self._windows.get((key, rate.limit, rate.interval))
            if entry is None:
                table = _table(key, rate)
                conn.execute(Queries.CREATE_BUCKET_TABLE.format(table=table))
                conn.execute(Queries.CREATE_INDEX_ON_TIMESTAMP.format(index_name=f"idx_{table}", table_name=table))
                conn.commit()
                entry = self._windows[(key, rate.limit, rate.interval)] = (
                    SQLiteBucket([rate], conn, table=table, lock=self._lock),
                    [0],
                )
            return _log_put(entry[0], entry[1], RateItem(key, now_ms(), weight))

        return self._locked(within, take)

    def close(self) -> None:
        with self._setup:
            if self._reporter is not None:
                self._reporter.shutdown(wait=True)
                self._reporter = None
            if self._conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    self._conn.close()
            self._conn, self._lock, self._windows = None, None, {}


# ------------------------------------------------------------------------------------------------ Redis

#: The connection settings copied from a given Redis client (everything else is ours: the timeouts above all).
_REDIS_SETTINGS = (
    "host", "port", "db", "username", "password", "path", "client_name",
    "ssl_keyfile", "ssl_certfile", "ssl_cert_reqs", "ssl_ca_certs", "ssl_ca_data", "ssl_check_hostname",
)  # fmt: skip


def _serve(loop: asyncio.AbstractEventLoop) -> None:
    try:
        loop.run_forever()
    finally:
        loop.close()


class _LoopThread:
    """One event loop on a daemon thread of its own, where a backend's async clients live."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._pid: int | None = None

    def loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None or self._pid != os.getpid() or self._loop.is_closed():
                loop = asyncio.new_event_loop()
                threading.Thread(target=_serve, args=(loop,), name=self.name, daemon=True).start()
                self._loop, self._pid = loop, os.getpid()
            return self._loop

    def submit(self, coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop())

    def stop(self) -> None:
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is not None and self._pid == os.getpid():
            loop.call_soon_threadsafe(loop.stop)


class RedisBackend(BudgetBackend):
    """Budgets in Redis, shared by every process (on any machine) that uses the same server and key.

    ``redis`` is a ``redis://`` / ``rediss://`` / ``unix://`` URL, or a ``redis.Redis`` (or ``redis.asyncio.Redis``)
    client whose connection settings are used (host, port, database, credentials, TLS): the backend opens its
    own ``redis.asyncio`` connections on an event loop thread of its own, with ``timeout`` as their socket and
    connect timeouts. Every operation ends within ``timeout`` and the time its call has left; a Redis that is
    down, frozen or refusing is a :class:`~qwen_omni.errors.RateLimiterUnavailableError` naming it (without
    the password). The pace record is changed in a transaction (WATCH, MULTI), the windows are pyrate-limiter's
    ``RedisBucket``. Nothing is sent to Redis until the first request.

    For example ``RateLimiter(backend=RedisBackend("redis://10.0.0.5:6379/0"), key="team-a")`` in every worker
    gives them one budget of 60 requests a minute between them.

    Example:
        >>> RedisBackend("redis://:secret@127.0.0.1:6390/2")
        RedisBackend('Redis at 127.0.0.1:6390/2', prefix='qwen-omni')
    """

    shared = True

    def __init__(
        self,
        redis: Redis | AsyncRedis | str,
        *,
        prefix: str = "qwen-omni",
        timeout: float = DEFAULT_BACKEND_TIMEOUT,
    ) -> None:
        require("redis", extra="redis", needed_by="RedisBackend")
        _import_redis()  # here, not within the first operation's time
        if timeout <= 0:
            raise ValueError(f"timeout must be positive; got {timeout}.")
        self.prefix, self.timeout = prefix, timeout
        self._url: str | None = redis if isinstance(redis, str) else None
        self._settings: dict[str, Any] = {}
        self._connection: str = "Connection"
        if not isinstance(redis, str):
            pool = redis.connection_pool
            kwargs = pool.connection_kwargs
            self._settings = {name: kwargs[name] for name in _REDIS_SETTINGS if kwargs.get(name) is not None}
            self._connection = getattr(pool, "connection_class", type(None)).__name__
        self._thread = _LoopThread("qwen-omni-redis-budget")
        self._client: AsyncRedis | None = None
        self._windows: dict[tuple[str, int, int], tuple[RedisBucket, list[int], asyncio.Lock]] = {}

    def __repr__(self) -> str:
        return f"RedisBackend({self._where()!r}, prefix={self.prefix!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (_restore_redis, (self._url, self._settings, self._connection, self.prefix, self.timeout))

    def _where(self) -> str:
        if self._url is not None:
            from redis.connection import parse_url

            parsed = parse_url(self._url)  # type: ignore[no-untyped-call]
            if "path" in parsed:
                return f"Redis at unix:{parsed['path']}"
            return f"Redis at {parsed.get('host', 'localhost')}:{parsed.get('port', 6379)}/{parsed.get('db', 0)}"
        if "path" in self._settings:
            return f"Redis at unix:{self._settings['path']}"
        host, port, db = (self._settings.get(k, d) for k, d in (("host", "localhost"), ("port", 6379), ("db", 0)))
        return f"Redis at {host}:{port}/{db}"

    @property
    def description(self) -> str:
        return self._where()

    # -- on the backend's own loop ----------------------------------------------------------------------

    def _redis(self) -> AsyncRedis:
        if self._client is None:
            import redis.asyncio as aioredis

            timeouts: dict[str, Any] = {"socket_timeout": self.timeout, "socket_connect_timeout": self.timeout}
            if self._url is not None:
                self._client = aioredis.from_url(self._url, **timeouts)
            else:
                import redis.asyncio.connection as connections

                connection_class = getattr(connections, self._connection, connections.Connection)
                pool = aioredis.ConnectionPool(connection_class=connection_class, **self._settings, **timeouts)
                self._client = aioredis.Redis(connection_pool=pool)
        return self._client

    async def _update(self, key: str, change: Callable[[str | None], tuple[str, T]]) -> T:
        """Apply ``change`` to the pace record ``key`` atomically (WATCH, then MULTI; again if another wrote)."""
        import redis.exceptions

        name = f"{self.prefix}:{key}:pace"
        async with self._redis().pipeline(transaction=True) as pipe:
            while True:
                try:
                    await pipe.watch(name)
                    raw = await pipe.get(name)
                    record, answer = change(raw.decode() if isinstance(raw, bytes) else raw)
                    pipe.multi()  # type: ignore[no-untyped-call]
                    pipe.set(name, record, px=_PACE_TTL_MS)
                    await pipe.execute()
                    return answer
                except redis.exceptions.WatchError:
                    continue

    async def _take(self, key: str, rule: PaceRule) -> Taken:
        return await self._update(key, lambda record: _take(record, rule))

    async def _report(self, key: str, rule: PaceRule, event: PaceEvent, pause: float) -> None:
        await self._update(key, lambda record: (_report(record, rule, event, pause), None))

    async def _window(self, key: str, rate: Rate, weight: int) -> int:
        entry = self._windows.get((key, rate.limit, rate.interval))
        if entry is None:
            made = RedisBucket.init([rate], self._redis(), f"{self.prefix}:{key}:{rate.limit}/{rate.interval}")
            bucket = await made if isawaitable(made) else made
            assert isinstance(bucket, RedisBucket)
            entry = self._windows.setdefault((key, rate.limit, rate.interval), (bucket, [0], asyncio.Lock()))
        bucket, admitted, lock = entry
        item = RateItem(key, now_ms(), weight)
        async with lock:  # put() and waiting() share the bucket's record of the last verdict
            if await _resolved(bucket.put(item)):
                admitted[0] += 1
                if admitted[0] % _LEAK_EVERY == 0:
                    await _resolved(bucket.leak(item.timestamp))
                return 0
            return max(1, int(await _resolved(bucket.waiting(item))))

    async def _bounded(self, operation: Awaitable[T], limit: float) -> T:
        return await asyncio.wait_for(operation, limit)

    # -- from any thread or loop ------------------------------------------------------------------------

    def _run(self, make: Callable[[], Awaitable[T]], within: float | None) -> T:
        limit = _bound(within, self.timeout)
        future = self._thread.submit(self._bounded(make(), limit))
        try:
            return future.result(limit + 0.5)
        except Exception as exc:
            future.cancel()
            raise _unavailable(self.description, exc, within) from None
        except BaseException:
            future.cancel()
            raise

    async def _arun(self, make: Callable[[], Awaitable[T]], within: float | None) -> T:
        limit = _bound(within, self.timeout)
        future = self._thread.submit(self._bounded(make(), limit))
        try:
            return await asyncio.wrap_future(future)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            raise _unavailable(self.description, exc, within) from None

    def take(self, key: str, rule: PaceRule, *, within: float | None) -> Taken:
        return self._run(lambda: self._take(key, rule), within)

    def report(self, key: str, rule: PaceRule, event: PaceEvent, pause: float = 0.0) -> None:
        future = self._thread.submit(self._bounded(self._report(key, rule, event, pause), self.timeout))
        future.add_done_callback(_ignore)  # a failing store shows at the next take

    def window(self, key: str, rate: Rate, weight: int, *, within: float | None) -> int:
        return self._run(lambda: self._window(key, rate, weight), within)

    async def atake(self, key: str, rule: PaceRule, *, within: float | None) -> Taken:
        return await self._arun(lambda: self._take(key, rule), within)

    async def awindow(self, key: str, rate: Rate, weight: int, *, within: float | None) -> int:
        return await self._arun(lambda: self._window(key, rate, weight), within)

    def close(self) -> None:
        client, self._client = self._client, None
        self._windows = {}
        if client is not None:
            closing = getattr(client, "aclose", None) or client.close  # aclose: redis 5.0.1 and later
            with contextlib.suppress(Exception):
                self._thread.submit(closing()).result(self.timeout)
        self._thread.stop()


def _restore_redis(
    url: str | None, settings: dict[str, Any], connection: str, prefix: str, timeout: float
) -> RedisBackend:
    _import_redis()
    backend = RedisBackend.__new__(RedisBackend)
    backend.prefix, backend.timeout = prefix, timeout
    backend._url, backend._settings, backend._connection = url, dict(settings), connection
    backend._thread = _LoopThread("qwen-omni-redis-budget")
    backend._client, backend._windows = None, {}
    return backend


def _ignore(future: concurrent.futures.Future[Any]) -> None:
    if not future.cancelled():
        future.exception()


def _import_redis() -> None:
    import redis.asyncio
    import redis.asyncio.connection  # noqa: F401


async def _resolved(value: Any) -> Any:
    while isawaitable(value):
        value = await value
    return value


def _unavailable(description: str, exc: BaseException, within: float | None) -> RateLimiterUnavailableError:
    if isinstance(exc, RateLimiterUnavailableError):
        return exc
    timed_out = isinstance(exc, TimeoutError | concurrent.futures.TimeoutError) or type(exc).__name__ == "Timeout"
    if timed_out:
        detail = "did not answer in time" + (f" (the call had {within:.2g} s left)" if within is not None else "")
    else:
        detail = f"failed ({type(exc).__name__}: {exc})"
    return RateLimiterUnavailableError(
        f"The rate budget's store, {description}, {detail}; nothing was sent. Check that it is up, or use "
        'RateLimiter(on_backend_error="local") to fall back to a budget in this process.',
        backend=description,
    )
