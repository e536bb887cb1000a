"""Qwen-Omni Realtime: live voice sessions over a WebSocket (speech in while the model speaks, server VAD,
barge-in, tool calls), framework-free.

Example (against the offline emulator; drop ``base_url`` and set ``DASHSCOPE_API_KEY`` for the real service):
    >>> import asyncio
    >>> from qwen_omni.emulator import Emulator
    >>> from qwen_omni.realtime import RealtimeSession, ResponseDone, SessionConfig
    >>> async def talk(base_url: str) -> str:
    ...     async with RealtimeSession.connect("qwen3.5-omni-flash-realtime", SessionConfig(turn_detection=None),
    ...                                        base_url=base_url, api_key="sk-test") as session:
    ...         await session.send_text("Hello!")
    ...         done = await session.wait_for(ResponseDone, timeout=10)
    ...         return done.answer.said
    >>> with Emulator() as emu:
    ...     asyncio.run(talk(emu.base_url))
    'Received the text "Hello!".'

The modules, one job each: :mod:`.models` (what each realtime model allows), :mod:`.config` (session settings,
checked), :mod:`.tools` (functions the model calls), :mod:`.events` (the typed events), :mod:`.responses` (the
response state machine), :mod:`.answer` (one response put together, its WAV), :mod:`.audio_in` (input audio as
paced 16 kHz frames), :mod:`.renewal` (long sessions), :mod:`.failures` (errors), :mod:`.endpoint` and
:mod:`.transport` (the WebSocket), :mod:`.session` (:class:`RealtimeSession`).
"""

from .answer import RealtimeAnswer, ToolCallRecord
from .audio_in import FRAME_BYTES, FRAME_SECONDS, read_audio_file
from .config import SemanticVAD, ServerVAD, SessionConfig, TurnDetection
from .endpoint import realtime_url
from .events import (
    AudioDelta,
    AudioDone,
    BargeIn,
    ContentPart,
    ErrorEvent,
    FunctionCallArgumentsDelta,
    FunctionCallArgumentsDone,
    InputCleared,
    InputCommitted,
    InputTranscriptDelta,
    InputTranscriptDone,
    InputTranscriptFailed,
    ItemCreated,
    OutputItem,
    RawEvent,
    RealtimeEvent,
    ResponseCreated,
    ResponseDone,
    ServerEvent,
    SessionCreated,
    SessionFinished,
    SessionRenewed,
    SessionUpdated,
    SpeechStarted,
    SpeechStopped,
    TextDelta,
    TextDone,
    ToolCall,
    ToolResult,
    TranscriptDelta,
    TranscriptDone,
)
from .models import (
    DEFAULT_REALTIME_MODEL,
    INPUT_SAMPLE_RATE,
    MAX_SESSION_SECONDS,
    OUTPUT_SAMPLE_RATE,
    REALTIME_MODELS,
    RealtimeProfile,
    get_realtime_profile,
)
from .renewal import ReconnectPolicy, RenewalPolicy
from .session import RealtimeSession, SessionOptions
from .tools import RealtimeTool

__all__ = [
    "DEFAULT_REALTIME_MODEL",
    "FRAME_BYTES",
    "FRAME_SECONDS",
    "INPUT_SAMPLE_RATE",
    "MAX_SESSION_SECONDS",
    "OUTPUT_SAMPLE_RATE",
    "REALTIME_MODELS",
    "AudioDelta",
    "AudioDone",
    "BargeIn",
    "ContentPart",
    "ErrorEvent",
    "FunctionCallArgumentsDelta",
    "FunctionCallArgumentsDone",
    "InputCleared",
    "InputCommitted",
    "InputTranscriptDelta",
    "InputTranscriptDone",
    "InputTranscriptFailed",
    "ItemCreated",
    "OutputItem",
    "RawEvent",
    "RealtimeAnswer",
    "RealtimeEvent",
    "RealtimeProfile",
    "RealtimeSession",
    "RealtimeTool",
    "ReconnectPolicy",
    "RenewalPolicy",
    "ResponseCreated",
    "ResponseDone",
    "SemanticVAD",
    "ServerEvent",
    "ServerVAD",
    "SessionConfig",
    "SessionCreated",
    "SessionFinished",
    "SessionOptions",
    "SessionRenewed",
    "SessionUpdated",
    "SpeechStarted",
    "SpeechStopped",
    "TextDelta",
    "TextDone",
    "ToolCall",
    "ToolCallRecord",
    "ToolResult",
    "TranscriptDelta",
    "TranscriptDone",
    "TurnDetection",
    "get_realtime_profile",
    "read_audio_file",
    "realtime_url",
]
