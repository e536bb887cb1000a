"""The rate limiter's store failing, against a real redis-server (started here, then frozen with SIGSTOP or killed)
and the emulator: every call, sync and async, ends by its deadline with our RateLimiterUnavailableError naming
the store, nothing is sent or retried as an API failure, no event loop is blocked (a ticker measures its lag),
and ``on_backend_error="local"`` goes on with one warning. A SQLite budget whose lock a frozen process holds
ends the same way."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from redis_server import RedisServer, free_port

from qwen_omni import Message, OmniClient, RetryPolicy
from qwen_omni.emulator import Emulator
from qwen_omni.errors import RateLimiterUnavailableError
from qwen_omni.ratelimit import RateLimiter, RedisBackend, SQLiteBackend

HI = [Message("user", "Hi")]
#: The most an event loop may go without running a ready task while a call waits on a failing store (the
#: ticker's own 20 ms excluded). Frozen Redis would block it for a whole socket timeout (seconds) if a blocking
#: call ran on the loop; this bound is about blocking, not speed.
LOOP_LAG = 0.2


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    server = RedisServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def noise() -> Iterator[list[str]]:
    """What background threads raised, and pyrate-limiter's log records, while the test ran (none expected)."""
    seen: list[str] = []
    previous = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        seen.append(f"{args.thread.name if args.thread else '?'}: {args.exc_type.__name__}")

    class Catch(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    handler = Catch(level=logging.DEBUG)
    logging.getLogger("pyrate_limiter").addHandler(handler)
    threading.excepthook = hook
    try:
        yield seen
    finally:
        threading.excepthook = previous
        logging.getLogger("pyrate_limiter").removeHandler(handler)


def _client(emu: Emulator, limiter: RateLimiter, timeout: float) -> OmniClient:
    policy = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.05)
    return OmniClient(
        api_key="sk-test", base_url=emu.base_url, rate_limiter=limiter, timeout=timeout, retry_policy=policy
    )


def _limiter(url: str, *, store_timeout: float = 5.0, **kwargs: Any) -> RateLimiter:
    return RateLimiter(rpm=6000, tpm=100_000, backend=RedisBackend(url, timeout=store_timeout), **kwargs)


def _ends_with_our_error(call: Any, timeout: float) -> tuple[RateLimiterUnavailableError, float]:
    started = time.monotonic()
    with pytest.raises(RateLimiterUnavailableError) as caught:
        call()
    return caught.value, time.monotonic() - started


async def _with_ticker(work: Any) -> tuple[Any, float]:
    """Run ``work`` while a ticker measures the event loop's lag: (outcome or exception, the largest lag)."""
    lag = 0.0
    stop = asyncio.Event()

    async def tick() -> None:
        nonlocal lag
        while not stop.is_set():
            before = time.monotonic()
            await asyncio.sleep(0.02)
            lag = max(lag, time.monotonic() - before - 0.02)

    ticker = asyncio.create_task(tick())
    await asyncio.sleep(0)
    try:
        outcome: Any = await work
    except Exception as exc:
        outcome = exc
    finally:
        stop.set()
        await ticker
    return outcome, lag


@pytest.mark.parametrize("fault", ["frozen", "killed"])
def test_a_sync_call_ends_by_its_deadline_with_our_error(
    redis: RedisServer, emu: Emulator, noise: list[str], fault: str
) -> None:
    emu.reset()
    client = _client(emu, _limiter(redis.url), timeout=1.0)
    client.complete(HI)
    redis.freeze() if fault == "frozen" else redis.kill()
    error, seconds = _ends_with_our_error(lambda: client.complete(HI), timeout=1.0)
    assert f"Redis at 127.0.0.1:{redis.port}/0" in str(error) and error.backend == f"Redis at 127.0.0.1:{redis.port}/0"
    assert seconds < 1.0 + 2.0, "bounded by the call's 1 s, not the store's 5 s socket timeout"
    assert len(emu.requests) == 1, "nothing sent, nothing retried as an API failure"
    assert noise == []


