"""A video as still frames: :func:`sample_frames` seeks to each wanted moment and decodes only from the
keyframe before it, so ten frames of an hour-long video cost ten short decodes, not an hour of them.

Example:
    >>> from qwen_omni import samples
    >>> from qwen_omni.media import image_size
    >>> frames = sample_frames(samples.video_mp4(2.0), count=3, max_side=80)
    >>> len(frames), image_size(frames[0])
    (3, (80, 60))
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import av
from av.container import InputContainer

from ..errors import MediaError
from . import reading
from .encoding import encode_still, jpeg_qscale
from .reading import EPSILON, MediaSource, container_duration, describe_source, open_media, stream_duration

__all__ = ["frame_times", "sample_frames", "scaled_size"]

#: Seek instead of decoding on when the next wanted moment is this many seconds past the last decoded frame.
SEEK_GAP = 3.0


def scaled_size(width: int, height: int, max_side: int | None) -> tuple[int, int]:
    """Shrink (width, height) so its longer side is at most ``max_side``; scaled sides are made even.

    Example:
        >>> scaled_size(1920, 1080, 640)
        (640, 360)
    """
    if max_side is None or max(width, height) <= max_side:
        return width, height
    scale = max_side / max(width, height)

    def even(side: int) -> int:
        return max(2, int(side * scale) // 2 * 2)

    return even(width), even(height)


def only_video(container: InputContainer, name: str) -> av.VideoStream:
    """The first real video stream, or a :class:`MediaError` naming the file."""
    videos = reading.video_streams(container)
    if not videos:
        raise MediaError(f"{name} has no video stream.")
    return videos[0]


def frame_times(
    duration: float, *, fps: float | None = None, count: int | None = None, start: float = 0.0
) -> list[float]:
    """The moments to sample in ``[start, start + duration)``: every ``1/fps`` s, or ``count`` evenly spaced.

    Example:
        >>> frame_times(2.0, fps=2), frame_times(3.0, count=3, start=6.0)
        ([0.0, 0.5, 1.0, 1.5], [6.0, 7.0, 8.0])
    """
    if (fps is None) == (count is None):
        raise ValueError("give exactly one of fps= or count=")
    if fps is not None and fps <= 0:
        raise ValueError(f"fps must be positive; got {fps}.")
    if count is not None and count < 1:
        raise ValueError(f"count must be at least 1; got {count}.")
    if count is not None:
        return [start + i * duration / count for i in range(count)]
    assert fps is not None
    return [start + i / fps for i in range(max(1, math.ceil(duration * fps - EPSILON)))]


class _Cursor:
    """Decoded frames of one stream, moving forward; seeks when a wanted moment is far ahead."""

    def __init__(self, container: InputContainer, stream: av.VideoStream, name: str) -> None:
        self.container, self.stream, self.name = container, stream, name
        self.origin = reading.start_seconds(stream)
        self.rate = float(stream.average_rate or 25)
        self.frames: Iterator[av.VideoFrame] | None = None
        self.previous: av.VideoFrame | None = None  # the last frame at or before the last moment asked for
        self.pending: av.VideoFrame | None = None  # the first frame after it, already decoded
        self.position = -math.inf  # time of the last decoded frame
        self.decoded = 0

    def _seconds(self, frame: av.VideoFrame) -> float:
        return reading.frame_seconds(frame, self.origin, self.position + 1 / self.rate)

    def _next(self) -> av.VideoFrame | None:
        assert self.frames is not None
        frame = next(self.frames, None)
        if frame is not None:
            self.decoded += 1
            self.position = self._seconds(frame)
        return frame

    def at(self, seconds: float) -> av.VideoFrame | None:
        """The frame on screen at ``seconds`` (the last one that starts at or before it), else the first after."""
        if self.frames is None or seconds - self.position > SEEK_GAP:
            if seconds > SEEK_GAP:
                reading.seek(self.container, self.stream, seconds, self.name)
            self.frames = reading.decoded(self.container, self.stream, self.name)
            self.previous = self.pending = None
        while True:
            if self.pending is None:
                self.pending = self._next()
                if self.pending is None:
                    return self.previous
            if self._seconds(self.pending) > seconds + EPSILON:
                return self.previous if self.previous is not None else self.pending
            self.previous, self.pending = self.pending, None


def sample_frames(
    source: MediaSource,
    *,
    fps: float | None = None,
    count: int | None = None,
    max_side: int | None = None,
    size: tuple[int, int] | None = None,
    quality: int = 85,
    start: float = 0.0,
    end: float | None = None,
) -> list[bytes]:
    """Evenly spaced frames of a video, as JPEG files, decoding only what is needed.

    Give exactly one of ``fps`` (frames per second of video: times ``start``, ``start + 1/fps``, ... before
    ``end``) or ``count`` (exactly that many frames, evenly spaced over ``[start, end)``). ``end`` defaults
    to the end of the video. Each time takes the frame on screen at that moment. ``max_side`` shrinks
    frames so their longer side is at most that many pixels, keeping the aspect ratio (scaled sides are
    even); ``size`` instead gives every frame's exact ``(width, height)``. Far-apart moments are reached by
    seeking, so the cost follows the number of frames asked for, not the length of the video.

    Example:
        >>> from qwen_omni import samples
        >>> len(sample_frames(samples.video_mp4(2.0), fps=1, start=1.0))
        1
    """
    frame_times(1.0, fps=fps, count=count)  # checks the arguments before anything is opened
    jpeg_qscale(quality)
    if start < 0 or (end is not None and end <= start):
        raise ValueError(f"need 0 <= start < end; got start={start}, end={end}.")
    name = describe_source(source)
    with open_media(source) as container:
        stream = only_video(container, name)
        duration = stream_duration(stream) or container_duration(container)
        if duration is None:
            raise MediaError(f"cannot tell how long {name} is.")
        stop = min(duration, end) if end is not None else duration
        if stop <= start:
            raise MediaError(f"{name} is {duration:.2f} s long; nothing to sample from {start:.2f} s on.")
        targets = frame_times(stop - start, fps=fps, count=count, start=start)
        stream.thread_type = "AUTO"
        cursor = _Cursor(container, stream, name)
        jpegs: list[bytes] = []
        last: tuple[av.VideoFrame | None, bytes] = (None, b"")  # a frame chosen twice is encoded once
        for target in targets:
            frame = cursor.at(target)
            if frame is None:
                raise MediaError(f"no frame could be decoded from {name}.")
            if last[0] is not frame:
                width, height = size or scaled_size(frame.width, frame.height, max_side)
                last = (frame, encode_still(frame.reformat(width=width, height=height), "mjpeg", quality))
            jpegs.append(last[1])
    return jpegs
