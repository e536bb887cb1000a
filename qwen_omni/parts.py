"""Typed input parts and how each goes on the wire.

A part's media comes from a URL (``http(s)://``, ``oss://``, or an existing ``data:`` URI), a local path,
or bytes. Local media become base64 data URIs exactly as Qwen-Omni expects: images keep their real mime
type (``data:image/png;base64,...``), audio and video use ``data:;base64,...``.

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

import base64
import mimetypes
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Union
from urllib.parse import urlparse

from .errors import LimitExceededError, MediaError
from .profiles import (
    AUDIO_INPUT_FORMATS,
    DATA_URI_MAX_BYTES,
    IMAGE_INPUT_EXTENSIONS,
    IMAGE_MAX_ASPECT_RATIO,
    IMAGE_MIME_TYPES,
    IMAGE_MIN_SIDE_PX,
    VIDEO_FPS_RANGE,
    VIDEO_INPUT_FORMATS,
)

if TYPE_CHECKING:
    from .media import MediaInfo

#: Where a part's media comes from: a URL or data URI (str), a local path (str or PathLike), or bytes.
Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]

REMOTE_SCHEMES = ("http://", "https://", "oss://")
WireKind = Literal["text", "image", "audio", "video", "video_frames", "unknown"]
MediaKind = Literal["image", "audio", "video"]

_AUDIO_ALIASES = {
    "mpeg": "mp3", "mpga": "mp3", "mpeg3": "mp3", "x-mp3": "mp3", "x-mpeg": "mp3",
    "wave": "wav", "x-wav": "wav", "vnd.wave": "wav", "x-pn-wav": "wav",
    "3gpp": "3gp", "x-m4a": "m4a", "mp4": "m4a", "x-flac": "flac", "x-aac": "aac", "aacp": "aac",
    "amr-wb": "amr", "x-amr": "amr", "oga": "ogg", "vorbis": "ogg",
}  # fmt: skip
_IMAGE_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}


@dataclass(frozen=True)
class Loaded:
    """A source after resolution: either a URL to pass through, or bytes read from a file or given."""

    url: str | None = None
    data: bytes | None = None
    name: str | None = None

    @property
    def is_inline(self) -> bool:
        return self.data is not None or (self.url or "").startswith("data:")


def load_source(source: Source) -> Loaded:
    """Resolve a source: a URL stays a URL; a path is read; bytes are taken as they are.

    Raises:
        MediaError: a path that does not exist or cannot be read, or a string that is neither.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        return Loaded(data=bytes(source))
    if isinstance(source, str):
        if source.startswith(REMOTE_SCHEMES) or source.startswith("data:"):
            return Loaded(url=source, name=source if not source.startswith("data:") else None)
        if source.startswith("file://"):
            source = urlparse(source).path
    path = Path(os.fspath(source)).expanduser()
    if not path.exists():
        raise MediaError(
            f"{str(source)!r} is neither a URL (http://, https://, oss://, data:) nor an existing file. "
            "Check the path, or pass the file's bytes."
        )
    if not path.is_file():
        raise MediaError(f"{str(path)!r} is not a file.")
    try:
        return Loaded(data=path.read_bytes(), name=str(path))
    except OSError as exc:
        raise MediaError(f"Cannot read {str(path)!r}: {exc.strerror or exc}.") from exc


def data_uri(data: bytes, mime_type: str = "") -> str:
    """A base64 data URI; audio and video use an empty mime type, as Qwen-Omni's examples do."""
    return f"data:{mime_type};base64,{base64.b64encode(data).decode('ascii')}"


def check_data_uri_size(uri: str, what: str) -> None:
    """Raise if a data URI is over the API's per-item limit (10,485,760 bytes)."""
    if uri.startswith("data:") and len(uri) >= DATA_URI_MAX_BYTES:
        raise LimitExceededError(
            f"{what} is {len(uri) / 1_048_576:.1f} MB as a base64 data URI; Qwen-Omni accepts inline data under "
            f"{DATA_URI_MAX_BYTES / 1_048_576:.0f} MB per item (a file of about 7.5 MB). Upload it and pass its "
            "URL, or make it smaller (qwen_omni.media.transcode_audio, sample_frames or split)."
        )


