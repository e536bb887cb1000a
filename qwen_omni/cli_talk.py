"""``qwen-omni talk FILE.wav``: a recording streamed to a realtime model as if spoken live, the conversation printed.

::

    qwen-omni talk question.wav                         # offline without DASHSCOPE_API_KEY (the local emulator)
    qwen-omni talk call.mp3 --speak answers.wav --realtime-factor 2
    qwen-omni talk question.wav --tools mytools:get_weather

Each turn is printed as it ends (``you:`` with the server's transcript, ``model:`` with the answer, tool calls and
their outputs, barge-ins); ``--speak`` writes every spoken answer, one after the other, as a WAV file. The command
ends once the recording was sent and the last answer (and its tools) are done. Exit codes as ``qwen-omni ask``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from .audio import pcm16_to_wav
from .client import OmniClient
from .errors import APITimeoutError, InvalidRequestError
from .realtime import (
    DEFAULT_REALTIME_MODEL,
    OUTPUT_SAMPLE_RATE,
    BargeIn,
    InputTranscriptDone,
    RealtimeSession,
    RealtimeTool,
    ResponseDone,
    SessionConfig,
    SessionRenewed,
    ToolCall,
    ToolResult,
    read_audio_file,
)

__all__ = ["add_talk_command", "load_tools"]

ClientFactory = Callable[[argparse.Namespace, TextIO], contextlib.AbstractContextManager[OmniClient]]
#: Seconds of silence sent after the recording, so that server VAD ends its last turn.
TRAILING_SILENCE = 1.5
#: Seconds without an event, once everything is sent and answered, after which the conversation is over.
LINGER = 1.0


def load_tools(specs: list[str]) -> list[RealtimeTool]:
    """The tools named ``module:function`` (a function, or a list of functions), for ``--tools``."""
    tools: list[RealtimeTool] = []
    for spec in specs:
        module_name, _, name = spec.partition(":")
        if not module_name or not name:
            raise InvalidRequestError(f"--tools takes MODULE:FUNCTION; got {spec!r}.")
        try:
            value = getattr(importlib.import_module(module_name), name)
        except (ImportError, AttributeError) as exc:
            raise InvalidRequestError(f"--tools {spec}: {exc}") from None
        for function in value if isinstance(value, list | tuple) else [value]:
            tools.append(function if isinstance(function, RealtimeTool) else RealtimeTool.from_function(function))
    return tools


async def _talk(args: argparse.Namespace, client: OmniClient, out: TextIO, err: TextIO) -> None:
    pcm = read_audio_file(Path(args.file)) + b"\x00\x00" * int(16_000 * TRAILING_SILENCE)
    config = SessionConfig(voice=args.voice, instructions=args.instructions, tools=load_tools(args.tools or []))
    spoken = bytearray()
    async with RealtimeSession.connect(args.model, config, client=client) as session:
        sender = asyncio.create_task(session.send_audio(pcm, realtime_factor=args.realtime_factor or None))
        loop = asyncio.get_running_loop()
        last = loop.time()
        try:
            while True:
                tracker = session._tracker
                idle = sender.done() and tracker.active is None and not tracker.calls and not tracker.pending
                if idle and loop.time() - last > LINGER:
                    break
                try:
                    event = await session.next_event(timeout=0.25)
                except APITimeoutError:
                    continue
                last = loop.time()
                if event is None:
                    break
                _show(event, out, err, spoken)
            await sender
        finally:
            sender.cancel()
    if args.speak:
        wav = pcm16_to_wav(bytes(spoken), sample_rate=OUTPUT_SAMPLE_RATE)
        await asyncio.to_thread(Path(args.speak).write_bytes, wav)
        print(f"[talk] spoken answers written to {args.speak}", file=err)


def _show(event: Any, out: TextIO, err: TextIO, spoken: bytearray) -> None:
    match event:
        case InputTranscriptDone(transcript=text):
            print(f"you: {text}", file=out, flush=True)
        case ToolCall(name=name, raw_arguments=arguments):
            print(f"[tool] {name}({arguments.strip()})", file=err, flush=True)
        case ToolResult(name=name, output=output):
            print(f"[tool] {name} -> {output}", file=err, flush=True)
        case BargeIn():
            print("[barge-in] the answer was interrupted", file=err, flush=True)
        case SessionRenewed(reason=reason):
            print(f"[session] renewed ({reason})", file=err, flush=True)
        case ResponseDone(answer=answer):
            spoken += answer.pcm
            if answer.said:
                print(f"model: {answer.said}" + ("" if answer.complete else f" [{answer.status}]"), file=out,
                      flush=True)  # fmt: skip
        case _:
            pass


def add_talk_command(sub: argparse._SubParsersAction, connection: Callable[[argparse.ArgumentParser], None],  # type: ignore[type-arg]
                     client: ClientFactory) -> None:  # fmt: skip
    """Add ``talk`` to ``sub`` (``connection`` adds --model and the endpoint options)."""
    parser = sub.add_parser("talk", help="stream a recording to a realtime model as if live; print the conversation")
    parser.add_argument("file", metavar="FILE", help="a recording (WAV, MP3, or any audio or video)")
    parser.add_argument("--speak", metavar="OUT.wav", help="write the spoken answers to this WAV file")
    parser.add_argument("--realtime-factor", type=float, default=1.0,
                        help="pace of the recording: 1 real time (default), 2 twice as fast, 0 unpaced")  # fmt: skip
    parser.add_argument("--tools", action="append", metavar="MODULE:FUNCTION",
                        help="a function (or list of functions) the model may call; repeatable")  # fmt: skip
    parser.add_argument("--voice", help="the voice of the answers (default: the model's)")
    parser.add_argument("--instructions", help="the system prompt")
    connection(parser)
    parser.set_defaults(model=DEFAULT_REALTIME_MODEL)
    for action in parser._actions:
        if action.dest == "model":
            action.help = f"realtime model (default {DEFAULT_REALTIME_MODEL})"

    def handle(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
        if not Path(args.file).is_file():
            raise InvalidRequestError(f"{args.file!r} is not an existing file.")
        with client(args, err) as chat:
            asyncio.run(_talk(args, chat, out, err))
        return 0

    parser.set_defaults(handler=handle)
