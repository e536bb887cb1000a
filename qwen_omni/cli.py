"""The ``qwen-omni`` command.

::

    qwen-omni ask FILE_OR_URL... --prompt TEXT [--model M] [--speak OUT.wav] [--think] [--search] [--offline]
    qwen-omni transcribe | describe | subtitles | summarize FILE... [-o DIR] [--dry-run] [--rpm N] ...
    qwen-omni ask-each FILE... --prompt TEXT [-o DIR] ...
    qwen-omni samples DIR
    qwen-omni talk FILE [--speak OUT.wav] [--model M] [--realtime-factor 1] [--tools MODULE:FUNCTION]
    qwen-omni demo [--model M] [--out DIR]
    qwen-omni emulator [--port N] [--host H] [--api-key KEY] [--answer MODULE:FUNCTION]
    qwen-omni models

The answer is printed to stdout as it arrives; reasoning, usage and notes go to stderr, so
``qwen-omni ask clip.mp4 --prompt "Summarise" > summary.txt`` keeps only the answer. Without
``DASHSCOPE_API_KEY`` (or with ``--offline``) requests go to an in-process emulator, and stderr says so.
The long-recording commands are in :mod:`qwen_omni.cli_longmedia`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from .cli_checks import format_refusal, local_file, model_note, url_note
from .cli_connection import client_for
from .cli_longmedia import add_commands, long_file_advice
from .cli_options import option_value
from .cli_samples import add_command as add_samples_command
from .cli_talk import add_talk_command
from .client import OmniClient
from .endpoints import ALL_REGIONS, region_names
from .errors import InvalidRequestError, QwenOmniError
from .parts import (
    REMOTE_SCHEMES,
    AudioPart,
    ImagePart,
    Part,
    TextPart,
    VideoFramesPart,
    VideoPart,
    kind_from_name,
    media_part,
)
from .profiles import (
    DEFAULT_MODEL,
    KNOWN_MODELS,
    UNDOCUMENTED_MEDIA,
    Capability,
    MediaLimits,
    ModelProfile,
    UnknownModelWarning,
    format_bytes,
    format_seconds,
    get_profile,
    models_for,
)
from .request import Message, RequestOptions
from .stream import OmniResult, ReasoningDelta, TextDelta, Usage


def part_for(source: str) -> Part:
    """The part for a file path or URL, by what the file is (probed) or, for a URL, by its extension.

    Raises:
        InvalidRequestError: a URL whose kind its name does not tell, a folder, a missing file, or a format the
            API does not take (pointing to ``qwen-omni transcribe``, which converts it).

    Example:
        >>> type(part_for("https://example.com/talk.mp3")).__name__
        'AudioPart'
    """
    if source.startswith(REMOTE_SCHEMES):
        kind = kind_from_name(source)
        if kind is None:
            raise InvalidRequestError(
                f"Cannot tell whether {source!r} is an image, audio or video from its name; "
                "download it, or use the Python API with ImagePart/AudioPart/VideoPart."
            )
        return media_part(kind, source)
    from .media import probe

    path = local_file(source, "ask")
    info = probe(path)
    refusal = format_refusal(path.name, info, converts=False)
    if refusal is not None:
        raise refusal
    return media_part(info.input_kind, path)


def _format_usage(usage: Usage | None) -> str:
    if usage is None:
        return "usage: not reported"

    def details(values: dict[str, int]) -> str:
        shown = ", ".join(f"{k.removesuffix('_tokens')} {v}" for k, v in values.items() if v)
        return f" ({shown})" if shown else ""

    return (
        f"usage: {usage.prompt_tokens} in{details(usage.prompt_tokens_details)}, "
        f"{usage.completion_tokens} out{details(usage.completion_tokens_details)}, {usage.total_tokens} total"
    )


def run_request(
    client: OmniClient,
    parts: Sequence[Part],
    options: RequestOptions,
    *,
    out: TextIO,
    err: TextIO,
    speak_to: Path | None = None,
) -> OmniResult:
    """Stream one request: answer to ``out`` as it arrives, reasoning set apart on ``err``, then usage."""
    thinking = False
    with client.stream([Message("user", list(parts))], options) as stream:  # a closed stdout hangs up at once
        for delta in stream:
            if isinstance(delta, ReasoningDelta):
                if not thinking:
                    print("[thinking] ", end="", file=err)
                    thinking = True
                print(delta.text, end="", file=err, flush=True)
            elif isinstance(delta, TextDelta):
                if thinking:
                    print("\n[/thinking]", file=err, flush=True)
                    thinking = False
                print(delta.text, end="", file=out, flush=True)
    print(file=out)
    result = stream.result
    if speak_to is not None:
        if not result.audio:
            raise QwenOmniError("The answer came without audio, so nothing was written.")
        speak_to.write_bytes(result.wav())
        print(f"[audio] wrote {speak_to} ({result.audio_seconds:.2f} s)", file=err)
    print(f"[{_format_usage(result.usage)}; finish: {result.finish_reason}]", file=err)
    return result


def _ask(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    parts: list[Part] = [part_for(s) for s in args.inputs]
    for note in filter(None, (url_note(s) for s in args.inputs)):
        print(note, file=err)
    long_file_advice(args.inputs, args.model)
    parts.append(TextPart(args.prompt))
    options = RequestOptions(
        model=args.model,
        modalities=["text", "audio"] if args.speak else None,
        voice=args.voice,
        enable_thinking=True if args.think else None,
        enable_search=True if args.search else None,
    )
    with client_for(args, err) as client:
        run_request(client, parts, options, out=out, err=err, speak_to=Path(args.speak) if args.speak else None)
    return 0


def _demo(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .media import sample_frames
    from .samples import write_samples

    with contextlib.ExitStack() as stack:
        folder = Path(args.out) if args.out else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        folder.mkdir(parents=True, exist_ok=True)
        files = write_samples(folder)
        print(f"[demo] sample clip, image and sound written to {folder}", file=err)
        client = stack.enter_context(client_for(args, err))
        model = args.model
        steps: list[tuple[str, list[Part], RequestOptions]] = [
            ("image", [ImagePart(files["image"]), TextPart("What is in this picture?")], RequestOptions(model=model)),
            ("audio", [AudioPart(files["audio"]), TextPart("What do you hear?")], RequestOptions(model=model)),
            ("video", [VideoPart(files["video"], fps=2), TextPart("Describe this clip.")], RequestOptions(model=model)),
            (
                "video as frames",
                [VideoFramesPart(sample_frames(files["video"], count=4)), TextPart("What changes between frames?")],
                RequestOptions(model=model),
            ),
            (
                "spoken answer",
                [TextPart("Say hello in one short sentence.")],
                RequestOptions(model=model, modalities=["text", "audio"]),
            ),
        ]
        speech = folder / "answer.wav"
        for title, parts, options in steps:
            print(f"\n== {title} ==", file=out, flush=True)
            run_request(client, parts, options, out=out, err=err, speak_to=speech if options.wants_audio else None)
    return 0


def _emulator(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    from .emulator.__main__ import main as emulator_main

    argv = ["--port", str(args.port), "--host", args.host]
    if args.api_key:
        argv += ["--api-key", args.api_key]
    if args.answer:
        argv += ["--answer", args.answer]
    return emulator_main(argv)


def _features(p: ModelProfile) -> str:
    thinking = "thinking (default on)" if p.thinking_by_default else "thinking"
    flags = ((thinking, p.supports_thinking), ("search", p.supports_search), ("tools", p.supports_tools),
             ("speech", p.supports_audio_output))  # fmt: skip
    return " ".join(name for name, on in flags if on) or "-"


def _media(kind: str, limits: MediaLimits) -> str:
    if limits == UNDOCUMENTED_MEDIA:
        return f"{kind} undocumented"
    files = limits.max_files
    shown = [
        f"{files} file{'s' if files != 1 else ''}" if files is not None else None,
        format_bytes(limits.max_bytes) if limits.max_bytes is not None else None,
        format_seconds(limits.max_seconds) if limits.max_seconds is not None else None,
    ]
    return f"{kind} {', '.join(x for x in shown if x)}"


def _limits(p: ModelProfile) -> str:
    thinking_input = f" ({p.max_input_tokens_thinking:,} thinking)" if p.max_input_tokens_thinking else ""
    frames = f"{p.frames_min}-{p.frames_max}" if p.frames_min is not None else "undocumented"
    sampling = (
        f"temperature {p.default_temperature:g}, top_p {p.default_top_p:g}"
        if p.default_temperature is not None and p.default_top_p is not None
        else "sampling defaults undocumented"
    )
    voice = f"voice {p.default_voice} ({len(p.voices)}{'' if p.voices_complete else '+'} known)"
    media = "; ".join(_media(kind, p.media(kind)) for kind in ("video", "audio", "image"))
    lines = [
        f"input {p.max_input_tokens:,}{thinking_input}, output {p.min_max_tokens}-{p.max_output_tokens:,} tokens",
        f"{media}; frames {frames}",
        f"{voice if p.supports_audio_output else 'text output only'}; {sampling}",
        f"regions: {', '.join(p.regions)}",
    ]
    if p.undocumented:
        lines.append(f"undocumented: {', '.join(sorted(p.undocumented))}")
    return "".join(f"\n    {line}" for line in lines)


def _models(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    for name in KNOWN_MODELS:
        p = get_profile(name)
        line = f"{name:32} {p.series.value:18} context {p.context_window:>9,}  {_features(p)}"
        print(line + (_limits(p) if args.limits else ""), file=out)
    print("Dated snapshots (NAME-YYYY-MM-DD) and NAME-latest of these series get their series' limits.", file=out)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``qwen-omni``."""
    parser = argparse.ArgumentParser(prog="qwen-omni", description="Ask Qwen-Omni about images, audio and video.")
    sub = parser.add_subparsers(dest="command", required=True)

    def connection(p: argparse.ArgumentParser) -> None:
        p.add_argument("--model", default=DEFAULT_MODEL, help=f"model name (default {DEFAULT_MODEL})")
        p.add_argument("--offline", action="store_true", help="use the local emulator even if a key is set")
        p.add_argument("--base-url", help="API base URL (default: DASHSCOPE_BASE_URL or the region's)")
        regions = ", ".join(f"{r.name} ({r.code})" for r in ALL_REGIONS)
        p.add_argument("--region", choices=region_names(), metavar="REGION", help=f"API region: {regions}")
        p.add_argument(
            "--workspace-id",
            help="Model Studio workspace ID: use its endpoint in --region (default: DASHSCOPE_WORKSPACE_ID)",
        )

    ask = sub.add_parser("ask", help="ask about files or URLs; the answer streams to stdout")
    ask.add_argument("inputs", nargs="*", metavar="FILE_OR_URL", help="images, audio or video (paths or URLs)")
    ask.add_argument("--prompt", "-p", required=True, help="the question")
    ask.add_argument("--speak", metavar="OUT.wav", help="also answer aloud, written to this WAV file")
    ask.add_argument("--voice", help="voice for --speak (default: the model's)")
    ask.add_argument("--think", action="store_true",
                     help=f"thinking mode ({', '.join(models_for(Capability.THINKING))})")  # fmt: skip
    ask.add_argument("--search", action="store_true",
                     help=f"web search ({', '.join(models_for(Capability.WEB_SEARCH))})")  # fmt: skip
    connection(ask)
    ask.set_defaults(handler=_ask)

    demo = sub.add_parser("demo", help="make sample media and ask about each kind, offline without a key")
    demo.add_argument("--out", help="keep the sample files and the spoken answer in this folder")
    connection(demo)
    demo.set_defaults(handler=_demo)

    emu = sub.add_parser("emulator", help="serve the local DashScope emulator")
    emu.add_argument("--port", type=int, default=8000)
    emu.add_argument("--host", default="127.0.0.1")
    emu.add_argument("--api-key", help="require this key (default: accept any)")
    emu.add_argument("--answer", metavar="MODULE:FUNCTION", help="answer with this function of the request")
    emu.set_defaults(handler=_emulator)

    add_commands(sub, connection, client_for)
    add_samples_command(sub)
    add_talk_command(sub, connection, client_for)

    models = sub.add_parser("models", help="list the known models and what they support")
    models.add_argument("--limits", action="store_true", help="also print each model's documented limits")
    models.set_defaults(handler=_models)
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command; returns the exit code (0 ok, 1 API or network error, 2 bad input, 141 stdout closed)."""
    out = out or sys.stdout
    err = err or sys.stderr
    args = build_parser().parse_args(argv)
    models = dict.fromkeys(m for m in (getattr(args, "model", None), option_value(args, "reduce_model")) if m)
    for note in filter(None, map(model_note, models)):
        print(note, file=err)  # once, as a note: the core's UnknownModelWarning would repeat it with a source line
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UnknownModelWarning)
            code: int = args.handler(args, out, err)
    except InvalidRequestError as exc:
        print(f"error: {exc}", file=err)
        return 2
    except QwenOmniError as exc:
        print(f"error: {exc}", file=err)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=err)
        return 130
    except BrokenPipeError:  # the reader of stdout went away (`qwen-omni ask ... | head -1`): stop quietly
        if out is sys.stdout:
            _silence_stdout()
        return EXIT_BROKEN_PIPE
    return code


#: The shell's code for a command stopped by SIGPIPE (128 + 13).
EXIT_BROKEN_PIPE = 141


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that the interpreter's final flush does not fail on the closed pipe."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


if __name__ == "__main__":
    raise SystemExit(main())


__all__ = [
    "build_parser",
    "main",
    "part_for",
    "run_request",
]
