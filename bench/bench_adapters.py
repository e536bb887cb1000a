"""What the LangChain and LlamaIndex adapters cost on top of the core and of the raw openai SDK, in one run.

The emulator is served by a separate process (no network, no key), so its work is not counted in this process's
CPU time. Prints figures and ratios; asserts nothing.

    .venv/bin/python bench/bench_adapters.py [--repeat 15] [--long-minutes 10]

1. Spoken answers of 10 s, 1 min and ``--long-minutes`` min: CPU time of this process per second of speech (median
   of a few runs) for the core's stream, ``ChatQwenOmni.stream`` read piece by piece (``audio_pcm(chunk)``), the
   same stream summed with ``+`` and read as one WAV (``audio_wav``), in v0 and in v1 (``output_version="v1"``,
   whose sum holds the one WAV block), ``invoke``, and LlamaIndex's ``stream_chat`` / ``chat``; the growth from
   the shortest to the longest answer, and each adapter's ratio to the core at the longest (issue 16's bound for a
   summed stream: 1.5x).
2. Peak memory (tracemalloc) of ``invoke``, the summed stream (v0 and v1), LlamaIndex's ``chat`` and the core's
   stream, over the PCM's size (issue 16's bound for a summed stream: 3x).
3. Text answers (``--words`` words, streamed): wall time per request of the raw ``openai.OpenAI`` stream (text
   joined by the caller), ``OmniClient.stream``, ``ChatQwenOmni.stream`` / ``invoke`` and ``QwenOmni.stream_chat``
   / ``chat``, interleaved round by round; median, spread (quartiles) and the ratio of medians to the raw SDK.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
from collections.abc import Callable

import openai
from bench_stream import emulator_process, raw_text
from llama_index.core.llms import ChatMessage

from langchain_qwen_omni import ChatQwenOmni, audio_pcm, audio_wav
from llama_index_qwen_omni import QwenOmni
from qwen_omni import Message, OmniClient
from qwen_omni.audio import pcm16_duration
from qwen_omni.emulator.speech import SECONDS_PER_CHARACTER
from qwen_omni.stream import AudioDelta

MODEL = "qwen3.5-omni-flash"
SPEAK = ["text", "audio"]
#: Characters per padded word of the emulator's answers (its filler text, with the space).
CHARS_PER_WORD = 5.36


def cpu(fn: Callable[[], object], repeat: int) -> float:
    """Median CPU seconds of this process for ``fn`` (after one warm-up run)."""
    fn()
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def peak_memory(fn: Callable[[], object]) -> int:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak


def sum_chunks(chat: ChatQwenOmni) -> object:
    total = None
    for chunk in chat.stream("Hello"):
        total = chunk if total is None else total + chunk
    return total


def one_wav_block(total: object) -> bool:
    """Whether a v1 sum holds exactly one audio block (the whole answer as a WAV)."""
    content = getattr(total, "content", None)
    if not isinstance(content, list):
        return False
    blocks = [b for b in content if isinstance(b, dict) and b.get("type") == "audio"]
    return len(blocks) == 1 and blocks[0].get("mime_type") == "audio/wav"


def speech(base_url: str, seconds: float, repeat: int) -> dict[str, float]:
    """CPU ms per second of speech for each consumer, and the memory ratios, for one answer length."""
    connection = {"api_key": "bench", "base_url": base_url}
    core = OmniClient(**connection)
    chat = ChatQwenOmni(model=MODEL, modalities=SPEAK, **connection)
    chat_v1 = ChatQwenOmni(model=MODEL, modalities=SPEAK, output_version="v1", **connection)
    llm = QwenOmni(model=MODEL, modalities=SPEAK, **connection)
    hello = [Message("user", "Hello")]
    question = [ChatMessage(role="user", content="Hello")]

    def core_stream() -> int:
        return sum(len(d.pcm) for d in core.stream(hello, model=MODEL, modalities=SPEAK) if isinstance(d, AudioDelta))

    pcm_bytes = core_stream()
    duration = pcm16_duration(pcm_bytes)

    def lc_pieces() -> None:
        for chunk in chat.stream("Hello"):
            audio_pcm(chunk)

    def lc_summed() -> None:
        total = sum_chunks(chat)
        assert total is not None and audio_wav(total)  # type: ignore[arg-type]

    def lc_summed_v1() -> None:
        total = sum_chunks(chat_v1)
        assert one_wav_block(total) and audio_wav(total)  # type: ignore[arg-type]

    def lc_invoke() -> None:
        assert audio_wav(chat.invoke("Hello"))

    def li_stream() -> None:
        for _ in llm.stream_chat(question):
            pass

    def li_chat() -> None:
        llm.chat(question)

    rows = {"core stream": core_stream, "LangChain stream, audio_pcm per chunk": lc_pieces,
            "LangChain stream summed with +, v0": lc_summed, "LangChain stream summed with +, v1": lc_summed_v1,
            "LangChain invoke": lc_invoke, "LlamaIndex stream_chat": li_stream,
            "LlamaIndex chat": li_chat}  # fmt: skip
    runs = max(3, repeat if seconds < 120 else repeat // 5)
    figures = {name: 1000 * cpu(fn, runs) / duration for name, fn in rows.items()}
    figures["seconds"] = duration
    # the adapter's own memory: the answer held, not the caller's decoding of it
    figures["memory LangChain invoke"] = peak_memory(lambda: chat.invoke("Hello")) / pcm_bytes
    figures["memory LangChain stream summed, v0"] = peak_memory(lambda: sum_chunks(chat)) / pcm_bytes
    figures["memory LangChain stream summed, v1"] = peak_memory(lambda: sum_chunks(chat_v1)) / pcm_bytes
    figures["memory LlamaIndex chat"] = peak_memory(li_chat) / pcm_bytes
    figures["memory core stream"] = peak_memory(core_stream) / pcm_bytes
    return figures


def text_overhead(words: int, repeat: int) -> None:
    with emulator_process(words) as base_url:
        connection = {"api_key": "bench", "base_url": base_url}
        sdk = openai.OpenAI(base_url=base_url, api_key="bench", max_retries=0)
        core = OmniClient(**connection)
        chat = ChatQwenOmni(model=MODEL, **connection)
        llm = QwenOmni(model=MODEL, **connection)
        hello = [Message("user", "Hello")]
        question = [ChatMessage(role="user", content="Hello")]

        def lc_stream() -> None:
            for _ in chat.stream("Hello"):
                pass

        def li_stream() -> None:
            for _ in llm.stream_chat(question):
                pass

        rows: dict[str, Callable[[], object]] = {
            "raw openai SDK stream (baseline)": lambda: raw_text(sdk),
            "OmniClient.stream": lambda: list(core.stream(hello, model=MODEL)),
            "ChatQwenOmni.stream": lc_stream,
            "ChatQwenOmni.invoke": lambda: chat.invoke("Hello"),
            "QwenOmni.stream_chat": li_stream,
            "QwenOmni.chat": lambda: llm.chat(question),
        }
        times: dict[str, list[float]] = {name: [] for name in rows}
        for fn in rows.values():
            fn()  # warm-up
        for _ in range(repeat):  # interleaved, so drift on a shared machine hits every row alike
            for name, fn in rows.items():
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
        base = statistics.median(times["raw openai SDK stream (baseline)"])
        print(f"\ntext answers of {words} words, streamed; {repeat} interleaved rounds; wall ms per request")
        print(f"{'':36} {'median':>8} {'q1':>8} {'q3':>8} {'ratio':>6}")
        for name, values in times.items():
            q1, _, q3 = statistics.quantiles(values, n=4)
            median = statistics.median(values)
            print(f"{name:36} {median * 1000:8.2f} {q1 * 1000:8.2f} {q3 * 1000:8.2f} {median / base:6.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--words", type=int, default=1500, help="length of the text answers")
    parser.add_argument("--long-minutes", type=float, default=10.0, help="length of the longest spoken answer")
    args = parser.parse_args()

    lengths = [10.0, 60.0, 60.0 * args.long_minutes]
    results = []
    for seconds in lengths:
        words = round(seconds / SECONDS_PER_CHARACTER / CHARS_PER_WORD)
        with emulator_process(words) as base_url:
            results.append(speech(base_url, seconds, max(3, args.repeat // 3)))
    names = [k for k in results[0] if not k.startswith("memory") and k != "seconds"]
    heads = "".join(f"{r['seconds']:>9.0f} s" for r in results)
    print(f"spoken answers: CPU ms of this process per second of speech\n{'':40}{heads}   growth  vs core")
    for name in names:
        values = "".join(f"{r[name]:11.2f}" for r in results)
        growth = results[-1][name] / results[0][name]
        versus = results[-1][name] / results[-1]["core stream"]
        print(f"{name:40}{values}   {growth:5.2f}x  {versus:5.2f}x")
    print("\npeak memory (tracemalloc) over the PCM's size")
    for name in [k for k in results[0] if k.startswith("memory")]:
        print(f"{name[7:]:40}" + "".join(f"{r[name]:11.2f}" for r in results))
    text_overhead(args.words, args.repeat)


if __name__ == "__main__":
    main()
