"""Typed input parts and how each goes on the wire.

A part's media comes from a URL (``http(s)://``, ``oss://``, or an existing ``data:`` URI), a local path,
or bytes (:mod:`qwen_omni.sources`). Local media become base64 data URIs exactly as Qwen-Omni expects: images
keep their real mime type (``data:image/png;base64,...``), audio and video use ``data:;base64,...``. Each part
checks its media before it goes on the wire: a data URI must decode, bytes must be what they are said to be
(an image of its type and whole, a video that opens as one), a URL must be one the API takes.

A part built in code reads the path it is given: the developer chose it. Paths in content from outside the
program (framework content blocks, deserialized messages) go through :mod:`qwen_omni.local_media` first.

Example:
    >>> from qwen_omni.parts import AudioPart, ImagePart, TextPart
    >>> ImagePart("https://example.com/cat.jpg", max_pixels=921_600).to_wire()
    {'type': 'image_url', 'image_url': {'url': 'https://example.com/cat.jpg'}, 'max_pixels': 921600}
    >>> AudioPart("https://example.com/a.mp3").to_wire()["input_audio"]["format"]
    'mp3'
    >>> TextPart("hi").to_wire()
    {'type': 'text', 'text': 'hi'}
"""

from __future__ import annotations

import mimetypes
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, ClassVar, Literal, assert_never

from .errors import InvalidRequestError, LimitExceededError, MediaError
from .excerpt import shorten
from .formats import (
    DISTINCT_AUDIO_FORMATS,
    HARD_TO_SNIFF_IMAGES,
    MediaKind,
    extension,
    image_is_complete,
    kind_from_name,
    normalize_audio_format,
    normalize_image_mime,
    sniff_audio_format,
    sniff_image_mime,
)
from .profiles import (
    AUDIO_INPUT_FORMATS,
    IMAGE_MAX_ASPECT_RATIO,
    IMAGE_MIME_TYPES,
    IMAGE_MIN_SIDE_PX,
    VIDEO_INPUT_FORMATS,
)
from .sources import (
    REMOTE_SCHEMES,
    Base64Source,
    Loaded,
    Source,
    check_data_uri_size,
    data_uri,
    data_uri_head,
    data_uri_of,
    load_source,
)
from .wire_checks import check_fps, check_location, check_pixels

if TYPE_CHECKING:
    from .media import MediaInfo

__all__ = [
    "MEDIA_PART_TYPES",
    "REMOTE_SCHEMES",
    "AudioPart",
    "ImagePart",
    "Loaded",
    "MediaKind",
    "Part",
    "Source",
    "TextPart",
    "VideoFramesPart",
    "VideoPart",
    "WireKind",
    "check_data_uri_size",
    "check_fps",
    "data_uri",
    "kind_from_name",
    "load_source",
    "media_part",
    "normalize_audio_format",
    "sniff_audio_format",
    "sniff_image_mime",
    "wire_kind",
    "wire_urls",
]

WireKind = Literal["text", "image", "audio", "video", "video_frames", "unknown"]
#: Image types PyAV reads, so that bytes it cannot open are refused rather than sent.
_DECODABLE_IMAGES = frozenset({"image/png", "image/jpeg", "image/gif"})


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


@dataclass(frozen=True)
class TextPart:
    """Plain text."""

    text: str

    def __post_init__(self) -> None:
        if not isinstance(self.text, str):
            raise InvalidRequestError(
                f"TextPart takes a string; got {type(self.text).__name__} {shorten(self.text)}. Convert it with str() "
                "first, or leave the part out."
            )

    def to_wire(self) -> dict[str, Any]:
        return {"type": "text", "text": self.text}


