"""The emulator's three 429s, from the reference's rate-limit page: RPM held per minute and per second at about
RPM/60, "Requests rate limit exceeded", "Allocated quota exceeded" (no wait helps) and the burst guard's
"Request rate increased too quickly", which fires under the limit when the rate climbs too fast."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from qwen_omni.emulator import Emulator
from qwen_omni.emulator.limits import RateGate, RateLimits

BODY = {"model": "qwen3-omni-flash", "stream": True, "messages": [{"role": "user", "content": "Hi"}]}

# The reference's wording (Additions 2026-12-07, "Rate limits"): each 429's message starts so.
REQUESTS_WORDING = "Requests rate limit exceeded"
QUOTA_WORDING = "Allocated quota exceeded"
BURST_WORDING = "Request rate increased too quickly"


@pytest.fixture
def http() -> Iterator[tuple[Emulator, httpx.Client]]:
    with (
        Emulator() as emu,
        httpx.Client(base_url=emu.base_url, headers={"Authorization": "Bearer k"}) as client,
    ):
        yield emu, client


def test_the_per_minute_limit_answers_the_documented_429(http: tuple[Emulator, httpx.Client]) -> None:
    emu, client = http
    emu.set_rate_limit(2, window=60.0, per_second=False)
    statuses = [client.post("/chat/completions", json=BODY) for _ in range(3)]
    assert [r.status_code for r in statuses] == [200, 200, 429]
    error = statuses[2].json()["error"]
    assert error["message"].startswith(REQUESTS_WORDING) and error["code"] == "limit_requests"
    assert 50 <= int(statuses[2].headers["retry-after"]) <= 60
    assert 50_000 <= int(statuses[2].headers["retry-after-ms"]) <= 60_000


def test_rpm_holds_per_second_too_at_rpm_over_60(http: tuple[Emulator, httpx.Client]) -> None:
    emu, client = http
    emu.set_rate_limit(120, window=60.0)  # two a second
    statuses = [client.post("/chat/completions", json=BODY).status_code for _ in range(3)]
    assert statuses == [200, 200, 429], "the third within the same second, far under 120 a minute"
    limited = [r for r in emu.requests if r.status == 429]
    assert limited[0].error_message is not None and limited[0].error_message.startswith(REQUESTS_WORDING)


def test_an_exhausted_quota_answers_without_a_wait(http: tuple[Emulator, httpx.Client]) -> None:
    emu, client = http
    emu.set_rate_limit(None, quota=1)
    first, second = (client.post("/chat/completions", json=BODY) for _ in range(2))
    assert first.status_code == 200 and second.status_code == 429
    error = second.json()["error"]
    assert error["message"].startswith(QUOTA_WORDING) and error["code"] == "insufficient_quota"
    assert "retry-after" not in second.headers, "waiting does not help"


def test_the_burst_guard_fires_under_the_limit_when_the_rate_jumps() -> None:
    gate = RateGate(RateLimits(rpm=60, window=60.0, per_second=False, burst_guard=True))
    arrivals = [0.5 * n for n in range(8)]  # two a second from cold: under 60 a minute
    verdicts = [gate.admit(t) for t in arrivals]
    refused = [v for v in verdicts if v is not None]
    assert refused and all(v.code == "limit_burst_rate" and v.message.startswith(BURST_WORDING) for v in refused)
    assert sum(v is None for v in verdicts) == 5, "the floor: half the quota's share of a 10 s period"


def test_the_burst_guard_lets_a_smooth_ramp_through() -> None:
    gate = RateGate(RateLimits(rpm=60, window=60.0, burst_guard=True))
    now, rate, refused = 0.0, 0.25, 0
    while now < 120.0:
        refused += gate.admit(now) is not None
        now += 1.0 / rate
        rate = min(1.0 / 1.05, rate * 1.5 ** ((1.0 / rate) / 10.0))  # at most 1.5 times per 10 s period
    assert refused == 0


def test_the_guard_needs_a_quota_and_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="burst guard needs rpm"):
        RateLimits(burst_guard=True)
    with pytest.raises(ValueError, match="rpm must be 1 or more"):
        RateLimits(rpm=0)


def test_the_command_line_sets_every_limit() -> None:
    from qwen_omni.emulator.__main__ import _parser

    args = _parser().parse_args(["--rpm", "60", "--no-per-second", "--burst-guard", "--quota", "5"])
    assert (args.rpm, args.per_second, args.burst_guard, args.quota) == (60, False, True, 5)
