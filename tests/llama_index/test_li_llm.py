"""``QwenOmni`` against the emulator: options, the four call forms and their async twins, callbacks, errors."""

from __future__ import annotations

import io
import itertools
import wave
from collections.abc import Callable

import pytest
from llama_index.core.base.llms.types import AudioBlock, ChatMessage, ChatResponse, CompletionResponse, ThinkingBlock
from llama_index.core.callbacks import CallbackManager, CBEventType, LlamaDebugHandler, TokenCountingHandler

from llama_index_qwen_omni import QwenOmni
from qwen_omni.emulator import Emulator, Fault
from qwen_omni.emulator.received import ReceivedRequest
from qwen_omni.errors import (
    APITimeoutError,
    AuthenticationError,
    CapabilityError,
    InvalidRequestError,
    MissingAPIKeyError,
    ServerError,
    StreamErrorEvent,
)
from qwen_omni.profiles import UnknownModelWarning

MakeLLM = Callable[..., QwenOmni]
Last = Callable[[], ReceivedRequest]
HI = [ChatMessage(role="user", content="Hi")]


def usage_of(request: ReceivedRequest, response: ChatResponse) -> tuple[int, int]:
    assert request.status == 200
    assert isinstance(response.raw, dict)
    usage = response.raw["usage"]
    return usage["prompt_tokens"], usage["completion_tokens"]


# -- construction and metadata ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "context", "output", "tools"),
    [
        ("qwen3.5-omni-plus", 262_144, 65_536, True),
        ("qwen3.5-omni-flash", 262_144, 65_536, True),
        ("qwen3-omni-flash", 65_536, 16_384, True),
        ("qwen-omni-turbo", 32_768, 2_048, False),
    ],
)
def test_metadata_comes_from_the_profile(model: str, context: int, output: int, tools: bool) -> None:
    meta = QwenOmni(model=model).metadata
    assert (meta.context_window, meta.num_output, meta.is_function_calling_model) == (context, output, tools)
    assert meta.is_chat_model and meta.model_name == model
    assert QwenOmni(model=model, max_tokens=100).metadata.num_output == 100


def test_unknown_model_warns_once_and_is_permissive() -> None:
    with pytest.warns(UnknownModelWarning):
        llm = QwenOmni(model="qwen9-omni-max")
    assert llm.metadata.is_function_calling_model


def test_the_key_never_shows(emu: Emulator, make_llm: MakeLLM) -> None:
    secret = "sk-do-not-print-me-123"
    llm = make_llm(api_key=secret)
    shown = [repr(llm), str(llm), llm.to_json(), str(llm.to_dict()), str(llm.client)]
    if hasattr(llm, "to_payload"):  # newer llama-index-core releases only
        shown.append(str(llm.to_payload()))
    assert not [s for s in shown if secret in s]
    with pytest.raises(AuthenticationError) as caught:  # the emulator only takes its own key
        llm.chat(HI)
    assert secret not in str(caught.value) and secret not in repr(caught.value)


def test_key_from_environment_and_missing_key(
    emu: Emulator, emulator_key: str, monkeypatch: pytest.MonkeyPatch, last: Last
) -> None:
    llm = QwenOmni(base_url=emu.base_url)  # no key yet: building is fine
    with pytest.raises(MissingAPIKeyError, match="DASHSCOPE_API_KEY"):
        llm.chat(HI)
    monkeypatch.setenv("DASHSCOPE_API_KEY", emulator_key)
    monkeypatch.setenv("DASHSCOPE_BASE_URL", emu.base_url)
    assert QwenOmni().chat(HI).message.content == 'Received the text "Hi".'
    assert last().status == 200


def test_region_picks_the_endpoint() -> None:
    assert QwenOmni(region="beijing").client.base_url == "https://dashscope.aliyuncs.com/compatible-mode/v1"
    assert QwenOmni().client.base_url == "https://dashscope-intl.aliyuncs.com/compatible-mode/v1"


def test_options_reach_the_wire(make_llm: MakeLLM, last: Last) -> None:
    llm = make_llm(
        model="qwen3.5-omni-plus",
        enable_search=True,
        search_options={"forced_search": True},
        temperature=0.3,
        top_p=0.5,
        max_tokens=50,
        additional_kwargs={"seed": 7, "stop": ["zzz"], "vl_high_resolution_images": True},
    )
    llm.chat(HI)
    payload = last().payload
    assert payload is not None
    assert payload["model"] == "qwen3.5-omni-plus"
    assert payload["enable_search"] is True
    assert payload["search_options"] == {"search_strategy": "agent", "forced_search": True}
    assert (payload["temperature"], payload["top_p"], payload["max_tokens"], payload["seed"]) == (0.3, 0.5, 50, 7)
    assert payload["stop"] == ["zzz"] and payload["vl_high_resolution_images"] is True
    assert payload["stream"] is True and payload["stream_options"] == {"include_usage": True}