@pytest.mark.parametrize("fault", ["frozen", "killed"])
async def test_an_async_call_ends_by_its_deadline_and_never_blocks_the_loop(
    redis: RedisServer, emu: Emulator, noise: list[str], fault: str
) -> None:
    emu.reset()
    client = _client(emu, _limiter(redis.url), timeout=1.0)
    await client.acomplete(HI)
    redis.freeze() if fault == "frozen" else redis.kill()
    started = time.monotonic()
    outcomes, lag = await _with_ticker(
        asyncio.gather(*(client.acomplete(HI) for _ in range(5)), return_exceptions=True)
    )
    seconds = time.monotonic() - started
    assert all(isinstance(o, RateLimiterUnavailableError) for o in outcomes), outcomes
    assert seconds < 1.0 + 2.0 and lag < LOOP_LAG, (seconds, lag)
    assert len(emu.requests) == 1 and noise == []


def test_the_store_s_own_timeout_bounds_a_call_without_one(redis: RedisServer, emu: Emulator) -> None:
    emu.reset()
    client = _client(emu, _limiter(redis.url, store_timeout=0.5), timeout=None)  # type: ignore[arg-type]
    client.complete(HI)
    redis.freeze()
    error, seconds = _ends_with_our_error(lambda: client.complete(HI), timeout=0.5)
    assert "did not answer in time" in str(error) and seconds < 0.5 + 2.0


def test_a_redis_down_from_the_start_is_our_error_at_the_first_call(emu: Emulator) -> None:
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    limiter = _limiter(url)  # built at once: nothing is sent to Redis before the first request
    error, _ = _ends_with_our_error(lambda: _client(emu, limiter, timeout=2.0).complete(HI), timeout=2.0)
    assert "failed (ConnectionError" in str(error) and "on_backend_error" in str(error)


@pytest.mark.parametrize("fault", ["frozen", "killed"])
async def test_falling_back_to_a_local_budget_warns_once(
    redis: RedisServer, emu: Emulator, caplog: pytest.LogCaptureFixture, fault: str
) -> None:
    emu.reset()
    limiter = _limiter(redis.url, store_timeout=0.3, on_backend_error="local")
    client = _client(emu, limiter, timeout=5.0)
    await client.acomplete(HI)
    redis.freeze() if fault == "frozen" else redis.kill()
    with caplog.at_level(logging.WARNING, logger="qwen_omni"):
        outcomes, lag = await _with_ticker(asyncio.gather(*(client.acomplete(HI) for _ in range(4))))
        client.complete(HI)
    assert all(o.finish_reason == "stop" for o in outcomes) and lag < LOOP_LAG
    warnings = [r for r in caplog.records if "budget in this process only" in r.getMessage()]
    assert len(warnings) == 1 and f"Redis at 127.0.0.1:{redis.port}/0" in warnings[0].getMessage()
    assert limiter.fallbacks >= 1 and len(emu.requests) == 6


# ------------------------------------------------------------------------------------------ SQLite


def _hold_the_lock(path: str, ready: Any) -> None:
    from filelock import FileLock

    lock = FileLock(path + ".lock")
    lock.acquire()
    ready.set()
    time.sleep(600)


def test_a_frozen_process_holding_the_sqlite_lock_ends_calls_by_their_deadline(tmp_path: Path, emu: Emulator) -> None:
    emu.reset()
    backend = SQLiteBackend(tmp_path, timeout=5.0)
    limiter = RateLimiter(rpm=6000, tpm=None, backend=backend)
    client = _client(emu, limiter, timeout=1.0)
    client.complete(HI)
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    holder = context.Process(target=_hold_the_lock, args=(str(backend.path), ready), daemon=True)
    holder.start()
    try:
        assert ready.wait(60)
        assert holder.pid is not None
        os.kill(holder.pid, signal.SIGSTOP)
        error, seconds = _ends_with_our_error(lambda: client.complete(HI), timeout=1.0)

        async def one() -> Any:
            return await _with_ticker(client.acomplete(HI))

        outcome, lag = asyncio.run(one())
    finally:
        if holder.pid is not None:
            os.kill(holder.pid, signal.SIGKILL)
        holder.join(30)
    assert str(backend.path) in str(error) and seconds < 1.0 + 2.0
    assert isinstance(outcome, RateLimiterUnavailableError) and lag < LOOP_LAG
    assert len(emu.requests) == 1
    client.complete(HI)  # the holder is gone: its lock went with it
    assert len(emu.requests) == 2
