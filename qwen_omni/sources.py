"""Where a part's media comes from, and reading it: a URL stays a URL, a local path is read, bytes are taken.

Local media go inline, as base64 data URIs, and the API takes an inline item only under
:data:`~qwen_omni.profiles.DATA_URI_MAX_BYTES` (10,485,760 characters). Base64 makes 3 bytes into 4
characters, so a file over :data:`MAX_INLINE_FILE_BYTES` (about 7.5 MB) can never go inline: such a file
is refused from its size on disk, before a byte of it is read.

Example:
    >>> load_source("https://example.com/cat.png").url
    'https://example.com/cat.png'
    >>> inline_length(3), MAX_INLINE_FILE_BYTES
    (17, 7864308)
"""

from __future__ import annotations

import base64
import binascii
import errno
import os
import re
import stat
from dataclasses import dataclass, field
from typing import Union
from urllib.parse import unquote, urlparse

from .errors import LimitExceededError, MediaError
from .excerpt import PATH_LIMIT, shorten
from .profiles import DATA_URI_MAX_BYTES

__all__ = [
    "MAX_INLINE_FILE_BYTES",
    "REMOTE_SCHEMES",
    "WIRE_SCHEMES",
    "Base64Source",
    "Loaded",
    "Source",
    "check_data_uri_size",
    "data_uri",
    "data_uri_head",
    "data_uri_of",
    "file_url_path",
    "inline_length",
    "is_remote_url",
    "is_wire_url",
    "load_source",
    "looks_like_base64",
]


@dataclass(frozen=True)
class Base64Source:
    """Media given as base64 text, as LangChain and LlamaIndex content blocks hold it.

    It is decoded once, for the checks that must look inside (type, shape, duration), and goes on the wire as
    given, without being encoded again. ``data``, when given, must be what ``text`` decodes to (an adapter that
    has decoded it already passes both); otherwise ``text`` is decoded strictly.

    Example:
        >>> load_source(Base64Source("aGk=")).data, data_uri_of(load_source(Base64Source("aGk=")))
        (b'hi', 'data:;base64,aGk=')
    """

    text: str = field(repr=False)
    data: bytes | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return f"Base64Source({len(self.text):,} characters)"


#: Where a part's media comes from: a URL or data URI (str), a local path (str or PathLike), bytes, or base64 text.
Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, Base64Source]

REMOTE_SCHEMES = ("http://", "https://", "oss://")
#: Everything the API accepts as a media location: remote URLs and data URIs.
WIRE_SCHEMES = (*REMOTE_SCHEMES, "data:")

_EMPTY_PREFIX = len("data:;base64,")
#: The largest file whose base64 data URI stays under the API's per-item limit.
MAX_INLINE_FILE_BYTES = (DATA_URI_MAX_BYTES - 1 - _EMPTY_PREFIX) // 4 * 3
_BASE64_RE = re.compile(r"[A-Za-z0-9+/_-]+={0,2}")
_BASE64_MIN_CHARS = 64


def is_remote_url(value: str) -> bool:
    """True for ``http://``, ``https://`` and ``oss://`` URLs (any case)."""
    return value[:8].lower().startswith(REMOTE_SCHEMES)


def is_wire_url(value: str) -> bool:
    """True for what the API accepts as a media location: a remote URL or a ``data:`` URI."""
    return is_remote_url(value) or value[:5].lower() == "data:"


def looks_like_base64(value: str) -> bool:
    """True for a long string made only of base64 characters: data passed where a path or URL belongs.

    Example:
        >>> looks_like_base64("iVBORw0KGgo" * 10), looks_like_base64("photos/2024/cat.png")
        (True, False)
    """
    return len(value) >= _BASE64_MIN_CHARS and _BASE64_RE.fullmatch(value) is not None


