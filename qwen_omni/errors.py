"""The one error hierarchy of the package.

::

    QwenOmniError
    ├── InvalidRequestError (ValueError)      bad input, raised before anything is sent
    │   ├── CapabilityError                    the model cannot do that (thinking, search, tools, ...)
    │   ├── LimitExceededError                 a documented count, size or duration limit
    │   └── MediaError                         a file is missing, unreadable or of an unsupported format
    ├── MissingAPIKeyError (ValueError)        no key, raised at the first call (not at construction)
    ├── APIError                               the server answered with an error (status, code, request_id)
    │   ├── BadRequestError                    400
    │   │   └── ContentModerationError         400 data_inspection_failed
    │   ├── AuthenticationError                401 (bad key, or a key from another region)
    │   ├── PermissionDeniedError              403
    │   ├── NotFoundError                      404
    │   ├── RateLimitError                     429 (limit_requests, insufficient_quota)
    │   ├── ServerError                        5xx
    │   └── StreamErrorEvent                   an error object inside an HTTP 200 stream
    │       └── StreamModerationError          ... flagged by moderation (also a ContentModerationError)
    ├── APIConnectionError                     the server could not be reached, or the connection broke
    │   └── APITimeoutError
    ├── IncompleteResponseError                the stream ended without a finish reason
    └── SegmentFailedError                     one segment of a long recording failed (names file and
                                               segment; ``partial`` keeps every answer received)

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

from typing import Any


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


class MissingAPIKeyError(QwenOmniError, ValueError):
    """No API key was given and ``DASHSCOPE_API_KEY`` is not set."""

    def __init__(self) -> None:
        super().__init__(
            "No DashScope API key: pass api_key=... or set the DASHSCOPE_API_KEY environment variable. "
            "Keys are per region (Singapore or Beijing); to work offline, point base_url at "
            "qwen_omni.emulator.Emulator()."
        )


class APIError(QwenOmniError):
    """The server answered with an error.

    Attributes:
        status_code: the HTTP status (200 for an error event inside a stream), or None.
        code: DashScope's error code, e.g. ``"invalid_parameter_error"``.
        request_id: DashScope's request id, to quote when asking Alibaba Cloud support.
        body: the parsed error object, if any.
    """

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


class RateLimitError(APIError):
    """HTTP 429: too many requests (``limit_requests``) or no quota left (``insufficient_quota``)."""


class ServerError(APIError):
    """HTTP 5xx."""


class StreamErrorEvent(APIError):
    """An error object arrived inside an HTTP 200 stream; what came before it is not a complete answer."""


class StreamModerationError(StreamErrorEvent, ContentModerationError):
    """The output was flagged by content moderation part-way through a 200 stream."""


class APIConnectionError(QwenOmniError):
    """The server could not be reached, or the connection broke mid-stream."""


class APITimeoutError(APIConnectionError):
    """The request timed out."""


class IncompleteResponseError(QwenOmniError):
    """The stream ended without a finish reason: the answer is cut short.

    ``partial`` holds what arrived, for inspection only; it is not a complete answer.
    """

    def __init__(self, message: str, *, partial: Any = None) -> None:
        super().__init__(message)
        self.partial = partial


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


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}

_HINTS = {
    "invalid_api_key": " Check DASHSCOPE_API_KEY, and that the key belongs to the base URL's region "
    "(Singapore and Beijing keys differ).",
    "limit_requests": " Slow down (qwen3-omni-flash and qwen-omni-turbo allow 60 requests a minute).",
    "insufficient_quota": " Your quota is used up; check your Model Studio account.",
    "Arrearage": " Your Alibaba Cloud account is overdue.",
}


def error_for_status(
    status: int | None,
    message: str,
    *,
    code: str | None = None,
    request_id: str | None = None,
    body: Any = None,
    in_stream: bool = False,
) -> APIError:
    """The error class for an HTTP status and DashScope code, with a hint appended where one helps.

    Example:
        >>> type(error_for_status(429, "You have exceeded your current request limit.")).__name__
        'RateLimitError'
    """
    cls: type[APIError]
    if in_stream:
        cls = StreamModerationError if code == "data_inspection_failed" else StreamErrorEvent
    elif code == "data_inspection_failed":
        cls = ContentModerationError
    elif status is not None and status >= 500:
        cls = ServerError
    else:
        cls = _BY_STATUS.get(status or 0, APIError)
    hint = _HINTS.get(code or "", "")
    text = message.strip() + hint if hint and hint.strip() not in message else message.strip()
    return cls(text, status_code=status, code=code, request_id=request_id, body=body)
