"""The LlamaIndex quickstart notebook runs top to bottom against the emulator, with no key and no error."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "llamaindex_quickstart.ipynb"


def test_committed_notebook_has_no_outputs() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)  # type: ignore[no-untyped-call]
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)


def test_quickstart_notebook_runs_on_the_emulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.delenv("DASHSCOPE_BASE_URL", raising=False)
    notebook = nbformat.read(NOTEBOOK, as_version=4)  # type: ignore[no-untyped-call]
    NotebookClient(
        notebook, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = json.dumps(outputs)
    assert "local-emulator" not in text  # the (stand-in) key is never printed
    assert "using the local emulator" in text
    for expected in (
        "1 image (png, 128x96",
        "1 audio (mp3",
        "1 video (mp4",
        "1 video of 4 frames",
        "audio/wav",  # the inline player
        "reasoning tokens",
        "sound.mp3",
        "The tool returned: Sunny and 21 C in Paris",
    ):
        assert expected in text, expected
    assert list(tmp_path.iterdir()) == []  # the notebook wrote nothing in its folder
