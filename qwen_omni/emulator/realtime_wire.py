"""The realtime endpoint's wire shapes: ids, the session objects, error frames, and the documented messages.

Shapes follow ``shared/reference/realtime.md`` sections 3 and 8: ``event_`` ids of 21 base62 characters, ``sess_``,
``item_``, ``resp_``, ``conv_`` and ``call_`` (22 hex) ids; per-model session defaults (3-flash: ``pcm16`` /
``pcm24``, gummy transcription, Cherry; 3.5 / 3.8: ``pcm`` / ``pcm``, qwen3-asr transcription, Tina).

Example:
    >>> session = default_session("qwen3-omni-flash-realtime", "sess_1")
    >>> session["voice"], session["output_audio_format"], session["turn_detection"]["silence_duration_ms"]
    ('Cherry', 'pcm24', 800)
    >>> error_frame("invalid_value", MODALITIES_MESSAGE.format(value=["audio"]), param="session.modalities")["error"][
    ...     "message"]
    "Invalid modalities: ['audio']. Supported combinations are: ['text'] and ['audio', 'text']."
"""

from __future__ import annotations

import secrets
import string
import uuid
from typing import Any

from qwen_omni.realtime.models import RealtimeProfile, get_realtime_profile

__all__ = [
    "ACTIVE_RESPONSE_MESSAGE",
    "CONNECTIONS_MESSAGE",
    "INACTIVITY_MESSAGE",
    "MODALITIES_MESSAGE",
    "NO_ACTIVE_RESPONSE_MESSAGE",
    "default_session",
    "error_frame",
    "new_id",
]

_BASE62 = string.ascii_letters + string.digits

#: The documented and observed messages (reference section 7).
MODALITIES_MESSAGE = "Invalid modalities: {value!r}. Supported combinations are: ['text'] and ['audio', 'text']."
ACTIVE_RESPONSE_MESSAGE = "Conversation already has an active response"
SPEAKING_MESSAGE = "Cannot create response while user is speaking."
NO_ACTIVE_RESPONSE_MESSAGE = "no active response"
INACTIVITY_MESSAGE = "Your session was closed because no response was generated for {seconds:g} seconds."
CONNECTIONS_MESSAGE = "connections too much max_connections {cap}"
#: The emulator's own wordings where the real ones are not documented.
EMPTY_BUFFER_MESSAGE = "Error committing input audio buffer: the buffer is empty."
MAX_DURATION_MESSAGE = "The session reached its maximum duration of {seconds:g} seconds."
IMAGE_FIRST_MESSAGE = "An image can only be appended after audio: send input_audio_buffer.append first."


def new_id(prefix: str) -> str:
    """A server id: ``call_`` + 22 hex, else ``<prefix>_`` + 21 base62 characters."""
    if prefix == "call":
        return f"call_{uuid.uuid4().hex[:22]}"
    return f"{prefix}_" + "".join(secrets.choice(_BASE62) for _ in range(21))


def default_session(model: str, session_id: str) -> dict[str, Any]:
    """``session.created``'s session: the model's defaults."""
    profile = get_realtime_profile(model, warn=False)
    session: dict[str, Any] = {
        "id": session_id,
        "object": "realtime.session",
        "model": model,
        "modalities": ["text", "audio"],
        "instructions": "",
        "voice": profile.default_voice or "Tina",
        "input_audio_format": profile.input_format,
        "output_audio_format": profile.output_format,
        "input_audio_transcription": {"model": _transcription_model(profile)},
        "turn_detection": {"type": "server_vad", "threshold": 0.5, "prefix_padding_ms": 300,
                           "silence_duration_ms": 800, "create_response": True, "interrupt_response": True},
        "tools": [],
        "temperature": 0.8,
        "max_response_output_token": "inf",
    }  # fmt: skip
    if profile.search:
        session.update({"enable_search": False, "search_options": {}})
    return session


def _transcription_model(profile: RealtimeProfile) -> str:
    return "gummy-realtime-v1" if profile.family in ("qwen3-flash", "turbo") else "qwen3-asr-flash-realtime"


def error_frame(code: str | None, message: str, *, param: str | None = None, event_id: str | None = None,
                kind: str = "invalid_request_error") -> dict[str, Any]:  # fmt: skip
    """An ``error`` event; ``event_id`` is the id of the client event it refuses."""
    error: dict[str, Any] = {"type": kind, "code": code, "message": message, "param": param}
    if event_id is not None:
        error["event_id"] = event_id
    return {"type": "error", "error": error}
