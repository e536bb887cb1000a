"""Where a recording is quiet: a loudness envelope of the audio, and the quietest moment near a cut.

Long media are cut where the audio is quietest within a small window of each planned cut, so that fewer
cuts land mid-word. The envelope is one number per 50 ms (72,000 floats for an hour), made in one
decoding pass that keeps nothing else.

Example:
    >>> import numpy as np
    >>> from qwen_omni.media import encode_audio
    >>> tone = (np.sin(np.arange(16_000) / 3) * 8000).astype(np.int16)
    >>> gap = np.zeros(1600, dtype=np.int16)  # 0.1 s of silence at 1.0 s
    >>> env = loudness(encode_audio(np.concatenate([tone, gap, tone]), sample_rate=16_000))
    >>> round(env.quietest(0.9, window=0.5), 3)  # the middle of the first quiet 50 ms
    1.025
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray

from ..errors import MediaError
from .placing import Damage, placed_audio
from .reading import MediaSource, describe_source, open_media

__all__ = ["Loudness", "loudness"]

#: Seconds per value of the envelope.
HOP_SECONDS = 0.05


@dataclass(frozen=True)
class Loudness:
    """The RMS level of the audio (0..1 of full scale) for each ``hop`` seconds, from time 0, in the file's true
    time: a stretch that could not be decoded counts as silent and is listed in ``damaged`` (``(start, end)`` in
    seconds). ``end`` is where the decoded audio really ends (a truncated file ends before its header says)."""

    hop: float
    rms: NDArray[np.float32]
    damaged: tuple[tuple[float, float], ...] = ()
    end: float | None = None

    @property
    def duration(self) -> float:
        return len(self.rms) * self.hop

    def quiet(self, *, level_db: float, min_seconds: float) -> list[tuple[float, float]]:
        """The stretches at least ``min_seconds`` long whose level stays under ``level_db`` (dB of full scale).

        Example:
            >>> env = Loudness(0.5, np.array([0.3, 0.0, 0.0, 0.0, 0.0, 0.3], dtype=np.float32))
            >>> env.quiet(level_db=-60, min_seconds=1.5)
            [(0.5, 2.5)]
        """
        if not len(self.rms):
            return []
        floor = np.float32(10 ** (level_db / 20))
        quiet = np.concatenate([[False], self.rms < floor, [False]])
        edges = np.flatnonzero(np.diff(quiet.astype(np.int8)))
        spans = []
        for first, last in zip(edges[::2], edges[1::2], strict=True):
            start, end = first * self.hop, min(last * self.hop, self.duration)
            if end - start >= min_seconds:
                spans.append((float(start), float(end)))
        return spans

    def quietest(self, around: float, *, window: float) -> float:
        """The middle of the quietest hop within ``window`` seconds of ``around`` (the nearest, on a tie).

        Returns ``around`` itself when the envelope does not reach it.
        """
        if window <= 0 or not len(self.rms):
            return around
        first = max(0, int((around - window) / self.hop))
        last = min(len(self.rms), int((around + window) / self.hop) + 1)
        if first >= last:
            return around
        levels = self.rms[first:last]
        centres = (np.arange(first, last) + 0.5) * self.hop
        quiet = np.flatnonzero(levels <= levels.min() + 1e-6)
        best = quiet[np.argmin(np.abs(centres[quiet] - around))]
        return float(centres[best])


def _mono(frame: av.AudioFrame) -> NDArray[np.float32]:
    """A decoded frame's samples mixed to mono, in [-1, 1]."""
    samples: NDArray[Any] = frame.to_ndarray()
    channels = len(frame.layout.channels)
    if not frame.format.is_planar:
        samples = samples.reshape(-1, channels).T
    mixed = np.asarray(samples.mean(axis=0) if channels > 1 else samples.reshape(-1), dtype=np.float32)
    if np.issubdtype(samples.dtype, np.integer):
        mixed /= np.float32(np.iinfo(samples.dtype).max + 1)
    return mixed


def loudness(source: MediaSource, *, hop: float = HOP_SECONDS) -> Loudness:
    """The loudness envelope of ``source``'s first audio track (all channels mixed), decoding past damage.

    Raises:
        MediaError: the source cannot be read, has no audio, or none of it decodes.
    """
    name = describe_source(source)
    with open_media(source) as container:
        if not container.streams.audio:
            raise MediaError(f"{name} has no audio track.")
        stream = container.streams.audio[0]
        rate = stream.codec_context.sample_rate
        per_hop = max(1, round(hop * rate))
        levels: list[NDArray[np.float32]] = []
        pending: list[NDArray[np.float32]] = []
        held = 0
        position = 0  # samples of true time covered so far
        damaged: list[tuple[float, float]] = []

        def flush(final: bool) -> None:
            nonlocal pending, held
            pcm = np.concatenate(pending) if pending else np.zeros(0, dtype=np.float32)
            whole = len(pcm) if final else len(pcm) // per_hop * per_hop
            if whole:
                blocks = pcm[: whole // per_hop * per_hop].reshape(-1, per_hop)
                levels.append(np.sqrt(np.mean(blocks * blocks, axis=1)).astype(np.float32))
                if final and whole % per_hop:
                    tail = pcm[whole // per_hop * per_hop : whole]
                    levels.append(np.array([np.sqrt(np.mean(tail * tail))], dtype=np.float32))
            pending = [pcm[whole:]] if whole < len(pcm) else []
            held = len(pcm) - whole

        def add(samples: NDArray[np.float32]) -> None:
            nonlocal held, position
            pending.append(samples)
            held += len(samples)
            position += len(samples)
            if held >= rate:  # a second at a time keeps numpy's work in big pieces
                flush(final=False)

        for item in placed_audio(container, stream, name):
            if isinstance(item, Damage):
                damaged.append((item.start, item.end))
                continue
            gap = round(item.at * rate) - position
            if gap > 0:  # a hole (damage, or missing time): silent in the envelope, at its true place
                add(np.zeros(gap, dtype=np.float32))
            add(_mono(item.frame))
        flush(final=True)
    rms = np.concatenate(levels) if levels else np.zeros(0, dtype=np.float32)
    return Loudness(hop=per_hop / rate, rms=rms, damaged=tuple(damaged), end=position / rate)
