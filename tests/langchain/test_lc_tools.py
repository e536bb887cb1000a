"""The media-understanding tool, against the emulator: local files under its folder, URLs, refusals, long
recordings asked part by part, and failures told to the agent."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from emulator_support import EMULATOR_KEY, in_segment_clock

from langchain_qwen_omni import ChatQwenOmni, QwenOmniMediaTool
from qwen_omni import samples
from qwen_omni.emulator import Emulator, Fault
from qwen_omni.emulator.received import ReceivedRequest
from qwen_omni.longmedia.asking import MediaAnswer
from qwen_omni.longmedia.modes import clock
from qwen_omni.ratelimit import RateLimiter

Make = Callable[..., ChatQwenOmni]
Last = Callable[[], ReceivedRequest]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "chart.png").write_bytes(samples.image_png(64, 48))
    (tmp_path / "memo.mp3").write_bytes(samples.tone_mp3(1.0))
    (tmp_path / "clip.mp4").write_bytes(samples.video_mp4(1.0))
    (tmp_path / "notes.bin").write_bytes(samples.tone_wav(0.5))
    return tmp_path


def test_local_files_of_each_kind(make_llm: Make, folder: Path, last: Last) -> None:
    tool = QwenOmniMediaTool(llm=make_llm(), root_dir=folder)
    assert tool.invoke({"source": "chart.png", "question": "What is it?"}).startswith("Received 1 image (png, 64x48")
    assert tool.invoke({"source": "memo.mp3"}).startswith("Received 1 audio (mp3")
    assert last().parts[0].format == "mp3"
    assert tool.invoke({"source": "clip.mp4"}).startswith("Received 1 video (mp4")
    assert tool.invoke({"source": "notes.bin", "kind": "audio"}).startswith("Received 1 audio (wav")


async def test_urls_and_async(make_llm: Make, last: Last) -> None:
    tool = QwenOmniMediaTool(llm=make_llm())
    answer = await tool.ainvoke({"source": "https://example.com/talk.wav?sig=1", "question": "Who speaks?"})
    assert answer.startswith("Received 1 audio by URL (https://example.com/talk.wav?sig=1")
    assert last().parts[0].format == "wav"


def test_refusals_are_told_to_the_agent(make_llm: Make, folder: Path, last: Last) -> None:
    url_only = QwenOmniMediaTool(llm=make_llm())
    assert url_only.invoke({"source": str(folder / "chart.png")}).startswith("Only URLs are allowed")
    tool = QwenOmniMediaTool(llm=make_llm(), root_dir=folder)
    assert "outside the folder" in tool.invoke({"source": "../etc/passwd"})
    assert "no file" in tool.invoke({"source": "missing.png"})
    assert "pass kind" in tool.invoke({"source": "notes.bin"})


def test_the_tool_binds_to_a_model(make_llm: Make, last: Last) -> None:
    tool = QwenOmniMediaTool(llm=make_llm())
    reply = make_llm().bind_tools([tool]).invoke("Please look at https://example.com/cat.png")
    assert reply.tool_calls[0]["name"] == "understand_media"
    (sent,) = (last().payload or {})["tools"]
    parameters = sent["function"]["parameters"]
    assert parameters["required"] == ["source"] and set(parameters["properties"]) == {"source", "question", "kind"}


# -- long recordings and failures ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def long_call(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A four-minute call: over qwen-omni-turbo's three minutes of audio per file."""
    folder = tmp_path_factory.mktemp("calls")
    samples.write_meeting_wav(folder / "call.wav", 240.0, seed=7)
    (folder / "broken.wav").write_bytes(b"RIFF" + bytes(64))
    return folder


def _fast_tool(make_llm: Make, folder: Path, **kwargs: object) -> QwenOmniMediaTool:
    budget = RateLimiter(rpm=60, window=0.6, slack=0.15)  # the documented quota, 100x faster
    return QwenOmniMediaTool(llm=make_llm(model="qwen-omni-turbo"), root_dir=folder, rate_limiter=budget, **kwargs)


