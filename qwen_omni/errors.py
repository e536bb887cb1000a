"""The one error hierarchy of the package.

::

    QwenOmniError
    ├── InvalidRequestError (ValueError)      bad input, raised before anything is sent
    │   ├── CapabilityError                    the model cannot do that (thinking, search, tools, ...)
    │   ├── LimitExceededError                 a documented count, size or duration limit
    │   ├── MediaError                         a file is missing, unreadable or of an unsupported format
    │   └── LocalFileRefusedError              message content names a local file the model may not read
    ├── MissingAPIKeyError (ValueError)        no key, raised at the first call (not at construction)
    ├── MissingExtraError (ImportError)        an optional dependency is not installed; names the extra
    ├── RateLimiterUnavailableError            the rate limiter's shared store (Redis, SQLite) failed or did not
    │                                          answer in time; names the store; never retried as an API failure
    ├── APIError                               the server answered with an error (status, code, request_id)
    │   ├── BadRequestError                    400
    │   │   └── ContentModerationError         400 data_inspection_failed
    │   ├── AuthenticationError                401 (bad key, or a key from another region)
    │   ├── PermissionDeniedError              403
    │   ├── NotFoundError                      404
    │   ├── RateLimitError                     429; ``kind`` tells the three apart: ``"requests"`` (over the
    │   │                                      rate), ``"burst"`` (the rate rose too fast), ``"quota"`` (used up)
    │   ├── ServerError                        5xx
    │   ├── StreamErrorEvent                   an error object inside an HTTP 200 stream
    │   │   └── StreamModerationError          ... flagged by moderation (also a ContentModerationError)
    │   └── APIProtocolError                   the answer broke the wire protocol: not an event stream, a line
    │                                          that is not JSON, a field of the wrong type
    ├── APIConnectionError                     the server could not be reached, or the connection broke
    │   └── APITimeoutError
    ├── IncompleteResponseError                the stream ended without a finish reason
    ├── StructuredOutputError                  a structured answer does not fit its schema, repairs included
    │                                          (``raw`` is the answer; the faces raise it as their parse error)
    ├── SegmentFailedError                     one segment of a long recording failed (names file and
    │                                          segment; ``partial`` keeps every answer received)
    └── LoadFailedError                        recordings failed while a reader, loader or command read
                                               several (``documents`` keeps every document made)

Every message says what was wrong and, where there is one, what to do instead. No message, repr or
attribute ever holds the API key.

Example:
    >>> try:
    ...     raise LimitExceededError("qwen3-omni-flash accepts one video file per request; got 3.")
    ... except ValueError as exc:
    ...     print(type(exc).__name__)
    LimitExceededError
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from . import profiles


class QwenOmniError(Exception):
    """Base class of every error this package raises."""


class InvalidRequestError(QwenOmniError, ValueError):
    """The request breaks a documented rule; nothing was sent."""


class CapabilityError(InvalidRequestError):
    """The model does not offer the asked-for feature (thinking, web search, tools, audio output...)."""


class LimitExceededError(InvalidRequestError):
    """A documented count, size, duration or shape limit is exceeded."""


class MediaError(InvalidRequestError):
    """A media input is missing, unreadable, or in a format the API does not accept."""


class LocalFileRefusedError(InvalidRequestError):
    """Message content (a framework content block, a deserialized message) names a local file that the model may
    not read: none may be read unless the model was built with ``local_media_root``, and then only files inside it.
    """


class MissingAPIKeyError(QwenOmniError, ValueError):
    """No API key was given and ``DASHSCOPE_API_KEY`` is not set."""

    def __init__(self) -> None:
        super().__init__(
            "No DashScope API key: pass api_key=... or set the DASHSCOPE_API_KEY environment variable. "
            "Keys are per region (and per workspace for workspace endpoints); to work offline, point base_url at "
            "qwen_omni.emulator.Emulator()."
        )


class MissingExtraError(QwenOmniError, ImportError):
    """An optional dependency is not installed; ``extra`` is the ``qwen-omni[...]`` extra that brings it."""

    def __init__(self, message: str, *, extra: str) -> None:
        super().__init__(message)
        self.extra = extra


class APIError(QwenOmniError):
    """The server answered with an error.

    Attributes:
        status_code: the HTTP status (200 for an error event inside a stream), or None.
        code: DashScope's error code, e.g. ``"invalid_parameter_error"``.
        request_id: DashScope's request id, to quote when asking Alibaba Cloud support.
        body: the parsed error object, if any (with the API key scrubbed out).
        retry_after: the seconds the server asked to wait (``Retry-After``, ``retry-after-ms``), if it did.
    """

    retry_after: float | None = None

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
        body: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.request_id = request_id
        self.body = body

    def __str__(self) -> str:
        details = [f"status {self.status_code}" if self.status_code is not None else None, self.code]
        if self.request_id:
            details.append(f"request_id {self.request_id}")
        shown = ", ".join(d for d in details if d)
        return f"{self.message} ({shown})" if shown else self.message


class BadRequestError(APIError):
    """HTTP 400: the server refused the request's content."""


