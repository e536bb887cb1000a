"""Errors that are both this package's (:mod:`qwen_omni.errors`) and LangChain's standard model errors.

``ChatQwenOmni`` raises these, so code written against either hierarchy catches them: ``except RateLimitError``
(ours) and ``except ModelRateLimitError`` (langchain-core) both catch a 429, as with ChatOpenAI and ChatAnthropic.

::

    ours (qwen_omni.errors)                 also (langchain_core.exceptions)
    RateLimitError                          ModelRateLimitError
    AuthenticationError, MissingAPIKeyError ModelAuthenticationError
    PermissionDeniedError                   ModelPermissionDeniedError
    NotFoundError                           ModelNotFoundError
    BadRequestError, InvalidRequestError    ModelInvalidRequestError     (bad input, refused before or by the server)
      and its CapabilityError, LimitExceededError, MediaError, LocalFileRefusedError
    BadRequestError "input too long"        ContextOverflowError
    ContentModerationError                  ModelRefusalError            (input or output flagged by moderation)
    ServerError, StreamErrorEvent, ...      ModelAPIError                (5xx, error events, protocol, cut short)
    APIConnectionError                      ModelConnectionError
    APITimeoutError                         ModelTimeoutError
    StructuredOutputError                   OutputParserException        (a structured answer that does not fit,
                                                                          after the repair requests; llm_output = raw)
    RateLimiterUnavailableError             ModelError                   (the rate budget's store, not the model)

Example:
    >>> from langchain_core.exceptions import ModelRateLimitError
    >>> from qwen_omni.errors import RateLimitError
    >>> error = to_langchain_error(RateLimitError("Slow down.", status_code=429, code="limit_requests"))
    >>> isinstance(error, RateLimitError), isinstance(error, ModelRateLimitError), error.code
    (True, True, 'limit_requests')
"""

from __future__ import annotations

import re
from typing import Any

from langchain_core.exceptions import (
    ContextOverflowError,
    ModelAPIError,
    ModelAuthenticationError,
    ModelConnectionError,
    ModelError,
    ModelInvalidRequestError,
    ModelNotFoundError,
    ModelPermissionDeniedError,
    ModelRateLimitError,
    ModelRefusalError,
    ModelTimeoutError,
    OutputParserException,
)

from qwen_omni import errors as core

__all__ = [
    "QwenOmniAPIError",
    "QwenOmniAuthenticationError",
    "QwenOmniBadRequestError",
    "QwenOmniCapabilityError",
    "QwenOmniConnectionError",
    "QwenOmniContextOverflowError",
    "QwenOmniIncompleteResponseError",
    "QwenOmniInvalidRequestError",
    "QwenOmniLimitExceededError",
    "QwenOmniLocalFileRefusedError",
    "QwenOmniMediaError",
    "QwenOmniMissingAPIKeyError",
    "QwenOmniModerationError",
    "QwenOmniNotFoundError",
    "QwenOmniOutputParserError",
    "QwenOmniPermissionDeniedError",
    "QwenOmniProtocolError",
    "QwenOmniRateLimitError",
    "QwenOmniRateLimiterUnavailableError",
    "QwenOmniServerError",
    "QwenOmniStreamError",
    "QwenOmniStreamModerationError",
    "QwenOmniTimeoutError",
    "to_langchain_error",
]


class QwenOmniInvalidRequestError(core.InvalidRequestError, ModelInvalidRequestError):
    """Bad input, refused before anything was sent."""


class QwenOmniCapabilityError(core.CapabilityError, ModelInvalidRequestError):
    """The model does not offer the asked-for feature; nothing was sent."""


class QwenOmniLimitExceededError(core.LimitExceededError, ModelInvalidRequestError):
    """A documented limit is exceeded; nothing was sent."""


class QwenOmniMediaError(core.MediaError, ModelInvalidRequestError):
    """A media input is missing, unreadable or unsupported; nothing was sent."""


class QwenOmniLocalFileRefusedError(core.LocalFileRefusedError, ModelInvalidRequestError):
    """Message content named a local file outside ``local_media_root`` (or there is no root); nothing was sent."""


class QwenOmniMissingAPIKeyError(core.MissingAPIKeyError, ModelAuthenticationError):
    """No API key was given and ``DASHSCOPE_API_KEY`` is not set."""


class QwenOmniBadRequestError(core.BadRequestError, ModelInvalidRequestError):
    """HTTP 400: the server refused the request."""


class QwenOmniContextOverflowError(core.BadRequestError, ContextOverflowError):
    """HTTP 400: the input is longer than the model's context."""


class QwenOmniModerationError(core.ContentModerationError, ModelRefusalError):
    """HTTP 400 ``data_inspection_failed``: content moderation flagged the input."""


class QwenOmniAuthenticationError(core.AuthenticationError, ModelAuthenticationError):
    """HTTP 401: a wrong key, or a key of another region."""


class QwenOmniPermissionDeniedError(core.PermissionDeniedError, ModelPermissionDeniedError):
    """HTTP 403."""


