"""README.md runs as written, offline, as a newcomer would run it: each Python block in a fresh process, each
``qwen-omni`` line of its shell blocks in a fresh shell, in a folder made by ``qwen-omni samples .`` and with only
the environment the README's "Run every example offline" section exports (pointed at an emulator on a free port
instead of 8000, so that test runs side by side do not collide)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from qwen_omni.emulator import Emulator

README = Path(__file__).resolve().parents[1] / "README.md"
BIN = Path(sys.executable).parent
WAIT = 300.0  # a bound for a block that would otherwise hang, never a pace


def sections(language: str = "python") -> dict[str, list[str]]:
    """Each ``## `` section's blocks in ``language``, by heading."""
    found: dict[str, list[str]] = {}
    for match in re.finditer(r"^## ([^\n]+)\n(.*?)(?=^## |\Z)", README.read_text(), re.M | re.S):
        found[match.group(1).strip()] = re.findall(rf"```{language}\n(.*?)```", match.group(2), re.S)
    return found


EXAMPLES = [(heading, code) for heading, blocks in sections().items() for code in blocks]
OFFLINE = "Run every example offline"


def _commands() -> list[tuple[str, str]]:
    """The ``qwen-omni`` lines of the README's shell blocks (the setup's and the emulator's own aside)."""
    found = []
    for heading, blocks in sections("bash").items():
        if heading in (OFFLINE, "Two commands", "Install", "Development"):
            continue
        for block in blocks:
            for line in block.splitlines():
                command = line.split("  #")[0].strip()
                if command.startswith("qwen-omni ") and not command.startswith("qwen-omni emulator"):
                    found.append((heading, command))
    return found


COMMANDS = _commands()


def _offline_block() -> list[str]:
    blocks = sections("bash")[OFFLINE]
    assert len(blocks) == 1, f"'{OFFLINE}' should hold one shell block"
    return [line.split("  #")[0].strip() for line in blocks[0].strip().splitlines()]


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def environment(emu: Emulator, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Only what the README says: its exported variables (the emulator's port for 8000), a PATH with the
    installed command, and a home of its own."""
    lines = _offline_block()
    exports = [line for line in lines if line.startswith("export ")]
    assert len(exports) == 1 and any(line.startswith("qwen-omni emulator --port 8000") for line in lines)
    home = tmp_path_factory.mktemp("home")
    env = {"PATH": f"{BIN}{os.pathsep}/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8"}
    for pair in shlex.split(exports[0])[1:]:
        key, value = pair.split("=", 1)
        env[key] = value.replace("127.0.0.1:8000", f"127.0.0.1:{emu.port}")
    assert env["DASHSCOPE_BASE_URL"] == emu.base_url and env["DASHSCOPE_API_KEY"]
    return env


@pytest.fixture(scope="module")
def samples_folder(environment: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("samples")
    for line in _offline_block():
        if line.startswith("qwen-omni samples"):
            done = subprocess.run(line, shell=True, cwd=folder, env=environment, capture_output=True, text=True,
                                  timeout=WAIT, check=False)  # fmt: skip
            assert done.returncode == 0, done.stderr
    named = set(re.findall(r"\b[\w-]+\.(?:mp3|wav|mp4|png)\b(?!\()", README.read_text()))  # not reply.wav()
    made = {p.name for p in folder.iterdir()}
    written_by_examples = {"answer.wav", "result.wav"}
    assert named - written_by_examples <= made, f"the README names files samples does not make: {named - made}"
    return folder


@pytest.fixture
def workdir(samples_folder: Path, tmp_path: Path) -> Path:
    """A fresh copy of the samples folder, so that no block sees another's files."""
    folder = tmp_path / "work"
    shutil.copytree(samples_folder, folder)
    return folder


def test_the_readme_shows_each_framework_in_about_ten_lines() -> None:
    found = sections()
    for heading in ("Python", "LangChain", "LlamaIndex", "Test your own code offline"):
        assert found.get(heading), f"README.md has no python example under '## {heading}'"
        assert len(found[heading][0].strip().splitlines()) <= 12, f"the {heading} example should stay about ten lines"


def test_the_readme_opens_with_the_two_commands() -> None:
    text = README.read_text()
    commands = re.search(r"## Two commands\n(.*?)\n## ", text, re.S)
    assert commands is not None
    blocks = re.findall(r"```bash\n(.*?)```", commands.group(1), re.S)
    assert [b.strip() for b in blocks] == [
        'python3 -m venv .venv && .venv/bin/pip install -e ".[dev]" && .venv/bin/qwen-omni demo',
        ".venv/bin/python -m pytest",
    ]
    ci = (README.parent / ".ci" / "run").read_text()
    assert '"$uv" sync --quiet --locked --extra dev' in ci, "CI installs the dev extra at the locked versions"
    assert "--resolution lowest-direct" in ci, "CI proves the declared floors"
    assert ci.rstrip().endswith(".venv/bin/python -m pytest"), "CI ends with the README's test command"


def test_the_offline_switch_is_stated_once_near_the_top() -> None:
    headings = list(sections())
    assert headings.index(OFFLINE) < headings.index("The command line") < headings.index("Python")
    assert README.read_text().count("export DASHSCOPE_API_KEY=offline") == 1


@pytest.mark.parametrize(("heading", "code"), EXAMPLES, ids=[h for h, _ in EXAMPLES])
def test_readme_example_runs_in_a_fresh_process(
    heading: str, code: str, emu: Emulator, environment: dict[str, str], workdir: Path
) -> None:
    emu.reset()
    done = subprocess.run([sys.executable, "-c", code], cwd=workdir, env=environment, capture_output=True,
                          text=True, timeout=WAIT, check=False)  # fmt: skip
    assert done.returncode == 0, f"README.md ({heading}) failed:\n{done.stderr[-3000:]}"
    out = done.stdout
    if "print(" in code:
        assert out.strip(), f"README.md ({heading}) printed nothing"
    if heading == "Test your own code offline" and "Emulator(answer=" in code:
        assert out.strip() == "In Paris: 18 C, sunny"
    elif heading == "Live voice":
        assert out.strip() == 'model: Received the text "What is the weather in Paris?".'
    elif heading == "Test your own code offline":
        assert "[429, 429, 200]" in out and 'Received the text "Hello".' in out
    elif "OpenAILikeEmbedding" not in code:
        assert emu.requests, f"README.md ({heading}) sent nothing to the emulator its environment names"
        assert all(r.status == 200 and r.payload and r.payload["stream"] for r in emu.requests)
    if "answer.wav" in code:
        assert (workdir / "answer.wav").read_bytes()[:4] == b"RIFF"


@pytest.mark.parametrize(("heading", "command"), COMMANDS, ids=[c for _, c in COMMANDS])
def test_readme_command_runs_in_a_fresh_shell(
    heading: str, command: str, emu: Emulator, environment: dict[str, str], workdir: Path
) -> None:
    emu.reset()
    done = subprocess.run(command, shell=True, cwd=workdir, env=environment, capture_output=True, text=True,
                          timeout=WAIT, check=False)  # fmt: skip
    assert done.returncode == 0, f"{command} ({heading}) failed:\n{done.stderr[-3000:]}"
    assert done.stdout.strip() or "wrote" in done.stderr, f"{command} gave nothing"
    if "--dry-run" not in command and not command.startswith("qwen-omni models"):
        assert emu.requests and all(r.status == 200 for r in emu.requests)
    assert "[offline]" not in done.stderr, "the README's environment names the emulator: no fallback is needed"
