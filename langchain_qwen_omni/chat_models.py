"""``ChatQwenOmni``: Alibaba's Qwen-Omni models as a LangChain chat model.

Wiring only: LangChain messages and call options go through :mod:`._convert` to the core's
:class:`~qwen_omni.OmniClient`, which always streams; each core delta comes back as an ``AIMessageChunk``
the moment it arrives. ``invoke`` sums the same chunks and turns the streamed PCM into one WAV file.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LangSmithParams, LanguageModelInput
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.block_translators import register_translator
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.prompt_values import PromptValue
from langchain_core.runnables import Runnable
from langchain_core.utils import secret_from_env
from langchain_core.utils.utils import LC_ID_PREFIX, _build_model_kwargs, get_pydantic_field_names
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr, field_validator, model_validator

from qwen_omni.adapter_support import (
    StructuredMethod,
    json_schema_as_json_mode,
    structured_method,
    thinking_on,
)
from qwen_omni.client import OmniClient
from qwen_omni.errors import CapabilityError, InvalidRequestError, QwenOmniError
from qwen_omni.excerpt import shorten
from qwen_omni.face_kit import CONNECTION_FIELDS, FACE_FIELDS, FaceKit
from qwen_omni.local_media import LocalMediaPolicy, absolute_root
from qwen_omni.profiles import DEFAULT_MODEL, OUTPUT_AUDIO_FORMAT, Capability, advise, get_profile
from qwen_omni.prompt_tokens import TokenEstimate, prompt_tokens
from qwen_omni.request import Message, RequestOptions
from qwen_omni.stream import Delta, OmniResult
from qwen_omni.structured import DEFAULT_REPAIRS, RepairLoop, StructuredOutcome, aanswer_structured, answer_structured
from qwen_omni.tokens import text_tokens

from ._convert import langchain_profile, to_core_messages
from ._output import (
    PROVIDER,
    AnswerBuilder,
    ChunkConverter,
    structured_message,
    translate_content,
    translate_content_chunk,
)
from ._structured import (
    STRUCTURED_KWARG,
    StructuredSpec,
    check_tool_choice,
    format_tools,
    spec_of_request,
    structured_output,
    tool_choice_to_wire,
)
from .errors import to_langchain_error

register_translator(PROVIDER, translate_content, translate_content_chunk)

#: Call arguments LangChain passes that are not request options.
_NOT_OPTIONS = ("stream", "ls_structured_output_format", STRUCTURED_KWARG)


@dataclass(frozen=True)
class _Request:
    messages: list[Message]
    options: RequestOptions
    headers: dict[str, str] | None
    structured: StructuredSpec | None = None


class ChatQwenOmni(BaseChatModel):
    """Qwen-Omni chat model: text, image, audio and video in; text and speech out; always streamed.

    Setup: ``pip install qwen-omni`` and set ``DASHSCOPE_API_KEY`` (keys are per region: Singapore by default,
    ``region="beijing"`` for the mainland endpoint). To work offline, point ``base_url`` at
    ``qwen_omni.emulator.Emulator().base_url``.

    Input: strings; OpenAI-style parts (``image_url``, ``input_audio``, ``video_url``); Omni's frame list
    ``{"type": "video", "video": [url, ...]}``; LangChain v1 ``image`` / ``audio`` / ``video`` blocks with ``url``,
    ``base64`` + ``mime_type`` or ``path``, media options (``fps``, ``min_pixels``, ``max_pixels``) in ``extras``.
    Blocks never make the model read a local file unless it was built with ``local_media_root="./uploads"``, and
    then only files inside that folder: content may come from an end user.

    Output: text in ``content``; reasoning (``enable_thinking=True`` on qwen3-omni-flash) in
    ``additional_kwargs["reasoning_content"]`` and as a v1 ``reasoning`` block; with
    ``modalities=["text", "audio"]`` the spoken answer in ``additional_kwargs["audio"]`` and as a v1 ``audio``
    block. ``invoke`` returns it as a WAV file; streamed chunks carry raw PCM16 24 kHz pieces that sum
    bit-exactly. :func:`langchain_qwen_omni.audio_wav` returns the WAV bytes from any message or sum.

    Example:
        >>> from qwen_omni.emulator import Emulator
        >>> with Emulator() as emu:
        ...     llm = ChatQwenOmni(model="qwen3.5-omni-flash", base_url=emu.base_url, api_key="sk-test")
        ...     llm.invoke("Hello!").content
        'Received the text "Hello!".'
    """

    model_config = ConfigDict(populate_by_name=True)

    model: str = Field(default=DEFAULT_MODEL, alias="model_name")
    """Model name, e.g. ``qwen3.5-omni-plus``, ``qwen3.5-omni-flash``, ``qwen3-omni-flash``, ``qwen-omni-turbo``."""
    api_key: SecretStr | None = Field(
        default_factory=secret_from_env("DASHSCOPE_API_KEY", default=None), alias="dashscope_api_key"
    )
    """DashScope API key; read from ``DASHSCOPE_API_KEY`` when not given. Checked at the first call."""
    base_url: str | None = None
    """Endpoint; defaults to ``DASHSCOPE_BASE_URL``, else the ``region``'s compatible-mode URL."""
    region: str | None = None
    """``"singapore"`` (default), ``"beijing"``, ``"virginia"``, or with ``workspace_id`` also ``"hong-kong"``,
    ``"frankfurt"`` or ``"tokyo"`` (region codes such as ``"eu-central-1"`` work too); ignored when ``base_url`` is
    set. Keys are per region."""
    workspace_id: str | None = None
    """A Model Studio workspace ID: calls go to its endpoint in ``region`` (``DASHSCOPE_WORKSPACE_ID`` if unset)."""
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: list[str] | None = Field(default=None, alias="stop_sequences")
    seed: int | None = None
    max_retries: int = 2
    """Retries (with backoff, honouring ``Retry-After``) of failures before the first delta arrived."""
    timeout: float | None = None
    """Seconds for the whole request; ``None`` uses the client's default (600 s)."""
    modalities: list[Literal["text", "audio"]] | None = None
    """``["text", "audio"]`` for a spoken answer as well as text."""
    voice: str | None = None
    """Voice of the spoken answer (default: the model's, e.g. ``Tina`` or ``Cherry``)."""
    audio_format: str = OUTPUT_AUDIO_FORMAT
    """The requested audio format; the API accepts only ``wav`` (and streams raw PCM16 anyway)."""
    enable_search: bool | None = None
    """Web search (Qwen3.5-Omni, qwen3.8-omni-flash); sources are not returned in compatible mode."""
    search_options: dict[str, Any] | None = None
    """e.g. ``{"forced_search": True}``; ``search_strategy`` is always ``"agent"``."""
    enable_thinking: bool | None = None
    """Thinking mode (qwen3-omni-flash; qwen3.8-omni-flash thinks unless this is False): reasoning first,
    text-only answer."""
    thinking_budget: int | None = None
    """Most reasoning tokens, with ``enable_thinking``."""
    streaming: bool = False
    """Kept for compatibility, with no effect: every request streams on the wire, ``invoke`` always streams its
    chunks to callbacks (``astream_events``, LangGraph's ``stream_mode="messages"``) and returns the whole answer,
    a spoken one as one WAV file."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Further JSON body fields, sent as they are (unknown constructor arguments land here, with a warning)."""
    extra_body: dict[str, Any] | None = None
    """Further JSON body fields, as with the OpenAI SDK's ``extra_body``."""
    default_headers: dict[str, str] | None = None
    """HTTP headers sent with every request."""
    structured_output_repairs: int = Field(default=DEFAULT_REPAIRS, ge=0)
    """Repair requests after a structured answer (``with_structured_output``, an agent's ``response_format``) that
    does not fit its schema: each sends the answer back with the validation errors. 0 sends none."""
    local_media_root: str | None = None
    """The folder whose files content blocks may name (``path``, ``file://`` or bare paths in ``url``, frame
    lists); a relative path in a block is taken relative to it. ``None`` (the default): a block never makes the
    model read a local file, since message content may come from an end user. Stored as an absolute path; files
    are confined to it after resolving ``..`` and symlinks."""

    _client: OmniClient | None = PrivateAttr(default=None)
    _client_key: tuple[Any, ...] | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _collect_model_kwargs(cls, values: dict[str, Any]) -> Any:
        return _build_model_kwargs(values, get_pydantic_field_names(cls)) if isinstance(values, dict) else values

    @field_validator("local_media_root", mode="before")
    @classmethod
    def _absolute_root(cls, value: Any) -> Any:
        return absolute_root(value)

    @model_validator(mode="after")
    def _check_connection(self) -> ChatQwenOmni:
        self._omni_client()  # a bad region fails here, at construction
        if self.profile is None:
            self.profile = langchain_profile(self.model)
        return self

    def _omni_client(self) -> OmniClient:
        """The core client, rebuilt when a connection field differs from the one it was built with (a model made
        by ``model_copy(update={"base_url": ...})``, or unpickled in another process)."""
        key = tuple(getattr(self, name) for name in CONNECTION_FIELDS)
        if self._client is None or key != self._client_key:
            self._client = OmniClient(**self.client_settings())
            self._client_key = key
        return self._client

    def face_kit(self) -> FaceKit:
        """What this model hands the core and the long-media pipeline: its connection, the options of every request
        (its fields and ``model_kwargs``), its structured-output repairs (:mod:`qwen_omni.face_kit`, the same for
        LlamaIndex's ``QwenOmni``)."""
        return FaceKit.of({name: getattr(self, name) for name in FACE_FIELDS}, body=self.model_kwargs)

    def client_settings(self) -> dict[str, Any]:
        """The core client's connection settings from this model's fields (for a client of one's own, e.g. with a
        ``rate_limiter``)."""
        return dict(self.face_kit().connection)

    def __getstate__(self) -> dict[Any, Any]:
        """Pickle without the client (its connections belong to this process) and, when the key came from
        ``DASHSCOPE_API_KEY``, without the key: the unpickled model reads it from its own environment."""
        state = dict(super().__getstate__())
        state["__pydantic_private__"] = {**(state.get("__pydantic_private__") or {}), "_client": None,
                                         "_client_key": None}  # fmt: skip
        if "api_key" not in self.model_fields_set:
            state["__dict__"] = {**state["__dict__"], "api_key": None}
            state["__qwen_omni_key_from_env__"] = True
        return state

    def __setstate__(self, state: dict[Any, Any]) -> None:
        from_env = state.pop("__qwen_omni_key_from_env__", False)
        super().__setstate__(state)
        if from_env:
            key = os.environ.get("DASHSCOPE_API_KEY")
            object.__setattr__(self, "api_key", SecretStr(key) if key else None)

    # -- LangChain plumbing --------------------------------------------------------------------------------

    @property
    def _llm_type(self) -> str:
        return "qwen-omni-chat"

    @property
    def lc_secrets(self) -> dict[str, str]:
        return {"api_key": "DASHSCOPE_API_KEY"}

    @classmethod
    def is_lc_serializable(cls) -> bool:
        return True

    @classmethod
    def get_lc_namespace(cls) -> list[str]:
        return ["langchain_qwen_omni", "chat_models"]

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = LangSmithParams(
            ls_provider=PROVIDER, ls_model_name=kwargs.get("model") or self.model, ls_model_type="chat"
        )
        if (temperature := kwargs.get("temperature", self.temperature)) is not None:
            params["ls_temperature"] = temperature
        if (max_tokens := kwargs.get("max_tokens", self.max_tokens)) is not None:
            params["ls_max_tokens"] = max_tokens
        if stop := stop or kwargs.get("stop") or self.stop:
            params["ls_stop"] = stop
        return params

    def _convert_input(self, model_input: LanguageModelInput) -> PromptValue:
        """LangChain's reading of ``invoke``'s input; what it refuses is refused as one of this package's errors."""
        try:
            return super()._convert_input(model_input)
        except (ValueError, TypeError, NotImplementedError) as exc:
            if isinstance(exc, QwenOmniError):
                raise
            raise InvalidRequestError(
                f"ChatQwenOmni cannot read this input: {shorten(str(exc), 300)} Pass a string, a list of messages "
                "(HumanMessage, AIMessage, ... or (role, text) tuples), or a prompt value."
            ) from exc

    # -- requests ------------------------------------------------------------------------------------------

    def _request(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]) -> _Request:
        call = {k: v for k, v in kwargs.items() if k not in _NOT_OPTIONS}
        headers = call.pop("extra_headers", None)
        options = self.face_kit().options.merged(**{**call, "stop": stop or None})
        core = to_core_messages(messages, LocalMediaPolicy(self.local_media_root))
        structured = spec_of_request(kwargs)
        core, options = json_schema_as_json_mode(core, options)
        names = [str((tool.get("function") or {}).get("name")) for tool in options.tools or ()]
        check_tool_choice(options.tool_choice, names, thinking=thinking_on(options))
        return _Request(core, options, dict(headers) if headers else None, structured)

    def _should_stream(
        self,
        *,
        async_api: bool,
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> bool:
        """Only ``stream()`` / ``astream()`` (which ask with ``stream=True``) take LangChain's streaming path.

        ``invoke`` and ``generate`` always run :meth:`_generate`, which streams every chunk to the callbacks as it
        arrives (``astream_events``, LangGraph's ``stream_mode="messages"``, tracers) and returns the whole answer
        built once: so the final message, a spoken one as one WAV file, is the same on every path. A structured
        request is never streamed: its answer is validated (and repaired) whole first.
        """
        if not kwargs.get("stream") or spec_of_request(kwargs) is not None:
            return False  # a structured answer is checked whole before anyone sees it: stream() yields it at once
        return super()._should_stream(async_api=async_api, run_manager=run_manager, **kwargs)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        try:
            request = self._request(messages, stop, kwargs)
            converter = ChunkConverter(output_version=self.output_version)
            stream = self._omni_client().stream(
                request.messages, request.options, extra_headers=request.headers, keep_audio=False
            )
            with stream:
                for delta in stream:
                    if (chunk := converter.convert(delta)) is not None:
                        yield self._streamed(chunk, run_manager)
            last = converter.close(model=stream.result.model or request.options.model, completion_id=stream.result.id)
        except QwenOmniError as error:
            raise to_langchain_error(error) from None
        yield self._streamed(last, run_manager)

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        try:
            request = self._request(messages, stop, kwargs)
            converter = ChunkConverter(output_version=self.output_version)
            stream = self._omni_client().astream(
                request.messages, request.options, extra_headers=request.headers, keep_audio=False
            )
            async with stream:
                async for delta in stream:
                    if (chunk := converter.convert(delta)) is not None:
                        yield await self._astreamed(chunk, run_manager)
            last = converter.close(model=stream.result.model or request.options.model, completion_id=stream.result.id)
        except QwenOmniError as error:
            raise to_langchain_error(error) from None
        yield await self._astreamed(last, run_manager)

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        try:
            request = self._request(messages, stop, kwargs)
            if request.structured is not None:
                client = self._omni_client()
                outcome = answer_structured(
                    lambda sent: client.complete(sent, request.options, extra_headers=request.headers),
                    self._repair_loop(request),
                )
                return self._structured_result(request, outcome, run_manager)
            answer = _Answer(request, run_manager, self.output_version)
            stream = self._omni_client().stream(
                request.messages, request.options, extra_headers=request.headers, keep_audio=False
            )
            with stream:
                for delta in stream:
                    if (chunk := answer.add(delta)) is not None:
                        self._streamed(chunk, run_manager)
            if (chunk := answer.close(stream.result)) is not None:
                self._streamed(chunk, run_manager)
            return answer.result(stream.result)
        except QwenOmniError as error:
            raise to_langchain_error(error) from None

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        try:
            request = self._request(messages, stop, kwargs)
            if request.structured is not None:
                client = self._omni_client()
                outcome = await aanswer_structured(
                    lambda sent: client.acomplete(sent, request.options, extra_headers=request.headers),
                    self._repair_loop(request),
                )
                return self._structured_result(request, outcome, run_manager)
            answer = _Answer(request, run_manager, self.output_version)
            stream = self._omni_client().astream(
                request.messages, request.options, extra_headers=request.headers, keep_audio=False
            )
            async with stream:
                async for delta in stream:
                    if (chunk := answer.add(delta)) is not None:
                        await self._astreamed(chunk, run_manager)
            if (chunk := answer.close(stream.result)) is not None:
                await self._astreamed(chunk, run_manager)
            return answer.result(stream.result)
        except QwenOmniError as error:
            raise to_langchain_error(error) from None

    def _repair_loop(self, request: _Request) -> RepairLoop:
        spec = request.structured
        assert spec is not None
        return RepairLoop(
            spec.schema,
            request.messages,
            via=spec.via,
            tool_name=spec.tool_name,
            repairs=self.structured_output_repairs,
        )

    def _structured_result(
        self,
        request: _Request,
        outcome: StructuredOutcome,
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None,
    ) -> ChatResult:
        """The checked answer: its JSON (prose dropped) when it fits, else the last answer as it came; the usage of
        every request."""
        message_id = _message_id(run_manager) if run_manager is not None else None
        message = structured_message(outcome, model=request.options.model, message_id=message_id)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _streamed(self, chunk: AIMessageChunk, run_manager: CallbackManagerForLLMRun | None) -> ChatGenerationChunk:
        generation = ChatGenerationChunk(message=self._for_callbacks(chunk, run_manager))
        if run_manager:
            run_manager.on_llm_new_token(generation.text, chunk=generation)
        return generation

    async def _astreamed(
        self, chunk: AIMessageChunk, run_manager: AsyncCallbackManagerForLLMRun | None
    ) -> ChatGenerationChunk:
        generation = ChatGenerationChunk(message=self._for_callbacks(chunk, run_manager))
        if run_manager:
            await run_manager.on_llm_new_token(generation.text, chunk=generation)
        return generation

    def _for_callbacks(
        self, chunk: AIMessageChunk, run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None
    ) -> AIMessageChunk:
        """A chunk as LangChain's own streaming path hands it to callbacks: the run's id, v1 content if asked."""
        if run_manager is None:
            return chunk  # stream() / astream(): LangChain sets the id and the v1 content itself
        chunk.id = _message_id(run_manager)
        if self.output_version == "v1":
            metadata = {**chunk.response_metadata, "output_version": "v1"}
            chunk = chunk.model_copy(update={"content": chunk.content_blocks, "response_metadata": metadata})
        return chunk

    # -- token counts ---------------------------------------------------------------------------------------

    def get_num_tokens(self, text: str) -> int:
        """An estimate of the tokens in ``text``, made offline: about four characters a token.

        Qwen's tokenizer is not bundled (nothing is downloaded, no ``transformers``): the count is the estimate the
        long-media planner uses (:mod:`qwen_omni.prompt_tokens`), close for English and low for Chinese or
        Japanese. Set ``custom_get_token_ids`` for exact counts from a tokenizer of your own.

        Example:
            >>> ChatQwenOmni(api_key="sk-test").get_num_tokens("How long is this recording?")
            7
        """
        if self.custom_get_token_ids is not None:
            return len(self.custom_get_token_ids(text))
        return text_tokens(len(text))

    def get_num_tokens_from_messages(self, messages: list[BaseMessage], tools: Sequence[Any] | None = None) -> int:
        """An estimate of the input tokens of ``messages`` (and ``tools``), media included, made offline.

        Text as :meth:`get_num_tokens` counts it; images, audio and video at the documented rates of this model
        (inline media are probed for their size and duration; a URL, never fetched, counts as the longest file the
        model takes). See :mod:`qwen_omni.prompt_tokens` for the rules. The server's count (``usage_metadata``)
        is the true one.

        Raises:
            QwenOmniMediaError: inline media that cannot be read.

        Example:
            >>> from langchain_core.messages import HumanMessage
            >>> from qwen_omni import samples
            >>> import base64
            >>> audio = {"type": "audio", "base64": base64.b64encode(samples.tone_wav(10.0)).decode(),
            ...          "mime_type": "audio/wav"}
            >>> ChatQwenOmni(api_key="sk-test", model="qwen3.5-omni-flash").get_num_tokens_from_messages(
            ...     [HumanMessage([audio, {"type": "text", "text": "Transcribe."}])])
            73
        """
        try:
            core = to_core_messages(messages, LocalMediaPolicy(self.local_media_root))
            estimate = prompt_tokens(core, self.model)
        except QwenOmniError as error:
            raise to_langchain_error(error) from None
        if tools:
            characters = sum(len(json.dumps(tool, ensure_ascii=False)) for tool in format_tools(tools))
            estimate = estimate + TokenEstimate(characters=characters)
        return estimate.total

    def get_token_ids(self, text: str) -> list[int]:
        """Token ids need Qwen's tokenizer, which is not bundled: set ``custom_get_token_ids``, or count with
        :meth:`get_num_tokens` (an estimate).

        Raises:
            QwenOmniCapabilityError: no ``custom_get_token_ids`` is set.
        """
        if self.custom_get_token_ids is not None:
            return self.custom_get_token_ids(text)
        raise to_langchain_error(
            CapabilityError(
                "ChatQwenOmni has no token ids offline: Qwen's tokenizer is not bundled (nothing is downloaded). "
                "Count tokens with get_num_tokens / get_num_tokens_from_messages (estimates), or pass "
                "custom_get_token_ids=your_tokenizer.encode."
            )
        )

    # -- tools and structured output -----------------------------------------------------------------------

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Any],
        *,
        tool_choice: str | bool | dict[str, Any] | None = None,
        strict: bool | None = None,
        parallel_tool_calls: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Bind tools (LangChain tools, functions, pydantic models, TypedDicts or OpenAI tool dicts).

        ``tool_choice``: ``"auto"``, ``"none"``, a tool's name, or ``"any"`` (which names the tool when exactly
        one is bound). Qwen-Omni cannot be told "call some tool" among several, nor be forced to call one in
        thinking mode: such a choice is refused here, with what to do instead.

        Raises:
            CapabilityError: the model has no tool calling (qwen-omni-turbo, qwen2.5-omni-7b).

        Example:
            >>> def get_weather(city: str) -> str:
            ...     '''The weather in a city.'''
            ...     return "sunny"
            >>> bound = ChatQwenOmni(api_key="sk-test").bind_tools([get_weather], tool_choice="any")
            >>> bound.kwargs["tool_choice"]
            {'type': 'function', 'function': {'name': 'get_weather'}}
        """
        model = kwargs.get("model") or self.model
        if not get_profile(model, warn=False).supports_tools:
            raise to_langchain_error(
                CapabilityError(f"{model} cannot call tools. {advise(Capability.TOOLS, 'drop the tools')}")
            )
        formatted = format_tools(tools, strict=strict)
        thinking = thinking_on(
            RequestOptions(model=model, enable_thinking=kwargs.get("enable_thinking", self.enable_thinking))
        )
        names = [tool["function"]["name"] for tool in formatted]
        try:
            choice = tool_choice_to_wire(tool_choice, names, thinking=thinking)
        except QwenOmniError as error:
            raise to_langchain_error(error) from None
        if choice is not None:
            kwargs["tool_choice"] = choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: StructuredMethod | None = None,
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """A runnable that returns ``schema``-shaped output (a pydantic object, or a dict for other schemas).

        ``method``: ``"function_calling"`` (a forced tool call), ``"json_mode"`` (JSON mode, with the schema and
        the word "json" added to the prompt as the API requires) or ``"json_schema"`` (which Alibaba does not
        document for Qwen-Omni, so it is sent as JSON mode with the schema in a system instruction). Unset, it is
        ``"function_calling"``, or ``"json_mode"`` in thinking mode, where a forced tool call is refused. With
        ``include_raw=True`` the result is ``{"raw": AIMessage, "parsed": ..., "parsing_error": ...}``.

        Raises:
            ModelInvalidRequestError: ``method="function_calling"`` in thinking mode (the message names the
                method to use).

        Example:
            >>> from pydantic import BaseModel
            >>> class Answer(BaseModel):
            ...     city: str
            >>> runnable = ChatQwenOmni(api_key="sk-test").with_structured_output(Answer)
        """
        if kwargs:
            raise ValueError(f"Unexpected arguments to with_structured_output: {sorted(kwargs)}.")
        options = RequestOptions(model=self.model, enable_thinking=self.enable_thinking)
        try:
            chosen = structured_method(method, options)
        except QwenOmniError as error:
            raise to_langchain_error(error) from None
        return structured_output(self, schema, method=chosen, include_raw=include_raw, strict=strict)


def _message_id(run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun) -> str:
    """The id LangChain gives a run's message; chunks and the final message share it (LangGraph dedupes by it)."""
    return f"{LC_ID_PREFIX}-{run_manager.run_id}"


class _Answer:
    """One ``invoke``: the whole answer built as it arrives, and chunks only when a callback will see them."""

    def __init__(
        self,
        request: _Request,
        run_manager: CallbackManagerForLLMRun | AsyncCallbackManagerForLLMRun | None,
        output_version: str | None,
    ) -> None:
        self.request = request
        self.run_manager = run_manager
        self.builder = AnswerBuilder()
        watched = run_manager is not None and run_manager.handlers
        self.converter = ChunkConverter(output_version=output_version) if watched else None

    def add(self, delta: Delta) -> AIMessageChunk | None:
        self.builder.add(delta)
        return self.converter.convert(delta) if self.converter is not None else None

    def close(self, result: OmniResult) -> AIMessageChunk | None:
        if self.converter is None:
            return None
        return self.converter.close(model=result.model or self.request.options.model, completion_id=result.id)

    def result(self, result: OmniResult) -> ChatResult:
        message_id = _message_id(self.run_manager) if self.run_manager is not None else None
        message = self.builder.message(result, model=self.request.options.model, message_id=message_id)
        return ChatResult(generations=[ChatGeneration(message=message)])


__all__ = ["ChatQwenOmni"]
