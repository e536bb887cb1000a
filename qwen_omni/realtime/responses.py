"""The response state machine of a session: pure (events in, what to emit and do out), tested without a server.

States: idle, ``pending`` (a ``response.create`` was sent, no ``response.created`` yet), ``active`` (one response
streams). Rules, from ``shared/reference/realtime.md`` sections 6 and 7:

- One response at a time: :meth:`ResponseTracker.claim` refuses a ``response.create`` while one is pending or active
  (the server would answer "Conversation already has an active response").
- Tool calls: each ``response.function_call_arguments.done`` (or a ``function_call`` output item, once per call) is a
  call to run; Qwen does not go on by itself after the outputs, so once the response that made the calls is done
  and every call is answered, :meth:`answered` / the ``response.done`` step ask for one ``response.create``.
- Barge-in: ``speech_started`` while a response streams marks it interrupted; its remaining deltas are dropped, so
  a player never plays stale audio; its ``response.done`` still comes (with what was kept).

Example:
    >>> from qwen_omni.realtime.events import ResponseCreated, SpeechStarted
    >>> tracker = ResponseTracker()
    >>> _ = tracker.on_event(ResponseCreated("resp_1"))
    >>> [type(e).__name__ for e in tracker.on_event(SpeechStarted(1200, "item_2")).emit]
    ['SpeechStarted', 'BargeIn']
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import assert_never

from ..errors import InvalidRequestError
from .answer import RealtimeAnswer, ToolCallRecord, usage_from_wire
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
    SessionUpdated,
    SpeechStarted,
    SpeechStopped,
    TextDelta,
    TextDone,
    ToolCall,
    TranscriptDelta,
    TranscriptDone,
)
from .renewal import Conversation
from .tools import parse_arguments

__all__ = ["PendingCall", "ResponseTracker", "Step"]


@dataclass
class Step:
    """What one server event leads to: the events to yield, the calls to run, whether to ask for a response."""

    emit: list[RealtimeEvent] = field(default_factory=list)
    calls: list[ToolCall] = field(default_factory=list)
    continue_response: bool = False


@dataclass
class PendingCall:
    """A call the model made and that has no output yet (or has one, until its response is continued)."""

    response_id: str
    name: str
    record: ToolCallRecord
    answered: bool = False


class ResponseTracker:
    """Follows the responses of one session (across its connections)."""

    def __init__(self, *, keep_audio: bool = True, auto_response: bool = True) -> None:
        self.keep_audio = keep_audio
        #: The server answers each committed turn by itself (server VAD with ``create_response``).
        self.auto_response = auto_response
        self.active: RealtimeAnswer | None = None
        self.pending = False
        self.speaking = False
        self.dropped: set[str] = set()
        self.calls: dict[str, PendingCall] = {}
        self._done_with_calls: set[str] = set()
        self.conversation = Conversation()
        self.turns = 0
        self.input_tokens = 0
        self._heard: str | None = None
        self._cancel_next = False

    # -- questions --------------------------------------------------------------------------------------------

    @property
    def idle(self) -> bool:
        """No response pending or streaming, nobody speaking, no call waiting for its output."""
        return self.active is None and not self.pending and not self.speaking and not self.calls

    def claim(self) -> None:
        """Take the one response slot for a ``response.create``.

        Raises:
            InvalidRequestError: a response is pending or streaming.
        """
        if self.active is not None or self.pending:
            shown = self.active.response_id if self.active else "one just requested"
            raise InvalidRequestError(
                f"A response is already under way ({shown}); wait for its ResponseDone, or cancel_response() first."
            )
        self.pending = True

    def release(self) -> None:
        """The ``response.create`` was refused: the slot is free again."""
        self.pending = False

    def cancel(self) -> str | None:
        """Drop the streaming response's remaining deltas; its id (``"pending"`` for one asked for and not begun:
        it is dropped as it begins), or None when there is none."""
        if self.active is None:
            if self.pending:
                self._cancel_next = True
                return "pending"
            return None
        self.active.interrupted = True
        self.dropped.add(self.active.response_id)
        return self.active.response_id

    def answered(self, call_id: str, output: str, *, error: bool = False) -> bool:
        """Record the output of a call; True when its response may now be continued.

        Raises:
            InvalidRequestError: no call ``call_id`` is waiting for an output.
        """
        call = self.calls.get(call_id)
        if call is None or call.answered:
            waiting = ", ".join(c for c, p in self.calls.items() if not p.answered) or "none"
            state = "already has its output" if call else "is not a call the model made in this session"
            raise InvalidRequestError(f"Tool call {call_id!r} {state}; calls waiting for an output: {waiting}.")
        call.answered = True
        call.record.output, call.record.error = output, error
        self.conversation.add("tool", f"{call.name} returned {output}")
        return self._continue(call.response_id)

    def lost(self) -> RealtimeAnswer | None:
        """The connection broke: forget what the server knew (the answer under way is returned, marked lost)."""
        answer = self.active
        if answer is not None:
            answer.status = "lost"
        self.active, self.pending, self.speaking, self._cancel_next = None, False, False, False
        self.calls.clear()
        self._done_with_calls.clear()
        self.dropped.clear()
        return answer

    # -- events -----------------------------------------------------------------------------------------------

    def _continue(self, response_id: str) -> bool:
        if response_id not in self._done_with_calls:
            return False
        if any(c.response_id == response_id and not c.answered for c in self.calls.values()):
            return False
        self._done_with_calls.discard(response_id)
        for call_id in [c for c, p in self.calls.items() if p.response_id == response_id]:
            del self.calls[call_id]
        if self.active is not None or self.pending:
            return False  # a new response is already under way: it sees the outputs
        self.pending = True
        return True

    def _answer(self, response_id: str) -> RealtimeAnswer:
        if self.active is None or self.active.response_id != response_id:
            self.active = RealtimeAnswer(response_id, heard=self._heard)
            self._heard = None
        return self.active

    def _call(self, response_id: str, call_id: str, name: str, arguments: str) -> Step:
        if call_id in self.calls or not call_id:
            return Step()
        answer = self._answer(response_id)
        record = ToolCallRecord(call_id, name, arguments)
        answer.tool_calls.append(record)
        self.calls[call_id] = PendingCall(response_id, name, record)
        try:
            parsed: dict[str, object] | None = parse_arguments(arguments)
        except InvalidRequestError:
            parsed = None
        call = ToolCall(response_id, call_id, name, parsed, arguments)
        return Step(emit=[call], calls=[call])

    def _stale(self, response_id: str) -> bool:
        return response_id in self.dropped

    def on_event(self, event: ServerEvent) -> Step:
        """What ``event`` leads to (the event itself is in ``emit`` unless it is a dropped delta)."""
        step = Step(emit=[event])
        match event:
            case SessionCreated() | SessionUpdated() | ErrorEvent() | SessionFinished() | RawEvent():
                pass
            case SpeechStarted(audio_start_ms=start):
                self.speaking = True
                rid = self.cancel()
                if rid is not None:
                    step.emit.append(BargeIn(rid, start))
            case SpeechStopped():
                self.speaking = False
                if self.auto_response and self.active is None:
                    self.pending = True  # the commit and the server's own response follow
            case InputCleared():
                self.speaking = False
            case InputCommitted():
                self.speaking = False
                if self.auto_response and self.active is None:
                    self.pending = True  # the server's own response to the turn is coming
            case InputTranscriptDone(transcript=text):
                self.conversation.add("user", text)
                if self.active is not None and self.active.heard is None:
                    self.active.heard = text
                else:
                    self._heard = text
            case ItemCreated() | InputTranscriptDelta() | InputTranscriptFailed() | ContentPart():
                pass
            case ResponseCreated(response_id=rid):
                self.pending = False
                self._answer(rid)
                if self._cancel_next:
                    self._cancel_next = False
                    self.cancel()
            case OutputItem(response_id=rid, item=item, done=done):
                if done and item.get("type") == "function_call":
                    call = self._call(rid, str(item.get("call_id") or ""), str(item.get("name") or ""),
                                      str(item.get("arguments") or ""))  # fmt: skip
                    step.emit += call.emit
                    step.calls += call.calls
            case AudioDelta(response_id=rid, pcm=pcm):
                if self._stale(rid):
                    return Step()
                if self.keep_audio:
                    self._answer(rid).add_audio(pcm)
            case TranscriptDelta(response_id=rid, text=text):
                if self._stale(rid):
                    return Step()
                self._answer(rid).add_transcript(text)
            case TextDelta(response_id=rid, text=text):
                if self._stale(rid):
                    return Step()
                self._answer(rid).add_text(text)
            case FunctionCallArgumentsDelta(response_id=rid):
                if self._stale(rid):
                    return Step()
            case AudioDone() | TranscriptDone() | TextDone():
                pass
            case FunctionCallArgumentsDone(response_id=rid, call_id=cid, name=name, arguments=args):
                call = self._call(rid, cid, name, args)
                step.emit += call.emit
                step.calls += call.calls
            case ResponseDone(response_id=rid, status=status, response=response):
                answer = self._answer(rid)
                answer.status = status
                answer.usage = usage_from_wire(response.get("usage"))
                if answer.usage is not None:
                    self.input_tokens = answer.usage.prompt_tokens
                self.conversation.add("assistant", answer.said)
                self.turns += 1
                self.active = None
                self.pending = False
                self.dropped.discard(rid)
                step.emit = [ResponseDone(rid, status, answer, response)]
                if answer.tool_calls:
                    self._done_with_calls.add(rid)
                    step.continue_response = self._continue(rid)
            case _:
                assert_never(event)
        return step
