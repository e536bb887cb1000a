"""RateLimiter: the documented quota, requests spaced evenly and never over RPM/60 a second, the token budget, a
wait past the call's time refused at once, DashScope's three 429s answered each its own way, every client paced
by default (the storm against a 10 RPM account is gone), and one budget shared by processes through SQLite and
through a real redis-server (started here on a free loopback port)."""

from __future__ import annotations

import asyncio
import collections
import itertools
import multiprocessing
import pickle
import time
from pathlib import Path

import pytest
from redis_server import redis_server

from qwen_omni import Message, OmniClient, RetryPolicy, samples
from qwen_omni.emulator import Emulator, Fault
from qwen_omni.emulator.limits import BURST_MESSAGE, QUOTA_MESSAGE, REQUESTS_MESSAGE
from qwen_omni.errors import RateLimitError
from qwen_omni.longmedia import LongMedia, PlanOptions
from qwen_omni.ratelimit import (
    TOKEN_UNIT,
    InMemoryBackend,
    RateLimiter,
    RedisBackend,
    SQLiteBackend,
    Unlimited,
    estimate_payload_tokens,
)
from qwen_omni.request_count import counting_requests

PAYLOAD = {"messages": [{"role": "user", "content": "Hello"}]}
HI = [Message("user", "Hi")]


@pytest.fixture(autouse=True)
def _fresh(request: pytest.FixtureRequest) -> None:
    """The module's emulator with no request recorded and no fault queued (for the tests that use it)."""
    if "emu" in request.fixturenames:
        request.getfixturevalue("emu").reset()


def _most_in_a_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


def test_the_default_is_the_documented_quota() -> None:
    limiter = RateLimiter()
    assert (limiter.rpm, limiter.tpm, limiter.window) == (60, 100_000, 60.0)  # the reference's rate-limit page


def test_every_client_has_an_adaptive_limiter_of_its_own() -> None:
    first, second = OmniClient(api_key="sk-a"), OmniClient(api_key="sk-b")
    assert isinstance(first.rate_limiter, RateLimiter) and first.rate_limiter is not second.rate_limiter
    assert (first.rate_limiter.rpm, first.rate_limiter.tpm) == (None, None), "no quota assumed: it learns it"


def test_requests_are_spaced_and_never_over_rpm_over_60_a_second() -> None:
    limiter = RateLimiter(rpm=120, tpm=None, window=6.0)  # 120 per 6 s: two per 0.1 s "second"
    times = []
    for _ in range(12):
        limiter.acquire(PAYLOAD)
        times.append(time.monotonic())
    assert limiter.requests == 12 and limiter.waited > 0
    assert _most_in_a_window(times, 0.1) <= 2 and _most_in_a_window(times, 6.0) <= 120
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 6.3 / 120 * 0.99, "evenly spaced: one interval (window plus 5 % slack, over rpm) apart"


def test_tokens_are_budgeted_too() -> None:
    limiter = RateLimiter(rpm=6000, tpm=10 * TOKEN_UNIT, window=0.3)
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
    limiter = RateLimiter(rpm=60, tpm=None, window=0.6)
    times: list[float] = []

    async def one() -> None:
        await limiter.aacquire(PAYLOAD)
        times.append(time.monotonic())

    def some() -> None:
        for _ in range(3):
            limiter.acquire(PAYLOAD)
            times.append(time.monotonic())

    await asyncio.gather(*(one() for _ in range(4)), asyncio.to_thread(some))
    assert len(times) == 7 and _most_in_a_window(times, 0.01) <= 1


def test_a_wait_past_the_calls_time_or_max_wait_is_refused_at_once() -> None:
    limiter = RateLimiter(rpm=1, tpm=None, window=60.0, max_wait=5.0)
    limiter.acquire(PAYLOAD)
    started = time.monotonic()
    with pytest.raises(RateLimitError, match=r"past the 1 s this call had left") as caught:
        limiter.acquire(PAYLOAD, within=1.0)
    assert caught.value.status_code is None, "the limiter's verdict, not the server's 429"
    with pytest.raises(RateLimitError, match=r"past max_wait=5 s"):
        limiter.acquire(PAYLOAD)
    assert time.monotonic() - started < 1.0, "refused, not waited out"


