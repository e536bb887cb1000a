"""Speech for the realtime tests: real speech from espeak-ng (22,050 Hz mono, which the client converts to 16 kHz),
and silences, as one recording a test streams at real-time pace."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import wave
from functools import lru_cache
from pathlib import Path

import pytest

#: espeak-ng's output rate.
SPEECH_RATE = 22_050


@lru_cache(maxsize=32)
def speech_pcm(text: str) -> bytes:
    """``text`` spoken by espeak-ng: PCM16 mono at :data:`SPEECH_RATE`."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        if os.environ.get("QWEN_OMNI_REQUIRE_ESPEAK") == "1":
            raise RuntimeError("espeak-ng is required (apt-get install espeak-ng)")
        pytest.skip("espeak-ng is not installed")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "speech.wav"
        subprocess.run([espeak, "-w", str(path), text], check=True, capture_output=True, timeout=60)
        with wave.open(str(path), "rb") as src:
            assert (src.getframerate(), src.getnchannels(), src.getsampwidth()) == (SPEECH_RATE, 1, 2)
            return src.readframes(src.getnframes())


def silence(seconds: float, rate: int = SPEECH_RATE) -> bytes:
    return b"\x00\x00" * round(seconds * rate)


def recording(*pieces: str | float) -> bytes:
    """A recording at :data:`SPEECH_RATE`: each str spoken, each float that many seconds of silence."""
    return b"".join(speech_pcm(p) if isinstance(p, str) else silence(p) for p in pieces)


def seconds_of(pcm: bytes, rate: int = SPEECH_RATE) -> float:
    return len(pcm) / (2 * rate)


def as_wav(pcm: bytes, rate: int = SPEECH_RATE) -> bytes:
    from qwen_omni.audio import pcm16_to_wav

    return pcm16_to_wav(pcm, sample_rate=rate)


async def converse(
    session, audio: bytes, *, answers: int, rate: int = SPEECH_RATE, factor: float | None = 1.0, wait: float = 20.0
) -> list:  # type: ignore[no-untyped-def]
    """Stream ``audio`` into ``session`` (paced) while reading its events, until ``answers`` responses ended and the
    audio was all sent; every event read, in order."""
    import asyncio

    from qwen_omni.realtime import ResponseDone

    sender = asyncio.create_task(session.send_audio(audio, sample_rate=rate, realtime_factor=factor))
    events: list = []
    done = 0
    try:
        while done < answers:
            if sender.done() and sender.exception() is not None:
                raise sender.exception()  # type: ignore[misc]
            event = await session.next_event(timeout=wait)
            assert event is not None, "the session ended early"
            events.append(event)
            done += isinstance(event, ResponseDone)
        await asyncio.wait_for(sender, wait)
    finally:
        sender.cancel()
    return events
