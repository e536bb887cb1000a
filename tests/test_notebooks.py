"""Every quickstart notebook runs top to bottom against the emulator, with no key, no error and no stored output."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"

#: What each notebook must show when run offline: one line per feature it demonstrates.
EXPECTED = {
    "langchain_quickstart.ipynb": (
        "1 image (png, 320x240",
        "1 audio (mp3",
        "1 video (mp4",
        "1 video of 4 frames",
        "['text', 'audio']",
        "audio/wav",  # the inline player
        "same audio as invoke: True",
        "Reasoning tokens:",
        "[web search: agent]",
        'Received the text \\"What is the capital of Japan?\\"',
        "The tool returned: Sunny and 24 \\u00b0C in Paris.",
    ),
    "long_recordings.ipynb": (
        "team-meeting.mp4: video, 00:02:00",  # the dry run
        "request(s) to qwen3-omni-flash (subtitles)",
        "complete: True",
        "00:00:00,500 --> 00:00:04,900",  # the SRT, in the whole recording's time
        "last cue: 0:01:",
        "description-2 00:01:",  # a segment Document and its time
        "time: 00:00:40 - 00:01:20",  # the answer cites the moment's segment (00:01:10 lies in it)
        "answered from the segment at [",
    ),
    "realtime_voice.ipynb": (
        "you: [1.",  # what the emulator's VAD heard
        "tool call: get_weather {'city': 'Paris'}",
        "tool output: Sunny and 24 \\u00b0C in Paris",
        "model: The tool returned: Sunny and 24",
        "complete: True",
        "audio/wav",  # the inline player
    ),
    "llamaindex_quickstart.ipynb": (
        "1 image (png, 128x96",
        "1 audio (mp3",
        "1 video (mp4",
        "1 video of 4 frames",
        "audio/wav",
        "reasoning tokens",
        "sound.mp3",
        "The tool returned: Sunny and 21 C in Paris",
    ),
}


def test_every_notebook_is_tested() -> None:
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_committed_notebook_has_no_outputs(name: str) -> None:
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)  # type: ignore[no-untyped-call]
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code and all(not cell.outputs and cell.execution_count is None for cell in code)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_runs_on_the_emulator(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.delenv("DASHSCOPE_BASE_URL", raising=False)
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)  # type: ignore[no-untyped-call]
    NotebookClient(
        notebook, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = json.dumps(outputs)
    assert "local-emulator" not in text  # the stand-in key is never printed
    assert "using the local emulator" in text
    for expected in EXPECTED[name]:
        assert expected in text, expected
    assert list(tmp_path.iterdir()) == []  # the notebook wrote nothing in its folder
