"""Small sample media, made in code: tones, pictures, a short clip.

The tests, the emulator and the offline ``qwen-omni demo`` command use these instead of downloading
anything. Every function is deterministic (the same arguments give the same bytes) and fast; the
content is synthetic: a sine tone, a colourful gradient, a square moving across a gradient.
Encoding goes through :mod:`qwen_omni.media`, the package's one door to PyAV.

Example:
    >>> from qwen_omni.media import probe
    >>> probe(video_mp4(1.0)).describe().split(", ")[:4]
    ['video mp4', '1.00 s', '160x120', '10 frames']
"""

from __future__ import annotations

import os
import pathlib
import wave
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .audio import pcm16_to_wav
from .media import encode_audio, encode_gif, encode_image, encode_video

__all__ = [
    "Utterance",
    "animated_gif",
    "frames_jpeg",
    "image_jpeg",
    "image_png",
    "meeting_mp4",
    "meeting_schedule",
    "meeting_wav",
    "tone_mp3",
    "tone_pcm16",
    "tone_wav",
    "video_mp4",
    "write_meeting_wav",
    "write_samples",
]

#: Sample rate of the tone inside :func:`video_mp4`.
VIDEO_AUDIO_RATE = 16_000


def _tone(seconds: float, frequency: float, sample_rate: int, amplitude: float = 0.3) -> NDArray[np.int16]:
    if seconds < 0 or sample_rate <= 0 or not 0 <= amplitude <= 1:
        raise ValueError(
            f"need seconds >= 0, sample_rate > 0 and 0 <= amplitude <= 1; got {seconds}, {sample_rate}, {amplitude}."
        )
    t = np.arange(round(seconds * sample_rate)) / sample_rate
    return np.round(amplitude * 32767 * np.sin(2 * np.pi * frequency * t)).astype(np.int16)


def tone_pcm16(
    seconds: float = 1.0, *, frequency: float = 440.0, sample_rate: int = 24_000, amplitude: float = 0.3
) -> bytes:
    """A sine tone as raw PCM16 little-endian mono samples (the format of the API's spoken answers).

    Example:
        >>> len(tone_pcm16(0.5))  # 0.5 s x 24000 Hz x 2 bytes
        24000
    """
    return _tone(seconds, frequency, sample_rate, amplitude).astype("<i2").tobytes()


def tone_wav(seconds: float = 1.0, *, frequency: float = 440.0, sample_rate: int = 16_000) -> bytes:
    """A sine tone as a mono PCM16 WAV file.

    Example:
        >>> wav = tone_wav(1.0)
        >>> wav[:4], len(wav)
        (b'RIFF', 32044)
    """
    return pcm16_to_wav(tone_pcm16(seconds, frequency=frequency, sample_rate=sample_rate), sample_rate=sample_rate)


def tone_mp3(seconds: float = 1.0, *, frequency: float = 440.0, sample_rate: int = 16_000) -> bytes:
    """A sine tone as a mono MP3 file (LAME, through PyAV).

    Raises:
        RuntimeError: this PyAV build has no MP3 encoder (there is no silent fallback to another format).

    Example:
        >>> tone_mp3(0.5)[:3]
        b'ID3'
    """
    return encode_audio(_tone(seconds, frequency, sample_rate), sample_rate=sample_rate, format="mp3")


def _pattern(width: int, height: int, seed: int) -> NDArray[np.uint8]:
    """A smooth, colourful RGB pattern of shape (height, width, 3); ``seed`` picks its waves."""
    if width < 1 or height < 1:
        raise ValueError(f"width and height must be positive; got {width}x{height}.")
    rng = np.random.default_rng(seed)
    slopes = rng.uniform(0.5, 2.0, size=(3, 2))
    phases = rng.uniform(0, 2 * np.pi, size=3)
    y, x = np.mgrid[0:height, 0:width]
    u, v = x / max(1, width - 1), y / max(1, height - 1)
    channels = [
        127.5 * (1 + np.sin(2 * np.pi * (a * u + b * v) + phase)) for (a, b), phase in zip(slopes, phases, strict=True)
    ]
    return np.round(np.stack(channels, axis=-1)).astype(np.uint8)


