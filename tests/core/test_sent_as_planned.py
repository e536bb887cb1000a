"""What the pipeline sends is what the plan says, proven by decoding every part the emulator received.

Real-looking sources are made here (a 48 kHz stereo MP3, a 44.1 kHz WAV, a 1080p video, a vertical phone video, a
variable-frame-rate clip), cut for every series and every delivery, and each received part is decoded whole
(``ReceivedPart.decoded``, PyAV in the emulator): its sample rate, channels, decoded length, picture size and frame
count are checked against the plan's encoding and against the documented limits. No assertion reads the plan's
notes: the figures below are written from the reference (shared/reference/README.md "Limits per series"; the
Qwen-Omni guide's 230,400-pixel "fast review" budget; the practitioner's 16 kHz mono speech advice, source 002).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from fractions import Fraction

import numpy as np
import pytest

from qwen_omni import OmniClient, samples
from qwen_omni.audio import wav_to_pcm16
from qwen_omni.emulator import Emulator
from qwen_omni.emulator.decoding import DecodedMedia
from qwen_omni.emulator.received import ReceivedPart, ReceivedRequest
from qwen_omni.longmedia import LongMedia, LongMediaResult, Plan, PlanOptions, Recording
from qwen_omni.media.encoding import AudioWriter, Mp4Writer, encode_video

# From the reference, not from qwen_omni.profiles.
SPEECH_RATE = 16_000  # Hz: "16 kHz is the sweet spot"; mono preferred (source 002)
DEFAULT_PIXELS = 230_400  # the guide's "fast review, low cost" max_pixels
DATA_URI_LIMIT = 10_485_760
AUDIO_SECONDS = {"qwen3.5-omni-plus": 3 * 3600, "qwen3-omni-flash": 20 * 60, "qwen-omni-turbo": 3 * 60}
VIDEO_SECONDS = {"qwen3.5-omni-plus": 3600, "qwen3-omni-flash": 150, "qwen-omni-turbo": 40}
FRAMES = {"qwen3.5-omni-plus": (2, 2048), "qwen3-omni-flash": (2, 128), "qwen-omni-turbo": (4, 80)}
#: qwen3.8-omni-flash documents no per-file limits: its plans keep within the tightest documented ones.
SERIES = ["qwen3.5-omni-plus", "qwen3-omni-flash", "qwen-omni-turbo", "qwen3.8-omni-flash"]
PART = re.compile(r"part (\d+) of (\d+)")


def _meeting_pcm(seconds: float, rate: int) -> np.ndarray:
    return np.frombuffer(wav_to_pcm16(samples.meeting_wav(seconds, sample_rate=rate, seed=11)), dtype="<i2")


@pytest.fixture(scope="module")
def mp3_48k_stereo() -> bytes:
    """Five minutes of a meeting at 48 kHz stereo, 128 kb/s: a phone's or a recorder's MP3."""
    mono = _meeting_pcm(300.0, 48_000)
    stereo = np.stack([mono, (mono * 0.6).astype(np.int16)], axis=1).reshape(-1)
    with AudioWriter("mp3", 48_000, 2, bitrate=128_000) as writer:
        writer.write(stereo)
        return writer.finish()


@pytest.fixture(scope="module")
def wav_44k() -> bytes:
    """Four minutes at 44.1 kHz, 16-bit: 21 MB, over the 10 MB data-URI limit for every model."""
    return samples.meeting_wav(240.0, sample_rate=44_100, seed=12)


def _scenes(width: int, height: int, count: int) -> Iterator[np.ndarray]:
    for index in range(count):
        shade = (index // 25) * 40 % 256
        frame = np.full((height, width, 3), shade, dtype=np.uint8)
        frame[: height // 3, : width // 3] = 255 - shade
        yield frame


@pytest.fixture(scope="module")
def video_1080p() -> bytes:
    """45 s of 1920x1080 at 5 fps with 48 kHz sound: longer than qwen-omni-turbo's 40 s per video."""
    audio = _meeting_pcm(45.0, 48_000)
    return encode_video(_scenes(1920, 1080, 225), fps=5, audio=audio, sample_rate=48_000)


