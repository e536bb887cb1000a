"""Realtime failures as the project's errors: refused handshakes, ``error`` frames, and closes, each with what to do.

Error frames are recognised by their message (the documented and observed wordings of
``shared/reference/realtime.md`` section 7), since their codes are not documented:

- ``connections too much max_connections 100``: the account-wide cap of concurrent realtime connections,
  a :class:`~qwen_omni.errors.RateLimitError`; reconnecting does not help.
- ``no response was generated for 180 seconds`` (or 300): the inactivity close; recoverable, the session reconnects.
- ``Conversation already has an active response``, ``Cannot create response while user is speaking``,
  ``no active response``: a race the session reports as an event and goes on.
- ``InvalidApiKey`` / ``Invalid API-key``: an :class:`~qwen_omni.errors.AuthenticationError`.

A WebSocket upgrade refused with 401 names the likely cause: keys belong to one region (and workspace).

Example:
    >>> classify_frame(None, "connections too much max_connections 100").kind
    'fatal'
    >>> type(classify_frame(None, "connections too much max_connections 100").error).__name__
    'RateLimitError'
    >>> classify_frame(None, "Conversation already has an active response").kind
    'benign'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ..error_mapping import scrub
from ..errors import APIError, AuthenticationError, error_for_status

__all__ = [
    "CONNECTION_CAP",
    "FATAL_CLOSE_CODES",
    "RECOVERABLE_CLOSE_CODES",
    "FrameVerdict",
    "classify_frame",
    "handshake_error",
]

#: The documented account-wide cap of concurrent realtime connections.
CONNECTION_CAP = 100
#: WebSocket close codes after which a new connection is worth trying (abnormal closure, server error, restart,
#: try again later, bad gateway), as Vision-Agents' Qwen client; a server's normal close (1000, 1001) is too.
RECOVERABLE_CLOSE_CODES = frozenset({1006, 1011, 1012, 1013, 1014})
#: Close codes that say the client did something wrong: a new connection would fare the same.
FATAL_CLOSE_CODES = frozenset({1002, 1003, 1007, 1008, 1009, 1010})

Verdict = Literal["benign", "recoverable", "fatal", "request"]


@dataclass(frozen=True)
class FrameVerdict:
    """What an ``error`` frame means: ``benign`` (a race; go on), ``recoverable`` (reconnect), ``fatal`` (end the
    session with ``error``), or ``request`` (one client event was refused; the session goes on)."""

    kind: Verdict
    error: APIError


@dataclass(frozen=True)
class _Rule:
    needles: tuple[str, ...]
    kind: Verdict
    status: int
    hint: str


_RULES = (
    _Rule(("connections too much", "max_connections"), "fatal", 429,
          f" The account has its {CONNECTION_CAP} concurrent realtime connections open (the cap is account-wide): "
          "close other sessions (RealtimeSession.aclose) before opening more, or wait for them to end."),
    _Rule(("no response was generated for",), "recoverable", 408,
          " The server closes a session that produces nothing for a while; the session reconnects and carries the "
          "conversation over."),
    _Rule(("already has an active response",), "benign", 400,
          " Wait for the response's ResponseDone (or cancel it) before creating another."),
    _Rule(("while user is speaking",), "benign", 400, " Wait for the user's turn to end (SpeechStopped)."),
    _Rule(("no active response",), "benign", 400, " There was nothing to cancel."),
    _Rule(("invalid api-key", "invalidapikey", "invalid_api_key", "incorrect api key"), "fatal", 401,
          " Keys are per region (and per workspace): use the key of the endpoint's region."),
    _Rule(("common_error", "connect call failed"), "recoverable", 502,
          " The service behind the realtime endpoint failed; the session reconnects."),
    _Rule(("maximum duration", "session expired", "session has expired"), "recoverable", 408,
          " The session reached its longest duration; the session reconnects and carries the conversation over."),
)  # fmt: skip


def classify_frame(code: str | None, message: str, *, secret: str | None = None) -> FrameVerdict:
    """The verdict and the project's error for an ``error`` frame (key scrubbed from the message)."""
    text = scrub(message, secret)
    lowered = f"{code or ''} {text}".lower()
    for rule in _RULES:
        if any(needle in lowered for needle in rule.needles):
            full = text.strip() + ("" if rule.hint.strip() in text else rule.hint)
            return FrameVerdict(rule.kind, error_for_status(rule.status, full, code=code))
    return FrameVerdict("request", error_for_status(400, text, code=code))


def handshake_error(status: int, body: str, *, url: str, secret: str | None) -> APIError:
    """The error for a refused WebSocket upgrade (``status`` and the response body)."""
    import json

    message, code = f"The realtime endpoint {url} refused the connection (HTTP {status}).", None
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    if isinstance(data, dict):
        inner: dict[str, object] = data["error"] if isinstance(data.get("error"), dict) else data
        if isinstance(inner.get("message"), str):
            message = f"{message[:-1]}: {str(inner['message']).strip()}"
        found = inner.get("code")
        code = found if isinstance(found, str) else None
    message = scrub(message, secret)
    if status == 401:
        return AuthenticationError(
            message + " A key works only in its own region (and workspace): a Beijing key on the Singapore endpoint, "
            "or the reverse, is refused with 401. Pass region=... (or workspace_id=...) matching the key, or check "
            "DASHSCOPE_API_KEY.",
            status_code=401,
            code=code or "invalid_api_key",
        )
    return error_for_status(status, message, code=code)
