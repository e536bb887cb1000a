"""The adaptive request rate of a :class:`~qwen_omni.ratelimit.RateLimiter`: a slow start, then AIMD.

DashScope limits requests a minute and, at about RPM/60, every second; and its burst guard refuses a rate that
climbs too fast even under the limit (reference, "Rate limits"). So a client should start below its quota, climb
smoothly, back off at once when the server says so, and climb back slowly. :class:`PaceRule` is that rule, as
pure functions of a :class:`PaceState` (so that processes sharing a budget can keep one state in their store,
and all follow one pace); :class:`Pace` holds one state in this process.

- **Start.** With a known ceiling (the quota, in requests a second), at a quarter of it (but at least one request
  a period); with none (the default limiter of a client built without one), at :data:`OPEN_START` requests a
  second, :data:`OPEN_BURST` at once.
- **Slow start.** Each answered request lets the rate grow, by at most :data:`RAMP_GROWTH` times per ``period``
  (a sixth of the quota's window; a second without a quota), up to the ceiling.
- **Decrease.** A 429 (too many requests, or the burst guard) halves the rate and pauses every request for the
  server's wait, once: the 429s of requests sent before it (answered while the pace holds) do not halve it again.
- **Additive increase.** After a 429 the rate climbs by :data:`RECOVERY_STEP` of the rate it fell to per period:
  slowly, so that it settles just under what the server allows.
- **Idle.** A period without requests cools the rate down as fast as it ramps up, so that a client resuming after
  a pause does not burst.

Times are seconds on one clock that everyone sharing a state reads (the limiter uses the wall clock).

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
from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "OPEN_BURST",
    "OPEN_PERIOD",
    "OPEN_START",
    "RAMP_GROWTH",
    "RECOVERY_STEP",
    "START_FRACTION",
    "Pace",
    "PaceRule",
    "PaceState",
]

#: Where a pace with a known ceiling starts, as a fraction of it.
START_FRACTION = 0.25
#: Requests a second a pace without a ceiling starts at.
OPEN_START = 2.0
#: Requests a pace without a ceiling lets through at once after a quiet spell, until a 429 (with a ceiling, or
#: after a 429: one, RPM/60 a second being a limit too).
OPEN_BURST = 2
#: The period of a pace without a ceiling (a known one uses a sixth of its window).
OPEN_PERIOD = 1.0
#: The most the rate grows in one period of slow start (the emulator's burst guard allows twice).
RAMP_GROWTH = 1.5
#: A pace without a ceiling grows faster while it has never been limited (its quota is unknown).
OPEN_GROWTH = 2.0
#: After a 429, the rate climbs by this fraction of the rate it fell to, per period.
RECOVERY_STEP = 0.25
#: The most time one answer counts for growth, in periods (a quiet spell counts for nothing).
GROWTH_SPAN = 3.0
#: A 429 multiplies the rate by this.
DECREASE = 0.5
#: The rate never falls under one request per this many periods.
FLOOR_PERIODS = 6.0


@dataclass(frozen=True)
class PaceState:
    """Where one pace is: its rate, the rate slow start ends at (after a 429: the rate it fell to), whether a
    429 was ever met, when it last grew and was used, until when it ignores further 429s and holds every request
    back, and how many times it was lowered."""

    rate: float
    threshold: float
    limited: bool = False
    grown_at: float = 0.0
    used_at: float = 0.0
    hold_until: float = -math.inf
    paused_until: float = -math.inf
    decreases: int = 0

    def to_json(self) -> dict[str, Any]:
        """As JSON values (infinities as None), for a shared store."""
        return {k: (None if isinstance(v, float) and math.isinf(v) else v) for k, v in vars(self).items()}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PaceState:
        """The state :meth:`to_json` gave."""
        infinite = {"threshold": math.inf, "hold_until": -math.inf, "paused_until": -math.inf}
        values: dict[str, Any] = {k: (infinite[k] if v is None and k in infinite else v) for k, v in data.items()}
        return cls(**values)


@dataclass(frozen=True)
class PaceRule:
    """How a pace moves (see the module docstring): the ceiling (requests a second, None if unknown) and period.

    Example:
        >>> rule = PaceRule(ceiling=None, period=1.0)
        >>> state = rule.initial(now=0.0)
        >>> state.rate, rule.burst(state)
        (2.0, 2)
    """

    ceiling: float | None
    period: float

    def __post_init__(self) -> None:
        if (self.ceiling is not None and self.ceiling <= 0) or self.period <= 0:
            raise ValueError(f"ceiling and period must be positive; got {self.ceiling}, {self.period}.")

    @property
    def start(self) -> float:
        if self.ceiling is None:
            return OPEN_START
        return min(self.ceiling, max(self.ceiling * START_FRACTION, 1.0 / self.period))

    @property
    def floor(self) -> float:
        return min(self.start, 1.0 / (FLOOR_PERIODS * self.period))

    def burst(self, state: PaceState) -> int:
        """Requests let through at once after a quiet spell: :data:`OPEN_BURST` while the quota is unknown and
        no 429 came, else one (RPM/60 a second being a limit too)."""
        return OPEN_BURST if self.ceiling is None and not state.limited else 1

    def initial(self, now: float) -> PaceState:
        """A new pace."""
        threshold = self.ceiling if self.ceiling is not None else math.inf
        return PaceState(rate=self.start, threshold=threshold, grown_at=now, used_at=now)

    def _growth(self, state: PaceState) -> float:
        return OPEN_GROWTH if self.ceiling is None and not state.limited else RAMP_GROWTH

    def interval(self, state: PaceState, now: float) -> tuple[PaceState, float]:
        """Seconds between two requests now (a pace idle for over a period has cooled down first)."""
        rate, grown_at = state.rate, state.grown_at
        idle = now - state.used_at - self.period
        if idle > 0:
            cooled = rate / self._growth(state) ** (idle / self.period)
            rate = min(rate, max(cooled, min(self.start, state.threshold)))
            grown_at = now  # the quiet spell earns no growth
        new = replace(state, rate=rate, grown_at=grown_at, used_at=max(state.used_at, now))
        return new, 1.0 / rate

    def answered(self, state: PaceState, now: float) -> PaceState:
        """A request was let through by the server: the rate grows."""
        elapsed = min(max(0.0, now - state.grown_at), GROWTH_SPAN * self.period)
        rate = state.rate
        if rate < state.threshold:
            rate = min(state.threshold, rate * self._growth(state) ** (elapsed / self.period))
        else:
            rate += state.threshold * RECOVERY_STEP * elapsed / self.period
        if self.ceiling is not None:
            rate = min(rate, self.ceiling)
        return replace(state, rate=rate, grown_at=max(state.grown_at, now), used_at=max(state.used_at, now))

    def limited(self, state: PaceState, now: float, pause: float) -> tuple[PaceState, bool]:
        """A 429 arrived: hold every request back for ``pause`` seconds and halve the rate, unless one did less
        than a pause (or an interval) ago. True if it was halved."""
        paused_until = max(state.paused_until, now + pause)
        if now < state.hold_until:
            return replace(state, paused_until=paused_until), False
        rate = max(self.floor, state.rate * DECREASE)
        new = replace(
            state, rate=rate, threshold=rate, limited=True, grown_at=now, paused_until=paused_until,
            hold_until=now + max(pause, 1.0 / state.rate), decreases=state.decreases + 1,
        )  # fmt: skip
        return new, True


class Pace:
    """One :class:`PaceState` in this process, moved by a :class:`PaceRule`; thread-safe.

    Args:
        ceiling: the most requests a second ever allowed (the quota's rate), or None when unknown.
        period: seconds over which the rate may grow by :data:`RAMP_GROWTH` (and cools down when idle).
        now: the clock's current reading, where the pace starts.
    """

    def __init__(self, ceiling: float | None, period: float, *, now: float) -> None:
        self.rule = PaceRule(ceiling, period)
        self.state = self.rule.initial(now)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        ceiling = "None" if self.rule.ceiling is None else f"{self.rule.ceiling:g}"
        return f"Pace(rate={self.rate:.4g}/s, ceiling={ceiling}, period={self.rule.period:g})"

    @property
    def rate(self) -> float:
        """Requests a second allowed now."""
        return self.state.rate

    @property
    def burst(self) -> int:
        """Requests let through at once after a quiet spell."""
        return self.rule.burst(self.state)

    @property
    def decreases(self) -> int:
        """How many times a 429 lowered the rate."""
        return self.state.decreases

    def interval(self, now: float) -> float:
        """Seconds between two requests now."""
        with self._lock:
            self.state, seconds = self.rule.interval(self.state, now)
            return seconds

    def answered(self, *, now: float) -> None:
        """A request was let through by the server."""
        with self._lock:
            self.state = self.rule.answered(self.state, now)

    def limited(self, *, now: float, hold: float) -> bool:
        """A 429 arrived (see :meth:`PaceRule.limited`)."""
        with self._lock:
            self.state, lowered = self.rule.limited(self.state, now, hold)
            return lowered
