"""``qwen-omni transcribe | describe | subtitles | summarize | ask-each FILE...``: long recordings from the shell.

::

    qwen-omni transcribe meeting.mp3                      # the timestamped transcript, to stdout
    qwen-omni subtitles talk.mp4 -o subs/ --format vtt    # subs/talk.vtt
    qwen-omni summarize *.mp3 -o notes/ --rpm 60          # notes/<name>.summary.md for each
    qwen-omni ask-each call.wav --prompt "Who speaks, and about what?"   # your prompt per segment
    qwen-omni describe promo.mp4 --dry-run --prices 0.8 3.2   # the plan, its tokens and cost; nothing is sent

Each recording goes through the long-media pipeline (:mod:`qwen_omni.longmedia`): cut within every limit of
``--model``, at the quota's pace (``--rpm``, ``--tpm``), ``--concurrency`` requests in flight over all the
files, every timestamp in the whole recording's time. Every ``PlanOptions`` field and every option of the
pipeline has a flag (:mod:`qwen_omni.cli_options`: ``--overlap``, ``--channel``, ``--fps``, ``--video-as``,
``--reduce-model``, ``--retries``...). Outputs: ``<name>.transcript.md``, ``<name>.description.md``,
``<name>.summary.md``, ``<name>.answers.md``, or ``<name>.srt`` / ``<name>.vtt``, in the ``--output`` folder
(created if need be), each written as soon as its recording is done (:mod:`qwen_omni.cli_outputs`: atomically,
never over a file someone else made unless ``--overwrite``); without ``--output``, to stdout.

Nothing answered is lost: answers are cached as they arrive (by default in the user's cache folder,
:mod:`qwen_omni.cli_cache`; ``--cache DIR`` or ``--no-cache``), so after a failure, Ctrl-C or a kill the same
command sends only what is missing. Ctrl-C writes every output that is complete and says what is cached.

Before the first request every recording is probed and planned, every output checked, and the cache proven
writable: exit 2 means nothing was sent. Exit codes: 0 when every recording was read in full; 1 when a request
failed, an output is partial (with ``--on-error skip``: a segment was skipped; the outputs are still written,
and stderr names the gaps) or had to be written beside a file that appeared meanwhile; 2 for bad input; 130
when interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TextIO, assert_never

from .cli_cache import default_cache_dir, writable_cache
from .cli_checks import format_refusal, local_file, url_note
from .cli_connection import endpoint_of
from .cli_options import add_option_flags, chosen, cli_words, given
from .cli_outputs import is_ours, write_output
from .client import OmniClient
from .errors import InvalidRequestError, QwenOmniError, SegmentFailedError
from .longmedia import LongMedia, LongMediaResult, Mode, Plan, Prices, Recording, SegmentAnswer, as_recording
from .longmedia.merge import render_lines
from .longmedia.modes import clock
from .longmedia.plan import whole_file_problems
from .longmedia.progress import Progress, progress_bar
from .media import probe
from .parts import REMOTE_SCHEMES
from .ratelimit import DEFAULT_RPM, DEFAULT_TPM, RateLimiter

__all__ = ["COMMANDS", "add_commands", "long_file_advice", "output_name", "pipeline_for"]

#: Each command, its pipeline mode and what it does.
COMMANDS: dict[str, tuple[Mode, str]] = {
    "transcribe": ("transcript", "a verbatim transcript with timestamps (.transcript.md)"),
    "describe": ("description", "a timestamped description of what is seen and heard (.description.md)"),
    "subtitles": ("subtitles", "subtitles (.srt, or .vtt with --format vtt)"),
    "summarize": ("summary", "one summary of the whole recording, with times (.summary.md)"),
    "ask-each": ("custom", "your own --prompt about each segment, answers in the whole file's time (.answers.md)"),
}

#: Defaults of the command line that differ from the Python API's (a prompt's times are the whole file's).
_CLI_DEFAULTS: dict[Mode, dict[str, Any]] = {"custom": {"custom_timestamps": True}}

ClientFactory = Callable[[argparse.Namespace, TextIO, RateLimiter], contextlib.AbstractContextManager[OmniClient]]


def output_name(name: str, mode: Mode, subtitle_format: str = "srt") -> str:
    """The file a command writes for the recording ``name``.

    Example:
        >>> output_name("standup.mp3", "transcript"), output_name("talk.mp4", "subtitles", "vtt")
        ('standup.transcript.md', 'talk.vtt')
        >>> output_name("call.wav", "custom")
        'call.answers.md'
    """
    stem = Path(name).stem or name
    if mode == "subtitles":
        return f"{stem}.{subtitle_format}"
    if mode == "custom":
        return f"{stem}.answers.md"
    if mode == "transcript" or mode == "description" or mode == "summary":
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
                "summarize, ask-each), which cuts it into segments within every limit and keeps the whole file's "
                "times, or choose a model with a longer limit (`qwen-omni models --limits`)."
            )


def add_commands(
    sub: argparse._SubParsersAction,  # type: ignore[type-arg]
    connection: Callable[[argparse.ArgumentParser], None],
    client: ClientFactory,
) -> None:
    """Add the long-recording commands to ``sub`` (``connection`` adds --model and the endpoint options)."""
    for command, (mode, help_text) in COMMANDS.items():
        parser = sub.add_parser(command, help=help_text, description=help_text)
        parser.add_argument("inputs", nargs="+", metavar="FILE", help="audio or video files, or URLs")
        if mode == "custom":
            parser.add_argument("--prompt", "-p", required=True,
                                help="what to ask of each segment (it is told where the segment lies)")  # fmt: skip
        parser.add_argument("--output", "-o", metavar="DIR", help="write the outputs in this folder (else stdout)")
        if mode == "subtitles":
            parser.add_argument("--format", choices=("srt", "vtt"), default="srt", help="subtitle format")
        parser.add_argument("--overwrite", action="store_true",
                            help="replace outputs that already exist (those this command wrote and nobody changed "
                                 "are replaced anyway)")  # fmt: skip
        parser.add_argument("--dry-run", action="store_true", help="print the plan (segments, bytes, tokens)")
        parser.add_argument("--prices", nargs=2, type=float, metavar=("IN", "OUT"),
                            help="prices per million input and output tokens, for --dry-run's cost")  # fmt: skip
        parser.add_argument("--currency", default="CNY", help="the currency of --prices (default CNY)")
        parser.add_argument("--concurrency", type=int, default=4, help="requests in flight at once (default 4)")
        parser.add_argument("--rpm", type=int, default=DEFAULT_RPM, help=f"requests a minute (default {DEFAULT_RPM})")
        parser.add_argument("--tpm", type=int, default=DEFAULT_TPM, help=f"tokens a minute (default {DEFAULT_TPM})")
        keep = parser.add_mutually_exclusive_group()
        keep.add_argument("--cache", metavar="DIR",
                          help="keep answers here (default: the user's cache folder); a rerun sends only what is "
                               "missing")  # fmt: skip
        keep.add_argument("--no-cache", action="store_true", help="keep no answers (a rerun sends everything)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
        add_option_flags(parser, mode)
        connection(parser)
        parser.set_defaults(handler=_handler(command, mode, client))


def _handler(command: str, mode: Mode, client: ClientFactory) -> Callable[[argparse.Namespace, TextIO, TextIO], int]:
    def handle(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
        return _long(args, command, mode, client, out, err)

    return handle


@dataclass
class _Job:
    """One recording of the command: its plan, where its output goes, and what became of it."""

    recording: Recording
    plan: Plan
    target: Path | None
    result: LongMediaResult | None = None
    error: QwenOmniError | None = None
    written: Path | None = None
    shown: bool = False


def _recordings(inputs: Sequence[str], command: str, err: TextIO) -> list[Recording]:
    """The recordings named, each local one checked (a file, not an image, a format it can convert)."""
    recordings = []
    for item in inputs:
        if item.startswith(REMOTE_SCHEMES):
            note = url_note(item)
            if note:
                print(note, file=err)
            recordings.append(as_recording(item))
            continue
        recording = as_recording(local_file(item, command))
        info = probe(recording.source)  # an unreadable file is refused here (MediaError)
        if info.input_kind == "image":
            raise InvalidRequestError(f"{recording.name} is an image; `qwen-omni {command}` takes audio and video.")
        refusal = format_refusal(recording.name, info, converts=True)
        if refusal is not None:  # pragma: no cover - every audio and video container can be converted
            raise refusal
        recordings.append(recording)
    return recordings


def _targets(args: argparse.Namespace, recordings: list[Recording], mode: Mode) -> list[Path | None]:
    """Where each output goes (None: stdout), refusing collisions and outputs in the way before anything is sent."""
    if not args.output:
        return [None] * len(recordings)
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
    existing = [str(t) for t in targets if t.exists() and not is_ours(t)]
    if existing and not args.overwrite:
        raise InvalidRequestError(
            f"{', '.join(existing)} already exist{'s' if len(existing) == 1 else ''}; nothing was sent. Pass "
            "--overwrite to replace, or choose another --output folder."
        )
    return list(targets)


def _cache(args: argparse.Namespace) -> Path | None:
    if args.no_cache:
        return None
    if args.cache:
        return writable_cache(Path(args.cache).expanduser(), flag="--cache")
    return writable_cache(default_cache_dir(endpoint_of(args)), flag=None)


def pipeline_for(
    args: argparse.Namespace,
    mode: Mode,
    client: OmniClient,
    *,
    progress: Progress | bool = False,
    cache: Path | None = None,
) -> LongMedia:
    """The pipeline the command's flags describe, sending through ``client`` (the planner and the runner alike).

    Raises:
        InvalidRequestError: a value the options refuse, worded with its flag.
    """
    if args.concurrency < 1 or args.rpm < 1 or args.tpm < 1:
        raise InvalidRequestError("--concurrency, --rpm and --tpm must be at least 1.")
    options, chosen_settings = chosen(args)
    settings = {**_CLI_DEFAULTS.get(mode, {}), **chosen_settings}
    try:
        return LongMedia(
            client, model=args.model, options=options, concurrency=args.concurrency, cache=cache, progress=progress,
            **settings,
        )  # fmt: skip
    except ValueError as exc:
        raise InvalidRequestError(cli_words(str(exc), subject=True)) from None


def _plans(
    planner: LongMedia, recordings: list[Recording], mode: Mode, args: argparse.Namespace, err: TextIO
) -> list[Plan]:
    """Every recording probed and planned (a "probing" bar while it lasts): the last step before sending."""
    shown = not args.no_progress and not args.dry_run
    bar = progress_bar({"file": err, "unit": "file"} if shown else False, total=len(recordings), desc="probing")
    plans = []
    try:
        for recording in recordings:
            bar.set_description_str(f"probing {recording.name}")
            try:
                plans.append(planner.plan(recording, mode, prompt=getattr(args, "prompt", None)))
            except InvalidRequestError as exc:
                raise type(exc)(cli_words(str(exc))) from None
            bar.update(1)
    finally:
        bar.close()
    return plans


def _long(args: argparse.Namespace, command: str, mode: Mode, client: ClientFactory, out: TextIO, err: TextIO) -> int:
    planner = pipeline_for(args, mode, OmniClient(api_key="unused"))  # plans only: it sends nothing
    recordings = _recordings(args.inputs, command, err)
    if given(args, "duration") and all(r.url is None for r in recordings):
        print("note: --duration is for URLs (never downloaded); a file's own length is read from it.", file=err)
    plans = _plans(planner, recordings, mode, args, err)
    if args.dry_run:
        prices = Prices(args.prices[0], args.prices[1], args.currency) if args.prices else None
        for plan in plans:
            print(cli_words(plan.describe(prices)), file=out)
        return 0
    targets = _targets(args, recordings, mode)
    cache = _cache(args)
    jobs = [_Job(r, p, t) for r, p, t in zip(recordings, plans, targets, strict=True)]
    limiter = RateLimiter(rpm=args.rpm, tpm=args.tpm)
    progress = Progress(False if args.no_progress else {"file": err})
    with client(args, err, limiter) as omni:
        pipeline = pipeline_for(args, mode, omni, progress=progress, cache=cache)
        run = _Command(pipeline, progress, jobs, mode, args, cache, out, err)
        return asyncio.run(run.all())


class _Command:
    """One command's recordings run side by side (one bound on requests over them all), each output written as
    soon as its recording is done; stdout gets them in order."""

    def __init__(
        self,
        pipeline: LongMedia,
        progress: Progress,
        jobs: list[_Job],
        mode: Mode,
        args: argparse.Namespace,
        cache: Path | None,
        out: TextIO,
        err: TextIO,
    ) -> None:
        self.pipeline, self.progress, self.jobs, self.mode = pipeline, progress, jobs, mode
        self.args, self.cache, self.out, self.err = args, cache, out, err
        self.format: Literal["srt", "vtt"] = "vtt" if getattr(args, "format", "srt") == "vtt" else "srt"
        self.failed = False

    async def all(self) -> int:
        window = asyncio.Semaphore(self.pipeline.slots.limit)
        tasks = [asyncio.create_task(self._one(job, window)) for job in self.jobs]
        try:
            for job, task in zip(self.jobs, tasks, strict=True):
                await task
                self._show(job)
        except asyncio.CancelledError:  # Ctrl-C: asyncio.run cancels this task, then raises KeyboardInterrupt
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self._interrupted()
            raise
        return self._summary()

    async def _one(self, job: _Job, window: asyncio.Semaphore) -> None:
        async with window:
            if self.failed and self.pipeline.on_error == "raise":
                return  # not started: an earlier recording failed
            try:
                async for item in self.pipeline.aiter_run(
                    job.recording, self.mode, prompt=getattr(self.args, "prompt", None),
                    subtitle_format=self.format, plan=job.plan,
                ):  # fmt: skip
                    if isinstance(item, LongMediaResult):
                        job.result = item
            except QwenOmniError as exc:
                self.failed = True
                job.error = exc
                return
        if job.result is not None and job.target is not None:
            try:
                job.written = write_output(job.target, _rendered(job.result, self.mode), overwrite=self.args.overwrite)
            except OSError as exc:
                job.error = QwenOmniError(f"{job.target} could not be written: {exc}")

    def _show(self, job: _Job) -> None:
        """Report one recording, in order: its output (to stdout, or where it was written), notes, errors."""
        if job.shown:
            return
        job.shown = True
        name = job.recording.name
        if job.error is not None:
            print(f"error: {self._failure_text(job.error)}", file=self.err)
            return
        if job.result is None:
            print(f"{name}: not started (an earlier recording failed)", file=self.err)
            return
        result = job.result
        if job.target is None:
            if len(self.jobs) > 1:
                print(f"==> {name} <==", file=self.out)
            print(_rendered(result, self.mode), file=self.out, flush=True)
        elif job.written is not None:
            cached = sum(1 for a in result.answers if a.cached)
            from_cache = f", {cached} from the cache" if cached else ""
            print(f"[{name}] wrote {job.written} ({result.requests} request(s){from_cache})", file=self.err)
            if job.written != job.target:
                print(
                    f"[{name}] note: {job.target} appeared while this command ran and was left as it is; the output "
                    f"went to {job.written} instead (--overwrite replaces)",
                    file=self.err,
                )
        for note in result.notes:
            print(f"[{name}] note: {cli_words(note)}", file=self.err)

    def _failure_text(self, error: QwenOmniError) -> str:
        if isinstance(error, SegmentFailedError) and isinstance(error.partial, LongMediaResult):
            failed = next((s for s in error.partial.skipped if s.index == error.segment), None)
            if failed is not None:
                return f"{error.recording}: {failed.describe()}"
        return cli_words(str(error))

    def _missing(self, job: _Job) -> int:
        if job.result is not None:
            return len(job.result.skipped) + sum(1 for a in job.result.answers if a.truncated)
        run = self.progress.get(job.recording)
        missing = run.missing if run is not None else None
        return len(job.plan.segments) if missing is None else missing

    def _rerun(self, missing: int) -> str:
        segments = f"{missing} missing segment{'s' if missing != 1 else ''}"
        if self.cache is None:
            return (
                f"{segments}; with --no-cache no answer was kept, so a rerun sends every segment again "
                "(drop --no-cache to keep them)"
            )
        return f"answers are cached in {self.cache}: rerun the same command to send only the {segments}"

    def _summary(self) -> int:
        code = 0
        for job in self.jobs:
            if job.error is not None or job.result is None or not _whole(job.result) or job.written != job.target:
                code = 1
        missing = sum(self._missing(job) for job in self.jobs)
        if code and missing:
            tail = " (or pass --on-error skip to write the outputs with their gaps noted)"
            skip = tail if self.pipeline.on_error == "raise" else ""
            print(f"{self._rerun(missing)}{skip}.", file=self.err)
        return code

    def _interrupted(self) -> None:
        """After Ctrl-C: every output that is complete is out; say what is cached and what a rerun sends."""
        for job in self.jobs:
            if job.result is not None:
                self._show(job)
        missing = 0
        for job in self.jobs:
            name = job.recording.name
            if job.result is not None:
                where = f" ({job.written})" if job.written is not None else ""
                print(f"[interrupted] {name}: complete{where}", file=self.err)
                continue
            run = self.progress.get(job.recording)
            answered = run.answered if run is not None else 0
            missing += self._missing(job)
            print(f"[interrupted] {name}: {answered} of {len(job.plan.segments)} segment(s) answered", file=self.err)
        if missing:
            print(f"[interrupted] {self._rerun(missing)}.", file=self.err)


def _whole(result: LongMediaResult) -> bool:
    """True when the output covers the whole recording (no segment skipped or cut, no stretch unread)."""
    return not result.partial


def _answer_block(answer: SegmentAnswer) -> list[str]:
    """A custom prompt's answer under its segment's span, its times in the whole recording's time: the pipeline's
    own rewrite when it has one, else its timed lines (the raw text when they hold no time)."""
    text = answer.recording_text
    if not text:
        timed = answer.lines and all(line.start is not None for line in answer.lines)
        text = render_lines(answer.lines, "description") if timed else answer.text
    return [f"## {clock(answer.start)} - {clock(answer.end)}", "", text.strip(), ""]


def _rendered(result: LongMediaResult, mode: Mode) -> str:
    """The output file's content: the subtitles as they are; the others as Markdown, with a title and notes."""
    if mode == "subtitles":
        return result.text
    title = {"transcript": "transcript", "description": "description", "summary": "summary", "custom": "answers"}
    parts = [f"# {result.name}: {title[mode]}", ""]
    if mode == "custom":
        parts += [block for answer in result.answers for block in _answer_block(answer)]
    elif mode == "summary" or not result.lines:
        parts.append(result.text)
    else:
        style: Literal["caption", "description"] = "description" if mode == "description" else "caption"
        parts += [f"- {line}" for line in render_lines(result.lines, style).splitlines()]
    if result.notes:
        parts += ["", "## Notes", ""] + [f"- {cli_words(note)}" for note in result.notes]
    return "\n".join(parts) + "\n"
