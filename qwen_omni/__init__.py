"""Qwen-Omni for Python: typed inputs, validated streaming requests, and a local emulator.

Example:
    >>> from qwen_omni import AudioPart, Message, OmniClient, TextPart
    >>> client = OmniClient()  # reads DASHSCOPE_API_KEY at the first call
    >>> messages = [Message("user", [AudioPart("speech.mp3"), TextPart("Summarise this.")])]
    >>> # for delta in client.stream(messages, model="qwen3.5-omni-plus"): ...
"""

from .audio import pcm16_to_wav, wav_to_pcm16
from .client import AsyncResponseStream, OmniClient, ResponseStream, RetryPolicy
from .endpoints import resolve_base_url
from .errors import (
    APIConnectionError,
    APIError,
    APIProtocolError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    CapabilityError,
    ContentModerationError,
    IncompleteResponseError,
    InvalidRequestError,
    LimitExceededError,
    LoadFailedError,
    LocalFileRefusedError,
    MediaError,
    MissingAPIKeyError,
    MissingExtraError,
    NotFoundError,
    PermissionDeniedError,
    QwenOmniError,
    RateLimitError,
    RateLimiterUnavailableError,
    SegmentFailedError,
    ServerError,
    StreamErrorEvent,
    StreamModerationError,
    StructuredOutputError,
)
from .model_rules import SpokenAnswerWarning
from .parts import AudioPart, ImagePart, Part, TextPart, VideoFramesPart, VideoPart
from .profiles import DEFAULT_MODEL, KNOWN_MODELS, ModelProfile, Series, UnknownModelWarning, get_profile
from .request import Message, RequestOptions, build_payload, prepare_request
from .stream import (
    AudioDelta,
    Delta,
    FinishDelta,
    OmniResult,
    ReasoningDelta,
    StreamAccumulator,
    TextDelta,
    ToolCall,
    ToolCallDelta,
    TranscriptDelta,
    Usage,
    UsageDelta,
)

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_MODEL",
    "KNOWN_MODELS",
    "APIConnectionError",
    "APIError",
    "APIProtocolError",
    "APITimeoutError",
    "AsyncResponseStream",
    "AudioDelta",
    "AudioPart",
    "AuthenticationError",
    "BadRequestError",
    "CapabilityError",
    "ContentModerationError",
    "Delta",
    "FinishDelta",
    "ImagePart",
    "IncompleteResponseError",
    "InvalidRequestError",
    "LimitExceededError",
    "LoadFailedError",
    "LocalFileRefusedError",
    "MediaError",
    "Message",
    "MissingAPIKeyError",
    "MissingExtraError",
    "ModelProfile",
    "NotFoundError",
    "OmniClient",
    "OmniResult",
    "Part",
    "PermissionDeniedError",
    "QwenOmniError",
    "RateLimitError",
    "RateLimiterUnavailableError",
    "ReasoningDelta",
    "RequestOptions",
    "ResponseStream",
    "RetryPolicy",
    "SegmentFailedError",
    "Series",
    "ServerError",
    "SpokenAnswerWarning",
    "StreamAccumulator",
    "StreamErrorEvent",
    "StreamModerationError",
    "StructuredOutputError",
    "TextDelta",
    "TextPart",
    "ToolCall",
    "ToolCallDelta",
    "TranscriptDelta",
    "UnknownModelWarning",
    "Usage",
    "UsageDelta",
    "VideoFramesPart",
    "VideoPart",
    "build_payload",
    "get_profile",
    "pcm16_to_wav",
    "prepare_request",
    "resolve_base_url",
    "wav_to_pcm16",
]
