"""What the ``qwen-omni`` commands check and say before anything is sent, in the command line's words.

- :func:`model_note`: a model name no series claims, with the closest known names ("did you mean").
- :func:`url_note`: a URL on this machine or a private network, which DashScope's servers cannot fetch.
- :func:`local_file`: a path that is a folder, or missing, named as what it is.
- :func:`format_refusal`: a file in a format the API does not take, pointing to ``qwen-omni transcribe``'s
  conversion or to the formats it takes.

Example:
    >>> model_note("qwen3-omni-flsh").split(";")[0]
    'note: qwen3-omni-flsh is not a model qwen-omni knows (did you mean qwen3-omni-flash?)'
    >>> url_note("http://192.168.1.20/talk.mp3").split(";")[0]
    'note: http://192.168.1.20/talk.mp3 is on a private network (192.168.1.20)'
"""

from __future__ import annotations

import difflib
import ipaddress
from pathlib import Path
from urllib.parse import urlparse

from .errors import InvalidRequestError
from .media import MediaInfo
from .profiles import (
    AUDIO_INPUT_FORMATS,
    IMAGE_INPUT_EXTENSIONS,
    KNOWN_MODELS,
    VIDEO_INPUT_FORMATS,
    Series,
    series_of,
)

__all__ = ["format_refusal", "local_file", "model_note", "url_note"]


def model_note(model: str) -> str | None:
    """A one-line note for a model name no known series claims (None for a known name or snapshot)."""
    if series_of(model) is not Series.UNKNOWN:
        return None
    close = difflib.get_close_matches(model.strip().lower(), KNOWN_MODELS, n=1, cutoff=0.6)
    guess = f" (did you mean {close[0]}?)" if close else ""
    return (
        f"note: {model} is not a model qwen-omni knows{guess}; it is sent as written, checked against the largest "
        "documented limits (qwen-omni models lists the known ones)."
    )


def _unreachable(host: str) -> str | None:
    """Why DashScope's servers cannot reach ``host``, or None."""
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return "is on this machine (localhost)"
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        if name.endswith((".local", ".lan", ".internal", ".home.arpa")) or "." not in name:
            return f"names a host of a local network ({name})"
        return None
    if address.is_loopback:
        return f"is on this machine ({address})"
    if address.is_private or address.is_link_local or address.is_unspecified or address.is_reserved:
        return f"is on a private network ({address})"
    return None


def url_note(url: str) -> str | None:
    """A one-line note for an ``http(s)`` URL the service cannot fetch (loopback, private, local names)."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        return None
    why = _unreachable(parsed.hostname)
    if why is None:
        return None
    return (
        f"note: {url} {why}; DashScope's servers fetch a URL themselves and cannot reach it, so the request will "
        "likely fail. Pass the downloaded file instead, or a public URL."
    )


def local_file(source: str, command: str) -> Path:
    """``source`` as an existing file's path.

    Raises:
        InvalidRequestError: it is a folder, or nothing is there.
    """
    path = Path(source).expanduser()
    if path.is_dir():
        raise InvalidRequestError(
            f"{source} is a folder; `qwen-omni {command}` takes files and URLs. Name the files in it, e.g. "
            f"`qwen-omni {command} {source.rstrip('/')}/*` (the shell expands it)."
        )
    if not path.is_file():
        what = "is not a regular file" if path.exists() else "does not exist"
        raise InvalidRequestError(
            f"{source} {what}; `qwen-omni {command}` takes files and URLs (http://, https://, oss://)."
        )
    return path


def format_refusal(name: str, info: MediaInfo, *, converts: bool) -> InvalidRequestError | None:
    """The error for a file whose format the API does not take (None when it takes it).

    ``converts``: the command at hand converts it itself (the long-recording commands do; ``ask`` does not).
    """
    if info.input_kind == "image":
        extension = Path(name).suffix.lower().lstrip(".")
        if extension in IMAGE_INPUT_EXTENSIONS or info.container in IMAGE_INPUT_EXTENSIONS:
            return None
        taken = ", ".join(sorted(IMAGE_INPUT_EXTENSIONS))
        return InvalidRequestError(
            f"{name} is a {info.container} image, which the API does not take (it takes {taken}); convert it to "
            f"PNG or JPEG first (e.g. `ffmpeg -i {name} {Path(name).stem}.png`)."
        )
    accepted = AUDIO_INPUT_FORMATS if info.input_kind == "audio" else VIDEO_INPUT_FORMATS
    if info.container in accepted or converts:
        return None
    taken = ", ".join(sorted(accepted))
    target = "mp3" if info.input_kind == "audio" else "mp4"
    return InvalidRequestError(
        f"{name} is {info.container} {info.input_kind}, which the API does not take ({info.input_kind}: {taken}). "
        f"`qwen-omni transcribe {name}` (or describe, subtitles, summarize, ask-each) converts it as it sends it; "
        f"or convert it yourself, e.g. `ffmpeg -i {name} {Path(name).stem}.{target}`, and ask about that."
    )
