"""``ChatQwenOmni``: Alibaba's Qwen-Omni models as a LangChain chat model.

Wiring only: LangChain messages and call options go through :mod:`._convert` to the core's
:class:`~qwen_omni.OmniClient`, which always streams; each core delta comes back as an ``AIMessageChunk``
the moment it arrives. ``invoke`` sums the same chunks and turns the streamed PCM into one WAV file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Self

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import LangSmithParams, LanguageModelInput
from langchain_core.language_models.chat_models import BaseChatModel, generate_from_stream
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.messages.block_translators import register_translator
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.prompt_values import PromptValue
from langchain_core.runnables import Runnable
from langchain_core.utils import secret_from_env
from langchain_core.utils.utils import _build_model_kwargs, get_pydantic_field_names
from pydantic import ConfigDict, Field, PrivateAttr, SecretStr, field_validator, model_validator

from qwen_omni.client import DEFAULT_TIMEOUT, OmniClient
from qwen_omni.errors import CapabilityError, InvalidRequestError, QwenOmniError
from qwen_omni.excerpt import shorten
from qwen_omni.local_media import LocalMediaPolicy, absolute_root
from qwen_omni.profiles import DEFAULT_MODEL, OUTPUT_AUDIO_FORMAT, Capability, advise, get_profile
from qwen_omni.request import Message, RequestOptions
from qwen_omni.stream import OmniResult

from ._convert import (
    PROVIDER,
    ChunkConverter,
    complete_audio,
    langchain_profile,
    to_core_messages,
    translate_content,
    translate_content_chunk,
)
from ._structured import StructuredMethod, format_tools, structured_output, tool_choice_to_wire
from .errors import to_langchain_error

register_translator(PROVIDER, translate_content, translate_content_chunk)

#: Constructor fields that become request options of the same name.
_OPTION_FIELDS = (
    "model", "modalities", "voice", "audio_format", "enable_search", "search_options", "enable_thinking",
    "thinking_budget", "temperature", "top_p", "max_tokens", "seed",
)  # fmt: skip


@dataclass(frozen=True)
class _Request:
    messages: list[Message]
    options: RequestOptions
    headers: dict[str, str] | None


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
    """Kept for compatibility: every request streams on the wire; ``True`` makes ``invoke`` run through
    LangChain's streaming path (then the message keeps PCM audio; :func:`~langchain_qwen_omni.audio_wav`
    still gives the WAV)."""
    model_kwargs: dict[str, Any] = Field(default_factory=dict)
    """Further JSON body fields, sent as they are (unknown constructor arguments land here, with a warning)."""
    extra_body: dict[str, Any] | None = None
    """Further JSON body fields, as with the OpenAI SDK's ``extra_body``."""
    default_headers: dict[str, str] | None = None
    """HTTP headers sent with every request."""
    local_media_root: str | None = None
    """The folder whose files content blocks may name (``path``, ``file://`` or bare paths in ``url``, frame
    lists); a relative path in a block is taken relative to it. ``None`` (the default): a block never makes the
    model read a local file, since message content may come from an end user. Stored as an absolute path; files
    are confined to it after resolving ``..`` and symlinks."""

    _client: OmniClient = PrivateAttr()

    @model_validator(mode="before")
    @classmethod
    def _collect_model_kwargs(cls, values: dict[str, Any]) -> Any:
        return _build_model_kwargs(values, get_pydantic_field_names(cls)) if isinstance(values, dict) else values

    @field_validator("local_media_root", mode="before")
    @classmethod
    def _absolute_root(cls, value: Any) -> Any:
        return absolute_root(value)

    @model_validator(mode="after")
    def _build_client(self) -> Self:
        self._client = OmniClient(
            api_key=self.api_key,
            base_url=self.base_url,
            region=self.region,
            workspace_id=self.workspace_id,
            max_retries=self.max_retries,
            timeout=DEFAULT_TIMEOUT if self.timeout is None else self.timeout,
            default_headers=self.default_headers,
        )
        if self.profile is None:
            self.profile = langchain_profile(self.model)
        return self

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
        call = dict(kwargs)
        for ignored in ("stream", "ls_structured_output_format"):
            call.pop(ignored, None)
        headers = call.pop("extra_headers", None)
        options = RequestOptions(
            **{name: getattr(self, name) for name in _OPTION_FIELDS},
            stop=self.stop or None,
            extra_body={**self.model_kwargs, **(self.extra_body or {})} or None,
        ).merged(stop=stop or None, **call)
        core = to_core_messages(messages, LocalMediaPolicy(self.local_media_root))
        return _Request(core, options, dict(headers) if headers else None)

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        try:
            request = self._request(messages, stop, kwargs)
            converter = ChunkConverter()
            with self._client.stream(request.messages, request.options, extra_headers=request.headers) as stream:
                for delta in stream:
                    if (chunk := converter.convert(delta)) is not None:
                        generation = ChatGenerationChunk(message=chunk)
                        if run_manager:
                            run_manager.on_llm_new_token(generation.text, chunk=generation)
                        yield generation
            last = ChatGenerationChunk(message=_close(converter, stream.result, request.options))
        except QwenOmniError as error:
            raise to_langchain_error(error) from None
        if run_manager:
            run_manager.on_llm_new_token(last.text, chunk=last)
        yield last

    async def _astream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> AsyncIterator[ChatGenerationChunk]:
        try:
            request = self._request(messages, stop, kwargs)
            converter = ChunkConverter()
            async with self._client.astream(request.messages, request.options, extra_headers=request.headers) as stream:
                async for delta in stream:
                    if (chunk := converter.convert(delta)) is not None:
                        generation = ChatGenerationChunk(message=chunk)
                        if run_manager:
                            await run_manager.on_llm_new_token(generation.text, chunk=generation)
                        yield generation
            last = ChatGenerationChunk(message=_close(converter, stream.result, request.options))
        except QwenOmniError as error:
            raise to_langchain_error(error) from None
        if run_manager:
            await run_manager.on_llm_new_token(last.text, chunk=last)
        yield last

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return _aggregate(self._stream(messages, stop, run_manager, **kwargs))

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return _aggregate([chunk async for chunk in self._astream(messages, stop, run_manager, **kwargs)])

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
        one is bound; Qwen-Omni cannot be told "call some tool" among several, so such a request is refused
        before it is sent). A forced tool is not available in thinking mode.

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
        choice = tool_choice_to_wire(tool_choice, [tool["function"]["name"] for tool in formatted])
        if choice is not None:
            kwargs["tool_choice"] = choice
        if parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = parallel_tool_calls
        return super().bind(tools=formatted, **kwargs)

    def with_structured_output(
        self,
        schema: dict[str, Any] | type | None = None,
        *,
        method: StructuredMethod = "function_calling",
        include_raw: bool = False,
        strict: bool | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, dict[str, Any] | Any]:
        """A runnable that returns ``schema``-shaped output (a pydantic object, or a dict for other schemas).

        ``method``: ``"function_calling"`` (a forced tool call; the default), ``"json_mode"`` (JSON mode, with the
        schema and the word "json" added to the prompt as the API requires) or ``"json_schema"``
        (``response_format`` type ``json_schema``, not documented by Alibaba for Qwen-Omni). With
        ``include_raw=True`` the result is ``{"raw": AIMessage, "parsed": ..., "parsing_error": ...}``.

        Example:
            >>> from pydantic import BaseModel
            >>> class Answer(BaseModel):
            ...     city: str
            >>> runnable = ChatQwenOmni(api_key="sk-test").with_structured_output(Answer)
        """
        if kwargs:
            raise ValueError(f"Unexpected arguments to with_structured_output: {sorted(kwargs)}.")
        return structured_output(self, schema, method=method, include_raw=include_raw, strict=strict)


