"""The emulator's Starlette app: DashScope's compatible-mode routes, a health check, and JSON errors.

Routes: ``POST /compatible-mode/v1/chat/completions``, ``GET /compatible-mode/v1/models`` and
``GET /_emulator/health``. Every other path answers 404 with DashScope's error body.

Example:
    >>> from qwen_omni.emulator.state import EmulatorState, Settings
    >>> app = build_app(EmulatorState(Settings()))
    >>> sorted(route.path for route in app.routes)
    ['/_emulator/health', '/compatible-mode/v1/chat/completions', '/compatible-mode/v1/models']
"""

from __future__ import annotations

import time
import uuid

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from qwen_omni.profiles import KNOWN_MODELS

from .chat import check_auth, handle_chat
from .state import EmulatorState
from .stream import ChunkStream, now
from .wire import Refusal, error_body

#: The path prefix of DashScope's OpenAI-compatible API.
API_PREFIX = "/compatible-mode/v1"
HEALTH_PATH = "/_emulator/health"


def _error(
    status: int, code: str, message: str | None, request_id: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(
        error_body(code, message, request_id=request_id),
        status_code=status,
        headers={"x-request-id": request_id, **(headers or {})},
    )


def build_app(state: EmulatorState) -> Starlette:
    """The ASGI app of one emulator, bound to ``state``."""

    async def chat_completions(request: Request) -> Response:
        arrived = time.monotonic()
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        outcome = await run_in_threadpool(handle_chat, state, headers, body, arrived)
        response_headers = {"x-request-id": outcome.request_id, **outcome.headers}
        if outcome.events is None:
            return JSONResponse(outcome.error_body, status_code=outcome.status, headers=response_headers)
        return ChunkStream(
            outcome.events,
            request_id=outcome.request_id,
            fault=outcome.fault,
            first_chunk_delay=outcome.first_chunk_delay,
            chunk_delay=outcome.chunk_delay,
            headers=response_headers,
            closing=state.closing,
        )

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
            code, message = "NotFound", f"No route {request.url.path}; the API lives under {API_PREFIX}."
        else:
            code, message = "invalid_parameter_error", f"{request.method} {request.url.path}: {exc.detail}"
        return _error(exc.status_code, code, message, str(uuid.uuid4()))

    return Starlette(
        routes=[
            Route(f"{API_PREFIX}/chat/completions", chat_completions, methods=["POST"]),
            Route(f"{API_PREFIX}/models", models, methods=["GET"]),
            Route(HEALTH_PATH, health, methods=["GET"]),
        ],
        exception_handlers={HTTPException: http_error},
    )
