"""Read the content parts of the messages: what kind, sent how, how big, and (for inline data) what
:func:`qwen_omni.media.probe` makes of it. URL media are never fetched.

Example:
    >>> msgs = [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x.test/a.png"}}]}]
    >>> [(p.part.kind, p.part.source, p.part.mime_type) for p in collect_parts(msgs)]
    [('image', 'url', 'image/png')]
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlparse

from qwen_omni.errors import MediaError
from qwen_omni.profiles import DATA_URI_MAX_BYTES, DATA_URIS_PER_REQUEST_MAX

from .datauri import is_data_uri, parse_data_uri
from .received import PartKind, ReceivedPart
from .wire import invalid

URL_SCHEMES = ("http", "https", "oss")
#: The content part types the API knows, and the kind of media each carries.
PART_TYPES: dict[str, PartKind] = {
    "text": "text",
    "image_url": "image",
    "input_audio": "audio",
    "video_url": "video",
    "video": "video_frames",
}


@dataclass(frozen=True)
class PendingPart:
    """A part as collected, with the inline bytes still at hand for probing and decoding (``data`` is the first
    frame of a frame list, ``images`` every inline frame)."""

    part: ReceivedPart
    data: bytes | None
    images: tuple[bytes, ...] = ()


@dataclass(frozen=True)
class _Source:
    source: str  # "url" or "inline"
    url: str | None
    mime_type: str | None
    data: bytes | None


#: DashScope's wording for a source that is neither a URL nor a data URI (bare base64, say).
INVALID_URL_MESSAGE = "<400> InternalError.Algo.InvalidParameter: The provided URL does not appear to be valid."
#: DashScope's wording for too many data URIs in one request.
TOO_MANY_DATA_URIS_MESSAGE = f"Exceeded limit on max data-uri per request: {DATA_URIS_PER_REQUEST_MAX}"


def too_big_message() -> str:
    """DashScope's wording for a data URI over the size limit."""
    return f"Exceeded limit on max bytes per data-uri item : {DATA_URI_MAX_BYTES}"


def part_type_message(part_type: Any) -> str:
    """DashScope's wording for a content part type it does not know (seen for ``audio_url``)."""
    return f"Invalid value: {part_type}. Supported values are: 'text','image_url','video_url' and 'video'."


class _DataURICount:
    """Counts the data URIs of one request, refusing the one past the cap."""

    def __init__(self) -> None:
        self.seen = 0

    def add(self) -> None:
        self.seen += 1
        if self.seen > DATA_URIS_PER_REQUEST_MAX:
            raise invalid(TOO_MANY_DATA_URIS_MESSAGE)


def _read_source(value: Any, where: str, count: _DataURICount) -> _Source:
    if not isinstance(value, str) or not value:
        raise invalid(f"{where} must be a URL or a data URI string.")
    if is_data_uri(value):
        count.add()
        if len(value) > DATA_URI_MAX_BYTES:
            raise invalid(too_big_message())
        try:
            decoded = parse_data_uri(value)
        except ValueError as exc:
            raise invalid(f"{where} is not a valid data URI: {exc}.") from exc
        return _Source("inline", None, decoded.mime_type, decoded.data)
    parsed = urlparse(value)
    if parsed.scheme.lower() in URL_SCHEMES and (parsed.netloc or parsed.scheme.lower() == "oss"):
        return _Source("url", value, mimetypes.guess_type(parsed.path)[0], None)
    raise invalid(INVALID_URL_MESSAGE)


def _url_and_options(part: Mapping[str, Any], key: str, where: str) -> tuple[Any, dict[str, Any]]:
    """The URL of an image_url/video_url part and the options beside it (inside the object or in the part)."""
    inner = part.get(key)
    options = {k: v for k, v in part.items() if k not in ("type", key)}
    if isinstance(inner, Mapping):
        options.update({k: v for k, v in inner.items() if k != "url"})
        return inner.get("url"), options
    if isinstance(inner, str):
        return inner, options
    raise invalid(f"{where}.{key} must be an object with a 'url'.")


