"""Realtime sessions: what the client adds to the delay from end of speech to the first audio byte, and its CPU per
second of audio in and out, against a bare ``websockets`` client (the baseline) on the same emulator, same run.

The emulator runs in another process (``python -m qwen_omni.emulator``), so the CPU measured is the client's.
Each turn: 1 s of a tone then 0.9 s of silence (server VAD ends the turn after 800 ms), sent unpaced; the delay is
from sending the last frame to the first ``response.audio.delta``.

    .venv/bin/python bench/bench_realtime.py [--turns 20]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import socket
import statistics
import subprocess
import sys
import time

import numpy as np
from websockets.asyncio.client import connect

from qwen_omni.realtime import AudioDelta, RealtimeSession, ResponseDone, SessionConfig, SessionOptions

RATE = 16_000
FRAME = 3200


def turn_audio() -> list[bytes]:
    t = np.arange(RATE) / RATE
    tone = (0.3 * 32767 * np.sin(2 * np.pi * 440 * t)).astype("<i2").tobytes()
    pcm = tone + b"\x00\x00" * int(0.9 * RATE)
    return [pcm[i : i + FRAME] for i in range(0, len(pcm), FRAME)]


async def bare(url: str, turns: int) -> tuple[list[float], float, float]:
    frames, delays, audio_out = turn_audio(), [], 0
    cpu = time.process_time()
    async with connect(url, additional_headers={"Authorization": "Bearer bench"}, compression=None) as ws:
        await ws.recv()
        await ws.send(json.dumps({"type": "session.update", "session": {}}))
        await ws.recv()
        for _ in range(turns):
            for frame in frames:
                await ws.send(
                    json.dumps({"type": "input_audio_buffer.append", "audio": base64.b64encode(frame).decode()})
                )
            sent, first = time.perf_counter(), None
            while True:
                event = json.loads(await ws.recv())
                if event["type"] == "response.audio.delta":
                    audio_out += len(base64.b64decode(event["delta"]))
                    first = first or time.perf_counter()
                if event["type"] == "response.done":
                    break
            delays.append((first or sent) - sent)
    return delays, time.process_time() - cpu, audio_out / 48_000


async def ours(base_url: str, turns: int) -> tuple[list[float], float, float]:
    frames, delays, audio_out = turn_audio(), [], 0.0
    cpu = time.process_time()
    options = SessionOptions(heartbeat_seconds=None)
    async with RealtimeSession.connect(
        session=SessionConfig(), base_url=base_url, api_key="bench", options=options
    ) as s:
        for _ in range(turns):
            await s.send_audio(b"".join(frames))
            sent, first = time.perf_counter(), None
            while True:
                event = await s.next_event(timeout=30)
                if isinstance(event, AudioDelta):
                    first = first or time.perf_counter()
                if isinstance(event, ResponseDone):
                    audio_out += event.answer.audio_seconds
                    break
            delays.append((first or sent) - sent)
    return delays, time.process_time() - cpu, audio_out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=20)
    args = parser.parse_args()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "qwen_omni.emulator", "--port", str(port)])
    try:
        base = f"http://127.0.0.1:{port}/compatible-mode/v1"
        for _ in range(600):  # up to ~30 s for the emulator to import and listen
            try:
                socket.create_connection(("127.0.0.1", port), 0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        url = f"ws://127.0.0.1:{port}/api-ws/v1/realtime?model=qwen3.5-omni-flash-realtime"
        seconds_in = args.turns * 1.9
        b_delays, b_cpu, b_out = asyncio.run(bare(url, args.turns))
        o_delays, o_cpu, o_out = asyncio.run(ours(base, args.turns))
        b_med, o_med = statistics.median(b_delays) * 1000, statistics.median(o_delays) * 1000
        print(f"turns: {args.turns} ({seconds_in:.0f} s of audio in, {o_out:.0f} s out)")
        print(
            f"end of speech -> first audio byte, median: bare {b_med:.1f} ms, RealtimeSession {o_med:.1f} ms "
            f"(added by the client: {o_med - b_med:+.1f} ms)"
        )
        print(
            f"client CPU per second of audio (in + out): bare {1000 * b_cpu / (seconds_in + b_out):.2f} ms, "
            f"RealtimeSession {1000 * o_cpu / (seconds_in + o_out):.2f} ms ({o_cpu / max(b_cpu, 1e-9):.1f}x)"
        )
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    main()
