"""Checks on what goes on the wire as given: media locations, data URIs, and content parts passed through as dicts.

Only three kinds of location reach the API: ``http(s)://`` and ``oss://`` URLs and base64 ``data:`` URIs. A
local path, a ``file://`` URL, another scheme (``javascript:``, ``ftp://``), raw base64 or a data URI whose base64
is broken or whose bytes are not what it declares is refused here, before sending, with what to do instead.

Example:
    >>> check_location("https://example.com/cat.png", "image", "The image")
    >>> check_location("data:image/png;base64,!!!", "image", "The image")
    Traceback (most recent call last):
    ...
    qwen_omni.errors.MediaError: The image is a data URI whose base64 is invalid (...). ...
"""

from __future__ import annotations

import binascii
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlparse

from .errors import InvalidRequestError, LimitExceededError, MediaError
from .excerpt import shorten
from .formats import (
    DISTINCT_AUDIO_FORMATS,
    HARD_TO_SNIFF_IMAGES,
    MediaKind,
    image_is_complete,
    normalize_audio_format,
    normalize_image_mime,
    sniff_audio_format,
    sniff_image_mime,
)
from .profiles import AUDIO_INPUT_FORMATS, IMAGE_MIME_TYPES, VIDEO_FPS_RANGE
from .sources import data_uri_head, is_remote_url, looks_like_base64

__all__ = [
    "check_audio_label",
    "check_data_uri",
    "check_fps",
    "check_location",
    "check_pixels",
    "check_wire_part",
]

_PIXEL_KEYS = ("min_pixels", "max_pixels", "total_pixels")
_AV_MIME_PREFIXES = ("audio/", "video/", "application/octet-stream")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_fps(fps: object) -> None:
    """Raise unless ``fps`` is None or a number within the documented 0.1 to 10.

    Example:
        >>> check_fps(2)
        >>> check_fps("2")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        qwen_omni.errors.LimitExceededError: fps must be a number between 0.1 and 10.0 ...; got '2' (a str).
    """
    low, high = VIDEO_FPS_RANGE
    if fps is None:
        return
    if not _is_number(fps):
        raise LimitExceededError(
            f"fps must be a number between {low} and {high} frames per second; got {shorten(fps)} "
            f"(a {type(fps).__name__})."
        )
    if not low <= fps <= high:  # type: ignore[operator]  # a number, checked above
        raise LimitExceededError(f"fps must be between {low} and {high} frames per second; got {fps}.")


