"""Long sessions against the emulator: renewal before a shortened limit, reconnection after a dropped connection,
after the inactivity close and after the server's own duration limit, the conversation carried over each time;
the heartbeat while the input is quiet."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from realtime_support import converse, recording

from qwen_omni.emulator import Emulator, ScriptRequest
from qwen_omni.emulator.realtime_state import RealtimeFault
from qwen_omni.realtime import (
    ReconnectPolicy,
    RenewalPolicy,
    ResponseDone,
    SessionConfig,
    SessionRenewed,
)
from qwen_omni.realtime.renewal import CARRY_HEADING

TWO_QUESTIONS = (0.3, "What is the capital of France?", 1.2, "And of Italy?", 1.2)


def numbered(request: ScriptRequest) -> str:
    turns = sum(m["role"] == "user" for m in request.messages)
    return f"Answer number {turns}."


def carried(update: dict[str, Any]) -> str:
    return str(update.get("instructions") or "")


async def test_a_session_is_renewed_before_a_shortened_limit(rt: Emulator, connect: Callable[..., Any]) -> None:
    rt.realtime.configure(max_session_seconds=4.0)  # the server would close it at 4 s
    renewal = RenewalPolicy(max_session_seconds=1.5, idle_wait_seconds=5.0)
    with rt.answering(numbered):
        async with connect(SessionConfig(instructions="Be brief."), renewal=renewal) as session:
            first = await converse(session, recording(0.3, "What is the capital of France?", 1.2), answers=1)
            renewed = await session.wait_for(SessionRenewed, timeout=10)
            second = await converse(session, recording(0.3, "And of Italy?", 1.2), answers=1)
    assert renewed.reason == "duration" and renewed.lost is None
    sessions = rt.realtime.sessions
    old, new = sessions[:2]
    assert old.close_reason == "client"  # closed by the client's renewal, not by the server's limit
    instructions = carried(new.session_updates[0])
    assert instructions.startswith("Be brief.") and CARRY_HEADING in instructions
    assert "Assistant: Answer number 1." in instructions and "User: [" in instructions
    answers = [e.answer.said for e in first + second if isinstance(e, ResponseDone)]
    assert answers == ["Answer number 1.", "Answer number 1."]  # the new server session starts its own count
    assert sum(r.input_seconds for r in sessions[1:]) > 1.0  # the second question went to the new connections
    assert all(r.close_reason == "client" for r in sessions)  # never closed by the server's limit


async def test_a_dropped_connection_is_resumed(rt: Emulator, connect: Callable[..., Any]) -> None:
    rt.realtime.inject(RealtimeFault(drop_after_responses=1))  # right after the first answer
    with rt.answering(numbered):
        async with connect(SessionConfig(instructions="Be brief.")) as session:
            events = await converse(session, recording(*TWO_QUESTIONS), answers=2)
    renewed = [e for e in events if isinstance(e, SessionRenewed)]
    assert [r.reason for r in renewed] == ["reconnect"]
    assert "1006" in (renewed[0].close_reason or "")
    first, second = rt.realtime.sessions[:2]
    assert first.close_reason == "dropped"
    assert "Assistant: Answer number 1." in carried(second.session_updates[0])
    done = [e for e in events if isinstance(e, ResponseDone)]
    assert done[-1].answer.complete and second.responses  # the conversation went on on the new connection


async def test_the_inactivity_close_reconnects(rt: Emulator, connect: Callable[..., Any]) -> None:
    rt.realtime.inject(RealtimeFault(inactivity_after=0.3))
    async with connect(SessionConfig(turn_detection=None), heartbeat_seconds=None) as session:
        renewed = await session.wait_for(SessionRenewed, timeout=10)
        await session.send_text("Still there?")
        done = await session.wait_for(ResponseDone, timeout=10)
    assert renewed.reason == "reconnect" and "no response was generated" in (renewed.close_reason or "")
    assert rt.realtime.sessions[0].close_reason == "inactivity"
    assert done.answer.said == 'Received the text "Still there?".'


async def test_the_servers_duration_limit_reconnects_when_renewal_is_off(
    rt: Emulator, connect: Callable[..., Any]
) -> None:
    rt.realtime.configure(max_session_seconds=0.5)
    off = RenewalPolicy(max_session_seconds=None, context_fraction=None)
    async with connect(SessionConfig(turn_detection=None), renewal=off, heartbeat_seconds=None) as session:
        renewed = await session.wait_for(SessionRenewed, timeout=10)
    assert renewed.reason == "reconnect" and "maximum duration" in (renewed.close_reason or "")
    assert rt.realtime.sessions[0].close_reason == "max_duration"


async def test_a_close_is_final_without_reconnection(rt: Emulator, connect: Callable[..., Any]) -> None:
    import pytest

    from qwen_omni.errors import APIConnectionError

    rt.realtime.inject(RealtimeFault(drop_after_events=2))  # session.created, session.updated, then the drop
    async with connect(SessionConfig(turn_detection=None), reconnect=ReconnectPolicy(attempts=0)) as session:
        with pytest.raises(APIConnectionError, match="1006"):
            async for _ in session.events(timeout=10):
                pass


async def test_a_renewal_on_the_context_used(rt: Emulator, connect: Callable[..., Any]) -> None:
    renewal = RenewalPolicy(max_session_seconds=None, context_fraction=1e-6)  # any usage crosses it
    plus = "qwen3.5-omni-plus-realtime"  # its context (262,144 tokens) is documented
    async with connect(SessionConfig(turn_detection=None), model=plus, renewal=renewal) as session:
        await session.send_text("Hello!")
        await session.wait_for(ResponseDone, timeout=10)
        renewed = await session.wait_for(SessionRenewed, timeout=10)
    assert renewed.reason == "context"
    assert 'Assistant: Received the text "Hello!".' in carried(rt.realtime.sessions[1].session_updates[0])


async def test_a_quiet_input_gets_a_heartbeat_of_silence(rt: Emulator, connect: Callable[..., Any]) -> None:
    async with connect(SessionConfig(), heartbeat_seconds=0.2):
        record = rt.realtime.sessions[-1]  # the record exists from the handshake on
        for _ in range(500):  # polls the journal (no timing is asserted): at most 10 s
            if record.input_seconds >= 1.0:
                break
            await asyncio.sleep(0.02)
    assert record.input_seconds >= 1.0 and set(record.input_pcm[:32_000]) == {0}
