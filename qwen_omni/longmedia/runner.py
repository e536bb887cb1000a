"""``LongMedia``: a long recording into a timestamped transcript, description, subtitles or a summary, in one call.

One run plans the recording within every limit of the model (:mod:`.plan`), cuts and sends its segments at
the quota's pace, and merges the answers in the whole file's time:

- **Pace.** Every request goes through the client, so its :class:`~qwen_omni.ratelimit.RateLimiter` (60
  requests and 100,000 tokens a minute by default) makes it wait for room instead of failing; each segment
  tells the limiter the tokens it is expected to use. A 429 that still arrives pauses the whole client and
  lowers its pace, then the segment is sent again; "Allocated quota exceeded" fails it at once.
- **Concurrency.** At most ``concurrency`` requests in flight, counted by one :class:`~.concurrency.Slots`
  shared by every call on this object (and by other objects given the same ``Slots``), across files.
- **Failures.** Each segment has one budget of tries, shared by the client's own retries and the pipeline's
  (:mod:`qwen_omni.retry_budget`): at most ``retries`` (or the client's ``max_retries``, if larger) tries after
  connection errors, 5xx and broken streams, and 8 after 429s of the request rate, so a segment that always fails
  costs one request more than that budget.
  With ``on_error="skip"`` a segment that still fails is recorded in ``result.skipped`` with its reason;
  with ``"raise"`` a :class:`~qwen_omni.errors.SegmentFailedError` names the file and the segment and
  carries every answer already received in ``partial``. Nothing received is ever thrown away.
- **Resumption.** With ``cache=`` (a folder), each answer is stored as it arrives, keyed by the recording's
  content hash, the segment, the model, the task and the prompt; a rerun sends only what is missing. An entry
  that does not verify is sent again, with a note. Each segment is claimed before it is sent, so processes
  sharing the folder send it once (a killed worker's claims end with it).
- **Memory.** Segments are cut lazily, and only while a request slot is free, so memory holds the segments
  in flight, whatever the recording's length.

Example:
    >>> from qwen_omni import OmniClient, samples
    >>> from qwen_omni.emulator import Emulator
    >>> with Emulator() as emu:
    ...     pipeline = LongMedia(OmniClient(api_key="sk-test", base_url=emu.base_url), model="qwen-omni-turbo")
    ...     result = pipeline.run(samples.tone_wav(3.0), "transcript", name="tone.wav")
    >>> print(result.text)
    [00:00:00.000 --> 00:00:03.000] A voice at 440 Hz.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from typing import Any, Literal, assert_never

from ..client import OmniClient
from ..errors import (
    APIConnectionError,
    IncompleteResponseError,
    MediaError,
    QwenOmniError,
    RateLimitError,
    SegmentFailedError,
    ServerError,
    StreamErrorEvent,
    StreamModerationError,
)
from ..parts import TextPart
from ..profiles import DEFAULT_MODEL, get_profile
from ..request import Message, RequestOptions
from ..request_count import counting_requests
from ..retry_budget import retry_budget
from ..stream import OmniResult
from .cache import AnswerCache, CachedAnswer, cache_key
from .concurrency import Slots
from .inputs import Recording, RecordingLike, as_recording
from .merge import merge_lines, render_lines, with_silences
from .modes import Mode, Task, Where, check_mode, clock, segment_prompt, task_of
from .plan import Plan, PlannedSegment, PlanOptions, Prices, make_plan, prompt_token_estimate
from .progress import ProgressSetting, RecordingProgress, recording_progress
from .results import (
    LongMediaResult,
    SegmentAnswer,
    SegmentOutcome,
    SkippedSegment,
    gather_notes,
    plan_gaps,
    plan_notes,
)
from .segments import Piece, pieces
from .subtitles import to_srt, to_vtt
from .summary import reduce_notes
from .sync import close_iterator, iterate_in_thread, run_sync
from .timestamps import TimedLine, place_times, timed_lines

__all__ = ["Ask", "Gate", "LongMedia", "OnError"]

OnError = Literal["raise", "skip"]
Gate = Callable[[int], Awaitable[None]]
"""Awaited with a segment's index before it is cut and sent: how a lazy caller keeps requests from running ahead
of what it has taken (:class:`~.readahead.ReadAhead`)."""
Ask = Callable[[list[Message], RequestOptions], Awaitable[OmniResult]]
"""How a request is sent: ``client.acomplete`` by default; a framework face may pass its own (to be seen by
its callbacks), as long as it goes through a client with the shared rate limiter."""

#: 429s one segment waits out before it counts as failed.
RATE_LIMIT_WAITS = 8
_RETRYABLE = (APIConnectionError, ServerError, IncompleteResponseError, StreamErrorEvent)


def _retryable(error: BaseException) -> bool:
    if isinstance(error, StreamModerationError):
        return False
    return isinstance(error, _RETRYABLE)


class _Run:
    """One recording's segments in flight: what has been answered (in any order) and what is left."""

    def __init__(
        self,
        owner: LongMedia,
        recording: Recording,
        plan: Plan,
        mode: Mode,
        prompt: str | None,
        *,
        timestamps: bool | None = None,
        progress: RecordingProgress | None = None,
        gate: Gate | None = None,
    ) -> None:
        self.owner, self.recording, self.plan, self.mode, self.custom = owner, recording, plan, mode, prompt
        self.gate = gate
        self.progress = progress or owner._progress(recording)
        self.task = owner.task(mode, plan.kind)
        self.timed = self.task != "custom" or (owner.custom_timestamps if timestamps is None else timestamps)
        self.done: dict[int, SegmentOutcome] = {}
        self.requests = 0
        self._changed = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_flight: set[int] = set()
        count = len(plan.segments)
        self.prompts = {
            s.index: segment_prompt(
                self.task, Where(plan.kind, s.index, count, s.start, s.end), custom=prompt, times=self.timed
            )
            for s in plan.segments
        }
        self.keys: dict[int, str] = {}
        #: Segments whose cached answer did not verify, and why (they are sent again, and the result says so).
        self.resent: dict[int, str] = {}

    # -- producing ------------------------------------------------------------------------------------

    async def _load_cache(self) -> None:
        cache = self.owner.cache
        if cache is None:
            return
        self.progress.stage("hashing")
        source = await asyncio.to_thread(self.recording.content_hash)
        encoding = repr(replace(self.plan.options, duration=None)) + f"/{self.plan.encoding!r}"
        for segment in self.plan.segments:
            key = cache_key(
                source=source, start=segment.start, end=segment.end, delivery=segment.delivery, encoding=encoding,
                model=self.plan.model, task=self.task, prompt=self.prompts[segment.index],
            )  # fmt: skip
            self.keys[segment.index] = key
            hit = cache.get(key)
            if hit is not None:
                self.done[segment.index] = self._answer(segment, hit.text, hit.finish_reason, hit.usage, cached=True)
                self.progress.settled(answered=True, cached=True)
            elif (reason := cache.rejection(key)) is not None:
                self.resent[segment.index] = (
                    f"segment {segment.index + 1}: its cached answer did not verify ({reason}); sent again"
                )

    async def _produce(self) -> None:
        """Cut the segments not answered yet, one per free slot, and send each."""
        slots = self.owner.slots
        generator: Generator[Piece, None, None] = pieces(self.recording, self.plan, skip=set(self.done))
        pending = iter([s.index for s in self.plan.segments if s.index not in self.done])
        to_cut = iter([s.index for s in self.plan.segments if s.index not in self.done])
        # One thread cuts: a close() queued behind a next() still cutting runs after it, never beside it (which
        # raised "generator already executing" when a fatal error stopped the run mid-cut).
        cutter = ThreadPoolExecutor(1, thread_name_prefix="qwen-omni-cut")
        loop = asyncio.get_running_loop()
        try:
            while True:
                self.progress.stage("requests")
                if self.gate is not None and (upcoming := next(pending, None)) is not None:
                    await self.gate(upcoming)  # the caller has taken enough of what was sent before
                await slots.aacquire()
                self.progress.stage(f"encoding segment {next(to_cut, -1) + 1}/{len(self.plan.segments)}")
                try:
                    piece = await loop.run_in_executor(cutter, next, generator, None)
                except BaseException:
                    slots.release()
                    raise
                if piece is None:
                    slots.release()
                    self.progress.stage("requests")
                    break
                self._in_flight.add(piece.segment.index)
                task = asyncio.create_task(self._send(piece))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        except Exception as exc:  # the file could not be cut from here on; what is in flight goes on
            error = (
                exc if isinstance(exc, QwenOmniError) else MediaError(f"{self.recording.name}: cutting failed: {exc!r}")
            )
            for segment in self.plan.segments:
                if segment.index not in self.done and segment.index not in self._in_flight:
                    reason = f"{type(error).__name__}: {error}"
                    self._settle(SkippedSegment(segment.index, segment.start, segment.end, reason, error))
        finally:
            cutter.submit(generator.close)  # not awaited: a cut still running finishes first, then closes
            cutter.shutdown(wait=False)
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        for segment in self.plan.segments:  # a span the media did not reach (its end had no sound or frame)
            if segment.index not in self.done:
                self._settle(
                    SkippedSegment(segment.index, segment.start, segment.end, "the media has nothing here", empty=True)
                )

    def _settle(self, outcome: SegmentOutcome) -> None:
        if outcome.index not in self.done:
            self.done[outcome.index] = outcome
            self.progress.settled(answered=isinstance(outcome, SegmentAnswer))
        self._changed.set()

    async def _send(self, piece: Piece) -> None:
        segment = piece.segment
        outcome: SegmentOutcome
        self.progress.sending(+1)
        try:
            outcome = await self._ask(piece)
        except Exception as exc:  # a custom ``ask`` may raise anything; the client raises only QwenOmniError
            where = f"{self.recording.name}, segment {segment.index + 1} of {len(self.plan.segments)}"
            reason = f"{type(exc).__name__}: {exc} ({where})"
            outcome = SkippedSegment(segment.index, segment.start, segment.end, reason, exc)
        finally:
            self.progress.sending(-1)
            self.owner.slots.release()
            self._in_flight.discard(segment.index)
        self._settle(outcome)

    async def _ask(self, piece: Piece) -> SegmentAnswer:
        cache, segment = self.owner.cache, piece.segment
        key = self.keys.get(segment.index)
        if cache is None or key is None:
            return await self._request(piece)
        async with cache.claiming(key):  # another process sending this segment: wait, then read its answer
            hit = cache.get(key)
            if hit is not None:
                return self._answer(segment, hit.text, hit.finish_reason, hit.usage, cached=True)
            return await self._request(piece)

    async def _request(self, piece: Piece) -> SegmentAnswer:
        owner, segment = self.owner, piece.segment
        prompt = self.prompts[segment.index]
        message = Message("user", [piece.part, TextPart(prompt)])
        options = owner.request_options
        expected = segment.tokens_in + segment.tokens_out
        with retry_budget(retries=owner.retry_budget, rate_waits=RATE_LIMIT_WAITS) as budget:
            while True:
                try:
                    with owner._expect(expected), counting_requests() as sent:
                        try:
                            result = await owner.ask([message], options)
                        finally:
                            self.requests += max(1, sent.sent)  # the client's own retries too
                    break
                except RateLimitError as exc:
                    # The client's limiter paced and paused for it; going on waits for the limiter again, not here.
                    if exc.kind == "quota" or not budget.take(exc):
                        raise
                except QwenOmniError as exc:
                    if not _retryable(exc) or not budget.take(exc):
                        raise
                    await asyncio.sleep(owner.retry_delay * 2 ** (budget.used - 1))
        usage = asdict(result.usage) if result.usage is not None else {}
        if owner.cache is not None and segment.index in self.keys:
            owner.cache.put(self.keys[segment.index], CachedAnswer(result.text, result.finish_reason, usage))
        answer = self._answer(segment, result.text, result.finish_reason, usage, cached=False)
        if segment.index in self.resent:
            answer = replace(answer, notes=(*answer.notes, self.resent[segment.index]))
        return answer

    def _answer(
        self, segment: PlannedSegment, text: str, finish: str | None, usage: dict[str, Any], *, cached: bool
    ) -> SegmentAnswer:
        if not self.timed or self.plan.kind == "image":
            return SegmentAnswer(segment.index, segment.start, segment.end, text, (), (), finish, usage, cached, text)
        lines, notes = timed_lines(text, segment.start, segment.duration, segment=segment.index)
        placed, placing = place_times(text, segment.start, segment.duration, segment=segment.index)
        if self.task == "custom":  # prose: its times are placed where they stand, and it needs no time of its own
            lines, notes = [line for line in lines if line.start is not None], placing
        return SegmentAnswer(
            segment.index, segment.start, segment.end, text, tuple(lines), notes, finish, usage, cached, placed
        )

    # -- consuming ------------------------------------------------------------------------------------

    async def outcomes(self) -> AsyncGenerator[SegmentOutcome, None]:
        """Each segment's outcome, in order, as soon as it and all before it are settled."""
        self.progress.start(len(self.plan.segments))
        await self._load_cache()
        producer = asyncio.create_task(self._produce())
        try:
            for segment in self.plan.segments:
                while segment.index not in self.done:
                    if producer.done():
                        producer.result()  # re-raises what stopped it
                        if segment.index not in self.done:
                            raise RuntimeError(f"segment {segment.index} was never settled")  # pragma: no cover
                    self._changed.clear()
                    waiter = asyncio.create_task(self._changed.wait())
                    try:
                        await asyncio.wait({waiter, producer}, return_when=asyncio.FIRST_COMPLETED)
                    finally:
                        waiter.cancel()
                yield self.done[segment.index]
            await producer
        finally:
            self.progress.close()
            if not producer.done():
                producer.cancel()
            for task in list(self._tasks):
                task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.gather(producer, *list(self._tasks), return_exceptions=True)

    def received(self) -> list[SegmentAnswer]:
        """Every answer received so far, in order (also those after a segment still missing)."""
        return [o for _, o in sorted(self.done.items()) if isinstance(o, SegmentAnswer)]


