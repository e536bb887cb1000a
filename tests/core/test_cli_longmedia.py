"""``qwen-omni transcribe | describe | subtitles | summarize`` in-process: against the CLI's own offline emulator,
or against this module's emulator (``--base-url``) where a test injects faults or counts requests."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
import srt
import webvtt

from qwen_omni import samples
from qwen_omni.cli import main
from qwen_omni.emulator import Emulator, Fault


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(autouse=True)
def no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.delenv("DASHSCOPE_BASE_URL", raising=False)


@pytest.fixture
def online(emu: Emulator, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Options that send to this module's emulator (emptied of earlier requests) instead of the CLI's own."""
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-cli-test")
    emu.reset()
    return ["--base-url", emu.base_url, "--model", "qwen-omni-turbo", "--no-progress"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("recordings")
    samples.write_meeting_wav(folder / "standup.wav", 200.0, seed=6)  # over qwen-omni-turbo's 180 s
    (folder / "promo.mp4").write_bytes(samples.meeting_mp4(20.0))
    (folder / "chart.png").write_bytes(samples.image_png())
    other = tmp_path_factory.mktemp("elsewhere")
    samples.write_meeting_wav(other / "standup.wav", 10.0, seed=1)
    return {"standup": folder / "standup.wav", "promo": folder / "promo.mp4", "chart": folder / "chart.png",
            "namesake": other / "standup.wav"}  # fmt: skip


def test_transcribe_prints_markdown_in_the_recordings_time_with_progress_on_stderr(files: dict[str, Path]) -> None:
    code, out, err = run("transcribe", str(files["standup"]), "--model", "qwen-omni-turbo")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "# standup.wav: transcript" and lines[2].startswith("- [00:00:0")
    assert any(line.startswith("- [00:03:") for line in lines), "the second segment's times are the recording's"
    assert "[offline] no DASHSCOPE_API_KEY is set" in err and "segment" in err and "100%" in err
    assert "segment" not in out


def test_subtitles_are_written_to_the_output_folder(files: dict[str, Path], tmp_path: Path) -> None:
    target = tmp_path / "subs"
    code, out, err = run("subtitles", str(files["standup"]), str(files["promo"]), "-o", str(target),
                         "--model", "qwen-omni-turbo", "--no-progress")  # fmt: skip
    assert code == 0 and out == "", err
    assert sorted(p.name for p in target.iterdir()) == ["promo.srt", "standup.srt"]  # no temporary file left
    cues = list(srt.parse((target / "standup.srt").read_text()))
    assert len(cues) > 20 and cues[-1].end.total_seconds() > 180
    assert f"wrote {target / 'standup.srt'} (2 request(s))" in err and "%|" not in err
    code, _, _ = run("subtitles", str(files["promo"]), "-o", str(target), "--format", "vtt", "--no-progress")
    assert code == 0 and webvtt.read(str(target / "promo.vtt")).captions


def test_describe_and_summarize(files: dict[str, Path], tmp_path: Path) -> None:
    code, _, err = run("describe", str(files["promo"]), "-o", str(tmp_path), "--segment-seconds", "10", "--no-progress")
    described = (tmp_path / "promo.description.md").read_text()
    assert code == 0 and described.startswith("# promo.mp4: description\n\n- 00:00:") and " – " in described, err
    code, _, err = run("summarize", str(files["standup"]), "-o", str(tmp_path), "--model", "qwen-omni-turbo",
                       "--no-progress")  # fmt: skip
    summary = (tmp_path / "standup.summary.md").read_text()
    assert code == 0 and summary.startswith('# standup.wav: summary\n\nReceived the text "Below are timestamped')


def test_dry_run_prints_the_plan_and_sends_nothing(files: dict[str, Path]) -> None:
    code, out, err = run("transcribe", str(files["standup"]), "--dry-run", "--model", "qwen-omni-turbo")
    assert code == 0 and err == ""  # no emulator started, no key needed
    assert out.startswith("standup.wav: audio, 00:03:20") and "2 request(s) to qwen-omni-turbo" in out
    assert "tokens in" in out and "pass --prices IN OUT for a cost" in out and "CNY" not in out
    code, out, _ = run("summarize", str(files["standup"]), "--dry-run", "--prices", "0.8", "3.2", "--currency", "USD")
    assert code == 0 and out.count("USD") == 1


def test_outputs_are_never_overwritten_silently(files: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "standup.transcript.md").write_text("keep me")
    code, _, err = run("transcribe", str(files["standup"]), "-o", str(tmp_path))
    assert code == 2 and "already exists; nothing was sent" in err and "[offline]" not in err
    assert (tmp_path / "standup.transcript.md").read_text() == "keep me"
    code, _, err = run("transcribe", str(files["namesake"]), "-o", str(tmp_path), "--overwrite", "--no-progress")
    assert code == 0 and (tmp_path / "standup.transcript.md").read_text().startswith("# standup.wav")
    code, _, err = run("transcribe", str(files["standup"]), str(files["namesake"]), "-o", str(tmp_path / "new"))
    assert code == 2 and "would both be written to" in err


def test_bad_input_exits_2_before_anything_is_sent(files: dict[str, Path], tmp_path: Path) -> None:
    for argv, told in (
        ([str(tmp_path / "missing.wav")], "does not exist"),
        ([str(files["chart"])], "is an image"),
        ([str(files["promo"]), "--concurrency", "0"], "at least 1"),
        ([str(files["promo"]), "--segment-seconds", "-3"], "must be positive"),
    ):
        code, out, err = run("transcribe", *argv)
        assert code == 2 and told in err and "[offline]" not in err and out == "", (argv, err)


def test_ask_on_a_recording_too_long_points_to_these_commands(files: dict[str, Path]) -> None:
    code, _, err = run("ask", str(files["standup"]), "-p", "Summarise", "--model", "qwen-omni-turbo")
    assert code == 2 and "[offline]" not in err
    assert "standup.wav cannot be sent to qwen-omni-turbo in one request: 00:03:20 is over" in err
    assert "qwen-omni transcribe standup.wav" in err and "summarize" in err


def test_a_failed_segment_with_skip_writes_the_rest_and_exits_1(
    files: dict[str, Path], online: list[str], emu: Emulator, tmp_path: Path
) -> None:
    emu.inject(Fault(status=400, message="Cannot hear it."))
    code, _, err = run("transcribe", str(files["standup"]), "-o", str(tmp_path), "--on-error", "skip",
                       "--concurrency", "1", *online)  # fmt: skip
    written = (tmp_path / "standup.transcript.md").read_text()
    assert code == 1 and "## Notes" in written and "skipped segment 1 (00:00:00 - " in written
    assert "note: skipped segment 1" in err and "Cannot hear it." in err
    assert "- [00:03:" in written  # the other segment's lines are there


def test_with_raise_a_failure_exits_1_and_a_rerun_with_the_cache_sends_only_what_is_missing(
    files: dict[str, Path], online: list[str], emu: Emulator, tmp_path: Path
) -> None:
    cache = ["--cache", str(tmp_path / "answers"), "-o", str(tmp_path / "out"), "--concurrency", "1"]
    emu.inject(Fault(status=400), after=1)
    code, _, err = run("transcribe", str(files["standup"]), str(files["promo"]), *cache, *online)
    assert code == 1 and "error: standup.wav: segment 2" in err and "promo.mp4: not started" in err
    assert not (tmp_path / "out" / "standup.transcript.md").exists()  # a partial answer is not passed off as whole
    sent = len(emu.requests)
    code, _, err = run("transcribe", str(files["standup"]), str(files["promo"]), *cache, *online)
    assert code == 0, err
    assert len(emu.requests) - sent == 2  # standup's second segment and promo.mp4; the first came from the cache
