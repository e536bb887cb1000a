"""What the LangChain and LlamaIndex adapters add on top of the core, measured against it in the same run.

The emulator is served by a separate process (no network, no key). Baseline: ``OmniClient.complete`` and a plain
iteration of ``OmniClient.stream`` on the same request. Prints medians and ratios; asserts nothing.

    .venv/bin/python bench/bench_adapters.py [--words 1500] [--repeat 5]
"""

from __future__ import annotations

import argparse

from bench_stream import emulator_process, median_seconds
from llama_index.core.llms import ChatMessage

from langchain_qwen_omni import ChatQwenOmni, audio_wav
from llama_index_qwen_omni import QwenOmni
from qwen_omni import Message, OmniClient

MODEL = "qwen3.5-omni-flash"
SPEAK = ["text", "audio"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=1500, help="length of the emulator's answer")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    with emulator_process(args.words) as base_url:
        connection = {"api_key": "bench", "base_url": base_url}
        core = OmniClient(**connection)
        chat = ChatQwenOmni(model=MODEL, modalities=SPEAK, **connection)
        llm = QwenOmni(model=MODEL, modalities=SPEAK, **connection)
        hello = [Message("user", "Hello")]
        print(f"spoken answers of {args.words} words; median of {args.repeat} runs\n")

        def core_complete() -> bytes:
            return core.complete(hello, model=MODEL, modalities=SPEAK).wav()

        def core_stream() -> None:
            for _ in core.stream(hello, model=MODEL, modalities=SPEAK):
                pass

        def langchain_stream() -> None:
            total = None
            for chunk in chat.stream("Hello"):
                total = chunk if total is None else total + chunk
            assert total is not None and audio_wav(total)

        def llama_index_stream() -> None:
            for _ in llm.stream_chat([ChatMessage(role="user", content="Hello")]):
                pass

        rows = [
            ("LangChain invoke (WAV)", core_complete, lambda: audio_wav(chat.invoke("Hello"))),
            ("LangChain stream, chunks summed", core_stream, langchain_stream),
            ("LlamaIndex chat (WAV)", core_complete, lambda: llm.chat([ChatMessage(role="user", content="Hello")])),
            ("LlamaIndex stream_chat", core_stream, llama_index_stream),
        ]
        for name, baseline, ours in rows:
            base = median_seconds(baseline, args.repeat)
            mine = median_seconds(ours, args.repeat)
            print(f"{name:34} core {base * 1000:9.2f} ms   adapter {mine * 1000:9.2f} ms   ratio {mine / base:5.2f}")


if __name__ == "__main__":
    main()
