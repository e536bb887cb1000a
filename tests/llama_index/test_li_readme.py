"""The README's LlamaIndex example runs as written, against the emulator (through the environment variables)."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

import pytest

from qwen_omni.emulator import Emulator

README = Path(__file__).resolve().parents[2] / "README.md"


def llama_index_example() -> str | None:
    """The first Python block of the README section whose heading mentions LlamaIndex, if there is one."""
    if not README.exists():
        return None
    section = re.search(r"^#+ [^\n]*LlamaIndex[^\n]*\n(.*?)(?=^#+ |\Z)", README.read_text(), re.M | re.S)
    block = re.search(r"```python\n(.*?)```", section.group(1), re.S) if section else None
    return block.group(1) if block else None


def test_readme_llama_index_example_runs(emu: Emulator, emulator_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
    code = llama_index_example()
    if code is None:
        pytest.skip("README.md has no LlamaIndex section with a python example yet")
    assert len(code.strip().splitlines()) <= 12, "the newcomer's example should stay about ten lines"
    monkeypatch.setenv("DASHSCOPE_API_KEY", emulator_key)
    monkeypatch.setenv("DASHSCOPE_BASE_URL", emu.base_url)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, str(README), "exec"), {"__name__": "__readme__"})
    assert printed.getvalue().strip()
    assert emu.requests and all(r.status == 200 and r.payload and r.payload["stream"] for r in emu.requests)
