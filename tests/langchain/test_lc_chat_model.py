"""``ChatQwenOmni`` against the in-process emulator: every input kind, audio, reasoning, search, thinking,
tools, structured output, callbacks, events, serialization and errors."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any
from unittest.mock import ANY

import pytest
from emulator_support import EMULATOR_KEY
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.load import dumpd, dumps, load
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from pydantic import BaseModel, Field, field_validator
from typing_extensions import TypedDict

from langchain_qwen_omni import ChatQwenOmni, audio_pcm, audio_wav
from qwen_omni import samples
from qwen_omni.audio import wav_to_pcm16
from qwen_omni.emulator import Emulator, Fault
from qwen_omni.emulator.received import ReceivedRequest
from qwen_omni.emulator.speech import speech_pcm
from qwen_omni.errors import (
    AuthenticationError,
    BadRequestError,
    CapabilityError,
    InvalidRequestError,
    LimitExceededError,
    MissingAPIKeyError,
    StreamErrorEvent,
)

Make = Callable[..., ChatQwenOmni]
Last = Callable[[], ReceivedRequest]
SPEAK = ["text", "audio"]


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def stream_sum(llm: Any, value: Any, **kwargs: Any) -> tuple[list[AIMessageChunk], AIMessageChunk]:
    chunks = list(llm.stream(value, **kwargs))
    full = chunks[0]
    for chunk in chunks[1:]:
        full = full + chunk
    return chunks, full


@tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"Sunny in {city}."


# -- text, metadata, usage -----------------------------------------------------------------------------------


def test_invoke_returns_text_metadata_and_usage(llm: ChatQwenOmni, last: Last) -> None:
    message = llm.invoke("Hello there")
    assert message.content == 'Received the text "Hello there".'
    metadata = message.response_metadata
    assert metadata["model_name"] == "qwen3.5-omni-flash" and metadata["finish_reason"] == "stop"
    assert metadata["id"].startswith("chatcmpl-") and metadata["model_provider"] == "qwen_omni"
    assert metadata["prompt_tokens_details"]["text_tokens"] > 0
    usage = message.usage_metadata
    assert usage is not None and usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"] > 0
    payload = last().payload or {}
    assert payload["stream"] is True and payload["stream_options"] == {"include_usage": True}


def test_stream_passes_each_delta_on(llm: ChatQwenOmni) -> None:
    chunks, full = stream_sum(llm, "Tell me about the sea")
    texts = [c.content for c in chunks if c.content]
    assert len(texts) > 1 and "".join(texts) == full.content == 'Received the text "Tell me about the sea".'
    assert full.usage_metadata is not None and full.response_metadata["finish_reason"] == "stop"
    assert chunks[-1].chunk_position == "last"


async def test_async_invoke_stream_and_batch(make_llm: Make) -> None:
    llm = make_llm()  # a fresh model per event loop
    message = await llm.ainvoke("Hi")
    assert message.content == 'Received the text "Hi".'
    chunks = [c async for c in llm.astream("Hi")]
    assert "".join(str(c.content) for c in chunks) == message.content
    answers = await llm.abatch(["one", "two"])
    assert [a.content for a in answers] == ['Received the text "one".', 'Received the text "two".']


def test_batch(llm: ChatQwenOmni) -> None:
    assert [m.content for m in llm.batch(["a", "b"])] == ['Received the text "a".', 'Received the text "b".']


def test_fields_reach_the_payload_and_per_call_options_override_them(make_llm: Make, last: Last) -> None:
    llm = make_llm(
        model_name="qwen3-omni-flash",
        temperature=0.2,
        top_p=0.9,
        max_tokens=50,
        seed=7,
        stop_sequences=["zzz"],
        model_kwargs={"presence_penalty": 0.5},
        extra_body={"vl_high_resolution_images": False},
    )
    llm.invoke("Hi")
    payload = last().payload or {}
    assert {k: payload[k] for k in ("model", "temperature", "top_p", "max_tokens", "seed", "stop")} == {
        "model": "qwen3-omni-flash", "temperature": 0.2, "top_p": 0.9, "max_tokens": 50, "seed": 7, "stop": ["zzz"]
    }  # fmt: skip
    assert payload["presence_penalty"] == 0.5 and payload["vl_high_resolution_images"] is False
    llm.invoke("Hi", temperature=0.5, stop=["Hi"], model="qwen3.5-omni-plus")
    payload = last().payload or {}
    assert (payload["temperature"], payload["stop"], payload["model"]) == (0.5, ["Hi"], "qwen3.5-omni-plus")
    bound = llm.bind(seed=11, extra_body={"foo": 1})
    bound.invoke("Hi")
    payload = last().payload or {}
    assert payload["seed"] == 11 and payload["foo"] == 1 and payload["presence_penalty"] == 0.5


def test_per_call_headers(llm: ChatQwenOmni, last: Last) -> None:
    llm.invoke("Hi", extra_headers={"X-Trace-Id": "abc"})
    assert last().headers["x-trace-id"] == "abc"


def test_unknown_call_option_is_a_clear_error(llm: ChatQwenOmni, emu: Emulator) -> None:
    with pytest.raises(InvalidRequestError, match="Unknown option"):
        llm.invoke("Hi", temprature=0.5)
    assert emu.requests == []


def test_stop_cuts_the_answer(llm: ChatQwenOmni) -> None:
    assert llm.invoke("Hello there", stop=["there"]).content == 'Received the text "Hello '


# -- input kinds ---------------------------------------------------------------------------------------------


def test_image_inputs_by_bytes_url_path_and_openai_part(make_llm: Make, last: Last, tmp_path: Path) -> None:
    png = samples.image_png(64, 48)
    path = tmp_path / "shot.png"
    path.write_bytes(samples.image_jpeg(40, 30))
    make_llm(local_media_root=tmp_path).invoke(
        [
            HumanMessage(
                [
                    {"type": "text", "text": "Compare these."},
                    {"type": "image", "base64": b64(png), "mime_type": "image/png", "extras": {"max_pixels": 50176}},
                    {"type": "image", "url": "https://example.com/cat.png"},
                    {"type": "image", "path": str(path)},
                    {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b64(png)}"}},
                ]
            )
        ]
    )
    parts = last().parts
    assert [(p.kind, p.source) for p in parts] == [("image", "inline"), ("image", "url"), ("image", "inline"),
                                                    ("image", "inline")]  # fmt: skip
    assert (parts[0].info.width, parts[0].info.height, parts[0].size_bytes) == (64, 48, len(png))  # type: ignore[union-attr]
    assert parts[0].options == {"max_pixels": 50176} and parts[0].mime_type == "image/png"
    assert parts[1].url == "https://example.com/cat.png"
    assert (parts[2].info.width, parts[2].mime_type) == (40, "image/jpeg")  # type: ignore[union-attr]


def test_audio_inputs_v1_and_openai_style(llm: ChatQwenOmni, last: Last) -> None:
    mp3, wav = samples.tone_mp3(1.0), samples.tone_wav(2.0)
    llm.invoke([HumanMessage([{"type": "audio", "base64": b64(mp3), "mime_type": "audio/mpeg"}, "What is it?"])])
    (part,) = last().parts
    assert (part.kind, part.format, part.size_bytes) == ("audio", "mp3", len(mp3))
    assert part.info is not None and part.info.duration == pytest.approx(1.0, abs=0.1)
    message = llm.invoke([HumanMessage([{"type": "input_audio", "input_audio": {"data": b64(wav), "format": "wav"}}])])
    (part,) = last().parts
    assert (part.format, part.size_bytes) == ("wav", len(wav))
    assert "audio" in str(message.content) and (message.usage_metadata or {})["input_token_details"]["audio"] > 0


def test_video_file_and_frame_list(make_llm: Make, last: Last) -> None:
    llm = make_llm(model="qwen3-omni-flash")
    mp4 = samples.video_mp4(2.0)
    llm.invoke([HumanMessage([{"type": "video", "base64": b64(mp4), "mime_type": "video/mp4", "extras": {"fps": 1}},
                              "Describe it."])])  # fmt: skip
    (part,) = last().parts
    assert (part.kind, part.options, part.size_bytes) == ("video", {"fps": 1}, len(mp4))
    assert part.info is not None and part.info.duration == pytest.approx(2.0, abs=0.2)
    frames = [f"data:image/jpeg;base64,{b64(f)}" for f in samples.frames_jpeg(4)]
    llm.invoke([HumanMessage([{"type": "video", "video": frames}, {"type": "text", "text": "What moves?"}])])
    (part,) = last().parts
    assert (part.kind, part.frame_count) == ("video_frames", 4)
    llm.invoke([HumanMessage([{"type": "video", "url": "https://example.com/clip.mp4"}, "Summarise."])])
    assert last().parts[0].url == "https://example.com/clip.mp4"


def test_limits_are_checked_before_sending(make_llm: Make, emu: Emulator) -> None:
    llm = make_llm(model="qwen3-omni-flash")
    two_videos = HumanMessage(
        [{"type": "video", "url": "https://e.com/a.mp4"}, {"type": "video", "url": "https://e.com/b.mp4"}]
    )
    with pytest.raises(LimitExceededError, match="one video file"):
        llm.invoke([two_videos])
    with pytest.raises(InvalidRequestError, match="documents"):
        llm.invoke([HumanMessage([{"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf"}])])
    assert emu.requests == []


# -- conversations -------------------------------------------------------------------------------------------


def test_history_reduces_spoken_and_thinking_turns_to_text(make_llm: Make, last: Last) -> None:
    speaker = make_llm(model="qwen3-omni-flash", modalities=SPEAK)
    spoken = speaker.invoke("Say hi")
    thinker = make_llm(model="qwen3-omni-flash", enable_thinking=True)
    thought = thinker.invoke("Think about it")
    speaker.invoke([SystemMessage("Be brief."), HumanMessage("Say hi"), spoken, HumanMessage("Think about it"), thought,
                    HumanMessage("And now?")])  # fmt: skip
    messages = (last().payload or {})["messages"]
    assert [m["role"] for m in messages] == ["system", "user", "assistant", "user", "assistant", "user"]
    assert messages[2]["content"] == spoken.content and messages[4]["content"] == thought.content
    assert "audio" not in json.dumps(messages[2]) and "reasoning" not in json.dumps(messages[4])


# -- audio out -----------------------------------------------------------------------------------------------


def test_invoke_returns_the_spoken_answer_in_the_one_shape(make_llm: Make, last: Last) -> None:
    llm = make_llm(modalities=SPEAK, voice="Tina")
    message = llm.invoke("Say hello")
    assert (last().payload or {})["audio"] == {"voice": "Tina", "format": "wav"}
    audio = message.additional_kwargs["audio"]
    assert list(audio) == ["id", "format", "sample_rate", "pcm", "transcript"]
    assert (audio["format"], audio["sample_rate"], audio["transcript"]) == ("pcm16", 24000, message.content)
    wav = audio_wav(message)
    assert wav[:4] == b"RIFF" and wav_to_pcm16(wav) == speech_pcm(str(message.content))  # bit-exact: the tone
    (block,) = [b for b in message.content_blocks if b["type"] == "audio"]
    assert block["mime_type"] == "audio/wav" and base64.b64decode(block["base64"]) == wav
    assert (message.usage_metadata or {})["output_token_details"]["audio"] > 0


def test_streamed_pcm_plays_as_it_arrives_and_sums_bit_exactly(make_llm: Make) -> None:
    llm = make_llm(modalities=SPEAK)
    chunks, full = stream_sum(llm, "Say hello")
    pieces = [audio_pcm(c) for c in chunks if audio_pcm(c)]
    assert len(pieces) > 3 and all(len(p) % 2 == 0 for p in pieces)
    pcm = speech_pcm(str(full.content))
    assert b"".join(pieces) == audio_pcm(full) == pcm
    assert full.additional_kwargs["audio"]["format"] == "pcm16"
    assert audio_wav(full) == audio_wav(llm.invoke("Say hello")) and wav_to_pcm16(audio_wav(full)) == pcm


def test_streaming_true_gives_the_same_answer_as_invoke(make_llm: Make) -> None:
    plain = make_llm(modalities=SPEAK).invoke("Say hello")
    message = make_llm(modalities=SPEAK, streaming=True).invoke("Say hello")
    assert dict(message.additional_kwargs["audio"]) == {**plain.additional_kwargs["audio"], "id": ANY}
    (block,) = [b for b in message.content_blocks if b["type"] == "audio"]
    assert block["mime_type"] == "audio/wav" and base64.b64decode(block["base64"]) == audio_wav(message)
    assert wav_to_pcm16(audio_wav(message)) == speech_pcm(str(message.content))


def test_older_models_transcript_style(make_llm: Make) -> None:
    llm = make_llm(model="qwen-omni-turbo", modalities=SPEAK, default_headers={"X-Emulator-Audio-Style": "transcript"})
    message = llm.invoke("Say hello")
    assert message.content == 'Received the text "Say hello".'
    assert message.additional_kwargs["audio"]["transcript"] == message.content
    assert wav_to_pcm16(audio_wav(message)) == speech_pcm(str(message.content))
    _, full = stream_sum(llm, "Say hello")
    assert full.additional_kwargs["audio"]["transcript"] == message.content  # sent in pieces, summed once
    assert audio_pcm(full) == audio_pcm(message)


def test_output_version_v1_end_to_end(make_llm: Make) -> None:
    llm = make_llm(modalities=SPEAK, output_version="v1")
    message = llm.invoke("Say hello")
    assert [b["type"] for b in message.content] == ["text", "audio"]  # type: ignore[index]
    assert message.content[1]["mime_type"] == "audio/wav"  # type: ignore[index]
    chunks, full = stream_sum(llm, "Say hello")
    # one audio block in the sum (carried by the last chunk), none per piece: the pieces play from additional_kwargs
    assert [b["type"] for b in full.content] == ["text", "audio"]  # type: ignore[index]
    assert sum(1 for c in chunks for b in c.content if b["type"] == "audio") == 1  # type: ignore[union-attr]
    assert full.text == message.text and audio_wav(full) == audio_wav(message)
    assert full.content[1]["base64"] == message.content[1]["base64"]  # type: ignore[index]
    thinker = make_llm(model="qwen3-omni-flash", enable_thinking=True, output_version="v1")
    _, full = stream_sum(thinker, "Why?")
    assert [b["type"] for b in full.content] == ["reasoning", "text"]  # type: ignore[index]


# -- reasoning, search, thinking -----------------------------------------------------------------------------


def test_reasoning_streams_first_and_lands_in_a_block(make_llm: Make, last: Last) -> None:
    llm = make_llm(model="qwen3-omni-flash", enable_thinking=True, thinking_budget=200)
    chunks, full = stream_sum(llm, "Why is the sky blue?")
    first_text = next(i for i, c in enumerate(chunks) if c.content)
    reasoning = [i for i, c in enumerate(chunks) if c.additional_kwargs.get("reasoning_content")]
    assert len(reasoning) > 1 and max(reasoning) < first_text
    assert (last().payload or {})["enable_thinking"] is True and (last().payload or {})["thinking_budget"] == 200
    message = llm.invoke("Why is the sky blue?")
    assert message.content_blocks[0] == {
        "type": "reasoning",
        "reasoning": message.additional_kwargs["reasoning_content"],
    }
    assert message.additional_kwargs["reasoning_content"] == full.additional_kwargs["reasoning_content"]
    assert (message.usage_metadata or {})["output_token_details"]["reasoning"] > 0


def test_thinking_per_call_and_capability_errors(make_llm: Make, emu: Emulator) -> None:
    llm = make_llm(model="qwen3-omni-flash")
    assert llm.invoke("Hi", enable_thinking=True).additional_kwargs["reasoning_content"]
    with pytest.raises(CapabilityError, match="text only"):
        llm.invoke("Hi", enable_thinking=True, modalities=SPEAK)
    with pytest.raises(CapabilityError, match="no thinking mode"):
        make_llm(model="qwen3.5-omni-flash").invoke("Hi", enable_thinking=True)
    with pytest.raises(CapabilityError, match="no web search"):
        llm.invoke("Hi", enable_search=True)
    assert len(emu.requests) == 1


def test_web_search(make_llm: Make, last: Last) -> None:
    llm = make_llm(model="qwen3.5-omni-plus", enable_search=True, search_options={"forced_search": True})
    message = llm.invoke("Who won yesterday?")
    payload = last().payload or {}
    assert payload["enable_search"] is True
    assert payload["search_options"] == {"search_strategy": "agent", "forced_search": True}
    assert str(message.content).startswith("[web search: agent]")


# -- errors --------------------------------------------------------------------------------------------------


def test_constructing_without_a_key_works_calling_fails_clearly(emu: Emulator) -> None:
    llm = ChatQwenOmni(base_url=emu.base_url)
    assert llm.api_key is None
    with pytest.raises(MissingAPIKeyError, match="DASHSCOPE_API_KEY"):
        llm.invoke("Hi")
    assert emu.requests == []


def test_key_from_the_environment_and_a_wrong_key(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    assert ChatQwenOmni(base_url=emu.base_url).invoke("Hi").content
    with pytest.raises(AuthenticationError) as caught:
        ChatQwenOmni(base_url=emu.base_url, api_key="sk-wrong-region", max_retries=0).invoke("Hi")
    assert "sk-wrong-region" not in str(caught.value) and caught.value.status_code == 401


def test_retries_then_succeeds_and_refusals_are_mapped(make_llm: Make, emu: Emulator) -> None:
    emu.inject(Fault(status=429, retry_after=0.01), times=2)
    assert make_llm(max_retries=2).invoke("Hi").content == 'Received the text "Hi".'
    assert [r.status for r in emu.requests] == [429, 429, 200]
    emu.inject(Fault(code="data_inspection_failed"))
    with pytest.raises(BadRequestError, match="inappropriate"):
        make_llm().invoke("Hi")


def test_an_error_event_mid_stream_is_an_error_not_a_short_answer(make_llm: Make) -> None:
    llm = make_llm(default_headers={"X-Emulator-Fault": "error-event-after=3"})
    stream = llm.stream("Tell me a long story please")
    assert next(stream).content  # what came before the error was delivered as it arrived
    with pytest.raises(StreamErrorEvent, match="inappropriate"):
        list(stream)
    with pytest.raises(StreamErrorEvent):
        llm.invoke("Tell me a long story please")


# -- callbacks, events, tracing, serialization ---------------------------------------------------------------


class Tokens(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.chunks = 0

    def on_llm_new_token(self, token: str, *, chunk: Any = None, **kwargs: Any) -> None:
        self.tokens.append(token)
        self.chunks += chunk is not None


def test_callbacks_get_a_token_per_delta_on_invoke_and_stream(llm: ChatQwenOmni) -> None:
    handler = Tokens()
    message = llm.invoke("Hello there", config={"callbacks": [handler]})
    assert "".join(handler.tokens) == message.content and len([t for t in handler.tokens if t]) > 1
    assert handler.chunks == len(handler.tokens)
    streamed = Tokens()
    chunks = list(llm.stream("Hello there", config={"callbacks": [streamed]}))
    assert len(streamed.tokens) == len(chunks)


async def test_astream_events_yields_a_stream_event_per_delta(make_llm: Make) -> None:
    llm = make_llm()
    chain = llm | StrOutputParser()
    events = [e async for e in chain.astream_events("Hello there", version="v2")]
    pieces = [e["data"]["chunk"].content for e in events if e["event"] == "on_chat_model_stream"]
    assert len([p for p in pieces if p]) > 1 and "".join(pieces) == 'Received the text "Hello there".'
    (end,) = [e for e in events if e["event"] == "on_chain_end" and e["name"] == "RunnableSequence"]
    assert end["data"]["output"] == 'Received the text "Hello there".'


def test_tracing_params(llm: ChatQwenOmni) -> None:
    assert llm._get_ls_params(stop=["x"], model="qwen3-omni-flash", temperature=0.3) == {
        "ls_provider": "qwen_omni", "ls_model_name": "qwen3-omni-flash", "ls_model_type": "chat",
        "ls_temperature": 0.3, "ls_stop": ["x"],
    }  # fmt: skip


@pytest.mark.filterwarnings("ignore:The function `load` is in beta")
def test_dumpd_load_round_trip_without_the_key(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    llm = ChatQwenOmni(api_key=EMULATOR_KEY, base_url=emu.base_url, model="qwen3-omni-flash", modalities=SPEAK)
    assert EMULATOR_KEY not in dumps(llm) and EMULATOR_KEY not in repr(llm)
    assert dumpd(llm)["kwargs"]["api_key"] == {"lc": 1, "type": "secret", "id": ["DASHSCOPE_API_KEY"]}
    monkeypatch.setenv("DASHSCOPE_API_KEY", EMULATOR_KEY)
    loaded = load(
        dumpd(llm), valid_namespaces=["langchain_qwen_omni"], allowed_objects=[ChatQwenOmni], secrets_from_env=True
    )
    assert isinstance(loaded, ChatQwenOmni) and loaded.model == "qwen3-omni-flash" and loaded.modalities == SPEAK
    assert audio_wav(loaded.invoke("Hi"))[:4] == b"RIFF"


# -- a chain -------------------------------------------------------------------------------------------------


def test_prompt_model_parser_chain(llm: ChatQwenOmni) -> None:
    prompt = ChatPromptTemplate.from_messages([("system", "You answer in {language}."), ("human", "{question}")])
    chain = prompt | llm | StrOutputParser()
    assert chain.invoke({"language": "French", "question": "What is this?"}) == 'Received the text "What is this?".'


# -- tools ---------------------------------------------------------------------------------------------------


def test_bind_tools_and_tool_choice(llm: ChatQwenOmni, last: Last) -> None:
    named = {"type": "function", "function": {"name": "get_weather"}}
    for choice, expected in [("auto", "auto"), ("get_weather", named), ("any", named)]:
        message = llm.bind_tools([get_weather], tool_choice=choice).invoke("What is the weather in Paris?")
        assert (last().payload or {})["tool_choice"] == expected
        assert message.tool_calls == [
            {"name": "get_weather", "args": {"city": "Paris"}, "id": message.tool_calls[0]["id"], "type": "tool_call"}
        ]
        assert message.response_metadata["finish_reason"] == "tool_calls"
    payload = last().payload or {}
    assert payload["tools"][0]["function"]["name"] == "get_weather"
    answer = llm.bind_tools([get_weather], tool_choice="none").invoke("What is the weather in Paris?")
    assert not answer.tool_calls and answer.content


def test_any_over_several_tools_is_refused_before_sending(llm: ChatQwenOmni, emu: Emulator) -> None:
    @tool
    def get_time(city: str) -> str:
        """The time in a city."""
        return "noon"

    with pytest.raises(InvalidRequestError, match="one named function"):
        llm.bind_tools([get_weather, get_time], tool_choice="any").invoke("Paris?")
    assert emu.requests == []


def test_models_without_tools_say_so_at_bind_time(make_llm: Make) -> None:
    with pytest.raises(CapabilityError, match="qwen-omni-turbo cannot call tools"):
        make_llm(model="qwen-omni-turbo").bind_tools([get_weather])


def test_streamed_tool_call_chunks_and_v1_blocks(make_llm: Make) -> None:
    for version in (None, "v1"):
        llm = make_llm(output_version=version).bind_tools([get_weather])
        chunks, full = stream_sum(llm, "What is the weather in Paris?")
        pieces = [c for c in chunks if c.tool_call_chunks]
        assert len(pieces) > 1 and pieces[0].tool_call_chunks[0]["name"] == "get_weather"
        assert full.tool_calls[0]["args"] == {"city": "Paris"}
        (block,) = [b for b in full.content_blocks if b["type"] == "tool_call"]
        assert block["args"] == {"city": "Paris"}


def test_a_tool_round_trip_in_an_agent_loop(llm: ChatQwenOmni, last: Last) -> None:
    agent = llm.bind_tools([get_weather])
    messages: list[BaseMessage] = [HumanMessage("What is the weather in Paris?")]
    for _ in range(3):
        reply = agent.invoke(messages)
        messages.append(reply)
        if not reply.tool_calls:
            break
        messages.extend(get_weather.invoke(call) for call in reply.tool_calls)
    assert isinstance(messages[2], ToolMessage) and messages[-1].content == "The tool returned: Sunny in Paris."
    sent = (last().payload or {})["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool"]
    assert sent[1]["tool_calls"][0]["function"] == {"name": "get_weather", "arguments": '{"city": "Paris"}'}
    assert sent[2]["tool_call_id"] == sent[1]["tool_calls"][0]["id"]


# -- structured output ---------------------------------------------------------------------------------------


class City(BaseModel):
    """A city and its country."""

    name: str = Field(description="the city")
    country: str = Field(description="the country")


class CityDict(TypedDict):
    """A city and its country."""

    name: str
    country: str


CITY_SCHEMA = City.model_json_schema()


@pytest.mark.parametrize("schema", [City, CityDict, CITY_SCHEMA], ids=["pydantic", "typeddict", "json_schema"])
def test_structured_output_via_tools(llm: ChatQwenOmni, last: Last, schema: Any) -> None:
    result = llm.with_structured_output(schema).invoke("Where is Paris?")
    expected = {"name": "Paris", "country": "Paris"}  # the emulator fills strings with the prompt's last word
    assert (result.model_dump() if isinstance(result, BaseModel) else result) == expected
    payload = last().payload or {}
    assert payload["tool_choice"]["function"]["name"] == payload["tools"][0]["function"]["name"]


@pytest.mark.parametrize("schema", [City, CITY_SCHEMA], ids=["pydantic", "json_schema"])
def test_structured_output_via_json_mode(llm: ChatQwenOmni, emu: Emulator, last: Last, schema: Any) -> None:
    expected = {"name": "Paris", "country": "France"}
    with emu.answering(lambda request: expected):
        raw = llm.with_structured_output(schema, method="json_mode", include_raw=True).invoke("Where is Paris?")
    payload = last().payload or {}
    assert payload["response_format"] == {"type": "json_object"}
    instruction = payload["messages"][0]
    assert (
        instruction["role"] == "system" and "JSON" in instruction["content"] and '"country"' in instruction["content"]
    )
    assert isinstance(raw["raw"], AIMessage) and json.loads(str(raw["raw"].content)) == expected
    assert raw["parsing_error"] is None
    assert (raw["parsed"].model_dump() if schema is City else raw["parsed"]) == expected


class PickyCity(BaseModel):
    """A city the model must name with a capital letter (a rule the JSON schema cannot carry)."""

    name: str
    country: str

    @field_validator("country")
    @classmethod
    def _never(cls, value: str) -> str:
        raise ValueError("no country is good enough")


def test_json_mode_include_raw_keeps_the_parsing_error(llm: ChatQwenOmni, emu: Emulator) -> None:
    with emu.answering(lambda request: {"name": "Paris", "country": "France"}):
        raw = llm.with_structured_output(PickyCity, method="json_mode", include_raw=True).invoke("Where is Paris?")
    assert isinstance(raw["raw"], AIMessage) and json.loads(str(raw["raw"].content))["country"]
    assert raw["parsed"] is None
    assert "no country is good enough" in str(raw["parsing_error"])


def test_json_mode_without_a_schema_adds_the_word_json_only_where_missing(llm: ChatQwenOmni, last: Last) -> None:
    assert "answer" in llm.with_structured_output(None, method="json_mode").invoke("Describe Paris.")
    assert "JSON" in (last().payload or {})["messages"][0]["content"]
    llm.with_structured_output(None, method="json_mode").invoke("Describe Paris in json.")
    assert [m["role"] for m in (last().payload or {})["messages"]] == ["user"]


def test_structured_output_via_json_schema(llm: ChatQwenOmni, emu: Emulator, last: Last) -> None:
    with emu.answering(lambda request: {"name": "Paris", "country": "France"}):
        result = llm.with_structured_output(City, method="json_schema", include_raw=True).invoke("Where is Paris?")
    assert result["parsed"] == City(name="Paris", country="France") and result["parsing_error"] is None
    # Alibaba documents only JSON mode for Qwen-Omni: the schema goes in a system instruction
    payload = last().payload or {}
    assert payload["response_format"] == {"type": "json_object"}
    assert payload["messages"][0]["role"] == "system" and '"title": "City"' in payload["messages"][0]["content"]


def test_structured_output_streams(llm: ChatQwenOmni) -> None:
    parsed = list(llm.with_structured_output(CityDict).stream("Where is Paris?"))
    assert parsed[-1] == {"name": "Paris", "country": "Paris"}


# -- the same emulator through ChatOpenAI ---------------------------------------------------------------------


def test_chatopenai_loses_what_chatqwenomni_keeps(make_llm: Make, emu: Emulator) -> None:
    from langchain_openai import ChatOpenAI

    common = {"base_url": emu.base_url, "api_key": EMULATOR_KEY, "model": "qwen3-omni-flash", "max_retries": 0}
    with pytest.raises(Exception, match="stream") as refused:  # the default: one non-streaming request
        ChatOpenAI(**common).invoke("Say hello")
    assert getattr(refused.value, "status_code", None) == 400
    speaking = ChatOpenAI(
        **common, streaming=True, model_kwargs={"modalities": SPEAK, "audio": {"voice": "Cherry", "format": "wav"}}
    )
    _, theirs = stream_sum(speaking, "Say hello")
    assert theirs.content == 'Received the text "Say hello".'  # the text arrives...
    assert audio_pcm(theirs) == b"" and "audio" not in theirs.additional_kwargs  # ...the speech does not
    assert theirs.usage_metadata is None  # nor the usage: not asked for on a custom base URL
    thinking = ChatOpenAI(**common, streaming=True, extra_body={"enable_thinking": True})
    assert "reasoning_content" not in stream_sum(thinking, "Why?")[1].additional_kwargs

    ours = make_llm(model="qwen3-omni-flash", modalities=SPEAK).invoke("Say hello")
    assert wav_to_pcm16(audio_wav(ours)) == speech_pcm('Received the text "Say hello".')
    assert ours.usage_metadata is not None
    assert (
        make_llm(model="qwen3-omni-flash", enable_thinking=True).invoke("Why?").additional_kwargs["reasoning_content"]
    )