@dataclass(frozen=True)
class _MediaPart:
    source: Source

    _kind: ClassVar[MediaKind] = "image"

    def __post_init__(self) -> None:
        if not isinstance(self.source, str | os.PathLike | bytes | bytearray | memoryview | Base64Source):
            raise InvalidRequestError(
                f"{type(self).__name__} takes a URL, a data URI, a path or bytes; got {type(self.source).__name__} "
                f"{shorten(self.source)}."
            )
        if isinstance(self.source, str) and not self.source:
            raise InvalidRequestError(f"{type(self).__name__} got an empty string; give a URL, a path or bytes.")
        if isinstance(self.source, bytes | bytearray | memoryview) and not len(self.source):
            raise MediaError(f"{type(self).__name__} got no bytes (b''); give the file's content.")

    @cached_property
    def loaded(self) -> Loaded:
        """The resolved source (a local file is read once, on first use)."""
        return load_source(self.source)

    @cached_property
    def info(self) -> MediaInfo | None:
        """What PyAV can tell about inline media (duration, size, frames), or None for a URL."""
        if self.loaded.data is None:
            return None
        from .media import probe

        return probe(self.loaded.data)

    @property
    def label(self) -> str:
        """How messages name this input: ``image 'cat.png'``, or ``the given image`` when it has no name."""
        name = self.loaded.name
        return f"{self._kind} {shorten(name)}" if name else f"the given {self._kind}"

    def _check_url(self) -> None:
        """A URL or data URI given as the source must be one the API takes, and a data URI sound."""
        if self.loaded.url is not None:
            check_location(self.loaded.url, self._kind, _cap(self.label))


@dataclass(frozen=True)
class ImagePart(_MediaPart):
    """An image. ``min_pixels`` / ``max_pixels`` / ``total_pixels`` bound the model's resize.

    The type is read from the bytes; a ``mime`` that disagrees with them is refused, as are bytes that are not
    an image, or a PNG or JPEG cut short.

    Example:
        >>> ImagePart(b"\\x89PNG\\r\\n\\x1a\\n...").mime_type
        'image/png'
    """

    _kind: ClassVar[MediaKind] = "image"
    min_pixels: int | None = None
    max_pixels: int | None = None
    total_pixels: int | None = None
    mime: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.mime is not None and not isinstance(self.mime, str):
            raise InvalidRequestError(f"mime must be a string such as 'image/png'; got {shorten(self.mime)}.")

    @cached_property
    def mime_type(self) -> str | None:
        """The image's mime type: from its bytes, else as given, else from its name; None for a URL."""
        loaded = self.loaded
        if loaded.data is None:
            return None
        sniffed = sniff_image_mime(loaded.data)
        given = normalize_image_mime(self.mime) if self.mime else None
        if given and sniffed and given != sniffed:
            raise MediaError(
                f"{_cap(self.label)} is labelled {given}, but its bytes are a {sniffed} image. Drop mime= (the type "
                "is read from the bytes), or fix it."
            )
        mime = sniffed or given or mimetypes.guess_type(loaded.name or "")[0]
        if mime is None:
            raise MediaError(
                f"Cannot tell the type of {self.label}: it is not PNG, JPEG, GIF, WEBP, BMP, TIFF or HEIC. "
                "Pass mime='image/png' (or the right type), or convert it."
            )
        mime = normalize_image_mime(mime)
        if mime not in IMAGE_MIME_TYPES:
            raise MediaError(
                f"{_cap(self.label)} is {mime}, which Qwen-Omni does not accept; use one of "
                f"{', '.join(sorted(IMAGE_MIME_TYPES))}."
            )
        if sniffed is None and mime not in HARD_TO_SNIFF_IMAGES:
            raise MediaError(
                f"{_cap(self.label)} should be {mime}, but its bytes are not an image of that type (they begin "
                f"{shorten(loaded.data[:8])}). Check the file, or convert it."
            )
        return mime

    def check_shape(self) -> None:
        """The image is whole and readable, both sides over 10 px and its aspect ratio at most 200:1."""
        data = self.loaded.data
        if data is None:
            return
        from .media import image_size

        mime = self.mime_type or ""
        if not image_is_complete(data, mime):
            raise MediaError(f"{_cap(self.label)} is a {mime} cut short (its end is missing); send the whole file.")
        size = image_size(data)
        if size is None:
            if mime in _DECODABLE_IMAGES:
                raise MediaError(
                    f"{_cap(self.label)} cannot be read as {mime}: the data is damaged. Check the file, or convert it."
                )
            return
        width, height = size
        if min(width, height) <= IMAGE_MIN_SIDE_PX:
            raise LimitExceededError(
                f"{_cap(self.label)} is {width}x{height} px; both sides must be larger than {IMAGE_MIN_SIDE_PX} px. "
                "Upscale or pad it."
            )
        if max(width, height) / min(width, height) > IMAGE_MAX_ASPECT_RATIO:
            raise LimitExceededError(
                f"{_cap(self.label)} is {width}x{height} px, an aspect ratio over {IMAGE_MAX_ASPECT_RATIO:.0f}:1; "
                "crop it or split it into several images."
            )

    def to_wire(self) -> dict[str, Any]:
        loaded = self.loaded
        if loaded.data is not None:
            mime = self.mime_type or ""
            self.check_shape()
            url = data_uri_of(loaded, mime)
        else:
            self._check_url()
            url = loaded.url or ""
        check_data_uri_size(url, _cap(self.label))
        wire: dict[str, Any] = {"type": "image_url", "image_url": {"url": url}}
        for key in ("min_pixels", "max_pixels", "total_pixels"):
            if (value := getattr(self, key)) is not None:
                check_pixels(key, value)
                wire[key] = value
        return wire


