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
import logging
import math
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from .answer import AnswerPlan, last_user_text, plan_answer
from .datauri import redact
from .faults import FAULT_HEADER, Fault
from .limits import Verdict
from .parts import collect_parts, probed
from .received import Delivery, ReceivedPart, ReceivedRequest
from .script import AnswerFunction, call_script, failure_message, script_request, scripted_plan
from .state import AUDIO_STYLES, AudioStyle, EmulatorState
from .stream import audio_seconds, now, playlist, render_events
from .timed import timed_answer
from .usage import prompt_details, usage
from .validate import ChatRequest, check_media, check_parts, check_payload
from .wire import Refusal, error_body, invalid

#: The request header that picks the audio style ("content" or "transcript") for one request.
AUDIO_STYLE_HEADER = "X-Emulator-Audio-Style"


_log = logging.getLogger(__name__)

#: An HTML page as a gateway in front of the API answers with.
_HTML_PAGE = "<html><head><title>{status}</title></head><body><h1>{status}</h1><p>nginx</p></body></html>\n"


@dataclass(frozen=True)
class ChatOutcome:
    """What to answer: an error body, an HTML page, a reset, or the events of a stream (as they are played)."""

    status: int
    request_id: str
    headers: dict[str, str] = field(default_factory=dict)
    error_body: dict[str, Any] | None = None
    html: str | None = None
    reset: bool = False
    events: list[bytes] | None = None
    cut: bool = False
    fault: Fault | None = None
    first_chunk_delay: float = 0.0
    chunk_delay: float = 0.0
    delivery: Delivery | None = None


def check_auth(headers: Mapping[str, str], api_key: str | None) -> None:
    """Refuse (401) a request without ``Authorization: Bearer <key>``, or with another key than ``api_key``."""
    scheme, _, key = headers.get("authorization", "").strip().partition(" ")
    key = key.strip()
    valid = scheme.lower() == "bearer" and bool(key)
    if valid and api_key is not None:
        valid = hmac.compare_digest(key.encode(), api_key.encode())
    if not valid:
        raise Refusal(401, "invalid_api_key", "Incorrect API key provided. ")


#: JSON nested deeper than this is refused (DashScope's own bound is not documented; a chat request needs ~8).
MAX_JSON_DEPTH = 64


def _parse_body(body: bytes | bytearray) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise invalid(f"The request body is not valid JSON: {exc}.") from exc
    except RecursionError:
        raise invalid(f"The request body is not valid JSON: nested more than {MAX_JSON_DEPTH} levels deep.") from None
    if not isinstance(payload, dict):
        raise invalid("The request body must be a JSON object.")
    if _depth_over(payload, MAX_JSON_DEPTH):
        raise invalid(f"The request body is not valid JSON: nested more than {MAX_JSON_DEPTH} levels deep.")
    return payload


