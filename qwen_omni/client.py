"""The client: validates a request, then streams its answer over the openai SDK.

Every call streams on the wire. A :class:`ResponseStream` yields typed deltas as their chunks arrive and holds
the whole :class:`~qwen_omni.stream.OmniResult` once exhausted. The transport lives in modules with one job each:
:mod:`.response_stream` (the streams and their attempts), :mod:`.retry` (when and how long to wait),
:mod:`.deadline` (``timeout`` bounds the whole call), :mod:`.error_mapping` (SDK failures to ours, key scrubbed)
and :mod:`.connections` (the SDK clients and the life of their connections).

- ``timeout`` bounds the whole call: from sending the request to the last chunk, retries and their waits
  included. A call that runs out of time raises :class:`~qwen_omni.errors.APITimeoutError`.
- Failures before anything reached the caller are retried (see :mod:`.retry`); nothing is retried once a delta
  has been delivered.
- Every client paces its requests (:mod:`.ratelimit`): without ``rate_limiter=``, an adaptive pace that starts
  at two requests a second and learns the account's limit from the server's 429s; a 429 pauses every request of
  the client, and lowers its pace. ``RateLimiter()`` is the documented quota; ``Unlimited()`` turns pacing off.
- Closing a stream hangs up at once; ``close()`` / ``aclose()`` / ``with`` / ``async with`` on the client close
  its connections, and an event loop's connections close with the loop.

Example:
    >>> from qwen_omni import OmniClient, Message
    >>> from qwen_omni.emulator import Emulator
    >>> with Emulator() as emu, OmniClient(api_key="sk-test", base_url=emu.base_url) as client:
    ...     result = client.complete([Message("user", "Hello")], model="qwen3-omni-flash")
    >>> result.finish_reason
    'stop'
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from .connections import SDKClients
from .endpoints import REGIONS, resolve_base_url
from .errors import MissingAPIKeyError
from .ratelimit import RateLimiter, RequestBudget
from .request import MessagesInput, RequestOptions, prepare_request
from .response_stream import AsyncResponseStream, ResponseStream
from .retry import RetryPolicy
from .stream import OmniResult

__all__ = [
    "DEFAULT_TIMEOUT",
    "REGIONS",
    "AsyncResponseStream",
    "OmniClient",
    "ResponseStream",
    "RetryPolicy",
    "resolve_base_url",
]


#: Seconds a whole call may take (connecting, the upload, the stream, retries), as the openai SDK's default.
DEFAULT_TIMEOUT = 600.0


class OmniClient:
    """Streams Qwen-Omni answers; the key is read from ``DASHSCOPE_API_KEY`` when not given.

    The endpoint is ``base_url``, else the one :func:`qwen_omni.endpoints.resolve_base_url` picks from
    ``region`` and ``workspace_id`` (and ``DASHSCOPE_BASE_URL`` / ``DASHSCOPE_WORKSPACE_ID``).

    ``rate_limiter`` paces every request (see :mod:`qwen_omni.ratelimit`): by default a
    ``RateLimiter(rpm=None, tpm=None)`` of its own, which adapts to the server's 429s; share one
    ``RateLimiter`` between clients (or processes, with a SQLite or Redis backend) to share one budget.

    A missing key is an error at the first call, not here, so frameworks can build the client eagerly.
    The key never appears in a repr, a log line or an error (message, body or cause).

    ``timeout`` (seconds, None for no limit) bounds each whole call: connecting, the upload, waiting for the
    answer, every read of the stream, the time the caller spends between deltas, and the retries with their
    waits. It starts when the request is first sent. A retry whose wait would end past it is not made.

    The client holds pooled connections: close it with :meth:`close` / :meth:`aclose`, or use it as a (async)
    context manager. A closed client can still be used; it opens new connections.

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
        workspace_id: str | None = None,
        max_retries: int = 2,
        timeout: float | None = DEFAULT_TIMEOUT,
        retry_policy: RetryPolicy | None = None,
        default_headers: Mapping[str, str] | None = None,
        rate_limiter: RequestBudget | None = None,
    ) -> None:
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        self._api_key = SecretStr(key) if key else None
        self.base_url = resolve_base_url(base_url, region, workspace_id)
        self.retry_policy = retry_policy or RetryPolicy(max_retries=max_retries)
        self.timeout = timeout
        self.default_headers = dict(default_headers or {})
        self._clients = SDKClients(self._sdk_kwargs)
        #: Waited on before every attempt and told of every 429 (:class:`qwen_omni.ratelimit.RateLimiter`).
        self.rate_limiter: RequestBudget = rate_limiter if rate_limiter is not None else RateLimiter(rpm=None, tpm=None)

    def __getstate__(self) -> dict[str, Any]:
        """Pickle without the connections (they belong to this process; the copy opens its own). A key given as an
        argument travels as a :class:`~pydantic.SecretStr`; one read from ``DASHSCOPE_API_KEY`` is read there again."""
        state = dict(self.__dict__)
        del state["_clients"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._clients = SDKClients(self._sdk_kwargs)

    def __repr__(self) -> str:
        return f"OmniClient(base_url={self.base_url!r}, max_retries={self.retry_policy.max_retries})"

    def _key(self) -> str:
        if self._api_key is not None:
            return self._api_key.get_secret_value()
        env = os.environ.get("DASHSCOPE_API_KEY")
        if not env:
            raise MissingAPIKeyError()
        return env

    def secret(self) -> str | None:
        """The key this client sends, if any: what error bodies and messages are scrubbed of."""
        return self._api_key.get_secret_value() if self._api_key else os.environ.get("DASHSCOPE_API_KEY")

    def _sdk_kwargs(self) -> dict[str, Any]:
        return {
            "api_key": self._key(),
            "base_url": self.base_url,
            "max_retries": 0,
            "timeout": self.timeout,
            "default_headers": self.default_headers or None,
        }

    # -- lifecycle ---------------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the pooled connections (the sync ones now; each event loop's as that loop shuts down)."""
        self._clients.close()

    async def aclose(self) -> None:
        """Close the pooled connections, the running event loop's included, now."""
        await self._clients.aclose()

    def __enter__(self) -> OmniClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> OmniClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- public API -------------------------------------------------------------------------------------

    def stream(
        self,
        messages: MessagesInput,
        options: RequestOptions | None = None,
        *,
        extra_headers: Mapping[str, str] | None = None,
        keep_audio: bool = True,
        **overrides: Any,
    ) -> ResponseStream:
        """Validate and send; iterate the result for deltas as they arrive. ``overrides`` are options.

        Close the stream (``close()``, ``with``, or let it go) to hang up before the end. ``keep_audio=False``
        leaves ``result.audio`` empty, for a caller that keeps the ``AudioDelta`` pieces itself.
        """
        payload = self.prepare(messages, options, **overrides)
        return ResponseStream(self, payload, extra_headers, keep_audio=keep_audio)

    def astream(
        self,
        messages: MessagesInput,
        options: RequestOptions | None = None,
        *,
        extra_headers: Mapping[str, str] | None = None,
        keep_audio: bool = True,
        **overrides: Any,
    ) -> AsyncResponseStream:
        """The async form of :meth:`stream`: ``async with client.astream(...) as s: async for delta in s``."""
        payload = self.prepare(messages, options, **overrides)
        return AsyncResponseStream(self, payload, extra_headers, keep_audio=keep_audio)

    def complete(
        self,
        messages: MessagesInput,
        options: RequestOptions | None = None,
        *,
        extra_headers: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> OmniResult:
        """Send and return the whole answer (streamed on the wire, gathered here)."""
        with self.stream(messages, options, extra_headers=extra_headers, **overrides) as stream:
            for _ in stream:
                pass
            return stream.result

    async def acomplete(
        self,
        messages: MessagesInput,
        options: RequestOptions | None = None,
        *,
        extra_headers: Mapping[str, str] | None = None,
        **overrides: Any,
    ) -> OmniResult:
        """The async form of :meth:`complete`."""
        async with self.astream(messages, options, extra_headers=extra_headers, **overrides) as stream:
            async for _ in stream:
                pass
            return stream.result

    @staticmethod
    def prepare(
        messages: MessagesInput,
        options: RequestOptions | None = None,
        **overrides: Any,
    ) -> dict[str, Any]:
        """The validated payload that :meth:`stream` would send (nothing is sent)."""
        opts = (options or RequestOptions()).merged(**overrides) if overrides else (options or RequestOptions())
        return prepare_request(messages, opts).payload
