"""``python -m qwen_omni.emulator``: serve the emulator until Ctrl-C (or SIGTERM).

Example (shell)::

    $ python -m qwen_omni.emulator --port 8000 --api-key sk-test
    http://127.0.0.1:8000/compatible-mode/v1
    $ python -m qwen_omni.emulator --answer my_tests.scripts:answer   # answers from my_tests/scripts.py
"""

from __future__ import annotations

import argparse
import importlib
import logging
import logging.handlers
import queue
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from .script import AnswerFunction
from .server import Emulator
from .state import Settings


def load_answer(spec: str) -> AnswerFunction:
    """The function ``module:function`` names (imported; the current folder is importable).

    Example:
        >>> load_answer("qwen_omni.emulator.script:failure_message").__name__
        'failure_message'
    """
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute:
        raise ValueError(f"--answer must be module:function, e.g. my_tests.scripts:answer; got {spec!r}.")
    if "" not in sys.path:
        sys.path.insert(0, "")
    try:
        target: object = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"--answer {spec}: cannot import {module_name!r}: {exc}") from exc
    for name in attribute.split("."):
        if not hasattr(target, name):
            raise ValueError(f"--answer {spec}: {module_name!r} has no attribute {attribute!r}.")
        target = getattr(target, name)
    if not callable(target):
        raise ValueError(f"--answer {spec}: {attribute!r} is not callable.")
    return target


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m qwen_omni.emulator",
        description="Serve a local emulator of DashScope's Qwen-Omni endpoint (OpenAI-compatible mode).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on; 0 picks a free one (default 8000)")
    parser.add_argument("--api-key", default=None, help="accept only this key (default: accept any key)")
    parser.add_argument(
        "--audio-style",
        choices=("content", "transcript"),
        default="content",
        help="where spoken answers put their text: delta.content (default) or delta.audio.transcript",
    )
    parser.add_argument("--chunk-delay", type=float, default=0.0, help="seconds between chunks")
    parser.add_argument("--first-chunk-delay", type=float, default=0.0, help="seconds before the first chunk")
    parser.add_argument("--answer-words", type=int, default=None, help="pad or cut answers to this many words")
    parser.add_argument("--rpm", type=int, default=None, help="answer 429 past this many requests a window")
    parser.add_argument("--rpm-window", type=float, default=60.0, help="the window of --rpm, in seconds (60)")
    parser.add_argument(
        "--per-second",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="enforce RPM/60 in every sixtieth of the window too, as DashScope does (default: on)",
    )
    parser.add_argument(
        "--burst-guard", action="store_true", help="refuse a rate that climbs too fast (429 limit_burst_rate)"
    )
    parser.add_argument(
        "--quota", type=int, default=None, help="answer 429 'Allocated quota exceeded' after this many requests"
    )
    parser.add_argument(
        "--max-body-bytes", type=int, default=Settings.max_body_bytes, help="refuse larger bodies with a 413"
    )
    parser.add_argument(
        "--body-timeout", type=float, default=Settings.body_timeout, help="seconds a body may take to arrive (408)"
    )
    parser.add_argument(
        "--answer", metavar="MODULE:FUNCTION", default=None, help="answer with this function of the request"
    )
    return parser


class _DroppingQueueHandler(logging.handlers.QueueHandler):
    """Hands records to the writer thread, dropping them (and counting) when it lags: the server never waits on
    stderr, even when it is a pipe nobody reads."""

    dropped = 0

    def enqueue(self, record: logging.LogRecord) -> None:
        try:
            self.queue.put_nowait(record)
        except queue.Full:
            self.dropped += 1


def _log_to_stderr() -> logging.handlers.QueueListener:
    """The emulator's INFO lines (a client gone away, ...) on stderr, written by a thread of their own."""
    records: queue.Queue[logging.LogRecord] = queue.Queue(maxsize=1_000)
    writer = logging.StreamHandler(sys.stderr)
    writer.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    listener = logging.handlers.QueueListener(records, writer)
    logger = logging.getLogger("qwen_omni.emulator")
    logger.addHandler(_DroppingQueueHandler(records))
    logger.setLevel(logging.INFO)
    logger.propagate = False
    listener.start()
    return listener


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator in the foreground; prints its base URL on stdout first."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        answer = load_answer(args.answer) if args.answer else None
    except ValueError as exc:
        parser.error(str(exc))
    emulator = Emulator(
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        audio_style=args.audio_style,
        chunk_delay=args.chunk_delay,
        first_chunk_delay=args.first_chunk_delay,
        answer_words=args.answer_words,
        rpm=args.rpm,
        rpm_window=args.rpm_window,
        per_second=args.per_second,
        burst_guard=args.burst_guard,
        quota=args.quota,
        max_body_bytes=args.max_body_bytes,
        body_timeout=args.body_timeout,
        answer=answer,
    )
    signal.signal(signal.SIGTERM, _raise_interrupt)
    listener = _log_to_stderr()
    emulator.start()
    try:
        print(emulator.base_url, flush=True)
        print("Qwen-Omni emulator running; press Ctrl-C to stop.", file=sys.stderr, flush=True)
        threading.Event().wait()
    except KeyboardInterrupt:
        print("Stopping.", file=sys.stderr, flush=True)
    finally:
        emulator.stop()
        listener.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = [
    "load_answer",
    "main",
]
