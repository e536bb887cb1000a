"""One deadline per call, enforced on every network operation.

``timeout`` is the most a call may take, from the moment its request is sent (the first iteration of a stream)
to its last chunk: connecting, the upload, waiting for the answer, every read of the stream, the waits
between retries and the retries themselves. A server that trickles a byte a second cannot stretch it.

How it is enforced:

- async: every await of the stream runs under ``asyncio.timeout_at`` at the deadline, so a stalled read is
  cancelled exactly when the time is up;
- sync: a read blocks its thread, so the sync SDK client's HTTP transport wraps its network backend: every
  connect, read and write waits at most the time the current call has left (:data:`_CURRENT` names the call's
  deadline for the thread that runs it), and fails as a timeout once none is left;
- both: each chunk is checked against the deadline, so a fast but endless stream ends too.

Example:
    >>> deadline = Deadline.after(30.0)
    >>> 29.0 < deadline.remaining() <= 30.0, Deadline.after(None).remaining()
    (True, None)
"""

from __future__ import annotations

import asyncio
import contextvars
import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpcore2
import httpx2

from .errors import APITimeoutError

__all__ = ["Deadline", "DeadlineBackend", "DeadlineTransport"]

#: The deadline (``time.monotonic()`` seconds) of the sync call running in this thread, if any.
_CURRENT: contextvars.ContextVar[float | None] = contextvars.ContextVar("qwen_omni_deadline", default=None)
#: Uploads are written in pieces of this size, so that each piece gets the time left, not the whole upload.
_WRITE_PIECE = 64 * 1024


@dataclass(frozen=True)
class Deadline:
    """When a call must be over (``at``, on the ``time.monotonic()`` clock), or never (``None``)."""

    at: float | None
    timeout: float | None

    @classmethod
    def after(cls, timeout: float | None) -> Deadline:
        """The deadline ``timeout`` seconds from now (no deadline for None)."""
        return cls(None if timeout is None else time.monotonic() + timeout, timeout)

    def remaining(self) -> float | None:
        """Seconds left (0 once passed), or None without a deadline."""
        return None if self.at is None else max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return self.at is not None and time.monotonic() >= self.at

    def error(self, base_url: str) -> APITimeoutError:
        """The error a call raises when its time is up."""
        return APITimeoutError(
            f"The call to {base_url} did not end within timeout={self.timeout:g} s (which bounds connecting, "
            "the upload and the whole stream); raise timeout= for long answers, or retry later."
        )

    def allows(self, seconds: float) -> bool:
        """True if waiting ``seconds`` still leaves time before the deadline."""
        left = self.remaining()
        return left is None or seconds < left

    @contextmanager
    def bounding_sync_io(self) -> Iterator[None]:
        """Within this block, the sync transport's network operations end by this deadline."""
        token = _CURRENT.set(self.at)
        try:
            yield
        finally:
            _CURRENT.reset(token)

    def bounding_awaits(self) -> asyncio.Timeout:
        """``async with deadline.bounding_awaits():`` cancels the awaits inside at the deadline."""
        left = self.remaining()
        return asyncio.timeout(None if left is None else left)


def _time_left(timeout: float | None, expired: type[httpcore2.TimeoutException]) -> float | None:
    """``timeout`` capped by what the current call has left; raises ``expired`` when nothing is left."""
    at = _CURRENT.get()
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise expired("The call's deadline has passed.")
    return left if timeout is None else min(timeout, left)


class DeadlineStream(httpcore2.NetworkStream):
    """A network stream whose every operation ends by the current call's deadline."""

    def __init__(self, inner: httpcore2.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _time_left(timeout, httpcore2.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        view = memoryview(buffer)
        for start in range(0, len(view), _WRITE_PIECE):
            self._inner.write(bytes(view[start : start + _WRITE_PIECE]), _time_left(timeout, httpcore2.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore2.NetworkStream:
        tls = self._inner.start_tls(ssl_context, server_hostname, _time_left(timeout, httpcore2.ConnectTimeout))
        return DeadlineStream(tls)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class DeadlineBackend(httpcore2.NetworkBackend):
    """httpcore2's sync network backend, with :class:`DeadlineStream` connections."""

    def __init__(self, inner: httpcore2.NetworkBackend) -> None:
        self._inner = inner

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.NetworkStream:
        left = _time_left(timeout, httpcore2.ConnectTimeout)
        return DeadlineStream(self._inner.connect_tcp(host, port, left, local_address, socket_options))

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore2.NetworkStream:
        left = _time_left(timeout, httpcore2.ConnectTimeout)
        return DeadlineStream(self._inner.connect_unix_socket(path, left, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class DeadlineTransport(httpx2.HTTPTransport):
    """httpx2's HTTP transport whose connections are :class:`DeadlineStream` s (arguments as ``HTTPTransport``).

    httpx2 has no argument for a network backend, so the one of the pool it builds is wrapped.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        pool: Any = self._pool
        pool._network_backend = DeadlineBackend(pool._network_backend)
