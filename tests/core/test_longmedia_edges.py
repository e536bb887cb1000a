"""Exact edges and one retry budget: a sentence heard twice across a cut is kept once, no cue has zero length, and
a segment that always fails costs at most its budget of requests, whoever retries."""

from __future__ import annotations

import srt
from emulator_support import segment_start

from qwen_omni import OmniClient, samples
from qwen_omni.emulator import Emulator, Fault, ScriptRequest
from qwen_omni.longmedia import LongMedia, PlanOptions, Recording
from qwen_omni.longmedia.merge import merge_lines
from qwen_omni.longmedia.timestamps import TimedLine, timed_lines


def _pipeline(emu: Emulator, **kwargs: object) -> LongMedia:
    return LongMedia(OmniClient(api_key="sk-test", base_url=emu.base_url), model="qwen-omni-turbo", **kwargs)  # type: ignore[arg-type]


def test_a_segment_that_always_fails_costs_one_budget_of_requests() -> None:
    recording = Recording("call.wav", data=samples.meeting_wav(30.0))
    with Emulator() as emu:
        emu.inject(Fault(status=500), times=1_000)
        pipeline = _pipeline(emu, retries=2, retry_delay=0.0, on_error="skip")
        pipeline.client.retry_policy = type(pipeline.client.retry_policy)(max_retries=2, initial_delay=0.0)
        result = pipeline.transcribe(recording)
        assert len(emu.requests) == 3, "1 + retries, not (1 + client retries) x (1 + pipeline retries) = 9"
        assert result.partial and [g.reason for g in result.gaps] == ["skipped"]
        emu.reset()
        none = _pipeline(emu, retries=0, retry_delay=0.0, on_error="skip")
        none.transcribe(recording)
        assert len(emu.requests) == 1, "retries=0: the client does not retry either"


def test_a_segment_that_fails_once_is_answered_on_the_next_try() -> None:
    with Emulator() as emu:
        emu.inject(Fault(status=503))
        result = _pipeline(emu, retry_delay=0.0).transcribe(Recording("call.wav", data=samples.meeting_wav(10.0)))
        assert result.complete and len(emu.requests) == 2


def test_a_sentence_across_a_cut_is_kept_once_and_no_cue_has_zero_length() -> None:
    def heard_twice(request: ScriptRequest) -> str:
        if segment_start(request.text) == 0:  # the first part ends at 20 s: it hears the start of the sentence
            return "[00:00:02,000 --> 00:00:04,000] Good morning.\n[00:00:19,600 --> 00:00:20,400] We will ship"
        return "[00:00:00,000 --> 00:00:01,500] We will ship on Friday.\n[00:00:03,000 --> 00:00:04,000] Thanks."

    with Emulator(answer=heard_twice) as emu:
        pipeline = _pipeline(emu, options=PlanOptions(segment_seconds=20, snap=0))
        result = pipeline.subtitles(Recording("call.wav", data=samples.meeting_wav(40.0)))
    texts = [line.text for line in result.lines]
    assert texts == ["Good morning.", "We will ship on Friday.", "Thanks."], "the cut-off head gives way to the whole"
    cues = list(srt.parse(result.text))
    assert all(cue.end > cue.start for cue in cues)


def test_a_sentence_tail_inside_an_overlap_is_dropped() -> None:
    earlier = [TimedLine(50.0, 57.5, "We will ship the release on Friday.", 0)]
    later = [TimedLine(55.2, 57.4, "the release on Friday.", 1), TimedLine(58.0, 59.0, "Thanks.", 1)]
    merged = merge_lines([earlier, later], [(0.0, 58.0), (55.0, 90.0)])
    assert [line.text for line in merged] == ["We will ship the release on Friday.", "Thanks."]


def test_a_line_clamped_to_its_segments_end_has_no_zero_length_end() -> None:
    lines, _ = timed_lines("[00:00:20,200 --> 00:00:20,600] Late words.", 100.0, 20.0)
    [line] = lines
    assert line.start == 120.0 and line.end is None, "an end equal to its start is no end"