@dataclass(frozen=True)
class AudioPart(_MediaPart):
    """An audio file. ``format`` is inferred from the name, the mime type or the bytes when not given.

    Example:
        >>> AudioPart(b"ID3\\x04...", format="audio/mpeg").audio_format
        'mp3'
    """

    _kind: ClassVar[MediaKind] = "audio"
    format: str | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.format is not None and not isinstance(self.format, str):
            raise InvalidRequestError(f"format must be a string such as 'mp3'; got {shorten(self.format)}.")

    @cached_property
    def audio_format(self) -> str:
        """The format name the API expects (``mp3``, ``wav``, ...)."""
        loaded = self.loaded
        head = loaded.data if loaded.data is not None else data_uri_head(loaded.url or "")
        sniffed = sniff_audio_format(head) if head else None
        fmt = (
            normalize_audio_format(self.format)
            if self.format
            else (sniffed or (normalize_audio_format(ext) if (ext := extension(loaded.name)) else None))
        )
        if fmt is None:
            raise MediaError(f"Cannot tell the format of {self.label}; pass format='mp3' (or wav, aac, amr, ...).")
        if fmt not in AUDIO_INPUT_FORMATS:
            raise MediaError(
                f"{_cap(self.label)} is {fmt!r}, which Qwen-Omni does not accept; use one of "
                f"{', '.join(sorted(AUDIO_INPUT_FORMATS))}, e.g. qwen_omni.media.transcode_audio(path)."
            )
        if sniffed in DISTINCT_AUDIO_FORMATS and fmt in DISTINCT_AUDIO_FORMATS and sniffed != fmt:
            raise MediaError(
                f"{_cap(self.label)} is labelled {fmt}, but its bytes are {sniffed}. Drop format= (it is read from "
                "the bytes), or fix it."
            )
        return fmt

    def check_content(self) -> None:
        """Inline audio that PyAV reads must have a sound track (a picture sent as audio is refused)."""
        if self.loaded.data is None:
            return
        try:
            info = self.info
        except MediaError:
            return  # what PyAV cannot open is judged by the request's check, which knows which formats it reads
        if info is None:
            return
        if info.input_kind == "image":
            raise MediaError(f"{_cap(self.label)} is a picture ({info.container}), not audio; send it as an image.")
        if not info.has_audio:
            raise MediaError(f"{_cap(self.label)} has no sound track; send it as a video, or check the file.")

    def to_wire(self) -> dict[str, Any]:
        loaded = self.loaded
        if loaded.data is None:
            self._check_url()
        data = data_uri_of(loaded)
        check_data_uri_size(data, _cap(self.label))
        fmt = self.audio_format
        self.check_content()
        return {"type": "input_audio", "input_audio": {"data": data, "format": fmt}}


