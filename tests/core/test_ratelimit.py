"""RateLimiter: the documented quota by default, waits instead of failing, a pause after a 429, and one budget
shared by several processes through a real redis-server (skipped when the binary is absent)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from qwen_omni import Message, OmniClient, RetryPolicy
from qwen_omni.emulator import Emulator, Fault
from qwen_omni.errors import RateLimitError
from qwen_omni.ratelimit import TOKEN_UNIT, RateLimiter, RedisBackend, estimate_payload_tokens

PAYLOAD = {"messages": [{"role": "user", "content": "Hello"}]}


def _most_in_a_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


def test_the_default_is_the_documented_quota() -> None:
    limiter = RateLimiter()
    assert (limiter.rpm, limiter.tpm, limiter.window) == (60, 100_000, 60.0)  # the reference's rate-limit page


def test_requests_wait_for_room_instead_of_failing() -> None:
    limiter = RateLimiter(rpm=4, tpm=None, window=0.4)
    times = []
    for _ in range(10):
        limiter.acquire(PAYLOAD)
        times.append(time.monotonic())
    assert limiter.requests == 10 and limiter.waited > 0
    assert _most_in_a_window(times, 0.4) <= 4


def test_tokens_are_budgeted_too() -> None:
    limiter = RateLimiter(rpm=1000, tpm=10 * TOKEN_UNIT, window=0.3)
    times = []
    for _ in range(4):
        with limiter.expect(5 * TOKEN_UNIT):  # two requests fill the token budget of one window
            limiter.acquire(PAYLOAD)
        times.append(time.monotonic())
    assert _most_in_a_window(times, 0.3) <= 2
    assert limiter.weight(PAYLOAD) == 1, "without a hint, a guess from the payload"
    with limiter.expect(10**9):
        assert limiter.weight(PAYLOAD) == 10, "never more than the whole budget, so it always fits"


def test_the_guess_counts_text_media_and_max_tokens() -> None:
    payload = {
        "messages": [{"role": "user", "content": [{"type": "text", "text": "x" * 40}, {"type": "input_audio"}]}],
        "max_tokens": 100,
    }
    assert estimate_payload_tokens(payload) == 10 + 1_000 + 100


async def test_async_requests_share_the_budget_with_threads() -> None:
    limiter = RateLimiter(rpm=3, tpm=None, window=0.3)
    times: list[float] = []

    async def one() -> None:
        await limiter.aacquire(PAYLOAD)
        times.append(time.monotonic())

    await asyncio.gather(
        *(one() for _ in range(4)),
        asyncio.to_thread(lambda: [limiter.acquire(PAYLOAD) or times.append(time.monotonic()) for _ in range(3)]),
    )
    assert len(times) == 7 and _most_in_a_window(times, 0.3) <= 3


def test_giving_up_after_max_wait_is_a_rate_limit_error() -> None:
    limiter = RateLimiter(rpm=1, tpm=None, window=5.0, max_wait=0.2)
    limiter.acquire(PAYLOAD)
    with pytest.raises(RateLimitError, match="gave up"):
        limiter.acquire(PAYLOAD)


def test_a_429_pauses_every_request_of_the_client() -> None:
    with Emulator() as emu:
        limiter = RateLimiter(rpm=1000, tpm=None, window=1.0)
        client = OmniClient(
            api_key="sk-test", base_url=emu.base_url, rate_limiter=limiter,
            retry_policy=RetryPolicy(max_retries=1, initial_delay=0.01, max_retry_after=0.05),
        )  # fmt: skip
        emu.inject(Fault(status=429, retry_after=0.6))  # longer than the client's own max_retry_after
        client.complete([Message("user", "Hi")])
        first, second = emu.requests
    assert limiter.pauses == 1
    assert second.arrived - first.arrived >= 0.55, "the retry waited for the server's Retry-After"
    assert client.retry_policy.delay(0) < 0.05, "the client's own backoff alone would not have waited"


def test_an_exhausted_quota_does_not_pause() -> None:
    with Emulator() as emu:
        limiter = RateLimiter()
        client = OmniClient(api_key="sk-test", base_url=emu.base_url, rate_limiter=limiter)
        emu.inject(Fault(status=429, code="insufficient_quota"))
        with pytest.raises(RateLimitError):
            client.complete([Message("user", "Hi")])
    assert limiter.pauses == 0


def test_every_request_of_one_client_goes_through_its_limiter() -> None:
    with Emulator(rpm=2, rpm_window=0.5) as emu:
        limiter = RateLimiter(rpm=2, window=0.5, slack=0.3)  # slack: the trip to the server, at this scale
        client = OmniClient(api_key="sk-test", base_url=emu.base_url, rate_limiter=limiter)
        for _ in range(5):
            client.complete([Message("user", "Hi")])

        async def more() -> None:
            await asyncio.gather(*(client.acomplete([Message("user", "Hi")]) for _ in range(4)))

        asyncio.run(more())
        statuses = [r.status for r in emu.requests]
    assert statuses == [200] * 9, "the server's limit was never met"


# ------------------------------------------------------------------------------------------ redis


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real redis-server on a free loopback port, for this module only."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("QWEN_OMNI_REQUIRE_REDIS") == "1":  # CI installs it: a skip there would hide the test
            pytest.fail("redis-server is not installed, and QWEN_OMNI_REQUIRE_REDIS=1 asks for the Redis test")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    redis = pytest.importorskip("redis")
    port = _free_port()
    folder: Path = tmp_path_factory.mktemp("redis")
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail("redis-server did not start")
                time.sleep(0.05)
        client.close()
        yield port
    finally:
        server.terminate()
        server.wait(timeout=10)


def _worker(port: int, key: str, count: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    import redis

    limiter = RateLimiter(rpm=5, tpm=None, window=1.0, backend=RedisBackend(redis.Redis(port=port)), key=key)
    for _ in range(count):
        limiter.acquire(PAYLOAD)
        out.put(time.time())


def test_processes_sharing_a_key_share_one_budget_through_redis(redis_port: int) -> None:
    context = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue = context.Queue()  # type: ignore[type-arg]
    workers = [context.Process(target=_worker, args=(redis_port, "shared-key", 6, out)) for _ in range(2)]
    for worker in workers:
        worker.start()
    times = [out.get(timeout=60) for _ in range(12)]
    for worker in workers:
        worker.join(timeout=30)
        assert worker.exitcode == 0
    assert _most_in_a_window(times, 1.0) <= 5, "two processes together stayed within one budget of 5 a second"
    assert max(times) - min(times) >= 2.0, "12 requests at 5 a second need more than two windows"


def test_other_keys_have_their_own_budget(redis_port: int) -> None:
    import redis

    first = RateLimiter(
        rpm=2, tpm=None, window=5.0, backend=RedisBackend(redis.Redis(port=redis_port)), key="a", max_wait=0.3
    )
    second = RateLimiter(
        rpm=2, tpm=None, window=5.0, backend=RedisBackend(redis.Redis(port=redis_port)), key="b", max_wait=0.3
    )
    for _ in range(2):
        first.acquire(PAYLOAD)
        second.acquire(PAYLOAD)
    with pytest.raises(RateLimitError):
        first.acquire(PAYLOAD)
