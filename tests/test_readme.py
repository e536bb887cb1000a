"""Every Python example in README.md runs as written, offline, against the emulator."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from qwen_omni import samples
from qwen_omni.emulator import Emulator

README = Path(__file__).resolve().parents[1] / "README.md"


def sections() -> dict[str, list[str]]:
    """Each ``## `` section's Python blocks, by heading."""
    found: dict[str, list[str]] = {}
    for match in re.finditer(r"^## ([^\n]+)\n(.*?)(?=^## |\Z)", README.read_text(), re.M | re.S):
        found[match.group(1).strip()] = re.findall(r"```python\n(.*?)```", match.group(2), re.S)
    return found


EXAMPLES = [(heading, code) for heading, blocks in sections().items() for code in blocks]


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


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


@pytest.mark.parametrize(("heading", "code"), EXAMPLES, ids=[h for h, _ in EXAMPLES])
def test_readme_example_runs(
    heading: str, code: str, emu: Emulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    emu.reset()
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-readme")
    monkeypatch.setenv("DASHSCOPE_BASE_URL", emu.base_url)
    monkeypatch.chdir(tmp_path)  # examples read chart.png and write answer.wav here
    (tmp_path / "chart.png").write_bytes(samples.image_png(320, 240))
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, f"README.md ({heading})", "exec"), {"__name__": "__readme__"})
    out = printed.getvalue()
    assert out.strip()
    if heading == "Test your own code offline" and "Emulator(answer=" in code:
        assert out.strip() == "In Paris: 18 C, sunny"
    elif heading == "Live voice":
        assert out.strip() == 'model: Received the text "What is the weather in Paris?".'
    elif heading == "Test your own code offline":
        assert "[429, 429, 200]" in out
        assert 'Received the text "Hello".' in out
    else:
        assert emu.requests
        assert all(r.status == 200 and r.payload and r.payload["stream"] for r in emu.requests)
    if "answer.wav" in code:
        assert (tmp_path / "answer.wav").read_bytes()[:4] == b"RIFF"
