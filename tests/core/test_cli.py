"""The ``qwen-omni`` command end to end, offline against the in-process emulator."""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from qwen_omni import samples
from qwen_omni.audio import wav_to_pcm16
from qwen_omni.cli import main, part_for
from qwen_omni.parts import AudioPart, ImagePart, VideoPart


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.delenv("DASHSCOPE_BASE_URL", raising=False)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("cli")
    out = {"image": folder / "picture.png", "audio": folder / "sound.mp3", "video": folder / "clip.mp4"}
    out["image"].write_bytes(samples.image_png(64, 48))
    out["audio"].write_bytes(samples.tone_mp3(1.0))
    out["video"].write_bytes(samples.video_mp4(1.0, fps=5, width=96, height=64))
    out["gif"] = folder / "anim.gif"
    out["gif"].write_bytes(samples.animated_gif())
    return out


def test_ask_streams_the_answer_to_stdout_and_says_it_is_offline(files: dict[str, Path]) -> None:
    code, out, err = run("ask", str(files["image"]), "--prompt", "What is it?")
    assert code == 0
    assert "1 image (png, 64x48" in out and 'the text "What is it?"' in out
    assert "[offline] no DASHSCOPE_API_KEY is set" in err
    assert "usage:" in err and "finish: stop" in err
    assert "usage" not in out, "stdout holds only the answer"


def test_ask_with_a_spoken_answer_writes_a_wav(files: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "answer.wav"
    code, _, err = run("ask", str(files["audio"]), "-p", "What do you hear?", "--speak", str(target), "--offline")
    assert code == 0
    assert target.read_bytes()[:4] == b"RIFF" and len(wav_to_pcm16(target.read_bytes())) > 0
    assert f"wrote {target}" in err


def test_ask_with_thinking_sets_the_reasoning_apart(files: dict[str, Path]) -> None:
    code, out, err = run("ask", "-p", "Why is the sky blue?", "--think", "--model", "qwen3-omni-flash")
    assert code == 0
    assert "[thinking]" in err and "[thinking]" not in out
    assert "reasoning" in err or "reasoning" not in out
    assert out.strip()


def test_ask_with_search(files: dict[str, Path]) -> None:
    code, out, _ = run("ask", "-p", "News today?", "--search", "--model", "qwen3.5-omni-plus")
    assert code == 0 and "[web search: agent]" in out


def test_bad_input_exits_2_with_a_clear_message(files: dict[str, Path]) -> None:
    code, out, err = run("ask", "-p", "x", "--think", "--speak", "a.wav", "--model", "qwen3-omni-flash")
    assert code == 2
    assert "\nerror: Thinking mode answers in text only" in err
    assert out == ""


def test_missing_file_exits_2(tmp_path: Path) -> None:
    code, _, err = run("ask", str(tmp_path / "nope.mp4"), "-p", "x")
    assert code == 2 and "nope.mp4 does not exist; `qwen-omni ask` takes files and URLs" in err


def test_part_for_detects_the_kind(files: dict[str, Path]) -> None:
    assert isinstance(part_for(str(files["image"])), ImagePart)
    assert isinstance(part_for(str(files["audio"])), AudioPart)
    assert isinstance(part_for(str(files["video"])), VideoPart)
    assert isinstance(part_for("https://e.com/x.webm?sig=1"), VideoPart)
    assert isinstance(part_for(str(files["gif"])), ImagePart), "an animated GIF goes as an image"
    with pytest.raises(ValueError, match="Cannot tell whether"):
        part_for("https://e.com/download")


def test_demo_runs_every_input_kind_and_a_spoken_answer(tmp_path: Path) -> None:
    code, out, err = run("demo", "--out", str(tmp_path))
    assert code == 0, err
    for title in ("== image ==", "== audio ==", "== video ==", "== video as frames ==", "== spoken answer =="):
        assert title in out
    assert "4 frames" in out and "160x120" in out
    assert (tmp_path / "answer.wav").read_bytes()[:4] == b"RIFF"
    assert err.count("usage:") == 5


def test_models_lists_every_known_model() -> None:
    code, out, _ = run("models")
    assert code == 0
    assert "qwen3-omni-flash" in out and "thinking" in out and "qwen2.5-omni-7b" in out
    line = next(line for line in out.splitlines() if line.startswith("qwen3.8-omni-flash "))
    assert "1,000,000" in line and "thinking (default on)" in line and "speech" not in line
    code, out, _ = run("models", "--limits")
    assert code == 0 and "input 991,808 (983,616 thinking), output 1-131,072 tokens" in out
    assert "video 1 file, 256 MB, 150 s; audio 1 file, 100 MB, 20 min" in out and "text output only" in out


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_installed_command_serves_the_emulator() -> None:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "DASHSCOPE_API_KEY"}
    exe = Path(sys.executable).with_name("qwen-omni")
    proc = subprocess.Popen([str(exe), "emulator", "--port", str(port)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(100):
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/compatible-mode/v1/models",
                    headers={"Authorization": "Bearer k"},
                    timeout=1,
                )
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the emulator did not start")
        assert response.status_code == 200
        assert "qwen3-omni-flash" in response.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class _ClosedPipe(io.StringIO):
    """A stdout whose reader went away after the first piece of the answer."""

    def write(self, text: str) -> int:
        if self.getvalue():
            raise BrokenPipeError(32, "Broken pipe")
        return super().write(text)


def test_a_closed_stdout_stops_the_answer_quietly_with_code_141(files: dict[str, Path]) -> None:
    out, err = _ClosedPipe(), io.StringIO()
    code = main(["ask", str(files["image"]), "--prompt", "What is it?"], out=out, err=err)
    assert code == 141
    assert out.getvalue() and "Received" in out.getvalue(), "the first piece was written before the pipe closed"
    assert "usage:" not in err.getvalue() and "Traceback" not in err.getvalue()


def test_the_installed_command_piped_into_a_closed_reader_exits_141_without_a_traceback(
    files: dict[str, Path],
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DASHSCOPE_API_KEY"}
    exe = Path(sys.executable).with_name("qwen-omni")
    proc = subprocess.Popen(
        [str(exe), "ask", str(files["image"]), "--prompt", "What is it?"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `| head -0`: nobody reads the answer
    err = proc.stderr.read()
    assert proc.wait(timeout=60) == 141
    assert "Traceback" not in err and "BrokenPipeError" not in err
    assert "[offline]" in err
