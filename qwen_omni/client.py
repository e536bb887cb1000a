"""The only module that does I/O: sync and async streaming over the openai SDK, with retries.

Every call streams on the wire. A :class:`ResponseStream` yields typed deltas as their chunks arrive and
holds the whole :class:`~qwen_omni.stream.OmniResult` once exhausted. Failures before anything reached the
caller are retried with exponential backoff and jitter (408, 409, 429 other than an exhausted quota, 5xx,
broken connections), honouring ``Retry-After``; nothing is retried once a delta has been delivered.

Example:
    >>> from qwen_omni import OmniClient, Message
    >>> from qwen_omni.emulator import Emulator
    >>> with Emulator() as emu:
    ...     client = OmniClient(api_key="sk-test", base_url=emu.base_url)
    ...     result = client.complete([Message("user", "Hello")], model="qwen3-omni-flash")
    >>> result.finish_reason
    'stop'
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import os
import random
import time
import weakref
from collections.abc import AsyncGenerator, AsyncIterator, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import openai
from openai import AsyncStream, Stream
from openai.types.chat import ChatCompletion, ChatCompletionChunk
from pydantic import SecretStr

from .errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    IncompleteResponseError,
    MissingAPIKeyError,
    QwenOmniError,
    RateLimitError,
    ServerError,
    StreamErrorEvent,
    error_for_status,
)
from .request import Message, RequestOptions, payload_summary, prepare_request
from .stream import Delta, OmniResult, StreamAccumulator

if TYPE_CHECKING:
    from .ratelimit import RequestBudget

logger = logging.getLogger("qwen_omni")

REGIONS: dict[str, str] = {
    "singapore": "https://dashscope-intl.aliyuncs.com/compatible-mode/v1",
    "beijing": "https://dashscope.aliyuncs.com/compatible-mode/v1",
}
_REGION_ALIASES = {"intl": "singapore", "sg": "singapore", "ap-southeast-1": "singapore",
                   "cn": "beijing", "cn-beijing": "beijing", "china": "beijing"}  # fmt: skip
DEFAULT_TIMEOUT = 600.0
_RETRYABLE_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


def resolve_base_url(base_url: str | None = None, region: str | None = None) -> str:
    """The base URL: the argument, else ``DASHSCOPE_BASE_URL``, else the region's (Singapore by default).

    Example:
        >>> resolve_base_url(region="beijing")
        'https://dashscope.aliyuncs.com/compatible-mode/v1'
    """
    if base_url:
        return base_url.rstrip("/")
    env = os.environ.get("DASHSCOPE_BASE_URL")
    if env and not region:
        return env.rstrip("/")
    key = (region or "singapore").strip().lower()
    key = _REGION_ALIASES.get(key, key)
    if key not in REGIONS:
        raise ValueError(f"Unknown region {region!r}; use 'singapore' or 'beijing', or pass base_url.")
    return REGIONS[key]


@dataclass(frozen=True)
class RetryPolicy:
    """When and how long to wait before trying again.

    The n-th retry waits ``initial_delay * 2**n`` seconds (at most ``max_delay``) less up to 25 % jitter,
    or what the server's ``Retry-After`` asks if that is at most ``max_retry_after``.
    """

    max_retries: int = 2
    initial_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        if retry_after is not None and 0 <= retry_after <= self.max_retry_after:
            return retry_after
        backoff = min(self.initial_delay * 2.0**attempt, self.max_delay)
        return backoff * (1 - 0.25 * random.random())


def _retry_after(exc: BaseException) -> float | None:
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


class OmniClient:
    """Streams Qwen-Omni answers; the key is read from ``DASHSCOPE_API_KEY`` when not given.

    A missing key is an error at the first call, not here, so frameworks can build the client eagerly.
    The key never appears in a repr, a log line or an error message.

    Example:
        >>> OmniClient(api_key="sk-secret", region="beijing")
        OmniClient(base_url='https://dashscope.aliyuncs.com/compatible-mode/v1', max_retries=2)
    """

    def __init__(
        self,
        *,
        api_key: str | SecretStr | None = None,
        base_url: str | None = None,
        region: str | None = None,
        max_retries: int = 2,
        timeout: float | None = DEFAULT_TIMEOUT,
        retry_policy: RetryPolicy | None = None,
        default_headers: Mapping[str, str] | None = None,
        rate_limiter: RequestBudget | None = None,
    ) -> None:
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        self._api_key = SecretStr(key) if key else None
        self.base_url = resolve_base_url(base_url, region)
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self.timeout = timeout
        self.default_headers = dict(default_headers or {})
        #: Waited on before every attempt and told of every 429 (:class:`qwen_omni.ratelimit.RateLimiter`).
        self.rate_limiter = rate_limiter
        self._sync_client: openai.OpenAI | None = None
        # An AsyncOpenAI client's connections belong to the event loop that opened them: keep one per loop, so
        # ``asyncio.run(client.acomplete(...))`` works any number of times.
        self._async_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, openai.AsyncOpenAI] = (
            weakref.WeakKeyDictionary()
        )

    def __repr__(self) -> str:
        return f"OmniClient(base_url={self.base_url!r}, max_retries={self.retry_policy.max_retries})"

    def _key(self) -> str:
        if self._api_key is not None:
            return self._api_key.get_secret_value()
        env = os.environ.get("DASHSCOPE_API_KEY")
        if not env:
            raise MissingAPIKeyError()
        return env

    def _sdk_kwargs(self) -> dict[str, Any]:
        return {
            "api_key": self._key(),
            "base_url": self.base_url,
            "max_retries": 0,
            "timeout": self.timeout,
            "default_headers": self.default_headers or None,
        }

    def _sync(self) -> openai.OpenAI:
        if self._sync_client is None:
            self._sync_client = openai.OpenAI(**self._sdk_kwargs())
        return self._sync_client

    def _async(self) -> openai.AsyncOpenAI:
        loop = asyncio.get_running_loop()
        client = self._async_clients.get(loop)
        if client is None:
            client = self._async_clients[loop] = openai.AsyncOpenAI(**self._sdk_kwargs())
        return client

    # -- public API -------------------------------------------------------------------------------------

    def stream(
        self,
        messages: Iterable[Message | Mapping[str, Any]],
        options: RequestOptions | None = None,
        *,
        extra_headers: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> ResponseStream:
        """Validate and send; iterate the result for deltas as they arrive. ``overrides`` are options."""
        payload = self.prepare(messages, options, **overrides)
        return ResponseStream(self, payload, extra_headers)

    def astream(
        self,
        messages: Iterable[Message | Mapping[str, Any]],
        options: RequestOptions | None = None,
        *,
        extra_headers: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> AsyncResponseStream:
        """The async form of :meth:`stream`: ``async for delta in client.astream(...)``."""
        payload = self.prepare(messages, options, **overrides)
        return AsyncResponseStream(self, payload, extra_headers)

    def complete(
        self,
        messages: Iterable[Message | Mapping[str, Any]],
        options: RequestOptions | None = None,
        *,
        extra_headers: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> OmniResult:
        """Send and return the whole answer (streamed on the wire, gathered here)."""
        stream = self.stream(messages, options, extra_headers=extra_headers, **overrides)
        for _ in stream:
            pass
        return stream.result

    async def acomplete(
        self,
        messages: Iterable[Message | Mapping[str, Any]],
        options: RequestOptions | None = None,
        *,
        extra_headers: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> OmniResult:
        """The async form of :meth:`complete`."""
        stream = self.astream(messages, options, extra_headers=extra_headers, **overrides)
        async for _ in stream:
            pass
        return stream.result

    @staticmethod
    def prepare(
        messages: Iterable[Message | Mapping[str, Any]],
        options: RequestOptions | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """The validated payload that :meth:`stream` would send (nothing is sent)."""
        opts = (options or RequestOptions()).merged(**overrides) if overrides else (options or RequestOptions())
        return prepare_request(messages, opts).payload

    # -- transport --------------------------------------------------------------------------------------

    def _open(self, payload: dict[str, Any], headers: Mapping[str, str] | None) -> Stream[ChatCompletionChunk]:
        return self._sync().post(
            "/chat/completions",
            body=payload,
            cast_to=ChatCompletion,
            options={"headers": dict(headers or {})},
            stream=True,
            stream_cls=Stream[ChatCompletionChunk],
        )

    async def _aopen(
        self, payload: dict[str, Any], headers: Mapping[str, str] | None
    ) -> AsyncStream[ChatCompletionChunk]:
        return await self._async().post(
            "/chat/completions",
            body=payload,
            cast_to=ChatCompletion,
            options={"headers": dict(headers or {})},
            stream=True,
            stream_cls=AsyncStream[ChatCompletionChunk],
        )

    def _map_error(self, exc: BaseException) -> QwenOmniError:
        """The one place that turns SDK and HTTP failures into this package's errors."""
        if isinstance(exc, QwenOmniError):
            return exc
        secret = self._api_key.get_secret_value() if self._api_key else os.environ.get("DASHSCOPE_API_KEY")

        def scrub(text: str) -> str:
            return text.replace(secret, "***") if secret else text

        if isinstance(exc, openai.APITimeoutError):
            return APITimeoutError(f"The request to {self.base_url} timed out; raise timeout= or retry later.")
        if isinstance(exc, openai.APIConnectionError):
            cause = exc.__cause__ or exc.__context__
            detail = f" ({type(cause).__name__}: {scrub(str(cause))})" if cause else ""
            return APIConnectionError(f"Could not reach {self.base_url}, or the connection broke{detail}.")
        if isinstance(exc, openai.APIStatusError):
            body = exc.body if isinstance(exc.body, Mapping) else {}
            message = body.get("message") if isinstance(body.get("message"), str) else None
            request_id = exc.response.headers.get("x-request-id") or exc.request_id
            try:
                full = exc.response.json()
                request_id = (full.get("request_id") if isinstance(full, Mapping) else None) or request_id
            except ValueError:  # the body was not JSON: the status says enough
                full = None
            return error_for_status(
                exc.status_code,
                scrub(message or exc.response.reason_phrase or f"HTTP {exc.status_code}"),
                code=exc.code,
                request_id=request_id,
                body=body or full,
            )
        if isinstance(exc, openai.APIError):  # an error object inside a 200 stream
            body = exc.body if isinstance(exc.body, Mapping) else {}
            return error_for_status(
                200,
                scrub(exc.message),
                code=exc.code,
                request_id=body.get("request_id"),
                body=body,
                in_stream=True,
            )
        return APIConnectionError(f"Unexpected transport failure: {type(exc).__name__}: {scrub(str(exc))}")

    def _heard(self, error: QwenOmniError, cause: BaseException) -> None:
        """Tell the rate limiter of a 429 (not of an exhausted quota, which waiting does not cure)."""
        if self.rate_limiter is not None and isinstance(error, RateLimitError) and error.code != "insufficient_quota":
            self.rate_limiter.slow_down(_retry_after(cause))

    def _retry_delay(self, error: QwenOmniError, cause: BaseException, attempt: int, delivered: bool) -> float | None:
        """Seconds to wait before trying again, or None to give up and raise."""
        if delivered or attempt >= self.retry_policy.max_retries:
            return None
        if isinstance(error, RateLimitError) and error.code == "insufficient_quota":
            return None
        retryable = isinstance(error, APIConnectionError | ServerError | IncompleteResponseError) or (
            isinstance(error, APIError)
            and not isinstance(error, StreamErrorEvent)
            and error.status_code in _RETRYABLE_STATUS
        )
        if not retryable:
            return None
        delay = self.retry_policy.delay(attempt, _retry_after(cause))
        logger.warning(
            "Qwen-Omni request failed (%s); retry %d of %d in %.2f s",
            type(error).__name__,
            attempt + 1,
            self.retry_policy.max_retries,
            delay,
        )
        return delay


