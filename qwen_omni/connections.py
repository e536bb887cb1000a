"""The SDK clients an :class:`~qwen_omni.OmniClient` talks through, and the life of their connections.

- One sync ``openai.OpenAI``, built on first use (once, however many threads ask at the same time), whose HTTP
  transport enforces the call's deadline on every read and write (:mod:`.deadline`).
- One ``openai.AsyncOpenAI`` per event loop, since async connections belong to the loop that opened them. Its
  connections are closed when that loop shuts down (``asyncio.run`` returning, or any runner that calls
  ``loop.shutdown_asyncgens()``), so a long-lived client does not leak sockets across ``asyncio.run`` calls.

Example:
    >>> clients = SDKClients(lambda: {"api_key": "sk-test", "base_url": "http://127.0.0.1:9/v1"})
    >>> clients.sync() is clients.sync()
    True
    >>> clients.close()
"""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from typing import Any

import openai

from .deadline import DeadlineTransport

__all__ = ["SDKClients"]


@dataclass
class _LoopClient:
    client: openai.AsyncOpenAI
    #: Suspended until the loop shuts its async generators down, then closes ``client``; held here because the
    #: loop keeps only a weak reference to it.
    closer: AsyncGenerator[None, None]


async def _close_at_loop_shutdown(client: openai.AsyncOpenAI) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        await client.close()


class SDKClients:
    """Builds, caches and closes the SDK clients; ``settings()`` gives their keyword arguments."""

    def __init__(self, settings: Callable[[], dict[str, Any]]) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._sync: openai.OpenAI | None = None
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClient] = weakref.WeakKeyDictionary()

    def sync(self) -> openai.OpenAI:
        """The sync client (built on first use)."""
        client = self._sync
        if client is not None:
            return client
        with self._lock:
            if self._sync is None:
                http = openai.DefaultHttpxClient(
                    transport=DeadlineTransport(limits=openai.DEFAULT_CONNECTION_LIMITS), follow_redirects=True
                )
                self._sync = openai.OpenAI(**self._settings(), http_client=http)
            return self._sync

    async def async_(self) -> openai.AsyncOpenAI:
        """The running loop's async client (built on first use there)."""
        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._async.get(loop)
            if entry is None:
                client = openai.AsyncOpenAI(**self._settings())
                entry = self._async[loop] = _LoopClient(client, _close_at_loop_shutdown(client))
                started = True
            else:
                started = False
        if started:
            await entry.closer.asend(None)
        return entry.client

    def close(self) -> None:
        """Close the sync client's connections; forget the async clients (their loops close theirs)."""
        with self._lock:
            client, self._sync = self._sync, None
            self._async.clear()
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close the sync client and the running loop's async client now."""
        loop = asyncio.get_running_loop()
        with self._lock:
            entry = self._async.pop(loop, None)
        self.close()
        if entry is not None:
            await entry.closer.aclose()
