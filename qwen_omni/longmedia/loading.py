"""Many recordings into documents, at the quota's pace, losing nothing: the engine of the reader and the loader.

:func:`aload_documents` reads each recording through one :class:`~.runner.LongMedia` and gives its documents in the
order the recordings were given, each as soon as it and all before it are ready. Several recordings are read
at once (as many as the pipeline has request slots), and every request of every recording shares the
pipeline's bound on requests in flight and its client's rate limiter: the bound is the pipeline's, not one
call's, so callers that run several loads at once (``SimpleDirectoryReader.aload_data``) stay within it.

Failures:

- A path that does not exist is bad input: with ``on_error="raise"`` it raises before any request is sent.
- With ``on_error="skip"`` nothing stops the load: a recording that cannot be read gives one empty document
  whose ``error`` says why, and a segment that fails an empty document in its place (:mod:`.documents`).
- With ``on_error="raise"`` the first failure stops new recordings from starting; those already being read
  finish; then :class:`~qwen_omni.errors.LoadFailedError` is raised, holding every document made (those
  already given included) and each failure. A segment failure also keeps, in its ``partial``, every answer
  received, and with a cache a rerun sends only what is missing.

Example:
    >>> from qwen_omni import OmniClient, samples
    >>> from qwen_omni.emulator import Emulator
    >>> from qwen_omni.longmedia import LongMedia, Recording
    >>> calls = [Recording("a.wav", data=samples.tone_wav(2.0)), Recording("b.wav", data=samples.tone_wav(1.0))]
    >>> with Emulator() as emu:
    ...     pipeline = LongMedia(OmniClient(api_key="sk-test", base_url=emu.base_url), model="qwen-omni-turbo")
    ...     records = list(load_documents(pipeline, sources_of(calls), DocumentSettings(), make=lambda record: record))
    >>> [(r.metadata["file_name"], r.metadata["time"], r.text) for r in records]  # doctest: +NORMALIZE_WHITESPACE
    [('a.wav', '00:00:00 - 00:00:02', '[00:00:00.000 --> 00:00:02.000] A voice at 440 Hz.'),
     ('b.wav', '00:00:00 - 00:00:01', '[00:00:00.000 --> 00:00:01.000] A voice at 440 Hz.')]
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import difflib
import os
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any, Generic, Literal, TypeVar, get_args

from ..errors import InvalidRequestError, LoadFailedError, MediaError, QwenOmniError, SegmentFailedError
from ..formats import kind_from_name
from ..media import probe
from .documents import (
    IMAGE_PROMPT,
    DocumentChoice,
    DocumentMode,
    DocumentRecord,
    RecordingFacts,
    default_documents,
    failed_record,
    prompt_id,
    recording_record,
    resolve_mode,
    segment_record,
    skipped_record,
    source_id,
)
from .inputs import Recording, RecordingLike, as_recording
from .readahead import ReadAhead
from .results import LongMediaResult, SegmentAnswer, SkippedSegment
from .runner import LongMedia
from .sync import close_iterator, iterate_in_thread

__all__ = ["DocumentSettings", "Source", "aload_documents", "check_keywords", "load_documents", "sources_of"]

D = TypeVar("D")
DOCUMENT_MODES: tuple[DocumentMode, ...] = get_args(DocumentMode)
DOCUMENT_CHOICES: tuple[DocumentChoice, ...] = get_args(DocumentChoice)


@dataclass(frozen=True)
class DocumentSettings:
    """What to ask of every recording, and which documents to make.

    Attributes:
        mode: ``"auto"`` (transcribe audio, describe video), ``"transcript"``, ``"subtitles"``,
            ``"description"``, ``"summary"`` or ``"custom"`` (with ``prompt``).
        prompt: the question asked of each segment in ``"custom"`` mode.
        image_prompt: what an image is asked (images have no time, so every mode asks them this).
        documents: ``"segments"``, ``"recording"`` or ``"both"``; None: ``"recording"`` for a summary, else
            ``"segments"``.
        subtitle_format: ``"srt"`` or ``"vtt"``, the whole-recording document's format in ``"subtitles"`` mode.
        timestamps: in ``"custom"`` mode, tell each segment how to count times and place every time of its answer
            in the whole recording (False: for prompts whose answers hold no times; None: the pipeline's
            ``custom_timestamps``, on by default).
    """

    mode: DocumentMode = "auto"
    prompt: str | None = None
    image_prompt: str = IMAGE_PROMPT
    documents: DocumentChoice | None = None
    subtitle_format: Literal["srt", "vtt"] = "srt"
    timestamps: bool | None = None

    def __post_init__(self) -> None:
        if self.mode not in DOCUMENT_MODES:
            close = difflib.get_close_matches(str(self.mode), DOCUMENT_MODES, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise InvalidRequestError(f"Unknown mode {self.mode!r}; the modes are {', '.join(DOCUMENT_MODES)}{hint}.")
        if self.mode == "custom" and not self.prompt:
            raise InvalidRequestError('mode="custom" asks each segment your own question: pass prompt="...".')
        if self.documents is not None and self.documents not in DOCUMENT_CHOICES:
            raise InvalidRequestError(
                f"documents must be one of {', '.join(DOCUMENT_CHOICES)} or None; got {self.documents!r}."
            )
        if self.subtitle_format not in ("srt", "vtt"):
            raise InvalidRequestError(f'subtitle_format must be "srt" or "vtt"; got {self.subtitle_format!r}.')

    @property
    def choice(self) -> DocumentChoice:
        return self.documents or default_documents(self.mode)


@dataclass(frozen=True)
class Source:
    """One recording to read: what the caller gave, its name, the file system holding it, its own metadata.

    ``fs`` is an fsspec file system (as ``SimpleDirectoryReader`` passes one) in which ``item`` is a path.
    """

    item: RecordingLike
    name: str | None = None
    fs: Any = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        if isinstance(self.item, Recording):
            return self.item.name
        if isinstance(self.item, str | os.PathLike):
            return PurePath(os.fspath(self.item)).name or os.fspath(self.item)
        return "recording"

    def resolve(self) -> Recording | None:
        """The recording, checked (a local path must exist); None for a file in ``fs``, opened when read.

        Raises:
            MediaError: a path that names no file.
        """
        if self.fs is None:
            return as_recording(self.item, name=self.name)
        path = os.fspath(self.item)  # type: ignore[arg-type]
        if not self.fs.isfile(path):
            raise InvalidRequestError(f"{path} is not a file in {type(self.fs).__name__}.")
        return None

    @contextlib.contextmanager
    def opened(self, resolved: Recording | None) -> Iterator[Recording]:
        """The recording, its file in ``fs`` open for as long as it is read."""
        if resolved is not None:
            yield resolved
            return
        path = os.fspath(self.item)  # type: ignore[arg-type]
        try:
            handle = self.fs.open(path, "rb")
        except OSError as exc:
            raise MediaError(f"{path} could not be opened in {type(self.fs).__name__}: {exc}") from exc
        with handle:
            yield as_recording(handle, name=self.name or PurePath(path).name)


def sources_of(
    items: RecordingLike | Sequence[RecordingLike],
    *,
    name: str | None = None,
    fs: Any = None,
    extra: Mapping[str, Any] | None = None,
) -> list[Source]:
    """What the caller gave (one recording or a list of them) as :class:`Source`s.

    Example:
        >>> [s.label for s in sources_of(["calls/a.wav", "https://example.com/b.mp4"])]
        ['a.wav', 'b.mp4']
    """
    one = isinstance(items, str | os.PathLike | bytes | bytearray | Recording) or hasattr(items, "read")
    listed: list[RecordingLike] = [items] if one else list(items)  # type: ignore[list-item, arg-type]
    if name is not None and len(listed) != 1:
        raise InvalidRequestError(f"name= names one recording; got {len(listed)}. Pass Recording(name, ...) items.")
    return [Source(item, name=name, fs=fs, extra=dict(extra or {})) for item in listed]


_END = object()


class _Load(Generic[D]):
    """One call's recordings in flight; documents handed out in the order the recordings were given."""

    def __init__(
        self,
        pipeline: LongMedia,
        sources: Sequence[Source],
        settings: DocumentSettings,
        make: Callable[[DocumentRecord], D],
        *,
        progress: bool | dict[str, Any] | None = None,
        read_ahead: ReadAhead | None = None,
    ) -> None:
        self.pipeline, self.sources, self.settings, self.make = pipeline, sources, settings, make
        self.progress = progress
        # A load that hands out only whole-recording documents cannot be paced by them: no read-ahead bound then.
        self.ahead = (read_ahead or ReadAhead(pipeline.slots.limit)) if settings.choice != "recording" else None
        self.kinds: list[str] = []
        self.skip = pipeline.on_error == "skip"
        self.resolved: list[Recording | QwenOmniError | None] = []
        for source in sources:  # bad input is told before anything is sent
            try:
                self.resolved.append(source.resolve())
            except QwenOmniError as exc:
                if not self.skip:
                    raise
                self.resolved.append(exc)
        self.queues: list[asyncio.Queue[object]] = [asyncio.Queue() for _ in sources]
        self.window = asyncio.Semaphore(max(1, pipeline.slots.limit))
        self.failures: list[tuple[str, QwenOmniError]] = []
        self.not_started: list[str] = []
        self.made: list[D] = []

    def _probe_all(self) -> None:
        """Every recording's kind, from its headers, before the first request (bad files are told first)."""
        for number, source in enumerate(self.sources):
            resolved = self.resolved[number]
            if isinstance(resolved, QwenOmniError):
                self.kinds.append("unknown")
                continue
            try:
                with source.opened(resolved) as recording:
                    self.kinds.append(_kind_of(recording))
            except QwenOmniError as exc:
                if not self.skip:
                    raise
                self.resolved[number] = exc
                self.kinds.append("unknown")

    async def documents(self) -> AsyncIterator[D]:
        await asyncio.to_thread(self._probe_all)
        tasks = [asyncio.create_task(self._work(number)) for number in range(len(self.sources))]
        try:
            for number, queue in enumerate(self.queues):
                while (item := await queue.get()) is not _END:
                    if isinstance(item, BaseException):
                        raise item
                    assert isinstance(item, DocumentRecord)
                    document = self.make(item)
                    self.made.append(document)
                    yield document
                    index = item.metadata.get("segment_index")
                    if self.ahead is not None and isinstance(index, int):
                        self.ahead.give_back(number, index)  # the caller took it and asks for more
                if self.ahead is not None:
                    self.ahead.finished(number)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        if self.failures:
            raise self._error() from self.failures[0][1]

    def _error(self) -> LoadFailedError:
        told = "; ".join(f"{name}: {error}" for name, error in self.failures)
        unread = f" {len(self.not_started)} recording(s) were not started." if self.not_started else ""
        message = (
            f"{len(self.failures)} of {len(self.sources)} recording(s) failed: {told}.{unread} The "
            f"{len(self.made)} document(s) made are kept in .documents; rerun with a cache to send only what is "
            "missing, or use on_error='skip'."
        )
        return LoadFailedError(message, documents=list(self.made), failures=self.failures, not_started=self.not_started)

    async def _work(self, number: int) -> None:
        queue, source, resolved = self.queues[number], self.sources[number], self.resolved[number]
        try:
            async with self.window:
                if self.failures and not self.skip:
                    self.not_started.append(source.label)
                    return
                if isinstance(resolved, QwenOmniError):
                    await queue.put(failed_record(self._facts(source, None, "unknown", self.settings.mode), resolved))
                    return
                records = self._records(number, source, resolved)
                try:
                    async for record in records:
                        await queue.put(record)
                except QwenOmniError as exc:
                    if not self.skip:
                        self.failures.append((source.label, exc))
                        return
                    await queue.put(failed_record(self._facts(source, None, "unknown", self.settings.mode), exc))
                finally:
                    await close_iterator(records)
        except BaseException as exc:  # a bug, or cancellation: the consumer must hear of it, not wait forever
            await queue.put(exc)
            raise
        finally:
            await queue.put(_END)

    def _facts(
        self,
        source: Source,
        recording: Recording | None,
        kind: str,
        mode: str,
        duration: float | None = None,
        prompt: str | None = None,
    ) -> RecordingFacts:
        model, extra = self.pipeline.model, source.extra
        key = prompt_id(mode, prompt)
        if recording is None:  # it could not be read: named by what the caller gave
            item = source.item
            path = str(os.fspath(item)) if isinstance(item, str | os.PathLike) else None
            where = path if path is not None else source.label
            return RecordingFacts(where, source.label, where, kind, mode, model, duration, extra, path, key)
        if source.fs is not None:  # a file of another file system: shown by the path the caller gave
            path = str(os.fspath(source.item))  # type: ignore[arg-type]
            return RecordingFacts(
                source_id(recording), recording.name, path, kind, mode, model, duration, extra, path, key
            )
        path = str(recording.path) if recording.path is not None else None
        shown = path or recording.url or recording.name
        return RecordingFacts(
            source_id(recording), recording.name, shown, kind, mode, model, duration, extra, path, key
        )

    async def _records(self, number: int, source: Source, resolved: Recording | None) -> AsyncIterator[DocumentRecord]:
        settings, pipeline, choice = self.settings, self.pipeline, self.settings.choice
        ahead = self.ahead

        async def gate(index: int) -> None:
            if ahead is not None:
                await ahead.take(number, index)

        with source.opened(resolved) as recording:
            kind = self.kinds[number]
            mode, prompt = resolve_mode(settings.mode, kind, settings.prompt, settings.image_prompt)
            plan = await asyncio.to_thread(pipeline.plan, recording, mode, prompt=prompt)
            duration = plan.duration if plan.duration_known else None
            facts = await asyncio.to_thread(self._facts, source, recording, plan.kind, mode, duration, prompt)
            facts = dataclasses.replace(facts, damaged=plan.damaged)
            count = len(plan.segments)
            segments = choice != "recording" or plan.kind == "image"
            whole = choice != "segments" and plan.kind != "image"
            outcomes: AsyncIterator[SegmentAnswer | SkippedSegment | LongMediaResult]
            paced = gate if segments else None
            if whole:
                outcomes = pipeline.aiter_run(
                    recording, mode, prompt=prompt, plan=plan, subtitle_format=settings.subtitle_format,
                    timestamps=settings.timestamps, progress=self.progress, gate=paced,
                )  # fmt: skip
            else:
                outcomes = pipeline.aiter_segments(
                    recording, mode, prompt=prompt, plan=plan, timestamps=settings.timestamps, progress=self.progress,
                    gate=paced,
                )  # fmt: skip
            try:
                async for outcome in outcomes:  # closed below, whatever stops this loop
                    if isinstance(outcome, LongMediaResult):
                        yield recording_record(facts, outcome)
                    elif not segments:
                        continue
                    elif isinstance(outcome, SegmentAnswer):
                        yield segment_record(facts, outcome, count=count)
                    else:
                        yield skipped_record(facts, outcome, count=count)
            except SegmentFailedError as failure:  # the answers received after the failed segment are kept too
                partial = failure.partial
                if segments and isinstance(partial, LongMediaResult):
                    for answer in partial.answers:
                        if answer.index > failure.segment:
                            yield segment_record(facts, answer, count=count)
                raise
            finally:
                await close_iterator(outcomes)


