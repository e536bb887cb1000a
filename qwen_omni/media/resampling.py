"""Raw PCM16 converted on the fly to another rate and channel count, piece by piece, for live audio.

:class:`PcmResampler` keeps FFmpeg's resampler state between pieces, so a stream cut anywhere (a microphone's
callbacks, network chunks) comes out as if resampled whole. Used by realtime sessions, whose input must be PCM16
mono 16 kHz.

Example:
    >>> import numpy as np
    >>> stereo_48k = np.zeros(48_000 * 2, dtype="<i2").tobytes()  # one second
    >>> resampler = PcmResampler(48_000, 2, out_rate=16_000, out_channels=1)
    >>> out = resampler.feed(stereo_48k[:96_000]) + resampler.feed(stereo_48k[96_000:]) + resampler.flush()
    >>> len(out)  # one second of mono 16 kHz
    32000
"""

from __future__ import annotations

import av
import numpy as np

from .encoding import layout

__all__ = ["PcmResampler"]

_BYTES_PER_SAMPLE = 2


class PcmResampler:
    """Converts PCM16 little-endian interleaved audio from ``in_rate``/``in_channels`` to ``out_rate``/``out_channels``
    (mono output mixes every channel)."""

    def __init__(self, in_rate: int, in_channels: int, *, out_rate: int, out_channels: int = 1) -> None:
        if in_rate <= 0 or not 1 <= in_channels <= 8:
            raise ValueError(f"PCM must have a positive rate and 1 to 8 channels; got {in_rate} Hz, {in_channels}.")
        self.in_rate, self.in_channels = in_rate, in_channels
        self.out_rate, self.out_channels = out_rate, out_channels
        self._block = _BYTES_PER_SAMPLE * in_channels
        self._carry = b""
        self._pts = 0
        self._resampler = av.AudioResampler(format="s16", layout=layout(out_channels), rate=out_rate)

    @property
    def passthrough(self) -> bool:
        """True when no conversion is needed."""
        return self.in_rate == self.out_rate and self.in_channels == self.out_channels

    def feed(self, pcm: bytes) -> bytes:
        """The converted audio of ``pcm`` so far (a trailing part frame is kept for the next piece)."""
        data = self._carry + pcm
        whole = len(data) - len(data) % self._block
        self._carry = data[whole:]
        if not whole:
            return b""
        if self.passthrough:
            return data[:whole]
        samples = np.frombuffer(data[:whole], dtype="<i2").reshape(1, -1)
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout=layout(self.in_channels))
        frame.sample_rate = self.in_rate
        frame.pts = self._pts
        self._pts += samples.shape[1] // self.in_channels
        return self._converted(frame)

    def flush(self) -> bytes:
        """The audio the resampler still holds, at the end of the stream."""
        return b"" if self.passthrough else self._converted(None)

    def _converted(self, frame: av.AudioFrame | None) -> bytes:
        return b"".join(out.to_ndarray().astype("<i2").tobytes() for out in self._resampler.resample(frame))
