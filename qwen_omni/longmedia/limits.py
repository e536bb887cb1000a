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

from ..profiles import DATA_URI_MAX_BYTES, KNOWN_MODELS, ModelProfile, get_profile

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


def _tightest_frames() -> tuple[int, int]:
    """The tightest frame-list bounds any known model documents (qwen-omni-turbo's 4 to 80 frames)."""
    profiles = [get_profile(name, warn=False) for name in KNOWN_MODELS]
    lows = [p.frames_min for p in profiles if p.frames_min is not None]
    highs = [p.frames_max for p in profiles if p.frames_max is not None]
    return max(lows), min(highs)


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
        # A series that documents no frame-list limits (qwen3.8-omni-flash) is planned within the tightest
        # documented ones, so that no plan depends on an undocumented number.
        tightest = _tightest_frames()
        frames_min = profile.frames_min if profile.frames_min is not None else tightest[0]
        frames_max = profile.frames_max if profile.frames_max is not None else tightest[1]
        return SegmentLimits(
            model=profile.name,
            noun=noun,
            max_seconds=None,
            max_bytes=None,
            max_input_tokens=profile.max_input_tokens,
            max_output_tokens=profile.max_output_tokens,
            max_items=profile.video.max_files,
            frames_min=frames_min,
            frames_max=min(frames_max, profile.image.max_inline_files or frames_max),
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
