"""The emulator's realtime side, shared between the server thread and the owner: its limits and pace, the faults
queued for the next connections, and the journal of every session (what it received, decoded).

Reached as :attr:`Emulator.realtime <qwen_omni.emulator.Emulator.realtime>`.

Example:
    >>> state = RealtimeState()
    >>> state.configure(max_session_seconds=2.0, max_connections=3)
    >>> state.settings.max_session_seconds, state.settings.max_connections, state.settings.inactivity_seconds
    (2.0, 3, 180.0)
    >>> state.inject(RealtimeFault(drop_after_audio_seconds=1.0))
    >>> state.next_fault()
    RealtimeFault(drop_after_audio_seconds=1.0)
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field, fields, replace
from typing import Any

from qwen_omni.audio import pcm16_duration, pcm16_to_wav
from qwen_omni.realtime.failures import CONNECTION_CAP
from qwen_omni.realtime.models import INPUT_SAMPLE_RATE, MAX_SESSION_SECONDS

__all__ = ["RealtimeFault", "RealtimeRecord", "RealtimeSettings", "RealtimeState"]


@dataclass(frozen=True)
class RealtimeSettings:
    """How the emulator's realtime endpoint behaves.

    Attributes:
        max_session_seconds: a session is closed this long after it opened (documented: 120 minutes).
        inactivity_seconds: a session that generates no response for this long is closed, with the documented
            message (observed: 180 s).
        max_connections: concurrent realtime connections (documented: 100 per account); one more gets the error
            frame "connections too much max_connections 100" after connecting.
        output_realtime_factor: the pace of spoken answers: 1 sends 100 ms of audio every 100 ms (as a voice would),
            2 twice as fast, None as fast as possible.
        text_items: accept user text messages (``conversation.item.create`` with ``input_text``); False refuses them
            as the 2026 client-events page says ("only function_call_output items are supported").
    """

    max_session_seconds: float = float(MAX_SESSION_SECONDS)
    inactivity_seconds: float = 180.0
    max_connections: int = CONNECTION_CAP
    output_realtime_factor: float | None = None
    text_items: bool = True


@dataclass(frozen=True, repr=False)
class RealtimeFault:
    """One misbehaviour, applied to one realtime connection.

    Attributes:
        reject_status: refuse the WebSocket upgrade with this HTTP status (and DashScope's error body).
        drop_after_events: after sending this many events, drop the TCP connection (no close frame: code 1006).
        drop_after_audio_seconds: drop the connection once this much input audio arrived.
        drop_after_responses: drop the connection right after this many ``response.done`` events.
        event_delay: seconds to wait before each event sent (a slow server).
        first_event_delay: seconds to wait before ``session.created`` (a slow handshake).
        inactivity_after: seconds after which the session is closed with the inactivity message, whatever happens.
        error_after_connect: an error message sent as a frame right after ``session.created``, then the close
            (e.g. ``"COMMON_ERROR: Connect call failed 127.0.0.1:8090"``).
    """

    reject_status: int | None = None
    drop_after_events: int | None = None
    drop_after_audio_seconds: float | None = None
    drop_after_responses: int | None = None
    event_delay: float = 0.0
    first_event_delay: float = 0.0
    inactivity_after: float | None = None
    error_after_connect: str | None = None

    def __repr__(self) -> str:
        shown = [f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if getattr(self, f.name) != f.default]
        return f"RealtimeFault({', '.join(shown)})"


@dataclass
class RealtimeRecord:
    """One realtime connection as the emulator saw it.

    Attributes:
        model: the ``model`` query parameter.
        session_id: the ``sess_`` id it got.
        headers: the handshake's headers, without ``authorization``.
        events: the type of every client event, in order.
        event_ids: the ``event_id`` of every client event that had one.
        input_pcm: every input audio byte appended (PCM16 mono 16 kHz as the API takes it).
        images: the decoded bytes of each image appended.
        texts: the text of each user text item.
        tool_outputs: (call_id, output) of each ``function_call_output`` item.
        session_updates: the ``session`` object of each ``session.update``.
        responses: (response id, status) of each response, once done.
        close_reason: why the connection ended (``client``, ``dropped``, ``inactivity``, ``max_duration``,
            ``connections``, ``error``), once it did.
    """

    model: str
    session_id: str
    headers: dict[str, str]
    opened_at: float = field(default_factory=time.monotonic)
    events: list[str] = field(default_factory=list)
    event_ids: list[str] = field(default_factory=list)
    input_pcm: bytearray = field(default_factory=bytearray, repr=False)
    images: list[bytes] = field(default_factory=list, repr=False)
    texts: list[str] = field(default_factory=list)
    tool_outputs: list[tuple[str, str]] = field(default_factory=list)
    session_updates: list[dict[str, Any]] = field(default_factory=list, repr=False)
    responses: list[tuple[str, str]] = field(default_factory=list)
    close_reason: str | None = None
    closed_at: float | None = None
    ended: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def input_seconds(self) -> float:
        """Seconds of input audio received."""
        return pcm16_duration(len(self.input_pcm), sample_rate=INPUT_SAMPLE_RATE)

    def input_wav(self) -> bytes:
        """The input audio as a 16 kHz mono WAV file (to decode with PyAV in a test)."""
        return pcm16_to_wav(bytes(self.input_pcm), sample_rate=INPUT_SAMPLE_RATE)

    def wait_closed(self, timeout: float) -> bool:
        """Wait until the connection ended; False if it had not within ``timeout`` seconds."""
        return self.ended.wait(timeout)


class RealtimeState:
    """Settings, queued faults, live connections and the journal, safe to use from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self.settings = RealtimeSettings()
        self._faults: deque[RealtimeFault] = deque()
        self._records: list[RealtimeRecord] = []
        self.open_connections = 0

    def configure(self, **changes: Any) -> None:
        """Change settings (the fields of :class:`RealtimeSettings`) for the connections opened from now on."""
        with self._lock:
            self.settings = replace(self.settings, **changes)

    def inject(self, fault: RealtimeFault, times: int = 1) -> None:
        """Apply ``fault`` to each of the next ``times`` connections."""
        with self._lock:
            self._faults.extend([fault] * times)

    def next_fault(self) -> RealtimeFault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def open(self, record: RealtimeRecord) -> bool:
        """Count a new connection; False when it is one over ``max_connections`` (it is recorded either way)."""
        with self._changed:
            self._records.append(record)
            self._changed.notify_all()
            if self.open_connections >= self.settings.max_connections:
                return False
            self.open_connections += 1
            return True

    def close(self, record: RealtimeRecord, reason: str, *, counted: bool) -> None:
        with self._changed:
            if counted:
                self.open_connections -= 1
            if record.close_reason is None:
                record.close_reason = reason
            record.closed_at = time.monotonic()
            record.ended.set()
            self._changed.notify_all()

    @property
    def sessions(self) -> list[RealtimeRecord]:
        """Every realtime connection so far, in order of arrival (a copy of the list)."""
        with self._lock:
            return list(self._records)

    def wait_for_sessions(self, count: int, timeout: float) -> list[RealtimeRecord]:
        """The sessions once there are at least ``count``; raises TimeoutError after ``timeout`` seconds."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._records) >= count, timeout):
                raise TimeoutError(f"Fewer than {count} realtime sessions within {timeout} s.")
            return list(self._records)

    def reset(self) -> None:
        """Forget the journal and the queued faults, and restore the default settings."""
        with self._lock:
            self._records.clear()
            self._faults.clear()
            self.settings = RealtimeSettings()
