"""qwen_omni.samples: small, deterministic, fast sample media that PyAV reads back as what it claims to be."""

from __future__ import annotations

import io
import time
import wave
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest
from numpy.typing import NDArray

from qwen_omni import media, samples
from qwen_omni.audio import wav_to_pcm16
from qwen_omni.media import encoding, image_size, probe, sample_frames


def _decode_rgb(data: bytes) -> NDArray[np.uint8]:
    with av.open(io.BytesIO(data)) as container:
        return np.asarray(next(container.decode(video=0)).to_ndarray(format="rgb24"), dtype=np.uint8)


def _peak_hz(pcm: bytes, sample_rate: int) -> float:
    values = np.frombuffer(pcm, "<i2").astype(np.float64)
    return float(np.argmax(np.abs(np.fft.rfft(values))) * sample_rate / len(values))


def test_tone_pcm16() -> None:
    pcm = samples.tone_pcm16(0.5)
    assert len(pcm) == 2 * 12_000  # 0.5 s at 24 kHz, 16-bit mono
    values = np.frombuffer(pcm, "<i2")
    assert values[0] == 0
    assert values.max() == round(0.3 * 32767)
    assert _peak_hz(pcm, 24_000) == pytest.approx(440, abs=2)
    loud = np.frombuffer(samples.tone_pcm16(0.1, frequency=1000, sample_rate=8000, amplitude=1.0), "<i2")
    assert len(loud) == 800
    assert loud.max() == 32767
    assert samples.tone_pcm16(0) == b""
    with pytest.raises(ValueError, match="amplitude"):
        samples.tone_pcm16(1.0, amplitude=2.0)


def test_tone_wav() -> None:
    data = samples.tone_wav(1.0, frequency=300)
    with wave.open(io.BytesIO(data)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.getnframes()) == (1, 2, 16_000, 16_000)
    assert wav_to_pcm16(data) == samples.tone_pcm16(1.0, frequency=300, sample_rate=16_000)
    assert probe(data).describe() == "audio wav, 1.00 s, 16000 Hz mono, 32044 bytes"


def test_tone_mp3() -> None:
    data = samples.tone_mp3(2.0, frequency=880)
    info = probe(data)
    assert (info.kind, info.container, info.sample_rate, info.channels) == ("audio", "mp3", 16_000, 1)
    assert info.duration == pytest.approx(2.0, abs=0.01)
    decoded = media.transcode_audio(data, format="wav")
    assert _peak_hz(wav_to_pcm16(decoded), 16_000) == pytest.approx(880, abs=2)
    assert probe(samples.tone_mp3(1.0, sample_rate=24_000)).sample_rate == 24_000


def test_tone_mp3_refuses_to_fall_back(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoding, "has_encoder", lambda name: False)
    with pytest.raises(RuntimeError, match="no MP3 encoder"):
        samples.tone_mp3()


def test_image_png() -> None:
    data = samples.image_png()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert probe(data).describe() == f"image png, 64x48, {len(data)} bytes"
    rgb = _decode_rgb(data)
    assert rgb.shape == (48, 64, 3)
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 500, "colourful, not flat"
    assert samples.image_png(seed=1) != data
    assert image_size(samples.image_png(200, 11)) == (200, 11)
    with pytest.raises(ValueError, match="positive"):
        samples.image_png(0, 10)


def test_image_jpeg_matches_the_png() -> None:
    data = samples.image_jpeg(seed=3)
    assert data[:3] == b"\xff\xd8\xff"
    assert (probe(data).kind, image_size(data)) == ("image", (64, 48))
    difference = np.abs(_decode_rgb(data).astype(int) - _decode_rgb(samples.image_png(seed=3)).astype(int))
    assert difference.mean() < 8, "the same picture, give or take JPEG's losses"


def test_video_mp4() -> None:
    data = samples.video_mp4()
    info = probe(data)
    assert (info.kind, info.container, info.duration, info.frames) == ("video", "mp4", 2.0, 20)
    assert (info.width, info.height, info.has_audio, info.sample_rate, info.channels) == (160, 120, True, 16_000, 1)
    with av.open(io.BytesIO(data)) as container:
        codecs = {stream.type: stream.codec_context.name for stream in container.streams}
    assert codecs == {"video": "h264" if media.video_codec() == "libx264" else "mpeg4", "audio": "aac"}
    first, last = (_decode_rgb(frame) for frame in sample_frames(data, count=2))
    assert np.abs(first.astype(int) - last.astype(int)).mean() > 5, "the frames change over time"


def test_video_mp4_options() -> None:
    info = probe(samples.video_mp4(1.5, fps=4, width=64, height=32, with_audio=False))
    assert (info.frames, info.width, info.height, info.has_audio, info.duration) == (6, 64, 32, False, 1.5)
    with pytest.raises(ValueError, match="even"):
        samples.video_mp4(width=63)


def test_frames_jpeg() -> None:
    frames = samples.frames_jpeg(5, width=80, height=60)
    assert len(frames) == 5
    assert len(set(frames)) == 5
    assert all(frame[:3] == b"\xff\xd8\xff" and image_size(frame) == (80, 60) for frame in frames)
    assert samples.frames_jpeg() == samples.frames_jpeg(4, width=64, height=48)


def test_write_samples(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "folder"
    paths = samples.write_samples(folder)
    assert {key: path.name for key, path in paths.items()} == {
        "video": "clip.mp4",
        "image": "picture.png",
        "audio": "sound.mp3",
        "audio_wav": "sound.wav",
    }
    assert sorted(p.name for p in folder.iterdir()) == ["clip.mp4", "picture.png", "sound.mp3", "sound.wav"]
    kinds = {key: (probe(path).kind, probe(path).container) for key, path in paths.items()}
    assert kinds == {
        "video": ("video", "mp4"),
        "image": ("image", "png"),
        "audio": ("audio", "mp3"),
        "audio_wav": ("audio", "wav"),
    }
    assert samples.write_samples(str(folder)) == paths, "writing again overwrites"


GENERATORS: dict[str, Callable[[], object]] = {
    "tone_pcm16": samples.tone_pcm16,
    "tone_wav": samples.tone_wav,
    "tone_mp3": samples.tone_mp3,
    "image_png": samples.image_png,
    "image_jpeg": samples.image_jpeg,
    "video_mp4": samples.video_mp4,
    "frames_jpeg": samples.frames_jpeg,
}


@pytest.mark.parametrize("name", list(GENERATORS))
def test_deterministic_and_fast(name: str) -> None:
    make = GENERATORS[name]
    first = make()
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        again = make()
        timings.append(time.perf_counter() - start)
        assert again == first, "the same arguments give the same bytes"
    assert min(timings) < 0.3, f"{name} took {min(timings):.3f} s"


def test_samples_are_small() -> None:
    assert len(samples.video_mp4()) < 100_000
    assert len(samples.tone_mp3()) < 10_000
    assert len(samples.image_png()) < 20_000
