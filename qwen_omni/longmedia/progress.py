"""Progress bars for long work (tqdm, on stderr), off unless asked for.

Example:
    >>> bar = progress_bar(False, total=3, desc="meeting.mp3")
    >>> bar.update(1); bar.close()
"""

from __future__ import annotations

import sys
from typing import Any, Protocol

__all__ = ["ProgressBar", "progress_bar"]


class ProgressBar(Protocol):
    """What the pipeline does with a bar: count segments done, note what happened, close it."""

    def update(self, n: float | None = 1) -> bool | None: ...

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None: ...

    def close(self) -> None: ...


class _Silent:
    def update(self, n: float | None = 1) -> bool | None:
        return None

    def set_postfix_str(self, s: str = "", refresh: bool = True) -> None:
        return None

    def close(self) -> None:
        return None


def progress_bar(enabled: bool | dict[str, Any], *, total: int, desc: str) -> ProgressBar:
    """A tqdm bar of ``total`` segments on stderr, or a silent stand-in; a dict gives tqdm's own options."""
    if not enabled:
        return _Silent()
    from tqdm.auto import tqdm

    options: dict[str, Any] = {"total": total, "desc": desc, "unit": "segment", "file": sys.stderr, "leave": True}
    if isinstance(enabled, dict):
        options.update(enabled)
    bar: ProgressBar = tqdm(**options)
    return bar
