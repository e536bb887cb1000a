"""Where a realtime session connects: the chat client's endpoint, as the WebSocket URL of the same host.

The chat path resolves ``base_url`` / ``region`` / ``workspace_id`` (and ``DASHSCOPE_BASE_URL`` /
``DASHSCOPE_WORKSPACE_ID``) to a compatible-mode URL (:func:`qwen_omni.endpoints.resolve_base_url`); the realtime
endpoint is ``/api-ws/v1/realtime?model=...`` on that host, over ``wss://`` (``ws://`` for a plain ``http://`` base
URL such as the emulator's). A ``ws://`` or ``wss://`` base URL is taken as the realtime URL itself.

Example:
    >>> realtime_url("https://dashscope-intl.aliyuncs.com/compatible-mode/v1", "qwen3.5-omni-flash-realtime")
    'wss://dashscope-intl.aliyuncs.com/api-ws/v1/realtime?model=qwen3.5-omni-flash-realtime'
    >>> realtime_url("http://127.0.0.1:8000/compatible-mode/v1", "qwen3-omni-flash-realtime")
    'ws://127.0.0.1:8000/api-ws/v1/realtime?model=qwen3-omni-flash-realtime'
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

from ..endpoints import WORKSPACE_ID_ENV
from ..errors import InvalidRequestError
from .models import RealtimeProfile

__all__ = ["REALTIME_PATH", "check_endpoint", "realtime_url"]

#: The realtime WebSocket path on every DashScope host.
REALTIME_PATH = "/api-ws/v1/realtime"
_COMPATIBLE_SUFFIX = "/compatible-mode/v1"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def realtime_url(base_url: str, model: str) -> str:
    """The WebSocket URL of ``model``'s realtime session on ``base_url``'s host."""
    parts = urlsplit(base_url)
    if parts.scheme in ("ws", "wss"):
        path = parts.path.rstrip("/") or REALTIME_PATH
        return urlunsplit((parts.scheme, parts.netloc, path, f"model={quote(model)}", ""))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidRequestError(f"base_url must be an http(s):// or ws(s):// URL; got {base_url!r}.")
    path = parts.path.rstrip("/")
    path = path.removesuffix(_COMPATIBLE_SUFFIX)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return urlunsplit((scheme, parts.netloc, path + REALTIME_PATH, f"model={quote(model)}", ""))


def check_endpoint(url: str, profile: RealtimeProfile) -> None:
    """Refuse, before connecting, a model that its host does not serve (qwen3.8 needs a workspace endpoint)."""
    host = urlsplit(url).hostname or ""
    if profile.workspace_only and host.endswith("aliyuncs.com") and not host.endswith(".maas.aliyuncs.com"):
        raise InvalidRequestError(
            f"{profile.name} is served only on workspace endpoints ({{WorkspaceId}}.<region>.maas.aliyuncs.com), "
            f"not on {host}: pass workspace_id=... and region=... (or set {WORKSPACE_ID_ENV})."
        )


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine (the emulator)."""
    return (urlsplit(url).hostname or "") in _LOOPBACK
