"""What the core gives the faces: aiter_run, whole-file checks, documents from many recordings in order, the
agents' answers, and the sync forms (context carried into the helper thread, early stops cancelling the work)."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import AsyncIterator

import pytest

from qwen_omni import OmniClient, samples
from qwen_omni.emulator import Emulator, Fault
from qwen_omni.errors import AuthenticationError, LoadFailedError, QwenOmniError
from qwen_omni.longmedia import (
    DocumentSettings,
    LongMedia,
    LongMediaResult,
    PlanOptions,
    RateLimiter,
    Recording,
    SegmentAnswer,
    load_documents,
    sources_of,
)
from qwen_omni.longmedia.asking import aanswer
from qwen_omni.longmedia.modes import Where, segment_prompt
from qwen_omni.longmedia.plan import whole_file_problems
from qwen_omni.longmedia.sync import iterate_in_thread, run_sync

TURBO_AUDIO_SECONDS = 180  # qwen-omni-turbo, from the reference's limits table
DATA_URI_LIMIT = 10_485_760


def _pipeline(emu: Emulator, **kwargs: object) -> LongMedia:
    client = OmniClient(api_key="sk-test", base_url=emu.base_url, rate_limiter=RateLimiter(rpm=6000))
    return LongMedia(client, model="qwen-omni-turbo", retry_delay=0.01, **kwargs)  # type: ignore[arg-type]


def test_aiter_run_gives_each_segment_then_the_result_of_the_plan_given(emu: Emulator) -> None:
    pipeline = _pipeline(emu)
    recording = Recording("call.wav", data=samples.meeting_wav(30.0))
    plan = pipeline.plan(recording, "transcript", options=PlanOptions(segment_seconds=10, snap=0))
    items = list(pipeline.iter_run(recording, "transcript", plan=plan))
    *segments, result = items
    assert [type(s) for s in segments] == [SegmentAnswer] * 3 and [s.index for s in segments] == [0, 1, 2]
    assert isinstance(result, LongMediaResult) and result.plan is plan and result.answers == tuple(segments)


def test_whole_file_problems_name_the_limit() -> None:
    long = Recording("call.wav", data=samples.meeting_wav(TURBO_AUDIO_SECONDS + 5.0))
    assert whole_file_problems(long, "qwen-omni-turbo") == ["00:03:05 is over qwen-omni-turbo's 180 s per audio file"]
    assert whole_file_problems(long, "qwen3-omni-flash") == []
    big = Recording("big.wav", data=samples.tone_wav(170.0, sample_rate=48_000))  # 16.3 MB of PCM
    assert any("data URI over the 10 MB" in p for p in whole_file_problems(big, "qwen-omni-turbo"))
    assert len(big.data or b"") * 4 / 3 > DATA_URI_LIMIT
    assert whole_file_problems(Recording("x.png", data=samples.image_png()), "qwen-omni-turbo") == []
    assert whole_file_problems(Recording("t.mp3", url="https://example.com/t.mp3"), "qwen-omni-turbo") == []


def test_an_image_prompt_has_no_time() -> None:
    assert segment_prompt("custom", Where("image", 0, 1, 0.0, 0.0), custom="What is it?") == "What is it?"
    assert "lasts 00:00:05" in segment_prompt("custom", Where("audio", 0, 1, 0.0, 5.0), custom="What is it?")


def test_documents_come_in_the_order_given_even_when_a_later_recording_is_done_first() -> None:
    with Emulator(first_chunk_delay=0.05) as emu:
        pipeline = _pipeline(emu, concurrency=3, options=PlanOptions(segment_seconds=5, snap=0))
        long = Recording("long.wav", data=samples.meeting_wav(30.0))
        short = Recording("short.wav", data=samples.tone_wav(1.0, sample_rate=8_000))
        records = list(load_documents(pipeline, sources_of([long, short]), DocumentSettings(), make=lambda r: r))
        ends = {
            name: [r.delivery.ended_at for r in emu.requests if f"lasts {span}" in r.user_text and r.delivery]
            for name, span in (("short", "00:00:01"), ("long", "00:00:05"))
        }
    assert max(ends["long"]) > min(ends["short"])  # type: ignore[type-var]  # the short one was done first
    assert [r.metadata["file_name"] for r in records] == ["long.wav"] * 6 + ["short.wav"]
    assert [r.metadata["segment_index"] for r in records[:6]] == list(range(6))


def test_skip_and_raise_over_several_recordings(emu: Emulator) -> None:
    emu.reset()
    calls = [Recording(f"c{n}.wav", data=samples.tone_wav(1.0 + n, sample_rate=8_000)) for n in range(3)]
    emu.inject(Fault(status=401))
    skipped = list(load_documents(_pipeline(emu, on_error="skip", concurrency=1), sources_of(calls),
                                  DocumentSettings(), make=lambda r: r))  # fmt: skip
    assert [r.metadata.get("skipped", False) for r in skipped] == [True, False, False]
    assert "AuthenticationError" in skipped[0].metadata["error"]
    emu.inject(Fault(status=401), after=1)
    with pytest.raises(LoadFailedError) as caught:
        list(load_documents(_pipeline(emu, concurrency=1), sources_of(calls), DocumentSettings(), make=lambda r: r))
    assert [r.metadata["file_name"] for r in caught.value.documents] == ["c0.wav"]
    assert caught.value.failures[0][0] == "c1.wav" and caught.value.not_started == ["c2.wav"]
    assert isinstance(caught.value.__cause__.cause, AuthenticationError)  # type: ignore[union-attr]


async def test_an_agents_answer_names_the_parts_and_fails_only_when_none_was_read(emu: Emulator) -> None:
    emu.reset()
    pipeline = _pipeline(emu, on_error="skip")
    call = Recording("call.wav", data=samples.meeting_wav(TURBO_AUDIO_SECONDS + 20.0))
    answer = await aanswer(pipeline, call, "Who speaks?")
    assert "asked in 2 parts" in answer and answer.count("Received 1 audio (mp3") == 2
    short = await aanswer(pipeline, Recording("hi.wav", data=samples.tone_wav(1.0)), "Who speaks?")
    assert short.startswith("Received 1 audio (wav, 1.00 s")
    emu.inject(Fault(status=401), times=2)
    with pytest.raises(QwenOmniError, match=r"No part of call\.wav could be read"):
        await aanswer(pipeline, call, "Who speaks?")


def test_the_sync_forms_carry_the_callers_context_into_their_thread() -> None:
    where: contextvars.ContextVar[str] = contextvars.ContextVar("where", default="unset")
    where.set("caller")

    async def read() -> tuple[str, str]:
        return where.get(), threading.current_thread().name

    async def inside_a_loop() -> tuple[str, str]:
        return run_sync(read())  # a loop runs here: the work goes to a helper thread

    value, thread = asyncio.run(inside_a_loop())
    assert value == "caller" and thread == "qwen-omni-sync"

    async def values() -> AsyncIterator[str]:
        yield where.get()

    assert list(iterate_in_thread(values)) == ["caller"]


def test_a_failing_sync_iteration_raises_its_own_error_every_time() -> None:
    """The helper loop may close while the caller cleans up after the error; that race must not replace the error
    (it did in about 2% of runs, as ``RuntimeError: Event loop is closed``)."""

    async def failing() -> AsyncIterator[int]:
        raise ValueError("the source is unreadable")
        yield 0

    raised: list[BaseException] = []
    for _ in range(500):
        try:
            list(iterate_in_thread(failing))
        except BaseException as exc:  # whatever comes out, the race's RuntimeError included
            raised.append(exc)
    assert [(type(e), str(e)) for e in raised] == [(ValueError, "the source is unreadable")] * 500


def test_stopping_a_sync_iteration_early_cancels_the_work() -> None:
    stopped = threading.Event()

    async def forever() -> AsyncIterator[int]:
        try:
            number = 0
            while True:
                await asyncio.sleep(0.001)
                yield number
                number += 1
        finally:
            stopped.set()

    for number in iterate_in_thread(forever):
        if number == 3:
            break
    assert stopped.wait(5)
