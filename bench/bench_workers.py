"""Many workers, one quota: 4 processes share one budget over 200 short recordings against an emulator that
enforces 60 requests a minute, RPM/60 a second and the burst guard (DashScope's three 429s, reference "Rate
limits").

For each backend (Redis, started here on a free loopback port; then the SQLite file the processes of one machine
share without a server) it prints: requests per segment, the 429s by kind, the most requests the emulator saw in
any quota window (60 allowed) and in any second (1 allowed), the wall time against the quota's own bound (the
time 60 a minute needs for them), and what was lost (recordings without their transcript; must be none). Done
when requests per segment are at most 1.05 and no window is over the quota.

The default is real time, about four minutes a backend. ``--scale S`` divides every time by S (the window is
60 / S seconds, a "second" 1 / S, the emulator's latency too). A scaled run is harder on the pace than the real
one: the slack between two requests (5 % of the interval, 50 ms at real time) is S times smaller, and the arrival
jitter of a busy machine is not, so a few requests arrive a little under the server's 1 / (RPM/60).

``--storm`` also runs the issue's own case: ``LongMedia(OmniClient(...))`` with no limiter configured against an
account of 10 RPM (real time, about two minutes): requests per segment (at most 1.5) and the most in any second
(at most 2).

    .venv/bin/python bench/bench_workers.py [--scale 1] [--workers 4] [--recordings 200] [--storm]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import multiprocessing
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from qwen_omni import OmniClient, samples
from qwen_omni.emulator import Emulator
from qwen_omni.longmedia import LongMedia, PlanOptions
from qwen_omni.ratelimit import BudgetBackend, RateLimiter, RedisBackend, SQLiteBackend

RPM, WINDOW, LATENCY = 60, 60.0, 0.5


def most_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while times[start] <= t - window:
            start += 1
        most = max(most, end - start + 1)
    return most


def worker(base_url: str, paths: list[str], backend: BudgetBackend, window: float, out: Any) -> None:
    """One process: its share of the recordings, four segments in flight, through the shared budget."""
    limiter = RateLimiter(rpm=RPM, tpm=None, window=window, backend=backend, key="bench-workers")
    client = OmniClient(api_key="bench", base_url=base_url, rate_limiter=limiter, timeout=30 * window)
    pipeline = LongMedia(client, model="qwen-omni-turbo", on_error="skip", concurrency=4)

    async def all_of_them() -> list[Any]:
        return await asyncio.gather(*(pipeline.arun(Path(path), "transcript") for path in paths))

    results = asyncio.run(all_of_them())
    out.put([(r.name, r.complete, len(r.plan.segments), r.requests) for r in results])


def run(backend_name: str, backend: BudgetBackend, paths: list[Path], workers: int, scale: float) -> bool:
    window = WINDOW / scale
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    with Emulator(rpm=RPM, rpm_window=window, burst_guard=True, first_chunk_delay=LATENCY / scale) as emu:
        started = time.monotonic()
        shares = [[str(p) for p in paths[n::workers]] for n in range(workers)]
        processes = [
            context.Process(target=worker, args=(emu.base_url, share, backend, window, out)) for share in shares
        ]
        for process in processes:
            process.start()
        results = [row for _ in processes for row in out.get(timeout=3600)]
        wall = time.monotonic() - started
        for process in processes:
            process.join(60)
        requests = emu.requests
    segments = sum(count for _, _, count, _ in results)
    lost = len(paths) - sum(1 for _, complete, _, _ in results if complete)
    kinds = Counter(r.error_code for r in requests if r.status == 429)
    arrivals = [r.arrived for r in requests]
    in_window, in_second = most_in_window(arrivals, window), most_in_window(arrivals, window / 60)
    bound = (segments - 1) * window / RPM  # 60 a window, evenly spaced, from the first request to the last
    per_segment = len(requests) / segments
    print(
        f"{backend_name:7} {segments:4d} segments  {len(requests):4d} requests  {per_segment:.3f} per segment  "
        f"429s {sum(kinds.values()):3d} {dict(kinds) or ''}  most in any {window:g} s: {in_window} (quota {RPM})  "
        f"in any {window / 60:.3g} s: {in_second} (quota 1)  wall {wall:6.1f} s  bound {bound:6.1f} s  "
        f"ratio {wall / bound:.2f}  lost {lost}"
    )
    gaps = sorted(b - a for a, b in itertools.pairwise(sorted(arrivals)))
    smallest, first_percentile, median = (gaps[i] * 1000 for i in (0, len(gaps) // 100, len(gaps) // 2))
    interval = window * 1.05 / RPM * 1000
    print(
        f"        gaps between arrivals: smallest {smallest:.0f} ms, 1st percentile {first_percentile:.0f} ms, median "
        f"{median:.0f} ms (the pace's interval at the quota: {interval:.0f} ms, the server's 1 / RPM/60: "
        f"{window / 60 * 1000:.0f} ms)"
    )
    if kinds:
        first = min(arrivals)
        at = [(round((r.arrived - first) / window, 2), r.error_code) for r in requests if r.status == 429]
        print("        429s at (in windows from the first request):", at)
    return per_segment <= 1.05 and in_window <= RPM and in_second <= 1 and lost == 0


def storm() -> None:
    """The issue's own case, at real time: no limiter configured, an account of 10 RPM."""
    with Emulator(rpm=10, rpm_window=60.0) as emu:
        pipeline = LongMedia(
            OmniClient(api_key="bench", base_url=emu.base_url), model="qwen-omni-turbo",
            options=PlanOptions(segment_seconds=10),
        )  # fmt: skip
        started = time.monotonic()
        result = pipeline.run(samples.tone_wav(150.0), "transcript", name="storm.wav")
        wall = time.monotonic() - started
        requests = emu.requests
    segments = len(result.plan.segments)
    arrivals = [r.arrived for r in requests]
    print(
        f"storm: {segments} segments, {len(requests)} requests ({len(requests) / segments:.2f} per segment; "
        f"target at most 1.5), 429s {sum(r.status == 429 for r in requests)}, most in any second "
        f"{most_in_window(arrivals, 1.0)} (target at most 2), wall {wall:.0f} s, complete {result.complete}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="divide every time by this (default 1)")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--recordings", type=int, default=200)
    parser.add_argument("--storm", action="store_true", help="also the 10 RPM storm case, at real time")
    parser.add_argument("--skip-redis", action="store_true")
    args = parser.parse_args()
    print(
        f"{args.workers} processes, {args.recordings} recordings of 4 s, {RPM} requests per {WINDOW / args.scale:g} s "
        f"with RPM/60 per {1 / args.scale:.3g} s and the burst guard (scale {args.scale:g}); emulator latency "
        f"{LATENCY / args.scale:g} s\n"
    )
    folder = Path(tempfile.mkdtemp(prefix="qwen-omni-bench-workers-"))
    done = True
    try:
        paths = []
        for number in range(args.recordings):
            path = folder / f"memo{number:03d}.wav"
            samples.write_meeting_wav(path, 4.0, seed=number)
            paths.append(path)
        if not args.skip_redis:
            binary = shutil.which("redis-server")
            if binary is None:
                print("redis  skipped: redis-server is not installed (apt-get install redis-server)")
            else:
                done &= with_redis(binary, folder, paths, args)
        done &= run("sqlite", SQLiteBackend(folder / "budget"), paths, args.workers, args.scale)
        if args.storm:
            storm()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    print("\ndone: at most 1.05 requests per segment, no window over the quota, nothing lost" if done else "\nNOT done")
    return 0 if done else 1


def with_redis(binary: str, folder: Path, paths: list[Path], args: argparse.Namespace) -> bool:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        time.sleep(0.5)
        return run("redis", RedisBackend(f"redis://127.0.0.1:{port}/0"), paths, args.workers, args.scale)
    finally:
        server.terminate()
        server.wait(30)


if __name__ == "__main__":
    sys.exit(main())
