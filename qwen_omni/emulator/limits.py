"""The emulator's rate limits: DashScope's three 429s, each behind its own option.

The reference's rate-limit page: limits hold per minute and, at about RPM/60, per second too; three 429s are
worded differently and need different answers. The emulator plays them like this (its own model where the
reference gives no numbers):

- **Requests rate limit** (``limit_requests``, "Requests rate limit exceeded..."): more than ``rpm`` requests
  admitted in the last ``window`` seconds, or (``per_second``, on by default) more than ``ceil(rpm / 60)`` in
  the last ``window / 60`` seconds. ``Retry-After`` (whole seconds) and ``retry-after-ms`` say when there is room.
- **Burst guard** (``limit_burst_rate``, "Request rate increased too quickly..."; ``burst_guard``, off by
  default): the requests admitted in the last ``window / 6`` seconds may be at most twice those of the
  ``window / 6`` seconds before plus one, or half the quota's share of such a period (a floor that lets a
  client start), whichever is more; so a client must ramp up, even under the limit.
- **Allocated quota** (``insufficient_quota``, "Allocated quota exceeded..."; ``quota``, off by default): after
  ``quota`` requests admitted in all, every request is refused, with no ``Retry-After``: waiting does not help.

Only admitted requests count. A limit set anew forgets the requests admitted before.

Example:
    >>> gate = RateGate(RateLimits(rpm=60, window=60.0))
    >>> gate.admit(0.0) is None, gate.admit(0.5).code  # the second within one second: over RPM/60
    (True, 'limit_requests')
    >>> gate.admit(1.0) is None
    True
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass

__all__ = [
    "BURST_CODE",
    "BURST_GROWTH",
    "BURST_MESSAGE",
    "QUOTA_CODE",
    "QUOTA_MESSAGE",
    "REQUESTS_CODE",
    "REQUESTS_MESSAGE",
    "RateGate",
    "RateLimits",
    "Verdict",
]

REQUESTS_CODE = "limit_requests"
REQUESTS_MESSAGE = "Requests rate limit exceeded, please try again later."
BURST_CODE = "limit_burst_rate"
BURST_MESSAGE = (
    "Request rate increased too quickly. To ensure system stability, please adjust your client logic to scale "
    "requests more smoothly over time."
)
QUOTA_CODE = "insufficient_quota"
QUOTA_MESSAGE = "Allocated quota exceeded, please increase your quota limit."
#: The burst guard admits at most this many times the requests of the period before.
BURST_GROWTH = 2.0
#: The burst guard's period, as a fraction of the window.
BURST_PERIOD = 1 / 6


@dataclass(frozen=True)
class RateLimits:
    """What the emulator enforces (see the module docstring); the default enforces nothing."""

    rpm: int | None = None
    window: float = 60.0
    per_second: bool = True
    burst_guard: bool = False
    quota: int | None = None

    def __post_init__(self) -> None:
        if (self.rpm is not None and self.rpm < 1) or self.window <= 0:
            raise ValueError(f"rpm must be 1 or more and the window positive; got {self.rpm}, {self.window}.")
        if self.burst_guard and self.rpm is None:
            raise ValueError("The burst guard needs rpm: its floor is a share of the quota.")
        if self.quota is not None and self.quota < 0:
            raise ValueError(f"quota must be 0 or more requests; got {self.quota}.")


@dataclass(frozen=True)
class Verdict:
    """A refusal: DashScope's code and message, and the seconds until there is room (None: waiting won't help)."""

    code: str
    message: str
    retry_after: float | None


class RateGate:
    """Admits or refuses each arriving request under :class:`RateLimits`; thread-safe."""

    def __init__(self, limits: RateLimits | None = None) -> None:
        self._lock = threading.Lock()
        self._times: deque[float] = deque()
        self._admitted = 0
        self.limits = limits or RateLimits()

    def set(self, limits: RateLimits) -> None:
        """Enforce ``limits`` from now on, forgetting the requests admitted so far."""
        with self._lock:
            self.limits = limits
            self._times.clear()
            self._admitted = 0

    def admit(self, now: float) -> Verdict | None:
        """None if a request arriving at ``now`` (``time.monotonic()``) is admitted (and counted), else why not."""
        with self._lock:
            limits = self.limits
            if limits.quota is not None and self._admitted >= limits.quota:
                return Verdict(QUOTA_CODE, QUOTA_MESSAGE, None)
            if limits.rpm is not None:
                while self._times and self._times[0] <= now - limits.window:
                    self._times.popleft()
                verdict = self._over_rate(limits, limits.rpm, now) or self._over_burst(limits, limits.rpm, now)
                if verdict is not None:
                    return verdict
                self._times.append(now)
            self._admitted += 1
            return None

    def _within(self, start: float, end: float) -> list[float]:
        return [t for t in self._times if start < t <= end]

    def _over_rate(self, limits: RateLimits, rpm: int, now: float) -> Verdict | None:
        if len(self._times) >= rpm:
            return Verdict(REQUESTS_CODE, REQUESTS_MESSAGE, self._times[-rpm] + limits.window - now)
        if limits.per_second:
            second, per_second = limits.window / 60, math.ceil(rpm / 60)
            recent = self._within(now - second, now)
            if len(recent) >= per_second:
                return Verdict(REQUESTS_CODE, REQUESTS_MESSAGE, recent[-per_second] + second - now)
        return None

    def _over_burst(self, limits: RateLimits, rpm: int, now: float) -> Verdict | None:
        if not limits.burst_guard:
            return None
        period = limits.window * BURST_PERIOD
        current = self._within(now - period, now)
        before = self._within(now - 2 * period, now - period)
        allowed = max(math.ceil(rpm * BURST_PERIOD / 2), math.floor(BURST_GROWTH * len(before)) + 1)
        if len(current) < allowed:
            return None
        return Verdict(BURST_CODE, BURST_MESSAGE, current[0] + period - now)
