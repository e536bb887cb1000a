"""What a recording can be: a local path, bytes, a seekable file object, or a URL (never downloaded).

Example:
    >>> rec = as_recording("https://example.com/talks/keynote.mp4")
    >>> rec.url is not None, rec.name
    (True, 'keynote.mp4')
    >>> as_recording(b"RIFF....", name="call.wav").name
    'call.wav'
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TypeAlias
from urllib.parse import unquote, urlparse

from ..errors import MediaError
from ..media import MediaSource
from ..parts import REMOTE_SCHEMES

__all__ = ["Recording", "RecordingLike", "as_recording"]

_CHUNK = 1 << 20


@dataclass(frozen=True, eq=False)
class Recording:
    """One recording to process: exactly one of ``path``, ``data``, ``file`` or ``url`` is set."""

    name: str
    path: Path | None = None
    data: bytes | None = None
    file: IO[bytes] | None = None
    url: str | None = None

    @property
    def source(self) -> MediaSource:
        """What the media functions read (not for a URL)."""
        if self.path is not None:
            return str(self.path)
        if self.data is not None:
            return self.data
        if self.file is not None:
            return self.file
        raise ValueError(f"{self.name} is a URL; it is sent as it is, never read here.")

    def read(self) -> bytes:
        """The whole file's bytes (to send it unchanged)."""
        if self.data is not None:
            return self.data
        if self.path is not None:
            return self.path.read_bytes()
        if self.file is not None:
            where = self.file.tell()
            data = self.file.read()
            self.file.seek(where)
            return data
        raise ValueError(f"{self.name} is a URL; it is sent as it is, never read here.")

    def content_hash(self) -> str:
        """SHA-256 of the file's bytes, read in 1 MB pieces (of the URL itself for a URL); read once."""
        known = self.__dict__.get("_content_hash")
        if known is not None:
            return str(known)
        digest = hashlib.sha256()
        if self.url is not None:
            digest.update(self.url.encode())
        elif self.data is not None:
            digest.update(self.data)
        elif self.path is not None:
            with self.path.open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    digest.update(chunk)
        elif self.file is not None:
            where = self.file.tell()
            while chunk := self.file.read(_CHUNK):
                digest.update(chunk)
            self.file.seek(where)
        self.__dict__["_content_hash"] = digest.hexdigest()  # frozen: kept beside the fields, not as one
        return digest.hexdigest()


RecordingLike: TypeAlias = str | os.PathLike[str] | bytes | bytearray | IO[bytes] | Recording
"""A path, a URL (``http://``, ``https://``, ``oss://``), bytes, a binary file object, or a :class:`Recording`."""


def as_recording(item: RecordingLike, *, name: str | None = None) -> Recording:
    """Resolve what the caller gave; a path must exist, a file object that cannot seek is read whole.

    Raises:
        MediaError: a path that does not exist or is not a file.
    """
    if isinstance(item, Recording):
        return item
    if isinstance(item, bytes | bytearray):
        return Recording(name or "recording", data=bytes(item))
    if isinstance(item, str) and item.startswith(REMOTE_SCHEMES):
        tail = unquote(Path(urlparse(item).path).name)
        return Recording(name or tail or item, url=item)
    if isinstance(item, str | os.PathLike):
        path = Path(os.fspath(item)).expanduser()
        if not path.is_file():
            what = "is not a file" if path.exists() else "does not exist"
            raise MediaError(f"{path} {what}; pass an existing audio or video file, its bytes, or a URL.")
        return Recording(name or path.name, path=path)
    label = name or (Path(item.name).name if isinstance(getattr(item, "name", None), str) else "recording")
    if getattr(item, "seekable", lambda: False)():
        return Recording(label, file=item)
    return Recording(label, data=item.read())
