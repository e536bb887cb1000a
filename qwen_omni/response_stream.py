"""The streams a call returns: deltas as their chunks arrive, retries before the first delta, one deadline, and a
hang-up the moment the caller stops.

:class:`_Call` holds what the sync and async streams share, without I/O: the deadline, the attempt count,
whether anything reached the caller, the accumulator, and the decision to retry or raise. :class:`ResponseStream`
and :class:`AsyncResponseStream` only move chunks from the SDK into it.

Closing (``close()``, ``aclose()``, leaving a ``with`` block, a cancelled task, or the stream object going away
after ``for delta in client.stream(...): break``) closes the HTTP response at once, so the server stops
streaming; nothing is logged.

Example:
    >>> from qwen_omni import OmniClient, Message
    >>> from qwen_omni.emulator import Emulator
    >>> with Emulator() as emu, OmniClient(api_key="sk-test", base_url=emu.base_url) as client:
    ...     with client.stream([Message("user", "Hello")]) as stream:
    ...         first = next(stream)
    >>> type(first).__name__
    'TextDelta'
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final

import anyio
from openai import AsyncStream, Stream
from openai.types.chat import ChatCompletion

from .deadline import Deadline
from .error_mapping import map_error
from .errors import (
    APIError,
    APIProtocolError,
    APITimeoutError,
    QwenOmniError,
    RateLimitError,
    RateLimiterUnavailableError,
)
from .request import payload_summary
from .request_count import count_request
from .retry import is_transient
from .retry_budget import take_retry
from .stream import Delta, OmniResult, StreamAccumulator

if TYPE_CHECKING:
    from .client import OmniClient

__all__ = ["AsyncResponseStream", "ResponseStream"]

logger = logging.getLogger("qwen_omni")

_END: Final = object()
#: Chunks are read as the parsed JSON as it is (``object`` makes the SDK skip building its typed models, which would
#: cost more than the rest of the work on a chunk); :class:`~qwen_omni.stream.StreamAccumulator` checks every field.
_Chunk = object
_PATH = "/chat/completions"
_EVENT_STREAM = "text/event-stream"
#: Hang-ups scheduled for async streams collected while their loop runs (the loop keeps only weak references).
_CLOSING: set[asyncio.Task[None]] = set()


class _Call:
    """One call's attempts, without I/O: deadline, accumulator, what was delivered, and whether to retry."""

    def __init__(self, client: OmniClient, payload: dict[str, Any], *, keep_audio: bool = True) -> None:
        self.client = client
        self.payload = payload
        self.attempt = 0
        self.delivered = False
        self.keep_audio = keep_audio
        self.accumulator = StreamAccumulator(keep_audio=keep_audio)
        self._deadline: Deadline | None = None

    @property
    def deadline(self) -> Deadline:
        """Starts when the request is first sent (the first iteration), not when the stream object is made."""
        if self._deadline is None:
            self._deadline = Deadline.after(self.client.timeout)
            logger.debug("POST %s%s %s", self.client.base_url, _PATH, payload_summary(self.payload))
        return self._deadline

    def start_attempt(self) -> float | None:
        """A fresh accumulator; the timeout of this attempt's HTTP request (the time the call has left)."""
        self.accumulator = StreamAccumulator(keep_audio=self.keep_audio)
        count_request()
        return self.deadline.remaining()

    def admitted(self, headers: Mapping[str, str]) -> None:
        """The server accepted the request (a 200 event stream): the client's pace may grow."""
        self.check_response(headers)
        self.client.rate_limiter.admitted()

    def check_response(self, headers: Mapping[str, str]) -> None:
        """Refuse a 200 answer that is not an event stream (a proxy's or captive portal's page)."""
        kind = headers.get("content-type", _EVENT_STREAM).partition(";")[0].strip().lower()
        if kind != _EVENT_STREAM:
            raise APIProtocolError(
                f"The server answered 200 with {kind or 'no content type'}, not an event stream: a proxy or "
                f"gateway may have answered instead of the API at {self.client.base_url}.",
                status_code=200,
            )

    def feed(self, chunk: Any) -> list[Delta]:
        if self.deadline.expired:
            raise self.deadline.error(self.client.base_url)
        deltas = self.accumulator.feed(chunk)
        self.delivered = self.delivered or bool(deltas)
        return deltas

    def finish(self) -> OmniResult:
        return self.accumulator.finish()

    def failed(self, exc: BaseException) -> tuple[QwenOmniError, float | None]:
        """Our error for ``exc``, and the seconds to wait before retrying (None: raise it)."""
        client = self.client
        error = map_error(exc, base_url=client.base_url, secret=client.secret())
        pause = None
        if isinstance(error, RateLimitError) and error.status_code == 429 and error.kind != "quota":
            pause = client.rate_limiter.slow_down(error.retry_after, error.kind)
        limiter_error = isinstance(error, RateLimiterUnavailableError) or (
            isinstance(error, RateLimitError) and error.status_code is None
        )  # the limiter's own verdict, which already names the call's time
        if (isinstance(error, APITimeoutError) or self.deadline.expired) and not limiter_error:
            error = self.deadline.error(client.base_url) if self.deadline.timeout is not None else error
        return error, self._retry_delay(error, pause)

    def _retry_delay(self, error: QwenOmniError, pause: float | None) -> float | None:
        """Seconds to sleep before the next attempt, or None to raise ``error``. ``pause`` is how long the rate
        limiter holds every request of the client after a 429 (None if it does not)."""
        policy = self.client.retry_policy
        if self.delivered or self.attempt >= policy.max_retries or not is_transient(error):
            return None
        retry_after = error.retry_after if isinstance(error, APIError) else None
        if pause is not None:
            # The rate limiter holds this retry (and every other request of the client) for the pause and lowers
            # its pace, so the retry sleeps no more itself. A wait over the policy's cap is raised, with the wait.
            if retry_after is not None and retry_after > policy.max_retry_after:
                return None
            delay: float | None = 0.0
            needed: float | None = pause
            shown: float | None = pause
        else:
            delay = needed = shown = policy.delay(self.attempt, retry_after)
        if delay is None or needed is None or not self.deadline.allows(needed):
            return None  # a longer wait than the policy's cap, or than the deadline leaves: raise, with the wait
        if not take_retry(error):
            return None  # the caller's budget of tries for this work is spent (qwen_omni.retry_budget)
        self.attempt += 1
        logger.warning(
            "Qwen-Omni request failed (%s); retry %d of %d in %.2f s",
            type(error).__name__,
            self.attempt,
            policy.max_retries,
            shown,
        )
        return delay


