"""The pipeline's pure parts: planning within the documented limits, times, merging, subtitles, cache, slots.

Documented numbers are written here from the reference (shared/reference/README.md), not read from profiles.
"""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
import srt
import webvtt

from qwen_omni import samples
from qwen_omni.errors import LimitExceededError
from qwen_omni.longmedia import AnswerCache, LongMedia, PlanOptions, Prices, Slots, TimedLine, as_recording, make_plan
from qwen_omni.longmedia.cache import CachedAnswer, cache_key
from qwen_omni.longmedia.limits import data_uri_length, inline_capacity, segment_limits
from qwen_omni.longmedia.merge import merge_lines, render_lines
from qwen_omni.longmedia.modes import Where, segment_prompt
from qwen_omni.longmedia.subtitles import to_srt, to_vtt
from qwen_omni.longmedia.timestamps import parse_time, timed_lines
from qwen_omni.profiles import get_profile

DATA_URI_LIMIT = 10_485_760  # "Exceeded limit on max bytes per data-uri item : 10485760"


@pytest.fixture(scope="module")
def hour_wav(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("plan") / "lecture.wav"
    samples.write_meeting_wav(path, 3600.0, sample_rate=16_000)
    return path


# ------------------------------------------------------------------------------------------ limits


def test_the_data_uri_limit_and_base64_inflation() -> None:
    capacity = inline_capacity()
    assert data_uri_length(capacity) < DATA_URI_LIMIT <= data_uri_length(capacity + 3)
    assert 7_800_000 < capacity < 7_900_000, "about 7.5 MB of file"


@pytest.mark.parametrize(
    ("model", "audio_seconds", "video_seconds", "frames"),
    [
        ("qwen3-omni-flash", 1200, 150, (2, 128)),
        ("qwen-omni-turbo", 180, 40, (4, 80)),
        ("qwen3.5-omni-plus", 10800, 3600, (2, 2048)),
    ],
)
def test_segment_limits_are_the_documented_ones(
    model: str, audio_seconds: int, video_seconds: int, frames: tuple[int, int]
) -> None:
    profile = get_profile(model)
    assert segment_limits(profile, "audio").max_seconds == audio_seconds
    assert segment_limits(profile, "video").max_seconds == video_seconds
    framed = segment_limits(profile, "frames")
    assert (framed.frames_min, framed.frames_max) == (frames[0], min(frames[1], 250))  # 250 data URIs a request
    assert segment_limits(profile, "audio").max_bytes == inline_capacity()


# ------------------------------------------------------------------------------------------ planning


@pytest.mark.parametrize(("model", "seconds", "input_tokens", "tokens_per_second"), [
    ("qwen3-omni-flash", 1200, 49_152, 12.5), ("qwen-omni-turbo", 180, 30_720, 25.0),
])  # fmt: skip
def test_an_hours_plan_keeps_every_segment_within_every_limit(
    hour_wav: Path, model: str, seconds: int, input_tokens: int, tokens_per_second: float
) -> None:
    plan = make_plan(as_recording(hour_wav), model, "transcript")
    assert plan.segments[0].start == 0 and plan.segments[-1].end == pytest.approx(3600.0)
    for before, after in zip(plan.segments, plan.segments[1:], strict=False):
        assert before.end == after.start, "no gap, no overlap unless asked"
    for segment in plan.segments:
        assert segment.delivery == "audio" and segment.duration <= seconds
        assert segment.data_uri < DATA_URI_LIMIT
        assert segment.duration * tokens_per_second + 400 < input_tokens
    assert len(plan.segments) == pytest.approx(3600 / (seconds - 4), abs=1), "few requests: segments near the limit"
    assert plan.bytes < 0.2 * plan.source_bytes, "16 kHz WAV re-encoded as 32 kb/s MP3"  # type: ignore[operator]


def test_cuts_land_in_silence(hour_wav: Path) -> None:
    plan = make_plan(as_recording(hour_wav), "qwen-omni-turbo", "transcript")
    turns = samples.meeting_schedule(3600.0)
    inside = [s.start for s in plan.segments[1:] if any(u.start < s.start < u.end for u in turns)]
    assert len(inside) <= 2, f"cuts inside a turn: {inside}"
    exact = make_plan(as_recording(hour_wav), "qwen-omni-turbo", "transcript", PlanOptions(snap=0))
    assert [round(s.start, 3) for s in exact.segments[1:4]] == [
        round(i * 3600 / len(exact.segments), 3) for i in (1, 2, 3)
    ]


def test_overlap_repeats_the_end_of_each_segment(hour_wav: Path) -> None:
    plan = make_plan(as_recording(hour_wav), "qwen-omni-turbo", "transcript", PlanOptions(overlap=5.0))
    for before, after in zip(plan.segments, plan.segments[1:], strict=False):
        assert before.end - after.start == pytest.approx(5.0)
        assert after.duration <= 180
    assert any("overlap" in note for note in plan.notes)


def test_a_file_that_fits_is_sent_whole_and_unchanged() -> None:
    mp3 = samples.tone_mp3(60.0, sample_rate=48_000)
    plan = make_plan(as_recording(mp3, name="jingle.mp3"), "qwen-omni-turbo", "transcript")
    assert [(s.delivery, s.bytes) for s in plan.segments] == [("whole", len(mp3))]
    forced = make_plan(
        as_recording(mp3, name="jingle.mp3"), "qwen-omni-turbo", "transcript", PlanOptions(send_whole=False)
    )
    assert forced.segments[0].delivery == "audio"
    stereo_channel = make_plan(
        as_recording(samples.tone_wav(5.0)), "qwen-omni-turbo", "transcript", PlanOptions(channel=1)
    )
    assert stereo_channel.segments[0].delivery == "whole", "a mono file has nothing to choose"


def test_video_plans_keep_to_duration_tokens_and_frames() -> None:
    clip = samples.meeting_mp4(200.0)
    for model, seconds in (("qwen3-omni-flash", 150), ("qwen-omni-turbo", 40)):
        plan = make_plan(as_recording(clip, name="talk.mp4"), model, "description")
        profile = get_profile(model)
        assert all(s.delivery == "video" and s.duration <= seconds for s in plan.segments)
        assert all(s.tokens_in < profile.max_input_tokens for s in plan.segments)
    frames = make_plan(
        as_recording(clip, name="talk.mp4"), "qwen-omni-turbo", "description", PlanOptions(video_as="frames", fps=4)
    )
    assert all(4 <= (s.frames or 0) <= 80 for s in frames.segments)


def test_video_fps_and_pixels_shape_the_tokens() -> None:
    clip = as_recording(samples.meeting_mp4(60.0, fps=4, width=320, height=180), name="demo.mp4")
    sparse = make_plan(clip, "qwen3.5-omni-plus", "description", PlanOptions(fps=1, send_whole=False))
    dense = make_plan(clip, "qwen3.5-omni-plus", "description", PlanOptions(fps=4, send_whole=False))
    assert dense.tokens_in > 3 * sparse.tokens_in


def test_the_dry_run_estimates_cost_only_from_given_prices() -> None:
    plan = make_plan(as_recording(samples.tone_wav(400.0)), "qwen-omni-turbo", "transcript")
    assert "pass prices=" in plan.describe()
    priced = plan.describe(Prices(input_per_million=1.0, output_per_million=2.0, currency="CNY"))
    assert f"{plan.tokens_in / 1e6 + 2 * plan.tokens_out / 1e6:.4f} CNY" in priced


def test_urls_with_unknown_length_are_planned_at_the_models_limit() -> None:
    plan = make_plan(as_recording("https://example.com/a/clip.mp4"), "qwen-omni-turbo", "description")
    assert [(s.delivery, s.end, s.bytes) for s in plan.segments] == [("url", 40.0, 0)]
    assert not plan.duration_known
    known = make_plan(
        as_recording("https://example.com/a/clip.mp4"), "qwen-omni-turbo", "description", PlanOptions(duration=30)
    )
    assert known.duration_known and known.segments[0].end == 30
    with pytest.raises(LimitExceededError, match="cannot be cut"):
        make_plan(
            as_recording("https://example.com/a/clip.mp4"), "qwen-omni-turbo", "description", PlanOptions(duration=41)
        )


def test_bad_options_are_refused() -> None:
    with pytest.raises(ValueError, match="fps"):
        PlanOptions(fps=20)
    with pytest.raises(ValueError, match="overlap"):
        PlanOptions(overlap=-1)
    with pytest.raises(ValueError, match="on_error"):
        LongMedia(model="qwen-omni-turbo", on_error="ignore")  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------ prompts


def test_every_prompt_says_where_the_segment_lies() -> None:
    where = Where("audio", 2, 5, 1200.0, 1800.0)
    for task in ("transcript", "description", "notes"):
        prompt = segment_prompt(task, where)  # type: ignore[arg-type]
        assert "part 3 of 5" in prompt and "starts 00:20:00 into the recording" in prompt
        assert "from the start of this audio" in prompt
    assert "[00:00:15,020 --> 00:00:28,085]" in segment_prompt("transcript", where), "the guide's caption format"
    assert "00:00.000 – 00:02.500" in segment_prompt("description", where), "the guide's description format"
    assert segment_prompt("custom", where, custom="Who speaks?").startswith("Who speaks?")


# ------------------------------------------------------------------------------------------ timestamps


def test_parse_time_reads_every_format() -> None:
    assert [parse_time(t) for t in ("00:00:15,020", "00:12.300", "1:02:03.5", "75:00")] == [15.02, 12.3, 3723.5, 4500.0]


def test_times_are_shifted_into_the_whole_file() -> None:
    answer = "[00:00:01,000 --> 00:00:02,000] One.\n[00:00:05,500 --> 00:00:07,000] : Two."
    lines, notes = timed_lines(answer, 600.0, 60.0, segment=3)
    assert [(line.start, line.end, line.text, line.segment) for line in lines] == [
        (601.0, 602.0, "One.", 3),
        (605.5, 607.0, "Two.", 3),
    ]
    assert notes == ()


def test_the_guides_inline_format_and_arrows() -> None:
    answer = (
        "[00:00:12,680 --> 00:00:16,960] Cat thread sways. [00:00:18,400 --> 00:00:22,800] Radiators hum. "
        "[00:00:24.160 → 00:00:28.080] Time parts."
    )  # the guide's own example answer, several on one line
    lines, _ = timed_lines(answer, 0.0, 60.0)
    assert [line.text for line in lines] == ["Cat thread sways.", "Radiators hum.", "Time parts."]
    assert lines[2].start == 24.16


def test_times_in_the_whole_files_time_are_recognised() -> None:
    lines, notes = timed_lines("[00:10:01,000 --> 00:10:03,000] Hi.\n[00:10:40,000 --> 00:10:42,000] Bye.", 600.0, 60.0)
    assert [line.start for line in lines] == [601.0, 640.0]
    assert any("whole recording's time" in note for note in notes)


def test_unusable_times_are_never_invented() -> None:
    lines, notes = timed_lines(
        "[00:00:05,000 --> 00:00:04,000] Backwards.\n[00:09:00,000 --> 00:09:01,000] Far away.", 120.0, 60.0
    )
    assert (lines[0].start, lines[0].end) == (125.0, None)
    assert lines[-1].start is None and lines[-1].text == "Far away."
    assert any("unusable" in note for note in notes) and any("fell outside the segment" in note for note in notes)
    untimed, notes = timed_lines("Someone laughs, then silence.", 0.0, 60.0)
    assert [(line.start, line.text) for line in untimed] == [(None, "Someone laughs, then silence.")]
    assert any("no times found" in note for note in notes)


def test_lines_out_of_order_are_sorted_and_said_to_be() -> None:
    lines, notes = timed_lines("[00:00:09,000 --> 00:00:10,000] B.\n[00:00:01,000 --> 00:00:02,000] A.", 0.0, 60.0)
    assert [line.text for line in lines] == ["A.", "B."]
    assert any("out of order" in note for note in notes)


# ------------------------------------------------------------------------------------------ merging and subtitles


def test_merging_drops_what_the_overlap_repeats_and_only_that() -> None:
    first = [TimedLine(50.0, 54.0, "We ship on Friday.", 0), TimedLine(58.0, 60.0, "Any questions?", 0)]
    second = [
        TimedLine(58.1, 59.9, "Any questions?", 1),
        TimedLine(61.0, 63.0, "Any questions?", 1),  # said again, after the overlap: kept
        TimedLine(64.0, 65.0, "Yes.", 1),
    ]
    merged = merge_lines([first, second], [(0.0, 60.0), (55.0, 120.0)])
    assert [(line.start, line.text) for line in merged] == [
        (50.0, "We ship on Friday."), (58.0, "Any questions?"), (61.0, "Any questions?"), (64.0, "Yes."),
    ]  # fmt: skip
    assert render_lines(merged[:1], "description") == "00:00:50.000 – 00:00:54.000 We ship on Friday."


def test_srt_and_webvtt_come_from_their_libraries() -> None:
    lines = [
        TimedLine(3661.5, 3663.0, "Hello.", 0),
        TimedLine(3664.0, None, "Next.", 0),
        TimedLine(None, None, "Untimed.", 0),
    ]
    text, notes = to_srt(lines)
    cues = list(srt.parse(text))
    assert [(c.start.total_seconds(), c.end.total_seconds(), c.content) for c in cues] == [
        (3661.5, 3663.0, "Hello."), (3664.0, 3671.0, "Next."),
    ]  # fmt: skip
    assert any("no usable time" in n for n in notes) and any("no end" in n for n in notes)
    vtt, _ = to_vtt(lines)
    captions = webvtt.from_string(vtt)
    assert [(c.start, c.text) for c in captions] == [("01:01:01.500", "Hello."), ("01:01:04.000", "Next.")]


# ------------------------------------------------------------------------------------------ cache and slots


def test_the_cache_key_covers_what_decides_an_answer(tmp_path: Path) -> None:
    base = {
        "source": "abc",
        "start": 0.0,
        "end": 60.0,
        "delivery": "audio",
        "encoding": "mp3",
        "model": "m",
        "task": "transcript",
        "prompt": "p",
    }
    keys = {cache_key(**base)}  # type: ignore[arg-type]
    for field, other in (("source", "abd"), ("end", 61.0), ("model", "n"), ("task", "notes"), ("prompt", "q")):
        keys.add(cache_key(**{**base, field: other}))  # type: ignore[arg-type]
    assert len(keys) == 6
    cache = AnswerCache(tmp_path / "answers")
    assert cache.get(cache_key(**base)) is None  # type: ignore[arg-type]
    cache.put(cache_key(**base), CachedAnswer("text", "stop", {"total_tokens": 5}))  # type: ignore[arg-type]
    assert cache.get(cache_key(**base)) == CachedAnswer("text", "stop", {"total_tokens": 5})  # type: ignore[arg-type]
    assert not list((tmp_path / "answers").rglob(".tmp-*")), "no half-written entry is left"


def test_slots_bound_threads_and_event_loops_together() -> None:
    slots = Slots(2)
    held: list[int] = []

    def in_thread() -> None:
        with slots:
            held.append(slots.in_use)
            time.sleep(0.05)

    async def in_loop() -> None:
        async with slots:
            held.append(slots.in_use)
            await asyncio.sleep(0.05)

    threads = [threading.Thread(target=in_thread) for _ in range(3)]
    for thread in threads:
        thread.start()

    async def loops() -> None:
        await asyncio.gather(*(in_loop() for _ in range(3)))

    asyncio.run(loops())
    for thread in threads:
        thread.join()
    assert len(held) == 6 and max(held) <= 2 and slots.peak == 2 and slots.in_use == 0


async def test_a_cancelled_waiter_gives_its_slot_away() -> None:
    slots = Slots(1)
    await slots.aacquire()
    waiter = asyncio.create_task(slots.aacquire())
    await asyncio.sleep(0.01)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    slots.release()
    assert slots.in_use == 0
    async with slots:
        assert slots.in_use == 1
