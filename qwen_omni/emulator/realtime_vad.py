"""The emulator's server VAD: speech is loudness, measured on the PCM it received, in 20 ms windows.

A window is speech when its RMS (full scale 1.0) is above ``0.01 * 10 ** threshold`` (``threshold`` in [-1, 1] as
the API takes it: 0.5 gives about -30 dBFS; lower hears softer sounds). Speech starts with two speech windows in a
row; it stops after ``silence_duration_ms`` without one (the documented default: 800 ms). Times are milliseconds of
the connection's input audio, as ``audio_start_ms`` / ``audio_end_ms`` report them.

Example:
    >>> import numpy as np
    >>> vad = EnergyVAD(threshold=0.5, silence_duration_ms=200)
    >>> tone = (0.3 * 32767 * np.sin(np.arange(8000) / 5)).astype("<i2").tobytes()  # 0.5 s
    >>> [(e.kind, e.ms) for e in vad.feed(b"\\x00\\x00" * 1600 + tone + b"\\x00\\x00" * 8000)]
    [('started', 100), ('stopped', 600)]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

from qwen_omni.realtime.models import INPUT_SAMPLE_RATE

__all__ = ["EnergyVAD", "VadEvent"]

WINDOW_MS = 20
_WINDOW_BYTES = INPUT_SAMPLE_RATE * WINDOW_MS // 1000 * 2
_START_WINDOWS = 2


@dataclass(frozen=True)
class VadEvent:
    """Speech ``started`` or ``stopped`` at ``ms`` of the input audio."""

    kind: Literal["started", "stopped"]
    ms: int


class EnergyVAD:
    """Finds where speech starts and stops in a stream of PCM16 mono 16 kHz."""

    def __init__(self, *, threshold: float = 0.5, silence_duration_ms: int = 800) -> None:
        self.level = 0.01 * 10**threshold
        self.silence_windows = max(1, silence_duration_ms // WINDOW_MS)
        self._carry = b""
        self._window = 0
        self.speaking = False
        self._loud_run = 0
        self._quiet_run = 0
        self._last_loud = 0

    def feed(self, pcm: bytes) -> list[VadEvent]:
        """The starts and stops found in ``pcm`` (joined to what came before)."""
        data = self._carry + pcm
        whole = len(data) - len(data) % _WINDOW_BYTES
        self._carry = data[whole:]
        if not whole:
            return []
        samples = np.frombuffer(data[:whole], dtype="<i2").astype(np.float32) / 32768.0
        rms = np.sqrt(np.mean(samples.reshape(-1, _WINDOW_BYTES // 2) ** 2, axis=1))
        events: list[VadEvent] = []
        for loud in rms > self.level:
            at = self._window * WINDOW_MS
            self._window += 1
            if loud:
                self._loud_run += 1
                self._quiet_run = 0
                self._last_loud = at + WINDOW_MS
                if not self.speaking and self._loud_run >= _START_WINDOWS:
                    self.speaking = True
                    events.append(VadEvent("started", at - (_START_WINDOWS - 1) * WINDOW_MS))
            else:
                self._loud_run = 0
                self._quiet_run += 1
                if self.speaking and self._quiet_run >= self.silence_windows:
                    self.speaking = False
                    events.append(VadEvent("stopped", self._last_loud))
        return events

    @property
    def position_ms(self) -> int:
        """Milliseconds of audio measured so far."""
        return self._window * WINDOW_MS
