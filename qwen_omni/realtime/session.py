"""``RealtimeSession``: one live conversation with a Qwen-Omni Realtime model over a WebSocket.

::

    async with RealtimeSession.connect(model="qwen3.5-omni-flash-realtime", session=SessionConfig(tools=[tool])) as s:
        sender = asyncio.create_task(s.send_audio(pcm, realtime_factor=1))   # paced ~100 ms frames
        async for event in s.events(timeout=30):
            match event:
                case AudioDelta(pcm=pcm): player.write(pcm)
                case BargeIn(): player.flush()
                case ResponseDone(answer=answer): print(answer.said); answer.wav()

How it behaves:

- ``connect`` returns once the server sent ``session.updated`` (or raises what refused the session).
- One writer: every client event goes out under one lock, with a fresh ``event_id``.
- One reader: server frames become typed events (:mod:`.events`), go through the response state machine
  (:mod:`.responses`) and wait in a bounded queue for :meth:`RealtimeSession.events`.
- Tool calls are run by the session (their :class:`~.tools.RealtimeTool` function) and answered with
  ``function_call_output``, then the one ``response.create`` that Qwen needs to go on.
- Long sessions: renewal before the limits and reconnection after recoverable closes (:mod:`.renewal`); a
  heartbeat of silence while the input is quiet (server VAD only); :meth:`aclose` is idempotent and hangs up at once.
- Every wait is bounded: ``connect_timeout``, ``call_timeout`` (a call that needs the server's answer, or a send
  waiting for a reconnection), ``events(timeout=...)`` between two events, ``tool_timeout`` per tool run.
- Every failure is one of :mod:`qwen_omni.errors` (mapped by :mod:`.failures`), the key scrubbed out.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping
from dataclasses import dataclass, field, replace
from types import TracebackType
from typing import Any, TypeVar

from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed

from ..client import OmniClient
from ..errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    CapabilityError,
    InvalidRequestError,
    LimitExceededError,
    MediaError,
    MissingAPIKeyError,
    QwenOmniError,
)
from .audio_in import FRAME_SECONDS, AudioSource, Pacer, audio_frames
from .config import SessionConfig, session_payload
from .endpoint import check_endpoint, realtime_url
from .events import (
    ErrorEvent,
    RealtimeEvent,
    RenewReason,
    ServerEvent,
    SessionCreated,
    SessionRenewed,
    SessionUpdated,
    ToolCall,
    ToolResult,
    parse_server_event,
)
from .failures import FATAL_CLOSE_CODES, FrameVerdict, classify_frame
from .models import DEFAULT_REALTIME_MODEL, INPUT_SAMPLE_RATE, RealtimeProfile, get_realtime_profile
from .renewal import ReconnectPolicy, RenewalPolicy
from .responses import ResponseTracker
from .tools import tool_output_text
from .transport import decode_frame, open_socket

__all__ = ["IMAGE_MAX_BASE64_BYTES", "RealtimeSession", "SessionOptions"]

logger = logging.getLogger("qwen_omni.realtime")

#: Images: at most this many bytes after base64 (the 2026 docs; older ones and the SDK say 500 KB before base64).
IMAGE_MAX_BASE64_BYTES = 256 * 1024
#: Images: at most 1080p.
IMAGE_MAX_SIDES = (1920, 1080)
#: One second of silence, the keep-alive sent while the input is quiet (as Qwen's own client does).
HEARTBEAT_PCM = b"\x00\x00" * INPUT_SAMPLE_RATE
_QUEUE_SIZE = 2048
_T = TypeVar("_T")


@dataclass(frozen=True)
class SessionOptions:
    """How a session waits, renews, reconnects and keeps alive; the defaults suit a live conversation.

    Attributes:
        connect_timeout: seconds for the handshake up to ``session.updated``.
        call_timeout: seconds a call may wait for the server (``update_session``) or for a reconnection.
        event_timeout: the default seconds :meth:`RealtimeSession.events` waits for the next event.
        tool_timeout: seconds a tool may run; past it, the model is told the tool did not answer.
        heartbeat_seconds: send a second of silence after this long without input audio (server VAD only;
            None: never).
        renewal: when to move to a new connection before the session limits.
        reconnect: how to reconnect after a recoverable close.
        keep_audio: keep each answer's audio (for ``answer.wav()``); False keeps only the deltas' flow.
        auto_continue: after the outputs of a response's tool calls, ask for the next response.
    """

    connect_timeout: float = 10.0
    call_timeout: float = 30.0
    event_timeout: float = 60.0
    tool_timeout: float = 30.0
    heartbeat_seconds: float | None = 30.0
    renewal: RenewalPolicy = field(default_factory=RenewalPolicy)
    reconnect: ReconnectPolicy = field(default_factory=ReconnectPolicy)
    keep_audio: bool = True
    auto_continue: bool = True


class _Closed(Exception):
    """A connection ended: why, and whether a new one may take over."""

    def __init__(self, reason: str, *, recoverable: bool, error: QwenOmniError | None = None) -> None:
        super().__init__(reason)
        self.reason, self.recoverable, self.error = reason, recoverable, error


_END = object()


class RealtimeSession:
    """A live session. Make one with :meth:`connect`; close it with :meth:`aclose` or ``async with``.

    Attributes:
        model: the model name.
        profile: the model's rules (:class:`~.models.RealtimeProfile`).
        config: the session's current settings.
        session_id: the server's id of the current connection's session.
        renewals: how many times a new connection took over.
    """

    def __init__(self, model: str, config: SessionConfig, *, url: str, headers: Mapping[str, str], secret: str,
                 options: SessionOptions, profile: RealtimeProfile) -> None:  # fmt: skip
        self.model, self.config, self.profile, self.options = model, config, profile, options
        self._url, self._headers, self._secret = url, dict(headers), secret
        self._ws: ClientConnection | None = None
        self._send_lock = asyncio.Lock()
        self._queue: asyncio.Queue[object] = asyncio.Queue(_QUEUE_SIZE)
        self._tracker = ResponseTracker(keep_audio=options.keep_audio, auto_response=config.turn_detection is not None)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._supervisor: asyncio.Task[None] | None = None
        self._closing = False
        self._failure: QwenOmniError | None = None
        self._acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._changed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._opened_at = 0.0
        self._last_audio = time.monotonic()
        self._audio_sent = False
        self._uncommitted = False
        self._renewing = False
        self._retired: set[int] = set()
        self.session_id: str | None = None
        self.renewals = 0

    def __repr__(self) -> str:
        state = "closed" if self._closing else "open"
        return f"RealtimeSession(model={self.model!r}, url={self._url!r}, {state})"

    # -- connecting ---------------------------------------------------------------------------------------------

    @classmethod
    def connect(
        cls,
        model: str = DEFAULT_REALTIME_MODEL,
        session: SessionConfig | None = None,
        *,
        client: OmniClient | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        region: str | None = None,
        workspace_id: str | None = None,
        default_headers: Mapping[str, str] | None = None,
        options: SessionOptions | None = None,
    ) -> _Connector:
        """Open a session; use as ``async with RealtimeSession.connect(...) as s`` or ``s = await ...connect(...)``.

        The connection settings are :class:`~qwen_omni.OmniClient`'s (or ``client``'s): the key from ``api_key`` or
        ``DASHSCOPE_API_KEY``, the host from ``base_url``, ``region`` and ``workspace_id``; the realtime URL is
        ``/api-ws/v1/realtime?model=...`` on it (``ws://`` for the emulator's ``http://`` base URL).

        Raises:
            InvalidRequestError: a setting breaks a documented rule (before connecting).
            MissingAPIKeyError: no key.
            AuthenticationError: the upgrade was refused with 401 (a key of another region or workspace).
            RateLimitError: the account's 100 concurrent connections are open.
            APIConnectionError, APITimeoutError: the endpoint could not be reached in ``connect_timeout``.
        """
        chat = client or OmniClient(api_key=api_key, base_url=base_url, region=region, workspace_id=workspace_id,
                                    default_headers=default_headers)  # fmt: skip
        profile = get_realtime_profile(model)
        config = session or SessionConfig()
        session_payload(config, profile)  # every rule checked before a connection is opened
        url = realtime_url(chat.base_url, model)
        check_endpoint(url, profile)
        secret = chat.secret()
        if not secret:
            raise MissingAPIKeyError()
        headers = {**chat.default_headers, "Authorization": f"Bearer {secret}"}
        return _Connector(lambda: cls._open_session(model, config, url, headers, secret, options or SessionOptions(),
                                                    profile))  # fmt: skip

    @classmethod
    async def _open_session(
        cls,
        model: str,
        config: SessionConfig,
        url: str,
        headers: Mapping[str, str],
        secret: str,
        options: SessionOptions,
        profile: RealtimeProfile,
    ) -> RealtimeSession:
        self = cls(model, config, url=url, headers=headers, secret=secret, options=options, profile=profile)
        self._ws = await self._handshake(config)
        self._supervisor = asyncio.create_task(self._supervise(), name="qwen-omni-realtime-reader")
        self._spawn(self._keep_alive())
        self._spawn(self._watch_limits())
        return self

    async def _handshake(self, config: SessionConfig) -> ClientConnection:
        """A new connection, set up with ``config`` (``session.created`` then ``session.updated``)."""
        timeout = self.options.connect_timeout
        try:
            async with asyncio.timeout(timeout):
                ws = await open_socket(self._url, self._headers, timeout=timeout, secret=self._secret)
                try:
                    first = parse_server_event(decode_frame(await ws.recv()))
                    if isinstance(first, ErrorEvent):
                        raise self._verdict(first).error
                    if not isinstance(first, SessionCreated):
                        raise APIConnectionError(f"The realtime server's first event was not session.created: {first}")
                    self.session_id = str(first.session.get("id") or "") or None
                    event_id = self._event_id()
                    with contextlib.suppress(ConnectionClosed):  # the server may have said why before closing
                        await ws.send(_dumps({"type": "session.update", "event_id": event_id,
                                              "session": session_payload(config, self.profile)}))  # fmt: skip
                    while True:
                        event = parse_server_event(decode_frame(await ws.recv()))
                        if isinstance(event, SessionUpdated):
                            break
                        if isinstance(event, ErrorEvent):
                            raise self._verdict(event).error
                except BaseException:
                    await _abort(ws)
                    raise
        except TimeoutError:
            raise APITimeoutError(f"The realtime session at {self._url} was not ready within {timeout} s.") from None
        except ConnectionClosed as exc:
            raise APIConnectionError(
                f"The realtime server closed the connection while setting up: {_why(exc)}."
            ) from None
        self._opened_at = time.monotonic()
        self._audio_sent = self._uncommitted = False
        return ws

    # -- sending ------------------------------------------------------------------------------------------------

    @staticmethod
    def _event_id() -> str:
        return f"event_{uuid.uuid4().hex}"

    async def _send(self, event: dict[str, Any]) -> str:
        """Send one client event (the one writer); waits for a reconnection in progress, within ``call_timeout``."""
        event = {"event_id": self._event_id(), **event}
        frame = _dumps(event)
        deadline = time.monotonic() + self.options.call_timeout
        while True:
            self._raise_if_closed()
            ws, changed = self._ws, self._changed
            try:
                async with self._send_lock:
                    if ws is not self._ws or ws is None:
                        continue
                    await ws.send(frame)
                return str(event["event_id"])
            except ConnectionClosed:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not await _wait(changed, remaining):
                    self._raise_if_closed()
                    raise APITimeoutError(
                        f"The realtime connection broke and no new one was ready within {self.options.call_timeout} s."
                    ) from None

    def _raise_if_closed(self) -> None:
        if self._failure is not None:
            raise self._failure
        if self._closing:
            raise APIConnectionError("The realtime session is closed.")

    async def send_audio(self, audio: AudioSource, *, sample_rate: int = INPUT_SAMPLE_RATE, channels: int = 1,
                         realtime_factor: float | None = None) -> float:  # fmt: skip
        """Send audio as ~100 ms ``input_audio_buffer.append`` frames; returns the seconds sent.

        ``audio``: raw PCM16 little-endian (``sample_rate`` / ``channels`` say its format; it is converted to mono
        16 kHz), a WAV file's bytes, or an (async) iterable of raw chunks. ``realtime_factor`` paces the frames
        (1: real time, as a microphone would; None: as fast as possible).

        Raises:
            InvalidRequestError: an impossible format. MediaError: audio that is not PCM16.
        """
        pacer, seconds = Pacer(realtime_factor), 0.0
        async for frame in audio_frames(audio, sample_rate=sample_rate, channels=channels):
            await pacer.wait(FRAME_SECONDS)
            await self._append(frame)
            seconds += len(frame) / (2 * INPUT_SAMPLE_RATE)
        return seconds

    async def _append(self, pcm: bytes) -> None:
        await self._send({"type": "input_audio_buffer.append", "audio": base64.b64encode(pcm).decode("ascii")})
        self._last_audio = time.monotonic()
        self._audio_sent = self._uncommitted = True

    async def send_image(self, jpeg: bytes) -> None:
        """Send a JPEG frame (``input_image_buffer.append``), placed on the audio timeline now.

        Raises:
            InvalidRequestError: no audio was sent yet on this connection (the API requires audio first).
            MediaError: not a JPEG. LimitExceededError: over 256 KB after base64, or over 1080p.
        """
        if not self._audio_sent:
            raise InvalidRequestError(
                "Send audio before the first image: the realtime API places images on the audio timeline and "
                "refuses an image before any input_audio_buffer.append."
            )
        if not (jpeg[:3] == b"\xff\xd8\xff" and jpeg.rstrip(b"\x00")[-2:] == b"\xff\xd9"):
            raise MediaError("Realtime images must be JPEG (qwen_omni.media.encode_image(..., format='jpeg')).")
        encoded = base64.b64encode(jpeg)
        if len(encoded) > IMAGE_MAX_BASE64_BYTES:
            raise LimitExceededError(
                f"A realtime image must be at most 256 KB after base64 (the 2026 docs; older ones say 500 KB before "
                f"it); this one is {len(encoded) // 1024} KB. Lower its quality or size (about 190 KB as JPEG)."
            )
        from ..media import image_size

        size = image_size(jpeg)
        if size is not None and (max(size) > IMAGE_MAX_SIDES[0] or min(size) > IMAGE_MAX_SIDES[1]):
            raise LimitExceededError(f"A realtime image may be at most 1080p (1920x1080); got {size[0]}x{size[1]}.")
        await self._send({"type": "input_image_buffer.append", "image": encoded.decode("ascii")})

    async def send_text(self, text: str, *, respond: bool = True) -> None:
        """Add a user text message; with ``respond``, ask for the answer (``response.create``) too.

        Raises:
            CapabilityError: the model does not take text items (qwen3-omni-flash and turbo realtime).
        """
        if not self.profile.text_input:
            raise CapabilityError(
                f"{self.model} does not take text messages in a realtime session (only audio, and images); speak "
                "the text, or use a qwen3.5 or qwen3.8 realtime model."
            )
        if respond:
            self._tracker.claim()
        item = {"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}
        try:
            await self._send({"type": "conversation.item.create", "item": item})
            self._tracker.conversation.add("user", text)
            if respond:
                await self._send({"type": "response.create"})
        except BaseException:
            if respond:
                self._tracker.release()
            raise

    async def commit(self) -> None:
        """End the user's turn by hand (manual turns): the buffered audio becomes a user item.

        Raises:
            InvalidRequestError: nothing was appended since the last commit or clear (the server refuses an empty
                buffer).
        """
        if not self._uncommitted:
            raise InvalidRequestError("Nothing to commit: send audio first (the server refuses an empty buffer).")
        await self._send({"type": "input_audio_buffer.commit"})
        self._uncommitted = False

    async def clear(self) -> None:
        """Drop the audio appended since the last commit."""
        await self._send({"type": "input_audio_buffer.clear"})
        self._uncommitted = False

    async def create_response(self, *, instructions: str | None = None, text_only: bool = False) -> None:
        """Ask for an answer now (manual turns, or after a text item).

        Raises:
            InvalidRequestError: a response is already under way (wait for its ResponseDone, or cancel it).
        """
        self._tracker.claim()
        response: dict[str, Any] = {}
        if instructions is not None:
            response["instructions"] = instructions
        if text_only:
            response["modalities"] = ["text"]
        try:
            await self._send({"type": "response.create", **({"response": response} if response else {})})
        except BaseException:
            self._tracker.release()
            raise

    async def cancel_response(self) -> bool:
        """Stop the answer under way (its remaining deltas are dropped at once); False if there was none."""
        if self._tracker.cancel() is None:
            return False
        await self._send({"type": "response.cancel"})
        return True

    async def update_session(self, config: SessionConfig | None = None, **changes: Any) -> None:
        """Change the session's settings mid-call (tools, instructions, voice, ...): ``config`` whole, or fields.

        Returns once the server acknowledged them with ``session.updated``.

        Raises:
            InvalidRequestError: a setting breaks a documented rule (nothing is sent). APIError: the server refused.
        """
        new = (config or self.config).merged(**changes) if changes else (config or self.config)
        payload = session_payload(new, self.profile)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        event_id = self._event_id()
        self._acks[event_id] = future
        try:
            await self._send({"type": "session.update", "event_id": event_id, "session": payload})
            await asyncio.wait_for(asyncio.shield(future), self.options.call_timeout)
        except TimeoutError:
            raise APITimeoutError(f"The server did not confirm the session update within "
                                  f"{self.options.call_timeout} s.") from None  # fmt: skip
        finally:
            self._acks.pop(event_id, None)
        self.config = new
        self._tracker.auto_response = new.turn_detection is not None

    async def send_tool_result(self, call_id: str, output: Any, *, error: bool = False) -> None:
        """Answer a tool call (one whose tool has no function); the next response is asked for once all the calls of
        its response are answered.

        Raises:
            InvalidRequestError: ``call_id`` is not a call waiting for an output.
        """
        text = tool_output_text(output)
        name = self._tracker.calls[call_id].name if call_id in self._tracker.calls else "?"
        go_on = self._tracker.answered(call_id, text, error=error)
        await self._send({"type": "conversation.item.create",
                          "item": {"type": "function_call_output", "call_id": call_id, "output": text}})  # fmt: skip
        await self._put(ToolResult(call_id, name, text, error))
        if go_on and self.options.auto_continue:
            await self._send({"type": "response.create"})

    # -- receiving ------------------------------------------------------------------------------------------------

    async def events(self, *, timeout: float | None = None) -> AsyncIterator[RealtimeEvent]:  # noqa: ASYNC109 (a bounded wait is the API)
        """The session's events as they come, until it is closed; each wait bounded by ``timeout`` seconds (default
        ``options.event_timeout``).

        Raises:
            APITimeoutError: no event came within ``timeout``.
            QwenOmniError: the session failed (a fatal error frame, a close that could not be recovered).
        """
        while True:
            event = await self.next_event(timeout=timeout)
            if event is None:
                return
            yield event

    async def next_event(self, *, timeout: float | None = None) -> RealtimeEvent | None:  # noqa: ASYNC109 (a bounded wait is the API)
        """The next event (None once the session is closed and every event was read), within ``timeout``."""
        wait = self.options.event_timeout if timeout is None else timeout
        if self._queue.empty() and self._failure is not None:
            raise self._failure
        try:
            item = await asyncio.wait_for(self._queue.get(), wait)
        except TimeoutError:
            raise APITimeoutError(f"No realtime event within {wait} s.") from None
        if item is _END:
            self._queue.put_nowait(_END)  # every later call ends too
            if self._failure is not None:
                raise self._failure
            return None
        return item  # type: ignore[return-value]

    async def wait_for(
        self,
        kind: type[_T] | tuple[type[_T], ...],
        *,
        timeout: float | None = None,  # noqa: ASYNC109 (a bounded wait is the API)
        where: Callable[[_T], bool] | None = None,
    ) -> _T:
        """Read events until one of ``kind`` (that ``where`` accepts) comes; the others are dropped.

        Raises:  # noqa: ASYNC109 (a bounded wait is the API)
            APITimeoutError: none came within ``timeout`` seconds (in all).
        """
        wait = self.options.event_timeout if timeout is None else timeout
        deadline = time.monotonic() + wait
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise APITimeoutError(f"No {_names(kind)} within {wait} s.")
            event = await self.next_event(timeout=left)
            if event is None:
                raise APIConnectionError(f"The realtime session closed before a {_names(kind)}.")
            if isinstance(event, kind) and (where is None or where(event)):
                return event

    async def _put(self, event: object) -> None:
        await self._queue.put(event)

    def _verdict(self, event: ErrorEvent) -> FrameVerdict:
        return classify_frame(event.code, event.message, secret=self._secret)

    async def _supervise(self) -> None:
        """Read the current connection; after it closes, reconnect when the close is recoverable."""
        try:
            while True:
                ws = self._ws
                assert ws is not None
                try:
                    await self._read(ws)
                except _Closed as closed:
                    if self._closing:
                        return
                    if id(ws) in self._retired:
                        continue  # a renewal replaced it
                    await self._recover(closed)
        except QwenOmniError as exc:
            self._fail(exc)
        except Exception as exc:  # a bug here must end the session, not hang its reader
            logger.exception("The realtime reader failed")
            self._fail(APIConnectionError(f"The realtime session failed: {type(exc).__name__}: {exc}"))
        finally:
            if not self._closing:
                await self._finish()

    async def _read(self, ws: ClientConnection) -> None:
        """Handle the frames of ``ws`` until it closes; raises :class:`_Closed` then (or a fatal error)."""
        close_reason: str | None = None
        try:
            async for frame in ws:
                event = parse_server_event(decode_frame(frame))
                if isinstance(event, ErrorEvent):
                    verdict = self._verdict(event)
                    event = replace(event, error=verdict.error)
                    if verdict.kind == "fatal":
                        raise verdict.error
                    if verdict.kind == "recoverable":
                        close_reason = event.message
                    self._on_refusal(event)
                await self._handle(event)
        except ConnectionClosed:
            pass
        if self._closing or id(ws) in self._retired:
            raise _Closed("closed by the client", recoverable=False)
        code = ws.close_code if ws.close_code is not None else 1006
        reason = close_reason or (f"close code {code}" + (f": {ws.close_reason}" if ws.close_reason else ""))
        raise _Closed(reason, recoverable=close_reason is not None or code not in FATAL_CLOSE_CODES)

    def _on_refusal(self, event: ErrorEvent) -> None:
        future = self._acks.get(event.client_event_id or "")
        if future is None and event.param and event.param.startswith("session.") and len(self._acks) == 1:
            future = next(iter(self._acks.values()))
        if future is not None and not future.done():
            future.set_exception(event.error)
        if "response" in event.message.lower() and self._tracker.active is None:
            self._tracker.release()  # a refused response.create frees the slot

    async def _handle(self, event: ServerEvent) -> None:
        if isinstance(event, SessionUpdated):
            for future in self._acks.values():
                if not future.done():
                    future.set_result(event.session)
                    break
        step = self._tracker.on_event(event)
        for out in step.emit:
            await self._put(out)
        for call in step.calls:
            self._spawn(self._run_tool(call))
        if step.continue_response and self.options.auto_continue:
            await self._send({"type": "response.create"})

    async def _run_tool(self, call: ToolCall) -> None:
        tool = self.config.tool(call.name)
        if tool is not None and tool.function is None:
            return  # the caller answers with send_tool_result
        error = True
        if tool is None:
            known = ", ".join(t.name for t in self.config.tools) or "none"
            output = f"Error: there is no tool named {call.name!r} (tools: {known})."
        elif call.arguments is None:
            output = f"Error: the arguments are not a JSON object: {call.raw_arguments.strip()[:200]}"
        else:
            try:
                output, error = tool_output_text(await asyncio.wait_for(tool.run(call.arguments),
                                                                        self.options.tool_timeout)), False  # fmt: skip
            except TimeoutError:
                output = f"Error: the tool {call.name!r} did not answer within {self.options.tool_timeout} s."
            except Exception as exc:
                output = f"Error: the tool {call.name!r} failed: {type(exc).__name__}: {exc}"
        with contextlib.suppress(InvalidRequestError):  # renewed or lost since: that call no longer exists
            await self.send_tool_result(call.call_id, output, error=error)

    # -- long sessions ------------------------------------------------------------------------------------------

    async def _recover(self, closed: _Closed) -> None:
        policy = self.options.reconnect
        if not closed.recoverable or policy.attempts < 1:
            raise closed.error or APIConnectionError(f"The realtime connection ended: {closed.reason}.")
        lost = self._tracker.lost()
        failure: QwenOmniError | None = None
        for attempt in range(1, policy.attempts + 1):
            await asyncio.sleep(policy.wait(attempt))
            try:
                await self._switch(await self._handshake(self._carried_config()))
            except (APIConnectionError, APITimeoutError) as exc:
                failure = exc
                continue
            except APIError as exc:
                if exc.status_code in (408, 502) or (exc.status_code or 0) >= 500:
                    failure = exc
                    continue
                raise
            await self._put(SessionRenewed("reconnect", self.renewals, closed.reason, lost))
            return
        raise APIConnectionError(
            f"The realtime connection ended ({closed.reason}) and {policy.attempts} reconnections failed: {failure}"
        )

    def _carried_config(self) -> SessionConfig:
        carried = self._tracker.conversation.carried(self.options.renewal.carry_chars)
        if not carried:
            return self.config
        base = self.config.instructions or ""
        return self.config.merged(instructions=f"{base}\n\n{carried}".strip())

    async def _switch(self, ws: ClientConnection) -> None:
        old = self._ws
        async with self._send_lock:
            self._ws = ws
            if old is not None:
                self._retired.add(id(old))
            changed, self._changed = self._changed, asyncio.get_running_loop().create_future()
        changed.set_result(None)
        self.renewals += 1
        if old is not None:
            self._spawn(_close(old))

    async def renew(self, reason: RenewReason = "duration") -> None:
        """Move to a new connection now, carrying the conversation over (what the limit watcher does)."""
        if self._renewing:
            return
        self._renewing = True
        try:
            ws = await self._handshake(self._carried_config())
            self._tracker.lost()
            await self._switch(ws)
            await self._put(SessionRenewed(reason, self.renewals))
        finally:
            self._renewing = False

    async def _watch_limits(self) -> None:
        policy = self.options.renewal
        while not self._closing:
            await asyncio.sleep(min(1.0, (policy.max_session_seconds or 20.0) / 20))
            tracker = self._tracker
            reason = policy.due(age=time.monotonic() - self._opened_at, input_tokens=tracker.input_tokens,
                                context=self.profile.context_tokens, turns=tracker.turns)  # fmt: skip
            if reason is None or self._failure is not None:
                continue
            waited = time.monotonic()
            while not tracker.idle and time.monotonic() - waited < policy.idle_wait_seconds and not self._closing:  # noqa: ASYNC110 (idle is several fields)
                await asyncio.sleep(0.02)
            if self._closing:
                return
            try:
                await self.renew(reason)
                tracker.turns, tracker.input_tokens = 0, 0
            except QwenOmniError as exc:
                logger.warning("Renewing the realtime session failed: %s", exc)
                self._fail(exc)
                await self._finish()
                return

    async def _keep_alive(self) -> None:
        interval = self.options.heartbeat_seconds
        if interval is None:
            return
        while not self._closing:
            quiet = time.monotonic() - self._last_audio
            if quiet < interval:
                await asyncio.sleep(interval - quiet)
                continue
            if self.config.turn_detection is not None and self._tracker.active is None:
                with contextlib.suppress(QwenOmniError):
                    await self._append(HEARTBEAT_PCM)
            self._last_audio = time.monotonic()

    # -- closing ------------------------------------------------------------------------------------------------

    def _spawn(self, coroutine: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _fail(self, error: QwenOmniError) -> None:
        if self._failure is None and not self._closing:
            self._failure = error
        if not self._changed.done():
            self._changed.set_result(None)

    async def _finish(self) -> None:
        """Stop everything and end :meth:`events` (after the events already queued)."""
        self._closing = True
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()
        if self._ws is not None:
            await _abort(self._ws)
        with contextlib.suppress(asyncio.QueueFull):
            self._queue.put_nowait(_END)

    async def aclose(self) -> None:
        """Hang up (idempotent): tasks stop, the connection closes at once, :meth:`events` ends."""
        if self._closing:
            return
        self._closing = True
        supervisor = self._supervisor
        if supervisor is not None and supervisor is not asyncio.current_task():
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await supervisor
        await self._finish()
        if not self._changed.done():
            self._changed.set_result(None)

    async def __aenter__(self) -> RealtimeSession:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def closed(self) -> bool:
        """True once :meth:`aclose` was called or the session failed."""
        return self._closing

    @property
    def active_response(self) -> str | None:
        """The id of the response streaming now, if any."""
        return self._tracker.active.response_id if self._tracker.active else None

    @property
    def conversation(self) -> list[tuple[str, str]]:
        """The conversation so far as (role, text) turns: what is carried over on renewal."""
        return list(self._tracker.conversation.turns)


class _Connector:
    """What :meth:`RealtimeSession.connect` returns: awaitable, and an async context manager that closes."""

    def __init__(self, opener: Callable[[], Awaitable[RealtimeSession]]) -> None:
        self._opener = opener
        self._session: RealtimeSession | None = None

    def __await__(self) -> Generator[Any, None, RealtimeSession]:
        return self._opener().__await__()

    async def __aenter__(self) -> RealtimeSession:
        self._session = await self._opener()
        return self._session

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:  # fmt: skip
        if self._session is not None:
            await self._session.aclose()


def _dumps(event: Mapping[str, Any]) -> str:
    import json

    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


def _why(exc: ConnectionClosed) -> str:
    frame = exc.rcvd
    if frame is None:
        return "the connection dropped without a close frame (1006)"
    return f"close code {frame.code}" + (f": {frame.reason}" if frame.reason else "")


def _names(kind: type[Any] | tuple[type[Any], ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(k.__name__ for k in kinds)


async def _wait(future: asyncio.Future[None], timeout: float) -> bool:  # noqa: ASYNC109 (a bounded wait is the API)
    try:
        await asyncio.wait_for(asyncio.shield(future), timeout)
    except TimeoutError:
        return False
    return True


async def _close(ws: ClientConnection) -> None:
    with contextlib.suppress(Exception):
        await ws.close()


async def _abort(ws: ClientConnection) -> None:
    """Close with a close frame, within the transport's short close timeout (then the TCP connection is dropped)."""
    with contextlib.suppress(Exception):
        await ws.close()
