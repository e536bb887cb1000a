"""How much the core adds on top of the raw openai SDK, measured against a baseline in the same run.

Runs against the local emulator, served by a separate process so that it takes neither this process's GIL nor
its memory (no network, no key); the figures compare our client with the SDK it wraps, not with the real service.
Prints medians and the ratio to the baseline; asserts nothing (machines are noisy).

    .venv/bin/python bench/bench_stream.py [--words 2000] [--repeat 7]

Measured:
- text answer: raw ``openai.OpenAI`` streaming with text joined by the caller (baseline) vs ``OmniClient.complete``
  (validation, accumulation, typed deltas, usage);
- spoken answer: raw SDK with the base64 audio decoded per chunk (baseline) vs ``OmniClient.complete``;
- accumulator alone, on pre-parsed chunks: the least any correct consumer does (join the text, decode each
  chunk's audio; baseline) vs ``StreamAccumulator`` (typed deltas, tool calls, usage, base64 carry-over);
- peak memory (tracemalloc) the accumulator adds while collecting a spoken answer, against the size of its PCM.
"""

from __future__ import annotations

import argparse
import base64
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import openai

from qwen_omni import Message, OmniClient
from qwen_omni.stream import StreamAccumulator

MODEL = "qwen3.5-omni-flash"


@contextmanager
def emulator_process(words: int) -> Iterator[str]:
    """Serve the emulator from another process; yields its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "qwen_omni.emulator", "--port", "0", "--answer-words", str(words)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        yield proc.stdout.readline().strip()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def median_seconds(fn: Callable[[], object], repeat: int) -> float:
    fn()  # warm-up: connection pool, imports
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def raw_text(sdk: openai.OpenAI) -> str:
    stream = sdk.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Hello"}], stream=True,
        stream_options={"include_usage": True},
    )  # fmt: skip
    return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)


def raw_audio(sdk: openai.OpenAI) -> bytes:
    stream = sdk.chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "Hello"}], stream=True,
        stream_options={"include_usage": True}, modalities=["text", "audio"],
        audio={"voice": "Tina", "format": "wav"},
    )  # fmt: skip
    pcm = bytearray()
    for chunk in stream:
        audio = chunk.choices[0].delta.audio if chunk.choices else None
        if audio is not None and audio.data:
            pcm += base64.b64decode(audio.data)
    return bytes(pcm)


def report(name: str, baseline: float, ours: float) -> None:
    ratio = ours / baseline
    print(f"{name:38} baseline {baseline * 1000:9.2f} ms   ours {ours * 1000:9.2f} ms   ratio {ratio:5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=2000, help="length of the emulator's answer")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    with emulator_process(args.words) as base_url:
        sdk = openai.OpenAI(base_url=base_url, api_key="bench", max_retries=0)
        client = OmniClient(api_key="bench", base_url=base_url)
        hello = [Message("user", "Hello")]
        print(f"emulator answer: {args.words} words; median of {args.repeat} runs\n")

        base = median_seconds(lambda: raw_text(sdk), args.repeat)
        ours = median_seconds(lambda: client.complete(hello, model=MODEL), args.repeat)
        report("text answer, end to end", base, ours)

        base = median_seconds(lambda: raw_audio(sdk), args.repeat)
        ours = median_seconds(lambda: client.complete(hello, model=MODEL, modalities=["text", "audio"]), args.repeat)
        report("spoken answer, end to end", base, ours)

        chunks = list(
            sdk.chat.completions.create(
                model=MODEL, messages=[{"role": "user", "content": "Hello"}], stream=True,
                stream_options={"include_usage": True}, modalities=["text", "audio"],
                audio={"voice": "Tina", "format": "wav"},
            )
        )  # fmt: skip

        def minimal_consumer() -> None:
            text, pcm = [], bytearray()
            for c in chunks:
                if c.choices:
                    delta = c.choices[0].delta
                    text.append(delta.content or "")
                    if delta.audio is not None and delta.audio.data:
                        pcm += base64.b64decode(delta.audio.data)
            "".join(text)

        def accumulate() -> None:
            acc = StreamAccumulator()
            for c in chunks:
                acc.feed(c)
            acc.finish()

        base = median_seconds(minimal_consumer, args.repeat * 3)
        ours = median_seconds(accumulate, args.repeat * 3)
        report(f"accumulator alone ({len(chunks)} chunks)", base, ours)

        tracemalloc.start()
        acc = StreamAccumulator()
        for c in chunks:
            acc.feed(c)
        result = acc.finish()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        pcm_mb = len(result.audio) / 1e6
        print(
            f"\naccumulator peak memory for a spoken answer: {peak / 1e6:.2f} MB for {pcm_mb:.2f} MB of PCM "
            f"(ratio {peak / max(len(result.audio), 1):.2f}; the PCM itself is kept once)"
        )


if __name__ == "__main__":
    main()
