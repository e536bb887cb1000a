"""The emulator's realtime WebSocket endpoint, ``/api-ws/v1/realtime?model=...``, on the same server as the chat API.

The handshake is refused as DashScope refuses it: 401 without ``Authorization: Bearer <key>`` (or with another key
than the emulator's), 400 without a ``model``, 404 for a name that is no realtime model. A connection over
``max_connections`` gets the documented error frame after connecting, then the close. Each connection is a
:class:`~.realtime_conversation.RealtimeConversation`, recorded in :attr:`Emulator.realtime.sessions
<qwen_omni.emulator.realtime_state.RealtimeState.sessions>`; the session's limits (``max_session_seconds``, the
inactivity close) end it with an error frame and a close, and the queued
:class:`~.realtime_state.RealtimeFault` misbehaves as asked (a refused upgrade, a dropped connection, slow events,
an early inactivity close, an error frame after connecting).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any

from starlette.responses import JSONResponse
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from qwen_omni.realtime.endpoint import REALTIME_PATH
from qwen_omni.realtime.models import get_realtime_profile

from .chat import check_auth
from .realtime_conversation import RealtimeConversation
from .realtime_state import RealtimeFault, RealtimeRecord
from .realtime_wire import CONNECTIONS_MESSAGE, INACTIVITY_MESSAGE, MAX_DURATION_MESSAGE, error_frame, new_id
from .state import EmulatorState
from .wire import Refusal, code_for_status, error_body

__all__ = ["realtime_route"]


def _denial(status: int, code: str | None, message: str | None) -> JSONResponse:
    request_id = new_id("req")
    return JSONResponse(error_body(code, message, request_id=request_id), status_code=status,
                        headers={"x-request-id": request_id})  # fmt: skip


class _Connection:
    """The sending half of one connection: event ids, the fault's delays and drop, one writer."""

    def __init__(self, websocket: WebSocket, state: EmulatorState, record: RealtimeRecord,
                 fault: RealtimeFault) -> None:  # fmt: skip
        self.websocket, self.state, self.record, self.fault = websocket, state, record, fault
        self.sent = 0
        self.responses = 0
        self.lock = asyncio.Lock()
        self.gone = False

    async def send(self, event: dict[str, Any]) -> None:
        async with self.lock:
            if self.gone:
                return
            if self.fault.event_delay:
                await asyncio.sleep(self.fault.event_delay)
            try:
                await self.websocket.send_text(json.dumps({"event_id": new_id("event"), **event}, ensure_ascii=False))
            except (WebSocketDisconnect, RuntimeError, OSError):
                self.gone = True
                return
            self.sent += 1
            self.responses += event["type"] == "response.done"
            fault = self.fault
            if (fault.drop_after_events is not None and self.sent >= fault.drop_after_events) or (
                fault.drop_after_responses is not None and self.responses >= fault.drop_after_responses
            ):
                self.drop()

    def drop(self) -> None:
        """Drop the TCP connection without a close frame (the client sees 1006)."""
        if self.gone:
            return
        self.gone = True
        self.record.close_reason = self.record.close_reason or "dropped"
        client = self.websocket.client
        transport = (
            self.state.transport_for((client.host, client.port)) if client and self.state.transport_for else None
        )
        if transport is not None:
            transport.abort()

    async def close(self, reason: str, message: str | None = None, code: int = 1000) -> None:
        """Send ``message`` as an error frame (if any), then close."""
        if self.record.close_reason is None:
            self.record.close_reason = reason
        if message is not None:
            await self.send(error_frame(None, message, kind="server_error"))
        async with self.lock:
            if not self.gone:
                self.gone = True
                with contextlib.suppress(RuntimeError, OSError):
                    await self.websocket.close(code)


