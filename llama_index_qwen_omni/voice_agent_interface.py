"""A voice agent's audio without a sound card: the input from a file, bytes or an array, the output kept (and
written to a WAV file if asked), for tests, notebooks, batch jobs and servers.

Example:
    >>> import numpy as np
    >>> interface = AudioFileInterface(np.zeros(16_000, dtype=np.int16), realtime_factor=None)
    >>> interface.input_seconds, interface.output()
    (1.0, b'')
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.voice_agents import BaseVoiceAgentInterface

from qwen_omni.audio import pcm16_duration, pcm16_to_wav
from qwen_omni.errors import InvalidRequestError
from qwen_omni.realtime import INPUT_SAMPLE_RATE, OUTPUT_SAMPLE_RATE, read_audio_file

__all__ = ["AudioFileInterface"]

AudioInput = str | os.PathLike[str] | bytes | np.ndarray


def _pcm(audio: AudioInput, sample_rate: int) -> tuple[bytes, int]:
    if isinstance(audio, np.ndarray):
        if audio.ndim != 1:
            raise InvalidRequestError(f"The audio array must be mono (1-D); got shape {audio.shape}.")
        if audio.dtype.kind == "f":
            audio = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2")
        return audio.astype("<i2").tobytes(), sample_rate
    if isinstance(audio, bytes):
        return audio, sample_rate  # raw PCM16 at sample_rate, or a WAV file (its header says its format)
    return read_audio_file(Path(audio)), INPUT_SAMPLE_RATE


class AudioFileInterface(BaseVoiceAgentInterface):
    """The agent's "microphone" is a recording streamed as if live; its "speaker" keeps what the model said.

    Args:
        audio: a file path (any audio; converted), raw PCM16 bytes or a WAV file's bytes, or a mono NumPy array
            (int16, or float in [-1, 1]).
        sample_rate: the rate of raw bytes or of an array.
        realtime_factor: the pace of the input (1: real time, as a microphone; None: as fast as possible).
        output_path: where :meth:`stop` writes the spoken answers as one WAV file (24 kHz), if given.
    """

    def __init__(
        self,
        audio: AudioInput | None = None,
        *,
        sample_rate: int = INPUT_SAMPLE_RATE,
        realtime_factor: float | None = 1.0,
        output_path: str | os.PathLike[str] | None = None,
    ) -> None:
        self.pcm, self.sample_rate = _pcm(audio, sample_rate) if audio is not None else (b"", sample_rate)
        self.realtime_factor = realtime_factor
        self.output_path = Path(output_path) if output_path is not None else None
        self._output = bytearray()
        self.interruptions = 0
        self.started = False

    @property
    def input_seconds(self) -> float:
        """Seconds of input audio (for raw PCM and arrays, at ``sample_rate``)."""
        return pcm16_duration(len(self.pcm), sample_rate=self.sample_rate)

    def _speaker_callback(self, pcm: bytes, *args: Any, **kwargs: Any) -> None:
        self._output += pcm

    def _microphone_callback(self, *args: Any, **kwargs: Any) -> bytes:
        """The whole input (the agent streams it in paced ~100 ms frames)."""
        return self.pcm

    def start(self, *args: Any, **kwargs: Any) -> None:
        self.started = True

    def stop(self) -> None:
        """Stop; write the output WAV if an ``output_path`` was given."""
        self.started = False
        if self.output_path is not None:
            self.output_path.write_bytes(self.output())

    def interrupt(self) -> None:
        """The user spoke over the answer: a player would stop here (the stale rest never reaches :meth:`receive`)."""
        self.interruptions += 1

    def output(self, *args: Any, **kwargs: Any) -> bytes:
        """What the model said, as a WAV file (24 kHz mono), or b"" when it said nothing."""
        return pcm16_to_wav(bytes(self._output), sample_rate=OUTPUT_SAMPLE_RATE) if self._output else b""

    def receive(self, data: bytes, *args: Any, **kwargs: Any) -> None:
        """Take a piece of the spoken answer (PCM16 24 kHz)."""
        self._speaker_callback(data)
