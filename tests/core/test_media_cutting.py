"""Cutting long media lazily (spans, overlap, skip, channels, fps, pixels), seeking for frames, loudness."""

from __future__ import annotations

import io
import math
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from qwen_omni import samples
from qwen_omni.audio import pcm16_to_wav, wav_to_pcm16
from qwen_omni.errors import MediaError
from qwen_omni.media import (
    AudioSettings,
    VideoSettings,
    audio_encoders,
    cut_audio,
    cut_video,
    loudness,
    probe,
    reading,
    sample_frames,
    split,
    transcode_audio,
)


def test_cut_audio_gives_each_span_overlapping_or_not() -> None:
    source = samples.tone_wav(6.0)
    pieces = list(cut_audio(source, [(0.0, 2.5), (2.0, 4.0), (4.0, math.inf)]))
    assert [(p.index, p.start, p.end) for p in pieces] == [(0, 0.0, 2.5), (1, 2.0, 4.0), (2, 4.0, 6.0)]
    pcm = wav_to_pcm16(source)
    assert wav_to_pcm16(pieces[1].data) == pcm[2 * 32_000 : 4 * 32_000], "the overlap is the same samples"


def test_cut_audio_skips_spans_and_seeks_over_long_gaps(tmp_path: Path) -> None:
    path = tmp_path / "long.wav"
    samples.write_meeting_wav(path, 120.0)
    spans = [(i * 10.0, (i + 1) * 10.0) for i in range(12)]
    wanted = [p.index for p in cut_audio(path, spans, skip=set(range(1, 11)))]
    assert wanted == [0, 11]
    whole = wav_to_pcm16(path.read_bytes())
    last = next(cut_audio(path, spans, skip=set(range(11))))
    assert wav_to_pcm16(last.data) == whole[110 * 16_000 :], "after seeking, the cut is still to the sample"


def test_cut_audio_encodes_compactly() -> None:
    source = samples.tone_wav(4.0, sample_rate=48_000)
    assert sorted(audio_encoders()) == ["mp3", "opus"]
    mp3 = next(cut_audio(source, [(0.0, 4.0)], AudioSettings("mp3", 16_000, bitrate=32_000)))
    info = probe(mp3.data)
    assert (info.container, info.sample_rate, info.channels) == ("mp3", 16_000, 1)
    assert len(mp3.data) < 4 * 32_000 / 8 * 1.1 < len(source) / 20
    opus = next(cut_audio(source, [(0.0, 4.0)], AudioSettings("opus", 16_000, bitrate=24_000)))
    assert probe(opus.data).container == "ogg" and opus.container == "ogg"
    assert probe(opus.data).duration == pytest.approx(4.0, abs=0.05)


def test_cut_audio_keeps_one_channel_of_a_stereo_recording() -> None:
    left = np.round(0.5 * 32767 * np.sin(2 * np.pi * 440 * np.arange(16_000) / 16_000)).astype(np.int16)
    stereo = np.stack([left, np.zeros_like(left)], axis=1).reshape(-1)
    source = pcm16_to_wav(stereo.astype("<i2").tobytes(), sample_rate=16_000, channels=2)
    loud = np.frombuffer(wav_to_pcm16(next(cut_audio(source, [(0, 1)], AudioSettings(channel=0))).data), "<i2")
    quiet = np.frombuffer(wav_to_pcm16(next(cut_audio(source, [(0, 1)], AudioSettings(channel=1))).data), "<i2")
    mixed = np.frombuffer(wav_to_pcm16(next(cut_audio(source, [(0, 1)])).data), "<i2")
    assert np.abs(loud).max() > 16_000 and np.abs(quiet).max() == 0
    assert 6_000 < np.abs(mixed).max() < 10_000, "the mix halves a sound on one channel only"
    with pytest.raises(MediaError, match="there is no channel 2"):
        list(cut_audio(source, [(0, 1)], AudioSettings(channel=2)))


