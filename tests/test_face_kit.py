"""One face kit: every constructor field of both chat models reaches the long-media pipeline's requests, on the wire.

Each field of ``ChatQwenOmni`` and of ``QwenOmni`` is either a setting whose effect the emulator's journal shows
when a loader (LangChain's ``QwenOmniMediaLoader``) or a reader (LlamaIndex's ``QwenOmniReader``) built from that
chat model transcribes a recording, or one listed below with the reason it has no part in those requests. A field
added to either class and not classified here fails :func:`test_every_field_is_classified`, so that a setting
cannot reach one framework and not the other.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from emulator_support import EMULATOR_KEY
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.rate_limiters import InMemoryRateLimiter
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.rate_limiter import TokenBucketRateLimiter

from langchain_qwen_omni import ChatQwenOmni, QwenOmniMediaLoader
from llama_index_qwen_omni import QwenOmni, QwenOmniReader
from qwen_omni import samples
from qwen_omni.emulator import Emulator, Fault
from qwen_omni.emulator.received import ReceivedRequest
from qwen_omni.endpoints import resolve_base_url
from qwen_omni.longmedia import Recording

FACES = ["langchain", "llama_index"]
WAV = samples.tone_wav(3.0)
TEXT = "[00:00:00.000 --> 00:00:03.000] A voice at 440 Hz."


@dataclass
class Seen:
    """What the face's own machinery saw of the pipeline's requests (callbacks, rate limiter)."""

    starts: list[dict[str, Any]] = field(default_factory=list)
    usages: list[Any] = field(default_factory=list)
    acquired: int = 0


class _Handler(BaseCallbackHandler):
    def __init__(self, seen: Seen) -> None:
        self.seen = seen

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        self.seen.starts.append({"messages": messages, **kwargs})

    def on_llm_end(self, response: Any, **kwargs: Any) -> None:
        self.seen.usages.append(response.generations[0][0].message.usage_metadata)


class _CountingLangChainLimiter(InMemoryRateLimiter):
    seen: Seen | None = None

    async def aacquire(self, *, blocking: bool = True) -> bool:
        assert self.seen is not None
        self.seen.acquired += 1
        return True


class _CountingLlamaLimiter(TokenBucketRateLimiter):
    seen: Any = None

    async def async_acquire(self, num_tokens: int = 0) -> None:
        self.seen.acquired += 1


@dataclass
class Case:
    """A field's value (and any field it needs with it), what to set up first, and what the journal must show."""

    fields: Callable[[Seen], dict[str, Any]]
    check: Callable[[list[ReceivedRequest], list[str], Seen], None]
    setup: Callable[[Emulator], None] = lambda emu: None


def payload(requests: list[ReceivedRequest]) -> dict[str, Any]:
    (request,) = requests
    assert request.status == 200, request.status
    return request.payload or {}


def sends(**expected: Any) -> Callable[[list[ReceivedRequest], list[str], Seen], None]:
    def check(requests: list[ReceivedRequest], texts: list[str], seen: Seen) -> None:
        body = payload(requests)
        assert {k: body.get(k) for k in expected} == expected
        assert texts == [TEXT]

    return check


def _text_only(requests: list[ReceivedRequest], texts: list[str], seen: Seen) -> None:
    body = payload(requests)  # the pipeline answers in text: the spoken answer's options are dropped on purpose
    assert "audio" not in body and body.get("modalities") in (None, ["text"]) and texts == [TEXT]


def _refused(requests: list[ReceivedRequest], texts: list[str], seen: Seen) -> None:
    assert [r.status for r in requests] == [401] and texts == [""]  # the wrong key was the one sent


def _retried(requests: list[ReceivedRequest], texts: list[str], seen: Seen) -> None:
    assert [r.status for r in requests] == [503, 200] and texts == [TEXT]


def _timed_out(requests: list[ReceivedRequest], texts: list[str], seen: Seen) -> None:
    assert len(requests) == 1 and texts == [""]


def _reached(requests: list[ReceivedRequest], texts: list[str], seen: Seen) -> None:
    assert payload(requests) and texts == [TEXT]


def _headers(requests: list[ReceivedRequest], texts: list[str], seen: Seen) -> None:
    (request,) = requests
    assert request.headers.get("x-kit") == "yes" and texts == [TEXT]


def _search_options(requests: list[ReceivedRequest], texts: list[str], seen: Seen) -> None:
    body = payload(requests)
    assert body["enable_search"] is True and body["search_options"]["forced_search"] is True


def _seen_by_callbacks(requests: list[ReceivedRequest], texts: list[str], seen: Seen) -> None:
    assert len(requests) == 1 and len(seen.starts) == 1 and len(seen.usages) == 1
    assert "[audio: " in str(seen.starts[0]["messages"]) and "RIFF" not in str(seen.starts[0]["messages"])


