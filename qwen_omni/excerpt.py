"""Values quoted in error messages, cut short: a message never holds a payload or a data URI whole.

Example:
    >>> shorten("cat.png")
    "'cat.png'"
    >>> shorten("data:;base64," + "A" * 912_371)
    "'data:;base64,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA…' (912,384 characters)"
    >>> shorten(b"\\x89PNG" * 1000, limit=8)
    "b'\\\\x89PNG\\\\x89PNG…' (4,000 bytes)"
"""

from __future__ import annotations

__all__ = ["DEFAULT_LIMIT", "PATH_LIMIT", "shorten"]

#: How many characters of a long value an error message shows.
DEFAULT_LIMIT = 48
#: ... of a path, which is worth showing whole when it is one.
PATH_LIMIT = 240


def shorten(value: object, limit: int = DEFAULT_LIMIT) -> str:
    """``repr(value)``, or for a long string or bytes its first ``limit`` characters and its full size."""
    if isinstance(value, str | bytes | bytearray | memoryview):
        data = bytes(value) if isinstance(value, bytearray | memoryview) else value
        if len(data) <= limit:
            return repr(data)
        shown = repr(data[:limit])
        unit = "characters" if isinstance(data, str) else "bytes"
        return f"{shown[:-1]}…{shown[-1]} ({len(data):,} {unit})"
    text = repr(value)
    return text if len(text) <= 2 * limit else f"{text[: 2 * limit]}… ({len(text):,} characters as text)"
