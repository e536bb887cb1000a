"""Long recordings: throughput at the quota's pace, memory while cutting, bytes sent per source byte.

Every figure is a ratio against a baseline from the same run:

1. Throughput against the emulator with a per-request latency, RPM 60 and concurrency 8, as a share of
   ``min(concurrency / latency, RPM)``; and the most requests the emulator saw in any window, against RPM.
   Scaled to run in seconds: latency and window are both divided by ``--scale`` (default 10: 0.1 s and
   6 s), which keeps their ratio, so the same bound binds as at full scale (RPM, since 8 / 1 s > 60 / 60 s).
   ``--scale 1`` is the real thing (1 s latency, 60 s window; about four minutes). A second run lifts the
   RPM limit so that concurrency binds (8 / latency).
2. Peak memory of the pipeline cutting 10- and 60-minute recordings (16 kHz WAV on disk, cut for
   qwen-omni-turbo as 32 kb/s MP3), each in a fresh process: Python's peak (tracemalloc) and the process's
   peak RSS; the 60-minute figure over the 10-minute one. Baseline: the old ``split`` that returned a list.
3. Bytes sent per source byte and per second of audio, for a 48 kHz stereo MP3 (128 kb/s), a 44.1 kHz WAV, a
   16 kHz WAV and an MP4 (640x360, 25 fps), on qwen3-omni-flash and qwen-omni-turbo; each segment is decoded
   to show the rate it was sent at (the baseline: the source's own bytes per second).

    .venv/bin/python bench/bench_longmedia.py [--scale 10] [--skip-memory]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from qwen_omni import OmniClient, samples
from qwen_omni.emulator import Emulator
from qwen_omni.emulator.decoding import decode_media
from qwen_omni.longmedia import LongMedia, PlanOptions, RateLimiter, as_recording, make_plan, pieces
from qwen_omni.media import encode_video
from qwen_omni.media.encoding import AudioWriter

RPM, CONCURRENCY, LATENCY, WINDOW = 60, 8, 1.0, 60.0


def most_in_window(times: list[float], window: float) -> int:
    times = sorted(times)
    return max(sum(1 for t in times if s <= t < s + window) for s in times) if times else 0


def throughput(scale: float, folder: Path) -> None:
    latency, window = LATENCY / scale, WINDOW / scale
    path = folder / "many.wav"
    samples.write_meeting_wav(path, 900.0)
    options = PlanOptions(segment_seconds=2.0, snap=0)  # hundreds of tiny segments: the pace, not the cutting
    print(
        f"1. throughput, scaled {scale:g}x: latency {latency:g} s, {RPM} requests per {window:g} s, concurrency "
        f"{CONCURRENCY}; then no RPM limit and latency {LATENCY / 2:g} s (concurrency binds)"
    )
    runs = (("RPM-bound", RPM, RPM, latency), ("concurrency-bound", None, 10**6, LATENCY / 2))
    for label, server_rpm, client_rpm, delay in runs:
        with Emulator(first_chunk_delay=delay, rpm=server_rpm, rpm_window=window) as emu:
            limiter = RateLimiter(rpm=client_rpm, tpm=None, window=window)
            client = OmniClient(api_key="bench", base_url=emu.base_url, rate_limiter=limiter)
            pipeline = LongMedia(
                client, model="qwen-omni-turbo", concurrency=CONCURRENCY, options=options, on_error="skip"
            )
            duration = 3 * window if server_rpm else 16 * delay
            start = time.monotonic()
            outcomes = pipeline.iter_segments(path)
            for _ in outcomes:
                if time.monotonic() - start >= duration:
                    break
            outcomes.close()  # type: ignore[attr-defined]
            arrivals = [r.arrived for r in emu.requests]
            admitted = [r.arrived for r in emu.requests if r.status == 200]
        ideal = min(CONCURRENCY / delay, (server_rpm or client_rpm) / window)
        first = min(arrivals)
        rate = sum(1 for t in admitted if first <= t < first + duration) / duration
        print(
            f"   {label:18} {rate:6.2f} requests/s = {rate / ideal:.2f} x min(concurrency/latency, RPM) ({ideal:g}/s); "
            f"most sent in any {window:g} s: {most_in_window(arrivals, window)}, answered: "
            f"{most_in_window(admitted, window)} (limit {server_rpm or '-'}); 429s: {len(arrivals) - len(admitted)}"
        )


MEMORY_CHILD = """
import json, resource, sys, tracemalloc
from qwen_omni.longmedia import as_recording, make_plan, pieces
from qwen_omni.media import split
path, how = sys.argv[1], sys.argv[2]
tracemalloc.start()
if how == "pipeline":
    rec = as_recording(path)
    for piece in pieces(rec, make_plan(rec, "qwen-omni-turbo", "transcript")):
        piece.part.to_wire()  # the data URI, as it is sent