def test_per_call_options_override_and_unknown_ones_raise(llm: QwenOmni, emu: Emulator, last: Last) -> None:
    llm.chat(HI, temperature=1.1, extra_body={"x_custom": 1})
    payload = last().payload
    assert payload is not None and payload["temperature"] == 1.1 and payload["x_custom"] == 1
    count = len(emu.requests)
    with pytest.raises(InvalidRequestError, match=r"Unknown option.*temprature.*extra_body"):
        llm.chat(HI, temprature=0.1)
    assert len(emu.requests) == count  # nothing was sent


def test_capability_errors_raise_before_sending(make_llm: MakeLLM, emu: Emulator) -> None:
    with pytest.raises(CapabilityError, match="no thinking mode"):
        make_llm(model="qwen3.5-omni-flash", enable_thinking=True).chat(HI)
    with pytest.raises(CapabilityError, match="text only"):
        make_llm(model="qwen3-omni-flash", enable_thinking=True, modalities=["text", "audio"]).stream_chat(HI)
    assert emu.requests == []


# -- the four call forms ------------------------------------------------------------------------------------


def test_chat_streams_on_the_wire_and_aggregates(llm: QwenOmni, last: Last) -> None:
    response = llm.chat([ChatMessage(role="system", content="Be brief."), *HI])
    request = last()
    assert request.payload is not None and request.payload["stream"] is True
    assert request.payload["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Hi"},
    ]
    assert response.message.role == "assistant"
    assert response.message.content == 'Received the text "Hi".'
    assert response.raw is not None and response.raw["finish_reason"] == "stop"
    assert response.additional_kwargs["total_tokens"] == sum(usage_of(request, response))


def test_stream_chat_yields_cumulative_messages(llm: QwenOmni) -> None:
    chunks = list(llm.stream_chat(HI))
    assert len(chunks) > 2
    assert "".join(c.delta or "" for c in chunks) == 'Received the text "Hi".'
    for earlier, later in itertools.pairwise(chunks):
        assert (later.message.content or "").startswith(earlier.message.content or "")
    assert all(c.raw is None for c in chunks[:-1])
    assert chunks[-1].raw["usage"]["completion_tokens"] > 0  # only the last one carries the usage


def test_complete_and_stream_complete(llm: QwenOmni, last: Last) -> None:
    completion = llm.complete("Hello")
    assert completion.text == 'Received the text "Hello".'
    assert last().payload["stream"] is True  # type: ignore[index]
    pieces = list(llm.stream_complete("Hello"))
    assert "".join(p.delta or "" for p in pieces) == completion.text
    assert pieces[-1].text == completion.text and pieces[-1].additional_kwargs["prompt_tokens"] > 0


async def test_async_forms(llm: QwenOmni) -> None:
    chat = await llm.achat(HI)
    assert chat.message.content == 'Received the text "Hi".'
    chunks = [c async for c in await llm.astream_chat(HI)]
    assert chunks[-1].message.content == chat.message.content
    assert "".join(c.delta or "" for c in chunks) == chat.message.content
    assert (await llm.acomplete("Hi")).text == chat.message.content
    pieces = [p async for p in await llm.astream_complete("Hi")]
    assert pieces[-1].text == chat.message.content


def test_async_calls_work_across_event_loops(llm: QwenOmni) -> None:
    import asyncio

    for _ in range(3):  # each asyncio.run closes its loop; the next one must not reuse its connections
        assert asyncio.run(llm.achat(HI)).message.content == 'Received the text "Hi".'


# -- speech and thinking ------------------------------------------------------------------------------------


def test_spoken_answer_streams_pcm_and_ends_with_a_wav(make_llm: MakeLLM, last: Last) -> None:
    llm = make_llm(modalities=["text", "audio"], voice="Ethan")
    chunks = list(llm.stream_chat(HI))
    payload = last().payload
    assert payload is not None and payload["modalities"] == ["text", "audio"]
    assert payload["audio"] == {"voice": "Ethan", "format": "wav"}
    pcm = b"".join(c.additional_kwargs.get("audio_delta", b"") for c in chunks)
    assert len([c for c in chunks if "audio_delta" in c.additional_kwargs]) > 1 and pcm
    audio = chunks[-1].message.blocks[-1]
    assert isinstance(audio, AudioBlock) and audio.format == "wav"
    with wave.open(io.BytesIO(audio.resolve_audio().read())) as wav:
        assert (wav.getframerate(), wav.getsampwidth(), wav.getnchannels()) == (24_000, 2, 1)
        assert wav.readframes(wav.getnframes()) == pcm
    assert chunks[-1].message.content == 'Received the text "Hi".'
    assert chunks[-1].raw["usage"]["completion_tokens_details"]["audio_tokens"] > 0


