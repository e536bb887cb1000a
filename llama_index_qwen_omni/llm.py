"""``QwenOmni``: Qwen-Omni as a LlamaIndex ``FunctionCallingLLM``. Wiring only: conversion is in ``_convert``.

Every call streams on the wire (Qwen-Omni refuses anything else); ``chat`` and ``complete`` gather the stream.

Example:
    >>> from llama_index.core.llms import ChatMessage, ImageBlock, TextBlock
    >>> llm = QwenOmni(model="qwen3.5-omni-flash")  # the key comes from DASHSCOPE_API_KEY at the first call
    >>> llm.metadata.is_function_calling_model
    True
    >>> photo = ImageBlock(url="https://dashscope.oss-cn-beijing.aliyuncs.com/images/dog_and_girl.jpeg")
    >>> message = ChatMessage(role="user", blocks=[photo, TextBlock(text="What is in this picture?")])
    >>> # print(llm.chat([message]).message.content)
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncGenerator, Callable, Generator, Sequence
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseAsyncGen,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseAsyncGen,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.bridge.pydantic import Field, PrivateAttr, SecretStr, field_validator
from llama_index.core.instrumentation.events.llm import LLMStructuredPredictEndEvent, LLMStructuredPredictStartEvent
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.llms.llm import ToolSelection
from llama_index.core.prompts import BasePromptTemplate
from llama_index.core.types import Model, PydanticProgramMode
from llama_index_instrumentation import get_dispatcher

from qwen_omni.adapter_support import json_schema_as_json_mode, thinking_on
from qwen_omni.client import DEFAULT_TIMEOUT, OmniClient
from qwen_omni.errors import InvalidRequestError
from qwen_omni.excerpt import shorten
from qwen_omni.face_kit import CONNECTION_FIELDS, FACE_FIELDS, FaceKit
from qwen_omni.local_media import LocalMediaPolicy, absolute_root
from qwen_omni.profiles import DEFAULT_MODEL, OUTPUT_AUDIO_FORMAT, get_profile
from qwen_omni.prompt_tokens import prompt_tokens
from qwen_omni.request import Message, RequestOptions
from qwen_omni.structured import DEFAULT_REPAIRS, aanswer_structured, answer_structured

from ._convert import (
    ChatStream,
    check_chat_messages,
    keep_first_tool_call,
    resolve_tool_choice,
    to_completion_response,
    to_core_messages,
    tool_selections,
)
from ._events import achat_event, chat_event
from ._structured import structured_request, structured_value
from .tokenizer import QwenOmniTokenizer

if TYPE_CHECKING:
    from llama_index.core.tools.types import BaseTool

dispatcher = get_dispatcher(__name__)


_Method = TypeVar("_Method", bound=Callable[..., Any])


def _checked_messages(method: _Method) -> _Method:
    """``method`` (sync or async), refusing messages that are not a list of ``ChatMessage`` before it runs."""
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def checked_async(self: QwenOmni, messages: Any, **kwargs: Any) -> Any:
            check_chat_messages(messages)
            return await method(self, messages, **kwargs)

        return cast(_Method, checked_async)

    @functools.wraps(method)
    def checked(self: QwenOmni, messages: Any, **kwargs: Any) -> Any:
        check_chat_messages(messages)
        return method(self, messages, **kwargs)

    return cast(_Method, checked)


class QwenOmni(FunctionCallingLLM):
    """Alibaba's Qwen-Omni models (text, images, audio and video in; text and speech out) for LlamaIndex.

    Give media as ``ImageBlock``, ``AudioBlock`` or ``VideoBlock`` (a URL, bytes, or a path inside
    ``local_media_root``), or a video as a frame list with :func:`llama_index_qwen_omni.video_frames_block`.
    Blocks never make the model read a local file unless it was built with ``local_media_root="./uploads"``,
    and then only files inside that folder: content may come from an end user. With ``modalities=["text", "audio"]``
    the answer's last ``ChatResponse`` holds an ``AudioBlock`` with a complete WAV, and streamed responses carry
    the raw PCM16 24 kHz pieces in ``additional_kwargs["audio_delta"]`` for live playback. With
    ``enable_thinking=True`` (qwen3-omni-flash) the reasoning is a ``ThinkingBlock``, streamed in
    ``additional_kwargs["thinking_delta"]``.

    Any option can also be given per call (``llm.chat(messages, voice="Ethan")``); ``additional_kwargs`` holds
    further request fields (``response_format``..., or anything else, sent in the body). In thinking mode
    (``enable_thinking=True``, or a model that thinks by default) ``structured_predict``, ``as_structured_llm`` and
    ``FunctionAgent(output_cls=...)`` ask for the object in JSON mode, with its schema in the prompt, since the API
    refuses a forced tool call there. Either way the answer is validated by pydantic and, when it does not fit,
    repaired with one more request listing the errors (``structured_output_repairs``); then
    :class:`~llama_index_qwen_omni.errors.QwenOmniOutputParserError` (LlamaIndex's ``OutputParserException``).

    Example:
        >>> llm = QwenOmni(model="qwen3-omni-flash", modalities=["text", "audio"], voice="Cherry")
        >>> llm.metadata.context_window
        65536
        >>> # wav = llm.chat([ChatMessage(role="user", content="Say hi")]).message.blocks[-1].resolve_audio().read()
    """

    model: str = Field(default=DEFAULT_MODEL, description="A Qwen-Omni model name or snapshot.")
    api_key: SecretStr | None = Field(
        default=None, exclude=True, repr=False, description="DashScope key; DASHSCOPE_API_KEY when not given."
    )
    base_url: str | None = Field(default=None, description="The endpoint; DASHSCOPE_BASE_URL or the region's.")
    region: str | None = Field(
        default=None,
        description="'singapore' (default), 'beijing', 'virginia', or with workspace_id also 'hong-kong', "
        "'frankfurt' or 'tokyo'; keys are per region.",
    )
    workspace_id: str | None = Field(
        default=None, description="A Model Studio workspace ID: its endpoint in region (DASHSCOPE_WORKSPACE_ID)."
    )
    modalities: list[Literal["text", "audio"]] | None = Field(
        default=None, description="['text'] or ['text', 'audio'] for a spoken answer too."
    )
    voice: str | None = Field(default=None, description="The voice of a spoken answer; the model's default if unset.")
    enable_search: bool | None = Field(default=None, description="Web search (Qwen3.5-Omni, qwen3.8-omni-flash).")
    search_options: dict[str, Any] | None = Field(default=None, description="Web search options.")
    enable_thinking: bool | None = Field(
        default=None, description="Thinking mode (qwen3-omni-flash; qwen3.8-omni-flash thinks unless False)."
    )
    thinking_budget: int | None = Field(default=None, description="At most this many reasoning tokens.")
    temperature: float | None = Field(default=None, description="Sampling temperature; the model's default if unset.")
    top_p: float | None = Field(default=None, description="Nucleus sampling; the model's default if unset.")
    max_tokens: int | None = Field(default=None, description="At most this many output tokens.")
    seed: int | None = Field(default=None, description="Sampling seed, 0 to 2**31 - 1, for repeatable answers.")
    stop: list[str] | None = Field(default=None, description="Stop sequences: the answer ends before any of them.")
    audio_format: str = Field(
        default=OUTPUT_AUDIO_FORMAT, description="The requested audio format; the API accepts only 'wav'."
    )
    extra_body: dict[str, Any] | None = Field(
        default=None, description="Further JSON body fields, as with the OpenAI SDK's extra_body."
    )
    default_headers: dict[str, str] | None = Field(default=None, description="HTTP headers sent with every request.")
    max_retries: int = Field(default=2, ge=0, description="Retries of a failed request before any answer arrived.")
    timeout: float | None = Field(default=DEFAULT_TIMEOUT, description="Seconds before a request times out.")
    additional_kwargs: dict[str, Any] = Field(
        default_factory=dict, description="Further request options or body fields, sent with every call."
    )
    structured_output_repairs: int = Field(
        default=DEFAULT_REPAIRS,
        ge=0,
        description="Repair requests after a structured answer (structured_predict, as_structured_llm, an agent's "
        "output_cls) that does not fit its class: each sends the answer back with the validation errors. 0: none.",
    )
    local_media_root: str | None = Field(
        default=None,
        description=(
            "The folder whose files message blocks may name (a block's path, a file:// url, a local frame; a "
            "relative url or frame is taken inside it, a relative path as LlamaIndex validated it); None: "
            "blocks never make the model read a local file, as message content may come from an end user. Stored "
            "as an absolute path; files are confined to it after resolving '..' and symlinks."
        ),
    )

    _client: OmniClient | None = PrivateAttr(default=None)
    _client_key: tuple[Any, ...] = PrivateAttr(default=())

    def __init__(self, **data: Any) -> None:
        super().__init__(**data)
        get_profile(self.model)  # warns once about an unknown model name

    @field_validator("local_media_root", mode="before")
    @classmethod
    def _absolute_root(cls, value: Any) -> Any:
        return absolute_root(value)

    def core_messages(self, messages: Sequence[ChatMessage]) -> list[Message]:
        """``messages`` in the core's terms, reading local files only as :attr:`local_media_root` allows."""
        return to_core_messages(messages, LocalMediaPolicy(self.local_media_root))

    @classmethod
    def class_name(cls) -> str:
        return "QwenOmni"

    @property
    def metadata(self) -> LLMMetadata:
        profile = get_profile(self.model, warn=False)
        return LLMMetadata(
            context_window=profile.context_window,
            num_output=self.max_tokens or profile.max_output_tokens,
            is_chat_model=True,
            is_function_calling_model=profile.supports_tools,
            model_name=self.model,
            system_role=MessageRole.SYSTEM,
        )

    @property
    def client(self) -> OmniClient:
        """The core client, for sync and async calls alike (rebuilt when a connection field changes).

        The core keeps one HTTP connection pool per event loop, so ``asyncio.run(llm.achat(...))`` works any
        number of times.
        """
        key = tuple(getattr(self, name) for name in CONNECTION_FIELDS)
        if self._client is None or key != self._client_key:
            self._client = OmniClient(**self.client_settings())
            self._client_key = key
        return self._client

    def face_kit(self) -> FaceKit:
        """What this LLM hands the core and the long-media pipeline: its connection, the options of every request
        (its fields and ``additional_kwargs``), its structured-output repairs (:mod:`qwen_omni.face_kit`, the same
        for LangChain's ``ChatQwenOmni``)."""
        return FaceKit.of({name: getattr(self, name) for name in FACE_FIELDS}, body=self.additional_kwargs)

    def client_settings(self) -> dict[str, Any]:
        """The core client's connection settings from this LLM's fields (for a client of one's own, e.g. with a
        ``rate_limiter``)."""
        return dict(self.face_kit().connection)

    def request_options(self, **overrides: Any) -> RequestOptions:
        """The options of a request: this LLM's fields, then ``additional_kwargs``, then ``overrides``.

        Names in ``additional_kwargs`` that are not options go to the request body; an unknown name in
        ``overrides`` raises (pass body fields per call as ``extra_body={...}``).

        Example:
            >>> QwenOmni(model="qwen3-omni-flash").request_options(enable_thinking=True).enable_thinking
            True
        """
        return self.face_kit().options.merged(**overrides)

    # -- chat: the decorated entry points call the undecorated ones, so one call is one LLM event -------

    # LlamaIndex's callback validates the messages as its event's field first: a str or None there would fail as
    # a pydantic error, so the shape is checked before it (_checked_messages), as one of this package's errors.

    @_checked_messages
    @llm_chat_callback()
    def chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return self._chat(messages, **kwargs)

    @_checked_messages
    @llm_chat_callback()
    async def achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        return await self._achat(messages, **kwargs)

    @_checked_messages
    @llm_chat_callback()
    def stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        return self._stream_chat(messages, **kwargs)

    @_checked_messages
    @llm_chat_callback()
    async def astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        return self._astream_chat(messages, **kwargs)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return to_completion_response(self._chat(_prompt_messages(prompt), **kwargs))

    @llm_completion_callback()
    async def acomplete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return to_completion_response(await self._achat(_prompt_messages(prompt), **kwargs))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        responses = self._stream_chat(_prompt_messages(prompt), **kwargs)
        return (to_completion_response(r) for r in responses)

    @llm_completion_callback()
    async def astream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseAsyncGen:
        responses = self._astream_chat(_prompt_messages(prompt), **kwargs)
        return (to_completion_response(r) async for r in responses)

    def _prepared(
        self, messages: Sequence[ChatMessage], kwargs: dict[str, Any]
    ) -> tuple[list[Message], RequestOptions]:
        """The core's messages and options for a call (a ``json_schema`` response format sent as JSON mode)."""
        return json_schema_as_json_mode(self.core_messages(messages), self.request_options(**kwargs))

    def _chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        builder = ChatStream()
        with self.client.stream(*self._prepared(messages, kwargs), keep_audio=False) as stream:
            for delta in stream:
                builder.gather(delta)
        return builder.finish(stream.result)

    async def _achat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponse:
        builder = ChatStream()
        async with self.client.astream(*self._prepared(messages, kwargs), keep_audio=False) as stream:
            async for delta in stream:
                builder.gather(delta)
        return builder.finish(stream.result)

    def _stream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        # Validation happens here, before the generator: a bad input raises at the call, not at the first next().
        stream = self.client.stream(*self._prepared(messages, kwargs), keep_audio=False)

        def gen() -> ChatResponseGen:
            with stream:  # closing the generator (or an error) hangs up at once
                builder = ChatStream()
                for delta in stream:
                    if (response := builder.feed(delta)) is not None:
                        yield response
                yield builder.finish(stream.result)

        return gen()

    def _astream_chat(self, messages: Sequence[ChatMessage], **kwargs: Any) -> ChatResponseAsyncGen:
        stream = self.client.astream(*self._prepared(messages, kwargs), keep_audio=False)

        async def gen() -> ChatResponseAsyncGen:
            async with stream:  # closing the generator, a cancelled task or an error hangs up at once
                builder = ChatStream()
                async for delta in stream:
                    if (response := builder.feed(delta)) is not None:
                        yield response
                yield builder.finish(stream.result)

        return gen()

    # -- structured output ------------------------------------------------------------------------------
    # Every structured path of LlamaIndex comes here: as_structured_llm(...).chat() and FunctionAgent(output_cls=...)
    # call structured_predict / astructured_predict, and StructuredLLM.stream_chat calls stream_structured_predict.

    def _ours(self) -> bool:
        """Whether structured output goes through our checked path (LlamaIndex's default program mode)."""
        return self.pydantic_program_mode == PydanticProgramMode.DEFAULT

    @dispatcher.span
    def structured_predict(
        self,
        output_cls: type[Model],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """``output_cls`` from the answer, validated (and repaired once when it does not fit).

        Raises:
            QwenOmniOutputParserError: the answer does not fit, after the repair requests (``raw`` holds it).
        """
        if not self._ours():
            return cast(Model, super().structured_predict(output_cls, prompt, llm_kwargs, **prompt_args))
        dispatcher.event(
            LLMStructuredPredictStartEvent(output_cls=output_cls, template=prompt, template_args=prompt_args)
        )
        request = structured_request(self, output_cls, prompt.format_messages(**prompt_args), llm_kwargs)
        outcome = answer_structured(
            lambda sent: chat_event(self, sent, lambda: self.client.complete(sent, request.options)), request.loop
        )
        value = cast(Model, structured_value(outcome))
        dispatcher.event(LLMStructuredPredictEndEvent(output=value))
        return value

    @dispatcher.span
    async def astructured_predict(
        self,
        output_cls: type[Model],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Model:
        """The async form of :meth:`structured_predict`."""
        if not self._ours():
            return cast(Model, await super().astructured_predict(output_cls, prompt, llm_kwargs, **prompt_args))
        dispatcher.event(
            LLMStructuredPredictStartEvent(output_cls=output_cls, template=prompt, template_args=prompt_args)
        )
        request = structured_request(self, output_cls, prompt.format_messages(**prompt_args), llm_kwargs)
        outcome = await aanswer_structured(
            lambda sent: achat_event(self, sent, lambda: self.client.acomplete(sent, request.options)), request.loop
        )
        value = cast(Model, structured_value(outcome))
        dispatcher.event(LLMStructuredPredictEndEvent(output=value))
        return value

    def stream_structured_predict(
        self,
        output_cls: type[Model],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> Generator[Model, None, None]:
        """The validated object, yielded once: an answer is checked (and repaired) whole, so no partial object is
        passed off as the answer."""
        if not self._ours():
            return cast(
                Generator[Model, None, None],
                super().stream_structured_predict(output_cls, prompt, llm_kwargs, **prompt_args),
            )

        def gen() -> Generator[Model, None, None]:
            yield self.structured_predict(output_cls, prompt, llm_kwargs, **prompt_args)

        return gen()

    async def astream_structured_predict(
        self,
        output_cls: type[Model],
        prompt: BasePromptTemplate,
        llm_kwargs: dict[str, Any] | None = None,
        **prompt_args: Any,
    ) -> AsyncGenerator[Model, None]:
        """The async form of :meth:`stream_structured_predict`."""
        if not self._ours():
            inherited = await super().astream_structured_predict(output_cls, prompt, llm_kwargs, **prompt_args)
            return cast(AsyncGenerator[Model, None], inherited)

        async def gen() -> AsyncGenerator[Model, None]:
            yield await self.astructured_predict(output_cls, prompt, llm_kwargs, **prompt_args)

        return gen()

    # -- token counts -----------------------------------------------------------------------------------

    def count_tokens(self, messages: Sequence[ChatMessage]) -> int:
        """An estimate of the input tokens of ``messages``, media included, made offline (no download).

        Text is about four characters a token; images, audio and video count at this model's documented rates
        (inline media are probed; a URL, never fetched, counts as the longest file the model takes): the rules of
        :mod:`qwen_omni.prompt_tokens`, which the long-media planner follows. The answer's ``raw["usage"]`` is the
        server's true count.

        Example:
            >>> from llama_index.core.llms import AudioBlock, TextBlock
            >>> from qwen_omni import samples
            >>> block = AudioBlock(audio=samples.tone_wav(10.0), format="wav")
            >>> QwenOmni(model="qwen3.5-omni-flash").count_tokens(
            ...     [ChatMessage(role="user", blocks=[block, TextBlock(text="Transcribe.")])])
            73
        """
        check_chat_messages(messages)
        return prompt_tokens(self.core_messages(messages), self.model).total

    @property
    def tokenizer(self) -> QwenOmniTokenizer:
        """A tokenizer of estimates for ``Settings.tokenizer`` or ``TokenCountingHandler(tokenizer=...)``."""
        return QwenOmniTokenizer()

    # -- tools ------------------------------------------------------------------------------------------

    def _prepare_chat_with_tools(
        self,
        tools: Sequence[BaseTool],
        user_msg: str | ChatMessage | None = None,
        chat_history: list[ChatMessage] | None = None,
        verbose: bool = False,
        allow_parallel_tool_calls: bool = False,
        tool_required: bool = False,
        tool_choice: str | dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Messages and tool options for ``chat``.

        Qwen-Omni takes ``tool_choice`` ``"auto"``, ``"none"`` or one named tool, never ``"required"``: a
        forced call (``tool_required=True``) names the tool when there is exactly one, and falls back to
        ``"auto"`` (with a logged warning) with several tools or in thinking mode.
        """
        specs = [tool.metadata.to_openai_tool(skip_length_check=True) for tool in tools]
        messages = list(chat_history or [])
        if isinstance(user_msg, str):
            user_msg = ChatMessage(role=MessageRole.USER, content=user_msg)
        if user_msg is not None:
            messages.append(user_msg)
        options = self.request_options(enable_thinking=kwargs.get("enable_thinking"))
        names = [spec["function"]["name"] for spec in specs]
        return {
            "messages": messages,
            "tools": specs or None,
            "tool_choice": resolve_tool_choice(tool_choice, tool_required, names, thinking=thinking_on(options)),
            "parallel_tool_calls": allow_parallel_tool_calls if specs else None,
            **kwargs,
        }

    def _validate_chat_with_tools_response(
        self,
        response: ChatResponse,
        tools: Sequence[BaseTool],
        allow_parallel_tool_calls: bool = False,
        **kwargs: Any,
    ) -> ChatResponse:
        return response if allow_parallel_tool_calls else keep_first_tool_call(response)

    def get_tool_calls_from_response(
        self, response: ChatResponse, error_on_no_tool_call: bool = True, **kwargs: Any
    ) -> list[ToolSelection]:
        """The ``ToolCallBlock`` calls of a response as ``ToolSelection`` (partial arguments while streaming)."""
        return tool_selections(response, error_on_no_tool_call)


def _prompt_messages(prompt: str) -> list[ChatMessage]:
    if not isinstance(prompt, str):
        raise InvalidRequestError(
            f"complete() takes the prompt as a string; got {type(prompt).__name__} {shorten(prompt)}. For messages "
            "or media use chat([ChatMessage(...)])."
        )
    return [ChatMessage(role=MessageRole.USER, content=prompt)]


__all__ = ["QwenOmni"]
