"""What an inline (base64) input costs before it is sent, against the raw SDK's bare data URI, in one run.

A LangChain ``audio`` block holding base64 is converted and validated (its bytes are decoded once, for the checks
that look inside: type, duration) and goes on the wire as given. The baseline decodes nothing and encodes it again
(the path before the pass-through), and the raw SDK only wraps the string. Prints figures; asserts nothing.

    .venv/bin/python bench/bench_inputs.py [--seconds 150] [--repeat 7]
"""

from __future__ import annotations

import argparse
import base64
import statistics
import time
import tracemalloc
from collections.abc import Callable

from langchain_core.messages import HumanMessage

from langchain_qwen_omni._convert import to_core_messages
from qwen_omni import samples
from qwen_omni.local_media import LocalMediaPolicy
from qwen_omni.parts import AudioPart
from qwen_omni.request import Message, RequestOptions, build_payload


def measure(fn: Callable[[], object], repeat: int, size: int) -> tuple[float, float]:
    """Median CPU milliseconds, and peak memory over ``size``."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return 1000 * statistics.median(times), peak / size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=150.0, help="length of the 16 kHz WAV sent inline")
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    wav = samples.tone_wav(args.seconds, sample_rate=16_000)
    text = base64.b64encode(wav).decode()
    block = HumanMessage([{"type": "audio", "base64": text, "mime_type": "audio/wav"}])
    options = RequestOptions()

    def raw_sdk() -> object:
        part = {"type": "input_audio", "input_audio": {"data": "data:;base64," + text, "format": "wav"}}
        return {"messages": [{"role": "user", "content": [part]}]}

    def decode_and_encode_again() -> object:
        part = AudioPart(base64.b64decode(text, validate=True), format="wav")
        return build_payload([Message("user", [part])], options)

    def langchain_block() -> object:
        return build_payload(to_core_messages([block], LocalMediaPolicy(None)), options)

    print(f"a {args.seconds:g} s 16 kHz WAV ({len(wav) / 1e6:.1f} MB, {len(text) / 1e6:.1f} MB of base64)")
    print(f"{'path':48} {'CPU ms':>8} {'peak / file':>12}")
    for name, fn in (("raw SDK (wraps the string, checks nothing)", raw_sdk),
                     ("decoded, checked, encoded again (before)", decode_and_encode_again),
                     ("LangChain base64 block (checked, sent as given)", langchain_block)):  # fmt: skip
        cpu, peak = measure(fn, args.repeat, len(wav))
        print(f"{name:48} {cpu:8.1f} {peak:11.2f}x")


if __name__ == "__main__":
    main()
