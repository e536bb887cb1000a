"""Media with PyAV: what a file is, and the same media made ready for the API.

The package is the only part of ``qwen_omni`` that imports :mod:`av`. Its modules, one job each:

- :mod:`~qwen_omni.media.reading`: open a source (bytes, a path, a file object), decode, read durations.
- :mod:`~qwen_omni.media.info`: :func:`probe` and :func:`image_size`: "what is this file?"
- :mod:`~qwen_omni.media.sampling`: :func:`sample_frames`: a video as JPEG frames, seeking to each.
- :mod:`~qwen_omni.media.cutting`: :func:`split`, :func:`cut_audio`, :func:`cut_video`: long media as
  pieces, produced lazily.
- :mod:`~qwen_omni.media.transcoding`: :func:`transcode_audio`: any sound as mono 16 kHz MP3, Opus or WAV.
- :mod:`~qwen_omni.media.silence`: :func:`loudness`: where a recording is quiet (to cut there, or to leave it
  out), where it is damaged, and where it really ends.
- :mod:`~qwen_omni.media.placing`: decoded sound at its true time, past damaged stretches.
- :mod:`~qwen_omni.media.encoding`: the writers (PNG, JPEG, GIF, WAV, MP3, Opus, MP4) and ``encode_*`` for
  NumPy arrays, which :mod:`qwen_omni.samples` uses to make sample media.

Nothing is ever written to disk.

Example:
    >>> import numpy as np
    >>> png = encode_image(np.zeros((48, 64, 3), dtype=np.uint8))
    >>> info = probe(png)
    >>> info.kind, info.container, (info.width, info.height)
    ('image', 'png', (64, 48))
"""

from __future__ import annotations

from .cutting import AudioSettings, Segment, Span, VideoSettings, cut_audio, cut_video, pixel_size, split
from .encoding import AudioFormat, audio_encoders, encode_audio, encode_gif, encode_image, encode_video, video_codec
from .info import MediaInfo, MediaKind, declared_duration, image_size, probe
from .reading import MediaSource
from .sampling import sample_frames
from .silence import Loudness, loudness
from .transcoding import transcode_audio

__all__ = [
    "AudioFormat",
    "AudioSettings",
    "Loudness",
    "MediaInfo",
    "MediaKind",
    "MediaSource",
    "Segment",
    "Span",
    "VideoSettings",
    "audio_encoders",
    "cut_audio",
    "cut_video",
    "declared_duration",
    "encode_audio",
    "encode_gif",
    "encode_image",
    "encode_video",
    "image_size",
    "loudness",
    "pixel_size",
    "probe",
    "sample_frames",
    "split",
    "transcode_audio",
    "video_codec",
]