def _data_uri_head(uri: str, size: int = 64) -> bytes:
    """The first bytes of a base64 data URI's content (enough to sniff its format), or b"" for anything else."""
    if not uri.startswith("data:") or ";base64," not in uri[:100]:
        return b""
    body = uri.split(",", 1)[1][: size * 4 // 3 // 4 * 4]
    try:
        return base64.b64decode(body)
    except ValueError:
        return b""


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _extension(name: str | None) -> str | None:
    if not name:
        return None
    path = urlparse(name).path if name.startswith(REMOTE_SCHEMES) else name
    suffix = Path(path).suffix.lower().lstrip(".")
    return suffix or None


def kind_from_name(name: str) -> MediaKind | None:
    """The input kind a file name or URL suggests by its extension, among the formats the API accepts.

    Audio is tried before video: the reference lists 3GP among the audio formats.

    Example:
        >>> kind_from_name("https://example.com/talk.MP3?sig=1"), kind_from_name("notes.bin")
        ('audio', None)
    """
    ext = _extension(name)
    if ext in IMAGE_INPUT_EXTENSIONS:
        return "image"
    if ext in AUDIO_INPUT_FORMATS:
        return "audio"
    if ext in VIDEO_INPUT_FORMATS:
        return "video"
    return None


def normalize_audio_format(value: str) -> str:
    """``audio/mpeg``, ``mpeg``, ``.MP3`` and ``mp3`` all give ``mp3``."""
    fmt = value.strip().lower().removeprefix("audio/").lstrip(".")
    return _AUDIO_ALIASES.get(fmt, fmt)


def sniff_audio_format(data: bytes) -> str | None:
    """The audio container of ``data`` from its magic bytes, or None."""
    head = data[:16]
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2):
        return "mp3"
    if head.startswith(b"#!AMR"):
        return "amr"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"OggS"):
        return "opus" if b"OpusHead" in data[:64] else "ogg"
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return "aac"
    if head[4:8] == b"ftyp":
        return "3gp" if head[8:11] == b"3gp" else "m4a"
    return None