class ContentModerationError(BadRequestError):
    """HTTP 400 ``data_inspection_failed``: the input (or output) was flagged by content moderation."""


class AuthenticationError(APIError):
    """HTTP 401: the key is wrong, or belongs to another region than the base URL."""


class PermissionDeniedError(APIError):
    """HTTP 403."""


class NotFoundError(APIError):
    """HTTP 404: usually a wrong base URL or model name."""


RateLimitKind = Literal["requests", "burst", "quota"]
"""DashScope's three 429s (reference, "Rate limits"): ``"requests"`` ("Requests rate limit exceeded": over the
requests or tokens a minute, or their per-second share), ``"burst"`` ("Request rate increased too quickly": the
rate rose too fast, even under the limit) and ``"quota"`` ("Allocated quota exceeded": retrying does not help)."""

#: How each 429 is worded (lower case), by kind; the message decides, then the code. The first wording of each
#: is the reference's rate-limit page, the others its error table and the codes seen from compatible mode.
RATE_LIMIT_WORDING: dict[RateLimitKind, tuple[str, ...]] = {
    "quota": ("allocated quota exceeded", "exceeded your current quota"),
    "burst": ("request rate increased too quickly",),
    "requests": ("requests rate limit exceeded", "exceeded your current request limit"),
}
_RATE_LIMIT_CODES: dict[str, RateLimitKind] = {
    "insufficient_quota": "quota",
    "Throttling.AllocationQuota": "quota",
    "limit_burst_rate": "burst",
    "Throttling.BurstRate": "burst",
}


def rate_limit_kind(message: str, code: str | None) -> RateLimitKind:
    """Which of DashScope's 429s ``message`` and ``code`` are (the wording first, then the code).

    Example:
        >>> rate_limit_kind("Allocated quota exceeded, please increase your quota limit.", None)
        'quota'
        >>> rate_limit_kind("Too many requests", "limit_burst_rate"), rate_limit_kind("Slow down", "limit_requests")
        ('burst', 'requests')
    """
    lowered = message.lower()
    for kind, needles in RATE_LIMIT_WORDING.items():
        if any(needle in lowered for needle in needles):
            return kind
    return _RATE_LIMIT_CODES.get(code or "", "requests")


class RateLimitError(APIError):
    """HTTP 429, or no room in the client's own rate budget before the call's deadline (``status_code`` None).

    ``kind`` says which 429 it is (:data:`RateLimitKind`): a ``"quota"`` error is raised at once and never
    retried; the others slow the client's :class:`~qwen_omni.ratelimit.RateLimiter` down and are retried.
    """

    @property
    def kind(self) -> RateLimitKind:
        """``"requests"``, ``"burst"`` or ``"quota"`` (see :data:`RateLimitKind`)."""
        return rate_limit_kind(self.message, self.code)


class ServerError(APIError):
    """HTTP 5xx."""


class StreamErrorEvent(APIError):
    """An error object arrived inside an HTTP 200 stream; what came before it is not a complete answer."""


class StreamModerationError(StreamErrorEvent, ContentModerationError):
    """The output was flagged by content moderation part-way through a 200 stream."""


class APIProtocolError(APIError):
    """The server's answer is not the documented protocol: a 200 answer that is not an event stream, a stream
    line that is not JSON (an HTML page from a proxy, a cut JSON object), or a chunk field of the wrong type.

    Retried like a broken connection while nothing has reached the caller; raised once a delta has.
    """


class RateLimiterUnavailableError(QwenOmniError):
    """The store of a shared rate budget (Redis, a SQLite file) failed, or did not answer within the time the call
    had left. ``backend`` names it (never with a password). Nothing was sent; it is not retried as an API failure.
    ``RateLimiter(on_backend_error="local")`` falls back to a budget in this process instead.
    """

    def __init__(self, message: str, *, backend: str = "the rate budget's store") -> None:
        super().__init__(message)
        self.backend = backend


class APIConnectionError(QwenOmniError):
    """The server could not be reached, or the connection broke mid-stream."""


class APITimeoutError(APIConnectionError):
    """The call did not end within its ``timeout`` (which bounds connecting, the upload and the whole stream)."""


class IncompleteResponseError(QwenOmniError):
    """The stream ended without a finish reason: the answer is cut short.

    ``partial`` holds what arrived, for inspection only; it is not a complete answer.
    """

    def __init__(self, message: str, *, partial: Any = None) -> None:
        super().__init__(message)
        self.partial = partial


