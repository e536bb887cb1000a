"""Where the long-recording commands keep segment answers, so that a rerun sends only what is missing.

By default in the user's cache folder (``platformdirs``: ``~/.cache/qwen-omni/answers/`` on Linux, honouring
``XDG_CACHE_HOME``; ``~/Library/Caches/qwen-omni/answers/`` on macOS; ``%LOCALAPPDATA%\\qwen-omni\\Cache\\answers``
on Windows), one folder per endpoint, so that the offline emulator's answers never stand in for the real model's.
``--cache DIR`` chooses the folder, ``--no-cache`` keeps nothing. Answers are keyed by the recording's content
(not its path), the segment, the encoding, the model and the prompt (:mod:`qwen_omni.longmedia.cache`).

Example:
    >>> endpoint_folder("https://dashscope-intl.aliyuncs.com/compatible-mode/v1")
    'dashscope-intl.aliyuncs.com'
    >>> endpoint_folder("http://127.0.0.1:8000/compatible-mode/v1")
    '127.0.0.1-8000'
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from urllib.parse import urlparse

from platformdirs import user_cache_path

from .errors import InvalidRequestError

__all__ = ["default_cache_dir", "endpoint_folder", "writable_cache"]


def endpoint_folder(endpoint: str) -> str:
    """The folder name of an endpoint's answers: its host (and port), or the endpoint itself when it is no URL."""
    parsed = urlparse(endpoint)
    name = parsed.netloc.rsplit("@", 1)[-1] if parsed.netloc else endpoint
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "default"


def default_cache_dir(endpoint: str) -> Path:
    """The default answer cache of ``endpoint`` (a base URL, or the offline emulator's name)."""
    return user_cache_path("qwen-omni", appauthor=False) / "answers" / endpoint_folder(endpoint)


def writable_cache(folder: Path, *, flag: str | None) -> Path:
    """``folder``, made if need be and proven writable (a file is created in it and removed).

    Raises:
        InvalidRequestError: it cannot be written; ``flag`` (``"--cache"``) names the option that chose it, or
            None for the default location.
    """
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-"):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        chosen = f"{flag} {folder}" if flag else f"the default answer cache {folder}"
        raise InvalidRequestError(
            f"{chosen} cannot be written ({reason}); nothing was sent. Choose a folder you can write with "
            "--cache DIR, or pass --no-cache to keep no answers (a rerun then sends everything again)."
        ) from None
    return folder