def _kind_of(recording: Recording) -> str:
    """``audio``, ``video`` or ``image``: from a URL's name, else from the file's headers."""
    if recording.url is not None:
        return kind_from_name(recording.url) or "unknown"
    return probe(recording.source).input_kind


async def aload_documents(
    pipeline: LongMedia,
    sources: Sequence[Source],
    settings: DocumentSettings,
    *,
    make: Callable[[DocumentRecord], D],
    progress: bool | dict[str, Any] | None = None,
    read_ahead: ReadAhead | None = None,
) -> AsyncIterator[D]:
    """The documents of ``sources``, in order, each as soon as it is ready (see the module docstring).

    ``make`` turns each :class:`~.documents.DocumentRecord` into the caller's document type; ``progress``, when
    given, replaces the pipeline's own for this call. At most ``read_ahead.limit`` segment requests (by default
    the pipeline's concurrency) are sent for documents the caller has not taken yet (:mod:`.readahead`), and
    every recording is probed before the first request.

    Raises:
        InvalidRequestError: bad input (a path that does not exist), before any request (``on_error="raise"``).
        LoadFailedError: a recording failed (``on_error="raise"``), after the others in flight finished.
    """
    run = _Load(pipeline, sources, settings, make, progress=progress, read_ahead=read_ahead)
    documents = run.documents()
    try:
        async for document in documents:
            yield document
    finally:
        await close_iterator(documents)


