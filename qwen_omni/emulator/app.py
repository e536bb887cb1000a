"""The emulator's Starlette app: DashScope's compatible-mode routes, a health check, JSON errors, and a small
control API for an emulator served from another process.

Requests are read as a stream: a body over ``max_body_bytes`` gets a 413 (what is over the cap is read and
dropped, so the client hears the answer and the memory is never held), one that takes longer than
``body_timeout`` to arrive gets a 408, and a client that goes away while sending is one INFO line of the
``qwen_omni.emulator`` logger. A failure of the emulator itself is a DashScope 500 body, never a plain-text page.

Routes: ``POST /compatible-mode/v1/chat/completions``, ``GET /compatible-mode/v1/models``,
``GET /_emulator/health``, ``GET /_emulator/requests`` (a summary of each recorded request: status, fault,
and for streams how many events went out and when the client hung up), ``POST /_emulator/faults``
(``{"fault": "status=429;retry-after=1", "times": 2}`` queues a fault, as :meth:`Emulator.inject` does;
``{"faults": [...]}`` queues several in order) and ``POST /_emulator/reset``. Every other path answers 404
with DashScope's error body.

Example:
    >>> from qwen_omni.emulator.state import EmulatorState, Settings
    >>> app = build_app(EmulatorState(Settings()))
    >>> sorted(route.path for route in app.routes)  # doctest: +NORMALIZE_WHITESPACE
    ['/_emulator/faults', '/_emulator/health', '/_emulator/requests', '/_emulator/reset', '/api-ws/v1/realtime',
     '/compatible-mode/v1/chat/completions', '/compatible-mode/v1/models']
"""

from __future__ import annotations

import asyncio
import logging
import socket
import struct
import time
import uuid
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from qwen_omni.profiles import KNOWN_MODELS

from .chat import ChatOutcome, check_auth, handle_chat
from .faults import Fault
from .realtime_app import realtime_route
from .received import ReceivedRequest
from .state import EmulatorState
from .stream import _DELIBERATE_ABORT, ChunkStream, now
from .wire import KNOWN_ERRORS, Refusal, error_body

#: The path prefix of DashScope's OpenAI-compatible API.
API_PREFIX = "/compatible-mode/v1"
HEALTH_PATH = "/_emulator/health"
CONTROL_PREFIX = "/_emulator"

#: DashScope's message for a path of another endpoint family.
URL_ERROR_MESSAGE = "url error, please check url"

_log = logging.getLogger("qwen_omni.emulator")


class _TooLarge(Exception):
    def __init__(self, size: int) -> None:
        self.size = size


class _ClientGone(Exception):
    def __init__(self, size: int) -> None:
        self.size = size


async def read_body(request: Request, limit: int, seconds: float) -> bytearray:
    """The body of ``request``, read as a stream: at most ``limit`` bytes kept, all of it within ``seconds``.

    Raises ``_TooLarge`` (after reading and dropping the rest, so that the client hears the answer),
    ``TimeoutError`` (too slow or stalled), or ``_ClientGone`` (the client hung up).
    """
    declared = request.headers.get("content-length", "")
    over = declared.isdigit() and int(declared) > limit
    body = bytearray()
    size = 0
    try:
        async with asyncio.timeout(seconds):
            async for chunk in request.stream():
                size += len(chunk)
                if over or size > limit:
                    over = True
                    if body:
                        body = bytearray()  # over the cap: what was kept goes, and what comes is dropped
                    continue
                body += chunk
    except ClientDisconnect:
        raise _ClientGone(size) from None
    if over:
        raise _TooLarge(max(size, int(declared) if declared.isdigit() else 0))
    return body


def _error(
    status: int, code: str | None, message: str | None, request_id: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        error_body(code, message, request_id=request_id),
        status_code=status,
        headers={"x-request-id": request_id, **(headers or {})},
    )


def _summary(request: ReceivedRequest) -> dict[str, Any]:
    delivery = request.delivery
    return {
        "request_id": request.request_id,
        "status": request.status,
        "model": request.model,
        "user_text": request.user_text,
        "error_code": request.error_code,
        "fault": request.fault.to_header() if request.fault is not None else None,
        "delivery": None
        if delivery is None
        else {
            "state": delivery.state,
            "sent": delivery.sent,
            "planned": delivery.planned,
            "disconnected_at": delivery.disconnected_at,
        },
    }