def image_png(width: int = 64, height: int = 48, *, seed: int = 0) -> bytes:
    """A colourful RGB gradient as a PNG file; another ``seed`` gives another pattern.

    Example:
        >>> from qwen_omni.media import image_size
        >>> image_size(image_png(64, 48))
        (64, 48)
    """
    return encode_image(_pattern(width, height, seed), format="png")


def image_jpeg(width: int = 64, height: int = 48, *, seed: int = 0) -> bytes:
    """The pattern of :func:`image_png` as a JPEG file.

    Example:
        >>> image_jpeg()[:2]
        b'\\xff\\xd8'
    """
    return encode_image(_pattern(width, height, seed), format="jpeg")


def _animation(count: int, width: int, height: int) -> Iterator[NDArray[np.uint8]]:
    """``count`` frames of a white square sliding from left to right across a gradient."""
    background = _pattern(width, height, 0)
    side = max(2, min(width, height) // 4)
    top = (height - side) // 2
    for index in range(count):
        left = round((width - side) * index / max(1, count - 1))
        frame = background.copy()
        frame[top : top + side, left : left + side] = 255
        yield frame


def video_mp4(
    seconds: float = 2.0, *, fps: int = 10, width: int = 160, height: int = 120, with_audio: bool = True
) -> bytes:
    """A short MP4 clip: a square moving across a gradient, with a 440 Hz tone (AAC, 16 kHz mono).

    The video is H.264 (MPEG-4 Part 2 if this PyAV build lacks libx264). ``width`` and ``height``
    must be even.

    Example:
        >>> from qwen_omni.media import probe
        >>> info = probe(video_mp4(2.0, with_audio=False))
        >>> info.frames, info.width, info.height, info.has_audio
        (20, 160, 120, False)
    """
    if width % 2 or height % 2:
        raise ValueError(f"width and height must be even for 4:2:0 video; got {width}x{height}.")
    frames = max(1, round(seconds * fps))
    audio = _tone(frames / fps, 440.0, VIDEO_AUDIO_RATE) if with_audio else None
    return encode_video(_animation(frames, width, height), fps=fps, audio=audio, sample_rate=VIDEO_AUDIO_RATE)


def frames_jpeg(count: int = 4, *, width: int = 64, height: int = 48) -> list[bytes]:
    """``count`` JPEG frames of the moving-square animation: a video sent as a frame list.

    Example:
        >>> frames = frames_jpeg(4)
        >>> len(frames), len(set(frames))
        (4, 4)
    """
    return [encode_image(frame, format="jpeg") for frame in _animation(count, width, height)]


def animated_gif(count: int = 3, *, width: int = 32, height: int = 32) -> bytes:
    """An animated GIF of ``count`` frames of the moving-square animation (probed as video, sent as an image).

    Example:
        >>> from qwen_omni.media import probe
        >>> info = probe(animated_gif(3))
        >>> info.kind, info.input_kind, info.frames
        ('video', 'image', 3)
    """
    return encode_gif(_animation(count, width, height))


def write_samples(folder: str | os.PathLike[str]) -> dict[str, pathlib.Path]:
    """Write ``clip.mp4``, ``picture.png``, ``sound.mp3`` and ``sound.wav`` into ``folder`` (created if need be).

    Returns the paths, keyed ``"video"``, ``"image"``, ``"audio"`` (the MP3) and ``"audio_wav"``.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     sorted(path.name for path in write_samples(folder).values())
        ['clip.mp4', 'picture.png', 'sound.mp3', 'sound.wav']
    """
    root = pathlib.Path(folder)
    root.mkdir(parents=True, exist_ok=True)
    contents = {
        "video": ("clip.mp4", video_mp4()),
        "image": ("picture.png", image_png()),
        "audio": ("sound.mp3", tone_mp3(2.0)),
        "audio_wav": ("sound.wav", tone_wav(2.0)),
    }
    paths: dict[str, pathlib.Path] = {}
    for key, (name, data) in contents.items():
        paths[key] = root / name
        paths[key].write_bytes(data)
    return paths


# --------------------------------------------------------------------------------------------- meetings


@dataclass(frozen=True)
class Utterance:
    """One turn of a generated meeting: a speaker's tone from ``start`` to ``end`` seconds."""

    start: float
    end: float
    hertz: int


#: The "voices" of a generated meeting: one pure tone per speaker.
MEETING_VOICES = (220, 330, 440, 550)


def meeting_schedule(seconds: float, *, voices: Sequence[int] = MEETING_VOICES, seed: int = 0) -> list[Utterance]:
    """Who speaks when in a generated meeting of ``seconds``: turns of 1.5 to 6 s, pauses of 0.5 to 1.5 s.

    Example:
        >>> [(u.start, u.end, u.hertz) for u in meeting_schedule(10.0)][:2]
        [(0.5, 4.87, 440), (5.41, 6.98, 330)]
    """
    rng = np.random.default_rng(seed)
    turns: list[Utterance] = []
    at = 0.5
    while True:
        length = round(float(rng.uniform(1.5, 6.0)), 2)
        if at + length > seconds - 0.25:
            return turns
        turns.append(Utterance(round(at, 2), round(at + length, 2), int(rng.choice(voices))))
        at = round(at + length + float(rng.uniform(0.5, 1.5)), 2)


def _meeting_chunks(schedule: Sequence[Utterance], seconds: float, sample_rate: int) -> Iterator[NDArray[np.int16]]:
    """The meeting's samples, a minute at a time (so an hour never sits in memory whole)."""
    total, chunk = round(seconds * sample_rate), 60 * sample_rate
    index = 0
    for begin in range(0, total, chunk):
        end = min(total, begin + chunk)
        out = np.zeros(end - begin, dtype=np.int16)
        while index < len(schedule) and round(schedule[index].start * sample_rate) < end:
            turn = schedule[index]
            first, last = round(turn.start * sample_rate), round(turn.end * sample_rate)
            low, high = max(first, begin), min(last, end)
            t = np.arange(low, high) / sample_rate
            fade = np.minimum(1.0, np.minimum(t - turn.start, turn.end - t) / 0.02)  # no clicks at the edges
            out[low - begin : high - begin] = np.round(0.3 * 32767 * fade * np.sin(2 * np.pi * turn.hertz * t))
            if last > end:
                break
            index += 1
        yield out


def meeting_wav(seconds: float, *, sample_rate: int = 8_000, seed: int = 0) -> bytes:
    """A meeting-like recording as a mono PCM16 WAV: :func:`meeting_schedule`'s turns as tones, silence between.

    Example:
        >>> from qwen_omni.media import probe
        >>> probe(meeting_wav(30.0)).describe()
        'audio wav, 30.00 s, 8000 Hz mono, 480044 bytes'
    """
    schedule = meeting_schedule(seconds, seed=seed)
    pcm = b"".join(chunk.astype("<i2").tobytes() for chunk in _meeting_chunks(schedule, seconds, sample_rate))
    return pcm16_to_wav(pcm, sample_rate=sample_rate)


def write_meeting_wav(
    path: str | os.PathLike[str], seconds: float, *, sample_rate: int = 8_000, seed: int = 0
) -> list[Utterance]:
    """Write :func:`meeting_wav`'s recording to ``path`` a minute at a time; returns its schedule.

    Example:
        >>> import tempfile
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     turns = write_meeting_wav(f"{folder}/m.wav", 20.0)
        ...     open(f"{folder}/m.wav", "rb").read() == meeting_wav(20.0)
        True
    """
    schedule = meeting_schedule(seconds, seed=seed)
    with wave.open(os.fspath(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(sample_rate)
        for chunk in _meeting_chunks(schedule, seconds, sample_rate):
            out.writeframes(chunk.astype("<i2").tobytes())
    return schedule


def meeting_mp4(seconds: float, *, fps: int = 2, width: int = 96, height: int = 64, seed: int = 0) -> bytes:
    """A meeting-like video: the tones of :func:`meeting_wav` (16 kHz), a new scene (pattern) every 10 s.

    Example:
        >>> from qwen_omni.media import probe
        >>> info = probe(meeting_mp4(20.0))
        >>> info.kind, info.has_audio, info.frames
        ('video', True, 40)
    """
    schedule = meeting_schedule(seconds, seed=seed)
    audio = np.concatenate(list(_meeting_chunks(schedule, seconds, VIDEO_AUDIO_RATE)))
    scenes = [_pattern(width, height, scene) for scene in range(int(seconds // 10) + 1)]
    frames = (scenes[int(index / fps // 10)] for index in range(round(seconds * fps)))
    return encode_video(frames, fps=fps, audio=audio, sample_rate=VIDEO_AUDIO_RATE)
