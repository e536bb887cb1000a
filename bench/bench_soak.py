"""The fault-injection soak with figures: outcomes by type, retries, latency, file descriptors; the hang-up delay of
a closed stream; how long a trickling server can hold a call.

Runs against the local emulator, served by a separate process (its faults queued and its journal read through
``/_emulator/faults`` and ``/_emulator/requests``), on loopback only. The baseline is the same soak with no
faults, in the same run. Prints figures; asserts nothing (machines are noisy).

    .venv/bin/python bench/bench_soak.py [--calls 1000] [--concurrency 100] [--rounds 4] [--seed 20261201]

Measured:
- soak: ``--calls`` calls in ``--rounds`` rounds of ``asyncio.run`` on one long-lived client, ``--concurrency``
  at a time, random faults (seeded): outcomes by type, HTTP requests and retries, p50/p99 latency against the
  no-fault baseline, wrong outcomes (must be 0), open file descriptors after each round;
- hang-up: from ``close()`` / ``aclose()`` on a stream to the emulator seeing the disconnect (same machine, same
  monotonic clock);
- deadline: a call with ``timeout=1`` against a server trickling one byte every 10 ms, and one whose headers
  never come.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from qwen_omni import Message, OmniClient
from qwen_omni.client import RetryPolicy
from qwen_omni.emulator import FAULT_HEADER, Fault
from qwen_omni.emulator.soak import SoakReport, fault_mix, soak
from qwen_omni.errors import QwenOmniError
from qwen_omni.ratelimit import Unlimited

POLICY = RetryPolicy(max_retries=2, initial_delay=0.01, max_delay=0.05, max_retry_after=1.0)
HELLO = [Message("user", "Hello there, my friend: how are you today?")]


@contextmanager
def emulator_process() -> Iterator[str]:
    """Serve the emulator from another process; yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "qwen_omni.emulator", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class Control:
    """The emulator's control routes."""

    def __init__(self, base_url: str) -> None:
        self.http = httpx.Client(base_url=base_url.split("/compatible-mode")[0], timeout=30)

    def reset(self) -> None:
        self.http.post("/_emulator/reset").raise_for_status()

    def queue(self, faults: list[Fault]) -> None:
        self.http.post("/_emulator/faults", json={"faults": [f.to_header() for f in faults]}).raise_for_status()

    def requests(self) -> list[dict[str, Any]]:
        return list(self.http.get("/_emulator/requests").json()["requests"])


def fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def run_soak(
    client: OmniClient, control: Control, args: argparse.Namespace, faulty: bool
) -> tuple[SoakReport, int, list[int]]:
    rng = random.Random(args.seed)
    total = SoakReport()
    requests = 0
    per_round = args.calls // args.rounds
    fd_counts = []
    for round_ in range(args.rounds):
        control.reset()
        control.queue(fault_mix(rng, per_round * 3) if faulty else [Fault()] * (per_round * 3))
        report = asyncio.run(soak(client, calls=per_round, concurrency=args.concurrency, prefix=f"r{round_}"))
        requests += len(control.requests())
        total.outcomes.update(report.outcomes)
        total.seconds += report.seconds
        total.wrong += report.wrong
        total.wall += report.wall
        time.sleep(0.2)  # let the server close its side of what the client hung up
        fd_counts.append(fds())
    return total, requests, fd_counts


def hang_up_delays(client: OmniClient, control: Control, n: int) -> tuple[list[float], list[float]]:
    slow = {FAULT_HEADER: Fault(chunk_delay=0.2).to_header()}

    def seen(closed_at: float) -> float:
        for _ in range(100):
            delivery = control.requests()[-1]["delivery"]
            if delivery and delivery["disconnected_at"] is not None:
                return float(delivery["disconnected_at"]) - closed_at
            time.sleep(0.01)
        return float("nan")

    sync = []
    for _ in range(n):
        control.reset()
        stream = client.stream(HELLO, extra_headers=slow)
        next(stream)
        closed_at = time.monotonic()
        stream.close()
        sync.append(seen(closed_at))

    async def one() -> float:
        stream = client.astream(HELLO, extra_headers=slow)
        await stream.__anext__()
        closed_at = time.monotonic()
        await stream.aclose()
        return closed_at

    asynchronous = []
    for _ in range(n):
        control.reset()
        asynchronous.append(seen(asyncio.run(one())))
    return sync, asynchronous


