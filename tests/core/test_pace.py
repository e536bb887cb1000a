"""The adaptive pace on its own clock: where it starts, how fast it may ramp (the emulator's burst guard allows
twice the previous period), a single halving per burst of 429s, a slow climb back, and cooling down when idle."""

from __future__ import annotations

import itertools

import pytest

from qwen_omni.emulator.limits import BURST_GROWTH
from qwen_omni.pace import OPEN_BURST, OPEN_START, RAMP_GROWTH, START_FRACTION, Pace


def _answer_steadily(pace: Pace, start: float, seconds: float) -> float:
    """Answer every request the pace lets through from ``start`` for ``seconds``; the time reached."""
    now = start
    while now < start + seconds:
        now += pace.interval(now)
        pace.answered(now=now)
    return now


def test_a_known_ceiling_starts_at_a_quarter_and_is_never_passed() -> None:
    pace = Pace(ceiling=1.0, period=10.0, now=0.0)
    assert pace.rate == START_FRACTION and pace.burst == 1
    _answer_steadily(pace, 0.0, 600.0)
    assert pace.rate == 1.0


def test_the_ramp_grows_less_per_period_than_the_burst_guard_allows() -> None:
    assert RAMP_GROWTH < BURST_GROWTH
    pace = Pace(ceiling=1.0, period=10.0, now=0.0)
    counts, now = [], 0.0
    for _ in range(6):
        period_start, sent = now, 0
        while now < period_start + 10.0:
            now += pace.interval(now)
            pace.answered(now=now)
            sent += 1
        counts.append(sent)
    assert all(later <= BURST_GROWTH * max(earlier, 1) for earlier, later in itertools.pairwise(counts))
    assert counts[0] <= 5, "the first period stays under the guard's floor (half the quota's share)"


def test_without_a_ceiling_it_starts_at_two_a_second_with_a_burst_of_two() -> None:
    pace = Pace(ceiling=None, period=1.0, now=0.0)
    assert (pace.rate, pace.burst) == (OPEN_START, OPEN_BURST) == (2.0, 2)
    _answer_steadily(pace, 0.0, 5.0)
    assert pace.rate > 20, "a quota nobody stated: it doubles every second while the server answers"


def test_429s_of_one_burst_halve_the_rate_once() -> None:
    pace = Pace(ceiling=None, period=1.0, now=0.0)
    _answer_steadily(pace, 0.0, 3.0)
    before = pace.rate
    assert pace.limited(now=3.0, hold=1.0)
    assert not pace.limited(now=3.2, hold=1.0), "a request sent before the first 429 was answered"
    assert pace.rate == pytest.approx(before / 2) and pace.decreases == 1 and pace.burst == 1
    assert pace.limited(now=4.5, hold=1.0) and pace.rate == pytest.approx(before / 4)


def test_after_a_429_it_climbs_back_slowly() -> None:
    pace = Pace(ceiling=None, period=1.0, now=0.0)
    _answer_steadily(pace, 0.0, 3.0)
    pace.limited(now=3.0, hold=0.0)
    fallen = pace.rate
    _answer_steadily(pace, 3.0, 4.0)
    assert fallen * 1.5 < pace.rate <= fallen * 2.05, "additive: a quarter of the rate it fell to per period"


def test_an_idle_pace_cools_down_to_where_it_started() -> None:
    pace = Pace(ceiling=1.0, period=10.0, now=0.0)
    _answer_steadily(pace, 0.0, 300.0)
    assert pace.rate == 1.0
    pace.interval(1_000.0)
    assert pace.rate == START_FRACTION, "after a long quiet spell it ramps up again"


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="positive"):
        Pace(ceiling=0.0, period=1.0, now=0.0)
    with pytest.raises(ValueError, match="positive"):
        Pace(ceiling=None, period=0.0, now=0.0)


def test_the_pace_passes_the_emulators_burst_guard_from_cold() -> None:
    from qwen_omni.emulator.limits import RateGate, RateLimits

    gate = RateGate(RateLimits(rpm=60, window=60.0, burst_guard=True))
    pace = Pace(ceiling=60 / 63, period=10.0, now=0.0)  # RateLimiter(rpm=60): the window plus 5 % slack
    now, refused = 0.0, 0
    while now < 180.0:
        refused += gate.admit(now) is not None
        pace.answered(now=now)
        now += pace.interval(now)
    assert refused == 0
