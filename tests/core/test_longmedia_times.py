"""True times in every mode: the emulator is scripted to answer like a careless model, in the segment's own clock,
and every time that reaches the user is in the whole recording's time, or marked as one that could not be placed."""

from __future__ import annotations

from pathlib import Path

import pytest
from emulator_support import in_segment_clock

from qwen_omni import OmniClient, samples
from qwen_omni.emulator import Emulator, ScriptRequest
from qwen_omni.errors import InvalidRequestError
from qwen_omni.longmedia import DocumentSettings, LongMedia, make_plan
from qwen_omni.longmedia.asking import aanswer_media
from qwen_omni.longmedia.inputs import as_recording
from qwen_omni.longmedia.modes import clock


@pytest.fixture(scope="module")
def four_minutes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four minutes: two parts on qwen-omni-turbo (3 minutes per audio file at most)."""
    path = tmp_path_factory.mktemp("times") / "meeting.wav"
    samples.write_meeting_wav(path, 240.0, seed=21)
    return path


def _pipeline(emu: Emulator, **kwargs: object) -> LongMedia:
    return LongMedia(OmniClient(api_key="sk-test", base_url=emu.base_url), model="qwen-omni-turbo", **kwargs)  # type: ignore[arg-type]


def test_a_custom_prompt_gets_whole_file_times_in_every_part(four_minutes: Path) -> None:
    with Emulator(answer=in_segment_clock) as emu:
        result = _pipeline(emu).ask_each(four_minutes, "When does the bell ring?")
        prompts = [r.user_text for r in emu.requests]
    first, second = result.answers
    assert second.start > 100, "the file is cut in two"
    assert first.recording_text == "The bell rings at 00:00:05. Someone laughs at 00:12."
    assert second.recording_text == (
        f"The bell rings at {clock(second.start + 5)}. Someone laughs at {clock(second.start + 12)[3:]}."
    ), "shifted by the part's start, written as the model wrote it"
    assert clock(second.start + 5) in result.text and "00:00:05" in result.text
    assert second.text == "The bell rings at 00:00:05. Someone laughs at 0:12.", "the answer as received is kept"
    assert all("count every time from the start of this audio" in p for p in prompts)
    assert result.notes == ()


def test_timestamps_can_be_turned_off_for_answers_without_times(four_minutes: Path) -> None:
    with Emulator(answer=in_segment_clock) as emu:
        result = _pipeline(emu).ask_each(four_minutes, "Who speaks?", timestamps=False)
        prompts = [r.user_text for r in emu.requests]
    assert [a.recording_text for a in result.answers] == [a.text for a in result.answers]
    assert "00:00:05" in result.answers[1].recording_text
    assert not any("If you mention times" in p for p in prompts)
    assert all("part " in p for p in prompts), "each part is still told where it lies"


def test_a_time_outside_its_part_is_marked_never_guessed(four_minutes: Path) -> None:
    def late(request: ScriptRequest) -> str:
        return "Everyone leaves at 00:07:30."

    with Emulator(answer=late) as emu:
        result = _pipeline(emu).ask_each(four_minutes, "When do they leave?")
    assert [a.recording_text for a in result.answers] == ["Everyone leaves at [unplaced 00:07:30]."] * 2
    assert any("could not be placed" in note and "00:07:30" in note for note in result.notes)


async def test_an_agent_answer_reduced_to_one_keeps_whole_file_times_and_its_parts(four_minutes: Path) -> None:
    with Emulator(answer=in_segment_clock) as emu:
        pipeline = _pipeline(emu)
        answer = await aanswer_media(pipeline, as_recording(four_minutes), "When?", max_answer_tokens=5)
        reduce = emu.requests[-1]
    second = answer.result.answers[1]
    assert answer.reduced and answer.result.requests == 3 and reduce.parts == []
    assert clock(second.start + 5) in reduce.user_text, "the reducer reads the parts in the whole file's time"
    assert f"at {clock(second.start + 5)}" in answer.text and "at 00:00:05" in answer.text
    assert answer.text.count("The bell rings") == 1, "one answer, not one per part"
    assert [a.index for a in answer.result.answers] == [0, 1], "the parts stay available"


async def test_an_agent_answer_under_the_budget_is_the_parts_marked_with_their_times(four_minutes: Path) -> None:
    with Emulator(answer=in_segment_clock) as emu:
        answer = await aanswer_media(_pipeline(emu), as_recording(four_minutes), "When?")
        sent = len(emu.requests)
    assert not answer.reduced and sent == 2
    assert f"[{clock(answer.result.answers[1].start)} - " in answer.text
    assert clock(answer.result.answers[1].start + 5) in answer.text


def test_an_unknown_mode_is_refused_at_every_entry_point_before_anything_is_sent(four_minutes: Path) -> None:
    with Emulator() as emu:
        pipeline = _pipeline(emu)
        calls = [
            lambda: pipeline.run(four_minutes, "describe"),  # type: ignore[arg-type]
            lambda: pipeline.plan(four_minutes, "describe"),  # type: ignore[arg-type]
            lambda: list(pipeline.iter_segments(four_minutes, "describe")),  # type: ignore[arg-type]
            lambda: list(pipeline.iter_run(four_minutes, "describe")),  # type: ignore[arg-type]
            lambda: pipeline.dry_run(four_minutes, "describe"),  # type: ignore[arg-type]
            lambda: make_plan(as_recording(four_minutes), "qwen-omni-turbo", "describe"),  # type: ignore[arg-type]
            lambda: DocumentSettings(mode="describe"),  # type: ignore[arg-type]
        ]
        for call in calls:
            with pytest.raises(InvalidRequestError, match=r"'describe'.*transcript.*description") as caught:
                call()
            assert "description" in str(caught.value)
        assert emu.requests == []