def _single(kind: PartKind, src: _Source, options: dict[str, Any], index: int, fmt: str | None = None) -> PendingPart:
    part = ReceivedPart(
        kind=kind,
        source="inline" if src.source == "inline" else "url",
        mime_type=src.mime_type,
        size_bytes=len(src.data) if src.data is not None else None,
        format=fmt,
        options=options,
        url=src.url,
        message_index=index,
    )
    return PendingPart(part, src.data)


def _frames(part: Mapping[str, Any], index: int, where: str, count: _DataURICount) -> PendingPart:
    frames = part.get("video")
    if not isinstance(frames, list):
        raise invalid(f"{where}.video must be a list of image URLs or data URIs.")
    sources = [_read_source(frame, f"{where}.video[{i}]", count) for i, frame in enumerate(frames)]
    inline = [s for s in sources if s.data is not None]
    first = sources[0] if sources else None
    received = ReceivedPart(
        kind="video_frames",
        source="inline" if inline else "url",
        mime_type=first.mime_type if first else None,
        size_bytes=sum(len(s.data) for s in inline if s.data is not None) if inline else None,
        frame_count=len(sources),
        options={k: v for k, v in part.items() if k not in ("type", "video")},
        url=first.url if first else None,
        message_index=index,
    )
    images = tuple(s.data for s in inline if s.data is not None)
    return PendingPart(received, inline[0].data if inline else None, images)


def _read_part(part: Any, index: int, where: str, count: _DataURICount) -> PendingPart | None:
    if not isinstance(part, Mapping):
        raise invalid(f"{where} must be an object with a 'type'.")
    kind = PART_TYPES.get(str(part.get("type")))
    if kind is None:
        raise invalid(part_type_message(part.get("type")))
    if kind == "text":
        if not isinstance(part.get("text"), str):
            raise invalid(f"{where}.text must be a string.")
        return None
    if kind == "audio":
        audio = part.get("input_audio")
        if not isinstance(audio, Mapping):
            raise invalid(f"{where}.input_audio must be an object with 'data' and 'format'.")
        fmt = audio.get("format")
        options = {k: v for k, v in audio.items() if k not in ("data", "format")}
        source = _read_source(audio.get("data"), f"{where}.input_audio.data", count)
        return _single("audio", source, options, index, fmt if isinstance(fmt, str) else None)
    if kind == "video_frames":
        return _frames(part, index, where, count)
    key = "image_url" if kind == "image" else "video_url"
    url, options = _url_and_options(part, key, where)
    return _single(kind, _read_source(url, f"{where}.{key}.url", count), options, index)


def collect_parts(messages: list[Any]) -> Iterator[PendingPart]:
    """Yield the non-text parts of every message, in order; raises a ``Refusal`` at the first bad one.

    Parts of every role are yielded (the validator refuses media outside user messages).
    """
    count = _DataURICount()
    for index, message in enumerate(messages):
        content = message.get("content") if isinstance(message, Mapping) else None
        if not isinstance(content, list):
            continue
        for number, part in enumerate(content):
            pending = _read_part(part, index, f"messages[{index}].content[{number}]", count)
            if pending is not None:
                yield pending


def probed(pending: PendingPart) -> ReceivedPart:
    """The part with :attr:`ReceivedPart.info` filled in from its inline bytes' headers and
    :attr:`ReceivedPart.decoded` from decoding them whole (each None if unreadable)."""
    import av

    from qwen_omni.media import probe

    from .decoding import decode_frames, decode_media

    if pending.data is None:
        return pending.part
    try:
        info = probe(pending.data)
    except MediaError:
        return pending.part  # unreadable: info stays None, and the validator answers with DashScope's error
    try:
        decoded = decode_frames(pending.images) if pending.part.kind == "video_frames" else decode_media(pending.data)
    except av.FFmpegError:
        decoded = None
    return replace(pending.part, info=info, decoded=decoded)


__all__ = [
    "INVALID_URL_MESSAGE",
    "PART_TYPES",
    "TOO_MANY_DATA_URIS_MESSAGE",
    "URL_SCHEMES",
    "PendingPart",
    "collect_parts",
    "part_type_message",
    "probed",
    "too_big_message",
]
