"""``qwen-omni transcribe | describe | subtitles | summarize FILE...``: long recordings from the command line.

::

    qwen-omni transcribe meeting.mp3                      # the timestamped transcript, to stdout
    qwen-omni subtitles talk.mp4 -o subs/ --format vtt    # subs/talk.vtt
    qwen-omni summarize *.mp3 -o notes/ --rpm 60          # notes/<name>.summary.md for each
    qwen-omni describe promo.mp4 --dry-run --prices 0.8 3.2   # the plan, its tokens and cost; nothing is sent

Each recording goes through the long-media pipeline (:mod:`qwen_omni.longmedia`): cut within every limit of
``--model``, at the quota's pace (``--rpm``, ``--tpm``), ``--concurrency`` requests in flight over all the
files, every timestamp in the whole recording's time. Outputs: ``<name>.transcript.md``,
``<name>.description.md``, ``<name>.summary.md``, or ``<name>.srt`` / ``<name>.vtt``, in the ``--output``
folder (created if need be), each written (atomically) as soon as its recording is done; without ``--output``,
to stdout. An output that already exists is never overwritten: the command refuses before sending anything,
unless ``--overwrite``. Progress bars and notes go to stderr.

Exit codes: 0 when every recording was read in full; 1 when a request failed (with ``--on-error skip``: when
any segment was skipped; the outputs are still written, and stderr names the gaps); 2 for bad input
(a missing or unreadable file, an output in the way), before anything is sent.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Literal, TextIO, assert_never

from .client import OmniClient
from .errors import InvalidRequestError, QwenOmniError, SegmentFailedError
from .longmedia import LongMedia, LongMediaResult, Mode, PlanOptions, Prices, Recording, as_recording
from .longmedia.merge import render_lines
from .longmedia.plan import whole_file_problems
from .media import probe
from .parts import REMOTE_SCHEMES
from .ratelimit import DEFAULT_RPM, DEFAULT_TPM, RateLimiter

__all__ = ["COMMANDS", "add_commands", "long_file_advice", "output_name"]

#: Each command, its pipeline mode and what it does.
COMMANDS: dict[str, tuple[Mode, str]] = {
    "transcribe": ("transcript", "a verbatim transcript with timestamps (.transcript.md)"),
    "describe": ("description", "a timestamped description of what is seen and heard (.description.md)"),
    "subtitles": ("subtitles", "subtitles (.srt, or .vtt with --format vtt)"),
    "summarize": ("summary", "one summary of the whole recording, with times (.summary.md)"),
}

ClientFactory = Callable[[argparse.Namespace, TextIO, RateLimiter], contextlib.AbstractContextManager[OmniClient]]


def output_name(name: str, mode: Mode, subtitle_format: str = "srt") -> str:
    """The file a command writes for the recording ``name``.

    Example:
        >>> output_name("standup.mp3", "transcript"), output_name("talk.mp4", "subtitles", "vtt")
        ('standup.transcript.md', 'talk.vtt')
    """
    stem = Path(name).stem or name
    if mode == "subtitles":
        return f"{stem}.{subtitle_format}"
    if mode == "transcript" or mode == "description" or mode == "summary" or mode == "custom":
        return f"{stem}.{mode}.md"
    assert_never(mode)


def long_file_advice(sources: Sequence[str], model: str) -> None:
    """Refuse, pointing to the long-media commands, a local file ``qwen-omni ask`` cannot send in one request.

    Raises:
        InvalidRequestError: a file is too long or too large for one request to ``model``.
    """
    for source in sources:
        if source.startswith(REMOTE_SCHEMES) or not Path(source).expanduser().is_file():
            continue
        problems = whole_file_problems(as_recording(source), model)
        if problems:
            name = Path(source).name
            raise InvalidRequestError(
                f"{name} cannot be sent to {model} in one request: {'; '.join(problems)}. `qwen-omni ask` sends "
                f"each file whole; for a long recording use `qwen-omni transcribe {name}` (or describe, subtitles, "
                "summarize), which cuts it into segments within every limit and keeps the whole file's times, or "
                "choose a model with a longer limit (`qwen-omni models --limits`)."
            )


def add_commands(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    connection: Callable[[argparse.ArgumentParser], None],
    client: ClientFactory,
) -> None:
    """Add the four commands to ``sub`` (``connection`` adds --model and the endpoint options)."""
    for command, (mode, help_text) in COMMANDS.items():
        parser = sub.add_parser(command, help=help_text)
        parser.add_argument("inputs", nargs="+", metavar="FILE", help="audio or video files, or URLs")
        parser.add_argument("--output", "-o", metavar="DIR", help="write the outputs in this folder (else stdout)")
        if mode == "subtitles":
            parser.add_argument("--format", choices=("srt", "vtt"), default="srt", help="subtitle format")
        parser.add_argument("--overwrite", action="store_true", help="replace outputs that already exist")
        parser.add_argument("--dry-run", action="store_true", help="print the plan (segments, bytes, tokens)")
        parser.add_argument("--prices", nargs=2, type=float, metavar=("IN", "OUT"),
                            help="prices per million input and output tokens, for --dry-run's cost")  # fmt: skip
        parser.add_argument("--currency", default="CNY", help="the currency of --prices (default CNY)")
        parser.add_argument("--concurrency", type=int, default=4, help="requests in flight at once (default 4)")
        parser.add_argument("--rpm", type=int, default=DEFAULT_RPM, help=f"requests a minute (default {DEFAULT_RPM})")
        parser.add_argument("--tpm", type=int, default=DEFAULT_TPM, help=f"tokens a minute (default {DEFAULT_TPM})")
        parser.add_argument("--cache", metavar="DIR", help="keep answers here; a rerun sends only what is missing")
        parser.add_argument("--on-error", choices=("raise", "skip"), default="raise",
                            help="stop at a failed segment (raise), or note it and go on (skip)")  # fmt: skip
        parser.add_argument("--segment-seconds", type=float, help="cut segments of at most this many seconds")
        parser.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
        connection(parser)
        parser.set_defaults(handler=_handler(mode, client))


def _handler(mode: Mode, client: ClientFactory) -> Callable[[argparse.Namespace, TextIO, TextIO], int]:
    def handle(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
        return _long(args, mode, client, out, err)

    return handle


def _recordings(inputs: Sequence[str]) -> list[Recording]:
    """The recordings named, each local one checked (it exists, its headers read) before anything is sent."""
    recordings = []
    for item in inputs:
        if item.startswith(REMOTE_SCHEMES):
            recordings.append(as_recording(item))
            continue
        recording = as_recording(Path(item))  # a missing file is refused here (MediaError)
        if probe(recording.source).input_kind == "image":
            raise InvalidRequestError(f"{recording.name} is an image; these commands take audio and video.")
        recordings.append(recording)
    return recordings


def _targets(args: argparse.Namespace, recordings: list[Recording], mode: Mode) -> list[Path] | None:
    """Where each output goes (None: stdout), refusing collisions and outputs in the way before anything is sent."""
    if not args.output:
        return None
    folder = Path(args.output).expanduser()
    if folder.exists() and not folder.is_dir():
        raise InvalidRequestError(f"--output {folder} is a file; give a folder (it is created if need be).")
    targets = [folder / output_name(r.name, mode, getattr(args, "format", "srt")) for r in recordings]
    seen: dict[Path, str] = {}
    for recording, target in zip(recordings, targets, strict=True):
        if target in seen:
            raise InvalidRequestError(
                f"{seen[target]} and {recording.name} would both be written to {target}; rename one, or run them "
                "into different --output folders."
            )
        seen[target] = recording.name
    existing = [str(t) for t in targets if t.exists()]
    if existing and not args.overwrite:
        raise InvalidRequestError(
            f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; nothing was sent. Pass "
            "--overwrite to replace, or choose another --output folder."
        )
    return targets


def _options(args: argparse.Namespace) -> PlanOptions:
    if args.segment_seconds is not None and args.segment_seconds <= 0:
        raise InvalidRequestError(f"--segment-seconds must be positive; got {args.segment_seconds}.")
    return PlanOptions(segment_seconds=args.segment_seconds)


def _long(args: argparse.Namespace, mode: Mode, client: ClientFactory, out: TextIO, err: TextIO) -> int:
    if args.concurrency < 1 or args.rpm < 1 or args.tpm < 1:
        raise InvalidRequestError("--concurrency, --rpm and --tpm must be at least 1.")
    recordings = _recordings(args.inputs)
    options = _options(args)
    if args.dry_run:
        planner = LongMedia(OmniClient(api_key="unused"), model=args.model, options=options)
        prices = Prices(args.prices[0], args.prices[1], args.currency) if args.prices else None
        for recording in recordings:
            plan = planner.dry_run(recording, mode, prices=prices)
            print(plan.replace("(pass prices= for a cost", "(pass --prices IN OUT for a cost"), file=out)
        return 0
    targets = _targets(args, recordings, mode)
    limiter = RateLimiter(rpm=args.rpm, tpm=args.tpm)
    progress: bool | dict[str, object] = False if args.no_progress else {"file": err}
    with client(args, err, limiter) as omni:
        pipeline = LongMedia(
            omni, model=args.model, options=options, concurrency=args.concurrency, on_error=args.on_error,
            cache=args.cache, progress=progress,
        )  # fmt: skip
        return asyncio.run(_run_all(pipeline, recordings, mode, args, targets, out, err))


async def _run_all(
    pipeline: LongMedia,
    recordings: list[Recording],
    mode: Mode,
    args: argparse.Namespace,
    targets: list[Path] | None,
    out: TextIO,
    err: TextIO,
) -> int:
    window = asyncio.Semaphore(pipeline.slots.limit)
    failures: list[QwenOmniError] = []
    fmt: Literal["srt", "vtt"] = "vtt" if getattr(args, "format", "srt") == "vtt" else "srt"

    async def one(recording: Recording) -> LongMediaResult | QwenOmniError | None:
        async with window:
            if failures and pipeline.on_error == "raise":
                return None  # not started: an earlier recording failed
            try:
                return await pipeline.arun(recording, mode, subtitle_format=fmt)
            except QwenOmniError as exc:
                failures.append(exc)
                return exc

    tasks = [asyncio.create_task(one(r)) for r in recordings]
    code = 0
    for number, (recording, task) in enumerate(zip(recordings, tasks, strict=True)):
        outcome = await task
        if outcome is None:
            print(f"{recording.name}: not started (an earlier recording failed)", file=err)
            code = max(code, 1)
            continue
        if isinstance(outcome, QwenOmniError):
            print(f"error: {outcome}", file=err)
            cause = outcome.cause if isinstance(outcome, SegmentFailedError) else outcome
            code = max(code, 2 if isinstance(cause, InvalidRequestError) else 1)
            continue
        text = _rendered(outcome, mode)
        if targets is None:
            if len(recordings) > 1:
                print(f"==> {recording.name} <==", file=out)
            print(text, file=out, flush=True)
        else:
            _write(targets[number], text)
            print(f"[{recording.name}] wrote {targets[number]} ({outcome.requests} request(s))", file=err)
        for note in outcome.notes:
            print(f"[{recording.name}] note: {note}", file=err)
        if not outcome.complete:
            code = max(code, 1)
    return code


def _rendered(result: LongMediaResult, mode: Mode) -> str:
    """The output file's content: the subtitles as they are; the others as Markdown, with a title and notes."""
    if mode == "subtitles":
        return result.text
    title = {"transcript": "transcript", "description": "description", "summary": "summary", "custom": "answers"}
    parts = [f"# {result.name}: {title[mode]}", ""]
    if mode == "summary" or not result.lines:
        parts.append(result.text)
    else:
        style: Literal["caption", "description"] = "description" if mode == "description" else "caption"
        parts += [f"- {line}" for line in render_lines(result.lines, style).splitlines()]
    if result.notes:
        parts += ["", "## Notes", ""] + [f"- {note}" for note in result.notes]
    return "\n".join(parts) + "\n"


def _write(target: Path, text: str) -> None:
    """Write ``text`` to ``target`` atomically (a crash never leaves half a file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with _temporary(target) as temporary:
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)


@contextlib.contextmanager
def _temporary(target: Path) -> Iterator[Path]:
    handle, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    try:
        yield Path(name)
    finally:
        Path(name).unlink(missing_ok=True)
