"""The one place that turns SDK, HTTP and stream failures into this package's errors, with the key scrubbed out.

The SDK's own exception is never chained to ours: it holds the request (whose headers carry the key) and the raw
response. What a caller needs from it is copied, scrubbed, into our error: the status, DashScope's code, the
request id, the error body and the wait the server asked for.

Example:
    >>> scrub({"message": "bad key Bearer sk-abc", "n": 1}, "sk-abc")
    {'message': 'bad key Bearer ***', 'n': 1}
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

import openai

from .errors import (
    APIConnectionError,
    APIError,
    APIProtocolError,
    APITimeoutError,
    QwenOmniError,
    error_for_status,
)
from .retry import parse_retry_after

__all__ = ["map_error", "scrub", "summarize"]

#: How much of a bad stream line an error message quotes.
_QUOTED_CHARS = 80


def scrub(value: Any, secret: str | None) -> Any:
    """``value`` with every occurrence of ``secret`` replaced by ``***``, in strings, mappings and lists."""
    if not secret:
        return value
    if isinstance(value, str):
        return value.replace(secret, "***")
    if isinstance(value, Mapping):
        return {scrub(k, secret): scrub(v, secret) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v, secret) for v in value]
    return value


def summarize(text: str, secret: str | None = None) -> str:
    """The start of ``text`` (scrubbed), and its size when it is longer.

    Example:
        >>> summarize("x" * 100)
        "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'... (100 characters)"
    """
    shown = repr(scrub(text[:_QUOTED_CHARS], secret))
    return f"{shown}... ({len(text)} characters)" if len(text) > _QUOTED_CHARS else shown


def map_error(exc: BaseException, *, base_url: str, secret: str | None) -> QwenOmniError:
    """Our error for ``exc``: one of ours as it is; an SDK, decoding or transport failure translated."""
    if isinstance(exc, QwenOmniError):
        return exc
    if isinstance(exc, openai.APITimeoutError | TimeoutError):
        return APITimeoutError(f"The request to {base_url} timed out; raise timeout= or retry later.")
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        detail = f" ({type(cause).__name__}: {scrub(str(cause), secret)})" if cause else ""
        return APIConnectionError(f"Could not reach {base_url}, or the connection broke{detail}.")
    if isinstance(exc, openai.APIStatusError):
        return _status_error(exc, secret)
    if isinstance(exc, openai.APIError):  # an error object inside a 200 stream
        body = exc.body if isinstance(exc.body, Mapping) else {}
        request_id = body.get("request_id")
        return error_for_status(
            200,
            scrub(exc.message, secret),
            code=exc.code,
            request_id=request_id if isinstance(request_id, str) else None,
            body=scrub(body, secret),
            in_stream=True,
        )
    if isinstance(exc, json.JSONDecodeError):
        return APIProtocolError(
            f"The server sent a stream line that is not JSON: {summarize(exc.doc, secret)}; "
            "a proxy or gateway may have answered instead of the API.",
            status_code=200,
        )
    if isinstance(exc, UnicodeDecodeError):
        return APIProtocolError(f"The server sent stream bytes that are not UTF-8 ({exc.reason}).", status_code=200)
    return APIConnectionError(f"Unexpected transport failure: {type(exc).__name__}: {scrub(str(exc), secret)}")


def _status_error(exc: openai.APIStatusError, secret: str | None) -> APIError:
    response = exc.response
    body = exc.body if isinstance(exc.body, Mapping) else None
    message = body.get("message") if body else None
    request_id = response.headers.get("x-request-id") or exc.request_id
    full: Any = None
    with contextlib.suppress(ValueError):  # not JSON (an HTML page from a gateway): the status says enough
        full = response.json()
    if isinstance(full, Mapping) and isinstance(full.get("request_id"), str):
        request_id = full["request_id"]
    error = error_for_status(
        exc.status_code,
        scrub(message if isinstance(message, str) else response.reason_phrase or f"HTTP {exc.status_code}", secret),
        code=scrub(exc.code, secret),
        request_id=request_id,
        body=scrub(body or full, secret),
    )
    error.retry_after = parse_retry_after(response.headers)
    return error