async def _limits(conversation: RealtimeConversation, connection: _Connection, fault: RealtimeFault) -> None:
    """Close the session at its longest duration, or after the inactivity allowed (or the fault's)."""
    settings = conversation.settings
    ends_at = connection.record.opened_at + settings.max_session_seconds
    inactivity = fault.inactivity_after if fault.inactivity_after is not None else settings.inactivity_seconds
    forced = fault.inactivity_after is not None
    while True:
        conversation.responded.clear()
        wait = max(0.0, min(inactivity, ends_at - time.monotonic()))
        if forced:
            await asyncio.sleep(wait)
        else:
            try:
                await asyncio.wait_for(conversation.responded.wait(), wait)
                continue
            except TimeoutError:
                pass
        if time.monotonic() >= ends_at:
            await connection.close("max_duration", MAX_DURATION_MESSAGE.format(seconds=settings.max_session_seconds))
        else:
            await connection.close("inactivity", INACTIVITY_MESSAGE.format(seconds=inactivity))
        return


def realtime_route(state: EmulatorState) -> WebSocketRoute:
    """The route of the realtime endpoint, bound to ``state``."""

    async def endpoint(websocket: WebSocket) -> None:
        headers = {k.lower(): v for k, v in websocket.headers.items()}
        model = websocket.query_params.get("model")
        try:
            check_auth(headers, state.settings.api_key)
        except Refusal as refusal:
            await websocket.send_denial_response(_denial(refusal.status, refusal.code, refusal.message))
            return
        if not model:
            await websocket.send_denial_response(_denial(400, "invalid_parameter_error", "Missing model parameter."))
            return
        if not get_realtime_profile(model, warn=False).known:
            await websocket.send_denial_response(
                _denial(404, "model_not_found", f"Model {model} does not exist or is not a realtime model.")
            )
            return
        realtime = state.realtime
        fault = realtime.next_fault() or RealtimeFault()
        if fault.reject_status is not None:
            status = fault.reject_status
            await websocket.send_denial_response(_denial(status, code_for_status(status), None))
            return
        await websocket.accept()
        shown = {k: ("***" if k == "authorization" else v) for k, v in headers.items()}
        record = RealtimeRecord(model=model, session_id=new_id("sess"), headers=shown)
        counted = realtime.open(record)
        connection = _Connection(websocket, state, record, fault)
        conversation = RealtimeConversation(model, record, realtime.settings, connection.send, state.answer.get)
        limits: asyncio.Task[None] | None = None
        try:
            if not counted:
                await connection.close("connections", CONNECTIONS_MESSAGE.format(cap=realtime.settings.max_connections))
                return
            if fault.first_event_delay:
                await asyncio.sleep(fault.first_event_delay)
            await connection.send({"type": "session.created", "session": conversation.session})
            if fault.error_after_connect is not None:
                await connection.close("error", fault.error_after_connect)
                return
            limits = asyncio.create_task(_limits(conversation, connection, fault))
            await _receive(websocket, conversation, connection, fault)
        finally:
            if limits is not None:
                limits.cancel()
            await conversation.stop()
            realtime.close(record, "client", counted=counted)

    return WebSocketRoute(REALTIME_PATH, endpoint)


async def _receive(websocket: WebSocket, conversation: RealtimeConversation, connection: _Connection,
                   fault: RealtimeFault) -> None:  # fmt: skip
    while True:
        message = await websocket.receive()
        if message["type"] == "websocket.disconnect":
            return
        text = message.get("text")
        if text is None:
            await connection.send(error_frame("invalid_value", "Binary frames are not supported; send JSON text."))
            continue
        try:
            event = json.loads(text)
        except ValueError:
            await connection.send(error_frame("invalid_value", "The event is not JSON."))
            continue
        if not isinstance(event, dict):
            await connection.send(error_frame("invalid_value", "The event must be a JSON object."))
            continue
        await conversation.handle(event)
        limit = fault.drop_after_audio_seconds
        if limit is not None and conversation.record.input_seconds >= limit:
            connection.drop()
        if connection.gone:
            return
