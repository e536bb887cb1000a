"""Every limit one request of a model puts on one segment, read from :mod:`qwen_omni.profiles`.

A segment is sent as one audio file, one video file, or one list of frames. Inline (base64) media must
also fit the per-item data-URI limit, which base64's 4/3 inflation makes about 7.5 MB of file; and the
whole request must fit the model's input tokens.

Example:
    >>> from qwen_omni.profiles import get_profile
    >>> limits = segment_limits(get_profile("qwen-omni-turbo"), "audio")
    >>> limits.max_seconds, limits.max_bytes
    (180, 7864308)
    >>> data_uri_length(3)  # 'data:;base64,' + 4 characters
    17
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from ..profiles import DATA_URI_MAX_BYTES, ModelProfile

__all__ = ["Delivery", "SegmentLimits", "data_uri_length", "inline_capacity", "segment_limits"]

#: How a segment goes on the wire: the file unchanged, by URL, or re-encoded as audio, video or frames.
Delivery = Literal["whole", "url", "audio", "video", "frames"]
MediaNoun = Literal["audio", "video", "frames", "image"]

_AUDIO_VIDEO_PREFIX = "data:;base64,"
_JPEG_PREFIX = "data:image/jpeg;base64,"


def data_uri_length(raw_bytes: int, prefix: str = _AUDIO_VIDEO_PREFIX) -> int:
    """The length of the data URI of ``raw_bytes`` bytes."""
    return len(prefix) + 4 * math.ceil(raw_bytes / 3)


def inline_capacity(prefix: str = _AUDIO_VIDEO_PREFIX) -> int:
    """The largest file whose data URI is under the per-item limit (10,485,760 characters)."""
    return (DATA_URI_MAX_BYTES - 1 - len(prefix)) // 4 * 3


@dataclass(frozen=True)
class SegmentLimits:
    """What one segment sent as ``noun`` may be, for one model.

    ``max_bytes`` already includes the data-URI limit for inline media; ``max_items`` is how many such
    items one request may carry (each segment is sent alone, so it must be at least 1).
    """

    model: str
    noun: MediaNoun
    max_seconds: float | None
    max_bytes: int | None
    max_input_tokens: int
    max_output_tokens: int
    max_items: int | None
    frames_min: int = 1
    frames_max: int | None = None
    frame_max_bytes: int | None = None


def segment_limits(profile: ModelProfile, noun: MediaNoun, *, inline: bool = True) -> SegmentLimits:
    """The limits of ``profile`` for a segment of ``noun`` (inline unless ``inline=False``, i.e. by URL)."""
    capacity = inline_capacity() if inline else None
    if noun == "frames":
        return SegmentLimits(
            model=profile.name,
            noun=noun,
            max_seconds=None,
            max_bytes=None,
            max_input_tokens=profile.max_input_tokens,
            max_output_tokens=profile.max_output_tokens,
            max_items=profile.video.max_files,
            frames_min=profile.frames_min,
            frames_max=min(profile.frames_max, profile.image.max_inline_files or profile.frames_max),
            frame_max_bytes=inline_capacity(_JPEG_PREFIX),
        )
    media = {"audio": profile.audio, "video": profile.video, "image": profile.image}[noun]
    sizes = [size for size in (media.max_bytes, capacity) if size is not None]
    return SegmentLimits(
        model=profile.name,
        noun=noun,
        max_seconds=media.max_seconds,
        max_bytes=min(sizes) if sizes else None,
        max_input_tokens=profile.max_input_tokens,
        max_output_tokens=profile.max_output_tokens,
        max_items=media.max_inline_files if inline else media.max_files,
    )
