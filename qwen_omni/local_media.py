"""The one rule for which local files message content may make the client read.

A typed part written in code (``ImagePart("chart.png")``), the CLI and the explicit helpers
(``video_frames_block``, ``QwenOmniReader``) read the path they are given: the developer chose it. Content that
arrives as data may come from an end user: LangChain content blocks and dicts, LlamaIndex blocks, anything built
with ``ChatMessage.model_validate(json)``, and the frame lists inside them. Every location in such content goes
through a :class:`LocalMediaPolicy`:

* ``http(s)://`` and ``oss://`` URLs and ``data:`` URIs pass on unchanged (the request checks them like any URL);
* a path (absolute, relative, bare) or a ``file:`` URL is read only when the model was built with
  ``local_media_root``, and only if it lies inside that folder once ``..`` and symlinks are resolved; a relative
  path is taken relative to that folder, never to the working directory;
* any other scheme (``javascript:``, ``ftp://``...) is refused.

A refusal is a :class:`~qwen_omni.errors.LocalFileRefusedError`, raised before anything is sent; it says the same
whether the file exists or not, so content cannot probe the disk outside the folder.

Example:
    >>> policy = LocalMediaPolicy()  # the default: no local file at all
    >>> policy.location("https://example.com/cat.png", "An image block's url")
    'https://example.com/cat.png'
    >>> policy.location("/etc/hostname", "An image block's url")
    Traceback (most recent call last):
    ...
    qwen_omni.errors.LocalFileRefusedError: An image block's url names the local file '/etc/hostname', but this \
model reads no local file from message content (local_media_root is not set). ...
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import InvalidRequestError, LocalFileRefusedError
from .excerpt import PATH_LIMIT, shorten
from .sources import file_url_path, is_wire_url, looks_like_base64

__all__ = ["SETTING", "LocalMediaPolicy", "absolute_root", "as_tool_told"]

#: The name of the setting, as ``ChatQwenOmni`` and ``QwenOmni`` spell it; every refusal names it.
SETTING = "local_media_root"
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+:")


def as_tool_told(message: str) -> str:
    """A refusal's message worded for an agent's tool, whose folder is its ``root_dir``, not the model's setting.

    Example:
        >>> as_tool_told("'../x.wav' is outside the folder this model may read (local_media_root). Put it there.")
        "'../x.wav' is outside the folder this tool may read. Put it there."
    """
    return message.replace(f"this model may read ({SETTING})", "this tool may read").replace(
        SETTING, "the folder this tool may read"
    )


def absolute_root(value: object) -> object:
    """A ``local_media_root`` setting as an absolute path string (``~`` expanded), so that it means the same folder
    whatever the working directory later is; None and values of other types are returned for the caller to judge.

    Example:
        >>> import os
        >>> absolute_root("uploads") == os.path.join(os.getcwd(), "uploads"), absolute_root(None)
        (True, None)
    """
    if isinstance(value, str | os.PathLike):
        path = os.fspath(value)
        if isinstance(path, str) and path:
            return os.path.abspath(os.path.expanduser(path))
    return value


@dataclass(frozen=True)
class LocalMediaPolicy:
    """Which local files message content may name: none (``root=None``, the default), or those inside ``root``.

    ``root`` is resolved when a file is asked for, so the folder may be created after the model.

    Example:
        >>> import pathlib, tempfile
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "cat.png").write_bytes(b"...")
        >>> policy = LocalMediaPolicy(folder)
        >>> policy.path("cat.png", "An image block's path") == (folder / "cat.png").resolve()
        True
        >>> policy.path("../cat.png", "An image block's path")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        qwen_omni.errors.LocalFileRefusedError: An image block's path names '../cat.png', which is outside ...
    """

    root: str | os.PathLike[str] | None = None

    def location(self, value: object, what: str) -> str | Path:
        """A location string from content: a URL or data URI as it is, else the confined local file it names."""
        if not isinstance(value, str):
            raise InvalidRequestError(f"{what} must be a string; got {type(value).__name__} {shorten(value)}.")
        if is_wire_url(value):
            return value
        if value[:5].lower() == "file:":
            return self.path(file_url_path(value), what, shown=value)
        if _SCHEME.match(value):
            scheme = value.split(":", 1)[0].lower()
            raise LocalFileRefusedError(
                f"{what} is {shorten(value)}, with the scheme {scheme + ':'!r}; Qwen-Omni takes http(s)://, oss:// "
                f"and data: URLs, and (with {SETTING}) local files."
            )
        return self.path(value, what)

    def path(self, value: object, what: str, *, shown: str | None = None) -> Path:
        """The real path of a local file named by content, if it lies inside :attr:`root`; else refuse."""
        if not isinstance(value, str | os.PathLike):
            raise InvalidRequestError(f"{what} must be a path string; got {type(value).__name__} {shorten(value)}.")
        text = os.fspath(value)
        if not isinstance(text, str):
            raise InvalidRequestError(f"{what} must be a path string; got {shorten(text, PATH_LIMIT)}.")
        quoted = shorten(shown if shown is not None else text, PATH_LIMIT)
        if looks_like_base64(text):
            raise InvalidRequestError(
                f"{what} is {shorten(text)}, which looks like base64 data, not a path or URL; pass the bytes as base64 "
                "in the block's data field, or a data URI such as 'data:image/png;base64,...'."
            )
        if self.root is None:
            raise LocalFileRefusedError(
                f"{what} names the local file {quoted}, but this model reads no local file from message content "
                f"({SETTING} is not set). Send the file's bytes (base64) or a URL instead, or build the model "
                f"with {SETTING}='<folder>' to allow files inside that folder."
            )
        root = self._root()
        try:
            real = Path(os.path.realpath(root / text))
        except (OSError, ValueError):
            raise LocalFileRefusedError(f"{what} names {quoted}, which is not a usable path.") from None
        if not real.is_relative_to(root):
            raise LocalFileRefusedError(
                f"{what} names {quoted}, which is outside the folder this model may read ({SETTING}). Only files "
                "inside it can be sent; put the file there, or send its bytes or a URL."
            )
        if not real.is_file():
            raise LocalFileRefusedError(f"{what} names {quoted}, but there is no file by that name inside {SETTING}.")
        return real

    def _root(self) -> Path:
        assert self.root is not None
        try:
            root = Path(self.root).expanduser().resolve(strict=True)
        except (OSError, RuntimeError):
            root = None
        if root is None or not root.is_dir():
            raise InvalidRequestError(
                f"{SETTING} is {shorten(os.fspath(self.root), PATH_LIMIT)}, which is not an existing folder; create "
                "it, or fix the setting."
            )
        return root
