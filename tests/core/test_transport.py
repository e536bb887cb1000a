"""The transport against a misbehaving server: one deadline per call, hang-up on close, only our errors, sane
``Retry-After``, a scrubbed key, and connections that do not outlive their client or event loop."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from qwen_omni import samples
from qwen_omni.client import OmniClient, RetryPolicy
from qwen_omni.emulator import Emulator, Fault
from qwen_omni.emulator.received import Delivery
from qwen_omni.errors import (
    APIConnectionError,
    APIProtocolError,
    APITimeoutError,
    AuthenticationError,
    IncompleteResponseError,
    QwenOmniError,
    RateLimitError,
    ServerError,
)
from qwen_omni.parts import ImagePart, TextPart
from qwen_omni.request import Message
from qwen_omni.stream import TextDelta

SECRET = "sk-transport-secret-42"
FAST = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.05)
HELLO = [Message("user", "Hello there, my friend: how are you today?")]
#: A stream long enough (about 1.4 s at this pace) that a hang-up shows as events never sent.
SLOW = Fault(chunk_delay=0.2)


@pytest.fixture
def client(emu: Emulator) -> Iterator[OmniClient]:
    emu.reset()
    with OmniClient(api_key=SECRET, base_url=emu.base_url, retry_policy=FAST) as c:
        yield c


def delivery(emu: Emulator) -> Delivery:
    request = emu.last_request
    assert request is not None and request.delivery is not None
    return request.delivery


async def adelivery_over(emu: Emulator) -> Delivery:
    """The last stream's delivery once it is over (waiting in a thread, so the event loop goes on)."""
    d = delivery(emu)
    assert await asyncio.to_thread(d.wait, 5.0), "the server's stream never ended"
    return d


def hung_up(d: Delivery) -> None:
    assert d.wait(5.0), "the server's stream never ended"
    assert d.state == "disconnected", f"the server saw no hang-up: {d}"
    assert d.sent < d.planned


def elapsed(fn: Callable[[], Any]) -> tuple[BaseException | None, float]:
    start = time.monotonic()
    try:
        fn()
    except BaseException as exc:
        return exc, time.monotonic() - start
    return None, time.monotonic() - start


# ------------------------------------------------------------------------------------------ the deadline


@pytest.mark.parametrize(
    "fault",
    [Fault(byte_delay=0.01), Fault(header_delay=30), Fault(first_chunk_delay=30), Fault(chunk_delay=0.3)],
    ids=["trickle", "slow-first-byte", "slow-first-chunk", "slow-chunks"],
)
def test_timeout_bounds_the_whole_sync_call(emu: Emulator, fault: Fault) -> None:
    emu.reset()
    emu.inject(fault, times=3)
    client = OmniClient(api_key=SECRET, base_url=emu.base_url, timeout=0.5, retry_policy=FAST)
    error, seconds = elapsed(lambda: client.complete(HELLO))
    assert isinstance(error, APITimeoutError), error
    assert "timeout=0.5 s" in str(error)
    assert seconds < 3.0, "each read got a fresh timeout instead of the time left"
    assert len(emu.requests) == 1, "a timeout leaves no time for a retry"


@pytest.mark.parametrize("fault", [Fault(byte_delay=0.01), Fault(header_delay=30)], ids=["trickle", "slow-first-byte"])
def test_timeout_bounds_the_whole_async_call(emu: Emulator, fault: Fault) -> None:
    emu.reset()
    emu.inject(fault, times=3)
    client = OmniClient(api_key=SECRET, base_url=emu.base_url, timeout=0.5, retry_policy=FAST)
    error, seconds = elapsed(lambda: asyncio.run(client.acomplete(HELLO)))
    assert isinstance(error, APITimeoutError), error
    assert seconds < 3.0


