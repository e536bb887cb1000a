"""Live voice with LangChain tools, in the shape of langchain-ai's react-voice-agent, on Qwen-Omni Realtime.

- :func:`connect`: ``async with connect(...) as (send_event, event_stream)``: send audio bytes or client events,
  read the session's typed events (:mod:`qwen_omni.realtime.events`).
- :class:`QwenOmniVoiceReactAgent`: ``await agent.aconnect(input_stream, send_output_chunk)`` takes audio (PCM16 bytes,
  or ``input_audio_buffer.append`` JSON events as a browser sends them) and gives JSON output chunks
  (``response.audio.delta``, ``input_audio_buffer.speech_started`` for barge-in, transcripts, ``response.done``);
  LangChain tools are run in the loop (``tool.ainvoke``) and each response is traced as a chat-model run of the
  callbacks, with its tool runs beneath it.

It is not a ``BaseChatModel`` (a session is a conversation, not a call), hence not ``ChatQwenOmniRealtime``.

Example (offline; drop ``base_url`` and set ``DASHSCOPE_API_KEY`` for the real service):
    >>> import asyncio
    >>> from qwen_omni.emulator import Emulator
    >>> from qwen_omni.realtime import ResponseDone, SessionConfig
    >>> async def main(base_url: str) -> str:
    ...     async with connect(base_url=base_url, api_key="sk-test", session=SessionConfig(turn_detection=None)) as (
    ...             send, events):
    ...         await send({"type": "conversation.item.create", "item": {"type": "message", "role": "user",
    ...                     "content": [{"type": "input_text", "text": "Hi"}]}})
    ...         await send({"type": "response.create"})
    ...         async for event in events:
    ...             if isinstance(event, ResponseDone):
    ...                 return event.answer.said
    ...     return ""
    >>> with Emulator() as emu:
    ...     asyncio.run(main(emu.base_url))
    'Received the text "Hi".'
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from langchain_core.callbacks import AsyncCallbackManager, AsyncCallbackManagerForLLMRun, Callbacks
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.tools import BaseTool
from langchain_core.utils import secret_from_env
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from qwen_omni.errors import APITimeoutError, InvalidRequestError
from qwen_omni.realtime import (
    DEFAULT_REALTIME_MODEL,
    AudioDelta,
    BargeIn,
    ErrorEvent,
    InputTranscriptDone,
    RealtimeEvent,
    RealtimeSession,
    RealtimeTool,
    ResponseCreated,
    ResponseDone,
    ServerVAD,
    SessionConfig,
    SessionOptions,
    SessionRenewed,
    SpeechStarted,
    TextDelta,
    ToolCall,
    TranscriptDelta,
    TurnDetection,
)
from qwen_omni.realtime.tools import tool_output_text

__all__ = ["QwenOmniVoiceReactAgent", "connect"]

SendEvent = Callable[[dict[str, Any] | str | bytes], Awaitable[None]]


@asynccontextmanager
async def connect(
    *,
    model: str = DEFAULT_REALTIME_MODEL,
    api_key: str | None = None,
    base_url: str | None = None,
    region: str | None = None,
    workspace_id: str | None = None,
    session: SessionConfig | None = None,
    options: SessionOptions | None = None,
) -> AsyncIterator[tuple[SendEvent, AsyncIterator[RealtimeEvent]]]:
    """A realtime session as ``(send_event, event_stream)``; it hangs up when the block ends.

    ``send_event`` takes PCM16 mono 16 kHz bytes (sent as paced ~100 ms appends), or a client event as a dict or
    JSON text (an ``input_audio_buffer.append`` goes through the same framing).
    """
    async with RealtimeSession.connect(model, session, api_key=api_key, base_url=base_url, region=region,
                                       workspace_id=workspace_id, options=options) as live:  # fmt: skip

        async def send_event(event: dict[str, Any] | str | bytes) -> None:
            await _send(live, event)

        yield send_event, live.events()


async def _send(session: RealtimeSession, event: dict[str, Any] | str | bytes) -> None:
    if isinstance(event, bytes | bytearray):
        await session.send_audio(bytes(event))
        return
    data = json.loads(event) if isinstance(event, str) else event
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise InvalidRequestError(f"A client event is a JSON object with a type; got {str(event)[:80]!r}.")
    if data["type"] == "input_audio_buffer.append":
        await session.send_audio(base64.b64decode(str(data.get("audio") or "")))
    else:
        await session._send(data)


def _wire_tool(tool: BaseTool) -> RealtimeTool:
    from langchain_core.utils.function_calling import convert_to_openai_tool

    function = convert_to_openai_tool(tool)["function"]
    return RealtimeTool(name=function["name"], description=function.get("description", ""),
                        parameters=function.get("parameters") or {"type": "object", "properties": {}})  # fmt: skip


class QwenOmniVoiceReactAgent(BaseModel):
    """A voice agent on Qwen-Omni Realtime that runs LangChain tools, as react-voice-agent's ``OpenAIVoiceReactAgent``.

    Example:
        >>> agent = QwenOmniVoiceReactAgent(api_key="sk-test", instructions="Be brief.")
        >>> agent.model, "sk-test" in repr(agent)
        ('qwen3.5-omni-flash-realtime', False)
    """

    model_config = ConfigDict(arbitrary_types_allowed=True, populate_by_name=True)

    model: str = DEFAULT_REALTIME_MODEL
    api_key: SecretStr | None = Field(default_factory=secret_from_env("DASHSCOPE_API_KEY", default=None),
                                      alias="dashscope_api_key")  # fmt: skip
    base_url: str | None = None
    region: str | None = None
    workspace_id: str | None = None
    instructions: str | None = None
    tools: list[BaseTool] = Field(default_factory=list)
    voice: str | None = None
    turn_detection: TurnDetection = Field(default_factory=ServerVAD)
    options: SessionOptions = Field(default_factory=SessionOptions)

    def session_config(self) -> SessionConfig:
        """The session's settings: the instructions, voice, turn detection and the tools' definitions."""
        return SessionConfig(instructions=self.instructions, voice=self.voice, turn_detection=self.turn_detection,
                             tools=[_wire_tool(t) for t in self.tools])  # fmt: skip

    async def aconnect(
        self,
        input_stream: AsyncIterator[str | bytes],
        send_output_chunk: Callable[[str], Awaitable[None]],
        *,
        callbacks: Callbacks = None,
    ) -> None:
        """Hold the conversation until ``input_stream`` ends and the last answer (and its tools) are done.

        ``input_stream`` yields PCM16 16 kHz bytes or client events (JSON text); ``send_output_chunk`` gets each
        output event as JSON text. ``callbacks`` trace each response as a chat-model run and each tool call beneath.
        """
        tools = {t.name: t for t in self.tools}
        manager = AsyncCallbackManager.configure(inheritable_callbacks=callbacks)
        key = self.api_key.get_secret_value() if self.api_key else None
        async with RealtimeSession.connect(self.model, self.session_config(), api_key=key, base_url=self.base_url,
                                           region=self.region, workspace_id=self.workspace_id,
                                           options=self.options) as session:  # fmt: skip
            runs: dict[str, AsyncCallbackManagerForLLMRun] = {}
            tool_tasks: set[asyncio.Task[None]] = set()
            heard: list[str] = []

            async def feed() -> None:
                async for item in input_stream:
                    await _send(session, item)

            feeder = asyncio.create_task(feed())
            try:
                while not (feeder.done() and session.active_response is None and not tool_tasks
                           and not session._tracker.calls and not session._tracker.pending):  # fmt: skip
                    if feeder.done() and feeder.exception() is not None:
                        raise feeder.exception()  # type: ignore[misc]
                    try:  # a short wait, to see the input end while no event comes
                        event = await session.next_event(timeout=0.25)
                    except APITimeoutError:
                        continue
                    if event is None:
                        break
                    await self._on_event(event, session, manager, runs, heard, tools, tool_tasks, send_output_chunk)
            finally:
                feeder.cancel()
                for task in tool_tasks:
                    task.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await feeder

    async def _on_event(
        self,
        event: RealtimeEvent,
        session: RealtimeSession,
        manager: AsyncCallbackManager,
        runs: dict[str, AsyncCallbackManagerForLLMRun],
        heard: list[str],
        tools: dict[str, BaseTool],
        tool_tasks: set[asyncio.Task[None]],
        out: Callable[[str], Awaitable[None]],
    ) -> None:
        match event:
            case AudioDelta(response_id=rid, pcm=pcm):
                await out(json.dumps({"type": "response.audio.delta", "response_id": rid,
                                      "delta": base64.b64encode(pcm).decode("ascii")}))  # fmt: skip
            case SpeechStarted() | BargeIn():
                await out(json.dumps({"type": "input_audio_buffer.speech_started"}))
            case InputTranscriptDone(transcript=text):
                heard.append(text)
                await out(json.dumps({"type": "conversation.item.input_audio_transcription.completed",
                                      "transcript": text}))  # fmt: skip
            case ResponseCreated(response_id=rid):
                prompt: list[BaseMessage] = [HumanMessage(heard[-1])] if heard else []
                started = await manager.on_chat_model_start(
                    {"name": "QwenOmniRealtime", "id": ["langchain_qwen_omni", "realtime", "QwenOmniVoiceReactAgent"]},
                    [prompt], run_id=uuid.uuid4(), invocation_params={"model": self.model, "response_id": rid},
                )  # fmt: skip
                runs[rid] = started[0]
            case TranscriptDelta(response_id=rid, text=text) | TextDelta(response_id=rid, text=text):
                if rid in runs:
                    await runs[rid].on_llm_new_token(text)
            case ToolCall(response_id=rid, call_id=cid, name=name, arguments=arguments):
                task = asyncio.create_task(self._run_tool(session, runs.get(rid), tools, cid, name, arguments, out))
                tool_tasks.add(task)
                task.add_done_callback(tool_tasks.discard)
            case ResponseDone(response_id=rid, answer=answer):
                await out(json.dumps({"type": "response.done", "response_id": rid, "status": answer.status,
                                      "transcript": answer.said}))  # fmt: skip
                run = runs.pop(rid, None)
                if run is not None:
                    usage = answer.usage
                    message = AIMessage(
                        answer.said,
                        response_metadata={"status": answer.status, "model": self.model},
                        tool_calls=[
                            {"name": c.name, "args": _args(c.arguments), "id": c.call_id} for c in answer.tool_calls
                        ],
                        usage_metadata={
                            "input_tokens": usage.prompt_tokens,
                            "output_tokens": usage.completion_tokens,
                            "total_tokens": usage.total_tokens,
                        }
                        if usage
                        else None,
                    )
                    await run.on_llm_end(LLMResult(generations=[[ChatGeneration(message=message)]]))
            case ErrorEvent(message=text):
                await out(json.dumps({"type": "error", "message": text}))
            case SessionRenewed(reason=reason):
                await out(json.dumps({"type": "session.renewed", "reason": reason}))
            case _:
                pass

    async def _run_tool(self, session: RealtimeSession, run: AsyncCallbackManagerForLLMRun | None,
                        tools: dict[str, BaseTool], call_id: str, name: str, arguments: dict[str, Any] | None,
                        out: Callable[[str], Awaitable[None]]) -> None:  # fmt: skip
        tool = tools.get(name)
        error = True
        if tool is None:
            output = f"Error: there is no tool named {name!r} (tools: {', '.join(tools) or 'none'})."
        elif arguments is None:
            output = "Error: the arguments are not a JSON object."
        else:
            try:
                result = await asyncio.wait_for(
                    tool.ainvoke(arguments, config={"callbacks": _beneath(run) if run else None}),
                    self.options.tool_timeout,
                )
                output, error = tool_output_text(getattr(result, "content", result)), False
            except TimeoutError:
                output = f"Error: the tool {name!r} did not answer within {self.options.tool_timeout} s."
            except Exception as exc:
                output = f"Error: the tool {name!r} failed: {type(exc).__name__}: {exc}"
        await out(json.dumps({"type": "tool.output", "call_id": call_id, "name": name, "output": output}))
        with contextlib.suppress(InvalidRequestError):  # the call's connection was renewed or lost since
            await session.send_tool_result(call_id, output, error=error)


def _beneath(run: AsyncCallbackManagerForLLMRun) -> AsyncCallbackManager:
    """The callbacks of a run under the response's run (a tool call it made)."""
    return AsyncCallbackManager(handlers=run.inheritable_handlers, inheritable_handlers=run.inheritable_handlers,
                                parent_run_id=run.run_id, tags=run.inheritable_tags,
                                inheritable_tags=run.inheritable_tags, metadata=run.inheritable_metadata,
                                inheritable_metadata=run.inheritable_metadata)  # fmt: skip


def _args(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