def file_url_path(url: str) -> str:
    """The local path a ``file:`` URL names (percent-escapes decoded).

    Raises:
        MediaError: the URL names another host (``file://server/share``).

    Example:
        >>> file_url_path("file:///tmp/my%20cat.png"), file_url_path("file://localhost/tmp/a.png")
        ('/tmp/my cat.png', '/tmp/a.png')
    """
    parsed = urlparse(url)
    if parsed.netloc not in ("", "localhost"):
        raise MediaError(
            f"{shorten(url, PATH_LIMIT)} names a file on another host ({parsed.netloc!r}); only local files can be "
            "read. Download it first, or pass an http(s) URL."
        )
    return unquote(parsed.path)


def inline_length(size: int, mime_type: str = "") -> int:
    """The length of the base64 data URI of ``size`` bytes (what the API's per-item limit is measured on)."""
    return len(f"data:{mime_type};base64,") + 4 * ((size + 2) // 3)


@dataclass(frozen=True)
class Loaded:
    """A source after resolution: either a URL to pass through, or bytes read from a file or given."""

    url: str | None = None
    data: bytes | None = None
    name: str | None = None
    #: ``data`` as base64, when it came that way (sent as it is instead of encoded again).
    base64: str | None = field(default=None, repr=False)

    @property
    def is_inline(self) -> bool:
        return self.data is not None or (self.url or "").startswith("data:")


def load_source(source: Source) -> Loaded:
    """Resolve a source: a URL stays a URL; a path is read; bytes are taken as they are.

    A file too big to ever go inline is refused from its size, before it is read; reading stops at that size
    anyway (files under ``/proc`` report a size of 0).

    Raises:
        MediaError: a path that does not exist or cannot be read, a string that is neither, or base64 data
            passed as a path.
        LimitExceededError: the file is too big to send inline.
    """
    if isinstance(source, bytes | bytearray | memoryview):
        return Loaded(data=bytes(source))
    if isinstance(source, Base64Source):
        return _decode(source)
    if not isinstance(source, str | os.PathLike):
        raise MediaError(
            f"A media source must be a URL, a path or bytes; got {type(source).__name__} {shorten(source)}."
        )
    if isinstance(source, str):
        if is_wire_url(source):
            return Loaded(url=source, name=None if source[:5].lower() == "data:" else source)
        if source[:5].lower() == "file:":
            source = file_url_path(source)
    path = os.fspath(source)
    if not isinstance(path, str):  # a bytes path
        raise MediaError(f"A media path must be text; got {shorten(path, PATH_LIMIT)}.")
    return Loaded(data=_read_file(path), name=path)


def _read_file(path: str) -> bytes:
    failure: OSError | ValueError | None = None
    try:
        fd = os.open(os.path.expanduser(path), os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError) as exc:
        failure = exc
    if failure is not None:  # raised outside the handler: the OSError, whose filename may be a payload, is not kept
        raise _open_error(path, failure)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise MediaError(f"{shorten(path, PATH_LIMIT)} is not a file; pass a file's path, its bytes or a URL.")
        if inline_length(info.st_size) >= DATA_URI_MAX_BYTES:
            raise _too_big(path, info.st_size)
        file = os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    with file:
        try:
            data = file.read(MAX_INLINE_FILE_BYTES + 1)
        except OSError as exc:
            raise MediaError(
                f"Cannot read {shorten(path, PATH_LIMIT)}: {exc.strerror or type(exc).__name__}."
            ) from None
    if len(data) > MAX_INLINE_FILE_BYTES:
        raise _too_big(path, None)
    return data


def _open_error(path: str, exc: OSError | ValueError) -> MediaError:
    if looks_like_base64(path):
        return MediaError(
            f"{shorten(path)} looks like base64 data, not a path or URL; pass the decoded bytes, or a "
            "data URI such as 'data:image/png;base64,...'."
        )
    code = exc.errno if isinstance(exc, OSError) else None
    if code in (errno.ENOENT, errno.ENOTDIR, errno.ENAMETOOLONG) or isinstance(exc, ValueError):
        return MediaError(
            f"{shorten(path, PATH_LIMIT)} is neither a URL (http://, https://, oss://, data:) nor an existing file. "
            "Check the path, or pass the file's bytes."
        )
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else type(exc).__name__
    return MediaError(f"Cannot read {shorten(path, PATH_LIMIT)}: {reason}.")


def _too_big(path: str, size: int | None) -> LimitExceededError:
    limit = DATA_URI_MAX_BYTES / 1_048_576
    measured = (
        f"is {size / 1_048_576:.1f} MB, {inline_length(size) / 1_048_576:.1f} MB as a base64 data URI"
        if size is not None
        else f"holds more than {MAX_INLINE_FILE_BYTES:,} bytes"
    )
    return LimitExceededError(
        f"{shorten(path, PATH_LIMIT)} {measured}; Qwen-Omni accepts inline data under {limit:.0f} MB per item, so "
        f"only files up to {MAX_INLINE_FILE_BYTES / 1_048_576:.1f} MB can be sent from disk. Upload it and pass its "
        "URL, or make it smaller (qwen_omni.media.transcode_audio, sample_frames or split)."
    )


def data_uri(data: bytes, mime_type: str = "") -> str:
    """A base64 data URI; audio and video use an empty mime type, as Qwen-Omni's examples do."""
    return f"data:{mime_type};base64,{base64.b64encode(data).decode('ascii')}"


def data_uri_of(loaded: Loaded, mime_type: str = "") -> str:
    """The data URI of inline media, reusing the base64 it came as; the URL of media that is not inline."""
    if loaded.data is None:
        return loaded.url or ""
    if loaded.base64 is not None:
        return f"data:{mime_type};base64,{loaded.base64}"
    return data_uri(loaded.data, mime_type)


def _decode(source: Base64Source) -> Loaded:
    """The bytes of base64 text, refused from its length before it is decoded if it could never go inline."""
    text = source.text
    if _EMPTY_PREFIX + len(text) >= DATA_URI_MAX_BYTES:
        raise LimitExceededError(
            f"The given base64 data is {len(text) / 1_048_576:.1f} MB; Qwen-Omni accepts inline data under "
            f"{DATA_URI_MAX_BYTES / 1_048_576:.0f} MB per item (a file of about {MAX_INLINE_FILE_BYTES / 1_048_576:.1f}"
            " MB). Upload it and pass its URL, or make it smaller."
        )
    if source.data is not None:
        return Loaded(data=source.data, base64=text)
    try:
        data = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise MediaError(
            f"The given base64 data is not valid base64 ({exc}); got {shorten(text)}. Encode the file's bytes with "
            "base64.b64encode, or give a URL."
        ) from None
    return Loaded(data=data, base64=text)


def check_data_uri_size(uri: str, what: str) -> None:
    """Raise if a data URI is over the API's per-item limit (10,485,760 bytes)."""
    if uri.startswith("data:") and len(uri) >= DATA_URI_MAX_BYTES:
        raise LimitExceededError(
            f"{what} is {len(uri) / 1_048_576:.1f} MB as a base64 data URI; Qwen-Omni accepts inline data under "
            f"{DATA_URI_MAX_BYTES / 1_048_576:.0f} MB per item (a file of about 7.5 MB). Upload it and pass its "
            "URL, or make it smaller (qwen_omni.media.transcode_audio, sample_frames or split)."
        )


def data_uri_head(uri: str, size: int = 64) -> bytes:
    """The first bytes of a base64 data URI's content (enough to sniff its format), or b"" for anything else."""
    if not uri.startswith("data:") or ";base64," not in uri[:100]:
        return b""
    body = uri.split(",", 1)[1][: size * 4 // 3 // 4 * 4]
    try:
        return base64.b64decode(body)
    except (binascii.Error, ValueError):
        return b""