_CATCH = (openai.OpenAIError, QwenOmniError)


class _StreamState:
    """What the sync and async streams share: the payload, and the result once the stream is exhausted."""

    def __init__(self, client: OmniClient, payload: dict[str, Any], headers: Mapping[str, str] | None) -> None:
        self.payload = payload
        self._client = client
        self._headers = headers
        self._result: OmniResult | None = None

    @property
    def result(self) -> OmniResult:
        """The whole answer; raises if the stream has not been read to the end."""
        if self._result is None:
            raise RuntimeError("The stream has not been read to the end yet; iterate it first.")
        return self._result


class ResponseStream(_StreamState, Iterator[Delta]):
    """Deltas as their chunks arrive; :attr:`result` holds the whole answer once the stream is exhausted."""

    def __init__(self, client: OmniClient, payload: dict[str, Any], headers: Mapping[str, str] | None) -> None:
        super().__init__(client, payload, headers)
        self._iterator = self._run()

    def __next__(self) -> Delta:
        return next(self._iterator)

    def close(self) -> None:
        """Stop reading and release the connection now (a stream read to the end closes itself)."""
        self._iterator.close()

    def __enter__(self) -> ResponseStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __iter__(self) -> Iterator[Delta]:
        return self

    def _run(self) -> Generator[Delta, None, None]:
        client = self._client
        logger.debug("POST %s/chat/completions %s", client.base_url, payload_summary(self.payload))
        attempt = 0
        while True:
            if client.rate_limiter is not None:
                client.rate_limiter.acquire(self.payload)
            accumulator = StreamAccumulator()
            delivered = False
            try:
                with client._open(self.payload, self._headers) as chunks:
                    for chunk in chunks:
                        for delta in accumulator.feed(chunk):
                            delivered = True
                            yield delta
                self._result = accumulator.finish()
                return
            except _CATCH as exc:
                error = client._map_error(exc)
                client._heard(error, exc)
                delay = client._retry_delay(error, exc, attempt, delivered)
                if delay is None:
                    raise error from (None if error is exc else exc)
            time.sleep(delay)
            attempt += 1


