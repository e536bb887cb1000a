"""Alibaba's Qwen-Omni models (text, image, audio and video in; text and speech out) for LangChain.

Example:
    >>> from qwen_omni.emulator import Emulator
    >>> from langchain_qwen_omni import ChatQwenOmni
    >>> with Emulator() as emu:  # offline; drop base_url and set DASHSCOPE_API_KEY for the real service
    ...     llm = ChatQwenOmni(model="qwen3.5-omni-flash", base_url=emu.base_url, api_key="sk-test")
    ...     llm.invoke("Hello!").content
    'Received the text "Hello!".'

Errors are both :mod:`qwen_omni.errors` types and langchain-core's standard ones (:mod:`.errors`).
"""

from qwen_omni.extras import require

require("langchain_core", extra="langchain", needed_by="langchain_qwen_omni")

from .audio import audio_pcm, audio_wav  # noqa: E402
from .chat_models import ChatQwenOmni  # noqa: E402
from .errors import (  # noqa: E402
    QwenOmniAPIError,
    QwenOmniAuthenticationError,
    QwenOmniBadRequestError,
    QwenOmniCapabilityError,
    QwenOmniConnectionError,
    QwenOmniContextOverflowError,
    QwenOmniIncompleteResponseError,
    QwenOmniInvalidRequestError,
    QwenOmniLimitExceededError,
    QwenOmniLocalFileRefusedError,
    QwenOmniMediaError,
    QwenOmniMissingAPIKeyError,
    QwenOmniModerationError,
    QwenOmniNotFoundError,
    QwenOmniOutputParserError,
    QwenOmniPermissionDeniedError,
    QwenOmniProtocolError,
    QwenOmniRateLimitError,
    QwenOmniRateLimiterUnavailableError,
    QwenOmniServerError,
    QwenOmniStreamError,
    QwenOmniStreamModerationError,
    QwenOmniTimeoutError,
)
from .loaders import QwenOmniMediaLoader  # noqa: E402
from .realtime import QwenOmniVoiceReactAgent  # noqa: E402
from .tools import QwenOmniMediaTool  # noqa: E402

__all__ = [
    "ChatQwenOmni",
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
    "QwenOmniMediaLoader",
    "QwenOmniMediaTool",
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
    "QwenOmniVoiceReactAgent",
    "audio_pcm",
    "audio_wav",
]
