"""A fault-injection soak on loopback: 1,000 calls, 100 at a time, random faults (seeded), in four rounds of
``asyncio.run`` on one long-lived client. Every outcome is the whole answer or one of our errors; no partial
answer, no retry after a delta, no call past its bound, no file descriptors left behind."""

from __future__ import annotations

import asyncio
import os
import random
import time

import pytest

from qwen_omni.client import OmniClient, RetryPolicy
from qwen_omni.emulator import Emulator
from qwen_omni.emulator.soak import fault_mix, soak
from qwen_omni.ratelimit import Unlimited

ROUNDS, CALLS, CONCURRENCY = 4, 250, 100
POLICY = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.05, max_retry_after=1.0)


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _settled(ceiling: int) -> int:
    deadline, count = time.monotonic() + 2.0, _fds()
    while count > ceiling and time.monotonic() < deadline:
        time.sleep(0.02)
        count = _fds()
    return count


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="counts file descriptors through /proc")
def test_soak(emu: Emulator) -> None:
    rng = random.Random(20261201)
    # The soak's 429s are random faults, not a quota: a pacing client would rightly hold every call back after
    # the one that asks for 120 s. This soak is of the transport, so its client is not paced.
    client = OmniClient(
        api_key="sk-soak", base_url=emu.base_url, timeout=2.0, retry_policy=POLICY, rate_limiter=Unlimited()
    )
    outcomes: dict[str, int] = {}
    fds: list[int] = []
    requests = 0
    for round_ in range(ROUNDS):
        emu.reset()
        for fault in fault_mix(rng, CALLS * (POLICY.max_retries + 1)):
            emu.inject(fault)
        run = soak(client, calls=CALLS, concurrency=CONCURRENCY, prefix=f"r{round_}")
        report = asyncio.run(asyncio.wait_for(run, 60))
        requests += len(emu.requests)
        assert report.wrong == []
        for name, count in report.outcomes.items():
            outcomes[name] = outcomes.get(name, 0) + count
        fds.append(_settled(fds[0]) if fds else _fds())
    assert sum(outcomes.values()) == ROUNDS * CALLS
    assert requests >= ROUNDS * CALLS
    assert outcomes["ok"] > ROUNDS * CALLS // 2, outcomes
    assert len(outcomes) >= 6, f"the faults reached the caller as several kinds of error: {outcomes}"
    assert fds[-1] <= fds[0], f"file descriptors grew across asyncio.run rounds: {fds}"