def test_a_recording_too_long_for_the_model_is_asked_part_by_part(
    make_llm: Make, long_call: Path, emu: Emulator
) -> None:
    answer = _fast_tool(make_llm, long_call).invoke({"source": "call.wav", "question": "Who speaks?"})
    first, _, *rest = answer.splitlines()
    assert first.startswith("call.wav is too long for one request to qwen-omni-turbo (00:04:00 is over")
    assert "asked in 2 parts" in first and rest[0].startswith("[00:00:00 - 00:0") and "Received 1 audio (mp3" in rest[1]
    assert len(emu.requests) == 2 and all(r.status == 200 for r in emu.requests)
    assert all((r.parts[0].info.duration or 0) <= 180 for r in emu.requests)  # type: ignore[union-attr]
    assert all(r.user_text.startswith("Who speaks?") for r in emu.requests)


async def test_the_async_form_asks_part_by_part_too(make_llm: Make, long_call: Path, emu: Emulator) -> None:
    answer = await _fast_tool(make_llm, long_call).ainvoke({"source": "call.wav"})
    assert "asked in 2 parts" in answer and len(emu.requests) == 2


def test_every_failure_is_a_message_for_the_agent(make_llm: Make, long_call: Path, folder: Path, emu: Emulator) -> None:
    tool = _fast_tool(make_llm, long_call)
    assert "broken.wav" in tool.invoke({"source": "broken.wav"}) and emu.requests == []  # unreadable: nothing sent
    emu.inject(Fault(status=400, message="The audio is malformed."))
    told = QwenOmniMediaTool(llm=make_llm(), root_dir=folder).invoke({"source": "memo.mp3"})
    assert "malformed" in told and EMULATOR_KEY not in told
    emu.inject(Fault(status=400, message="Nothing to hear."))
    parts = tool.invoke({"source": "call.wav"})  # one part fails, the other is answered
    assert "asked in 2 parts" in parts and "could not be read: BadRequestError: Nothing to hear." in parts
    emu.inject(Fault(status=401), times=2)
    assert "No part of call.wav could be read" in tool.invoke({"source": "call.wav"})


def test_an_agent_gets_the_answer_or_the_error_never_an_exception(
    make_llm: Make, long_call: Path, emu: Emulator
) -> None:
    from langchain.agents import create_agent
    from langchain_core.messages import ToolMessage

    agent = create_agent(model=make_llm(model="qwen3-omni-flash"), tools=[_fast_tool(make_llm, long_call)])
    state = agent.invoke({"messages": [("user", 'Use understand_media on "call.wav", please.')]})
    result = next(m for m in state["messages"] if isinstance(m, ToolMessage))
    assert result.status == "success" and "asked in 2 parts" in str(result.content)
    assert state["messages"][-1].content.startswith("The tool returned: call.wav is too long")
    state = agent.invoke({"messages": [("user", 'Use understand_media on "../outside.wav", please.')]})
    refused = next(m for m in state["messages"] if isinstance(m, ToolMessage))
    assert refused.status == "error" and "outside the folder" in str(refused.content)
    assert state["messages"][-1].content.startswith("The tool returned: ")


def test_times_reach_the_agent_in_the_whole_recordings_time(make_llm: Make, long_call: Path, emu: Emulator) -> None:
    tool = _fast_tool(make_llm, long_call)
    with emu.answering(in_segment_clock):
        message = tool.invoke(_call({"source": "call.wav", "question": "When does the bell ring?"}))
    answer = message.artifact
    assert isinstance(answer, MediaAnswer) and not answer.reduced and message.content == answer.text
    second = answer.result.answers[1]
    assert second.start > 100 and f"The bell rings at {clock(second.start + 5)}." in message.content
    assert "The bell rings at 00:00:05." in message.content


def test_answers_over_the_budget_are_reduced_to_one(make_llm: Make, long_call: Path, emu: Emulator) -> None:
    tool = _fast_tool(make_llm, long_call, max_answer_tokens=5)
    with emu.answering(in_segment_clock):
        message = tool.invoke(_call({"source": "call.wav", "question": "When does the bell ring?"}))
    answer = message.artifact
    second = answer.result.answers[1]
    assert answer.reduced and len(emu.requests) == 3 and emu.requests[-1].parts == []
    assert message.content.count("The bell rings") == 1 and f"at {clock(second.start + 5)}" in message.content
    assert len(answer.result.answers) == 2, "the parts stay in the artifact"


def _call(args: dict[str, str]) -> dict[str, object]:
    return {"name": "understand_media", "args": args, "id": "call_1", "type": "tool_call"}
