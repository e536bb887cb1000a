"""The WebSocket under a realtime session (the ``websockets`` library), and its failures as the project's errors.

- The key goes in the handshake's ``Authorization: Bearer`` header and nowhere else (never in a URL, a repr or an
  error).
- No per-message compression (as Qwen's own client), WebSocket pings every 20 s, close handshakes bounded by
  :data:`CLOSE_TIMEOUT` so that closing hangs up at once.
- A refused upgrade is :func:`~.failures.handshake_error`; an unreachable host an
  :class:`~qwen_omni.errors.APIConnectionError`; a handshake that takes too long an
  :class:`~qwen_omni.errors.APITimeoutError`.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import InvalidHandshake, InvalidStatus, InvalidURI, WebSocketException

from ..error_mapping import scrub
from ..errors import APIConnectionError, APIProtocolError, APITimeoutError, InvalidRequestError
from .endpoint import is_loopback
from .failures import handshake_error

__all__ = ["CLOSE_TIMEOUT", "MAX_FRAME_BYTES", "decode_frame", "open_socket"]

#: Seconds a close handshake may take before the connection is dropped.
CLOSE_TIMEOUT = 1.0
#: The largest frame accepted from the server.
MAX_FRAME_BYTES = 16 * 1024 * 1024
_HAS_PROXY_OPTION = "proxy" in inspect.signature(connect.__init__).parameters


async def open_socket(
    url: str,
    headers: Mapping[str, str],
    *,
    timeout: float | None,  # noqa: ASYNC109 (the handshake's bound, given to websockets)
    secret: str | None,
) -> ClientConnection:
    """Open the WebSocket (the handshake bounded by ``timeout``)."""
    options: dict[str, Any] = {}
    if _HAS_PROXY_OPTION and is_loopback(url):
        options["proxy"] = None  # the emulator is never reached through a proxy
    try:
        return await connect(
            url,
            additional_headers=dict(headers),
            compression=None,
            open_timeout=timeout,
            close_timeout=CLOSE_TIMEOUT,
            max_size=MAX_FRAME_BYTES,
            user_agent_header="qwen-omni realtime",
            **options,
        )
    except InvalidStatus as exc:
        response = exc.response
        body = response.body.decode("utf-8", "replace") if response.body else ""
        raise handshake_error(response.status_code, body, url=url, secret=secret) from None
    except InvalidURI:
        raise InvalidRequestError(f"The realtime URL {url!r} is not a WebSocket URL.") from None
    except TimeoutError:
        raise APITimeoutError(f"The realtime handshake with {url} did not finish within {timeout} s.") from None
    except (OSError, InvalidHandshake, WebSocketException) as exc:
        detail = scrub(str(exc), secret)
        raise APIConnectionError(
            f"Could not open the realtime connection to {url} ({type(exc).__name__}: {detail})."
        ) from None


def decode_frame(frame: str | bytes) -> dict[str, Any]:
    """A server frame as a JSON object.

    Raises:
        APIProtocolError: a binary frame, or text that is not a JSON object.
    """
    if isinstance(frame, bytes):
        raise APIProtocolError("The realtime server sent a binary frame; its events are JSON text frames.")
    try:
        data = json.loads(frame)
    except ValueError:
        raise APIProtocolError(f"The realtime server sent a frame that is not JSON: {frame[:80]!r}") from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise APIProtocolError(f"The realtime server sent a frame without a type: {frame[:80]!r}")
    return data