def test_a_call_that_cannot_get_room_in_time_fails_before_sending(emu: Emulator) -> None:
    limiter = RateLimiter(rpm=1, tpm=None)
    client = OmniClient(api_key="sk-test", base_url=emu.base_url, rate_limiter=limiter, timeout=2.0)
    client.complete(HI)
    with pytest.raises(RateLimitError, match="this call had left"):
        client.complete(HI)
    assert len(emu.requests) == 1


# ------------------------------------------------------------------------------------------ the three 429s


def _client(emu: Emulator, limiter: RateLimiter | None = None, retries: int = 2) -> OmniClient:
    policy = RetryPolicy(max_retries=retries, initial_delay=0.01, max_delay=0.05)
    return OmniClient(api_key="sk-test", base_url=emu.base_url, rate_limiter=limiter, retry_policy=policy)


def test_a_429_pauses_every_request_of_the_client_and_halves_its_pace(emu: Emulator) -> None:
    limiter = RateLimiter(rpm=600, tpm=None, window=60.0)  # starts at 2.4 a second: 0.42 s apart
    client = _client(emu, limiter)
    emu.inject(Fault(status=429, message=REQUESTS_MESSAGE, retry_after=3))

    async def three() -> None:
        await asyncio.gather(*(client.acomplete(HI) for _ in range(3)))

    before = limiter.pace.rate
    asyncio.run(three())
    (refused,) = [r for r in emu.requests if r.status == 429]
    answered = [r for r in emu.requests if r.status == 200]
    assert len(answered) == 3
    assert all(r.arrived - refused.arrived >= 2.9 for r in answered), "the retry and the waiting two were held"
    assert limiter.pauses == 1 and limiter.pace.decreases == 1 and limiter.pace.rate < before


def test_the_burst_guard_slows_the_pace_and_is_retried(emu: Emulator) -> None:
    limiter = RateLimiter(rpm=6000, tpm=None)
    emu.inject(Fault(code="limit_burst_rate", retry_after_ms=100))
    result = _client(emu, limiter).complete(HI)
    assert result.finish_reason == "stop" and [r.status for r in emu.requests] == [429, 200]
    assert emu.requests[0].error_message == BURST_MESSAGE and limiter.pace.decreases == 1


def test_an_allocated_quota_fails_at_once_with_a_clear_message(emu: Emulator) -> None:
    limiter = RateLimiter()
    emu.set_rate_limit(None, quota=0)
    try:
        with counting_requests() as sent, pytest.raises(RateLimitError) as caught:
            _client(emu, limiter).complete(HI)
    finally:
        emu.set_rate_limit(None)
    error = caught.value
    assert error.kind == "quota" and str(error).startswith(QUOTA_MESSAGE)
    assert "retrying does not help" in str(error) and "Raise the quota in Model Studio" in str(error)
    assert sent.sent == 1 and limiter.pauses == 0 and limiter.pace.decreases == 0


def test_a_longer_wait_than_the_policy_allows_is_raised_with_it_and_holds_the_client(emu: Emulator) -> None:
    limiter = RateLimiter(rpm=None, tpm=None)
    client = OmniClient(
        api_key="sk-test", base_url=emu.base_url, rate_limiter=limiter, timeout=5.0,
        retry_policy=RetryPolicy(max_retries=2, max_retry_after=1.0),
    )  # fmt: skip
    emu.inject(Fault(status=429, retry_after=120))
    with pytest.raises(RateLimitError) as first:
        client.complete(HI)
    assert first.value.retry_after == 120 and len(emu.requests) == 1
    with pytest.raises(RateLimitError, match="pause after a 429"):
        client.complete(HI)  # the client is held for 120 s: more than this call's 5 s, refused without sending
    assert len(emu.requests) == 1


def test_without_a_limiter_the_policys_backoff_alone_waits(emu: Emulator) -> None:
    emu.inject(Fault(status=429, retry_after_ms=50), times=2)
    client = _client(emu, Unlimited())  # type: ignore[arg-type]
    assert client.complete(HI).finish_reason == "stop" and len(emu.requests) == 3


# ------------------------------------------------------------------------------------------ no limiter configured


