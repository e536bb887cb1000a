"""``media_tool`` against the emulator: files under its folder, URLs, long recordings asked part by part, and every
failure as the tool's output, also inside ``FunctionAgent``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from emulator_support import EMULATOR_KEY, in_segment_clock
from llama_index.core.agent.workflow import FunctionAgent, ToolCallResult
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.tools import FunctionTool

from llama_index_qwen_omni import QwenOmni, media_tool
from qwen_omni import samples
from qwen_omni.emulator import Emulator, Fault
from qwen_omni.longmedia.asking import MediaAnswer
from qwen_omni.longmedia.modes import clock
from qwen_omni.ratelimit import RateLimiter

pytestmark = [  # llama-index-workflows' own deprecation noise (see test_li_tools.py)
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince20"),
    pytest.mark.filterwarnings("ignore::pydantic.warnings.PydanticDeprecatedSince211"),
]

MakeLLM = Callable[..., QwenOmni]


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("media")
    samples.write_meeting_wav(root / "call.wav", 240.0, seed=8)  # over qwen-omni-turbo's 3 minutes of audio
    (root / "memo.wav").write_bytes(samples.tone_wav(2.0, sample_rate=8_000))
    (root / "chart.png").write_bytes(samples.image_png(64, 48))
    (root / "broken.wav").write_bytes(b"RIFF" + bytes(64))
    return root


def _tool(make_llm: MakeLLM, folder: Path | None, **kwargs: object) -> FunctionTool:
    budget = RateLimiter(rpm=60, window=0.6, slack=0.15)  # the documented quota, 100x faster
    llm = kwargs.pop("llm", None) or make_llm(model="qwen-omni-turbo")
    return media_tool(llm, root_dir=folder, rate_limiter=budget, **kwargs)  # type: ignore[arg-type]


def test_files_under_the_folder_and_urls(make_llm: MakeLLM, folder: Path, emu: Emulator) -> None:
    tool = _tool(make_llm, folder)
    assert tool.metadata.name == "understand_media" and "source" in tool.metadata.get_parameters_dict()["required"]
    image = tool.call(source="chart.png", question="What is it?")
    assert not image.is_error and str(image) == (
        f'Received 1 image (png, 64x48, {(folder / "chart.png").stat().st_size} bytes) and the text "What is it?".'
    )
    memo = tool.call(source="memo.wav", question="Who speaks?")
    assert str(memo).startswith("Received 1 audio (wav, 2.00 s")
    assert emu.requests[-1].user_text.startswith("Who speaks?\n\nThis audio is the whole recording")
    by_url = _tool(make_llm, None).call(source="https://example.com/talk.mp3")
    assert str(by_url).startswith("Received 1 audio by URL (https://example.com/talk.mp3")


async def test_a_long_recording_is_asked_part_by_part_through_the_llm(
    make_llm: MakeLLM, folder: Path, emu: Emulator
) -> None:
    llm = make_llm(model="qwen-omni-turbo")
    counter = TokenCountingHandler()
    llm.callback_manager = CallbackManager([counter])
    output = await _tool(make_llm, folder, llm=llm).acall(source="call.wav", question="Who speaks?")
    text = str(output)
    assert not output.is_error
    assert text.startswith("call.wav is too long for one request to qwen-omni-turbo (00:04:00 is over")
    assert "asked in 2 parts" in text and "\n[00:0" in text
    assert len(emu.requests) == 2 and all((r.parts[0].info.duration or 0) <= 180 for r in emu.requests)  # type: ignore[union-attr]
    assert len(counter.llm_token_counts) == 2 and counter.prompt_llm_token_count > 0  # LlamaIndex saw both


def test_every_failure_is_the_tools_output(make_llm: MakeLLM, folder: Path, emu: Emulator) -> None:
    tool = _tool(make_llm, folder)
    outside = tool.call(source="../etc/passwd")
    assert outside.is_error and "outside the folder this tool may read" in str(outside)
    assert "local_media_root" not in str(outside)
    assert tool.call(source="missing.wav").is_error
    broken = tool.call(source="broken.wav")
    assert broken.is_error and "broken.wav" in str(broken) and emu.requests == []  # nothing sent
    url_only = _tool(make_llm, None).call(source=str(folder / "memo.wav"))
    assert url_only.is_error and "Only URLs are allowed" in str(url_only)
    emu.inject(Fault(status=401))
    refused = tool.call(source="memo.wav")
    assert refused.is_error and "AuthenticationError" not in str(refused) and EMULATOR_KEY not in str(refused)
    assert "401" in str(refused) or "key" in str(refused).lower()


async def test_function_agent_gets_answers_and_errors_never_an_exception(
    make_llm: MakeLLM, folder: Path, emu: Emulator
) -> None:
    agent = FunctionAgent(
        tools=[_tool(make_llm, folder)], llm=make_llm(model="qwen3-omni-flash"), system_prompt="You study media."
    )
    handler = agent.run('Use understand_media on "call.wav".')
    results = [e async for e in handler.stream_events() if isinstance(e, ToolCallResult)]
    answer = await handler
    assert [r.tool_kwargs for r in results] == [{"source": "call.wav"}] and not results[0].tool_output.is_error
    assert str(answer).startswith("The tool returned: call.wav is too long for one request")
    handler = agent.run('Use understand_media on "../../etc/shadow".')
    results = [e async for e in handler.stream_events() if isinstance(e, ToolCallResult)]
    answer = await handler
    assert results[0].tool_output.is_error and str(answer).startswith("The tool returned: Error: source names")


def test_times_reach_the_agent_in_the_whole_recordings_time(make_llm: MakeLLM, folder: Path, emu: Emulator) -> None:
    with emu.answering(in_segment_clock):
        output = _tool(make_llm, folder).call(source="call.wav", question="When does the bell ring?")
    answer = output.raw_output
    assert isinstance(answer, MediaAnswer) and not output.is_error and str(output) == answer.text
    second = answer.result.answers[1]
    assert second.start > 100 and f"The bell rings at {clock(second.start + 5)}." in str(output)
    assert "The bell rings at 00:00:05." in str(output)


async def test_answers_over_the_budget_are_reduced_to_one(make_llm: MakeLLM, folder: Path, emu: Emulator) -> None:
    with emu.answering(in_segment_clock):
        output = await _tool(make_llm, folder, max_answer_tokens=5).acall(source="call.wav", question="When?")
    answer = output.raw_output
    second = answer.result.answers[1]
    assert answer.reduced and len(emu.requests) == 3 and emu.requests[-1].parts == []
    assert str(output).count("The bell rings") == 1 and f"at {clock(second.start + 5)}" in str(output)
    assert len(answer.result.answers) == 2, "the parts stay in raw_output"