def test_spoken_answer_from_chat_and_complete(llm: QwenOmni) -> None:
    response = llm.chat(HI, modalities=["text", "audio"])
    assert [type(b).__name__ for b in response.message.blocks] == ["TextBlock", "AudioBlock"]
    assert llm.complete("Hi", modalities=["text", "audio"]).additional_kwargs["audio_wav"][:4] == b"RIFF"


def test_older_models_send_the_text_as_a_transcript(make_llm: MakeLLM) -> None:
    with Emulator(audio_style="transcript") as old:
        llm = make_llm(model="qwen-omni-turbo", base_url=old.base_url, modalities=["text", "audio"])
        response = llm.chat(HI)
    assert response.message.content == 'Received the text "Hi".'
    assert isinstance(response.message.blocks[-1], AudioBlock)


def test_thinking_streams_and_ends_as_a_thinking_block(make_llm: MakeLLM, last: Last) -> None:
    llm = make_llm(model="qwen3-omni-flash", enable_thinking=True, thinking_budget=200)
    chunks = list(llm.stream_chat(HI))
    assert last().payload["enable_thinking"] is True  # type: ignore[index]
    streamed = "".join(c.additional_kwargs.get("thinking_delta", "") for c in chunks)
    assert streamed.startswith("The user sent 0 media parts")
    thinking = chunks[-1].message.blocks[0]
    assert isinstance(thinking, ThinkingBlock) and thinking.content == streamed
    assert thinking.num_tokens == chunks[-1].raw["usage"]["completion_tokens_details"]["reasoning_tokens"]
    assert chunks[-1].message.content == 'Received the text "Hi".'
    assert llm.complete("Hi").additional_kwargs["thinking"] == streamed


# -- callbacks and usage ------------------------------------------------------------------------------------


def test_token_counting_reads_the_real_usage(llm: QwenOmni, last: Last) -> None:
    counter = TokenCountingHandler()
    debug = LlamaDebugHandler()
    llm.callback_manager = CallbackManager([counter, debug])
    expected = []
    calls: list[Callable[[], ChatResponse | CompletionResponse]] = [
        lambda: llm.chat(HI),
        lambda: list(llm.stream_chat(HI))[-1],
        lambda: llm.complete("Hi"),
        lambda: list(llm.stream_complete("Hi"))[-1],
    ]
    for call in calls:
        response = call()
        assert isinstance(response.raw, dict)
        usage = response.raw["usage"]
        expected.append((usage["prompt_tokens"], usage["completion_tokens"]))
    assert [(e.prompt_token_count, e.completion_token_count) for e in counter.llm_token_counts] == expected
    assert len(debug.get_event_pairs(CBEventType.LLM)) == 4  # one LLM event per call: complete() is not counted twice


async def test_token_counting_async(llm: QwenOmni) -> None:
    counter = TokenCountingHandler()
    llm.callback_manager = CallbackManager([counter])
    final = [c async for c in await llm.astream_chat(HI)][-1]
    await llm.acomplete("Hi")
    assert counter.llm_token_counts[0].prompt_token_count == final.raw["usage"]["prompt_tokens"]
    assert len(counter.llm_token_counts) == 2


# -- failures -----------------------------------------------------------------------------------------------


def test_retries_then_succeeds(make_llm: MakeLLM, emu: Emulator) -> None:
    emu.inject(Fault(status=503), times=1)
    assert make_llm(max_retries=1).chat(HI).message.content == 'Received the text "Hi".'
    assert [r.status for r in emu.requests] == [503, 200]
    emu.inject(Fault(status=503), times=1)
    with pytest.raises(ServerError):
        make_llm(max_retries=0).chat(HI)


def test_timeout(make_llm: MakeLLM, emu: Emulator) -> None:
    emu.inject(Fault(first_chunk_delay=2.0), times=1)
    with pytest.raises(APITimeoutError):
        make_llm(timeout=0.3).chat(HI)


def test_an_error_inside_the_stream_is_not_a_truncated_success(llm: QwenOmni, emu: Emulator) -> None:
    emu.inject(Fault(error_event_after=2, code="data_inspection_failed"), times=1)
    with pytest.raises(StreamErrorEvent, match="inappropriate"):
        list(llm.stream_chat(HI))