class LongMedia:
    """Transcribe, describe, subtitle or summarise recordings of any length (see the module docstring).

    Args:
        client: the :class:`~qwen_omni.OmniClient` to send through; by default one reading
            ``DASHSCOPE_API_KEY``, with a :class:`~qwen_omni.ratelimit.RateLimiter` of the documented quota.
        model: the model for the segments.
        reduce_model: the model that writes a summary from the segments' notes (default: ``model``).
        options: how to cut and encode (:class:`~.plan.PlanOptions`).
        concurrency: requests in flight at once, or a :class:`~.concurrency.Slots` to share with others.
        retries: tries again per segment after a connection error, a 5xx or a broken stream: one budget that the
            client's own retries share (the larger of ``retries`` and the client's ``max_retries``), so a segment
            that always fails sends ``1 + retries`` requests.
        retry_delay: seconds before the first retry (doubled each time).
        on_error: ``"raise"`` or ``"skip"`` (see the module docstring).
        cache: a folder (or an :class:`~.cache.AnswerCache`) for segment answers; None: no cache.
        progress: a tqdm bar on stderr per recording, naming its stage (or tqdm's options as a dict), or a
            :class:`~.progress.Progress` that also counts each recording's segments for the caller.
        request_options: further options of every segment request (``temperature``, ``max_tokens``...);
            answers are text only.
        custom_timestamps: in answers to a custom prompt (:meth:`ask_each`, the faces' ``"custom"`` mode and agent
            tools) too, tell each part how to count times and move every time into the whole recording's time
            (on by default; a time that cannot be placed is marked, never guessed). Turn it off for prompts whose
            answers hold no times; each call may also say ``timestamps=``.
        summary_from: what a summary's map step asks of each segment: ``"notes"`` (timestamped key points),
            ``"transcript"`` (a summary of the transcript; free after :meth:`transcribe` with a cache), or
            ``"auto"`` (the transcript for audio, where the speech is the content; notes for video).
        ask: send requests some other way (see :data:`Ask`).
    """

    def __init__(
        self,
        client: OmniClient | None = None,
        *,
        model: str = DEFAULT_MODEL,
        reduce_model: str | None = None,
        options: PlanOptions | None = None,
        concurrency: int | Slots = 4,
        retries: int = 2,
        retry_delay: float = 1.0,
        on_error: OnError = "raise",
        cache: str | os.PathLike[str] | AnswerCache | None = None,
        progress: ProgressSetting = False,
        request_options: RequestOptions | None = None,
        custom_timestamps: bool = True,
        summary_from: Literal["auto", "notes", "transcript"] = "auto",
        ask: Ask | None = None,
    ) -> None:
        if on_error not in ("raise", "skip"):
            raise ValueError(f'on_error must be "raise" or "skip"; got {on_error!r}.')
        if retries < 0 or retry_delay < 0:
            raise ValueError(f"retries and retry_delay must be 0 or more; got {retries}, {retry_delay}.")
        if client is None:
            from ..ratelimit import RateLimiter

            client = OmniClient(rate_limiter=RateLimiter())
        self.client = client
        self.model = model
        self.reduce_model = reduce_model or model
        self.options = options or PlanOptions()
        self.slots = concurrency if isinstance(concurrency, Slots) else Slots(concurrency)
        self.retries, self.retry_delay, self.on_error = retries, retry_delay, on_error
        self.cache = cache if isinstance(cache, AnswerCache) or cache is None else AnswerCache(cache)
        self.progress = progress
        base = request_options or RequestOptions()
        self.request_options = replace(base, model=model, modalities=["text"], voice=None)
        self.custom_timestamps = custom_timestamps
        self.summary_from = summary_from
        self.ask: Ask = ask or self.client.acomplete

    def __repr__(self) -> str:
        return (
            f"LongMedia(model={self.model!r}, concurrency={self.slots.limit}, on_error={self.on_error!r}, "
            f"cache={self.cache!r})"
        )

    def task(self, mode: Mode, kind: str) -> Task:
        """What each segment is asked in ``mode``, for a recording of ``kind``."""
        mode = check_mode(mode)
        if self.summary_from != "auto":
            return task_of(mode, summary_from=self.summary_from)
        return task_of(mode, summary_from="transcript" if kind == "audio" else "notes")

    def _progress(self, recording: Recording, setting: ProgressSetting | None = None) -> RecordingProgress:
        return recording_progress(self.progress if setting is None else setting, recording, recording.name)

    @property
    def retry_budget(self) -> int:
        """Tries after a failure per segment, the client's and the pipeline's together: the larger of the two
        settings, so that neither gives fewer tries than it says."""
        return max(self.retries, self.client.retry_policy.max_retries)

    def _expect(self, tokens: int) -> contextlib.AbstractContextManager[None]:
        expect = getattr(self.client.rate_limiter, "expect", None)
        return expect(tokens) if callable(expect) else contextlib.nullcontext()

    # -- planning ---------------------------------------------------------------------------------------

    def plan(
        self,
        recording: RecordingLike,
        mode: Mode = "transcript",
        *,
        prompt: str | None = None,
        name: str | None = None,
        options: PlanOptions | None = None,
    ) -> Plan:
        """How ``recording`` would be sent; nothing is sent (the dry run: ``print(plan.describe())``).

        Raises:
            InvalidRequestError: an unknown ``mode`` (the message lists the modes).
        """
        mode = check_mode(mode)
        rec = as_recording(recording, name=name)
        template = segment_prompt(self.task(mode, "audio"), Where("audio", 0, 2, 0.0, 1.0), custom=prompt or "")
        return make_plan(
            rec, self.model, mode, options or self.options, prompt_tokens=prompt_token_estimate(template) + 50
        )

    async def _aplan(
        self, rec: Recording, mode: Mode, prompt: str | None, options: PlanOptions | None, progress: RecordingProgress
    ) -> Plan:
        progress.stage("probing")
        try:
            return await asyncio.to_thread(self.plan, rec, mode, prompt=prompt, options=options)  # reads the file
        except BaseException:
            progress.close()
            raise

    def dry_run(
        self, recording: RecordingLike, mode: Mode = "transcript", *, prices: Prices | None = None, **kwargs: Any
    ) -> str:
        """The plan as text (segments, bytes, estimated tokens and, with ``prices``, cost); nothing is sent."""
        return self.plan(recording, mode, **kwargs).describe(prices)

    # -- running ----------------------------------------------------------------------------------------

    async def aiter_segments(
        self,
        recording: RecordingLike,
        mode: Mode = "transcript",
        *,
        prompt: str | None = None,
        name: str | None = None,
        options: PlanOptions | None = None,
        plan: Plan | None = None,
        timestamps: bool | None = None,
        progress: ProgressSetting | None = None,
        gate: Gate | None = None,
    ) -> AsyncIterator[SegmentOutcome]:
        """Each segment's answer (or, with ``on_error="skip"``, the reason it has none), in order, as it comes.

        ``plan`` is one :meth:`plan` already made for this recording and mode (so that it is not made twice);
        ``timestamps`` and ``progress``, when given, replace ``custom_timestamps`` and ``progress`` for this call;
        ``gate`` is awaited before each segment is sent (see :data:`Gate`).
        """
        run = await self._start(recording, mode, prompt, name, options, plan, timestamps, progress, gate)
        checked = self._checked(run)
        try:
            async for outcome in checked:
                yield outcome
        finally:  # closed at once when this generator is, so that its requests are cancelled now
            await close_iterator(checked)

    async def _start(
        self,
        recording: RecordingLike,
        mode: Mode,
        prompt: str | None,
        name: str | None,
        options: PlanOptions | None,
        plan: Plan | None,
        timestamps: bool | None,
        progress: ProgressSetting | None,
        gate: Gate | None,
    ) -> _Run:
        """A run of ``recording`` (planned here, reading the file, unless ``plan`` is given)."""
        mode = check_mode(mode)
        rec = as_recording(recording, name=name)
        tracker = self._progress(rec, progress)
        if plan is None:
            plan = await self._aplan(rec, mode, prompt, options, tracker)
        return _Run(self, rec, plan, mode, prompt, timestamps=timestamps, progress=tracker, gate=gate)

    async def _checked(self, run: _Run) -> AsyncIterator[SegmentOutcome]:
        """``run``'s outcomes in order; with ``on_error="raise"``, a failed segment raises."""
        outcomes = run.outcomes()
        try:
            async for outcome in outcomes:
                if isinstance(outcome, SkippedSegment) and not outcome.empty and self.on_error == "raise":
                    raise self._failure(run, outcome)
                yield outcome
        finally:
            await close_iterator(outcomes)

    def iter_segments(
        self, recording: RecordingLike, mode: Mode = "transcript", **kwargs: Any
    ) -> Iterator[SegmentOutcome]:
        """The sync form of :meth:`aiter_segments` (the requests run on an event loop in a helper thread)."""
        return iterate_in_thread(lambda: self.aiter_segments(recording, mode, **kwargs))

    async def aiter_run(
        self,
        recording: RecordingLike,
        mode: Mode = "transcript",
        *,
        prompt: str | None = None,
        name: str | None = None,
        options: PlanOptions | None = None,
        subtitle_format: Literal["srt", "vtt"] = "srt",
        plan: Plan | None = None,
        timestamps: bool | None = None,
        progress: ProgressSetting | None = None,
        gate: Gate | None = None,
    ) -> AsyncIterator[SegmentOutcome | LongMediaResult]:
        """Each segment's outcome in order, as :meth:`aiter_segments` gives them, then the whole result (the
        last item, a :class:`~.results.LongMediaResult`): what a face needs to show both as they come."""
        run = await self._start(recording, mode, prompt, name, options, plan, timestamps, progress, gate)
        checked = self._checked(run)
        try:
            async for outcome in checked:
                yield outcome
        finally:  # closed at once when this generator is, so that its requests are cancelled now
            await close_iterator(checked)
        answers = run.received()
        skipped = [o for _, o in sorted(run.done.items()) if isinstance(o, SkippedSegment)]
        result = self._result(run, answers, skipped, subtitle_format)
        if mode == "summary":
            result = await self._summarise(result)
        yield result

    def iter_run(
        self, recording: RecordingLike, mode: Mode = "transcript", **kwargs: Any
    ) -> Iterator[SegmentOutcome | LongMediaResult]:
        """The sync form of :meth:`aiter_run`."""
        return iterate_in_thread(lambda: self.aiter_run(recording, mode, **kwargs))

    async def arun(
        self,
        recording: RecordingLike,
        mode: Mode = "transcript",
        *,
        prompt: str | None = None,
        name: str | None = None,
        options: PlanOptions | None = None,
        subtitle_format: Literal["srt", "vtt"] = "srt",
        timestamps: bool | None = None,
        progress: ProgressSetting | None = None,
    ) -> LongMediaResult:
        """The whole result for ``recording`` in ``mode`` (see :class:`~.results.LongMediaResult`).

        ``timestamps`` (custom prompts: place their times in the recording) and ``progress`` replace the pipeline's
        own settings for this call.

        Raises:
            InvalidRequestError: an unknown ``mode`` (the message lists them), before anything is sent.
            SegmentFailedError: with ``on_error="raise"``, a segment that failed (``partial`` keeps what came).
        """
        items = self.aiter_run(
            recording, mode, prompt=prompt, name=name, options=options, subtitle_format=subtitle_format,
            timestamps=timestamps, progress=progress,
        )  # fmt: skip
        async for item in items:
            if isinstance(item, LongMediaResult):
                return item
        raise RuntimeError("aiter_run ended without a result")  # pragma: no cover

    def run(self, recording: RecordingLike, mode: Mode = "transcript", **kwargs: Any) -> LongMediaResult:
        """The sync form of :meth:`arun`."""
        return run_sync(self.arun(recording, mode, **kwargs))

    def transcribe(self, recording: RecordingLike, **kwargs: Any) -> LongMediaResult:
        """A verbatim transcript with a time span per line, in the whole recording's time."""
        return self.run(recording, "transcript", **kwargs)

    def describe(self, recording: RecordingLike, **kwargs: Any) -> LongMediaResult:
        """A timestamped description, in the Qwen-Omni guide's format."""
        return self.run(recording, "description", **kwargs)

    def subtitles(
        self, recording: RecordingLike, *, format: Literal["srt", "vtt"] = "srt", **kwargs: Any
    ) -> LongMediaResult:
        """Subtitles: ``result.text`` is the SRT (or WebVTT) file."""
        return self.run(recording, "subtitles", subtitle_format=format, **kwargs)

    def summarize(self, recording: RecordingLike, **kwargs: Any) -> LongMediaResult:
        """One summary of the whole recording, from timestamped notes on each segment (map-reduce)."""
        return self.run(recording, "summary", **kwargs)

    def ask_each(self, recording: RecordingLike, prompt: str, **kwargs: Any) -> LongMediaResult:
        """The caller's own ``prompt`` about each segment (told where the segment lies in the recording)."""
        return self.run(recording, "custom", prompt=prompt, **kwargs)

    # -- results ----------------------------------------------------------------------------------------

    def _failure(self, run: _Run, outcome: SkippedSegment) -> SegmentFailedError:
        answers = run.received()
        skipped = [o for _, o in sorted(run.done.items()) if isinstance(o, SkippedSegment)]
        partial = self._result(run, answers, skipped, "srt")
        message = (
            f"{run.recording.name}: {outcome.describe()}. {len(answers)} of {len(run.plan.segments)} segment(s) were "
            "answered and are kept in .partial; rerun with cache= to send only the rest, or on_error='skip'."
        )
        cause = outcome.error if outcome.error is not None else QwenOmniError(outcome.reason)
        error = SegmentFailedError(
            message, recording=run.recording.name, segment=outcome.index, cause=cause, partial=partial
        )
        error.__cause__ = cause
        return error

    def _result(
        self,
        run: _Run,
        answers: list[SegmentAnswer],
        skipped: list[SkippedSegment],
        subtitle_format: Literal["srt", "vtt"],
    ) -> LongMediaResult:
        plan, mode = run.plan, run.mode
        lines = merge_lines([a.lines for a in answers], [(a.start, a.end) for a in answers])
        notes = [*plan_notes(plan), *gather_notes(answers, skipped)]
        text = self._render(mode, answers, lines, subtitle_format, notes, plan.silences)
        return LongMediaResult(
            name=run.recording.name,
            mode=mode,
            model=plan.model,
            plan=plan,
            answers=tuple(answers),
            skipped=tuple(skipped),
            lines=tuple(lines),
            text=text,
            notes=tuple(notes),
            requests=run.requests,
            reduce_model=self.reduce_model if mode == "summary" else None,
            gaps=tuple(plan_gaps(plan, skipped)),
            silences=plan.silences,
        )

    @staticmethod
    def _render(
        mode: Mode,
        answers: list[SegmentAnswer],
        lines: list[TimedLine],
        subtitle_format: Literal["srt", "vtt"],
        notes: list[str],
        silences: tuple[tuple[float, float], ...] = (),
    ) -> str:
        if mode == "transcript" or mode == "summary":
            return with_silences(render_lines(lines, "caption"), lines, silences)
        if mode == "description":
            return with_silences(render_lines(lines, "description"), lines, silences)
        if mode == "subtitles":
            text, cue_notes = to_srt(lines) if subtitle_format == "srt" else to_vtt(lines)
            notes.extend(cue_notes)
            return text
        if mode == "custom":
            return "\n\n".join(f"[{clock(a.start)} - {clock(a.end)}]\n{a.recording_text.strip()}" for a in answers)
        assert_never(mode)

    async def ask_text(self, prompt: str) -> str:
        """One text-only request to the reduce model, through the pipeline's client, rate budget and ``ask``
        (the reduce step of a summary, or of an agent tool's answer)."""
        options = replace(self.request_options, model=self.reduce_model)
        with self._expect(prompt_token_estimate(prompt) + 1_000):
            answer = await self.ask([Message("user", prompt)], options)
        return answer.text

    def reduce_budget(self) -> int:
        """The tokens one reduce request's prompt may take: most of the reduce model's input."""
        return int(get_profile(self.reduce_model, warn=False).max_input_tokens * 0.8)

    async def _summarise(self, result: LongMediaResult) -> LongMediaResult:
        missing = ", ".join(f"{clock(s.start)} to {clock(s.end)}" for s in result.skipped) or None
        requests = 0

        async def ask(prompt: str) -> str:
            nonlocal requests
            with counting_requests() as sent:
                try:
                    return await self.ask_text(prompt)
                finally:
                    requests += max(1, sent.sent)

        duration = result.plan.duration or (result.answers[-1].end if result.answers else 0.0)
        if not result.lines:
            return replace(result, text="", notes=(*result.notes, "nothing to summarise: no segment gave notes"))
        summary = await reduce_notes(
            ask, result.name, duration, result.lines, budget_tokens=self.reduce_budget(), missing=missing
        )
        return replace(result, text=summary.strip(), requests=result.requests + requests)