def sniff_image_mime(data: bytes) -> str | None:
    """The image mime type of ``data`` from its magic bytes, or None."""
    signatures = (
        (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
        (b"GIF89a", "image/gif"), (b"BM", "image/bmp"), (b"II*\x00", "image/tiff"), (b"MM\x00*", "image/tiff"),
    )  # fmt: skip
    for magic, mime in signatures:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1"):
        return "image/heic"
    return None


@dataclass(frozen=True)
class TextPart:
    """Plain text."""

    text: str

    def to_wire(self) -> dict[str, Any]:
        return {"type": "text", "text": self.text}


@dataclass(frozen=True)
class _MediaPart:
    source: Source

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

    _kind = "media"

    @property
    def label(self) -> str:
        """How messages name this input: ``image 'cat.png'``, or ``the given image`` when it has no name."""
        name = self.loaded.name
        return f"{self._kind} {name!r}" if name else f"the given {self._kind}"


@dataclass(frozen=True)
class ImagePart(_MediaPart):
    """An image. ``min_pixels`` / ``max_pixels`` / ``total_pixels`` bound the model's resize.

    Example:
        >>> ImagePart(b"\\x89PNG\\r\\n\\x1a\\n...").mime_type
        'image/png'
    """

    _kind = "image"
    min_pixels: int | None = None
    max_pixels: int | None = None
    total_pixels: int | None = None
    mime: str | None = field(default=None, repr=False)

    @cached_property
    def mime_type(self) -> str | None:
        """The image's mime type: given, else from its bytes, else from its name; None for a URL."""
        loaded = self.loaded
        if loaded.data is None:
            return None
        mime = self.mime or sniff_image_mime(loaded.data) or mimetypes.guess_type(loaded.name or "")[0]
        if mime is None:
            raise MediaError(
                f"Cannot tell the type of {self.label}: it is not PNG, JPEG, GIF, WEBP, BMP, TIFF or HEIC. "
                "Pass mime='image/png' (or the right type), or convert it."
            )
        mime = _IMAGE_ALIASES.get(mime.lower(), mime.lower())
        if mime not in IMAGE_MIME_TYPES:
            raise MediaError(
                f"{_cap(self.label)} is {mime}, which Qwen-Omni does not accept; use one of "
                f"{', '.join(sorted(IMAGE_MIME_TYPES))}."
            )
        return mime

    def check_shape(self) -> None:
        """Both sides over 10 px and an aspect ratio at most 200:1, where the image can be read."""
        if self.loaded.data is None:
            return
        from .media import image_size

        size = image_size(self.loaded.data)
        if size is None:
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
            url = data_uri(loaded.data, mime)
        else:
            url = loaded.url or ""
        check_data_uri_size(url, _cap(self.label))
        wire: dict[str, Any] = {"type": "image_url", "image_url": {"url": url}}
        for key in ("min_pixels", "max_pixels", "total_pixels"):
            value = getattr(self, key)
            if value is not None:
                if value <= 0:
                    raise LimitExceededError(f"{key} must be a positive number of pixels; got {value}.")
                wire[key] = value
        return wire


@dataclass(frozen=True)
class AudioPart(_MediaPart):
    """An audio file. ``format`` is inferred from the name, the mime type or the bytes when not given.

    Example:
        >>> AudioPart(b"ID3\\x04...", format="audio/mpeg").audio_format
        'mp3'
    """

    _kind = "audio"
    format: str | None = None

    @cached_property
    def audio_format(self) -> str:
        """The format name the API expects (``mp3``, ``wav``, ...)."""
        loaded = self.loaded
        head = loaded.data if loaded.data is not None else _data_uri_head(loaded.url or "")
        fmt = (
            normalize_audio_format(self.format)
            if self.format
            else (
                (sniff_audio_format(head) if head else None)
                or (normalize_audio_format(ext) if (ext := _extension(loaded.name)) else None)
            )
        )
        if fmt is None:
            raise MediaError(f"Cannot tell the format of {self.label}; pass format='mp3' (or wav, aac, amr, ...).")
        if fmt not in AUDIO_INPUT_FORMATS:
            raise MediaError(
                f"{_cap(self.label)} is {fmt!r}, which Qwen-Omni does not accept; use one of "
                f"{', '.join(sorted(AUDIO_INPUT_FORMATS))}, e.g. qwen_omni.media.transcode_audio(path)."
            )
        return fmt

    def to_wire(self) -> dict[str, Any]:
        loaded = self.loaded
        data = data_uri(loaded.data) if loaded.data is not None else (loaded.url or "")
        check_data_uri_size(data, _cap(self.label))
        return {"type": "input_audio", "input_audio": {"data": data, "format": self.audio_format}}


def check_fps(fps: float | None) -> None:
    """Raise unless ``fps`` is None or within the documented 0.1 to 10."""
    low, high = VIDEO_FPS_RANGE
    if fps is not None and not low <= fps <= high:
        raise LimitExceededError(f"fps must be between {low} and {high} frames per second; got {fps}.")


@dataclass(frozen=True)
class VideoPart(_MediaPart):
    """A video file (its sound track is heard too). ``fps`` (0.1 to 10, default 2) sets the sampling rate.

    Example:
        >>> VideoPart("https://example.com/clip.mp4", fps=1).to_wire()
        {'type': 'video_url', 'video_url': {'url': 'https://example.com/clip.mp4'}, 'fps': 1}
    """

    _kind = "video"
    fps: float | None = None

    def check_format(self) -> None:
        ext = _extension(self.loaded.name)
        if self.loaded.data is not None and ext and ext not in VIDEO_INPUT_FORMATS:
            raise MediaError(
                f"{_cap(self.label)} has the extension .{ext}, which Qwen-Omni does not accept; use one of "
                f"{', '.join(sorted(VIDEO_INPUT_FORMATS))}."
            )

    def to_wire(self) -> dict[str, Any]:
        check_fps(self.fps)
        self.check_format()
        loaded = self.loaded
        url = data_uri(loaded.data) if loaded.data is not None else (loaded.url or "")
        check_data_uri_size(url, _cap(self.label))
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
    return AudioPart(source) if kind == "audio" else VideoPart(source)


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
    return []


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
