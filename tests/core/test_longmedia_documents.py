"""Documents from the pipeline: facts in the metadata and not in the text, a lazy load paced by its caller (proven
with the read-ahead's own events, not timing), every recording probed before the first request, and small segments
that do not multiply."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from qwen_omni import OmniClient, samples
from qwen_omni.emulator import Emulator, ScriptRequest
from qwen_omni.errors import MediaError
from qwen_omni.longmedia import (
    DocumentRecord,
    DocumentSettings,
    LongMedia,
    PlanOptions,
    Recording,
    load_documents,
    sources_of,
)
from qwen_omni.longmedia.readahead import ReadAhead


def _pipeline(emu: Emulator, **kwargs: object) -> LongMedia:
    return LongMedia(OmniClient(api_key="sk-test", base_url=emu.base_url), model="qwen-omni-turbo", **kwargs)  # type: ignore[arg-type]


def _records(pipeline: LongMedia, items: list[object], **kwargs: object) -> list[DocumentRecord]:
    return list(load_documents(pipeline, sources_of(items), DocumentSettings(), make=lambda r: r, **kwargs))  # type: ignore[arg-type]


def test_a_time_that_cannot_be_used_is_told_in_the_metadata_not_the_text() -> None:
    def careless(request: ScriptRequest) -> str:
        return "Someone coughs.\n[00:00:01,000 --> 00:00:02,000] Hello there."

    with Emulator(answer=careless) as emu:
        (record,) = _records(_pipeline(emu), [Recording("memo.wav", data=samples.tone_wav(3.0))])
    assert record.text == "Someone coughs.\n[00:00:01.000 --> 00:00:02.000] Hello there."
    assert "line(s) came without a time" in record.metadata["notes"]
    with Emulator(answer=careless) as emu:  # a transcript file still marks it, where no metadata is
        result = _pipeline(emu).transcribe(samples.tone_wav(3.0))
    assert result.text.startswith("[time unknown] Someone coughs.")


def test_a_lazy_load_keeps_at_most_concurrency_requests_ahead_of_the_caller(tmp_path: Path) -> None:
    for number in range(3):
        samples.write_meeting_wav(tmp_path / f"call{number}.wav", 12.0, seed=number)
    ahead = ReadAhead(2)
    with Emulator() as emu:
        pipeline = _pipeline(emu, options=PlanOptions(segment_seconds=3, snap=0), concurrency=2)
        paths = [tmp_path / f"call{number}.wav" for number in range(3)]
        documents = load_documents(pipeline, sources_of(paths), DocumentSettings(), make=lambda r: r, read_ahead=ahead)
        taken = 0
        for record in documents:
            taken += 1
            # The producer has stopped because the caller has not asked for more: only now is the count settled.
            if taken <= 11:  # the twelfth is the last: nothing is left to send
                # Every place held: the load has sent all it may and waits for the caller. Only now is the count
                # settled; a load that does not wait for its caller never gets here.
                assert ahead.wait_full(timeout=60), "the load never filled its places"
                sent = len(emu.requests)
                assert sent <= taken - 1 + 2, (taken, sent)  # taken - 1 given back, 2 places
            assert ahead.in_use <= 2
            assert record.metadata["segment_count"] == 4
        assert taken == 12 and len(emu.requests) == 12


def test_the_bound_holds_at_every_request_the_emulator_sees() -> None:
    asked = {"next": 0}
    lock = threading.Lock()
    violations: list[tuple[int, int]] = []
    arrived = {"count": 0}

    def watch(request: ScriptRequest) -> str:
        with lock:
            arrived["count"] += 1
            if arrived["count"] > asked["next"] - 1 + 2:
                violations.append((arrived["count"], asked["next"]))
        return "[00:00:00,100 --> 00:00:00,500] Hello."

    recordings = [Recording(f"r{n}.wav", data=samples.meeting_wav(8.0, seed=n)) for n in range(2)]
    with Emulator(answer=watch) as emu:
        pipeline = _pipeline(emu, options=PlanOptions(segment_seconds=2, snap=0), concurrency=2)
        iterator = load_documents(pipeline, sources_of(recordings), DocumentSettings(), make=lambda r: r)
        count = 0
        while True:
            with lock:
                asked["next"] += 1
            if next(iterator, None) is None:
                break
            count += 1
    assert count == 8 and violations == []


def test_every_recording_is_probed_before_the_first_request(tmp_path: Path) -> None:
    good, broken = tmp_path / "good.wav", tmp_path / "broken.wav"
    good.write_bytes(samples.tone_wav(2.0))
    broken.write_bytes(b"RIFF" + bytes(64))
    with Emulator() as emu:
        with pytest.raises(MediaError, match=r"broken\.wav"):
            _records(_pipeline(emu), [good, broken])
        assert emu.requests == [], "nothing was sent before the bad file was found"
        skipped = _records(_pipeline(emu, on_error="skip"), [good, broken])
    assert [r.metadata.get("skipped", False) for r in skipped] == [False, True]


def test_small_segments_are_not_multiplied_by_snapping() -> None:
    recording = Recording("eight.wav", data=samples.meeting_wav(8.0, seed=2))
    with Emulator() as emu:
        pipeline = _pipeline(emu, options=PlanOptions(segment_seconds=1))
        plan = pipeline.plan(recording)
        result = pipeline.run(recording)
    assert len(plan.segments) == 8 == result.requests == len(emu.requests)
    assert max(s.duration for s in plan.segments) <= 1.0 + 1e-9


def test_snapping_moves_a_cut_at_most_a_quarter_of_a_segment() -> None:
    recording = Recording("talk.wav", data=samples.meeting_wav(100.0, seed=4))
    plan = LongMedia(OmniClient(api_key="k"), model="qwen-omni-turbo", options=PlanOptions(segment_seconds=4, snap=5))
    segments = plan.plan(recording).segments
    assert len(segments) >= 25 and all(s.duration <= 4.0 + 1e-9 for s in segments)
    assert all(abs(s.end - (s.index + 1) * 100 / len(segments)) <= 100 / len(segments) / 4 + 1e-6 for s in segments)
