"""Any audio, or a video's sound, re-encoded whole: :func:`transcode_audio`.

Example:
    >>> from qwen_omni import samples
    >>> from qwen_omni.media import probe
    >>> info = probe(transcode_audio(samples.video_mp4(1.0)))
    >>> info.kind, info.container, info.sample_rate, info.channels
    ('audio', 'mp3', 16000, 1)
"""

from __future__ import annotations

import itertools

import av
import numpy as np

from ..errors import MediaError
from .cutting import audio_limit
from .encoding import AudioFormat, AudioWriter, layout
from .reading import MediaSource, decoded, describe_source, open_media, start_seconds

__all__ = ["transcode_audio"]


def transcode_audio(
    source: MediaSource,
    *,
    format: AudioFormat = "mp3",
    sample_rate: int = 16_000,
    channels: int = 1,
    bitrate: int | None = None,
) -> bytes:
    """Re-encode any audio, or the first audio track of a video, as MP3, Opus or PCM16 WAV.

    Mono output mixes every channel. ``bitrate`` (bits per second) applies to MP3 and Opus; None chooses
    32 kb/s per channel up to 24 kHz.

    Raises:
        MediaError: ``source`` is unreadable or has no audio track.
        RuntimeError: a compressed format was asked for but this PyAV build has no encoder for it.
    """
    name = describe_source(source)
    with AudioWriter(format, sample_rate, channels, bitrate=bitrate) as writer, open_media(source) as container:
        if not container.streams.audio:
            raise MediaError(f"{name} has no audio track.")
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout=layout(channels), rate=sample_rate)
        limit = audio_limit(container, stream, sample_rate, start_seconds(stream))
        written = 0
        for frame in itertools.chain(decoded(container, stream, name), [None]):
            for out in resampler.resample(frame):
                pcm = out.to_ndarray().reshape(-1).astype(np.int16)  # interleaved
                if limit is not None:
                    pcm = pcm[: max(0, limit - written) * channels]
                writer.write(pcm)
                written += len(pcm) // channels
        return writer.finish()
