"""qwen_omni.media on media made in code: probing every accepted format, frames, splitting, transcoding."""

from __future__ import annotations

import doctest
import io
import wave
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from numpy.typing import NDArray

from qwen_omni import media, samples
from qwen_omni.audio import pcm16_to_wav, wav_to_pcm16
from qwen_omni.errors import MediaError
from qwen_omni.media import (
    MediaInfo,
    Segment,
    cutting,
    encoding,
    image_size,
    info,
    probe,
    sample_frames,
    sampling,
    silence,
    split,
    transcode_audio,
    transcoding,
)

# ------------------------------------------------------------------------------------- media made with PyAV


def _rgb(width: int = 64, height: int = 48, shade: int = 0) -> NDArray[np.uint8]:
    y, x = np.mgrid[0:height, 0:width]
    return np.stack([x * 255 // width, y * 255 // height, np.full_like(x, shade)], axis=-1).astype(np.uint8)


def _still(codec: str, pix_fmt: str) -> bytes:
    """One image encoded by FFmpeg's ``codec`` (the packet is the whole file for these codecs)."""
    context = av.CodecContext.create(codec, "w")
    assert isinstance(context, av.VideoCodecContext)
    context.width, context.height, context.pix_fmt, context.time_base = 64, 48, pix_fmt, Fraction(1, 25)
    frame = av.VideoFrame.from_ndarray(_rgb(), format="rgb24").reformat(format=pix_fmt)
    return b"".join(bytes(p) for p in context.encode(frame) + context.encode(None))


def _gif(frames: int) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="gif") as out:
        stream = out.add_stream("gif", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "rgb8"
        for index in range(frames):
            out.mux(stream.encode(av.VideoFrame.from_ndarray(_rgb(shade=60 * index), format="rgb24")))
        out.mux(stream.encode(None))
    return buffer.getvalue()


def _audio(format: str, codec: str, rate: int = 16_000, seconds: float = 1.0) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=format) as out:
        stream = out.add_stream(codec, rate=rate, layout="mono")
        pcm = np.frombuffer(samples.tone_pcm16(seconds, sample_rate=rate), dtype="<i2").reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm.copy(), format="s16", layout="mono")
        frame.sample_rate, frame.pts = rate, 0
        out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    return buffer.getvalue()


def _video(format: str, vcodec: str, acodec: str, rate: int = 16_000, seconds: float = 1.0) -> bytes:
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=format) as out:
        video = out.add_stream(vcodec, rate=10)
        video.width, video.height, video.pix_fmt = 160, 120, "yuv420p"
        audio = out.add_stream(acodec, rate=rate, layout="mono")
        for index in range(round(seconds * 10)):
            frame = av.VideoFrame.from_ndarray(_rgb(160, 120, shade=20 * index), format="rgb24")
            frame.pts = index
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        pcm = np.frombuffer(samples.tone_pcm16(seconds, sample_rate=rate), dtype="<i2").reshape(1, -1)
        sound = av.AudioFrame.from_ndarray(pcm.copy(), format="s16", layout="mono")
        sound.sample_rate, sound.pts = rate, 0
        out.mux(audio.encode(sound))
        out.mux(audio.encode(None))
    return buffer.getvalue()