def _close(converter: ChunkConverter, result: OmniResult, options: RequestOptions) -> AIMessageChunk:
    return converter.close(model=result.model or options.model, completion_id=result.id)


def _aggregate(chunks: Iterable[ChatGenerationChunk]) -> ChatResult:
    """``invoke``'s result: the streamed chunks summed, with the spoken answer as one WAV file.

    LangChain's ``+`` would copy the growing base64 audio string again at every chunk (quadratic in the length of
    the answer), so the audio pieces are set aside, joined once, and put back before the WAV is made.
    """
    pieces: list[str] = []

    def without_audio_data(chunk: ChatGenerationChunk) -> ChatGenerationChunk:
        audio = chunk.message.additional_kwargs.get("audio")
        if not isinstance(audio, dict) or "data" not in audio:
            return chunk
        pieces.append(str(audio["data"]))
        kept = {k: v for k, v in audio.items() if k != "data"}
        extra = {k: v for k, v in chunk.message.additional_kwargs.items() if k != "audio"}
        if kept:
            extra["audio"] = kept
        message = chunk.message.model_copy(update={"additional_kwargs": extra})
        return ChatGenerationChunk(message=message, generation_info=chunk.generation_info)

    result = generate_from_stream(without_audio_data(chunk) for chunk in chunks)
    generation = result.generations[0]
    message = generation.message
    if pieces and isinstance(message, AIMessage):
        audio = {**message.additional_kwargs.get("audio", {}), "data": "".join(pieces)}
        message = complete_audio(message.model_copy(update={"additional_kwargs": {**message.additional_kwargs,
                                                                                   "audio": audio}}))  # fmt: skip
    return ChatResult(
        generations=[ChatGeneration(message=message, generation_info=generation.generation_info)],
        llm_output=result.llm_output,
    )