def _counted(requests: list[ReceivedRequest], texts: list[str], seen: Seen) -> None:
    assert len(requests) == 1 and seen.usages and seen.usages[0] > 0


def _gated(requests: list[ReceivedRequest], texts: list[str], seen: Seen) -> None:
    assert len(requests) == 1 and seen.acquired == 1


def _tagged(requests: list[ReceivedRequest], texts: list[str], seen: Seen) -> None:
    assert len(seen.starts) == 1 and "kit" in (seen.starts[0].get("tags") or [])


def _with_metadata(requests: list[ReceivedRequest], texts: list[str], seen: Seen) -> None:
    assert len(seen.starts) == 1 and (seen.starts[0].get("metadata") or {}).get("team") == "kit"


def _lc_callbacks(seen: Seen) -> list[Any]:
    return [_Handler(seen)]


class _Tokens(TokenCountingHandler):
    seen: Any = None

    def on_event_end(self, *args: Any, **kwargs: Any) -> None:
        super().on_event_end(*args, **kwargs)
        self.seen.usages = [c.total_token_count for c in self.llm_token_counts]


def _li_callbacks(seen: Seen) -> CallbackManager:
    handler = _Tokens()
    handler.seen = seen
    return CallbackManager([handler])


def _lc_limiter(seen: Seen) -> InMemoryRateLimiter:
    limiter = _CountingLangChainLimiter()
    limiter.seen = seen
    return limiter


def _li_limiter(seen: Seen) -> TokenBucketRateLimiter:
    limiter = _CountingLlamaLimiter(requests_per_minute=600)
    limiter.seen = seen
    return limiter


THINKER = {"model": "qwen3-omni-flash", "enable_thinking": True}
#: Fields both chat models have: each reaches the pipeline's requests the same way.
SHARED: dict[str, Case] = {
    "model": Case(lambda s: {"model": "qwen3-omni-flash"}, sends(model="qwen3-omni-flash")),
    "api_key": Case(lambda s: {"api_key": "sk-not-the-emulators"}, _refused),
    "base_url": Case(lambda s: {}, _reached),
    "max_retries": Case(lambda s: {"max_retries": 1}, _retried, lambda emu: emu.inject(Fault(status=503), times=1)),
    "timeout": Case(
        lambda s: {"timeout": 0.3}, _timed_out, lambda emu: emu.inject(Fault(first_chunk_delay=5.0), times=1)
    ),
    "default_headers": Case(lambda s: {"default_headers": {"X-Kit": "yes"}}, _headers),
    "temperature": Case(lambda s: {"temperature": 0.25}, sends(temperature=0.25)),
    "top_p": Case(lambda s: {"top_p": 0.5}, sends(top_p=0.5)),
    "max_tokens": Case(lambda s: {"max_tokens": 999}, sends(max_tokens=999)),
    "seed": Case(lambda s: {"seed": 7}, sends(seed=7)),
    "stop": Case(lambda s: {"stop": ["QQQ"]}, sends(stop=["QQQ"])),
    "enable_search": Case(lambda s: {"enable_search": True}, sends(enable_search=True)),
    "search_options": Case(
        lambda s: {"enable_search": True, "search_options": {"forced_search": True}}, _search_options
    ),
    "enable_thinking": Case(lambda s: THINKER, sends(enable_thinking=True)),
    "thinking_budget": Case(lambda s: {**THINKER, "thinking_budget": 64}, sends(thinking_budget=64)),
    "modalities": Case(lambda s: {"modalities": ["text", "audio"]}, _text_only),
    "voice": Case(lambda s: {"modalities": ["text", "audio"], "voice": "Ethan"}, _text_only),
    "audio_format": Case(lambda s: {"modalities": ["text", "audio"], "audio_format": "wav"}, _text_only),
    "extra_body": Case(lambda s: {"extra_body": {"x_kit": 1}}, sends(x_kit=1)),
}
#: Each face's own fields that reach the pipeline's requests through its framework.
OWN: dict[str, dict[str, Case]] = {
    "langchain": {
        "model_kwargs": Case(lambda s: {"model_kwargs": {"x_kw": 2}}, sends(x_kw=2)),
        "callbacks": Case(lambda s: {"callbacks": _lc_callbacks(s)}, _seen_by_callbacks),
        "tags": Case(lambda s: {"callbacks": _lc_callbacks(s), "tags": ["kit"]}, _tagged),
        "metadata": Case(lambda s: {"callbacks": _lc_callbacks(s), "metadata": {"team": "kit"}}, _with_metadata),
        "rate_limiter": Case(lambda s: {"rate_limiter": _lc_limiter(s)}, _gated),
    },
    "llama_index": {
        "additional_kwargs": Case(lambda s: {"additional_kwargs": {"x_kw": 2}}, sends(x_kw=2)),
        "callback_manager": Case(lambda s: {"callback_manager": _li_callbacks(s)}, _counted),
        "rate_limiter": Case(lambda s: {"rate_limiter": _li_limiter(s)}, _gated),
    },
}
#: Fields with no part in the pipeline's requests, each with the reason.
NOT_SENT: dict[str, dict[str, str]] = {
    "both": {
        "region": "the endpoint when base_url is unset: compared on the pipeline's client (test_the_endpoint_...)",
        "workspace_id": "the endpoint when base_url is unset: compared on the pipeline's client",
        "local_media_root": "lets message blocks name local files; the pipeline reads the recordings it is given",
        "structured_output_repairs": "structured answers only; the kit carries it, and the pipeline asks none yet",
    },
    "langchain": {
        "cache": "LangChain's cache of chat answers; the pipeline keeps its own answers (cache_dir)",
        "verbose": "prints LangChain's runs to stdout (the pipeline's runs included)",
        "custom_get_token_ids": "token counting only (get_num_tokens)",
        "streaming": "no effect: every request streams",
        "disable_streaming": "how LangChain's stream() reaches the model; the pipeline does not stream to a caller",
        "output_version": "the shape of the messages the chat model returns",
        "profile": "LangChain's description of the model's features",
        "name": "the runnable's name in traces",
    },
    "llama_index": {
        "system_prompt": "LlamaIndex's prompt helpers for complete/predict; the pipeline writes its own prompts",
        "messages_to_prompt": "LlamaIndex's prompt helper for completion models",
        "completion_to_prompt": "LlamaIndex's prompt helper for completion models",
        "query_wrapper_prompt": "LlamaIndex's prompt helper for query engines",
        "output_parser": "LlamaIndex's parser of predict's text",
        "pydantic_program_mode": "how structured_predict asks; the pipeline asks no structured answer",
    },
}
CLASSES: dict[str, type[Any]] = {"langchain": ChatQwenOmni, "llama_index": QwenOmni}