class StructuredOutputError(QwenOmniError):
    """A structured answer does not fit its schema, after the repair requests allowed.

    ``raw`` is the last answer as the model gave it (its text, or a forced call's arguments); ``errors`` lists
    what does not fit; ``outcome`` is the :class:`qwen_omni.structured.StructuredOutcome` with every answer.
    LangChain's face raises it as an ``OutputParserException`` too, LlamaIndex's as its ``OutputParserException``.
    """

    def __init__(self, message: str, *, raw: str, errors: tuple[str, ...], outcome: Any = None) -> None:
        super().__init__(message)
        self.raw = raw
        self.errors = errors
        self.outcome = outcome


class SegmentFailedError(QwenOmniError):
    """A segment of a long recording failed and ``on_error="raise"`` was asked for.

    The message names the recording and the segment; ``cause`` is the error it met (also ``__cause__``),
    and ``partial`` holds every answer received before the failure (a
    :class:`qwen_omni.longmedia.LongMediaResult` whose ``complete`` is False), so that nothing received is
    thrown away.
    """

    def __init__(
        self, message: str, *, recording: str, segment: int, cause: BaseException, partial: Any = None
    ) -> None:
        super().__init__(message)
        self.recording = recording
        self.segment = segment
        self.cause = cause
        self.partial = partial


