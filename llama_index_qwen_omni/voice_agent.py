"""``QwenOmniVoiceAgent``: a LlamaIndex voice agent (``llama_index.core.voice_agents``) on a Qwen-Omni Realtime
session, with LlamaIndex tools run in the loop.

It is built like LlamaIndex's OpenAI and Gemini Live voice agents (a websocket class, an audio interface, typed
events, ``export_messages`` / ``export_events``), over :class:`qwen_omni.realtime.RealtimeSession`, which adds what
Qwen needs: the ``response.create`` after tool outputs, barge-in that drops the stale audio, renewal and reconnection.

Example (offline; drop ``base_url`` and set ``DASHSCOPE_API_KEY`` for the real service):
    >>> import asyncio
    >>> from qwen_omni.emulator import Emulator
    >>> from llama_index_qwen_omni import AudioFileInterface, QwenOmniVoiceAgent
    >>> async def main(base_url: str) -> list[str]:
    ...     agent = QwenOmniVoiceAgent(interface=AudioFileInterface(), base_url=base_url, api_key="sk-test")
    ...     await agent.start(turn_detection=None)
    ...     await agent.send_text("Hello!")
    ...     await agent.wait_for_responses(1, timeout=10)
    ...     await agent.stop()
    ...     return [m.content for m in agent.export_messages()]
    >>> with Emulator() as emu:
    ...     asyncio.run(main(emu.base_url))
    ['Hello!', 'Received the text "Hello!".']
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence
from typing import Any

from llama_index.core.llms import AudioBlock, ChatMessage, MessageRole, TextBlock
from llama_index.core.tools import BaseTool, adapt_to_async_tool
from llama_index.core.voice_agents import BaseVoiceAgent, BaseVoiceAgentInterface, BaseVoiceAgentWebsocket

from qwen_omni.client import OmniClient
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
    ResponseDone,
    SessionConfig,
    SessionOptions,
    SessionRenewed,
    ToolCall,
    ToolResult,
    realtime_url,
)

from .voice_agent_events import (
    InterruptionEvent,
    ResponseDoneEvent,
    SessionRenewedEvent,
    ToolCallEvent,
    ToolResultEvent,
    TranscriptEvent,
    VoiceErrorEvent,
)
from .voice_agent_interface import AudioFileInterface

__all__ = ["QwenOmniVoiceAgent", "QwenOmniVoiceAgentWebsocket", "realtime_tool"]


def realtime_tool(tool: BaseTool) -> RealtimeTool:
    """A LlamaIndex tool as a realtime tool: its name, description and schema; a call runs ``tool.acall``."""
    metadata = tool.metadata

    async def run(**arguments: Any) -> str:
        output = await adapt_to_async_tool(tool).acall(**arguments)
        return str(output.content)

    return RealtimeTool(name=metadata.get_name(), description=metadata.description,
                        parameters=metadata.get_parameters_dict(), function=run)  # fmt: skip


class QwenOmniVoiceAgentWebsocket(BaseVoiceAgentWebsocket):
    """The agent's connection: a :class:`RealtimeSession` behind LlamaIndex's websocket interface.

    ``send`` takes PCM16 audio bytes (appended in ~100 ms frames) or a client event dict.
    """

    def __init__(self, uri: str, *, model: str, config: SessionConfig, client: OmniClient,
                 options: SessionOptions | None = None) -> None:  # fmt: skip
        super().__init__(uri=uri)
        self.model, self.config, self.client, self.options = model, config, client, options
        self.session: RealtimeSession | None = None

    async def aconnect(self) -> None:
        self.session = await RealtimeSession.connect(self.model, self.config, client=self.client,
                                                     options=self.options)  # fmt: skip

    def _live(self) -> RealtimeSession:
        if self.session is None:
            raise InvalidRequestError("The voice agent is not started: await agent.start() first.")
        return self.session

    async def send(self, data: Any) -> None:
        session = self._live()
        if isinstance(data, bytes | bytearray | memoryview):
            await session.send_audio(bytes(data))
        elif isinstance(data, dict) and isinstance(data.get("type"), str):
            await session._send(data)
        else:
            raise InvalidRequestError(
                f"send takes PCM16 audio bytes or a client event dict; got {type(data).__name__}."
            )

    async def close(self) -> None:
        if self.session is not None:
            await self.session.aclose()


class QwenOmniVoiceAgent(BaseVoiceAgent):
    """A Qwen-Omni Realtime voice agent for LlamaIndex.

    Args:
        ws: a websocket of one's own (default: one to ``model`` at the endpoint the settings give).
        interface: the audio input/output (default: an :class:`AudioFileInterface` with no input).
        api_key, base_url, region, workspace_id: the connection settings, as :class:`qwen_omni.OmniClient`'s.
        ws_url: a realtime URL (``wss://...``) instead of ``base_url``.
        model: a realtime model (default ``qwen3.5-omni-flash-realtime``).
        tools: LlamaIndex tools the model may call; each call is run and answered, then the answer goes on.
        options: the session's timeouts and policies (:class:`qwen_omni.realtime.SessionOptions`).
    """

    def __init__(self, ws: BaseVoiceAgentWebsocket | None = None, interface: BaseVoiceAgentInterface | None = None,
                 api_key: str | None = None, ws_url: str | None = None, model: str = DEFAULT_REALTIME_MODEL,
                 tools: Sequence[BaseTool] | None = None, *, base_url: str | None = None, region: str | None = None,
                 workspace_id: str | None = None, options: SessionOptions | None = None) -> None:  # fmt: skip
        super().__init__(ws=ws, interface=interface or AudioFileInterface(), ws_url=ws_url, api_key=api_key,
                         tools=list(tools or []))  # fmt: skip
        self.model = model
        self.options = options
        self._client = OmniClient(api_key=api_key, base_url=ws_url or base_url, region=region,
                                  workspace_id=workspace_id)  # fmt: skip
        self._tasks: list[asyncio.Task[Any]] = []
        self._responses = 0
        self._changed = asyncio.Event()
        self.failure: BaseException | None = None

    @property
    def session(self) -> RealtimeSession | None:
        """The realtime session, once started."""
        return self.ws.session if isinstance(self.ws, QwenOmniVoiceAgentWebsocket) else None

    async def start(self, *args: Any, **kwargs: Any) -> None:
        """Connect and start the conversation: ``kwargs`` are :class:`SessionConfig` fields (``instructions``,
        ``voice``, ``turn_detection``...); the interface's input, if any, streams at its pace."""
        config = SessionConfig(**kwargs, tools=[realtime_tool(t) for t in self.tools or []])
        if self.ws is None:
            uri = realtime_url(self._client.base_url, self.model)
            self.ws = QwenOmniVoiceAgentWebsocket(uri, model=self.model, config=config, client=self._client,
                                                  options=self.options)  # fmt: skip
        await self.ws.aconnect()
        if config.instructions:
            self._messages.append(ChatMessage(role=MessageRole.SYSTEM, content=config.instructions))
        assert self.interface is not None
        self.interface.start()
        self._tasks.append(asyncio.create_task(self._pump()))
        if isinstance(self.interface, AudioFileInterface) and self.interface.pcm:
            self._tasks.append(asyncio.create_task(self._feed(self.interface)))

    async def _feed(self, interface: AudioFileInterface) -> None:
        session = self.session
        assert session is not None
        await session.send_audio(interface.pcm, sample_rate=interface.sample_rate,
                                 realtime_factor=interface.realtime_factor)  # fmt: skip

    async def _pump(self) -> None:
        session = self.session
        assert session is not None
        try:
            while True:
                event = await session.next_event(timeout=3600.0)
                if event is None:
                    return
                await self.handle_message(event)
        except Exception as exc:
            self.failure = exc
        finally:
            self._changed.set()

    async def send(self, audio: Any, *args: Any, **kwargs: Any) -> None:
        """Send audio (PCM16 bytes, 16 kHz mono unless ``sample_rate=`` says otherwise) in paced ~100 ms frames."""
        session = self.session
        if session is None:
            raise InvalidRequestError("The voice agent is not started: await agent.start() first.")
        await session.send_audio(audio, sample_rate=kwargs.get("sample_rate", 16_000),
                                 realtime_factor=kwargs.get("realtime_factor"))  # fmt: skip

    async def send_text(self, text: str) -> None:
        """Say something in text (qwen3.5 and qwen3.8 models) and ask for the answer."""
        session = self.session
        if session is None:
            raise InvalidRequestError("The voice agent is not started: await agent.start() first.")
        self._messages.append(ChatMessage(role=MessageRole.USER, content=text))
        await session.send_text(text)

    async def handle_message(self, message: RealtimeEvent, *args: Any, **kwargs: Any) -> None:
        """Record one session event (messages and events) and pass the audio to the interface."""
        assert self.interface is not None
        match message:
            case AudioDelta(pcm=pcm):
                self.interface.receive(pcm)
            case BargeIn(response_id=rid):
                self.interface.interrupt()
                self._events.append(InterruptionEvent(type_t="barge_in", response_id=rid))
            case InputTranscriptDone(transcript=text):
                self._messages.append(ChatMessage(role=MessageRole.USER, content=text))
                self._events.append(TranscriptEvent(type_t="input_transcript", role="user", text=text))
            case ToolCall(call_id=cid, name=name, arguments=arguments):
                self._events.append(ToolCallEvent(type_t="tool_call", call_id=cid, name=name, arguments=arguments))
            case ToolResult(call_id=cid, name=name, output=output, error=error):
                self._events.append(ToolResultEvent(type_t="tool_result", call_id=cid, name=name, output=output,
                                                    is_error=error))  # fmt: skip
                self._messages.append(ChatMessage(role=MessageRole.TOOL, content=output,
                                                  additional_kwargs={"tool_call_id": cid, "name": name}))  # fmt: skip
            case ResponseDone(response_id=rid, status=status, answer=answer):
                blocks: list[Any] = [TextBlock(text=answer.said)] if answer.said else []
                if answer.pcm:
                    blocks.append(AudioBlock(audio=answer.wav(), format="wav"))
                if blocks:
                    self._messages.append(ChatMessage(role=MessageRole.ASSISTANT, blocks=blocks))
                self._events.append(ResponseDoneEvent(type_t="response.done", response_id=rid, status=status,
                                                      text=answer.said, audio_seconds=answer.audio_seconds,
                                                      interrupted=answer.interrupted))  # fmt: skip
                self._responses += 1
            case SessionRenewed(reason=reason):
                self._events.append(SessionRenewedEvent(type_t="session.renewed", reason=reason))
            case ErrorEvent(message=text):
                self._events.append(VoiceErrorEvent(type_t="error", message=text))
            case _:
                pass
        self._changed.set()

    async def wait_for_responses(self, count: int, *, timeout: float) -> None:  # noqa: ASYNC109 (a bounded wait is the API)
        """Wait until ``count`` responses ended since the start (and the input was all sent).

        Raises:
            APITimeoutError: not within ``timeout`` seconds. QwenOmniError: the session failed.
        """

        async def reached() -> None:
            while self._responses < count:
                if self.failure is not None:
                    raise self.failure
                self._changed.clear()
                await self._changed.wait()
            for task in self._tasks[1:]:
                await task

        try:
            await asyncio.wait_for(reached(), timeout)
        except TimeoutError:
            raise APITimeoutError(f"{count} responses did not end within {timeout} s "
                                  f"({self._responses} did).") from None  # fmt: skip

    async def interrupt(self) -> None:
        """Stop the answer under way (its rest is dropped) and the interface's playback."""
        if self.session is not None:
            await self.session.cancel_response()
        if self.interface is not None:
            self.interface.interrupt()

    async def stop(self) -> None:
        """End the conversation: the tasks stop, the session hangs up, the interface stops (and writes its file)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self.ws is not None:
            await self.ws.close()
        if self.interface is not None:
            self.interface.stop()