@pytest.mark.parametrize("face", FACES)
def test_every_field_is_classified(face: str) -> None:
    fields = set(CLASSES[face].model_fields)
    classified = set(SHARED) | set(OWN[face]) | set(NOT_SENT["both"]) | set(NOT_SENT[face])
    assert fields == classified, {"unclassified": fields - classified, "gone": classified - fields}
    assert all(reason for reasons in NOT_SENT.values() for reason in reasons.values())


def transcribe(face: str, emu: Emulator, fields: dict[str, Any]) -> list[str]:
    """Transcribe a 3-second recording with a loader (reader) built from a chat model of ``fields``."""
    base = {"api_key": EMULATOR_KEY, "base_url": emu.base_url, "max_retries": 0, "model": "qwen3.5-omni-flash"}
    settings: dict[str, Any] = {"on_error": "skip", "retries": 0}
    if face == "langchain":
        loader = QwenOmniMediaLoader(Recording("memo.wav", data=WAV), llm=ChatQwenOmni(**{**base, **fields}),
                                     **settings)  # fmt: skip
        return [d.page_content for d in asyncio.run(loader.aload())]
    reader = QwenOmniReader(QwenOmni(**{**base, **fields}), **settings)
    return [d.text for d in reader.load_data(WAV, name="memo.wav")]


CASES = [(face, name) for face in FACES for name in [*SHARED, *OWN[face]]]


@pytest.mark.parametrize(("face", "name"), CASES, ids=[f"{f}-{n}" for f, n in CASES])
def test_each_field_reaches_the_pipelines_requests(emu: Emulator, face: str, name: str) -> None:
    case = SHARED.get(name) or OWN[face][name]
    seen = Seen()
    case.setup(emu)
    texts = transcribe(face, emu, case.fields(seen))
    case.check(emu.requests, texts, seen)


@pytest.mark.parametrize("face", FACES)
def test_the_endpoint_of_region_and_workspace_reaches_the_pipelines_client(emu: Emulator, face: str) -> None:
    fields = {"api_key": EMULATOR_KEY, "region": "beijing", "workspace_id": "ws-kit"}
    expected = resolve_base_url(region="beijing", workspace_id="ws-kit")
    if face == "langchain":
        pipeline = QwenOmniMediaLoader([], llm=ChatQwenOmni(**fields)).pipeline
    else:
        pipeline = QwenOmniReader(QwenOmni(**fields)).pipeline
    assert pipeline.client.base_url == expected != resolve_base_url()