@dataclass(frozen=True)
class VideoPart(_MediaPart):
    """A video file (its sound track is heard too). ``fps`` (0.1 to 10, default 2) sets the sampling rate.

    Example:
        >>> VideoPart("https://example.com/clip.mp4", fps=1).to_wire()
        {'type': 'video_url', 'video_url': {'url': 'https://example.com/clip.mp4'}, 'fps': 1}
    """

    _kind: ClassVar[MediaKind] = "video"
    fps: float | None = None

    def check_format(self) -> None:
        ext = extension(self.loaded.name)
        if self.loaded.data is not None and ext and ext not in VIDEO_INPUT_FORMATS:
            raise MediaError(
                f"{_cap(self.label)} has the extension .{ext}, which Qwen-Omni does not accept; use one of "
                f"{', '.join(sorted(VIDEO_INPUT_FORMATS))}."
            )

    def check_content(self) -> None:
        """Inline video must open as a video: not damaged, not cut short, not a picture or a sound file."""
        if self.loaded.data is None:
            return
        try:
            info = self.info
        except MediaError as exc:
            raise MediaError(
                f"{_cap(self.label)} cannot be opened as a video ({exc}); the API would refuse it. Check the file "
                "(a cut-short MP4 cannot be read), or convert it to MP4."
            ) from None
        if info is None:
            return
        if info.input_kind == "image":
            raise MediaError(f"{_cap(self.label)} is a picture ({info.container}), not a video; send it as an image.")
        if info.input_kind == "audio":
            raise MediaError(f"{_cap(self.label)} has no picture, only sound; send it as audio.")

    def to_wire(self) -> dict[str, Any]:
        check_fps(self.fps)
        self.check_format()
        loaded = self.loaded
        if loaded.data is None:
            self._check_url()
        url = data_uri_of(loaded)
        check_data_uri_size(url, _cap(self.label))
        self.check_content()
        wire: dict[str, Any] = {"type": "video_url", "video_url": {"url": url}}
        if self.fps is not None:
            wire["fps"] = self.fps
        return wire


@dataclass(frozen=True)
class VideoFramesPart:
    """A video given as a list of still frames (URLs, paths or JPEG/PNG bytes), in order.

    Example:
        >>> VideoFramesPart(["https://e.com/1.jpg", "https://e.com/2.jpg"]).to_wire()
        {'type': 'video', 'video': ['https://e.com/1.jpg', 'https://e.com/2.jpg']}
    """

    frames: Sequence[Source]
    fps: float | None = None

    def __post_init__(self) -> None:
        if isinstance(self.frames, str | bytes | bytearray | memoryview) or not isinstance(self.frames, Sequence):
            raise InvalidRequestError(
                f"VideoFramesPart takes a list of frames (URLs, paths or image bytes); got "
                f"{type(self.frames).__name__} {shorten(self.frames)}. For one video file use VideoPart."
            )

    @cached_property
    def images(self) -> tuple[ImagePart, ...]:
        return tuple(ImagePart(frame) for frame in self.frames)

    def to_wire(self) -> dict[str, Any]:
        check_fps(self.fps)
        urls = []
        for index, image in enumerate(self.images):
            url = image.to_wire()["image_url"]["url"]
            check_data_uri_size(url, f"Frame {index} of the frame list")
            urls.append(url)
        wire: dict[str, Any] = {"type": "video", "video": urls}
        if self.fps is not None:
            wire["fps"] = self.fps
        return wire


Part = TextPart | ImagePart | AudioPart | VideoPart | VideoFramesPart
MEDIA_PART_TYPES = (ImagePart, AudioPart, VideoPart, VideoFramesPart)


def media_part(kind: MediaKind, source: Source) -> ImagePart | AudioPart | VideoPart:
    """The part for ``source`` of a known kind.

    Example:
        >>> media_part("audio", "https://e.com/talk.mp3").to_wire()["input_audio"]["format"]
        'mp3'
    """
    if kind == "image":
        return ImagePart(source)
    if kind == "audio":
        return AudioPart(source)
    if kind == "video":
        return VideoPart(source)
    assert_never(kind)


def wire_kind(part: Mapping[str, Any]) -> WireKind:
    """The input kind of a wire content part."""
    kinds: dict[str, WireKind] = {
        "text": "text", "image_url": "image", "input_audio": "audio", "video_url": "video", "video": "video_frames",
    }  # fmt: skip
    return kinds.get(str(part.get("type")), "unknown")


def wire_urls(part: Mapping[str, Any]) -> list[str]:
    """Every URL or data URI a wire content part carries."""
    kind = wire_kind(part)
    if kind == "image":
        return [str(part["image_url"]["url"] if isinstance(part["image_url"], Mapping) else part["image_url"])]
    if kind == "audio":
        return [str(part["input_audio"]["data"])]
    if kind == "video":
        return [str(part["video_url"]["url"] if isinstance(part["video_url"], Mapping) else part["video_url"])]
    if kind == "video_frames":
        return [str(u) for u in part["video"]]
    if kind == "text" or kind == "unknown":
        return []
    assert_never(kind)
