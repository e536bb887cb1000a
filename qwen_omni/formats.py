"""What kind of media a name or some bytes are: extensions, magic bytes, format names and mime aliases.

Pure functions over names and bytes; nothing here opens a file or decodes media (that is :mod:`qwen_omni.media`).

Example:
    >>> kind_from_name("clip.MOV"), sniff_image_mime(b"\\xff\\xd8\\xff\\xe0..."), normalize_audio_format("audio/mpeg")
    ('video', 'image/jpeg', 'mp3')
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlparse

from .profiles import AUDIO_INPUT_FORMATS, IMAGE_INPUT_EXTENSIONS, VIDEO_INPUT_FORMATS

__all__ = [
    "DISTINCT_AUDIO_FORMATS",
    "HARD_TO_SNIFF_IMAGES",
    "MediaKind",
    "extension",
    "image_is_complete",
    "kind_from_name",
    "normalize_audio_format",
    "normalize_image_mime",
    "sniff_audio_format",
    "sniff_image_mime",
]

MediaKind = Literal["image", "audio", "video"]

_AUDIO_ALIASES = {
    "mpeg": "mp3", "mpga": "mp3", "mpeg3": "mp3", "x-mp3": "mp3", "x-mpeg": "mp3",
    "wave": "wav", "x-wav": "wav", "vnd.wave": "wav", "x-pn-wav": "wav",
    "3gpp": "3gp", "x-m4a": "m4a", "mp4": "m4a", "x-flac": "flac", "x-aac": "aac", "aacp": "aac",
    "amr-wb": "amr", "x-amr": "amr", "oga": "ogg", "vorbis": "ogg",
}  # fmt: skip
_IMAGE_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}
_REMOTE_PREFIXES = ("http://", "https://", "oss://")
#: Audio containers told apart for sure by their magic bytes: a label naming another one of them is a mislabel.
DISTINCT_AUDIO_FORMATS = frozenset({"wav", "mp3", "flac", "amr"})
#: Image types whose magic bytes :func:`sniff_image_mime` may miss (HEIC files come in many brands).
HARD_TO_SNIFF_IMAGES = frozenset({"image/heic"})


def extension(name: str | None) -> str | None:
    """The lower-case extension of a file name or of a URL's path, without the dot.

    Example:
        >>> extension("https://e.com/a/Talk.MP3?sig=1"), extension("notes")
        ('mp3', None)
    """
    if not name:
        return None
    path = urlparse(name).path if name.lower().startswith(_REMOTE_PREFIXES) else name
    suffix = Path(path).suffix.lower().lstrip(".")
    return suffix or None


def kind_from_name(name: str) -> MediaKind | None:
    """The input kind a file name or URL suggests by its extension, among the formats the API accepts.

    Audio is tried before video: the reference lists 3GP among the audio formats.

    Example:
        >>> kind_from_name("https://example.com/talk.MP3?sig=1"), kind_from_name("notes.bin")
        ('audio', None)
    """
    ext = extension(name)
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


def normalize_image_mime(value: str) -> str:
    """``image/jpg`` and ``IMAGE/JPEG`` give ``image/jpeg``; parameters (``;charset=...``) are dropped."""
    mime = value.split(";", 1)[0].strip().lower()
    return _IMAGE_ALIASES.get(mime, mime)


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


def image_is_complete(data: bytes, mime: str) -> bool:
    """False when a PNG or JPEG is visibly cut short: a PNG without its ``IEND`` chunk, a JPEG without the
    end-of-image marker after its first scan. Other types, which have no such cheap tell, count as complete.

    Bytes after the end marker (a phone's motion photo appends a video) are fine.

    Example:
        >>> from qwen_omni import samples
        >>> png = samples.image_png(32, 32)
        >>> image_is_complete(png, "image/png"), image_is_complete(png[: len(png) // 2], "image/png")
        (True, False)
    """
    if mime == "image/png":
        return _found_near_end(data, b"IEND", 8)
    if mime == "image/jpeg":
        scan = _jpeg_first_scan(data)
        # Inside entropy-coded data every 0xFF byte is followed by 0x00 or a restart marker, so 0xFFD9 after the
        # first scan can only be the end of the image.
        return scan >= 0 and _found_near_end(data, b"\xff\xd9", scan)
    return True


def _found_near_end(data: bytes, marker: bytes, start: int) -> bool:
    """Whether ``marker`` occurs in ``data[start:]``, looking at the last 64 KiB first (where it almost always is)."""
    tail = max(start, len(data) - 65_536)
    return data.rfind(marker, tail) >= 0 or data.find(marker, start, tail + len(marker)) >= 0


def _jpeg_first_scan(data: bytes) -> int:
    """The offset of the main image's first start-of-scan marker, walking the header segments (so that an EXIF
    thumbnail, a whole JPEG inside APP1, is skipped), or -1."""
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return -1
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
        elif marker == 0xDA:
            return position
        elif marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            position += 2
        else:
            position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    return -1