class _Reset(Response):
    """Resets the connection (TCP RST) before any response header, as a crashing server or a middlebox does."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        transport = self.state.transport_for(tuple(client)) if client and self.state.transport_for else None
        if transport is None:
            raise RuntimeError("This server cannot reset a connection; the emulator needs uvicorn.")
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        _DELIBERATE_ABORT.set(True)
        transport.abort()
        message = await receive()
        while message["type"] != "http.disconnect":
            message = await receive()


def _response(state: EmulatorState, outcome: ChatOutcome) -> Response:
    headers = {"x-request-id": outcome.request_id, **outcome.headers}
    if outcome.reset:
        return _Reset(state)
    if outcome.html is not None:
        return HTMLResponse(outcome.html, status_code=outcome.status, headers=headers)
    if outcome.events is None:
        return JSONResponse(outcome.error_body, status_code=outcome.status, headers=headers)
    fault = outcome.fault
    return ChunkStream(
        outcome.events,
        cut=outcome.cut,
        first_chunk_delay=outcome.first_chunk_delay,
        chunk_delay=outcome.chunk_delay,
        header_delay=fault.header_delay if fault else 0.0,
        byte_delay=fault.byte_delay if fault else 0.0,
        headers=headers,
        closing=state.closing,
        delivery=outcome.delivery,
    )


def build_app(state: EmulatorState) -> Starlette:
    """The ASGI app of one emulator, bound to ``state``."""

    async def chat_completions(request: Request) -> Response:
        arrived = time.monotonic()
        settings = state.settings
        try:
            body = await read_body(request, settings.max_body_bytes, settings.body_timeout)
        except _TooLarge as exc:
            message = (
                f"Request body too large: {exc.size:,} bytes; the limit is {settings.max_body_bytes:,} bytes. Send "
                "large media by URL (oss:// or https://), or split the request."
            )
            return _error(413, "request_too_large", message, str(uuid.uuid4()))
        except TimeoutError:
            known = KNOWN_ERRORS["RequestTimeOut"]
            message = f"{known.message} The request body did not arrive within {settings.body_timeout:g} s."
            return _error(408, "RequestTimeOut", message, str(uuid.uuid4()), {"connection": "close"})
        except _ClientGone as exc:
            _log.info("A client went away while sending its request (%d bytes received).", exc.size)
            return Response(status_code=499)  # nobody hears it; the server drops it
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            outcome = await run_in_threadpool(handle_chat, state, headers, body, arrived)
        except Exception as exc:  # a bug of the emulator's: answer as DashScope would, and say so once
            _log.exception("The emulator failed on a request.")
            message = f"{KNOWN_ERRORS['InternalError'].message} ({type(exc).__name__} in the emulator)"
            return _error(500, "InternalError", message, str(uuid.uuid4()))
        finally:
            del body
        return _response(state, outcome)

    async def requests(request: Request) -> Response:
        return JSONResponse({"requests": [_summary(r) for r in state.journal.requests()]})

    async def faults(request: Request) -> Response:
        try:
            spec = await request.json()
            if "faults" in spec:
                queued = [Fault.from_header(str(value)) for value in spec["faults"]]
            else:
                queued = [Fault.from_header(str(spec["fault"]))] * int(spec.get("times", 1))
            for fault in queued:
                state.faults.push(fault)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            usage = "{'fault': '<X-Emulator-Fault value>', 'times': n} or {'faults': [...]}"
            return JSONResponse({"error": f"Expected {usage}: {exc}"}, 400)
        return JSONResponse({"queued": len(state.faults)})

    async def reset(request: Request) -> Response:
        state.journal.clear()
        state.faults.clear()
        return JSONResponse({"status": "ok"})

    async def models(request: Request) -> Response:
        request_id = str(uuid.uuid4())
        try:
            check_auth({k.lower(): v for k, v in request.headers.items()}, state.settings.api_key)
        except Refusal as refusal:
            return _error(refusal.status, refusal.code, refusal.message, request_id)
        created = now()
        data = [{"id": name, "object": "model", "created": created, "owned_by": "system"} for name in KNOWN_MODELS]
        return JSONResponse({"object": "list", "data": data}, headers={"x-request-id": request_id})

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "requests": len(state.journal.requests())})

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 404:
            code, message = "NotFound", URL_ERROR_MESSAGE  # DashScope's answer to a path it does not serve
        else:
            code, message = "invalid_parameter_error", f"{request.method} {request.url.path}: {exc.detail}"
        return _error(exc.status_code, code, message, str(uuid.uuid4()))

    return Starlette(
        routes=[
            Route(f"{API_PREFIX}/chat/completions", chat_completions, methods=["POST"]),
            Route(f"{API_PREFIX}/models", models, methods=["GET"]),
            Route(HEALTH_PATH, health, methods=["GET"]),
            Route(f"{CONTROL_PREFIX}/requests", requests, methods=["GET"]),
            Route(f"{CONTROL_PREFIX}/faults", faults, methods=["POST"]),
            Route(f"{CONTROL_PREFIX}/reset", reset, methods=["POST"]),
            realtime_route(state),
        ],
        exception_handlers={HTTPException: http_error},
    )


__all__ = [
    "API_PREFIX",
    "HEALTH_PATH",
    "URL_ERROR_MESSAGE",
    "build_app",
]