class QwenOmniNotFoundError(core.NotFoundError, ModelNotFoundError):
    """HTTP 404: a wrong base URL or model name."""


class QwenOmniRateLimitError(core.RateLimitError, ModelRateLimitError):
    """HTTP 429; ``retry_after`` holds the wait the server asked for, if any."""


class QwenOmniServerError(core.ServerError, ModelAPIError):
    """HTTP 5xx."""


class QwenOmniAPIError(core.APIError, ModelAPIError):
    """Another error status."""


class QwenOmniStreamError(core.StreamErrorEvent, ModelAPIError):
    """An error object inside an HTTP 200 stream."""


class QwenOmniStreamModerationError(core.StreamModerationError, ModelRefusalError):
    """Content moderation flagged the output part-way through the stream."""


class QwenOmniProtocolError(core.APIProtocolError, ModelAPIError):
    """The server's answer broke the wire protocol."""


class QwenOmniIncompleteResponseError(core.IncompleteResponseError, ModelAPIError):
    """The stream ended without a finish reason."""


class QwenOmniConnectionError(core.APIConnectionError, ModelConnectionError):
    """The server could not be reached, or the connection broke."""


class QwenOmniTimeoutError(core.APITimeoutError, ModelTimeoutError):
    """The call did not end within its ``timeout``."""


class QwenOmniOutputParserError(core.StructuredOutputError, OutputParserException):
    """A structured answer does not fit its schema after the repair requests: LangChain's parse error, with the
    raw answer as ``llm_output`` (and ``raw``), the errors in ``errors``."""

    observation: Any = None
    llm_output: str | None = None
    send_to_llm: bool = False


class QwenOmniRateLimiterUnavailableError(core.RateLimiterUnavailableError, ModelError):
    """The rate limiter's shared store (Redis, SQLite) failed or did not answer in time; nothing was sent."""


#: Most specific first: the first class the error is an instance of picks its LangChain twin.
_TWINS: tuple[tuple[type[core.QwenOmniError], type[core.QwenOmniError]], ...] = (
    (core.StreamModerationError, QwenOmniStreamModerationError),
    (core.StreamErrorEvent, QwenOmniStreamError),
    (core.ContentModerationError, QwenOmniModerationError),
    (core.APIProtocolError, QwenOmniProtocolError),
    (core.BadRequestError, QwenOmniBadRequestError),
    (core.AuthenticationError, QwenOmniAuthenticationError),
    (core.PermissionDeniedError, QwenOmniPermissionDeniedError),
    (core.NotFoundError, QwenOmniNotFoundError),
    (core.RateLimitError, QwenOmniRateLimitError),
    (core.ServerError, QwenOmniServerError),
    (core.APIError, QwenOmniAPIError),
    (core.APITimeoutError, QwenOmniTimeoutError),
    (core.RateLimiterUnavailableError, QwenOmniRateLimiterUnavailableError),
    (core.APIConnectionError, QwenOmniConnectionError),
    (core.IncompleteResponseError, QwenOmniIncompleteResponseError),
    (core.StructuredOutputError, QwenOmniOutputParserError),
    (core.CapabilityError, QwenOmniCapabilityError),
    (core.LimitExceededError, QwenOmniLimitExceededError),
    (core.MediaError, QwenOmniMediaError),
    (core.LocalFileRefusedError, QwenOmniLocalFileRefusedError),
    (core.InvalidRequestError, QwenOmniInvalidRequestError),
    (core.MissingAPIKeyError, QwenOmniMissingAPIKeyError),
)

#: How DashScope (and OpenAI-compatible servers) word an input longer than the context. The reference documents
#: no such message; these are the wordings seen from DashScope's compatible mode and from OpenAI.
_CONTEXT_OVERFLOW = re.compile(
    r"range of input length should be|context[_ ]length[_ ]exceeded|maximum context length|"
    r"input tokens exceed|input is too long|prompt is too long",
    re.IGNORECASE,
)


def _twin(error: core.QwenOmniError) -> type[core.QwenOmniError] | None:
    overflow = isinstance(error, core.BadRequestError) and (
        bool(_CONTEXT_OVERFLOW.search(error.message)) or error.code == "context_length_exceeded"
    )
    if overflow and not isinstance(error, core.ContentModerationError):
        return QwenOmniContextOverflowError
    return next((twin for kind, twin in _TWINS if isinstance(error, kind)), None)


def to_langchain_error(error: core.QwenOmniError) -> core.QwenOmniError:
    """``error`` as the class that is also LangChain's standard type (the same message and attributes).

    An error that already is one, or has no LangChain counterpart, is returned as it is.
    """
    if isinstance(error, ModelError):
        return error
    twin = _twin(error)
    if twin is None:
        return error
    converted = twin.__new__(twin, *error.args)
    converted.args = error.args
    converted.__dict__.update(vars(error))
    if isinstance(converted, ModelRefusalError):
        converted.raw_message = None
    if isinstance(converted, QwenOmniOutputParserError):
        converted.llm_output = converted.raw
    return converted.with_traceback(error.__traceback__)
