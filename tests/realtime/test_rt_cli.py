"""``qwen-omni talk``, run as a user runs it: the installed command in a subprocess."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import av
from emulator_support import EMULATOR_KEY
from realtime_support import as_wav, recording

from qwen_omni.emulator import Emulator, ScriptedToolCall, ScriptRequest

COMMAND = str(Path(sys.executable).with_name("qwen-omni"))


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("DASHSCOPE_API_KEY", "DASHSCOPE_BASE_URL")}
    return subprocess.run([COMMAND, *args], capture_output=True, text=True, timeout=120, env={**base, **(env or {})})


def test_talk_offline_prints_the_conversation_and_writes_the_answers(tmp_path: Path) -> None:
    question = tmp_path / "question.wav"
    question.write_bytes(as_wav(recording(0.3, "What is the weather in Paris?", 0.5)))
    answers = tmp_path / "answers.wav"
    done = run("talk", str(question), "--realtime-factor", "0", "--speak", str(answers))
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("you: [") and lines[1].startswith("model: Heard ")
    assert "local Qwen-Omni emulator" in done.stderr
    with av.open(io.BytesIO(answers.read_bytes())) as container:
        stream = container.streams.audio[0]
        samples = sum(f.samples for f in container.decode(stream))
        assert (stream.rate, stream.channels) == (24_000, 1)
    assert samples == len(lines[1].removeprefix("model: ")) * 1200  # 50 ms per character of the emulator's speech


def test_talk_runs_a_tool_round_trip(tmp_path: Path) -> None:
    (tmp_path / "weather_tools.py").write_text(
        "def get_weather(city: str) -> str:\n    '''The weather.'''\n    return f'foggy in {city}'\n"
    )
    question = tmp_path / "q.wav"
    question.write_bytes(as_wav(recording(0.3, "Weather in London?", 0.5)))

    def script(request: ScriptRequest) -> object:
        if request.tool_results:
            return f"It is {request.tool_results[-1].content}."
        return ScriptedToolCall("get_weather", {"city": "London"})

    with Emulator(api_key=EMULATOR_KEY) as emu, emu.answering(script):
        done = run(
            "talk",
            str(question),
            "--realtime-factor",
            "0",
            "--tools",
            "weather_tools:get_weather",
            "--base-url",
            emu.base_url,
            env={"DASHSCOPE_API_KEY": EMULATOR_KEY, "PYTHONPATH": str(tmp_path)},
        )
        assert done.returncode == 0, done.stderr
        assert emu.realtime.sessions[-1].tool_outputs[0][1] == "foggy in London"
    assert "[tool] get_weather -> foggy in London" in done.stderr
    assert "model: It is foggy in London." in done.stdout
    assert EMULATOR_KEY not in done.stdout + done.stderr


def test_talk_refuses_bad_input_with_exit_2(tmp_path: Path) -> None:
    missing = run("talk", str(tmp_path / "nope.wav"))
    assert missing.returncode == 2 and "is not an existing file" in missing.stderr
    question = tmp_path / "q.wav"
    question.write_bytes(as_wav(recording(0.2, "Hi.", 0.2)))
    bad_tool = run("talk", str(question), "--tools", "no_such_module_here:fn", "--offline")
    assert bad_tool.returncode == 2 and "--tools no_such_module_here:fn" in bad_tool.stderr
