"""LongMedia end to end against the emulator: an hour-long meeting on the tightest models, limits, failures, resumption.

The documented numbers below are written from the reference (shared/reference/README.md, "Limits per series"),
not read from qwen_omni.profiles, so that a wrong table fails here.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
import srt

from qwen_omni import OmniClient, OmniResult, RequestOptions, RetryPolicy, samples
from qwen_omni.emulator import Emulator, Fault
from qwen_omni.emulator.received import ReceivedRequest
from qwen_omni.errors import LimitExceededError, SegmentFailedError
from qwen_omni.longmedia import LongMedia, LongMediaResult, PlanOptions, RateLimiter, Slots
from qwen_omni.samples import Utterance

# From the reference: per-file audio and video lengths, input tokens, the data-URI limit.
DOCUMENTED = {
    "qwen3-omni-flash": {"audio_seconds": 20 * 60, "video_seconds": 150, "input_tokens": 49_152, "frames": (2, 128)},
    "qwen-omni-turbo": {"audio_seconds": 3 * 60, "video_seconds": 40, "input_tokens": 30_720, "frames": (4, 80)},
}
DATA_URI_LIMIT = 10_485_760
TIME_SLACK = 0.15  # seconds: the emulator hears sounds in 50 ms steps


@pytest.fixture(scope="module")
def hour(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Utterance]]:
    """A 60-minute meeting-like recording (8 kHz WAV, 57.6 MB) on disk, and who speaks when."""
    path = tmp_path_factory.mktemp("meeting") / "meeting.wav"
    return path, samples.write_meeting_wav(path, 3600.0)


@pytest.fixture(scope="module")
def ten_minutes(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Utterance]]:
    """A 10-minute stand-up: four segments on qwen-omni-turbo (3 minutes each at most)."""
    path = tmp_path_factory.mktemp("short") / "standup.wav"
    return path, samples.write_meeting_wav(path, 600.0, seed=3)


@pytest.fixture(scope="module")
def two_minutes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "chat.wav"
    samples.write_meeting_wav(path, 120.0, seed=5)
    return path


SHORT = PlanOptions(segment_seconds=10)  # many small segments, cheap to cut


def _client(emu: Emulator, **limiter: float) -> OmniClient:
    # The documented quota (60 requests, 100,000 tokens a minute) scaled 100x faster. At this scale a request's
    # trip to the server (tens of ms on a busy machine) is a large part of the window: slack covers it.
    rates = {"rpm": 60, "tpm": 100_000, "window": 0.6, "slack": 0.15, **limiter}
    return OmniClient(api_key="sk-test", base_url=emu.base_url, rate_limiter=RateLimiter(**rates))  # type: ignore[arg-type]


def _data_uri_length(raw: int) -> int:
    return len("data:;base64,") + 4 * math.ceil(raw / 3)


def _assert_within_limits(requests: list[ReceivedRequest], model: str) -> None:
    limits = DOCUMENTED[model]
    assert requests, "no request was sent"
    for request in requests:
        assert request.status == 200, request.error_message
        assert len(request.parts) <= 1, "one media file per request"
        usage_tokens = None
        for part in request.parts:
            assert part.info is not None and part.info.duration is not None
            top = limits["audio_seconds"] if part.kind == "audio" else limits["video_seconds"]
            assert part.info.duration <= top, (part.kind, part.info.duration)
            assert part.size_bytes is not None and _data_uri_length(part.size_bytes) < DATA_URI_LIMIT
            rate = 25.0 if model == "qwen-omni-turbo" else 12.5  # audio tokens a second, from the reference
            usage_tokens = part.info.duration * rate
        if usage_tokens is not None:
            assert usage_tokens + len(request.user_text) / 4 < limits["input_tokens"]


def _assert_matches(lines: tuple, schedule: list[Utterance]) -> None:
    """Every line lies on a turn of the meeting (right time, right voice); nearly every turn is one line."""
    by_start = sorted(schedule, key=lambda u: u.start)
    whole = 0
    for line in lines:
        assert line.start is not None and line.end is not None, line
        turn = next(
            (u for u in by_start if u.start - TIME_SLACK <= line.start and line.end <= u.end + TIME_SLACK), None
        )
        assert turn is not None, f"{line} lies on no turn"
        assert f"{turn.hertz} Hz" in line.text, (line, turn)
        if abs(line.start - turn.start) <= TIME_SLACK and abs(line.end - turn.end) <= TIME_SLACK:
            whole += 1
    assert whole >= 0.97 * len(schedule), f"{whole} of {len(schedule)} turns heard whole"
    assert len(lines) <= len(schedule) + 8, "a cut splits at most the turn it lands in"


@pytest.mark.parametrize("model", ["qwen3-omni-flash", "qwen-omni-turbo"])
def test_an_hour_long_meeting_becomes_a_transcript_subtitles_and_a_summary(
    hour: tuple[Path, list[Utterance]], tmp_path: Path, model: str
) -> None:
    path, schedule = hour
    with Emulator() as emu:
        pipeline = LongMedia(_client(emu), model=model, concurrency=4, cache=tmp_path / "cache")

        transcript = pipeline.transcribe(path)
        assert transcript.complete and not transcript.skipped and transcript.notes == ()
        _assert_matches(transcript.lines, schedule)
        assert transcript.text.splitlines()[0].startswith("[00:00:00.500 --> ")
        sent = emu.requests
        _assert_within_limits(sent, model)
        assert len(sent) == len(transcript.plan.segments) == transcript.requests
        assert transcript.lines[-1].start is not None and transcript.lines[-1].start > 3500, "times are the hour's"
        assert "part 2 of" in sent[1].user_text, "each segment is told where it lies"

        emu.reset()
        subtitles = pipeline.subtitles(path)
        cues = list(srt.parse(subtitles.text))
        assert len(cues) == len(transcript.lines)
        assert [c.start.total_seconds() for c in cues] == pytest.approx([line.start for line in transcript.lines])
        assert cues[-1].end.total_seconds() <= 3600
        assert emu.requests == [], "the subtitles are the transcript, already in the cache"

        emu.reset()
        summary = pipeline.summarize(path)  # a summary of the transcript: its map step is in the cache too
        assert summary.complete and summary.text and summary.requests == 1
        [reduce] = emu.requests
        assert reduce.parts == [] and reduce.model == model
        assert "00:00:00.500 --> " in reduce.user_text and "00:59:" in reduce.user_text, "the whole hour, in its time"


def test_a_different_model_writes_the_summary(ten_minutes: tuple[Path, list[Utterance]]) -> None:
    path, _ = ten_minutes
    with Emulator() as emu:
        pipeline = LongMedia(
            _client(emu), model="qwen-omni-turbo", reduce_model="qwen3.5-omni-plus", summary_from="notes"
        )
        result = pipeline.summarize(path)
    assert [r.model for r in emu.requests] == ["qwen-omni-turbo"] * len(result.plan.segments) + ["qwen3.5-omni-plus"]
    assert all("Take notes on this audio" in r.user_text for r in emu.requests[:-1])
    assert "Below are timestamped notes" in emu.requests[-1].user_text and result.complete
    assert result.reduce_model == "qwen3.5-omni-plus"


def test_a_failure_loses_nothing_and_a_rerun_sends_only_what_is_missing(
    ten_minutes: tuple[Path, list[Utterance]], tmp_path: Path
) -> None:
    path, schedule = ten_minutes
    with Emulator() as emu:
        pipeline = LongMedia(_client(emu), model="qwen-omni-turbo", concurrency=1, cache=tmp_path / "cache")
        count = len(pipeline.plan(path).segments)
        assert count >= 4
        emu.inject(Fault(status=400, message="the third request is refused"), after=2)
        with pytest.raises(SegmentFailedError) as caught:
            pipeline.transcribe(path)
        error = caught.value
        assert "standup.wav" in str(error) and "segment 3 " in str(error)
        assert error.segment == 2 and error.recording == "standup.wav"
        partial: LongMediaResult = error.partial
        assert [a.index for a in partial.answers] == [0, 1] and not partial.complete

        emu.reset()
        result = pipeline.transcribe(path)
        resent = emu.requests
    assert len(resent) == count - 2, "only the missing segments are sent again"
    assert [f"part {i + 1} of {count}" in r.user_text for i, r in zip(range(2, count), resent, strict=True)]
    assert all(f"part {i + 1} of {count}" in r.user_text for i, r in zip(range(2, count), resent, strict=True))
    assert result.complete and [a.cached for a in result.answers] == [True, True] + [False] * (count - 2)
    _assert_matches(result.lines, schedule)


def test_skipped_segments_are_recorded_with_the_reason(two_minutes: Path) -> None:
    path = two_minutes
    with Emulator() as emu:
        pipeline = LongMedia(_client(emu), model="qwen-omni-turbo", concurrency=1, on_error="skip", options=SHORT)
        emu.inject(Fault(status=400, message="refused on purpose"), after=1)
        result = pipeline.transcribe(path)
    assert [s.index for s in result.skipped] == [1]
    assert "refused on purpose" in result.skipped[0].reason and "chat.wav, segment 2 of" in result.skipped[0].reason
    assert not result.complete and any("skipped segment 2" in note for note in result.notes)
    assert [a.index for a in result.answers] == [i for i in range(len(result.plan.segments)) if i != 1]


def test_each_segment_is_retried_within_one_budget_shared_with_the_client(two_minutes: Path) -> None:
    path = two_minutes
    with Emulator() as emu:
        client = _client(emu)
        client.retry_policy = RetryPolicy(max_retries=1, initial_delay=0.01)
        pipeline = LongMedia(client, model="qwen-omni-turbo", concurrency=1, retry_delay=0.01, options=SHORT)
        emu.inject(Fault(status=503), times=2)  # the client retries once (its policy), then the pipeline once more
        result = pipeline.transcribe(path)
    assert result.complete
    assert [r.status for r in emu.requests[:3]] == [503, 503, 200], "retries=2: the third request is the last try"


def test_a_429_with_a_long_retry_after_slows_down_instead_of_failing(two_minutes: Path) -> None:
    path = two_minutes
    with Emulator(rpm=3, rpm_window=1.0) as emu:
        client = _client(emu, rpm=1000, tpm=10**9)  # a budget too generous for this server
        client.retry_policy = RetryPolicy(max_retries=2, initial_delay=0.01, max_retry_after=0.1)  # 1 s is "long"
        pipeline = LongMedia(client, model="qwen-omni-turbo", concurrency=4, retry_delay=0.05, options=SHORT)
        result = pipeline.transcribe(path)
    assert result.complete and len(result.answers) >= 12
    assert any(r.status == 429 for r in emu.requests)
    limiter = client.rate_limiter
    assert isinstance(limiter, RateLimiter) and limiter.pauses >= 1


def test_the_rate_limiter_keeps_requests_within_the_budget(two_minutes: Path) -> None:
    with Emulator(rpm=3, rpm_window=0.5) as emu:
        client = _client(emu, rpm=3, window=0.5, tpm=10**9, slack=0.3)  # slack: a busy machine's jitter
        LongMedia(client, model="qwen-omni-turbo", concurrency=8, options=SHORT).transcribe(two_minutes)
        arrivals = sorted(r.arrived for r in emu.requests)
    assert all(r.status == 200 for r in emu.requests), "no request met the server's limit"
    assert len(arrivals) >= 12
    assert max(sum(1 for t in arrivals if s <= t < s + 0.5) for s in arrivals) <= 3


def test_concurrency_is_bounded_across_files_and_calls(tmp_path: Path) -> None:
    files = []
    for number in range(3):
        files.append(tmp_path / f"call{number}.wav")
        samples.write_meeting_wav(files[-1], 60.0, seed=number)
    latency = 0.3
    with Emulator(first_chunk_delay=latency) as emu:
        shared = Slots(2)
        pipeline = LongMedia(
            _client(emu), model="qwen-omni-turbo", concurrency=shared, options=PlanOptions(segment_seconds=15)
        )

        async def all_files() -> list[LongMediaResult]:
            return await asyncio.gather(*(pipeline.arun(f) for f in files))

        results = asyncio.run(all_files())
        arrivals = sorted(r.arrived for r in emu.requests)
    assert all(r.complete for r in results) and len(arrivals) >= 12
    in_any_window = max(sum(1 for t in arrivals if s <= t < s + latency * 0.8) for s in arrivals)
    assert in_any_window <= 2, "never more than two requests in flight over all three files"
    assert shared.peak == 2


def test_video_is_cut_within_the_video_limits_and_described_in_the_guides_format() -> None:
    clip = samples.meeting_mp4(100.0)
    with Emulator() as emu:
        pipeline = LongMedia(_client(emu), model="qwen-omni-turbo")
        result = pipeline.describe(clip, name="promo.mp4")
        sent = emu.requests
    _assert_within_limits(sent, "qwen-omni-turbo")
    assert len(sent) == len(result.plan.segments) >= 3
    assert all(r.parts[0].kind == "video" and r.parts[0].options == {"fps": 2.0} for r in sent)
    assert all(r.parts[0].info.width * r.parts[0].info.height <= 230_400 for r in sent)  # type: ignore[union-attr]
    assert " – " in result.text.splitlines()[0]
    assert result.lines[-1].start is not None and result.lines[-1].start > 60


def test_video_as_frames_keeps_to_the_frame_limits() -> None:
    clip = samples.meeting_mp4(120.0)
    with Emulator() as emu:
        options = PlanOptions(video_as="frames", fps=2.0)  # at most 80 frames: 40 s a segment
        result = LongMedia(_client(emu), model="qwen-omni-turbo", options=options).describe(clip, name="slides.mp4")
        sent = emu.requests
    low, high = DOCUMENTED["qwen-omni-turbo"]["frames"]
    assert result.complete and len(sent) >= 3
    for request in sent:
        part = request.parts[0]
        assert part.kind == "video_frames" and part.frame_count is not None and low <= part.frame_count <= high


def test_a_url_is_sent_as_it_is_and_never_downloaded() -> None:
    with Emulator() as emu:
        pipeline = LongMedia(_client(emu), model="qwen3-omni-flash")
        plan = pipeline.plan("https://example.com/calls/monday.mp3")
        assert [(s.delivery, s.end) for s in plan.segments] == [("url", 1200.0)]
        assert "length unknown" in plan.describe()
        result = pipeline.transcribe("https://example.com/calls/monday.mp3")
        assert emu.requests[0].parts[0].url == "https://example.com/calls/monday.mp3"
        assert result.answers[0].text.startswith("Received 1 audio by URL (https://example.com/calls/monday.mp3")
        with pytest.raises(LimitExceededError, match="nothing is downloaded"):
            pipeline.plan("https://example.com/calls/monday.mp3", options=PlanOptions(duration=3600))
        assert len(emu.requests) == 1


def test_the_dry_run_sends_nothing(ten_minutes: tuple[Path, list[Utterance]]) -> None:
    path, _ = ten_minutes
    with Emulator() as emu:
        text = LongMedia(_client(emu), model="qwen-omni-turbo").dry_run(path)
        assert emu.requests == []
    assert "standup.wav: audio, 00:10:00" in text and "request(s) to qwen-omni-turbo" in text
    assert "tokens in" in text and "re-encoded as MP3" in text


def test_segments_are_yielded_in_order_as_they_come(two_minutes: Path) -> None:
    path = two_minutes
    with Emulator(first_chunk_delay=0.05) as emu:
        pipeline = LongMedia(_client(emu), model="qwen-omni-turbo", concurrency=3, options=SHORT)
        outcomes: Iterator = pipeline.iter_segments(path, "transcript")
        first = next(outcomes)
        rest = list(outcomes)
    assert [o.index for o in [first, *rest]] == list(range(len(rest) + 1)) and len(rest) >= 11


def test_a_custom_ask_sends_every_request_and_its_failures_are_recorded(two_minutes: Path) -> None:
    with Emulator() as emu:
        client = _client(emu)
        calls: list[str] = []

        async def ask(messages: list, options: RequestOptions) -> OmniResult:  # type: ignore[type-arg]
            calls.append(options.model)
            if len(calls) == 2:
                raise ValueError("the framework refused it")
            return await client.acomplete(messages, options)

        pipeline = LongMedia(client, model="qwen-omni-turbo", concurrency=1, on_error="skip", options=SHORT, ask=ask)
        result = pipeline.transcribe(two_minutes)
    assert len(calls) == len(result.plan.segments) and set(calls) == {"qwen-omni-turbo"}
    assert [s.index for s in result.skipped] == [1] and "ValueError: the framework refused it" in result.skipped[
        0
    ].reason


def test_a_recording_cut_short_is_planned_by_what_it_holds(tmp_path: Path) -> None:
    wav = bytearray(samples.meeting_wav(60.0))
    cut = tmp_path / "cut.wav"
    cut.write_bytes(bytes(wav[: 44 + 2 * 8000 * 25]))  # 25 s of samples under a 60 s header
    with Emulator() as emu:
        pipeline = LongMedia(
            _client(emu), model="qwen-omni-turbo", on_error="skip", options=PlanOptions(segment_seconds=20)
        )
        result = pipeline.transcribe(cut)
    assert result.answers and result.answers[-1].end <= 25.01
    assert all(line.end is None or line.end <= 25.01 for line in result.lines)
    assert result.plan.duration == pytest.approx(25.0) and result.plan.declared_duration == pytest.approx(60.0)
    assert result.partial and [(g.start, g.end, g.reason) for g in result.gaps] == [(25.0, 60.0, "past_end")]


def test_progress_bars_go_to_stderr_only_when_asked(two_minutes: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Emulator() as emu:
        LongMedia(_client(emu), model="qwen-omni-turbo", options=SHORT).transcribe(two_minutes)
        assert capsys.readouterr().err == ""
        LongMedia(_client(emu), model="qwen-omni-turbo", options=SHORT, progress=True).transcribe(two_minutes)
    err = capsys.readouterr().err
    count = len(LongMedia(model="qwen-omni-turbo", options=SHORT).plan(two_minutes).segments)
    assert "chat.wav" in err and f"{count}/{count}" in err


def test_the_async_forms_take_bytes_and_file_objects(two_minutes: Path) -> None:
    data = two_minutes.read_bytes()
    with Emulator() as emu, two_minutes.open("rb") as handle:
        pipeline = LongMedia(_client(emu), model="qwen-omni-turbo", options=SHORT, on_error="raise")

        async def main() -> tuple[LongMediaResult, list[int]]:
            from_bytes = await pipeline.arun(data, name="chat.wav")
            indexes = [o.index async for o in pipeline.aiter_segments(handle)]
            emu.inject(Fault(status=400, message="no"), after=1)
            with pytest.raises(SegmentFailedError, match="segment 2 "):
                async for _ in pipeline.aiter_segments(data, name="chat.wav"):
                    pass
            return from_bytes, indexes

        from_bytes, indexes = asyncio.run(main())
    assert from_bytes.complete and indexes == list(range(len(from_bytes.answers)))