@pytest.fixture(scope="module")
def video_vertical() -> bytes:
    """A phone's portrait video: 720x1280 at 5 fps, 30 s, with 16 kHz sound."""
    return encode_video(_scenes(720, 1280, 150), fps=5, audio=_meeting_pcm(30.0, 16_000), sample_rate=16_000)


@pytest.fixture(scope="module")
def video_vfr() -> bytes:
    """A variable-frame-rate clip: 1280x720 pictures 0.05 to 0.6 s apart over 30 s, no sound."""
    rng = np.random.default_rng(4)
    writer = Mp4Writer(width=1280, height=720, rate=Fraction(30), sample_rate=None)
    try:
        at = 0.0
        frames = _scenes(1280, 720, 10_000)
        while at < 30.0:
            import av

            picture = av.VideoFrame.from_ndarray(next(frames), format="rgb24")
            step = float(rng.uniform(0.05, 0.6))
            writer.add_video(picture, at, min(step, 30.0 - at))
            at += step
        return writer.finish()
    finally:
        writer.close()


def _client(emu: Emulator) -> OmniClient:
    return OmniClient(api_key="sk-test", base_url=emu.base_url)


def _run(source: bytes, name: str, model: str, options: PlanOptions) -> tuple[LongMediaResult, list[ReceivedRequest]]:
    with Emulator() as emu:
        pipeline = LongMedia(_client(emu), model=model, options=options, concurrency=2)
        result = pipeline.run(Recording(name, data=source), "transcript")
        return result, emu.requests


def _by_segment(requests: list[ReceivedRequest], plan: Plan) -> dict[int, ReceivedPart]:
    """Each segment's received part, found by the "part N of M" its prompt says (not by arrival order)."""
    parts = {}
    for request in requests:
        assert request.status == 200, request.error_message
        [part] = request.parts
        found = PART.search(request.user_text)
        index = int(found.group(1)) - 1 if found else 0
        assert found is None or int(found.group(2)) == len(plan.segments)
        parts[index] = part
    assert sorted(parts) == [s.index for s in plan.segments], "one request per planned segment"
    return parts


def _decoded(part: ReceivedPart) -> DecodedMedia:
    assert part.source == "inline" and part.decoded is not None, part
    assert part.size_bytes is not None and len("data:;base64,") + 4 * math.ceil(part.size_bytes / 3) < DATA_URI_LIMIT
    return part.decoded


def _limit_model(model: str) -> str:
    return "qwen-omni-turbo" if model == "qwen3.8-omni-flash" else model


# ------------------------------------------------------------------------------------------------ audio


@pytest.mark.parametrize("model", SERIES)
@pytest.mark.parametrize("source", ["mp3_48k_stereo", "wav_44k"])
def test_cut_audio_is_sent_as_16_khz_mono_at_the_planned_bitrate(
    model: str, source: str, request: pytest.FixtureRequest
) -> None:
    data: bytes = request.getfixturevalue(source)
    result, requests = _run(data, f"meeting.{source[:3]}", model, PlanOptions(segment_seconds=110))
    encoding = result.plan.encoding
    assert encoding is not None and encoding.delivery == "audio"
    for index, part in _by_segment(requests, result.plan).items():
        media = _decoded(part)
        segment = result.plan.segments[index]
        assert part.kind == "audio" and part.format == "mp3" and media.audio_codec == "mp3"
        assert media.sample_rate == SPEECH_RATE == encoding.sample_rate, "the planned rate is the rate sent"
        assert media.channels == 1 == encoding.channels
        assert media.samples == pytest.approx(segment.duration * SPEECH_RATE, abs=1), "cut to the sample"
        assert media.audio_seconds is not None and media.audio_seconds <= AUDIO_SECONDS.get(model, 180)
        assert media.bytes_per_second == pytest.approx(encoding.audio_bitrate / 8, rel=0.1), "32 kb/s: ~4 KB/s"
    assert result.complete and result.requests == len(result.plan.segments)