def _mp3_with_cover() -> bytes:
    """An MP3 whose ID3 tag holds a JPEG cover: a video stream that is not video."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp3") as out:
        audio = out.add_stream("libmp3lame", rate=16_000, layout="mono")
        cover = out.add_stream("mjpeg")
        cover.width, cover.height, cover.pix_fmt = 64, 48, "yuvj420p"
        cover.disposition = av.stream.Disposition.attached_pic.value  # an int: PyAV 16 and 17 refuse the enum
        packet = av.Packet(samples.image_jpeg())
        packet.stream, packet.pts, packet.dts = cover, 0, 0
        out.mux(packet)
        pcm = np.frombuffer(samples.tone_pcm16(1.0, sample_rate=16_000), dtype="<i2").reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(pcm.copy(), format="s16", layout="mono")
        frame.sample_rate, frame.pts = 16_000, 0
        out.mux(audio.encode(frame))
        out.mux(audio.encode(None))
    return buffer.getvalue()


MAKERS: dict[str, Callable[[], bytes]] = {
    "png": samples.image_png,
    "jpeg": samples.image_jpeg,
    "gif": lambda: _gif(1),
    "webp": lambda: _still("libwebp", "yuv420p"),
    "bmp": lambda: _still("bmp", "bgr24"),
    "wav": samples.tone_wav,
    "mp3": samples.tone_mp3,
    "flac": lambda: _audio("flac", "flac"),
    "ogg": lambda: _audio("ogg", "libopus", rate=48_000),
    "aac": lambda: _audio("adts", "aac"),
    "m4a": lambda: _audio("ipod", "aac"),
    "mp4": lambda: samples.video_mp4(1.0),
    "mov": lambda: _video("mov", "libx264", "aac"),
    "mkv": lambda: _video("matroska", "libx264", "aac"),
    "webm": lambda: _video("webm", "libvpx", "libopus", rate=48_000),
    "avi": lambda: _video("avi", "mpeg4", "libmp3lame"),
}


@pytest.fixture(scope="module")
def media_files() -> dict[str, bytes]:
    return {name: make() for name, make in MAKERS.items()}


@pytest.fixture(scope="module")
def clip5() -> bytes:
    return samples.video_mp4(5.0)


# ------------------------------------------------------------------------------------------------ probe

IMAGES = ["png", "jpeg", "gif", "webp", "bmp"]
AUDIO = {"wav": 16_000, "mp3": 16_000, "flac": 16_000, "ogg": 48_000, "aac": 16_000, "m4a": 16_000}
VIDEOS = ["mp4", "mov", "mkv", "webm", "avi"]


@pytest.mark.parametrize("name", IMAGES)
def test_probe_images(media_files: dict[str, bytes], name: str) -> None:
    info = probe(media_files[name])
    assert (info.kind, info.container) == ("image", name)
    assert (info.width, info.height, info.frames) == (64, 48, 1)
    assert info.duration is None
    assert info.sample_rate is None
    assert info.channels is None
    assert not info.has_audio
    assert not info.has_video
    assert info.size_bytes == len(media_files[name])


@pytest.mark.parametrize("name", list(AUDIO))
def test_probe_audio(media_files: dict[str, bytes], name: str) -> None:
    info = probe(media_files[name])
    assert (info.kind, info.container) == ("audio", name)
    assert (info.sample_rate, info.channels) == (AUDIO[name], 1)
    assert info.duration == pytest.approx(1.0, abs=0.1)  # ADTS has no length field: estimated from the bitrate
    assert (info.width, info.height, info.frames) == (None, None, None)
    assert info.has_audio
    assert not info.has_video


@pytest.mark.parametrize("name", VIDEOS)
def test_probe_video(media_files: dict[str, bytes], name: str) -> None:
    info = probe(media_files[name])
    assert (info.kind, info.container) == ("video", name)
    assert (info.width, info.height) == (160, 120)
    assert info.duration == pytest.approx(1.0, abs=0.12)  # the container's length includes audio padding
    assert info.frames in (10, 11)  # AVI's header counts a trailing empty packet
    assert info.has_audio
    assert info.has_video
    assert info.sample_rate in (16_000, 48_000)
    assert info.channels == 1


def test_probe_mp4_exactly() -> None:
    data = samples.video_mp4(2.0)
    info = probe(data)
    assert info == MediaInfo("video", "mp4", len(data), 2.0, 160, 120, 20, 16_000, 1, True, True)
    assert info.describe() == f"video mp4, 2.00 s, 160x120, 20 frames, with audio, {len(data)} bytes"


def test_probe_paths_match_bytes(tmp_path: Path, media_files: dict[str, bytes]) -> None:
    for name in ("png", "wav", "mp4", "mkv"):
        path = tmp_path / f"file.{name}"
        path.write_bytes(media_files[name])
        assert probe(path) == probe(str(path)) == probe(media_files[name])
    unnamed = tmp_path / "no_extension"
    unnamed.write_bytes(media_files["jpeg"])
    assert probe(unnamed).container == "jpeg"


def test_probe_path_that_looks_like_a_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    Path("clip:1.mp4").write_bytes(samples.video_mp4(1.0))
    assert probe("clip:1.mp4").frames == 10, "a local name, not an FFmpeg protocol"
    with pytest.raises(MediaError, match="does not exist"):
        probe("https://example.com/clip.mp4")


def test_probe_describe() -> None:
    wav, png = samples.tone_wav(1.0), samples.image_png()
    assert probe(wav).describe() == "audio wav, 1.00 s, 16000 Hz mono, 32044 bytes"
    assert probe(png).describe() == f"image png, 64x48, {len(png)} bytes"
    stereo = pcm16_to_wav(bytes(4 * 8000), sample_rate=8000, channels=2)
    assert probe(stereo).describe() == f"audio wav, 1.00 s, 8000 Hz stereo, {len(stereo)} bytes"
    silent = samples.video_mp4(1.0, with_audio=False)
    assert probe(silent).describe().endswith(f"10 frames, no audio, {len(silent)} bytes")


def test_probe_animated_gif_is_video() -> None:
    info = probe(_gif(3))
    assert (info.kind, info.container, info.frames) == ("video", "gif", 3)
    assert info.duration == pytest.approx(0.3)
    assert image_size(_gif(3)) == (64, 48), "an animated GIF is still an image file"


def test_probe_ignores_cover_art() -> None:
    info = probe(_mp3_with_cover())
    assert (info.kind, info.container, info.has_video, info.width) == ("audio", "mp3", False, None)


@pytest.mark.parametrize(
    "data", [b"", b"hello world, this is not media\n" * 20, bytes(4096), np.arange(5000).astype(np.uint8).tobytes()]
)
def test_probe_unreadable_bytes(data: bytes) -> None:
    with pytest.raises(MediaError, match=r"cannot read data \(\d+ bytes\): not a media file PyAV can open \(.+\)"):
        probe(data)


def test_probe_truncated_file() -> None:
    with pytest.raises(MediaError, match="cannot read"):
        probe(samples.video_mp4(1.0)[:300])


def test_probe_missing_path_and_directory(tmp_path: Path) -> None:
    missing = tmp_path / "nope.mp4"
    with pytest.raises(MediaError, match=f"^{missing} does not exist"):
        probe(missing)
    with pytest.raises(MediaError, match="is not a file"):
        probe(tmp_path)
    text = tmp_path / "notes.txt"
    text.write_text("not media\n")
    with pytest.raises(MediaError, match=f"cannot read {text}: not a media file PyAV can open"):
        probe(text)
    assert issubclass(MediaError, ValueError)


# ------------------------------------------------------------------------------------------- image_size


def test_image_size(media_files: dict[str, bytes], tmp_path: Path) -> None:
    assert image_size(samples.image_png(100, 20)) == (100, 20)
    assert image_size(samples.image_jpeg(33, 17)) == (33, 17)
    for name in IMAGES:
        assert image_size(media_files[name]) == (64, 48)
    path = tmp_path / "picture.png"
    path.write_bytes(samples.image_png(12, 34))
    assert image_size(path) == (12, 34)


def test_image_size_none_for_unreadable_or_not_an_image(media_files: dict[str, bytes]) -> None:
    assert image_size(b"garbage") is None
    assert image_size(b"\x89PNG\r\n\x1a\n broken") is None
    assert image_size(media_files["wav"]) is None
    assert image_size(media_files["mp4"]) is None


def test_image_size_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="does not exist"):
        image_size(tmp_path / "missing.png")


# ---------------------------------------------------------------------------------------- sample_frames


def _square_left(jpeg: bytes) -> int:
    """The leftmost column of the white square of the sample animation in a decoded frame."""
    with av.open(io.BytesIO(jpeg)) as container:
        rgb = next(container.decode(video=0)).to_ndarray(format="rgb24")
    white = (rgb.min(axis=2) > 230).sum(axis=0) > rgb.shape[0] // 8
    return int(np.argmax(white))


def test_sample_frames_by_fps() -> None:
    clip = samples.video_mp4(2.0)
    frames = sample_frames(clip, fps=2)
    assert len(frames) == 4  # t = 0, 0.5, 1.0, 1.5
    assert all(frame[:3] == b"\xff\xd8\xff" for frame in frames)
    assert all(probe(frame).container == "jpeg" and image_size(frame) == (160, 120) for frame in frames)
    lefts = [_square_left(frame) for frame in frames]
    assert lefts == sorted(lefts), f"the square moves right: {lefts}"
    assert len(set(lefts)) == 4
    assert len(sample_frames(clip, fps=10)) == 20
    assert len(sample_frames(clip, fps=0.5)) == 1


def test_sample_frames_by_count(clip5: bytes) -> None:
    frames = sample_frames(clip5, count=5)
    assert len(frames) == 5
    assert len(set(frames)) == 5
    lefts = [_square_left(frame) for frame in frames]
    assert lefts == sorted(lefts)
    assert lefts[0] < 10, f"the first frame is the start of the clip: {lefts}"
    more = sample_frames(samples.video_mp4(1.0), count=15)  # more than the clip's 10 frames: some repeat
    assert len(more) == 15
    assert len(set(more)) == 10


def test_sample_frames_max_side_and_quality(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(samples.video_mp4(1.0))
    assert {image_size(f) for f in sample_frames(path, count=3, max_side=80)} == {(80, 60)}
    assert {image_size(f) for f in sample_frames(path, count=3, max_side=50)} == {(50, 36)}  # even sides
    assert {image_size(f) for f in sample_frames(path, count=3, max_side=500)} == {(160, 120)}  # no upscaling
    small = sample_frames(path, count=1, quality=10)[0]
    large = sample_frames(path, count=1, quality=100)[0]
    assert len(small) < len(large)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clip.mp4"], "nothing written next to the input"


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"fps": 1, "count": 2}, {"fps": 0}, {"count": 0}, {"count": 2, "quality": 0}, {"count": 2, "quality": 101}],
)
def test_sample_frames_bad_arguments(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match=r"fps|count|quality"):
        sample_frames(samples.video_mp4(1.0), **kwargs)


def test_sample_frames_needs_video() -> None:
    with pytest.raises(MediaError, match="has no video stream"):
        sample_frames(samples.tone_wav(1.0), count=2)
    with pytest.raises(MediaError, match="cannot read"):
        sample_frames(b"garbage", count=2)


# ------------------------------------------------------------------------------------------------ split


def _wav_seconds(segment: Segment) -> float:
    with wave.open(io.BytesIO(segment.data)) as wav:
        return float(wav.getnframes() / wav.getframerate())


def test_split_audio_into_three_pieces() -> None:
    source = samples.tone_wav(5.0)
    segments = list(split(source, segment_seconds=2))
    assert [(s.index, s.start, s.end, s.container) for s in segments] == [
        (0, 0.0, 2.0, "wav"),
        (1, 2.0, 4.0, "wav"),
        (2, 4.0, 5.0, "wav"),
    ]
    assert [_wav_seconds(s) for s in segments] == [2.0, 2.0, 1.0]
    for segment in segments:
        info = probe(segment.data)
        assert (info.kind, info.container, info.sample_rate, info.channels) == ("audio", "wav", 16_000, 1)
        assert info.duration == pytest.approx(segment.duration)
    assert b"".join(wav_to_pcm16(s.data) for s in segments) == wav_to_pcm16(source), "cut, not re-sampled"


def test_split_compressed_audio_keeps_its_rate(media_files: dict[str, bytes]) -> None:
    mp3 = samples.tone_mp3(5.0)
    assert [round(probe(s.data).duration or 0, 3) for s in list(split(mp3, segment_seconds=2))] == [2.0, 2.0, 1.0]
    opus = list(split(media_files["ogg"], segment_seconds=0.4))
    assert len(opus) == 3
    assert all(probe(s.data).sample_rate == 48_000 for s in opus)
    m4a = list(split(media_files["m4a"], segment_seconds=0.5))
    assert [s.end for s in m4a] == [0.5, 1.0], "an MP4's stated length, without the AAC padding"


def test_split_stereo_audio_is_mixed_to_mono() -> None:
    stereo = pcm16_to_wav(bytes(4 * 22_050 * 3), sample_rate=22_050, channels=2)
    segments = list(split(stereo, segment_seconds=2))
    assert [(probe(s.data).sample_rate, probe(s.data).channels) for s in segments] == [(22_050, 1)] * 2
    assert [s.end for s in segments] == [2.0, 3.0]


def test_split_video_into_three_pieces(clip5: bytes) -> None:
    segments = list(split(clip5, segment_seconds=2))
    assert [(s.index, s.start, s.container) for s in segments] == [(0, 0, "mp4"), (1, 2, "mp4"), (2, 4, "mp4")]
    assert [s.end for s in segments] == pytest.approx([2.0, 4.0, 5.0])
    infos = [probe(s.data) for s in segments]
    assert [i.duration for i in infos] == pytest.approx([2.0, 2.0, 1.0], abs=0.05)
    assert [i.frames for i in infos] == [20, 20, 10]
    assert all(i.kind == "video" and i.has_audio and (i.width, i.height) == (160, 120) for i in infos)
    firsts = [_square_left(sample_frames(s.data, count=1)[0]) for s in segments]
    assert firsts == sorted(firsts), "each piece starts where the last one ended"
    assert len(set(firsts)) == 3


def test_split_video_without_audio_and_other_containers(media_files: dict[str, bytes]) -> None:
    silent = list(split(samples.video_mp4(3.0, with_audio=False), segment_seconds=1.5))
    assert [(probe(s.data).frames, probe(s.data).has_audio) for s in silent] == [(15, False), (15, False)]
    for name in ("mkv", "webm", "avi"):
        segments = list(split(media_files[name], segment_seconds=0.5))
        assert len(segments) in (2, 3), name
        assert all(probe(s.data).container == "mp4" for s in segments)
        assert sum(probe(s.data).frames or 0 for s in segments) == 10, name


def test_split_bad_input() -> None:
    with pytest.raises(ValueError, match="segment_seconds must be positive"):
        split(samples.tone_wav(1.0), segment_seconds=0)  # refused at the call, not at the first piece
    with pytest.raises(MediaError, match="is an image"):
        split(samples.image_png(), segment_seconds=1)
    with pytest.raises(MediaError, match="cannot read"):
        split(b"garbage", segment_seconds=1)


# -------------------------------------------------------------------------------------- transcode_audio


def test_transcode_audio_to_mp3(media_files: dict[str, bytes]) -> None:
    stereo = pcm16_to_wav(
        np.repeat(np.frombuffer(samples.tone_pcm16(2.0, sample_rate=44_100), "<i2"), 2).tobytes(),
        sample_rate=44_100,
        channels=2,
    )
    for source, seconds in [(stereo, 2.0), (media_files["ogg"], 1.0), (media_files["mp4"], 1.0)]:
        info = probe(transcode_audio(source))
        assert (info.kind, info.container, info.sample_rate, info.channels) == ("audio", "mp3", 16_000, 1)
        assert info.duration == pytest.approx(seconds, abs=0.03)


def test_transcode_audio_to_wav(tmp_path: Path) -> None:
    path = tmp_path / "tone.mp3"
    path.write_bytes(samples.tone_mp3(1.5, sample_rate=24_000))
    wav = transcode_audio(path, format="wav", sample_rate=8000)
    assert probe(wav).describe() == f"audio wav, 1.50 s, 8000 Hz mono, {len(wav)} bytes"
    stereo = transcode_audio(path, format="wav", channels=2)
    assert (probe(stereo).channels, len(wav_to_pcm16(stereo))) == (2, 2 * 2 * 16_000 * 3 // 2)
    pcm = np.frombuffer(wav_to_pcm16(wav), "<i2")
    spectrum = np.abs(np.fft.rfft(pcm))
    assert np.argmax(spectrum) * 8000 / len(pcm) == pytest.approx(440, abs=2), "still a 440 Hz tone"


def test_transcode_audio_errors() -> None:
    with pytest.raises(MediaError, match="has no audio track"):
        transcode_audio(samples.video_mp4(1.0, with_audio=False))
    with pytest.raises(MediaError, match="cannot read"):
        transcode_audio(b"garbage")
    with pytest.raises(ValueError, match="channels must be 1"):
        transcode_audio(samples.tone_wav(), channels=3)
    with pytest.raises(ValueError, match="MP3 cannot hold 17000 Hz"):
        transcode_audio(samples.tone_wav(), sample_rate=17_000)


def test_mp3_without_an_encoder_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoding, "has_encoder", lambda name: name != "libmp3lame")
    with pytest.raises(RuntimeError, match="no MP3 encoder"):
        transcode_audio(samples.tone_wav())
    assert transcode_audio(samples.tone_wav(), format="wav")[:4] == b"RIFF"


# ---------------------------------------------------------------------------------------------- encoders


def test_encoders() -> None:
    rgb = _rgb(30, 20)
    assert probe(media.encode_image(rgb)).describe().startswith("image png, 30x20")
    assert probe(media.encode_image(rgb, format="jpeg", quality=50)).container == "jpeg"
    with pytest.raises(ValueError, match="shape"):
        media.encode_image(np.zeros((20, 30), dtype=np.uint8))
    mp3 = media.encode_audio(np.zeros(8000, dtype=np.int16), sample_rate=8000, format="mp3")
    assert (probe(mp3).container, probe(mp3).sample_rate) == ("mp3", 8000)
    odd = media.encode_video([_rgb(31, 21)] * 3, fps=3, audio=np.zeros(16_000, np.int16), sample_rate=16_000)
    assert (probe(odd).width, probe(odd).height, probe(odd).frames) == (30, 20, 3)
    with pytest.raises(ValueError, match="at least one frame"):
        media.encode_video([], fps=3)
    assert media.video_codec() in ("libx264", "mpeg4")


def test_mpeg4_fallback_without_h264(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(encoding, "video_codec", lambda: "mpeg4")
    clip = samples.video_mp4(3.0)
    with av.open(io.BytesIO(clip)) as container:
        assert [stream.codec_context.name for stream in container.streams] == ["mpeg4", "aac"]
    assert [probe(s.data).frames for s in list(split(clip, segment_seconds=2))] == [20, 10]


def test_docstring_examples() -> None:
    for module in (media, samples, cutting, encoding, info, sampling, silence, transcoding):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0, module.__name__
        assert result.attempted >= 1, module.__name__
