"""A realtime session's settings (``session.update``), checked against the model before anything is sent.

``SessionConfig`` holds what a caller chooses; :func:`session_payload` checks it against the model's
:class:`~.models.RealtimeProfile` and builds the ``session`` object of ``session.update``. Ranges are the documented
ones (``shared/reference/realtime.md`` section 4): ``threshold`` in [-1, 1], ``silence_duration_ms`` in [200, 6000],
``idle_timeout_ms`` in [5000, 30000], ``temperature`` in [0, 2), ``top_p`` in (0, 1], ``presence_penalty`` in
[-2, 2], ``seed`` in [0, 2**31 - 1].

Example:
    >>> from qwen_omni.realtime.models import get_realtime_profile
    >>> config = SessionConfig(instructions="Be brief.", turn_detection=ServerVAD(silence_duration_ms=500))
    >>> payload = session_payload(config, get_realtime_profile("qwen3.5-omni-flash-realtime"))
    >>> payload["turn_detection"], payload["input_audio_format"]
    ({'type': 'server_vad', 'threshold': 0.5, 'silence_duration_ms': 500}, 'pcm')
    >>> session_payload(SessionConfig(turn_detection=None), get_realtime_profile("qwen3.5-omni-flash-realtime"))[
    ...     "turn_detection"] is None
    True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, assert_never

from ..errors import CapabilityError, InvalidRequestError, LimitExceededError
from .models import RealtimeProfile
from .tools import RealtimeTool

__all__ = [
    "IDLE_TIMEOUT_MS_RANGE",
    "SILENCE_DURATION_MS_RANGE",
    "THRESHOLD_RANGE",
    "SemanticVAD",
    "ServerVAD",
    "SessionConfig",
    "TurnDetection",
    "session_payload",
]

THRESHOLD_RANGE = (-1.0, 1.0)
SILENCE_DURATION_MS_RANGE = (200, 6000)
IDLE_TIMEOUT_MS_RANGE = (5000, 30000)
_MODALITIES = ({"text"}, {"text", "audio"})
_TOOL_MODELS = "qwen3.5-omni-plus-realtime, qwen3.5-omni-flash-realtime or qwen3.8-omni-flash-realtime"


@dataclass(frozen=True)
class ServerVAD:
    """Server-side voice detection by loudness (the default): a turn ends after ``silence_duration_ms`` of quiet.

    ``threshold`` in [-1, 1] (lower hears softer speech); ``idle_timeout_ms`` (3.5 models) lets the model speak
    after that much silence following its answer.
    """

    threshold: float = 0.5
    silence_duration_ms: int = 800
    idle_timeout_ms: int | None = None


@dataclass(frozen=True)
class SemanticVAD:
    """Voice detection by meaning (qwen3.5 and qwen3.8 models): the server judges when the speaker is done."""


#: How turns end: :class:`ServerVAD`, :class:`SemanticVAD`, or None for manual turns (``commit`` + ``create_response``).
TurnDetection = ServerVAD | SemanticVAD | None


@dataclass(frozen=True)
class SessionConfig:
    """What a realtime session is set up with (``session.update``); every field may be left unset.

    Attributes:
        voice: the voice of spoken answers (None: the model's default, which the server picks).
        instructions: the system prompt.
        modalities: ``("text", "audio")`` (spoken answers, the default) or ``("text",)``.
        turn_detection: :class:`ServerVAD` (default), :class:`SemanticVAD`, or None for manual turns.
        tools: the functions the model may call (:class:`~.tools.RealtimeTool`; those with a function are run by
            the session, the others answered with :meth:`~.session.RealtimeSession.send_tool_result`).
        temperature, top_p, top_k, max_tokens, repetition_penalty, presence_penalty, seed: sampling.
        smooth_output: qwen3-omni-flash-realtime's smoother speech.
        enable_search: web search (3.5 and 3.8 models; not together with tools).
        extra: further ``session`` fields, sent as given (for fields newer than this package).

    Example:
        >>> SessionConfig(voice="Ethan").merged(instructions="Answer in French.").voice
        'Ethan'
    """

    voice: str | None = None
    instructions: str | None = None
    modalities: tuple[str, ...] = ("text", "audio")
    turn_detection: TurnDetection = field(default_factory=ServerVAD)
    tools: Sequence[RealtimeTool] = ()
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    max_tokens: int | None = None
    repetition_penalty: float | None = None
    presence_penalty: float | None = None
    seed: int | None = None
    smooth_output: bool | None = None
    enable_search: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)

    def merged(self, **changes: Any) -> SessionConfig:
        """A copy with ``changes`` applied (the fields of this class)."""
        return replace(self, **changes)

    @property
    def speaks(self) -> bool:
        """Whether answers are spoken."""
        return "audio" in self.modalities

    def tool(self, name: str) -> RealtimeTool | None:
        """The tool called ``name``, if declared."""
        return next((t for t in self.tools if t.name == name), None)


def _in_range(name: str, value: float | None, low: float, high: float, *, open_low: bool = False,
              open_high: bool = False) -> None:  # fmt: skip
    if value is None:
        return
    below = value <= low if open_low else value < low
    above = value >= high if open_high else value > high
    if below or above:
        left, right = "(" if open_low else "[", ")" if open_high else "]"
        raise LimitExceededError(f"{name} must lie in {left}{low:g}, {high:g}{right}; got {value!r}.")


def _turn_detection(turns: TurnDetection, profile: RealtimeProfile) -> dict[str, Any] | None:
    if turns is None:
        return None
    if isinstance(turns, ServerVAD):
        _in_range("turn_detection.threshold", turns.threshold, *THRESHOLD_RANGE)
        _in_range("turn_detection.silence_duration_ms", turns.silence_duration_ms, *SILENCE_DURATION_MS_RANGE)
        wire: dict[str, Any] = {"type": "server_vad", "threshold": turns.threshold,
                                "silence_duration_ms": turns.silence_duration_ms}  # fmt: skip
        if turns.idle_timeout_ms is not None:
            if not profile.idle_timeout:
                raise CapabilityError(
                    f"{profile.name} has no idle_timeout_ms; it exists on qwen3.5-omni-plus/flash-realtime."
                )
            _in_range("turn_detection.idle_timeout_ms", turns.idle_timeout_ms, *IDLE_TIMEOUT_MS_RANGE)
            wire["idle_timeout_ms"] = turns.idle_timeout_ms
        return wire
    if isinstance(turns, SemanticVAD):
        if not profile.semantic_vad:
            raise CapabilityError(
                f"{profile.name} detects turns only by loudness (server_vad); semantic_vad needs a qwen3.5 or "
                "qwen3.8 realtime model. Use ServerVAD(), or another model."
            )
        return {"type": "semantic_vad"}
    assert_never(turns)


def check_voice(voice: str | None, profile: RealtimeProfile) -> None:
    """Refuse a voice the model does not have, when its whole voice list is documented."""
    if voice is not None and profile.voices_complete and voice not in profile.voices:
        raise CapabilityError(
            f"{profile.name} has no voice {voice!r}; its voices are {', '.join(profile.voices)}. "
            "Leave voice unset for its default."
        )


def _check_sampling(config: SessionConfig, profile: RealtimeProfile) -> dict[str, Any]:
    values = {"temperature": config.temperature, "top_p": config.top_p, "top_k": config.top_k,
              "max_tokens": config.max_tokens, "repetition_penalty": config.repetition_penalty,
              "presence_penalty": config.presence_penalty, "seed": config.seed}  # fmt: skip
    given = {k: v for k, v in values.items() if v is not None}
    if given and not profile.sampling:
        raise CapabilityError(f"{profile.name} does not let sampling be changed; drop {', '.join(given)}.")
    _in_range("temperature", config.temperature, 0.0, 2.0, open_high=True)
    _in_range("top_p", config.top_p, 0.0, 1.0, open_low=True)
    _in_range("presence_penalty", config.presence_penalty, -2.0, 2.0)
    _in_range("seed", config.seed, 0, 2**31 - 1)
    if config.top_k is not None and config.top_k < 0:
        raise LimitExceededError(f"top_k must be 0 or more (above 100 or None disables it); got {config.top_k}.")
    if config.max_tokens is not None and config.max_tokens < 1:
        raise LimitExceededError(f"max_tokens must be 1 or more; got {config.max_tokens}.")
    if config.repetition_penalty is not None and config.repetition_penalty <= 0:
        raise LimitExceededError(f"repetition_penalty must be above 0; got {config.repetition_penalty}.")
    return given


def _check_tools(config: SessionConfig, profile: RealtimeProfile) -> None:
    if config.tools and not profile.calls_tools:
        raise CapabilityError(
            f"{profile.name} never calls tools (it accepts definitions but does not invoke them, or has none); "
            f"use {_TOOL_MODELS}."
        )
    names = [t.name for t in config.tools]
    if len(set(names)) != len(names):
        raise InvalidRequestError(f"Tool names must be unique; got {', '.join(names)}.")
    if config.enable_search and config.tools:
        raise InvalidRequestError("enable_search and tools cannot be used together in a realtime session.")


def session_payload(config: SessionConfig, profile: RealtimeProfile) -> dict[str, Any]:
    """The ``session`` object of ``session.update`` for ``config`` on ``profile``'s model.

    Raises:
        InvalidRequestError: a documented rule is broken (the subclass says which kind); nothing was sent.
    """
    modalities = set(config.modalities)
    if modalities not in _MODALITIES or len(config.modalities) != len(modalities):
        raise InvalidRequestError(
            f"modalities must be ('text', 'audio') or ('text',); got {tuple(config.modalities)!r}. "
            "The API has no audio-only answer: a spoken answer always has its text."
        )
    check_voice(config.voice, profile)
    _check_tools(config, profile)
    if config.enable_search and not profile.search:
        raise CapabilityError(f"{profile.name} has no web search; it exists on qwen3.5 and qwen3.8 realtime models.")
    if config.smooth_output is not None and not profile.smooth_output:
        raise CapabilityError(f"smooth_output exists only on qwen3-omni-flash-realtime; {profile.name} has none.")
    payload: dict[str, Any] = {
        "modalities": ["text", "audio"] if config.speaks else ["text"],
        "input_audio_format": profile.input_format,
        "output_audio_format": profile.output_format,
        "turn_detection": _turn_detection(config.turn_detection, profile),
    }
    if config.voice is not None:
        payload["voice"] = config.voice
    if config.instructions is not None:
        payload["instructions"] = config.instructions
    if config.tools:
        payload["tools"] = [t.wire() for t in config.tools]
    payload.update(_check_sampling(config, profile))
    if config.smooth_output is not None:
        payload["smooth_output"] = config.smooth_output
    if config.enable_search:
        payload["enable_search"] = True
    payload.update(config.extra)
    return payload