def deadline_bounds(base_url: str) -> list[tuple[str, str, float]]:
    client = OmniClient(api_key="bench", base_url=base_url, timeout=1.0, retry_policy=POLICY, rate_limiter=Unlimited())
    rows = []
    faults = [("trickle 1 byte / 10 ms", Fault(byte_delay=0.01)), ("headers never come", Fault(header_delay=60))]
    for name, fault in faults:
        headers = {FAULT_HEADER: fault.to_header()}
        for mode in ("sync", "async"):
            start = time.monotonic()
            try:
                if mode == "sync":
                    client.complete(HELLO, extra_headers=headers)
                else:
                    asyncio.run(client.acomplete(HELLO, extra_headers=headers))
                outcome = "answered?!"
            except QwenOmniError as error:
                outcome = type(error).__name__
            rows.append((f"{name}, {mode}", outcome, time.monotonic() - start))
    return rows


def describe(name: str, report: SoakReport, requests: int, calls: int, fd_counts: list[int]) -> None:
    print(f"{name}: {calls} calls, {requests} HTTP requests ({requests - calls} retries), wall {report.wall:.2f} s")
    print(f"  latency p50 {report.percentile(0.5) * 1000:.0f} ms, p99 {report.percentile(0.99) * 1000:.0f} ms")
    outcomes = Counter(report.outcomes)
    print("  outcomes: " + ", ".join(f"{k} {v}" for k, v in outcomes.most_common()))
    print(f"  wrong outcomes: {len(report.wrong)}" + (f" (first: {report.wrong[0]})" if report.wrong else ""))
    print(f"  open file descriptors after each round: {fd_counts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--closes", type=int, default=20, help="streams closed for the hang-up figures")
    args = parser.parse_args()

    import logging

    logging.getLogger("qwen_omni").setLevel(logging.ERROR)  # one warning per retry would drown the figures
    with emulator_process() as base_url:
        control = Control(base_url)
        # the soak's 429s are random faults, not a quota: the transport is measured, unpaced
        client = OmniClient(
            api_key="bench", base_url=base_url, timeout=2.0, retry_policy=POLICY, rate_limiter=Unlimited()
        )
        print(f"soak: {args.calls} calls, {args.rounds} asyncio.run rounds, {args.concurrency} at a time, timeout 2 s")
        print(f"process file descriptors before: {fds()}\n")
        baseline, base_requests, base_fds = run_soak(client, control, args, faulty=False)
        describe("baseline (no faults)", baseline, base_requests, args.calls, base_fds)
        faulted, requests, fault_fds = run_soak(client, control, args, faulty=True)
        describe("random faults", faulted, requests, args.calls, fault_fds)
        ratio = faulted.percentile(0.99) / max(baseline.percentile(0.99), 1e-9)
        print(f"  p99 ratio to baseline: {ratio:.2f}\n")

        sync, asynchronous = hang_up_delays(client, control, args.closes)
        for name, delays in (("close()", sync), ("aclose()", asynchronous)):
            ms = [d * 1000 for d in delays]
            median, worst = statistics.median(ms), max(ms)
            print(f"hang-up after {name}: median {median:.2f} ms, max {worst:.2f} ms ({len(ms)} streams)")
        print()
        for name, outcome, seconds in deadline_bounds(base_url):
            print(f"deadline, {name:32} {outcome:16} after {seconds:.3f} s (timeout=1)")


if __name__ == "__main__":
    main()