def test_a_server_trickling_its_headers_cannot_hold_a_sync_call() -> None:
    """Below HTTP: a server that sends its status line one byte at a time, forever."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            conn.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\n" * 1000:
                if stop.wait(0.02):
                    return
                conn.sendall(bytes([byte]))

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        port = listener.getsockname()[1]
        client = OmniClient(api_key=SECRET, base_url=f"http://127.0.0.1:{port}/v1", timeout=0.5)
        error, seconds = elapsed(lambda: client.complete(HELLO))
    finally:
        stop.set()
        listener.close()
    assert isinstance(error, APITimeoutError), error
    assert seconds < 3.0


def test_retries_share_the_calls_deadline(emu: Emulator) -> None:
    emu.reset()
    emu.inject(Fault(status=503, retry_after=0.3), times=5)
    client = OmniClient(api_key=SECRET, base_url=emu.base_url, timeout=0.5, retry_policy=RetryPolicy(max_retries=5))
    error, seconds = elapsed(lambda: client.complete(HELLO))
    assert isinstance(error, ServerError), "the last failure is raised when its retry would end past the deadline"
    assert error.retry_after == pytest.approx(0.3)
    assert len(emu.requests) == 2, "one retry fits in 0.5 s, the second would not"
    assert seconds < 0.5


def test_no_timeout_means_no_deadline(client: OmniClient, emu: Emulator) -> None:
    emu.inject(Fault(chunk_delay=0.02))
    unbounded = OmniClient(api_key=SECRET, base_url=emu.base_url, timeout=None)
    assert unbounded.complete(HELLO).finish_reason == "stop"


# ------------------------------------------------------------------------------------------ hanging up


def test_close_hangs_up_at_once(client: OmniClient, emu: Emulator) -> None:
    emu.inject(SLOW)
    stream = client.stream(HELLO)
    assert isinstance(next(stream), TextDelta)
    stream.close()
    hung_up(delivery(emu))


def test_break_hangs_up_without_garbage_collection(client: OmniClient, emu: Emulator) -> None:
    emu.inject(SLOW)
    gc.disable()
    try:
        for _ in client.stream(HELLO):
            break
        hung_up(delivery(emu))
    finally:
        gc.enable()


def test_leaving_with_hangs_up(client: OmniClient, emu: Emulator) -> None:
    emu.inject(SLOW)
    with client.stream(HELLO) as stream:
        next(stream)
    hung_up(delivery(emu))
    with pytest.raises(StopIteration):
        next(stream)


@pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
async def test_aclose_hangs_up_at_once_and_logs_nothing(
    client: OmniClient, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu.inject(SLOW)
    with caplog.at_level(logging.DEBUG):
        stream = client.astream(HELLO)
        await stream.__anext__()
        await stream.aclose()
        d = await adelivery_over(emu)
    hung_up(d)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


async def test_async_with_and_break_hang_up(client: OmniClient, emu: Emulator) -> None:
    emu.inject(SLOW)
    async with client.astream(HELLO) as stream:
        await stream.__anext__()
    hung_up(await adelivery_over(emu))
    emu.inject(SLOW)
    async for _ in client.astream(HELLO):
        break
    hung_up(await adelivery_over(emu))


async def test_cancelling_the_task_hangs_up(client: OmniClient, emu: Emulator) -> None:
    emu.inject(SLOW)
    first = asyncio.Event()

    async def consume() -> None:
        async for _ in client.astream(HELLO):
            first.set()

    task = asyncio.create_task(consume())
    await first.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    hung_up(await adelivery_over(emu))


async def test_aclose_from_another_task_ends_the_reader_quietly(client: OmniClient, emu: Emulator) -> None:
    emu.inject(SLOW)
    stream = client.astream(HELLO)
    await stream.__anext__()
    reader = asyncio.create_task(stream.__anext__())
    await asyncio.sleep(0.05)  # the reader is now waiting for the next chunk
    await stream.aclose()
    with pytest.raises(StopAsyncIteration):
        await reader
    hung_up(await adelivery_over(emu))


# ------------------------------------------------------------------------------------------ only our errors


@pytest.mark.parametrize("kind", ["json", "html"])
def test_a_malformed_line_before_any_delta_is_retried(client: OmniClient, emu: Emulator, kind: str) -> None:
    emu.inject(Fault(malformed_after=1, malformed=kind))  # after the role chunk, which carries no delta
    assert client.complete(HELLO).finish_reason == "stop"
    assert len(emu.requests) == 2


@pytest.mark.parametrize("kind", ["json", "html"])
def test_a_malformed_line_after_a_delta_is_a_protocol_error(client: OmniClient, emu: Emulator, kind: str) -> None:
    emu.inject(Fault(malformed_after=3, malformed=kind), times=3)
    with pytest.raises(APIProtocolError, match="not JSON") as info:
        client.complete(HELLO)
    assert not isinstance(info.value, ValueError), "a broken stream is not bad input"
    assert len(emu.requests) == 1, "a delta had reached the caller"


def test_a_200_html_page_is_a_protocol_error_and_retried(client: OmniClient, emu: Emulator) -> None:
    emu.inject(Fault(html=True), times=3)
    with pytest.raises(APIProtocolError, match="text/html, not an event stream"):
        client.complete(HELLO)
    assert len(emu.requests) == 3


def test_html_error_pages_are_server_errors(client: OmniClient, emu: Emulator) -> None:
    emu.inject(Fault(status=502, html=True), times=3)
    with pytest.raises(ServerError) as info:
        client.complete(HELLO)
    assert info.value.status_code == 502 and len(emu.requests) == 3


def test_a_reset_before_the_headers_is_a_connection_error_and_retried(client: OmniClient, emu: Emulator) -> None:
    emu.inject(Fault(reset=True), times=3)
    with pytest.raises(APIConnectionError):
        client.complete(HELLO)
    assert len(emu.requests) == 3
    emu.reset()
    emu.inject(Fault(reset=True))
    assert client.complete(HELLO).finish_reason == "stop"


def test_no_done_after_the_finish_reason_is_a_whole_answer(client: OmniClient, emu: Emulator) -> None:
    emu.inject(Fault(no_done=True))
    result = client.complete(HELLO)
    assert result.finish_reason == "stop" and result.usage is not None


def test_no_finish_reason_is_incomplete(client: OmniClient, emu: Emulator) -> None:
    emu.inject(Fault(no_finish=True), times=3)
    with pytest.raises(IncompleteResponseError):
        client.complete(HELLO)
    assert len(emu.requests) == 1


# ------------------------------------------------------------------------------------------ Retry-After


def test_a_garbage_retry_after_falls_back_to_backoff(
    client: OmniClient, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu.inject(Fault(status=429, retry_after_header="soon"))
    with caplog.at_level(logging.WARNING, logger="qwen_omni"):
        assert client.complete(HELLO).finish_reason == "stop"
    (record,) = [r for r in caplog.records if "retry" in r.getMessage()]
    assert "RateLimitError" in record.getMessage()


def test_retry_after_ms_and_http_dates_are_honoured(
    client: OmniClient, emu: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    emu.inject(Fault(status=429, retry_after_ms=150))
    emu.inject(Fault(status=503, retry_after_header="Thu, 01 Jan 1970 00:00:00 GMT"))
    with caplog.at_level(logging.WARNING, logger="qwen_omni"):
        assert client.complete(HELLO).finish_reason == "stop"
    waits = [r.getMessage().rsplit(" in ", 1)[1] for r in caplog.records if "retry" in r.getMessage()]
    assert waits == ["0.15 s", "0.00 s"], "retry-after-ms, then a date in the past: no wait"


@pytest.mark.parametrize("fault", [Fault(status=429, retry_after=120), Fault(status=429, retry_after_ms=3e9)])
def test_a_wait_longer_than_the_cap_is_raised_with_the_wait(client: OmniClient, emu: Emulator, fault: Fault) -> None:
    emu.inject(fault, times=3)
    with pytest.raises(RateLimitError) as info:
        client.complete(HELLO)
    assert info.value.retry_after is not None and info.value.retry_after > FAST.max_retry_after
    assert len(emu.requests) == 1, "no early retry"


# ------------------------------------------------------------------------------------------ the key


def _every_text(error: BaseException) -> str:
    """Everything an error carries that a log or a tracker might print."""
    parts = [str(error), repr(error), repr(vars(error)), repr(error.args)]
    for linked in (error.__cause__, error.__context__):
        if linked is not None:
            parts.append(_every_text(linked))
    return "\n".join(parts)


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_an_echoed_key_is_scrubbed_from_everything_the_error_carries(emu: Emulator, mode: str) -> None:
    emu.reset()
    emu.inject(Fault(echo_authorization=True))
    client = OmniClient(api_key=SECRET, base_url=emu.base_url, retry_policy=FAST)
    with pytest.raises(AuthenticationError) as info:
        client.complete(HELLO) if mode == "sync" else asyncio.run(client.acomplete(HELLO))
    error = info.value
    assert "***" in error.message and "***" in str(error.body)
    assert error.__cause__ is None and error.__context__ is None, "the SDK's exception (with the request) is dropped"
    assert SECRET not in _every_text(error)
    assert SECRET not in repr(emu.requests), "the emulator's journal never holds a key either"


def test_a_key_from_the_environment_is_scrubbed_too(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    emu.reset()
    monkeypatch.setenv("DASHSCOPE_API_KEY", SECRET)
    emu.inject(Fault(echo_authorization=True))
    with pytest.raises(AuthenticationError) as info:
        OmniClient(base_url=emu.base_url).complete(HELLO)
    assert SECRET not in _every_text(info.value)


# ------------------------------------------------------------------------------------------ connections


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _settled_fds(baseline: int) -> int:
    """The fd count once the server has closed its side of what the client hung up (it may lag a little)."""
    deadline = time.monotonic() + 2.0
    count = _open_fds()
    while count > baseline and time.monotonic() < deadline:
        time.sleep(0.02)
        count = _open_fds()
    return count


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts file descriptors through /proc")
def test_no_sockets_leak_across_event_loops(client: OmniClient) -> None:
    async def round_of(n: int) -> None:
        await asyncio.gather(*(client.acomplete(HELLO) for _ in range(n)))

    asyncio.run(round_of(20))
    baseline = _settled_fds(_open_fds())
    for _ in range(6):
        asyncio.run(round_of(20))
    assert _settled_fds(baseline) <= baseline, "each asyncio.run left connections open"


def test_close_and_aclose_release_the_connections(emu: Emulator) -> None:
    emu.reset()
    client = OmniClient(api_key=SECRET, base_url=emu.base_url)
    client.complete(HELLO)
    sdk = client._clients.sync()
    client.close()
    assert sdk.is_closed()
    assert client.complete(HELLO).finish_reason == "stop", "a closed client opens new connections"

    async def use() -> bool:
        async with OmniClient(api_key=SECRET, base_url=emu.base_url) as aclient:
            await aclient.acomplete(HELLO)
            asdk = await aclient._clients.async_()
        return asdk.is_closed()

    assert asyncio.run(use())


def test_sixteen_threads_on_a_fresh_client_build_one_sdk_client(emu: Emulator) -> None:
    client = OmniClient(api_key=SECRET, base_url=emu.base_url)
    barrier = threading.Barrier(16)
    built: list[int] = []

    def build() -> None:
        barrier.wait()
        built.append(id(client._clients.sync()))

    threads = [threading.Thread(target=build) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 16 and len(set(built)) == 1


def test_every_failure_is_ours(client: OmniClient, emu: Emulator) -> None:
    faults = [
        Fault(status=500),
        Fault(cut_after=3),
        Fault(error_event_after=3),
        Fault(malformed_after=3),
        Fault(end_early_after=3),
        Fault(reset=True),
    ]
    for fault in faults:
        emu.inject(fault, times=3)
        with pytest.raises(QwenOmniError):
            client.complete([Message("user", [ImagePart(samples.image_png()), TextPart("hi")])])
        emu.reset()
