"""Long sessions: when to renew a session before its limits, when to reconnect, and the conversation carried over.

A realtime session is bounded by the server: 120 minutes at most (older pages say 30), a context window that the
audio fills (65,536 tokens on qwen3-omni-flash-realtime, 262,144 on qwen3.5-omni-plus-realtime), and an inactivity
close. :class:`RenewalPolicy` opens a new connection before the first two, at a quiet moment (no answer under way,
nobody speaking, no tool call waiting); :class:`ReconnectPolicy` says how often to try again after a recoverable close
(the inactivity close, 1006 and 1011-1014). Either way the server's state is gone, so the conversation so far is
carried into the new session as text, at the end of its instructions: instructions are taken by every model, while
user text items are not (the 2026 client-events page allows only ``function_call_output`` items).

Example:
    >>> talk = Conversation()
    >>> talk.add("user", "What is the weather in Paris?"); talk.add("assistant", "Sunny, 24 degrees.")
    >>> print(talk.carried(1000))
    The conversation so far (carried over from an earlier connection of this session):
    User: What is the weather in Paris?
    Assistant: Sunny, 24 degrees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from ..errors import InvalidRequestError
from .models import MAX_SESSION_SECONDS

__all__ = ["CARRY_HEADING", "Conversation", "ReconnectPolicy", "RenewalPolicy"]

CARRY_HEADING = "The conversation so far (carried over from an earlier connection of this session):"
_ROLES = {"user": "User", "assistant": "Assistant", "tool": "Tool"}


@dataclass(frozen=True)
class RenewalPolicy:
    """When a session is renewed on a new connection.

    Attributes:
        max_session_seconds: renew once a connection is this old (default: 5 minutes before the documented 120).
        context_fraction: renew once a response reports more input tokens than this share of the model's context.
        max_turns: renew after this many answers (None: no limit; the API documents none).
        idle_wait_seconds: how long to wait for a quiet moment once renewal is due, before renewing anyway.
        carry_chars: the most text of the conversation carried into the new session (the latest part).
    """

    max_session_seconds: float | None = MAX_SESSION_SECONDS - 300
    context_fraction: float | None = 0.8
    max_turns: int | None = None
    idle_wait_seconds: float = 60.0
    carry_chars: int = 8000

    def __post_init__(self) -> None:
        if self.max_session_seconds is not None and self.max_session_seconds <= 0:
            raise InvalidRequestError(f"max_session_seconds must be above 0; got {self.max_session_seconds}.")
        if self.context_fraction is not None and not 0 < self.context_fraction <= 1:
            raise InvalidRequestError(f"context_fraction must lie in (0, 1]; got {self.context_fraction}.")
        if self.max_turns is not None and self.max_turns < 1:
            raise InvalidRequestError(f"max_turns must be 1 or more; got {self.max_turns}.")

    def due(
        self, *, age: float, input_tokens: int, context: int | None, turns: int
    ) -> Literal["duration", "context", "turns"] | None:
        """The reason to renew now (``"duration"``, ``"context"``, ``"turns"``), or None."""
        if self.max_session_seconds is not None and age >= self.max_session_seconds:
            return "duration"
        if self.context_fraction is not None and context and input_tokens >= self.context_fraction * context:
            return "context"
        if self.max_turns is not None and turns >= self.max_turns:
            return "turns"
        return None


@dataclass(frozen=True)
class ReconnectPolicy:
    """How a session reconnects after a recoverable close: ``attempts`` tries, waiting ``backoff`` seconds, doubled
    each time up to ``max_backoff``. ``attempts=0`` ends the session at the first close instead."""

    attempts: int = 3
    backoff: float = 0.25
    max_backoff: float = 4.0

    def wait(self, attempt: int) -> float:
        """Seconds to wait before try number ``attempt`` (from 1)."""
        return float(min(self.max_backoff, self.backoff * 2 ** (attempt - 1)))


@dataclass
class Conversation:
    """The turns of a session as text (what the user said, per its transcript; what the model answered)."""

    turns: list[tuple[str, str]] = field(default_factory=list)

    def add(self, role: str, text: str) -> None:
        if text.strip():
            self.turns.append((role, " ".join(text.split())))

    def carried(self, limit: int) -> str:
        """The latest turns, at most ``limit`` characters, under :data:`CARRY_HEADING` ("" when there are none)."""
        lines: list[str] = []
        size = len(CARRY_HEADING)
        for role, text in reversed(self.turns):
            line = f"{_ROLES.get(role, role)}: {text}"
            if size + len(line) + 1 > limit:
                break
            lines.append(line)
            size += len(line) + 1
        return "\n".join([CARRY_HEADING, *reversed(lines)]) if lines else ""
