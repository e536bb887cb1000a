"""One realtime connection of the emulator, as the server runs it: client events in, server events out.

It follows the documented flows (``shared/reference/realtime.md`` section 6): ``session.update`` merged and checked
(the modalities error, ranges, semantic VAD per model, tools with search, voices of the models whose list is
whole); input audio through the :class:`~.realtime_vad.EnergyVAD` (speech started / stopped, commit, the user item,
its transcript, then an automatic response) or committed by hand; images only after audio, JPEG, at most 256 KB
after base64; one response at a time, streamed in the documented order (spoken: transcript and 100 ms audio
pieces, paced by ``output_realtime_factor``); barge-in cancels the response under way (its done events say
``cancelled``); tool calls with their arguments' leading space, and no answer after the outputs until the client
sends ``response.create``.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from qwen_omni.realtime.models import INPUT_SAMPLE_RATE, RealtimeProfile, get_realtime_profile

from .answer import word_pieces
from .realtime_answers import (
    AUDIO_TOKENS_PER_SECOND,
    RealtimeTurns,
    call_arguments,
    own_answer,
    scripted_answer,
    transcript_of,
)
from .realtime_state import RealtimeRecord, RealtimeSettings
from .realtime_vad import EnergyVAD
from .realtime_wire import (
    ACTIVE_RESPONSE_MESSAGE,
    EMPTY_BUFFER_MESSAGE,
    IMAGE_FIRST_MESSAGE,
    MODALITIES_MESSAGE,
    NO_ACTIVE_RESPONSE_MESSAGE,
    SPEAKING_MESSAGE,
    default_session,
    error_frame,
    new_id,
)
from .script import AnswerFunction, ScriptedAnswer, failure_message
from .speech import CHUNK_SECONDS, pcm_pieces, speech_pcm

__all__ = ["RealtimeConversation"]

logger = logging.getLogger("qwen_omni.emulator")

Send = Callable[[dict[str, Any]], Awaitable[None]]
_IMAGE_MAX_BASE64 = 256 * 1024


class _Refused(Exception):
    def __init__(self, code: str, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.param = code, message, param


class _Response:
    def __init__(self, response_id: str) -> None:
        self.id = response_id
        self.cancelled = asyncio.Event()
        self.task: asyncio.Task[None] | None = None


class RealtimeConversation:
    """The server side of one connection; :meth:`handle` takes each client event."""

    def __init__(self, model: str, record: RealtimeRecord, settings: RealtimeSettings, send: Send,
                 answer: Callable[[], AnswerFunction | None]) -> None:  # fmt: skip
        self.model, self.record, self.settings, self._send, self._answer = model, record, settings, send, answer
        self.profile: RealtimeProfile = get_realtime_profile(model, warn=False)
        self.session = default_session(model, record.session_id)
        self.turns = RealtimeTurns()
        self._vad = self._new_vad()
        self._buffer = bytearray()
        self._speech_start_ms: int | None = None
        self._audio_seen = False
        self._images: list[bytes] = []
        self.response: _Response | None = None
        self._known_calls: set[str] = set()
        #: Set whenever a response is created (the inactivity timer restarts).
        self.responded = asyncio.Event()

    # -- helpers ------------------------------------------------------------------------------------------------

    def _new_vad(self) -> EnergyVAD | None:
        turns = self.session.get("turn_detection")
        if not isinstance(turns, dict) or turns.get("type") != "server_vad":
            return EnergyVAD() if isinstance(turns, dict) else None  # semantic_vad: loudness stands in for meaning
        return EnergyVAD(threshold=float(turns.get("threshold", 0.5)),
                         silence_duration_ms=int(turns.get("silence_duration_ms", 800)))  # fmt: skip

    async def _error(self, refused: _Refused, event_id: str | None) -> None:
        await self._send(error_frame(refused.code, refused.message, param=refused.param, event_id=event_id))

    # -- client events ------------------------------------------------------------------------------------------

    async def handle(self, event: dict[str, Any]) -> None:
        """Take one client event (already parsed JSON)."""
        kind = str(event.get("type") or "")
        self.record.events.append(kind)
        event_id = event.get("event_id") if isinstance(event.get("event_id"), str) else None
        if event_id:
            self.record.event_ids.append(event_id)
        try:
            await self._dispatch(kind, event)
        except _Refused as refused:
            await self._error(refused, event_id)

    async def _dispatch(self, kind: str, event: dict[str, Any]) -> None:
        match kind:
            case "session.update":
                await self._update(event.get("session"))
            case "input_audio_buffer.append":
                await self._append(event.get("audio"))
            case "input_audio_buffer.commit":
                if not self._buffer:
                    raise _Refused("invalid_value", EMPTY_BUFFER_MESSAGE)
                await self._commit(self._speech_seconds_manual())
            case "input_audio_buffer.clear":
                self._buffer.clear()
                self._images.clear()
                await self._send({"type": "input_audio_buffer.cleared"})
            case "input_image_buffer.append":
                self._image(event.get("image"))
            case "conversation.item.create":
                await self._item(event.get("item"))
            case "response.create":
                if self.response is not None:
                    raise _Refused("invalid_value", ACTIVE_RESPONSE_MESSAGE)
                if self._vad is not None and self._vad.speaking:
                    raise _Refused("invalid_value", SPEAKING_MESSAGE)
                self._start_response()
            case "response.cancel":
                if self.response is None:
                    raise _Refused("invalid_value", NO_ACTIVE_RESPONSE_MESSAGE)
                self.response.cancelled.set()
            case "session.finish":
                await self._send({"type": "session.finished"})
            case _:
                raise _Refused("invalid_value", f"Unknown event type {kind!r}.", "type")

    async def _update(self, session: Any) -> None:
        if not isinstance(session, dict):
            raise _Refused("invalid_value", "session.update needs a session object.", "session")
        merged = {**self.session, **session}
        modalities = merged.get("modalities")
        if not isinstance(modalities, list) or set(modalities) not in ({"text"}, {"text", "audio"}):
            raise _Refused("invalid_value", MODALITIES_MESSAGE.format(value=modalities), "session.modalities")
        voice = merged.get("voice")
        if self.profile.voices_complete and voice not in self.profile.voices:
            raise _Refused("invalid_value", f"Voice {voice!r} is not supported by {self.model}.", "session.voice")
        self._check_turns(merged.get("turn_detection"))
        if merged.get("tools") and merged.get("enable_search"):
            raise _Refused("invalid_value", "enable_search cannot be used with tools.", "session.enable_search")
        self.session = merged
        self.record.session_updates.append(dict(session))
        self._vad = self._new_vad()
        await self._send({"type": "session.updated", "session": self.session})

    def _check_turns(self, turns: Any) -> None:
        if turns is None:
            return
        if not isinstance(turns, dict) or turns.get("type") not in ("server_vad", "semantic_vad"):
            raise _Refused("invalid_value", "turn_detection.type must be server_vad or semantic_vad.",
                           "session.turn_detection.type")  # fmt: skip
        if turns["type"] == "semantic_vad" and not self.profile.semantic_vad:
            raise _Refused("invalid_value", f"semantic_vad is not supported by {self.model}.",
                           "session.turn_detection.type")  # fmt: skip
        for key, low, high in (("threshold", -1.0, 1.0), ("silence_duration_ms", 200, 6000),
                               ("idle_timeout_ms", 5000, 30000)):  # fmt: skip
            value = turns.get(key)
            if value is not None and not (isinstance(value, int | float) and low <= value <= high):
                raise _Refused("invalid_value", f"turn_detection.{key} must be in [{low}, {high}]; got {value!r}.",
                               f"session.turn_detection.{key}")  # fmt: skip

    async def _append(self, audio: Any) -> None:
        try:
            pcm = base64.b64decode(audio if isinstance(audio, str) else "", validate=True)
        except (binascii.Error, ValueError):
            raise _Refused("invalid_value", "audio must be base64 PCM16.", "audio") from None
        if len(pcm) % 2:
            raise _Refused("invalid_value", "audio must be whole PCM16 samples.", "audio")
        self.record.input_pcm += pcm
        self._buffer += pcm
        self._audio_seen = True
        if self._vad is None:
            return
        for change in self._vad.feed(pcm):
            if change.kind == "started":
                self._speech_start_ms = change.ms
                await self._send({"type": "input_audio_buffer.speech_started", "audio_start_ms": change.ms,
                                  "item_id": new_id("item")})  # fmt: skip
                turns = self.session.get("turn_detection") or {}
                if self.response is not None and turns.get("interrupt_response", True):
                    self.response.cancelled.set()
            else:
                await self._send({"type": "input_audio_buffer.speech_stopped", "audio_end_ms": change.ms,
                                  "item_id": new_id("item")})  # fmt: skip
                start = self._speech_start_ms if self._speech_start_ms is not None else change.ms
                await self._commit((change.ms - start) / 1000)
                if (self.session.get("turn_detection") or {}).get("create_response", True) and self.response is None:
                    self._start_response()

    def _speech_seconds_manual(self) -> float:
        return len(self._buffer) / (2 * INPUT_SAMPLE_RATE)

    async def _commit(self, speech_seconds: float) -> None:
        item_id = new_id("item")
        transcript = transcript_of(speech_seconds)
        pcm = bytes(self._buffer)
        self._buffer.clear()
        self._images.clear()
        self.turns.spoken(transcript, pcm)
        await self._send({"type": "input_audio_buffer.committed", "item_id": item_id})
        await self._send({"type": "conversation.item.created", "item": {"id": item_id, "object": "realtime.item",
                          "type": "message", "status": "completed", "role": "user",
                          "content": [{"type": "input_audio"}]}})  # fmt: skip
        await self._send({"type": "conversation.item.input_audio_transcription.delta", "item_id": item_id,
                          "content_index": 0, "text": transcript, "stash": ""})  # fmt: skip
        await self._send({"type": "conversation.item.input_audio_transcription.completed", "item_id": item_id,
                          "content_index": 0, "transcript": transcript})  # fmt: skip

    def _image(self, image: Any) -> None:
        if not self._audio_seen:
            raise _Refused("invalid_value", IMAGE_FIRST_MESSAGE, "image")
        if not isinstance(image, str) or len(image) > _IMAGE_MAX_BASE64:
            raise _Refused("invalid_value", "The image must be at most 256 KB after base64.", "image")
        try:
            data = base64.b64decode(image, validate=True)
        except (binascii.Error, ValueError):
            raise _Refused("invalid_value", "image must be base64 JPEG.", "image") from None
        if data[:3] != b"\xff\xd8\xff":
            raise _Refused("invalid_value", "The image must be a JPEG.", "image")
        self._images.append(data)
        self.record.images.append(data)

    async def _item(self, item: Any) -> None:
        if not isinstance(item, dict):
            raise _Refused("invalid_value", "conversation.item.create needs an item.", "item")
        kind = item.get("type")
        if kind == "function_call_output":
            call_id = item.get("call_id")
            if call_id not in self._known_calls:
                raise _Refused("invalid_value", f"No function call with call_id {call_id!r} in this conversation.",
                               "item.call_id")  # fmt: skip
            output = str(item.get("output") or "")
            self.record.tool_outputs.append((str(call_id), output))
            self.turns.tool_output(str(call_id), output)
        elif kind == "message" and item.get("role") == "user":
            if not self.settings.text_items:
                raise _Refused("invalid_value", "Only function_call_output items are supported.", "item.type")
            text = " ".join(str(p.get("text") or "") for p in item.get("content") or [] if isinstance(p, dict))
            self.record.texts.append(text)
            self.turns.text(text)
        else:
            raise _Refused("invalid_value", f"Unsupported item type {kind!r}.", "item.type")
        created = {"id": item.get("id") or new_id("item"), "object": "realtime.item", "status": "completed", **item}
        await self._send({"type": "conversation.item.created", "item": created})

    # -- responses ----------------------------------------------------------------------------------------------

    def _start_response(self) -> None:
        response = _Response(new_id("resp"))
        self.response = response
        self.responded.set()
        response.task = asyncio.create_task(self._respond(response))

    async def _plan(self) -> ScriptedAnswer | str:
        function = self._answer()
        if function is None:
            return own_answer(self.turns)
        try:
            return await asyncio.to_thread(scripted_answer, function, self.turns, model=self.model,
                                           session=self.session)  # fmt: skip
        except Exception as exc:
            return failure_message(exc)

    async def _respond(self, response: _Response) -> None:
        try:
            plan = await self._plan()
            base = {"id": response.id, "object": "realtime.response", "conversation_id": "conv_" + response.id[5:],
                    "modalities": self.session["modalities"], "voice": self.session.get("voice"),
                    "output_audio_format": self.session.get("output_audio_format")}  # fmt: skip
            await self._send({"type": "response.created", "response": {**base, "status": "in_progress",
                                                                        "output": []}})  # fmt: skip
            if isinstance(plan, str):
                await self._send(error_frame("InternalError", plan, kind="server_error"))
                await self._done(response, base, "failed", [], 0.0, "")
            elif plan.tool_calls:
                await self._stream_calls(response, base, plan)
            else:
                await self._stream_message(response, base, plan)
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug here must not hang the client: the response fails visibly
            logger.exception("The emulator's realtime response failed")
            await self._send(error_frame("InternalError", "The emulator failed to answer.", kind="server_error"))
        finally:
            if self.response is response:
                self.response = None

    async def _stream_calls(self, response: _Response, base: dict[str, Any], plan: ScriptedAnswer) -> None:
        items, calls = [], []
        for index, call in enumerate(plan.tool_calls):
            call_id, item_id, arguments = new_id("call"), new_id("item"), call_arguments(call.arguments)
            self._known_calls.add(call_id)
            item = {"id": item_id, "object": "realtime.item", "type": "function_call", "status": "in_progress",
                    "call_id": call_id, "name": call.name, "arguments": ""}  # fmt: skip
            where = {"response_id": response.id, "item_id": item_id, "output_index": index}
            await self._send({"type": "response.output_item.added", **where, "item": item})
            await self._send({"type": "conversation.item.created", "item": item})
            await self._send({"type": "response.function_call_arguments.delta", **where, "call_id": call_id,
                              "delta": arguments})  # fmt: skip
            await self._send({"type": "response.function_call_arguments.done", **where, "call_id": call_id,
                              "name": call.name, "arguments": arguments})  # fmt: skip
            done_item = {**item, "status": "completed", "arguments": arguments}
            await self._send({"type": "response.output_item.done", **where, "item": done_item})
            items.append(done_item)
            calls.append((call_id, call.name, arguments))
        self.turns.answered("", calls)
        await self._done(response, base, "completed", items, 0.0, "")

    async def _stream_message(self, response: _Response, base: dict[str, Any], plan: ScriptedAnswer) -> None:
        spoken = "audio" in self.session["modalities"] and plan.audio is not False
        item_id = new_id("item")
        where = {"response_id": response.id, "item_id": item_id, "output_index": 0}
        item = {"id": item_id, "object": "realtime.item", "type": "message", "status": "in_progress",
                "role": "assistant", "content": []}  # fmt: skip
        await self._send({"type": "response.output_item.added", **where, "item": item})
        await self._send({"type": "conversation.item.created", "item": item})
        await self._send({"type": "response.content_part.added", **where, "content_index": 0,
                          "part": {"type": "audio" if spoken else "text", "text": ""}})  # fmt: skip
        words = word_pieces(plan.text) or [""]
        audio = pcm_pieces(speech_pcm(plan.text)) if spoken else []
        steps = max(len(words), len(audio))
        said, seconds, cancelled = "", 0.0, False
        factor = self.settings.output_realtime_factor
        text_kind = "response.audio_transcript.delta" if spoken else "response.text.delta"
        schedule: dict[int, list[str]] = {}
        for index, word in enumerate(words):
            schedule.setdefault(index * steps // len(words), []).append(word)
        for step in range(steps):
            if response.cancelled.is_set():
                cancelled = True
                break
            for word in schedule.get(step, ()):
                said += word
                await self._send({"type": text_kind, **where, "content_index": 0, "delta": word})
            if step < len(audio):
                piece = audio[step]
                seconds += len(piece) / (2 * 24_000)
                await self._send({"type": "response.audio.delta", **where, "content_index": 0,
                                  "delta": base64.b64encode(piece).decode("ascii")})  # fmt: skip
                if factor is not None:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(response.cancelled.wait(), CHUNK_SECONDS / factor)
        if spoken:
            await self._send({"type": "response.audio_transcript.done", **where, "content_index": 0,
                              "transcript": said})  # fmt: skip
            await self._send({"type": "response.audio.done", **where, "content_index": 0})
        else:
            await self._send({"type": "response.text.done", **where, "content_index": 0, "text": said})
        await self._send({"type": "response.content_part.done", **where, "content_index": 0,
                          "part": {"type": "audio" if spoken else "text", "text": said}})  # fmt: skip
        done_item = {**item, "status": "incomplete" if cancelled else "completed",
                     "content": [{"type": "audio" if spoken else "text", "transcript": said}]}  # fmt: skip
        await self._send({"type": "response.output_item.done", **where, "item": done_item})
        self.turns.answered(said, [])
        await self._done(response, base, "cancelled" if cancelled else "completed", [done_item], seconds, said)

    async def _done(self, response: _Response, base: dict[str, Any], status: str, output: list[dict[str, Any]],
                    audio_seconds: float, text: str) -> None:  # fmt: skip
        audio_out = round(audio_seconds * AUDIO_TOKENS_PER_SECOND)
        text_out = len(text) // 4 + (1 if text else 0)
        audio_in = round(self.turns.audio_seconds_in * AUDIO_TOKENS_PER_SECOND)
        total_in = self.turns.input_tokens(str(self.session.get("instructions") or ""))
        usage = {"total_tokens": total_in + audio_out + text_out, "input_tokens": total_in,
                 "output_tokens": audio_out + text_out,
                 "input_tokens_details": {"text_tokens": total_in - audio_in, "audio_tokens": audio_in},
                 "output_tokens_details": {"text_tokens": text_out, "audio_tokens": audio_out}}  # fmt: skip
        self.record.responses.append((response.id, status))
        await self._send({"type": "response.done", "response": {**base, "status": status, "output": output,
                                                                 "usage": usage}})  # fmt: skip

    async def stop(self) -> None:
        """Stop the response under way (the connection is closing)."""
        response = self.response
        if response is not None and response.task is not None:
            response.task.cancel()
            await asyncio.gather(response.task, return_exceptions=True)