class AsyncResponseStream(_StreamState, AsyncIterator[Delta]):
    """The async form of :class:`ResponseStream`."""

    def __init__(self, client: OmniClient, payload: dict[str, Any], headers: Mapping[str, str] | None) -> None:
        super().__init__(client, payload, headers)
        self._iterator = self._run()

    async def __anext__(self) -> Delta:
        return await self._iterator.__anext__()

    async def aclose(self) -> None:
        """Stop reading and release the connection now (a stream read to the end closes itself)."""
        await self._iterator.aclose()

    async def __aenter__(self) -> AsyncResponseStream:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __aiter__(self) -> AsyncIterator[Delta]:
        return self

    async def _run(self) -> AsyncGenerator[Delta, None]:
        client = self._client
        logger.debug("POST %s/chat/completions %s", client.base_url, payload_summary(self.payload))
        attempt = 0
        while True:
            if client.rate_limiter is not None:
                await client.rate_limiter.aacquire(self.payload)
            accumulator = StreamAccumulator()
            delivered = False
            try:
                async with await client._aopen(self.payload, self._headers) as chunks:
                    async for chunk in chunks:
                        for delta in accumulator.feed(chunk):
                            delivered = True
                            yield delta
                self._result = accumulator.finish()
                return
            except _CATCH as exc:
                error = client._map_error(exc)
                client._heard(error, exc)
                delay = client._retry_delay(error, exc, attempt, delivered)
                if delay is None:
                    raise error from (None if error is exc else exc)
            await asyncio.sleep(delay)
            attempt += 1
