"""The media-understanding tool, against the emulator: local files under its folder, URLs, and refusals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from langchain_qwen_omni import ChatQwenOmni, QwenOmniMediaTool
from qwen_omni import samples
from qwen_omni.emulator.received import ReceivedRequest

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
