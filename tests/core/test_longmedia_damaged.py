"""Damaged, truncated and silent recordings: what decodes is read, what does not is told with its times, later
times stay true, the result says it is partial, and long silences cost no request."""

from __future__ import annotations

import numpy as np
import pytest

from qwen_omni import OmniClient, samples
from qwen_omni.audio import wav_to_pcm16
from qwen_omni.emulator import Emulator
from qwen_omni.longmedia import (
    DocumentSettings,
    LongMedia,
    LongMediaResult,
    PlanOptions,
    Recording,
    load_documents,
    sources_of,
)
from qwen_omni.longmedia.modes import clock
from qwen_omni.media.encoding import AudioWriter
from qwen_omni.samples import Utterance

RATE = 48_000
BYTES_PER_SECOND = 128_000 // 8


def _mp3(seconds: float, seed: int) -> tuple[bytes, list[Utterance]]:
    mono = np.frombuffer(wav_to_pcm16(samples.meeting_wav(seconds, sample_rate=RATE, seed=seed)), dtype="<i2")
    with AudioWriter("mp3", RATE, 2, bitrate=128_000) as writer:
        writer.write(np.stack([mono, mono], axis=1).reshape(-1))
        return writer.finish(), samples.meeting_schedule(seconds, seed=seed)


@pytest.fixture(scope="module")
def meeting() -> tuple[bytes, list[Utterance]]:
    """Four minutes at 48 kHz stereo, 128 kb/s (16,000 bytes a second)."""
    return _mp3(240.0, seed=31)


@pytest.fixture(scope="module")
def damaged(meeting: tuple[bytes, list[Utterance]]) -> bytes:
    """200 KB overwritten from byte 1,600,000: about 100.0 s to 112.5 s cannot be decoded."""
    data = bytearray(meeting[0])
    data[1_600_000:1_800_000] = np.random.default_rng(5).integers(0, 256, 200_000, dtype=np.uint8).tobytes()
    return bytes(data)


def _run(data: bytes, name: str, **options: object) -> tuple[LongMediaResult, int]:
    with Emulator() as emu:
        client = OmniClient(api_key="sk-test", base_url=emu.base_url)
        pipeline = LongMedia(client, model="qwen-omni-turbo", options=PlanOptions(**options))  # type: ignore[arg-type]
        result = pipeline.transcribe(Recording(name, data=data))
        return result, len(emu.requests)


def _on_a_turn(start: float, end: float, text: str, schedule: list[Utterance]) -> bool:
    return any(u.start - 0.2 <= start and end <= u.end + 0.2 and f"{u.hertz} Hz" in text for u in schedule)


def test_a_damaged_mp3_is_read_around_the_damage_and_later_times_stay_true(
    damaged: bytes, meeting: tuple[bytes, list[Utterance]]
) -> None:
    result, sent = _run(damaged, "meeting.mp3")
    [(start, end)] = result.plan.damaged
    assert start == pytest.approx(1_600_000 / BYTES_PER_SECOND, abs=0.5)
    assert end == pytest.approx(1_800_000 / BYTES_PER_SECOND, abs=0.5)
    assert result.partial and not result.complete and [g.reason for g in result.gaps] == ["damaged"]
    assert any(n.startswith("damaged 00:01:39 - 00:01:52") for n in result.notes)
    assert result.silences == (), "a damaged stretch is not taken for silence"
    assert sent == len(result.plan.segments) and not result.skipped, "every segment was sent and answered"
    after = [line for line in result.lines if line.start is not None and line.start > end + 1]
    assert len(after) > 20
    schedule = meeting[1]
    assert all(_on_a_turn(line.start, line.end or line.start, line.text, schedule) for line in after), (
        "the sound after the hole is where the recording has it, not 12.5 s early"
    )


def test_a_truncated_mp3_is_read_to_its_real_end_and_the_shortfall_told(meeting: tuple[bytes, list[Utterance]]) -> None:
    cut = meeting[0][: len(meeting[0]) * 4 // 10]  # its header still says four minutes
    result, sent = _run(cut, "cut.mp3")
    assert result.plan.declared_duration == pytest.approx(240.0, abs=0.1)
    assert result.plan.duration == pytest.approx(96.0, abs=0.5)
    assert result.partial and [g.reason for g in result.gaps] == ["past_end"]
    assert result.gaps[0].start == pytest.approx(96.0, abs=0.5) and result.gaps[0].end == pytest.approx(240.0, abs=0.1)
    assert not result.skipped and sent == len(result.plan.segments) == 1
    assert any("short of the 00:04:00 its header states" in n for n in result.notes)


def test_a_truncated_wav_tells_the_shortfall_against_its_header() -> None:
    wav = samples.meeting_wav(300.0, sample_rate=16_000, seed=3)
    result, _ = _run(wav[: len(wav) * 4 // 10], "cut.wav")
    assert result.plan.declared_duration == pytest.approx(300.0, abs=0.01)
    assert result.plan.duration == pytest.approx(120.0, abs=0.1)
    assert result.partial and result.gaps[0].reason == "past_end"


def test_long_silence_is_not_sent_and_is_told_once() -> None:
    speech = np.frombuffer(wav_to_pcm16(samples.meeting_wav(150.0, sample_rate=8_000, seed=9)), dtype="<i2")
    silence = np.zeros(20 * 60 * 8_000, dtype=np.int16)
    recording = samples.pcm16_to_wav((np.concatenate([speech, silence, speech])).tobytes(), sample_rate=8_000)
    turns = samples.meeting_schedule(150.0, seed=9)
    quiet, sent = _run(recording, "long pause.wav")
    assert sent <= 3, "two stretches of speech, not 9 requests of which 7 are silence"
    [(start, end)] = quiet.silences
    assert start == pytest.approx(turns[-1].end + 0.5, abs=0.1), "half a second of the quiet kept"
    assert end == pytest.approx(1350.0 + turns[0].start - 0.5, abs=0.1)
    assert quiet.complete and not quiet.partial, "silence is not missing output"
    assert [n for n in quiet.notes if n.startswith("(silence")] == [f"(silence {clock(start)} - {clock(end)})"], (
        "one note for the whole stretch"
    )
    assert f"(silence {clock(start)} - {clock(end)})" in quiet.text and "[time unknown]" not in quiet.text
    assert all(not (start < (line.start or 0) < end) for line in quiet.lines)
    everything, sent_all = _run(recording, "long pause.wav", skip_silence=False)
    assert sent_all > sent and everything.silences == ()


def test_documents_say_what_is_damaged(meeting: tuple[bytes, list[Utterance]]) -> None:
    data = bytearray(meeting[0])
    data[800_000:880_000] = bytes(80_000)  # 5 s at 50 s: shorter than a silence, so sent as silence in its segment
    damaged = bytes(data)
    with Emulator() as emu:
        pipeline = LongMedia(OmniClient(api_key="sk-test", base_url=emu.base_url), model="qwen-omni-turbo")
        settings = DocumentSettings(documents="both")
        records = list(
            load_documents(pipeline, sources_of(Recording("m.mp3", data=damaged)), settings, make=lambda r: r)
        )
    *segments, whole = records
    assert [bool(r.metadata.get("damaged")) for r in segments].count(True) >= 1
    assert "damaged (could not be decoded)" in whole.metadata["gaps"] and whole.metadata["complete"] is False
