"""The long-media pipeline behind ``QwenOmniMediaLoader`` and the media tool, built from a ``ChatQwenOmni``.

What carries over is the chat model's face kit (:mod:`qwen_omni.face_kit`, the same as LlamaIndex's): its key,
endpoint, retries, timeout and headers, and every request option it holds (search, thinking, sampling, stop, seed,
extra body fields; the pipeline answers in text, so it drops the spoken answer's). The pipeline's client has a rate
limiter, so that every request of one loader (or tool) shares one request and token budget, whatever the calls and
threads.

Each segment request is also a run of the chat model for LangChain, as LlamaIndex's reader makes each an LLM event:
its ``callbacks`` (with its ``tags`` and ``metadata``) see a chat-model start and end with the answer's usage
(``UsageMetadataCallbackHandler`` counts the loader's tokens), the media in the run's messages described, not
carried; and its own ``rate_limiter`` (LangChain's ``InMemoryRateLimiter``), if it has one, gates each request.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import AsyncCallbackManager
from langchain_core.messages import AIMessage, BaseMessage, ChatMessage
from langchain_core.outputs import ChatGeneration, LLMResult

from qwen_omni.client import OmniClient
from qwen_omni.face_kit import MediaLoaderConfig, describe_message
from qwen_omni.longmedia import Ask, LongMedia
from qwen_omni.request import Message, RequestOptions
from qwen_omni.stream import OmniResult

from ._output import AnswerBuilder
from .chat_models import ChatQwenOmni

__all__ = ["ask_through", "build_pipeline", "split_settings"]


def _shown(messages: list[Message]) -> list[BaseMessage]:
    return [ChatMessage(role=m.role, content=describe_message(m)) for m in messages]


def ask_through(llm: ChatQwenOmni, client: OmniClient) -> Ask:
    """Send each request with ``client`` as a run of ``llm``: its callbacks see it, its rate limiter gates it."""

    async def ask(messages: list[Message], options: RequestOptions) -> OmniResult:
        if llm.rate_limiter is not None:
            await llm.rate_limiter.aacquire(blocking=True)
        manager = AsyncCallbackManager.configure(llm.callbacks, None, llm.verbose, llm.tags, None, llm.metadata, None)
        (run,) = await manager.on_chat_model_start(
            llm._serialized, [_shown(messages)], invocation_params={"model": options.model, "_type": llm._llm_type}
        )
        try:
            result = await client.acomplete(messages, options)
        except BaseException as error:
            await run.on_llm_error(error)
            raise
        message: AIMessage = AnswerBuilder().message(result, model=options.model)
        await run.on_llm_end(LLMResult(generations=[[ChatGeneration(message=message)]]))
        return result

    return ask


def build_pipeline(llm: ChatQwenOmni, config: MediaLoaderConfig) -> LongMedia:
    """The pipeline of a loader or tool: ``llm``'s face kit, ``config``'s settings, each request a run of ``llm``."""
    return llm.face_kit().pipeline(config, ask=lambda client: ask_through(llm, client))


def split_settings(
    config: MediaLoaderConfig | None, llm: ChatQwenOmni | None, settings: dict[str, Any], *, owner: str
) -> tuple[MediaLoaderConfig, ChatQwenOmni]:
    """A loader's config and chat model from its keywords: ``MediaLoaderConfig``'s names, else ``ChatQwenOmni``'s.

    Raises:
        InvalidRequestError: both a config and its settings, both ``llm`` and its options, or a name of neither.
    """
    fields = {*ChatQwenOmni.model_fields, *(f.alias for f in ChatQwenOmni.model_fields.values() if f.alias)}
    config, options = MediaLoaderConfig.of_keywords(
        config, settings, owner=owner, llm_given=llm is not None, llm_fields=fields, llm_class="ChatQwenOmni"
    )
    return config, llm or ChatQwenOmni(**options)
