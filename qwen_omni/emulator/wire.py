"""DashScope's wire shapes: error bodies, stream chunks and server-sent events.

Everything the emulator puts on the wire is built here, so the shapes live in one place.

Example:
    >>> body = error_body("invalid_api_key", request_id="r-1")
    >>> body["error"]["message"], body["error"]["code"], body["request_id"]
    ('Incorrect API key provided. ', 'invalid_api_key', 'r-1')
    >>> sse({"a": 1})
    b'data: {"a":1}\\n\\n'
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from .limits import BURST_MESSAGE

#: The event that ends a successful stream.
DONE_EVENT = b"data: [DONE]\n\n"
#: The media type of a stream, as DashScope sends it.
EVENT_STREAM_MEDIA_TYPE = "text/event-stream;charset=UTF-8"

#: Codes whose ``type`` is ``invalid_request_error`` (DashScope's compatible mode, like OpenAI). Other codes are
#: sent with ``type`` equal to the code, as seen from DashScope for moderation, quota and arrears errors.
_INVALID_REQUEST_CODES = frozenset(
    {"invalid_parameter_error", "invalid_api_key", "model_not_found", "request_too_large"}
)


@dataclass(frozen=True)
class KnownError:
    """One row of the documented error table: the usual HTTP status and the message's wording."""

    status: int
    message: str


#: The documented errors (reference README, "Errors"), by code.
KNOWN_ERRORS: dict[str, KnownError] = {
    "invalid_parameter_error": KnownError(400, "The request is invalid."),
    "invalid_api_key": KnownError(401, "Incorrect API key provided. "),
    "model_not_found": KnownError(404, "The model does not exist or you do not have access to it."),
    "limit_requests": KnownError(429, "You have exceeded your current request limit."),
    "limit_burst_rate": KnownError(429, BURST_MESSAGE),
    "insufficient_quota": KnownError(
        429, "You exceeded your current quota, please check your plan and billing details."
    ),
    "Arrearage": KnownError(400, "Access denied, please make sure your account is in good standing."),
    "data_inspection_failed": KnownError(
        400, "<400> InternalError.Algo.DataInspectionFailed: Input text data may contain inappropriate content."
    ),
    "AccessDenied": KnownError(403, "Access denied."),
    "InternalError": KnownError(
        500, "An internal error has occurred, please try again later or contact service support."
    ),
    "ServiceUnavailable": KnownError(503, "The service is temporarily unavailable, please try again later."),
    "RequestTimeOut": KnownError(504, "Request timed out, please try again later."),
}

#: The code used for an HTTP status when a fault names no code.
DEFAULT_CODE_BY_STATUS: dict[int, str] = {
    400: "invalid_parameter_error",
    401: "invalid_api_key",
    403: "AccessDenied",
    404: "model_not_found",
    429: "limit_requests",
    500: "InternalError",
    502: "ServiceUnavailable",
    503: "ServiceUnavailable",
    504: "RequestTimeOut",
}

#: The message of the error event sent inside a 200 stream when a fault names no code (output moderation).
DEFAULT_STREAM_ERROR_CODE = "data_inspection_failed"
DEFAULT_STREAM_ERROR_MESSAGE = (
    "<400> InternalError.Algo.DataInspectionFailed: Output data may contain inappropriate content."
)


class Refusal(Exception):
    """The emulator refuses a request with a documented error, before streaming anything.

    ``code`` is None where DashScope sends ``"code": null`` (OpenAI-layer refusals such as stream-only).

    Example:
        >>> Refusal(400, "invalid_parameter_error", "n must be 1.").status
        400
    """

    def __init__(self, status: int, code: str | None, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def invalid(message: str) -> Refusal:
    """A 400 ``invalid_parameter_error`` refusal with ``message``."""
    return Refusal(400, "invalid_parameter_error", message)


def error_type(code: str | None) -> str:
    """The ``type`` field that goes with ``code`` (a null code is an OpenAI-layer ``invalid_request_error``)."""
    return "invalid_request_error" if code is None or code in _INVALID_REQUEST_CODES else code


def error_object(code: str | None, message: str | None = None) -> dict[str, Any]:
    """The inner ``error`` object: message, type, param and code."""
    known = KNOWN_ERRORS.get(code) if code is not None else None
    text = message if message is not None else (known.message if known else f"Error {code}.")
    return {"message": text, "type": error_type(code), "param": None, "code": code}


def error_body(code: str | None, message: str | None = None, *, request_id: str) -> dict[str, Any]:
    """A whole error body, ``request_id`` at the top level as DashScope sends it."""
    return {"error": error_object(code, message), "request_id": request_id}


def stream_error_body(code: str, message: str | None = None, *, request_id: str) -> dict[str, Any]:
    """An error event inside a 200 stream: as seen from Qwen models, its error object has no ``type``."""
    error = error_object(code, message)
    return {"error": {"message": error["message"], "code": code}, "request_id": request_id}


def status_for_code(code: str) -> int:
    """The usual HTTP status of ``code`` (400 for codes the table does not know)."""
    known = KNOWN_ERRORS.get(code)
    return known.status if known else 400


def code_for_status(status: int) -> str:
    """The usual code for an HTTP ``status``."""
    if status in DEFAULT_CODE_BY_STATUS:
        return DEFAULT_CODE_BY_STATUS[status]
    return "InternalError" if status >= 500 else "invalid_parameter_error"


def chunk(
    completion_id: str,
    created: int,
    model: str,
    delta: dict[str, Any],
    finish_reason: str | None = None,
) -> dict[str, Any]:
    """One ``chat.completion.chunk`` with a single choice."""
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}],
        "usage": None,
    }


def usage_chunk(completion_id: str, created: int, model: str, usage: dict[str, Any]) -> dict[str, Any]:
    """The last chunk of a stream with ``include_usage``: no choices, only usage."""
    return {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [],
        "usage": usage,
    }


def sse(obj: Any) -> bytes:
    """One server-sent event carrying ``obj`` as compact JSON."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return f"data: {text}\n\n".encode()


__all__ = [
    "DEFAULT_CODE_BY_STATUS",
    "DEFAULT_STREAM_ERROR_CODE",
    "DEFAULT_STREAM_ERROR_MESSAGE",
    "DONE_EVENT",
    "EVENT_STREAM_MEDIA_TYPE",
    "KNOWN_ERRORS",
    "KnownError",
    "Refusal",
    "chunk",
    "code_for_status",
    "error_body",
    "error_object",
    "error_type",
    "invalid",
    "sse",
    "status_for_code",
    "stream_error_body",
    "usage_chunk",
]