class LoadFailedError(QwenOmniError):
    """Recordings failed while several were read into documents with ``on_error="raise"``.

    Nothing made is lost: ``documents`` holds every document made, in order (those of the recordings that
    succeeded, and the answered segments of those that failed); ``failures`` pairs each failed recording's
    name with its error (a :class:`SegmentFailedError`, a :class:`MediaError`...), the first of which is
    also ``__cause__``; ``not_started`` names the recordings left unread after the first failure.
    """

    def __init__(
        self,
        message: str,
        *,
        documents: list[Any],
        failures: list[tuple[str, QwenOmniError]],
        not_started: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.documents = documents
        self.failures = failures
        self.not_started = list(not_started or [])


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def _rate_hint() -> str:
    limited = [
        f"{entry.profile.name} {entry.profile.requests_per_minute}"
        for entry in profiles.SERIES
        if entry.profile.requests_per_minute is not None
    ]
    return f" Slow down (requests a minute, account-wide: {', '.join(limited)})." if limited else " Slow down."


def _voice_hint() -> str:
    lists = "; ".join(f"{name}: {', '.join(voices)}" for name, voices in profiles.complete_voice_lists().items())
    return f" Pick a voice the model has (voices differ per model; {lists}), or leave voice unset for its default."


_QUOTA_HINT = (
    " The account's allocated quota for this model is used up: retrying does not help. Raise the quota in Model "
    "Studio, or use another model or account."
)
_BURST_HINT = (
    " DashScope's burst guard refuses a request rate that rises too fast, even under the limit: ramp up smoothly "
    "(the client's RateLimiter lowers its pace and climbs back slowly)."
)

#: Hints by DashScope error code.
_HINTS = {
    "invalid_api_key": " Check DASHSCOPE_API_KEY, and that the key belongs to the base URL's region "
    "(each region has its own keys).",
    "limit_requests": _rate_hint(),
    "insufficient_quota": _QUOTA_HINT,
    "Arrearage": " Your Alibaba Cloud account is overdue.",
}


@dataclass(frozen=True)
class _MessageRule:
    """A server message recognised by a (lower-case) substring: its hint, and whether it is moderation."""

    needles: tuple[str, ...]
    hint: str
    moderation: bool = False

    def matches(self, message: str) -> bool:
        lowered = message.lower()
        return any(needle in lowered for needle in self.needles)


#: The real messages of the reference's error tables, first match wins. Model-layer messages carry a
#: ``<400> InternalError.Algo.<Code>:`` prefix and OpenAI-layer ones may have ``code: null``, so the message
#: decides, not the code alone.
_MESSAGE_RULES: tuple[_MessageRule, ...] = (
    _MessageRule(RATE_LIMIT_WORDING["quota"], _QUOTA_HINT),
    _MessageRule(RATE_LIMIT_WORDING["burst"], _BURST_HINT),
    _MessageRule(RATE_LIMIT_WORDING["requests"], _rate_hint()),
    _MessageRule(
        ("datainspectionfailed", "data_inspection_failed", "may contain inappropriate content"),
        " Content moderation flagged the input or the answer; rephrase or remove the flagged content.",
        moderation=True,
    ),
    _MessageRule(
        ("only support with stream=true", "only support stream mode"),
        " Qwen-Omni answers only streamed requests: send stream=true (OmniClient, ChatQwenOmni and QwenOmni "
        "always do, so this request was sent another way).",
    ),
    _MessageRule(
        ("does not appear to be valid",),
        " A media part's data must be a data URI (data:;base64,...) or a public URL, never bare base64: "
        "qwen_omni.AudioPart, ImagePart and VideoPart build the data URI.",
    ),
    _MessageRule(
        ("invalid value: audio_url", "supported values are"),
        ' Send audio as {"type": "input_audio", "input_audio": {"data": <data URI or URL>, "format": ...}} '
        "(qwen_omni.AudioPart does), not as audio_url.",
    ),
    _MessageRule(("parameters.audio.voice", "input should be '"), _voice_hint()),
    _MessageRule(
        ("max data-uri per request",),
        f" Send at most {profiles.DATA_URIS_PER_REQUEST_MAX} base64 items per request (images, audio, video "
        "and frames together): pass the others by URL, or split the request.",
    ),
    _MessageRule(
        ("max bytes per data-uri item",),
        f" Each base64 item must be under {profiles.format_bytes(profiles.DATA_URI_MAX_BYTES)}: send larger "
        "files by URL, or shrink them with qwen_omni.media.",
    ),
    _MessageRule(
        ("range of max_tokens",),
        " Set max_tokens within the range the message gives (qwen_omni.get_profile(model).max_output_tokens "
        "is the top).",
    ),
    _MessageRule(
        ("url error",),
        " The base URL does not serve the OpenAI-compatible API for this model: use a compatible-mode URL, "
        "e.g. qwen_omni.resolve_base_url(region=..., workspace_id=...); some models need a workspace endpoint.",
    ),
    _MessageRule(
        ("unexpected item type in content",),
        " The model does not take that kind of content part (for example an image sent to a text-only "
        "model): use a Qwen-Omni model, or send text only.",
    ),
    _MessageRule(
        ("audio format is illegal",),
        " Check the file, or transcode it to WAV or MP3 (qwen_omni.media.transcode_audio) and send it again.",
    ),
    _MessageRule(
        ("video file is too long",),
        " " + profiles.advise(profiles.MediaNeed("video", seconds=1), "split it with qwen_omni.media.split", most=1),
    ),
    _MessageRule(
        ("does not support enable_thinking",),
        " " + profiles.advise(profiles.Capability.THINKING, "drop enable_thinking"),
    ),
)


def _classify(message: str, code: str | None) -> tuple[bool, str]:
    """Whether the error is content moderation, and the hint to append (may be empty)."""
    for rule in _MESSAGE_RULES:
        if rule.matches(message):
            return rule.moderation, rule.hint
    return code == "data_inspection_failed", _HINTS.get(code or "", "")


def error_for_status(
    status: int | None,
    message: str,
    *,
    code: str | None = None,
    request_id: str | None = None,
    body: Any = None,
    in_stream: bool = False,
) -> APIError:
    """The error class for an HTTP status and DashScope's message and code, with a hint that says what to do.

    The message is matched first (moderation is recognised by its ``DataInspectionFailed`` wording whatever the
    code), then the code, then the status.

    Example:
        >>> type(error_for_status(429, "You have exceeded your current request limit.")).__name__
        'RateLimitError'
        >>> error = error_for_status(400, "qwen3-omni-flash only support with stream=true")
        >>> type(error).__name__, "send stream=true" in str(error)
        ('BadRequestError', True)
        >>> msg = "<400> InternalError.Algo.DataInspectionFailed: Input text data may contain inappropriate content."
        >>> type(error_for_status(400, msg, code=None)).__name__
        'ContentModerationError'
    """
    moderation, hint = _classify(message, code)
    cls: type[APIError]
    if in_stream:
        cls = StreamModerationError if moderation else StreamErrorEvent
    elif moderation:
        cls = ContentModerationError
    elif status is not None and status >= 500:
        cls = ServerError
    else:
        cls = _BY_STATUS.get(status or 0, APIError)
    text = message.strip() + hint if hint and hint.strip() not in message else message.strip()
    return cls(text, status_code=status, code=code, request_id=request_id, body=body)


__all__ = [
    "RATE_LIMIT_WORDING",
    "APIConnectionError",
    "APIError",
    "APIProtocolError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "CapabilityError",
    "ContentModerationError",
    "IncompleteResponseError",
    "InvalidRequestError",
    "LimitExceededError",
    "LoadFailedError",
    "LocalFileRefusedError",
    "MediaError",
    "MissingAPIKeyError",
    "MissingExtraError",
    "NotFoundError",
    "PermissionDeniedError",
    "QwenOmniError",
    "RateLimitError",
    "RateLimitKind",
    "RateLimiterUnavailableError",
    "SegmentFailedError",
    "ServerError",
    "StreamErrorEvent",
    "StreamModerationError",
    "StructuredOutputError",
    "error_for_status",
    "rate_limit_kind",
]