def test_a_pipeline_with_no_limiter_configured_does_not_storm_a_10_rpm_account() -> None:
    with Emulator(rpm=10, rpm_window=60.0) as emu:
        pipeline = LongMedia(
            OmniClient(api_key="sk-test", base_url=emu.base_url), model="qwen-omni-turbo",
            options=PlanOptions(segment_seconds=10),
        )  # fmt: skip
        result = pipeline.run(samples.tone_wav(60.0), "transcript", name="tone.wav")  # the window: one minute
        arrivals = [r.arrived for r in emu.requests]
    segments = len(result.plan.segments)
    assert result.complete and segments >= 6
    assert len(arrivals) <= 1.5 * segments, f"{len(arrivals)} requests for {segments} segments"
    assert _most_in_a_window(arrivals, 1.0) <= 2
    assert result.requests == len(arrivals), "the run counts every request sent, the client's retries too"


# ------------------------------------------------------------------------------------------ copies and processes


def test_a_limiter_pickles_as_its_settings(tmp_path: Path) -> None:
    memory = pickle.loads(pickle.dumps(RateLimiter(rpm=30, tpm=None, window=6.0, key="k")))
    assert (memory.rpm, memory.tpm, memory.window, memory.key) == (30, None, 6.0, "k")
    assert isinstance(memory.backend, InMemoryBackend), "a copy in another process has its own in-memory budget"
    shared = pickle.loads(pickle.dumps(RateLimiter(backend=SQLiteBackend(tmp_path))))
    assert isinstance(shared.backend, SQLiteBackend) and shared.backend.path == tmp_path / SQLiteBackend.FILE_NAME


def _worker(backend: SQLiteBackend | RedisBackend, key: str, count: int, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    limiter = RateLimiter(rpm=600, tpm=None, window=6.0, backend=backend, key=key)
    for _ in range(count):
        limiter.acquire(PAYLOAD)
        out.put(time.time())


def _shared_by_two_processes(backend: SQLiteBackend | RedisBackend, key: str) -> list[float]:
    context = multiprocessing.get_context("spawn")
    out: multiprocessing.Queue = context.Queue()  # type: ignore[type-arg]
    workers = [context.Process(target=_worker, args=(backend, key, 8, out)) for _ in range(2)]
    for worker in workers:
        worker.start()
    times = [out.get(timeout=120) for _ in range(16)]
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    return times


def test_processes_share_one_pace_through_a_sqlite_file(tmp_path: Path) -> None:
    times = _shared_by_two_processes(SQLiteBackend(tmp_path), "shared-key")
    assert _most_in_a_window(times, 0.1) <= 10, "600 per 6 s: at most ten per 0.1 s between both"
    gaps = sorted(b - a for a, b in itertools.pairwise(sorted(times)))
    assert gaps[len(gaps) // 2] >= 0.009, "the two processes are spaced as one stream, not two"


def test_processes_share_one_pace_through_redis() -> None:
    with redis_server() as port:
        times = _shared_by_two_processes(RedisBackend(f"redis://127.0.0.1:{port}/0"), "shared-key")
    assert _most_in_a_window(times, 0.1) <= 10
    gaps = sorted(b - a for a, b in itertools.pairwise(sorted(times)))
    assert gaps[len(gaps) // 2] >= 0.009


def test_other_keys_have_their_own_budget() -> None:
    with redis_server() as port:
        backend = RedisBackend(f"redis://127.0.0.1:{port}/0")
        first = RateLimiter(rpm=1, tpm=None, window=60.0, backend=backend, key="a", max_wait=0.3)
        second = RateLimiter(rpm=1, tpm=None, window=60.0, backend=backend, key="b", max_wait=0.3)
        first.acquire(PAYLOAD)
        second.acquire(PAYLOAD)
        with pytest.raises(RateLimitError):
            first.acquire(PAYLOAD)
        backend.close()


def test_the_redis_backend_takes_a_client_or_a_url_and_never_shows_the_password() -> None:
    redis = pytest.importorskip("redis")
    from_client = RedisBackend(redis.Redis(host="10.1.2.3", port=6390, db=3, password="s3cret"))
    from_url = RedisBackend("redis://:s3cret@10.1.2.3:6390/3")
    assert repr(from_client) == repr(from_url) == "RedisBackend('Redis at 10.1.2.3:6390/3', prefix='qwen-omni')"
    assert "s3cret" not in repr(RateLimiter(backend=from_client))
    counts = collections.Counter(type(b).__name__ for b in (from_client, pickle.loads(pickle.dumps(from_url))))
    assert counts == {"RedisBackend": 2}
