"""Data URIs: decode them, and replace them by short placeholders so that none is ever kept whole.

Example:
    >>> uri = "data:image/png;base64,AAAA"
    >>> parse_data_uri(uri).data, parse_data_uri(uri).mime_type
    (b'\\x00\\x00\\x00', 'image/png')
    >>> placeholder(uri)
    'data:image/png;base64,<3 bytes>'
    >>> redact({"url": uri, "n": 1})
    {'url': 'data:image/png;base64,<3 bytes>', 'n': 1}
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote_to_bytes

#: Strings at least this long that look like bare base64 are redacted too (an audio part sent without the
#: ``data:`` prefix, for instance).
_BARE_BASE64_MIN_CHARS = 256
_BASE64_RE = re.compile(r"[A-Za-z0-9+/=\s_-]+")


@dataclass(frozen=True)
class DataURI:
    """A decoded data URI: its declared mime type (None when empty, as in ``data:;base64,``) and its bytes."""

    mime_type: str | None
    data: bytes


def is_data_uri(value: str) -> bool:
    """True for ``data:...`` strings."""
    return value[:5].lower() == "data:"


def parse_data_uri(uri: str) -> DataURI:
    """Decode a data URI; raises ValueError when it is malformed or its base64 is invalid."""
    if not is_data_uri(uri):
        raise ValueError("not a data URI")
    header, sep, payload = uri[5:].partition(",")
    if not sep:
        raise ValueError("a data URI needs a comma between its header and its data")
    params = header.split(";")
    mime = params[0].strip().lower() or None
    if any(p.strip().lower() == "base64" for p in params[1:]):
        try:
            data = base64.b64decode(payload, validate=False)
        except binascii.Error as exc:
            raise ValueError(f"invalid base64 data ({exc})") from exc
    else:
        data = unquote_to_bytes(payload)
    return DataURI(mime_type=mime, data=data)


def decoded_size(uri: str) -> int:
    """The number of bytes a data URI decodes to, computed without decoding it."""
    header, _, payload = uri[5:].partition(",")
    if "base64" not in header.lower():
        return len(unquote_to_bytes(payload))
    length = len(payload.strip())
    return max(0, length * 3 // 4 - payload.strip().count("=", max(0, length - 2)))


def placeholder(uri: str) -> str:
    """``data:image/png;base64,<1234 bytes>``: the header of ``uri`` and its decoded size."""
    header = uri[: uri.find(",") + 1] if "," in uri else uri[:40]
    return f"{header}<{decoded_size(uri)} bytes>"


def redact(value: Any) -> Any:
    """A copy of a JSON value with every data URI (and every long bare base64 string) replaced by a placeholder."""
    if isinstance(value, str):
        if is_data_uri(value):
            return placeholder(value)
        if len(value) >= _BARE_BASE64_MIN_CHARS and _BASE64_RE.fullmatch(value) and " " not in value:
            return f"<base64, {len(value)} characters>"
        return value
    if isinstance(value, dict):
        return {key: redact(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


__all__ = [
    "DataURI",
    "decoded_size",
    "is_data_uri",
    "parse_data_uri",
    "placeholder",
    "redact",
]