def _depth_over(value: Any, limit: int) -> bool:
    """Whether ``value`` nests lists and objects more than ``limit`` deep (walked without recursion)."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def _rate_fault(verdict: Verdict) -> Fault:
    """The 429 of a rate-limit verdict, with its wait in ``Retry-After`` (whole seconds) and ``retry-after-ms``."""
    if verdict.retry_after is None:
        return Fault(status=429, code=verdict.code, message=verdict.message)
    wait = max(0.0, verdict.retry_after)
    return Fault(
        status=429,
        code=verdict.code,
        message=verdict.message,
        retry_after=max(1, math.ceil(wait)),
        retry_after_ms=max(1, math.ceil(wait * 1000)),
    )


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


def handle_chat(
    state: EmulatorState, headers: Mapping[str, str], body: bytes | bytearray, arrived: float | None = None
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
        refused = state.limits.admit(arrived)
        fault = _fault(state, headers) if refused is None else _rate_fault(refused)
        if fault is not None and fault.reset:
            outcome = ChatOutcome(status=0, request_id=request_id, reset=True, fault=fault)
        elif fault is not None and fault.http_status is not None:
            outcome = _fault_outcome(fault, request_id, headers.get("authorization", ""))
        elif fault is not None and fault.html:
            outcome = ChatOutcome(status=200, request_id=request_id, html=_HTML_PAGE.format(status="200 OK"))
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
            error_message=_without(error["message"], headers.get("authorization")) if error else None,
            fault=fault,
            delivery=outcome.delivery,
            arrived=arrived,
        ),
    )
    return outcome


def _without(text: str, authorization: str | None) -> str:
    """``text`` with the request's credentials blanked out: the journal never holds a key."""
    return text.replace(authorization, "Bearer ***") if authorization else text


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _fault_outcome(fault: Fault, request_id: str, authorization: str) -> ChatOutcome:
    status, code = fault.http_status, fault.http_code
    if status is None or code is None:
        raise ValueError(f"{fault!r} answers with a stream, not an error status.")
    if fault.html:
        page = _HTML_PAGE.format(status=f"{status} {_phrase(status)}")
        return ChatOutcome(status=status, request_id=request_id, headers=fault.retry_headers, html=page, fault=fault)
    body = error_body(code, fault.message, request_id=request_id)
    if fault.echo_authorization:
        body["error"]["message"] = f"Incorrect API key provided: {authorization}"
        body["authorization"] = authorization
    return ChatOutcome(status=status, request_id=request_id, headers=fault.retry_headers, error_body=body, fault=fault)


def _check_input_tokens(req: ChatRequest, parts: list[ReceivedPart]) -> None:
    """Refuse a prompt over the model's input limit (lower in thinking mode), as counted by the emulator."""
    limit = req.profile.input_token_limit(thinking=req.thinking)
    if sum(prompt_details(req, parts).values()) > limit:
        raise invalid(f"Range of input length should be [1, {limit}]")


def _scripted(
    script: AnswerFunction, req: ChatRequest, parts: list[ReceivedPart], payload: dict[str, Any]
) -> AnswerPlan | None:
    """The plan of the answer function's answer (None: its answer is the emulator's own); a 500 ``InternalError``
    refusal when it fails."""
    try:
        answer = call_script(script, script_request(req, parts, payload))
        return None if answer is None else scripted_plan(req, parts, answer)
    except Exception as exc:
        _log.warning("The emulator's answer function failed.", exc_info=True)
        raise Refusal(500, "InternalError", failure_message(exc)) from exc


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
    _check_input_tokens(req, parts)
    script = state.answer.get()
    plan = _scripted(script, req, parts, payload) if script is not None else None
    if plan is None:
        media = [item for item in pending if item.part.kind in ("audio", "video")]
        timed = (
            timed_answer(last_user_text(req.messages), media[0].part.kind, media[0].data) if len(media) == 1 else None
        )
        plan = plan_answer(req, parts, answer_words=state.settings.answer_words, timed=timed)
    seconds = audio_seconds(plan)
    events = render_events(
        plan,
        completion_id=f"chatcmpl-{request_id}",
        created=now(),
        model=req.model,
        usage=usage(req, parts, plan, seconds) if req.include_usage else None,
        audio_style=style,
        finish=not (fault and fault.no_finish),
    )
    played, cut = playlist(events, fault, request_id)
    settings = state.settings
    return ChatOutcome(
        status=200,
        request_id=request_id,
        events=played,
        cut=cut,
        delivery=Delivery(planned=len(played)),
        fault=fault,
        first_chunk_delay=fault.first_chunk_delay if fault and fault.first_chunk_delay else settings.first_chunk_delay,
        chunk_delay=fault.chunk_delay if fault and fault.chunk_delay else settings.chunk_delay,
    )


__all__ = [
    "AUDIO_STYLE_HEADER",
    "ChatOutcome",
    "check_auth",
    "handle_chat",
]
