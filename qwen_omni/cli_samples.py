"""``qwen-omni samples DIR``: the media files the README's examples name, made in code (nothing is downloaded).

``meeting.mp3`` (a 4-minute meeting, over ``qwen-omni-turbo``'s 3 minutes, so it is cut), ``call.wav`` (another,
as a WAV), ``question.wav`` (a 4-second question, for ``qwen-omni talk``), ``talk.mp4`` (a one-minute video with
sound), ``promo.mp4`` (20 s), ``clip.mp4`` (a 1-second clip) and ``chart.png``. The "speakers" are tones and the
scenes patterns (:mod:`qwen_omni.samples`): the emulator describes them truthfully, and a real model hears tones.
A file already there is kept unless ``--overwrite``.

Example:
    >>> sorted(SAMPLES)
    ['call.wav', 'chart.png', 'clip.mp4', 'meeting.mp3', 'promo.mp4', 'question.wav', 'talk.mp4']
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import numpy as np

from . import samples
from .media import encode_audio

__all__ = ["SAMPLES", "add_command", "write_readme_samples"]

_WAV_HEADER = 44  # samples.meeting_wav writes a plain 44-byte PCM header


def _meeting_mp3() -> bytes:
    pcm = np.frombuffer(samples.meeting_wav(240.0, sample_rate=16_000, seed=2)[_WAV_HEADER:], dtype="<i2")
    return encode_audio(pcm.astype(np.int16), sample_rate=16_000, format="mp3")


#: Each file's name, what it is, and how it is made.
SAMPLES: dict[str, tuple[str, Callable[[], bytes]]] = {
    "meeting.mp3": ("a 4-minute meeting, MP3", _meeting_mp3),
    "call.wav": ("a 4-minute call, WAV", lambda: samples.meeting_wav(240.0, seed=5)),
    "question.wav": ("a 4-second question, WAV", lambda: samples.meeting_wav(4.0, sample_rate=16_000, seed=3)),
    "talk.mp4": ("a 1-minute talk, video with sound", lambda: samples.meeting_mp4(60.0, seed=7)),
    "promo.mp4": ("a 20-second promo, video with sound", lambda: samples.meeting_mp4(20.0, seed=8)),
    "clip.mp4": ("a 1-second clip", lambda: samples.video_mp4(1.0)),
    "chart.png": ("a 320x240 picture", lambda: samples.image_png(320, 240)),
}


def write_readme_samples(folder: Path, *, overwrite: bool = False) -> dict[str, bool]:
    """Write :data:`SAMPLES` into ``folder`` (made if need be); returns, per name, whether it was written."""
    folder.mkdir(parents=True, exist_ok=True)
    written: dict[str, bool] = {}
    for name, (_, make) in SAMPLES.items():
        path = folder / name
        if path.exists() and not overwrite:
            written[name] = False
            continue
        path.write_bytes(make())
        written[name] = True
    return written


def _samples(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    folder = Path(args.folder).expanduser()
    for name, was_written in write_readme_samples(folder, overwrite=args.overwrite).items():
        state = "wrote" if was_written else "kept (already there; --overwrite replaces)"
        print(f"{state} {folder / name}: {SAMPLES[name][0]}", file=err)
    return 0


def add_command(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``qwen-omni samples DIR``."""
    parser = sub.add_parser("samples", help="write the sample media the README's examples name (meeting.mp3, ...)")
    parser.add_argument("folder", metavar="DIR", help="where to write them (made if need be)")
    parser.add_argument("--overwrite", action="store_true", help="replace files already there")
    parser.set_defaults(handler=_samples)
