"""Faults the emulator can play: error statuses, broken or cut streams, error events, slow chunks.

A fault is queued on an :class:`~qwen_omni.emulator.Emulator` with ``inject`` or sent with one request in
the ``X-Emulator-Fault`` header, as ``;``-separated ``key=value`` pairs named like the fields with dashes.

Example:
    >>> Fault.from_header("status=429;retry-after=2")
    Fault(status=429, retry_after=2.0)
    >>> Fault(cut_after=3).to_header()
    'cut-after=3'
    >>> Fault(code="data_inspection_failed").http_status
    400
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, fields

from .wire import code_for_status, status_for_code

#: The request header that carries a fault for that one request.
FAULT_HEADER = "X-Emulator-Fault"


@dataclass(frozen=True, repr=False)
class Fault:
    """One misbehaviour, applied to one chat request.

    Attributes:
        status: answer with this HTTP error status (and the documented body) instead of streaming.
        retry_after: seconds to put in a ``Retry-After`` header of that error answer.
        code: the error code of the error answer or error event (e.g. ``"insufficient_quota"``,
            ``"data_inspection_failed"``, ``"Arrearage"``). A code alone, without ``status`` and without
            ``error_event_after``, answers with that code's usual status.
        message: the error message, instead of the documented one.
        cut_after: after this many chunks, abort the connection without ending the chunked body.
        end_early_after: after this many chunks, end the body cleanly, with no finish reason and no ``[DONE]``.
        error_event_after: after this many chunks, send an error object as an event of the 200 stream, then end.
        first_chunk_delay: seconds to wait before the first chunk.
        chunk_delay: seconds to wait between chunks.

    Example:
        >>> Fault(status=503).http_status, Fault(error_event_after=2).http_status
        (503, None)
    """

    status: int | None = None
    retry_after: float | None = None
    code: str | None = None
    message: str | None = None
    cut_after: int | None = None
    error_event_after: int | None = None
    first_chunk_delay: float = 0.0
    chunk_delay: float = 0.0
    end_early_after: int | None = None

    def __post_init__(self) -> None:
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError(f"Fault status must be an HTTP error status (400 to 599); got {self.status}.")
        for name in ("cut_after", "end_early_after", "error_event_after"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"Fault {name} must be 0 or more chunks; got {value}.")
        for name in ("retry_after", "first_chunk_delay", "chunk_delay"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"Fault {name} must be 0 or more seconds; got {value}.")
        stream_faults = [
            n for n in ("cut_after", "end_early_after", "error_event_after") if getattr(self, n) is not None
        ]
        if len(stream_faults) > 1:
            raise ValueError(f"A fault can end the stream in one way only; got {', '.join(stream_faults)}.")

    @property
    def http_status(self) -> int | None:
        """The error status this fault answers with, or None when the request is streamed."""
        if self.status is not None:
            return self.status
        if self.code is not None and self.error_event_after is None:
            return status_for_code(self.code)
        return None

    @property
    def http_code(self) -> str | None:
        """The error code of the error answer, or None when the request is streamed."""
        status = self.http_status
        if status is None:
            return None
        return self.code if self.code is not None else code_for_status(status)

    def __repr__(self) -> str:
        shown = [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if getattr(self, f.name) != f.default]
        return f"Fault({', '.join(shown)})"

    def to_header(self) -> str:
        """This fault as an ``X-Emulator-Fault`` header value."""
        return ";".join(
            f"{f.name.replace('_', '-')}={_format(getattr(self, f.name))}"
            for f in fields(self)
            if getattr(self, f.name) != f.default
        )

    @classmethod
    def from_header(cls, value: str) -> Fault:
        """Parse an ``X-Emulator-Fault`` header value; raises ValueError on an unknown key or a bad number."""
        known = {f.name for f in fields(cls)}
        raw: dict[str, str] = {}
        for item in value.split(";"):
            if not item.strip():
                continue
            key, sep, text = item.partition("=")
            name = key.strip().lower().replace("-", "_")
            if not sep:
                raise ValueError(f"{FAULT_HEADER}: expected key=value, got {item.strip()!r}.")
            if name not in known:
                names = ", ".join(f.name.replace("_", "-") for f in fields(cls))
                raise ValueError(f"{FAULT_HEADER}: unknown key {key.strip()!r}; known keys: {names}.")
            raw[name] = text.strip()
        return cls(
            status=_int(raw, "status"),
            retry_after=_float(raw, "retry_after"),
            code=raw.get("code"),
            message=raw.get("message"),
            cut_after=_int(raw, "cut_after"),
            error_event_after=_int(raw, "error_event_after"),
            first_chunk_delay=_float(raw, "first_chunk_delay") or 0.0,
            chunk_delay=_float(raw, "chunk_delay") or 0.0,
            end_early_after=_int(raw, "end_early_after"),
        )


def _int(raw: dict[str, str], name: str) -> int | None:
    if name not in raw:
        return None
    try:
        return int(raw[name])
    except ValueError:
        raise ValueError(
            f"{FAULT_HEADER}: {name.replace('_', '-')} must be a whole number; got {raw[name]!r}."
        ) from None


def _float(raw: dict[str, str], name: str) -> float | None:
    if name not in raw:
        return None
    try:
        return float(raw[name])
    except ValueError:
        raise ValueError(f"{FAULT_HEADER}: {name.replace('_', '-')} must be a number; got {raw[name]!r}.") from None


def _format(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class FaultQueue:
    """A thread-safe queue of faults, each applied to one chat request."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: deque[Fault | None] = deque()

    def push(self, fault: Fault, times: int = 1, *, after: int = 0) -> None:
        """Queue ``fault`` for ``times`` requests, once ``after`` more requests have passed untouched."""
        if times < 1 or after < 0:
            raise ValueError(f"times must be 1 or more and after 0 or more; got {times}, {after}.")
        with self._lock:
            self._faults.extend([None] * after + [fault] * times)

    def pop(self) -> Fault | None:
        """The next queued fault, or None."""
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def clear(self) -> None:
        """Drop every queued fault."""
        with self._lock:
            self._faults.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._faults)
