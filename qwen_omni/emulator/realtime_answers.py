"""What the emulator's realtime endpoint answers: the script hook's answer (:mod:`.script`) or its own, and the
tokens it counts.

The conversation of a connection is kept as chat messages, so an answer function written for the chat endpoint
works here too: a user turn spoken is a user message whose text is the emulator's transcript of it
(``"[1.24 s of speech]"``, the length of speech its VAD measured) and whose :class:`~.received.ReceivedPart` is the
turn's audio, probed; a text item is a user message; an answer is an assistant message (with its tool calls); a
``function_call_output`` is a ``tool`` message. ``ScriptRequest.payload`` is ``{"model": ..., "session": {...},
"realtime": True}``.

Without a script: a spoken turn is answered ``"Heard 1.24 s of speech."``, a text item as the chat endpoint does
(``Received the text "..."``), and tool outputs with ``"The tool returned: ..."``.

Example:
    >>> transcript_of(1.236)
    '[1.24 s of speech]'
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from qwen_omni.audio import pcm16_to_wav
from qwen_omni.realtime.models import INPUT_SAMPLE_RATE

from .received import ReceivedPart
from .script import AnswerFunction, ScriptedAnswer, ScriptError, ScriptRequest, ToolResult, call_script

__all__ = ["AUDIO_TOKENS_PER_SECOND", "RealtimeTurns", "own_answer", "scripted_answer", "transcript_of"]

#: Tokens per second of audio, in and out (qwen3-omni-flash's documented 12.5).
AUDIO_TOKENS_PER_SECOND = 12.5


def transcript_of(speech_seconds: float) -> str:
    """The emulator's transcript of a spoken turn: how much speech it heard."""
    return f"[{speech_seconds:.2f} s of speech]"


@dataclass
class RealtimeTurns:
    """A connection's conversation as chat messages, with the audio of each spoken turn."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    parts: list[ReceivedPart] = field(default_factory=list)
    audio_seconds_in: float = 0.0
    calls: dict[str, str] = field(default_factory=dict)

    def spoken(self, transcript: str, pcm: bytes) -> None:
        from qwen_omni.media import probe

        info = probe(pcm16_to_wav(pcm, sample_rate=INPUT_SAMPLE_RATE)) if pcm else None
        self.parts.append(ReceivedPart(kind="audio", source="inline", mime_type="audio/pcm", size_bytes=len(pcm),
                                       format="pcm16", info=info, message_index=len(self.messages)))  # fmt: skip
        self.messages.append({"role": "user", "content": transcript})
        self.audio_seconds_in += len(pcm) / (2 * INPUT_SAMPLE_RATE)

    def text(self, text: str) -> None:
        self.messages.append({"role": "user", "content": text})

    def answered(self, text: str, calls: Sequence[tuple[str, str, str]]) -> None:
        message: dict[str, Any] = {"role": "assistant", "content": text}
        if calls:
            message["tool_calls"] = [{"id": cid, "type": "function", "function": {"name": name, "arguments": args}}
                                     for cid, name, args in calls]  # fmt: skip
            self.calls.update({cid: name for cid, name, _ in calls})
        self.messages.append(message)

    def tool_output(self, call_id: str, output: str) -> None:
        self.messages.append({"role": "tool", "tool_call_id": call_id, "content": output})

    def tool_results(self) -> list[ToolResult]:
        """The ``tool`` messages after the last assistant message."""
        results: list[ToolResult] = []
        for message in self.messages:
            if message["role"] == "assistant":
                results = []
            elif message["role"] == "tool":
                call_id = message["tool_call_id"]
                results.append(ToolResult(call_id, self.calls.get(call_id), message["content"]))
        return results

    def last_user_text(self) -> str:
        return next((m["content"] for m in reversed(self.messages) if m["role"] == "user"), "")

    def input_tokens(self, instructions: str) -> int:
        text = sum(len(str(m.get("content") or "")) for m in self.messages) + len(instructions)
        return text // 4 + round(self.audio_seconds_in * AUDIO_TOKENS_PER_SECOND)


def own_answer(turns: RealtimeTurns) -> ScriptedAnswer:
    """The emulator's own answer to the last turn."""
    results = turns.tool_results()
    if results and turns.messages[-1]["role"] == "tool":
        return ScriptedAnswer(text="The tool returned: " + "; ".join(r.content for r in results) + ".")
    last = turns.messages[-1] if turns.messages else {"content": ""}
    text = str(last.get("content") or "")
    if text.startswith("[") and text.endswith(" s of speech]"):
        return ScriptedAnswer(text=f"Heard {text[1:-1]}.")
    return ScriptedAnswer(text=f'Received the text "{text}".')


def scripted_answer(function: AnswerFunction, turns: RealtimeTurns, *, model: str, session: Mapping[str, Any]
                    ) -> ScriptedAnswer:  # fmt: skip
    """Run the answer function on the conversation (in the caller's thread); a script's None is the emulator's
    own answer, as in chat.

    Raises:
        ScriptError: it failed, or called a function the session does not declare.
    """
    tools = [t["function"] if isinstance(t.get("function"), Mapping) else t for t in session.get("tools") or []]
    instructions = str(session.get("instructions") or "")
    messages = ([{"role": "system", "content": instructions}] if instructions else []) + turns.messages
    request = ScriptRequest(
        model=model,
        messages=tuple(messages),
        text=turns.last_user_text(),
        tools=tuple(tools),
        tool_choice="auto",
        parallel_tool_calls=True,
        response_format=None,
        thinking=False,
        audio_output="audio" in (session.get("modalities") or ()),
        voice=session.get("voice"),
        parts=tuple(turns.parts),
        tool_results=tuple(turns.tool_results()),
        payload={"model": model, "session": dict(session), "realtime": True},
    )
    answer = call_script(function, request) or own_answer(turns)
    names = {str(t.get("name")) for t in tools}
    for call in answer.tool_calls:
        if call.name not in names:
            declared = ", ".join(sorted(names)) or "none"
            raise ScriptError(f"The answer calls {call.name!r}, which the session does not declare ({declared}).")
    if answer.tool_calls and answer.text:
        raise ScriptError("A ScriptedAnswer has text or tool calls, not both.")
    return answer


def call_arguments(arguments: Mapping[str, Any] | str) -> str:
    """A scripted call's arguments as the model writes them: JSON with a leading space."""
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return " " + text