class _StreamBase:
    def __init__(
        self,
        client: OmniClient,
        payload: dict[str, Any],
        headers: Mapping[str, str] | None,
        *,
        keep_audio: bool = True,
    ) -> None:
        self.payload = payload
        self._call = _Call(client, payload, keep_audio=keep_audio)
        self._headers = dict(headers or {})
        self._pending: deque[Delta] = deque()
        self._result: OmniResult | None = None
        self._done = False

    @property
    def result(self) -> OmniResult:
        """The whole answer; raises if the stream has not been read to the end."""
        if self._result is None:
            raise RuntimeError("The stream has not been read to the end yet; iterate it first.")
        return self._result


class ResponseStream(_StreamBase, Iterator[Delta]):
    """Deltas as their chunks arrive; :attr:`result` holds the whole answer once the stream is exhausted."""

    def __init__(
        self,
        client: OmniClient,
        payload: dict[str, Any],
        headers: Mapping[str, str] | None,
        *,
        keep_audio: bool = True,
    ) -> None:
        super().__init__(client, payload, headers, keep_audio=keep_audio)
        self._chunks: Stream[_Chunk] | None = None

    def __iter__(self) -> Iterator[Delta]:
        return self

    def __next__(self) -> Delta:
        while not self._pending:
            if self._done:
                raise StopIteration
            self._step()
        return self._pending.popleft()

    def close(self) -> None:
        """Stop reading and hang up now (a stream read to the end closes itself)."""
        self._done = True
        self._pending.clear()
        self._release()

    def __enter__(self) -> ResponseStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_chunks", None) is not None:
            self._release()

    def _step(self) -> None:
        call = self._call
        with call.deadline.bounding_sync_io():
            try:
                if self._chunks is None:
                    self._chunks = self._open()
                    call.admitted(self._chunks.response.headers)
                chunk = next(self._chunks, _END)
                if chunk is _END:
                    self._release()
                    self._result = call.finish()
                    self._done = True
                else:
                    self._pending.extend(call.feed(chunk))
                return
            except Exception as exc:
                self._release()
                error, delay = call.failed(exc)
        if delay is None:
            self._done = True
            raise error  # outside the except block: the SDK's exception (which holds the request) is not chained
        if delay:
            time.sleep(delay)

    def _open(self) -> Stream[_Chunk]:
        client = self._call.client
        client.rate_limiter.acquire(self.payload, within=self._call.deadline.remaining())
        sdk = client._clients.sync()
        return sdk.post(
            _PATH,
            body=self.payload,
            cast_to=ChatCompletion,
            options={"headers": self._headers, "timeout": self._call.start_attempt()},
            stream=True,
            stream_cls=Stream[_Chunk],
        )

    def _release(self) -> None:
        chunks, self._chunks = self._chunks, None
        if chunks is not None:
            chunks.close()


