"""The in-process emulator: uvicorn serving the app on a daemon thread.

Example:
    >>> import httpx
    >>> with Emulator() as emu:
    ...     httpx.get(emu.url + "/_emulator/health").json()["status"]
    'ok'
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from types import TracebackType
from typing import Literal

import uvicorn

from .app import API_PREFIX, build_app
from .faults import Fault
from .limits import RateLimits
from .realtime_state import RealtimeState
from .received import ReceivedRequest
from .script import AnswerFunction
from .state import EmulatorState, Settings
from .stream import install_log_filter

_START_TIMEOUT = 10.0
_GRACEFUL_STOP = 0.5
_FORCED_STOP = 5


def _bind(host: str, port: int) -> socket.socket:
    """A listening-ready socket on ``host``:``port`` (port 0: a free one), IPv4 or IPv6."""
    family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


def _transport_for(server: uvicorn.Server, client: tuple[object, ...]) -> object | None:
    """The asyncio transport of the connection from ``client`` (host, port), if it is still open."""
    for protocol in list(server.server_state.connections):
        if tuple(getattr(protocol, "client", None) or ()) == client:
            return getattr(protocol, "transport", None)
    return None


class Emulator:
    """A local stand-in for DashScope's Qwen-Omni endpoint, for offline tests and notebooks.

    Point any OpenAI-compatible client at :attr:`base_url`. Every chat request is recorded in
    :attr:`requests`; :meth:`inject` queues faults for the next requests.

    Args:
        host: the interface to listen on.
        port: the port; 0 picks a free one (read it back from :attr:`port`).
        api_key: when given, only this key is accepted; otherwise any ``Bearer`` key is.
        audio_style: ``"content"`` (text in ``delta.content``, Qwen3 and later) or ``"transcript"`` (text in
            ``delta.audio.transcript``, as qwen-omni-turbo did) for spoken answers.
        chunk_delay: seconds between chunks.
        first_chunk_delay: seconds before the first chunk.
        answer_words: pad or cut every text answer to this many words (for benchmarks).
        rpm: admit at most this many requests in any ``rpm_window`` seconds (and, with ``per_second``, RPM/60 in
            any sixtieth of it); the others get DashScope's 429 "Requests rate limit exceeded" with a
            ``Retry-After`` (see :mod:`.limits` and :meth:`set_rate_limit`).
        rpm_window: the window of ``rpm``, 60 s as documented (shorter to scale the quota down in benchmarks).
        per_second: enforce RPM/60 a second too, as DashScope does (on by default).
        burst_guard: refuse a rate that climbs too fast, even under ``rpm``, with DashScope's 429 "Request rate
            increased too quickly" (off by default; see :mod:`.limits` for the model).
        quota: after this many admitted requests, answer every request with DashScope's 429 "Allocated quota
            exceeded" (off by default).
        max_body_bytes: refuse a request body over this many bytes with a 413 (it is read as a stream, and what
            is over the cap is read and dropped, never kept). DashScope's own cap is not documented; each
            base64 item is limited to 10 MB.
        body_timeout: seconds a request's body may take to arrive; a slower or stalled upload gets a 408.
        answer: a function from the request to the answer (:mod:`.script`), called once the request passed every
            check; None: the emulator's own answers. :meth:`answering` sets one for a ``with`` block.

    A per-request latency is ``first_chunk_delay`` (server-wide) or ``first-chunk-delay=S`` in one request's
    ``X-Emulator-Fault`` header.

    Example:
        >>> from openai import OpenAI
        >>> with Emulator(api_key="sk-test") as emu:
        ...     client = OpenAI(base_url=emu.base_url, api_key="sk-test")
        ...     stream = client.chat.completions.create(
        ...         model="qwen3.5-omni-flash", stream=True, messages=[{"role": "user", "content": "Hi"}])
        ...     print("".join(c.choices[0].delta.content or "" for c in stream if c.choices))
        Received the text "Hi".
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = None,
        audio_style: Literal["content", "transcript"] = "content",
        chunk_delay: float = 0.0,
        first_chunk_delay: float = 0.0,
        answer_words: int | None = None,
        rpm: int | None = None,
        rpm_window: float = 60.0,
        per_second: bool = True,
        burst_guard: bool = False,
        quota: int | None = None,
        max_body_bytes: int = Settings.max_body_bytes,
        body_timeout: float = Settings.body_timeout,
        answer: AnswerFunction | None = None,
    ) -> None:
        self.host = host
        self._requested_port = port
        self._state = EmulatorState(
            Settings(
                api_key=api_key,
                audio_style=audio_style,
                chunk_delay=chunk_delay,
                first_chunk_delay=first_chunk_delay,
                answer_words=answer_words,
                max_body_bytes=max_body_bytes,
                body_timeout=body_timeout,
            )
        )
        self.set_rate_limit(rpm, rpm_window, per_second=per_second, burst_guard=burst_guard, quota=quota)
        self._state.answer.swap(answer)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------------------------------ lifecycle

    def start(self) -> Emulator:
        """Start serving (returns once the server accepts connections); returns ``self``."""
        with self._lock:
            if self._thread is not None:
                raise RuntimeError(f"{self!r} is already running.")
            install_log_filter()
            sock = _bind(self.host, self._requested_port)
            port = sock.getsockname()[1]
            config = uvicorn.Config(
                build_app(self._state),
                log_level="warning",
                access_log=False,
                lifespan="off",
                loop="asyncio",
                http="h11",
                ws="websockets-sansio",
                timeout_graceful_shutdown=_FORCED_STOP,
            )
            server = uvicorn.Server(config)
            self._state.transport_for = lambda client: _transport_for(server, client)
            thread = threading.Thread(
                target=server.run, kwargs={"sockets": [sock]}, name=f"qwen-omni-emulator:{port}", daemon=True
            )
            thread.start()
            deadline = time.monotonic() + _START_TIMEOUT
            while not server.started:
                if not thread.is_alive() or time.monotonic() > deadline:
                    server.should_exit = True
                    thread.join(_FORCED_STOP)
                    sock.close()
                    raise RuntimeError(f"The emulator could not start on {self.host}:{port}.")
                time.sleep(0.002)
            self._state.closing.clear()
            self._server, self._thread, self._port = server, thread, port
        return self

    def stop(self) -> None:
        """Stop serving and wait for the server thread to end; streams still playing are cut."""
        with self._lock:
            server, thread = self._server, self._thread
            if server is None or thread is None:
                return
            self._state.closing.set()
            server.should_exit = True
            thread.join(_GRACEFUL_STOP)
            if thread.is_alive():
                server.force_exit = True
                thread.join(_FORCED_STOP)
            self._server = self._thread = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._thread is not None and self._thread.is_alive()

    # ------------------------------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        """The port served on (the real one when 0 was asked for)."""
        if self._port is None:
            raise RuntimeError("The emulator has not been started yet; call start() or use it as a context manager.")
        return self._port

    @property
    def url(self) -> str:
        """``http://host:port``, the server's root."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL, ``http://127.0.0.1:<port>/compatible-mode/v1``."""
        return self.url + API_PREFIX

    # ------------------------------------------------------------------------------------ journal and faults

    @property
    def requests(self) -> list[ReceivedRequest]:
        """Every request that reached the chat route, in order of arrival, refused ones included (a copy)."""
        return self._state.journal.requests()

    @property
    def last_request(self) -> ReceivedRequest | None:
        """The most recent entry of :attr:`requests`, or None."""
        requests = self._state.journal.requests()
        return requests[-1] if requests else None

    def reset(self) -> None:
        """Forget the recorded requests and drop the queued faults (realtime ones too)."""
        self._state.journal.clear()
        self._state.faults.clear()
        self._state.realtime.reset()

    @property
    def realtime(self) -> RealtimeState:
        """The realtime endpoint (``ws://.../api-ws/v1/realtime``): its settings, queued faults and sessions."""
        return self._state.realtime

    def set_rate_limit(
        self,
        rpm: int | None,
        window: float = 60.0,
        *,
        per_second: bool = True,
        burst_guard: bool = False,
        quota: int | None = None,
    ) -> None:
        """Enforce these limits from now on, forgetting the requests admitted so far (see the class's arguments
        and :mod:`.limits`; ``rpm=None`` and no ``quota``: no limit).

        Example:
            >>> with Emulator() as emu:
            ...     emu.set_rate_limit(60, window=6.0, burst_guard=True)  # 60 a minute, ten times faster
        """
        self._state.limits.set(
            RateLimits(rpm=rpm, window=window, per_second=per_second, burst_guard=burst_guard, quota=quota)
        )

    def inject(self, fault: Fault, times: int = 1, *, after: int = 0) -> None:
        """Apply ``fault`` to each of the next ``times`` chat requests (that pass the key check), once ``after``
        more requests have passed untouched.

        Example:
            >>> with Emulator() as emu:
            ...     emu.inject(Fault(status=429, retry_after=1), times=2)
        """
        self._state.faults.push(fault, times, after=after)

    @contextlib.contextmanager
    def answering(self, answer: AnswerFunction | None) -> Iterator[Emulator]:
        """Answer with ``answer`` (None: the emulator's own answers) inside the block, then with the previous one.

        Example:
            >>> from openai import OpenAI
            >>> with Emulator() as emu, emu.answering(lambda request: f"You said {request.text!r}."):
            ...     client = OpenAI(base_url=emu.base_url, api_key="any-key")
            ...     stream = client.chat.completions.create(
            ...         model="qwen3.5-omni-flash", stream=True, messages=[{"role": "user", "content": "Hi"}])
            ...     print("".join(c.choices[0].delta.content or "" for c in stream if c.choices))
            You said 'Hi'.
        """
        previous = self._state.answer.swap(answer)
        try:
            yield self
        finally:
            self._state.answer.swap(previous)

    def __repr__(self) -> str:
        settings = self._state.settings
        where = self.base_url if self._port is not None else f"{self.host}:{self._requested_port}"
        key = "'***'" if settings.api_key is not None else "None"
        state = "running" if self.running else "stopped"
        return f"Emulator({where}, {state}, api_key={key}, audio_style={settings.audio_style!r})"


__all__ = [
    "Emulator",
]