def test_a_file_that_fits_is_sent_whole_and_unchanged(mp3_48k_stereo: bytes) -> None:
    result, requests = _run(mp3_48k_stereo, "meeting.mp3", "qwen3.5-omni-plus", PlanOptions())
    [request] = requests
    media = _decoded(request.parts[0])
    assert result.plan.encoding is None and [s.delivery for s in result.plan.segments] == ["whole"]
    assert request.parts[0].size_bytes == len(mp3_48k_stereo)
    assert (media.sample_rate, media.channels) == (48_000, 2), "the source's own encoding, untouched"


def test_one_channel_of_a_stereo_recording_is_sent_alone(mp3_48k_stereo: bytes) -> None:
    result, requests = _run(mp3_48k_stereo, "call.mp3", "qwen-omni-turbo", PlanOptions(channel=1))
    assert result.plan.encoding is not None and result.plan.encoding.channel == 1
    for part in _by_segment(requests, result.plan).values():
        media = _decoded(part)
        assert (media.sample_rate, media.channels) == (SPEECH_RATE, 1)


# ------------------------------------------------------------------------------------------------ video


VIDEOS = {"video_1080p": (640, 360), "video_vertical": (360, 640), "video_vfr": (640, 360)}


@pytest.mark.parametrize("model", SERIES)
@pytest.mark.parametrize("source", list(VIDEOS))
def test_cut_video_files_have_the_planned_size_rate_and_edges(
    model: str, source: str, request: pytest.FixtureRequest
) -> None:
    data: bytes = request.getfixturevalue(source)
    result, requests = _run(data, "clip.mp4", model, PlanOptions(segment_seconds=12, fps=2))
    encoding = result.plan.encoding
    assert encoding is not None and encoding.delivery == "video"
    assert encoding.frame_size == VIDEOS[source], "the picture shrunk to the pixel budget, its aspect kept"
    for index, part in _by_segment(requests, result.plan).items():
        media = _decoded(part)
        segment = result.plan.segments[index]
        assert part.kind == "video" and media.video_codec in ("h264", "mpeg4")
        assert (media.width, media.height) == encoding.frame_size
        assert media.pixels is not None and media.pixels <= DEFAULT_PIXELS
        assert media.frames is not None and 1 <= media.frames <= math.ceil(segment.duration * encoding.fps) + 1
        assert media.video_seconds is not None and media.video_seconds <= segment.duration + 1e-3, "ends at its edge"
        assert all(0 <= t < segment.duration for t in media.frame_times)
        assert media.duration is not None and media.duration <= VIDEO_SECONDS[_limit_model(model)]
        if source == "video_vfr":
            assert media.audio_codec is None
        else:
            assert (media.audio_codec, media.sample_rate, media.channels) == ("aac", SPEECH_RATE, 1)
            assert media.audio_seconds == pytest.approx(segment.duration, abs=0.05)
    assert result.complete


@pytest.mark.parametrize("model", SERIES)
@pytest.mark.parametrize("source", list(VIDEOS))
def test_frame_lists_have_the_planned_size_and_count(model: str, source: str, request: pytest.FixtureRequest) -> None:
    data: bytes = request.getfixturevalue(source)
    result, requests = _run(data, "clip.mp4", model, PlanOptions(video_as="frames", fps=1))
    encoding = result.plan.encoding
    assert encoding is not None and encoding.delivery == "frames" and encoding.frame_size == VIDEOS[source]
    low, high = FRAMES[_limit_model(model)]
    for index, part in _by_segment(requests, result.plan).items():
        media = _decoded(part)
        assert part.kind == "video_frames" and media.video_codec == "mjpeg"
        assert set(media.frame_sizes) == {encoding.frame_size}, "every frame at the planned size"
        assert media.pixels is not None and media.pixels <= DEFAULT_PIXELS
        assert low <= (media.frames or 0) <= high
        assert media.frames == result.plan.segments[index].frames
    assert result.complete


def test_a_video_that_fits_is_sent_unchanged(video_vertical: bytes) -> None:
    result, requests = _run(video_vertical, "phone.mp4", "qwen3.5-omni-plus", PlanOptions())
    [request] = requests
    media = _decoded(request.parts[0])
    assert result.plan.encoding is None and request.parts[0].size_bytes == len(video_vertical)
    assert (media.width, media.height) == (720, 1280)
