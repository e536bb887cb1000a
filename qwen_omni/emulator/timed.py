"""Timestamped answers, for transcript, description and subtitle prompts.

This rule stands apart from the others (:mod:`.answer` calls it before its facts sentence): when the last
user text asks for lines in one of the Qwen-Omni guide's timestamp formats and the message carries exactly
one inline audio or video file, the answer has one line per sound heard in that file. A sound is a run of
audio louder than a quiet floor; its line gives its times counted from the start of the file received (not
of any longer recording it was cut from) and its pitch, so that a test can check where a pipeline put it:

- ``[00:00:15,020 --> 00:00:28,085]`` (the guide's lyric-caption format) gives
  ``[00:00:01,000 --> 00:00:03,500] A voice at 440 Hz.``
- ``00:00.000 – 00:02.500`` (the guide's timestamped-description format) gives
  ``00:01.000 – 00:03.500 A sound at 440 Hz.``

A file with no sound track gets one line per ten seconds (``The picture.``).

Example:
    >>> import numpy as np
    >>> from qwen_omni.media import encode_audio
    >>> rate = 8000
    >>> tone = (np.sin(2 * np.pi * 440 * np.arange(rate) / rate) * 9000).astype(np.int16)
    >>> wav = encode_audio(np.concatenate([np.zeros(rate, np.int16), tone]), sample_rate=rate)
    >>> print(timed_answer("Use this format: [00:00:15,020 --> 00:00:28,085] text", "audio", wav))
    [00:00:01,000 --> 00:00:02,000] A voice at 440 Hz.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qwen_omni.audio import wav_to_pcm16
from qwen_omni.errors import MediaError
from qwen_omni.media import AudioSettings, cut_audio, probe

__all__ = ["CAPTION_FORMAT", "DESCRIPTION_FORMAT", "Sound", "sounds", "timed_answer"]

#: A timestamp span in the guide's lyric-caption format, as a prompt shows it.
CAPTION_FORMAT = re.compile(r"\[\d{2}:\d{2}:\d{2}[,.]\d{3} --> \d{2}:\d{2}:\d{2}[,.]\d{3}\]")
#: A timestamp span in the guide's timestamped-description format.
DESCRIPTION_FORMAT = re.compile(r"\d{2}:\d{2}\.\d{3} – \d{2}:\d{2}\.\d{3}")

_RATE = 8_000  # the rate sounds are analysed at
_HOP = 0.05  # seconds per loudness value
_FLOOR = 0.02  # of full scale: quieter than this is silence
_MIN_GAP = 0.3  # seconds: shorter silences do not end a sound
_MIN_SOUND = 0.2  # seconds: shorter sounds are ignored
_PICTURE_SECONDS = 10.0


@dataclass(frozen=True)
class Sound:
    """A run of audio above the quiet floor: seconds from the file's start, and its strongest frequency."""

    start: float
    end: float
    hertz: int


def _pcm(data: bytes) -> NDArray[np.float32] | None:
    pieces = list(cut_audio(data, [(0.0, math.inf)], AudioSettings("wav", _RATE)))
    if not pieces:
        return None
    return np.frombuffer(wav_to_pcm16(pieces[0].data), dtype="<i2").astype(np.float32) / np.float32(32768)


def sounds(pcm: NDArray[np.float32], rate: int = _RATE) -> list[Sound]:
    """The sounds of mono samples in [-1, 1]."""
    hop = max(1, round(_HOP * rate))
    count = len(pcm) // hop
    if not count:
        return []
    levels = np.sqrt(np.mean(pcm[: count * hop].reshape(count, hop) ** 2, axis=1))
    loud = np.flatnonzero(levels > _FLOOR)
    runs: list[list[int]] = []
    for index in loud:
        if runs and index - runs[-1][1] <= _MIN_GAP / _HOP + 1:
            runs[-1][1] = int(index)
        else:
            runs.append([int(index), int(index)])
    found = []
    for first, last in runs:
        start, end = first * hop / rate, (last + 1) * hop / rate
        if end - start < _MIN_SOUND:
            continue
        chunk = pcm[first * hop : min((last + 1) * hop, first * hop + 2 * rate)]
        spectrum = np.abs(np.fft.rfft(chunk * np.hanning(len(chunk))))
        hertz = float(np.argmax(spectrum[1:]) + 1) * rate / len(chunk)
        found.append(Sound(start, end, round(hertz / 10) * 10))
    return found


def _caption_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d},{rest % 1000:03d}"


def _description_time(seconds: float) -> str:
    millis = round(seconds * 1000)
    minutes, rest = divmod(millis, 60_000)
    return f"{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def timed_answer(text: str, kind: str, data: bytes | None) -> str | None:
    """The timestamped answer to ``text`` about one inline file of ``kind``, or None if the rule does not apply."""
    caption = CAPTION_FORMAT.search(text) is not None
    if data is None or kind not in ("audio", "video") or not (caption or DESCRIPTION_FORMAT.search(text)):
        return None
    try:
        info = probe(data)
        pcm = _pcm(data) if info.has_audio else None
    except MediaError:
        return None
    if pcm is not None:
        noun = "A voice" if caption else "A sound"
        spans = [(s.start, s.end, f"{noun} at {s.hertz} Hz.") for s in sounds(pcm)]
    else:
        duration = info.duration or 0.0
        steps = max(1, math.ceil(duration / _PICTURE_SECONDS))
        spans = [
            (i * _PICTURE_SECONDS, min(duration, (i + 1) * _PICTURE_SECONDS), "The picture.") for i in range(steps)
        ]
    if not spans:
        return "No speech or sound is heard."
    if caption:
        return "\n".join(f"[{_caption_time(a)} --> {_caption_time(b)}] {words}" for a, b, words in spans)
    return "\n".join(f"{_description_time(a)} – {_description_time(b)} {words}" for a, b, words in spans)
