"""One chat request, start to finish: auth, JSON, faults, checks, parts, answer, usage, and its record.

This runs in a worker thread (decoding and probing media blocks); the app then plays the outcome.

Example:
    >>> from qwen_omni.emulator.state import EmulatorState, Settings
    >>> state = EmulatorState(Settings())
    >>> outcome = handle_chat(state, {}, b"{}")
    >>> outcome.status, outcome.error_body["error"]["code"]
    (401, 'invalid_api_key')
"""

from __future__ import annotations

import hmac
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .answer import last_user_text, plan_answer
from .datauri import redact
from .faults import FAULT_HEADER, Fault
from .parts import collect_parts, probed
from .received import ReceivedPart, ReceivedRequest
from .state import AUDIO_STYLES, AudioStyle, EmulatorState
from .stream import audio_seconds, now, render_events
from .timed import timed_answer
from .usage import usage
from .validate import check_media, check_parts, check_payload
from .wire import Refusal, error_body, invalid

#: The request header that picks the audio style ("content" or "transcript") for one request.
AUDIO_STYLE_HEADER = "X-Emulator-Audio-Style"


@dataclass(frozen=True)
class ChatOutcome:
    """What to answer: an error body, or the events of a stream (without ``[DONE]``)."""

    status: int
    request_id: str
    headers: dict[str, str] = field(default_factory=dict)
    error_body: dict[str, Any] | None = None
    events: list[bytes] | None = None
    fault: Fault | None = None
    first_chunk_delay: float = 0.0
    chunk_delay: float = 0.0


def check_auth(headers: Mapping[str, str], api_key: str | None) -> None:
    """Refuse (401) a request without ``Authorization: Bearer <key>``, or with another key than ``api_key``."""
    scheme, _, key = headers.get("authorization", "").strip().partition(" ")
    key = key.strip()
    valid = scheme.lower() == "bearer" and bool(key)
    if valid and api_key is not None:
        valid = hmac.compare_digest(key.encode(), api_key.encode())
    if not valid:
        raise Refusal(401, "invalid_api_key", "Incorrect API key provided. ")


def _parse_body(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid(f"The request body is not valid JSON: {exc}.") from exc
    if not isinstance(payload, dict):
        raise invalid("The request body must be a JSON object.")
    return payload


def _fault(state: EmulatorState, headers: Mapping[str, str]) -> Fault | None:
    """The header's fault if the request sends one (the queue is then left alone), else the next queued one."""
    value = headers.get(FAULT_HEADER.lower())
    if value is None:
        return state.faults.pop()
    try:
        return Fault.from_header(value)
    except ValueError as exc:
        raise invalid(str(exc)) from exc


def _audio_style(state: EmulatorState, headers: Mapping[str, str]) -> AudioStyle:
    value = headers.get(AUDIO_STYLE_HEADER.lower())
    if value is None:
        return state.settings.audio_style
    for style in AUDIO_STYLES:
        if value.strip().lower() == style:
            return style
    raise invalid(f"{AUDIO_STYLE_HEADER} must be 'content' or 'transcript'; got {value!r}.")


def _user_parts(payload: Mapping[str, Any] | None, parts: list[ReceivedPart]) -> list[ReceivedPart]:
    messages = payload.get("messages") if payload else None
    if not isinstance(messages, list):
        return []
    return [
        p
        for p in parts
        if isinstance(messages[p.message_index], Mapping) and messages[p.message_index].get("role") == "user"
    ]


def _format_seconds(seconds: float) -> str:
    return str(int(seconds)) if float(seconds).is_integer() else str(seconds)


def handle_chat(
    state: EmulatorState, headers: Mapping[str, str], body: bytes, arrived: float | None = None
) -> ChatOutcome:
    """Decide the answer to one chat request and record it in the journal.

    ``headers`` must have lower-case names; ``arrived`` is when the request reached the server
    (:func:`time.monotonic`; now, if not given).
    """
    ticket = state.journal.arrive()
    arrived = time.monotonic() if arrived is None else arrived
    request_id = str(uuid.uuid4())
    payload: dict[str, Any] | None = None
    parts: list[ReceivedPart] = []
    fault: Fault | None = None
    outcome: ChatOutcome
    try:
        check_auth(headers, state.settings.api_key)
        payload = _parse_body(body)
        wait = state.window.admit(arrived)
        fault = _fault(state, headers) if wait is None else Fault(status=429, code="limit_requests", retry_after=wait)
        if fault is not None and fault.http_status is not None:
            outcome = _fault_outcome(fault, request_id)
        else:
            outcome = _answer(state, headers, payload, fault, request_id, parts)
    except Refusal as refusal:
        outcome = ChatOutcome(
            status=refusal.status,
            request_id=request_id,
            error_body=error_body(refusal.code, refusal.message, request_id=request_id),
        )
    error = outcome.error_body["error"] if outcome.error_body else None
    model = payload.get("model") if payload else None
    state.journal.record(
        ticket,
        ReceivedRequest(
            payload=redact(payload) if payload is not None else None,
            headers={k: v for k, v in headers.items() if k != "authorization"},
            parts=_user_parts(payload, parts),
            status=outcome.status,
            model=model if isinstance(model, str) else None,
            request_id=request_id,
            error_code=error["code"] if error else None,
            error_message=error["message"] if error else None,
            fault=fault,
            arrived=arrived,
        ),
    )
    return outcome


def _fault_outcome(fault: Fault, request_id: str) -> ChatOutcome:
    status, code = fault.http_status, fault.http_code
    if status is None or code is None:
        raise ValueError(f"{fault!r} answers with a stream, not an error status.")
    headers = {"retry-after": _format_seconds(fault.retry_after)} if fault.retry_after is not None else {}
    return ChatOutcome(
        status=status,
        request_id=request_id,
        headers=headers,
        error_body=error_body(code, fault.message, request_id=request_id),
        fault=fault,
    )


def _answer(
    state: EmulatorState,
    headers: Mapping[str, str],
    payload: dict[str, Any],
    fault: Fault | None,
    request_id: str,
    parts: list[ReceivedPart],
) -> ChatOutcome:
    """Check the request and plan its stream; ``parts`` is filled as the parts are read."""
    style = _audio_style(state, headers)
    req = check_payload(payload)
    pending = []
    for item in collect_parts(req.messages):
        pending.append(item)
        parts.append(item.part)
    check_parts(req, parts)
    parts[:] = [probed(item) for item in pending]
    check_media(req, parts)
    media = [item for item in pending if item.part.kind in ("audio", "video")]
    timed = timed_answer(last_user_text(req.messages), media[0].part.kind, media[0].data) if len(media) == 1 else None
    plan = plan_answer(req, parts, answer_words=state.settings.answer_words, timed=timed)
    seconds = audio_seconds(plan)
    events = render_events(
        plan,
        completion_id=f"chatcmpl-{request_id}",
        created=now(),
        model=req.model,
        usage=usage(req, parts, plan, seconds) if req.include_usage else None,
        audio_style=style,
    )
    settings = state.settings
    return ChatOutcome(
        status=200,
        request_id=request_id,
        events=events,
        fault=fault,
        first_chunk_delay=fault.first_chunk_delay if fault and fault.first_chunk_delay else settings.first_chunk_delay,
        chunk_delay=fault.chunk_delay if fault and fault.chunk_delay else settings.chunk_delay,
    )
