"""A fault-injection soak: many concurrent calls through :class:`~qwen_omni.OmniClient` against an emulator that
misbehaves at random, each outcome checked.

:func:`fault_mix` draws the faults (seeded); queue them on the emulator (``Emulator.inject``, or
``POST /_emulator/faults`` for one served from another process), then :func:`soak` runs the calls. Every outcome
must be the whole answer (its text checked against what the emulator answers) or one of the package's errors:
never a partial answer passed off as complete, never a retry after a delta reached the caller (the deltas the
caller saw are always a prefix of the answer), never an exception of another type, never a call that outlives
its bound. Loopback only.

Example:
    >>> import asyncio, random
    >>> from qwen_omni import OmniClient
    >>> from qwen_omni.emulator import Emulator
    >>> with Emulator() as emu:
    ...     for fault in fault_mix(random.Random(7), 20):
    ...         emu.inject(fault)
    ...     client = OmniClient(api_key="sk-test", base_url=emu.base_url, timeout=2.0)
    ...     report = asyncio.run(soak(client, calls=10, concurrency=5))
    >>> report.wrong
    []
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field

from qwen_omni.client import OmniClient
from qwen_omni.errors import QwenOmniError
from qwen_omni.request import Message
from qwen_omni.stream import TextDelta

from .answer import plan_answer
from .faults import Fault
from .validate import check_payload

__all__ = ["SOAK_MODEL", "SoakReport", "expected_answer", "fault_mix", "soak"]

SOAK_MODEL = "qwen3.5-omni-flash"


def _weighted(rng: random.Random) -> list[tuple[int, Fault]]:
    """(weight, fault) pairs; the stream positions are drawn anew for each fault."""
    return [
        (40, Fault()),
        (3, Fault(status=429)),
        (3, Fault(status=429, retry_after=0.05)),
        (3, Fault(status=429, retry_after_header="soon")),
        (2, Fault(status=429, retry_after_ms=20)),
        (2, Fault(status=429, retry_after=120)),  # longer than any sane cap: raised with the wait
        (1, Fault(status=429, code="insufficient_quota")),
        (3, Fault(status=500)),
        (3, Fault(status=503)),
        (3, Fault(status=502, html=True)),
        (2, Fault(html=True)),
        (3, Fault(reset=True)),
        (4, Fault(cut_after=rng.randint(0, 5))),
        (3, Fault(error_event_after=rng.randint(1, 4))),
        (2, Fault(error_event_after=rng.randint(1, 4), code="InternalError")),
        (4, Fault(malformed_after=rng.randint(1, 5), malformed=rng.choice(("json", "html")))),
        (3, Fault(no_done=True)),
        (3, Fault(no_finish=True)),
        (3, Fault(end_early_after=rng.randint(1, 5))),
        (3, Fault(header_delay=0.05)),
        (2, Fault(first_chunk_delay=0.05)),
        (1, Fault(header_delay=30.0)),  # a server that never answers: the call's timeout ends it
        (2, Fault(byte_delay=0.0005)),
    ]


def fault_mix(rng: random.Random, count: int) -> list[Fault]:
    """``count`` faults drawn from the soak's mix (about 40 % of them no fault at all)."""
    faults = []
    for _ in range(count):
        pairs = _weighted(rng)
        faults.append(rng.choices([f for _, f in pairs], weights=[w for w, _ in pairs])[0])
    return faults


def expected_answer(prompt: str) -> str:
    """The emulator's answer to a plain text ``prompt`` (its own rule, not a copy of it)."""
    payload = {"model": SOAK_MODEL, "stream": True, "messages": [{"role": "user", "content": prompt}]}
    return plan_answer(check_payload(payload), []).content


@dataclass
class SoakReport:
    """What a soak saw: outcomes by type (``"ok"`` or the error class), latencies, and every wrong outcome."""

    outcomes: Counter[str] = field(default_factory=Counter)
    seconds: list[float] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    wall: float = 0.0

    def percentile(self, q: float) -> float:
        """The ``q``-quantile latency (0 < q < 1), in seconds."""
        if len(self.seconds) < 2:
            return self.seconds[0] if self.seconds else 0.0
        return statistics.quantiles(self.seconds, n=1000, method="inclusive")[round(q * 1000) - 1]


async def _one(client: OmniClient, prompt: str, bound: float, report: SoakReport) -> None:
    expected = expected_answer(prompt)
    seen: list[str] = []
    start = time.monotonic()
    try:
        async with asyncio.timeout(bound), client.astream([Message("user", prompt)], model=SOAK_MODEL) as stream:
            async for delta in stream:
                if isinstance(delta, TextDelta):
                    seen.append(delta.text)
                    if not expected.startswith("".join(seen)):
                        report.wrong.append(f"{prompt}: the deltas repeat or stray from the answer: {''.join(seen)!r}")
            result = stream.result
    except QwenOmniError as error:
        report.outcomes[type(error).__name__] += 1
    except TimeoutError:
        report.wrong.append(f"{prompt}: still running after {bound} s")
    except Exception as error:
        report.wrong.append(f"{prompt}: {type(error).__name__} is not one of ours: {error}")
    else:
        report.outcomes["ok"] += 1
        if result.text != expected or result.finish_reason != "stop" or "".join(seen) != expected:
            report.wrong.append(f"{prompt}: a partial or wrong answer passed as whole: {result.text!r}")
    report.seconds.append(time.monotonic() - start)


async def soak(client: OmniClient, *, calls: int, concurrency: int, prefix: str = "soak") -> SoakReport:
    """Run ``calls`` calls, ``concurrency`` at a time, each bounded by three times the client's timeout."""
    bound = 3 * (client.timeout or 60.0)
    report = SoakReport()
    gate = asyncio.Semaphore(concurrency)

    async def gated(index: int) -> None:
        async with gate:
            await _one(client, f"{prefix} call {index}", bound, report)

    start = time.monotonic()
    await asyncio.gather(*(gated(i) for i in range(calls)))
    report.wall = time.monotonic() - start
    return report