def check_pixels(key: str, value: object) -> None:
    """Raise unless ``value`` (``min_pixels``, ``max_pixels`` or ``total_pixels``) is a positive whole number."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise LimitExceededError(f"{key} must be a positive whole number of pixels; got {shorten(value)}.")


def check_location(url: object, kind: MediaKind, where: str) -> None:
    """Raise unless ``url`` is something the API accepts for ``kind``: a remote URL or a sound data URI.

    Raises:
        MediaError: a local path, another scheme, raw base64, or a broken or mislabelled data URI.
    """
    if not isinstance(url, str):
        raise MediaError(f"{where} must be a URL string; got {type(url).__name__} {shorten(url)}.")
    if url[:5].lower() == "data:":
        check_data_uri(url, kind, where)
        return
    if is_remote_url(url):
        if not urlparse(url).netloc:
            raise MediaError(f"{where} is {shorten(url)}, a URL without a host; give the full URL.")
        return
    raise MediaError(f"{where} is {shorten(url)}: {_not_a_wire_url(url)}")


def _not_a_wire_url(url: str) -> str:
    only = "Qwen-Omni takes only http(s)://, oss:// and base64 data: URIs"
    if looks_like_base64(url):
        return (
            f"it looks like raw base64, which the API refuses. {only}: make it 'data:;base64,...' "
            "(images: 'data:image/png;base64,...')."
        )
    scheme = urlparse(url).scheme.lower()
    if scheme and scheme != "file" and len(scheme) > 1:
        return f"the scheme {scheme + ':'!r} cannot be sent. {only}."
    return (
        f"a local file cannot be sent as a location. {only}; to send a local file inline, use a part "
        "(ImagePart(path), AudioPart(path), VideoPart(path)) or, in a framework's content block, its 'path' with "
        "the model's local_media_root set."
    )


def check_data_uri(uri: str, kind: MediaKind, where: str) -> None:
    """Raise unless ``uri`` is a base64 data URI whose data decodes and, for images, is the type it declares.

    Example:
        >>> from qwen_omni import samples
        >>> from qwen_omni.sources import data_uri
        >>> check_data_uri(data_uri(samples.image_png(32, 32), "image/jpeg"), "image", "The image")
        Traceback (most recent call last):
        ...
        qwen_omni.errors.MediaError: The image is a data URI that declares image/jpeg, but its bytes are image/png. ...
    """
    header, comma, payload = uri[5:].partition(",")
    if not comma:
        raise MediaError(f"{where} is {shorten(uri)}, a data URI without the comma before its data.")
    params = [p.strip().lower() for p in header.split(";")]
    if "base64" not in params[1:]:
        raise MediaError(
            f"{where} is {shorten(uri)}: Qwen-Omni takes only base64 data URIs ('data:<type>;base64,<data>')."
        )
    try:
        data = binascii.a2b_base64(payload, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise MediaError(
            f"{where} is a data URI whose base64 is invalid ({exc}). Encode the bytes with base64.b64encode "
            f"(standard alphabet, padded, no line breaks); got {shorten(uri)}."
        ) from None
    if not data:
        raise MediaError(f"{where} is an empty data URI; give it the file's bytes.")
    declared = normalize_image_mime(params[0]) if params[0] else ""
    if kind == "image":
        _check_image_data(data, declared, where)
        return
    if declared and not declared.startswith(_AV_MIME_PREFIXES):
        raise MediaError(
            f"{where} is a data URI that declares {declared}, which is not {kind}; use 'data:;base64,...' for "
            f"{kind}" + (", or send the picture as an image part." if declared.startswith("image/") else ".")
        )
    if kind == "audio" and declared.startswith("audio/"):
        check_audio_label(data, normalize_audio_format(declared), where)


def check_audio_label(data: bytes, label: str, where: str) -> None:
    """Raise when audio bytes are, by their magic bytes, another container than ``label`` (wav, mp3, flac, amr)."""
    sniffed = sniff_audio_format(data[:64])
    if sniffed in DISTINCT_AUDIO_FORMATS and label in DISTINCT_AUDIO_FORMATS and sniffed != label:
        raise MediaError(f"{where} is labelled {label}, but its bytes are {sniffed}. Fix the label.")


def _check_image_data(data: bytes, declared: str, where: str) -> None:
    accepted = ", ".join(sorted(IMAGE_MIME_TYPES))
    if declared not in IMAGE_MIME_TYPES:
        shown = declared or "no type"
        raise MediaError(
            f"{where} is a data URI with {shown}; an image's data URI must name its type, one of {accepted} "
            "(e.g. 'data:image/png;base64,...')."
        )
    sniffed = sniff_image_mime(data)
    if sniffed is None and declared not in HARD_TO_SNIFF_IMAGES:
        raise MediaError(
            f"{where} is a data URI that declares {declared}, but its bytes are not an image of any accepted type "
            f"({accepted}). Check what was encoded."
        )
    if sniffed is not None and sniffed != declared:
        raise MediaError(
            f"{where} is a data URI that declares {declared}, but its bytes are {sniffed}. Fix the type "
            f"('data:{sniffed};base64,...')."
        )
    if not image_is_complete(data, declared):
        raise MediaError(f"{where} is a {declared} that is cut short (its end is missing); send the whole file.")


def check_wire_part(part: Mapping[str, Any], where: str) -> None:
    """Raise unless a content part given as a dict has the documented shape and sound locations.

    Example:
        >>> check_wire_part({"type": "video", "video": "https://e.com/1.jpg"}, "Part 0 of message 0")
        Traceback (most recent call last):
        ...
        qwen_omni.errors.InvalidRequestError: Part 0 of message 0 is a frame list whose 'video' is a str; ...
    """
    kind = part.get("type")
    inner = where[:1].lower() + where[1:]
    if kind == "text":
        if not isinstance(part.get("text"), str):
            raise InvalidRequestError(
                f"{where} is a text part whose 'text' is {shorten(part.get('text'))}; give a string."
            )
    elif kind in ("image_url", "video_url"):
        key = str(kind)
        media: MediaKind = "image" if kind == "image_url" else "video"
        value = part.get(key)
        url = value.get("url") if isinstance(value, Mapping) else value
        if url is None:
            raise InvalidRequestError(
                f"{where} is an {key} part without a URL; use {{'type': {key!r}, {key!r}: {{'url': ...}}}}."
            )
        check_location(url, media, f"The URL of {inner}")
        for pixels in _PIXEL_KEYS:
            if pixels in part:
                check_pixels(pixels, part[pixels])
        check_fps(part.get("fps"))
    elif kind == "input_audio":
        audio = part.get("input_audio")
        if not isinstance(audio, Mapping) or "data" not in audio:
            raise InvalidRequestError(
                f"{where} is an input_audio part without data; use {{'type': 'input_audio', 'input_audio': "
                "{'data': 'data:;base64,...' or a URL, 'format': 'mp3'}}."
            )
        check_location(audio.get("data"), "audio", f"The data of {inner}")
        fmt = audio.get("format")
        if isinstance(fmt, str) and str(audio.get("data"))[:5].lower() == "data:":
            check_audio_label(data_uri_head(str(audio["data"])), fmt, where)
        if not isinstance(fmt, str) or fmt not in AUDIO_INPUT_FORMATS:
            hint = normalize_audio_format(fmt) if isinstance(fmt, str) else None
            raise InvalidRequestError(
                f"{where} has the audio format {shorten(fmt)}; use one of {', '.join(sorted(AUDIO_INPUT_FORMATS))}"
                + (f" ({hint!r}?)." if hint in AUDIO_INPUT_FORMATS else ".")
            )
    elif kind == "video":
        frames = part.get("video")
        if not isinstance(frames, list | tuple):
            raise InvalidRequestError(
                f"{where} is a frame list whose 'video' is a {type(frames).__name__}; it must be a list of image "
                "URLs. For one video file use {'type': 'video_url', 'video_url': {'url': ...}}."
            )
        for index, frame in enumerate(frames):
            check_location(frame, "image", f"Frame {index} of {inner}")
        check_fps(part.get("fps"))
