"""The adaptive request rate of one :class:`~qwen_omni.ratelimit.RateLimiter`: a slow start, then AIMD.

DashScope limits requests a minute and, at about RPM/60, every second; and its burst guard refuses a rate that
climbs too fast even under the limit (reference, "Rate limits"). So a client should start below its quota, climb
smoothly, back off at once when the server says so, and climb back slowly. :class:`Pace` is that rule, without
I/O (the limiter spaces requests ``1 / rate`` seconds apart and tells it what the server answered):

- **Start.** With a known ceiling (the quota, in requests a second), at a quarter of it (but at least one request
  a period); with none (the default limiter of a client built without one), at :data:`OPEN_START` requests a
  second, :data:`OPEN_BURST` at once.
- **Slow start.** Each answered request lets the rate grow, by at most :data:`RAMP_GROWTH` times per ``period``
  (a sixth of the quota's window; a second without a quota), up to the ceiling.
- **Decrease.** A 429 (too many requests, or the burst guard) halves the rate, once: the 429s of requests sent
  before it (answered while the limiter pauses) do not halve it again.
- **Additive increase.** After a 429 the rate climbs by :data:`RECOVERY_STEP` of the rate it fell to per period:
  slowly, so that it settles just under what the server allows.
- **Idle.** A period without requests cools the rate down as fast as it ramps up, so that a client resuming after
  a pause does not burst.

Example:
    >>> pace = Pace(ceiling=1.0, period=10.0, now=0.0)
    >>> pace.rate
    0.25
    >>> for second in range(1, 11):
    ...     pace.answered(now=float(second))
    >>> round(pace.rate, 3)  # one period of answers: at most 1.5 times faster
    0.375
    >>> pace.limited(now=10.0, hold=1.0)
    True
    >>> pace.limited(now=10.5, hold=1.0)  # a request sent before the first 429 was answered: no second cut
    False
    >>> round(pace.rate, 4)
    0.1875
"""

from __future__ import annotations

import math
import threading

__all__ = ["OPEN_BURST", "OPEN_PERIOD", "OPEN_START", "RAMP_GROWTH", "RECOVERY_STEP", "START_FRACTION", "Pace"]

#: Where a pace with a known ceiling starts, as a fraction of it.
START_FRACTION = 0.25
#: Requests a second a pace without a ceiling starts at.
OPEN_START = 2.0
#: Requests a pace without a ceiling lets through at once after a quiet spell (with a ceiling: one, RPM/60 a
#: second being a limit too).
OPEN_BURST = 2
#: The period of a pace without a ceiling (a known one uses a sixth of its window).
OPEN_PERIOD = 1.0
#: The most the rate grows in one period of slow start (the emulator's burst guard allows twice).
RAMP_GROWTH = 1.5
#: A pace without a ceiling grows faster while it has never been limited (its quota is unknown).
OPEN_GROWTH = 2.0
#: After a 429, the rate climbs by this fraction of the rate it fell to, per period.
RECOVERY_STEP = 0.1
#: A 429 multiplies the rate by this.
DECREASE = 0.5
#: The rate never falls under one request per this many periods.
FLOOR_PERIODS = 6.0


class Pace:
    """A request rate (requests a second) that ramps up, halves on a 429 and climbs back slowly; thread-safe.

    Args:
        ceiling: the most requests a second ever allowed (the quota's rate), or None when unknown.
        period: seconds over which the rate may grow by :data:`RAMP_GROWTH` (and cools down when idle).
        now: the clock's current reading (``time.monotonic()``), where the pace starts.
    """

    def __init__(self, ceiling: float | None, period: float, *, now: float) -> None:
        if (ceiling is not None and ceiling <= 0) or period <= 0:
            raise ValueError(f"ceiling and period must be positive; got {ceiling}, {period}.")
        self.ceiling = ceiling
        self.period = period
        self._start = min(ceiling, max(ceiling * START_FRACTION, 1.0 / period)) if ceiling is not None else OPEN_START
        self._floor = min(self._start, 1.0 / (FLOOR_PERIODS * period))
        self._rate = self._start
        #: The rate slow start ends at: the ceiling, or (after a 429) the rate it fell to.
        self._threshold = ceiling if ceiling is not None else math.inf
        self._limited = False
        self._grown_at = now
        self._used_at = now
        self._hold_until = -math.inf
        self._lock = threading.Lock()
        #: Requests let through at once after a quiet spell.
        self.burst = 1 if ceiling is not None else OPEN_BURST
        #: How many times a 429 lowered the rate.
        self.decreases = 0

    def __repr__(self) -> str:
        ceiling = "None" if self.ceiling is None else f"{self.ceiling:g}"
        return f"Pace(rate={self.rate:.4g}/s, ceiling={ceiling}, period={self.period:g})"

    @property
    def rate(self) -> float:
        """Requests a second allowed now."""
        with self._lock:
            return self._rate

    def interval(self, now: float) -> float:
        """Seconds between two requests at the current rate (a pace idle for over a period has cooled down)."""
        with self._lock:
            idle = now - self._used_at - self.period
            if idle > 0:
                cooled = self._rate / self._growth() ** (idle / self.period)
                self._rate = min(self._rate, max(cooled, min(self._start, self._threshold)))
            self._used_at = max(self._used_at, now)
            return 1.0 / self._rate

    def _growth(self) -> float:
        return OPEN_GROWTH if self.ceiling is None and not self._limited else RAMP_GROWTH

    def answered(self, *, now: float) -> None:
        """A request was let through by the server: the rate grows (see the module docstring)."""
        with self._lock:
            elapsed = min(max(0.0, now - self._grown_at), self.period)
            self._grown_at = max(self._grown_at, now)
            self._used_at = max(self._used_at, now)
            if self._rate < self._threshold:
                self._rate = min(self._threshold, self._rate * self._growth() ** (elapsed / self.period))
            else:
                self._rate += self._threshold * RECOVERY_STEP * elapsed / self.period
            if self.ceiling is not None:
                self._rate = min(self._rate, self.ceiling)

    def limited(self, *, now: float, hold: float) -> bool:
        """A 429 arrived: halve the rate, unless one did less than ``hold`` seconds ago. True if it was halved."""
        with self._lock:
            if now < self._hold_until:
                return False
            self._hold_until = now + max(hold, 1.0 / self._rate)
            self._rate = max(self._floor, self._rate * DECREASE)
            self._threshold = self._rate
            self._limited = True
            self._grown_at = now
            self.decreases += 1
            return True
