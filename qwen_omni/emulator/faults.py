"""Faults the emulator can play: error statuses (JSON or HTML, with any ``Retry-After``), a reset before the
headers, cut or unfinished streams, error events, malformed lines, no ``[DONE]`` or no finish reason, a slow
first byte, slow chunks, a trickle of one byte at a time, and a 401 that echoes the ``Authorization`` header.

A fault is queued on an :class:`~qwen_omni.emulator.Emulator` with ``inject`` or sent with one request in
the ``X-Emulator-Fault`` header, as ``;``-separated ``key=value`` pairs named like the fields with dashes
(flags take ``1``/``0``, ``true``/``false``). Faults are for loopback testing only.

Example:
    >>> Fault.from_header("status=429;retry-after=2")
    Fault(status=429, retry_after=2.0)
    >>> Fault(cut_after=3).to_header()
    'cut-after=3'
    >>> Fault(code="data_inspection_failed").http_status
    400
    >>> Fault.from_header("status=503;html=1;retry-after-header=soon")
    Fault(status=503, retry_after_header='soon', html=True)
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, fields
from typing import Literal

from .wire import code_for_status, status_for_code

#: The request header that carries a fault for that one request.
FAULT_HEADER = "X-Emulator-Fault"

MalformedKind = Literal["json", "html"]
_MALFORMED_KINDS: tuple[MalformedKind, ...] = ("json", "html")
_TRUE, _FALSE = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off"})


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
        first_chunk_delay: seconds to wait before the first chunk (the headers go out at once).
        chunk_delay: seconds to wait between chunks.
        retry_after_header: the ``Retry-After`` header of the error answer as a raw value, e.g. ``"soon"`` or
            an HTTP date (instead of ``retry_after`` seconds).
        retry_after_ms: milliseconds to put in a ``retry-after-ms`` header of the error answer.
        html: answer with an HTML page, as a gateway or captive portal does: with ``status``, an HTML error page;
            without, a 200 HTML page instead of the event stream.
        reset: reset the connection (TCP RST) before sending any response header.
        header_delay: seconds to wait before the response headers (a slow first byte).
        byte_delay: send the stream one byte at a time, this many seconds apart (a trickling server).
        malformed_after: after this many chunks, send a ``data:`` line that is not JSON (``malformed`` says
            what), then go on with the stream.
        malformed: ``"json"`` (a cut JSON object) or ``"html"`` (an HTML line, as a proxy may inject).
        no_done: end the body cleanly after the last chunk, without ``data: [DONE]``.
        no_finish: send no finish reason (the usage chunk and ``[DONE]`` still come).
        echo_authorization: answer 401 with the request's ``Authorization`` header in the error message and
            the body, as a careless server or proxy may (for testing that clients scrub their key).

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
    retry_after_header: str | None = None
    retry_after_ms: float | None = None
    html: bool = False
    reset: bool = False
    header_delay: float = 0.0
    byte_delay: float = 0.0
    malformed_after: int | None = None
    malformed: MalformedKind = "json"
    no_done: bool = False
    no_finish: bool = False
    echo_authorization: bool = False

    def __post_init__(self) -> None:
        if self.status is not None and not 400 <= self.status <= 599:
            raise ValueError(f"Fault status must be an HTTP error status (400 to 599); got {self.status}.")
        for name in ("cut_after", "end_early_after", "error_event_after", "malformed_after"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"Fault {name} must be 0 or more chunks; got {value}.")
        for name in ("retry_after", "retry_after_ms", "first_chunk_delay", "chunk_delay", "header_delay", "byte_delay"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"Fault {name} must be 0 or more seconds; got {value}.")
        stream_faults = [
            n for n in ("cut_after", "end_early_after", "error_event_after") if getattr(self, n) is not None
        ]
        if len(stream_faults) > 1:
            raise ValueError(f"A fault can end the stream in one way only; got {', '.join(stream_faults)}.")
        if self.malformed not in _MALFORMED_KINDS:
            raise ValueError(f"Fault malformed must be 'json' or 'html'; got {self.malformed!r}.")
        if self.retry_after is not None and self.retry_after_header is not None:
            raise ValueError("Give retry_after (seconds) or retry_after_header (a raw value), not both.")
        if self.retry_after_header is not None and not _is_header_value(self.retry_after_header):
            raise ValueError(f"Fault retry_after_header must be printable ASCII; got {self.retry_after_header!r}.")
        if self.echo_authorization and self.status not in (None, 401):
            raise ValueError(f"An echo_authorization fault answers 401; got status={self.status}.")

    @property
    def http_status(self) -> int | None:
        """The error status this fault answers with, or None when the request is streamed."""
        if self.status is not None:
            return self.status
        if self.echo_authorization:
            return 401
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

    @property
    def retry_headers(self) -> dict[str, str]:
        """The ``Retry-After`` and ``retry-after-ms`` headers of the error answer."""
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            headers["retry-after"] = _format(self.retry_after)
        if self.retry_after_header is not None:
            headers["retry-after"] = self.retry_after_header
        if self.retry_after_ms is not None:
            headers["retry-after-ms"] = _format(self.retry_after_ms)
        return headers

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
        malformed = raw.get("malformed", "json")
        if malformed not in _MALFORMED_KINDS:
            raise ValueError(f"{FAULT_HEADER}: malformed must be 'json' or 'html'; got {malformed!r}.")
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
            retry_after_header=raw.get("retry_after_header"),
            retry_after_ms=_float(raw, "retry_after_ms"),
            html=_bool(raw, "html"),
            reset=_bool(raw, "reset"),
            header_delay=_float(raw, "header_delay") or 0.0,
            byte_delay=_float(raw, "byte_delay") or 0.0,
            malformed_after=_int(raw, "malformed_after"),
            malformed=malformed,
            no_done=_bool(raw, "no_done"),
            no_finish=_bool(raw, "no_finish"),
            echo_authorization=_bool(raw, "echo_authorization"),
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


def _bool(raw: dict[str, str], name: str) -> bool:
    value = raw.get(name, "0").lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{FAULT_HEADER}: {name.replace('_', '-')} must be 1 or 0 (true or false); got {raw[name]!r}.")


def _format(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _is_header_value(text: str) -> bool:
    return all(" " <= ch <= "~" for ch in text) and ";" not in text


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


__all__ = [
    "FAULT_HEADER",
    "Fault",
    "FaultQueue",
]