def load_documents(
    pipeline: LongMedia,
    sources: Sequence[Source],
    settings: DocumentSettings,
    *,
    make: Callable[[DocumentRecord], D],
    progress: bool | dict[str, Any] | None = None,
    read_ahead: ReadAhead | None = None,
) -> Iterator[D]:
    """The sync form of :func:`aload_documents` (the requests run on an event loop in a helper thread, which
    takes the next document only when the caller asks for it)."""
    return iterate_in_thread(
        lambda: aload_documents(pipeline, sources, settings, make=make, progress=progress, read_ahead=read_ahead)
    )


def check_keywords(where: str, given: Mapping[str, Any], accepted: Sequence[str]) -> None:
    """Refuse keywords a load method does not take, naming them and what it takes (a misspelled
    ``show_progress`` must not be swallowed).

    Example:
        >>> check_keywords("load_data", {"shwo_progress": True}, ["extra_info", "fs", "name", "show_progress"])
        Traceback (most recent call last):
        ...
        qwen_omni.errors.InvalidRequestError: load_data() got an unknown keyword 'shwo_progress' (did you mean \
'show_progress'?); it takes extra_info, fs, name, show_progress.
    """
    for key in given:
        close = difflib.get_close_matches(key, accepted, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InvalidRequestError(f"{where}() got an unknown keyword {key!r}{hint}; it takes {', '.join(accepted)}.")