class AsyncResponseStream(_StreamBase, AsyncIterator[Delta]):
    """The async form of :class:`ResponseStream`; also hangs up when the task reading it is cancelled."""

    def __init__(
        self,
        client: OmniClient,
        payload: dict[str, Any],
        headers: Mapping[str, str] | None,
        *,
        keep_audio: bool = True,
    ) -> None:
        super().__init__(client, payload, headers, keep_audio=keep_audio)
        self._chunks: AsyncStream[_Chunk] | None = None

    def __aiter__(self) -> AsyncIterator[Delta]:
        return self

    async def __anext__(self) -> Delta:
        while not self._pending:
            if self._done:
                raise StopAsyncIteration
            await self._step()
        return self._pending.popleft()

    async def aclose(self) -> None:
        """Stop reading and hang up now (a stream read to the end closes itself)."""
        self._done = True
        self._pending.clear()
        await self._release()

    async def __aenter__(self) -> AsyncResponseStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __del__(self) -> None:
        chunks = getattr(self, "_chunks", None)
        if chunks is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # collected outside its loop: the loop's shutdown closes the connection
            return
        task = loop.create_task(chunks.close())
        _CLOSING.add(task)
        task.add_done_callback(_CLOSING.discard)

    async def _step(self) -> None:
        call = self._call
        try:
            async with call.deadline.bounding_awaits():
                if self._chunks is None:
                    self._chunks = await self._open()
                    call.admitted(self._chunks.response.headers)
                chunk = await anext(self._chunks, _END)
            if chunk is _END:
                await self._release()
                self._result = call.finish()
                self._done = True
            else:
                self._pending.extend(call.feed(chunk))
            return
        except Exception as exc:
            if self._done:
                return  # closed by aclose() from another task while this one was reading
            await self._release()
            error, delay = call.failed(exc)
        except BaseException:
            await self._release()  # cancelled: hang up now
            raise
        if delay is None:
            self._done = True
            raise error  # outside the except block: the SDK's exception (which holds the request) is not chained
        if delay:
            await asyncio.sleep(delay)

    async def _open(self) -> AsyncStream[_Chunk]:
        client = self._call.client
        await client.rate_limiter.aacquire(self.payload, within=self._call.deadline.remaining())
        sdk = await client._clients.async_()
        return await sdk.post(
            _PATH,
            body=self.payload,
            cast_to=ChatCompletion,
            options={"headers": self._headers, "timeout": self._call.start_attempt()},
            stream=True,
            stream_cls=AsyncStream[_Chunk],
        )

    async def _release(self) -> None:
        chunks, self._chunks = self._chunks, None
        if chunks is not None:
            with anyio.CancelScope(shield=True):
                await chunks.close()
