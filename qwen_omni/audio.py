"""PCM16 <-> WAV, nothing else.

Qwen-Omni streams its spoken answer as raw PCM: 16-bit signed little-endian, mono, 24 kHz, even though
the request says ``"format": "wav"``. These helpers add and remove the RIFF header.

Example:
    >>> wav = pcm16_to_wav(b"\\x00\\x00" * 240)
    >>> wav[:4], len(wav) - len(b"\\x00\\x00" * 240)
    (b'RIFF', 44)
    >>> wav_to_pcm16(wav) == b"\\x00\\x00" * 240
    True
"""

from __future__ import annotations

import io
import wave

from .profiles import OUTPUT_SAMPLE_RATE

SAMPLE_WIDTH_BYTES = 2
CHANNELS = 1


def pcm16_to_wav(pcm: bytes, *, sample_rate: int = OUTPUT_SAMPLE_RATE, channels: int = CHANNELS) -> bytes:
    """Wrap raw PCM16 little-endian samples in a WAV (RIFF) container."""
    if len(pcm) % (SAMPLE_WIDTH_BYTES * channels):
        raise ValueError(
            f"PCM16 data must be a whole number of {channels}-channel 16-bit frames; got {len(pcm)} bytes."
        )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(SAMPLE_WIDTH_BYTES)
        out.setframerate(sample_rate)
        out.writeframes(pcm)
    return buffer.getvalue()


def wav_to_pcm16(wav_bytes: bytes) -> bytes:
    """Return the PCM16 frames of a 16-bit WAV file (the inverse of :func:`pcm16_to_wav`)."""
    with wave.open(io.BytesIO(wav_bytes), "rb") as src:
        if src.getsampwidth() != SAMPLE_WIDTH_BYTES:
            raise ValueError(f"Expected 16-bit WAV; got {8 * src.getsampwidth()}-bit.")
        return src.readframes(src.getnframes())


def pcm16_duration(pcm_len: int, *, sample_rate: int = OUTPUT_SAMPLE_RATE, channels: int = CHANNELS) -> float:
    """Seconds of audio in ``pcm_len`` bytes of PCM16."""
    return pcm_len / (SAMPLE_WIDTH_BYTES * channels * sample_rate)


__all__ = [
    "CHANNELS",
    "SAMPLE_WIDTH_BYTES",
    "pcm16_duration",
    "pcm16_to_wav",
    "wav_to_pcm16",
]