else:
    segments = list(split(path, segment_seconds=180))  # the old behaviour: every segment held at once
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"python": tracemalloc.get_traced_memory()[1], "rss": rss}))
"""


def memory(folder: Path) -> None:
    print("\n2. peak memory while cutting (fresh process each; 16 kHz WAV on disk, for qwen-omni-turbo)")
    figures = {}
    for minutes in (10, 60):
        path = folder / f"m{minutes}.wav"
        samples.write_meeting_wav(path, minutes * 60.0, sample_rate=16_000)
        for how in ("pipeline", "list"):
            out = subprocess.run(
                [sys.executable, "-c", MEMORY_CHILD, str(path), how], capture_output=True, text=True, check=True
            )
            figures[minutes, how] = json.loads(out.stdout)
        path.unlink()
    for how in ("pipeline", "list"):
        short, long = figures[10, how], figures[60, how]
        print(
            f"   {how:8}  python peak {short['python'] / 1e6:7.1f} MB -> {long['python'] / 1e6:7.1f} MB "
            f"({long['python'] / short['python']:.2f}x);  RSS peak {short['rss'] / 1e6:6.0f} MB -> "
            f"{long['rss'] / 1e6:6.0f} MB ({long['rss'] / short['rss']:.2f}x)"
        )


def bytes_sent(folder: Path) -> None:
    print(
        "\n3. bytes sent per source byte and per second of audio (the encoded segments, decoded to check their rate; "
        "the plan's 32 kb/s is 4,000 B/s)"
    )
    minutes = 10
    speech = np.frombuffer(samples.meeting_wav(minutes * 60.0, sample_rate=48_000)[44:], dtype="<i2")
    mp3_path = folder / "recorder.mp3"
    with AudioWriter("mp3", 48_000, 2, bitrate=128_000) as writer:  # a recorder's or a phone's MP3
        writer.write(np.stack([speech, (speech * 0.6).astype(np.int16)], axis=1).reshape(-1))
        mp3_path.write_bytes(writer.finish())
    wav_path = folder / "meeting44.wav"
    samples.write_meeting_wav(wav_path, minutes * 60.0, sample_rate=44_100)
    wav16_path = folder / "meeting16.wav"
    samples.write_meeting_wav(wav16_path, 3600.0, sample_rate=16_000)
    mp4_path = folder / "promo.mp4"
    mp4_path.write_bytes(_video(180.0))
    for path, what, seconds in (
        (mp3_path, f"MP3 48 kHz stereo 128 kb/s, {minutes} min", minutes * 60.0),
        (wav_path, f"WAV 44.1 kHz mono, {minutes} min", minutes * 60.0),
        (wav16_path, "WAV 16 kHz mono, 60 min", 3600.0),
        (mp4_path, "MP4 640x360 25 fps, 3 min", 180.0),
    ):
        source = path.stat().st_size
        row = []
        for model in ("qwen3-omni-flash", "qwen-omni-turbo"):
            rec = as_recording(path)
            plan = make_plan(rec, model, "transcript" if path.suffix != ".mp4" else "description")
            sent, rates = 0, set()
            for piece in pieces(rec, plan):
                data = piece.part.loaded.data or b""
                sent += len(data)
                rates.add(decode_media(data).sample_rate)
            shown = "/".join(f"{r / 1000:g} kHz" for r in sorted(r for r in rates if r)) or "-"
            row.append(
                f"{model}: {sent / source:.3f} of the source, {sent / seconds:,.0f} B/s ({len(plan.segments)} "
                f"{plan.segments[0].delivery} segments, sound {shown})"
            )
        print(f"   {what:32} {source / 1e6:6.1f} MB ({source / seconds:,.0f} B/s)\n      " + "\n      ".join(row))


def _video(seconds: float) -> bytes:
    """A camera-like clip: a moving gradient with sensor noise (so that it compresses like real footage)."""
    fps, width, height = 25, 640, 360
    rng = np.random.default_rng(0)
    y, x = np.mgrid[0:height, 0:width]
    noise = rng.integers(-12, 13, size=(8, height, width, 3))

    def frames():  # type: ignore[no-untyped-def]
        for index in range(int(seconds * fps)):
            shade = (index // (fps * 10)) * 40 % 256
            base = np.stack([(x + index * 3) % 256, (y + shade) % 256, np.full_like(x, shade)], axis=-1)
            yield np.clip(base + noise[index % 8], 0, 255).astype(np.uint8)

    audio = np.frombuffer(samples.meeting_wav(seconds, sample_rate=16_000)[44:], dtype="<i2")
    return encode_video(frames(), fps=fps, audio=audio, sample_rate=16_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10.0, help="divide latency and window by this (1: real time)")
    parser.add_argument("--skip-memory", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        throughput(args.scale, Path(folder))
        if not args.skip_memory:
            memory(Path(folder))
        bytes_sent(Path(folder))


if __name__ == "__main__":
    main()