def test_cut_audio_refuses_spans_out_of_order() -> None:
    with pytest.raises(ValueError, match="in order"):
        list(cut_audio(samples.tone_wav(3.0), [(1.0, 2.0), (0.0, 1.0)]))


def test_cut_video_resamples_frames_and_shrinks_pictures() -> None:
    clip = samples.video_mp4(6.0, fps=10, width=320, height=240)
    settings = VideoSettings(
        fps=2, max_pixels=160 * 120, video_bitrate=100_000, audio_sample_rate=16_000, audio_channels=1
    )
    pieces = list(cut_video(clip, [(0.0, 3.0), (2.0, 6.0)], settings))
    infos = [probe(p.data) for p in pieces]
    assert [(i.width, i.height) for i in infos] == [(160, 120)] * 2
    assert [i.frames for i in infos] == [6, 8], "2 frames a second, the overlap in both"
    assert all(i.has_audio and i.channels == 1 for i in infos)
    assert [p.start for p in pieces] == [0.0, 2.0]


def test_cut_video_skips_and_seeks() -> None:
    clip = samples.video_mp4(30.0, fps=5, width=64, height=48)
    spans = [(i * 5.0, (i + 1) * 5.0) for i in range(6)]
    pieces = list(cut_video(clip, spans, skip={0, 1, 2, 3}))
    assert [p.index for p in pieces] == [4, 5]
    assert [probe(p.data).frames for p in pieces] == [25, 25]


def test_sample_frames_decodes_only_what_it_needs(monkeypatch: pytest.MonkeyPatch) -> None:
    clip = samples.video_mp4(60.0, fps=10, width=64, height=48)  # 600 frames
    counted = {"frames": 0}
    real = reading.decoded

    def counting(*args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        for frame in real(*args, **kwargs):  # type: ignore[arg-type]
            counted["frames"] += 1
            yield frame

    monkeypatch.setattr(reading, "decoded", counting)
    frames = sample_frames(clip, count=4)
    assert len(frames) == 4 and len(set(frames)) == 4
    assert counted["frames"] < 600 / 2, f"decoded {counted['frames']} of 600 frames for 4"
    counted["frames"] = 0
    window = sample_frames(clip, fps=1, start=40.0, end=45.0)
    assert len(window) == 5 and counted["frames"] < 300


def test_split_is_lazy_and_its_memory_is_flat(tmp_path: Path) -> None:
    short, long = tmp_path / "short.wav", tmp_path / "long.wav"
    samples.write_meeting_wav(short, 60.0)
    samples.write_meeting_wav(long, 600.0)

    def peak(path: Path) -> int:
        tracemalloc.start()
        for _ in split(path, segment_seconds=20):
            pass
        result = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return result

    assert peak(long) < 1.5 * peak(short), "ten times the length, about the same memory"


def test_split_accepts_file_objects() -> None:
    handle = io.BytesIO(samples.tone_wav(3.0))
    handle.seek(0)
    assert [s.end for s in split(handle, segment_seconds=2)] == [2.0, 3.0]
    assert handle.tell() == 0, "the file object is put back where it was"


def test_loudness_finds_the_quiet_moments() -> None:
    schedule = samples.meeting_schedule(30.0)
    envelope = loudness(samples.meeting_wav(30.0))
    assert envelope.duration == pytest.approx(30.0, abs=0.05)
    gap_middle = (schedule[0].end + schedule[1].start) / 2
    quiet = envelope.quietest(schedule[0].end - 0.5, window=2.0)
    assert schedule[0].end <= quiet <= schedule[1].start, (quiet, gap_middle)
    assert envelope.quietest(5.0, window=0) == 5.0
    with pytest.raises(MediaError, match="no audio"):
        loudness(samples.video_mp4(1.0, with_audio=False))


def test_transcode_audio_to_opus() -> None:
    info = probe(transcode_audio(samples.tone_wav(2.0, sample_rate=48_000), format="opus"))
    assert (info.container, info.channels) == ("ogg", 1)
