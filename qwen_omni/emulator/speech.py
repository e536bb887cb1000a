"""The emulator's spoken answer: a deterministic tone whose length follows the text, as raw PCM16 LE mono
24 kHz (what DashScope sends, whatever ``audio.format`` says), cut into ~0.1 s pieces.

Example:
    >>> pcm = speech_pcm("Hi.")
    >>> len(pcm), pcm_duration(len(pcm))
    (7200, 0.15)
    >>> [len(p) for p in pcm_pieces(pcm)]
    [4800, 2400]
"""

from __future__ import annotations

import numpy as np

from qwen_omni.audio import SAMPLE_WIDTH_BYTES, pcm16_duration
from qwen_omni.profiles import OUTPUT_SAMPLE_RATE

#: Seconds of speech per character of text.
SECONDS_PER_CHARACTER = 0.05
#: Seconds of audio per ``delta.audio`` chunk.
CHUNK_SECONDS = 0.1
#: The tone's pitch and loudness.
TONE_HZ = 440.0
TONE_AMPLITUDE = 0.25

SAMPLES_PER_CHARACTER = round(OUTPUT_SAMPLE_RATE * SECONDS_PER_CHARACTER)
BYTES_PER_CHARACTER = SAMPLES_PER_CHARACTER * SAMPLE_WIDTH_BYTES
_CHUNK_BYTES = round(OUTPUT_SAMPLE_RATE * CHUNK_SECONDS) * SAMPLE_WIDTH_BYTES


def speech_pcm(text: str) -> bytes:
    """The tone for ``text``: :data:`SECONDS_PER_CHARACTER` per character, PCM16 little-endian mono 24 kHz."""
    samples = np.arange(len(text) * SAMPLES_PER_CHARACTER, dtype=np.float64)
    wave = TONE_AMPLITUDE * 32767 * np.sin(2 * np.pi * TONE_HZ * samples / OUTPUT_SAMPLE_RATE)
    return wave.astype("<i2").tobytes()


def speech_seconds(text: str) -> float:
    """Seconds of speech for ``text`` (the duration of :func:`speech_pcm`)."""
    return pcm_duration(len(text) * BYTES_PER_CHARACTER)


def pcm_duration(size: int) -> float:
    """Seconds of audio in ``size`` bytes of the emulator's PCM."""
    return pcm16_duration(size, sample_rate=OUTPUT_SAMPLE_RATE)


def pcm_pieces(pcm: bytes) -> list[bytes]:
    """``pcm`` cut into :data:`CHUNK_SECONDS` pieces (the last may be shorter); every piece has whole samples."""
    return [pcm[i : i + _CHUNK_BYTES] for i in range(0, len(pcm), _CHUNK_BYTES)]


__all__ = [
    "BYTES_PER_CHARACTER",
    "CHUNK_SECONDS",
    "SAMPLES_PER_CHARACTER",
    "SECONDS_PER_CHARACTER",
    "TONE_AMPLITUDE",
    "TONE_HZ",
    "pcm_duration",
    "pcm_pieces",
    "speech_pcm",
    "speech_seconds",
]
