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


def test_a_mistyped_model_is_one_note_with_a_suggestion_not_a_warning(
    files: dict[str, Path], recwarn: pytest.WarningsRecorder
) -> None:
    code, _, err = run("transcribe", str(files["promo"]), "--model", "qwen3-omni-flsh", "--no-progress")
    assert code == 0, err
    notes = [line for line in err.splitlines() if "qwen3-omni-flsh" in line]
    assert notes == [notes[0]] and notes[0].startswith("note: qwen3-omni-flsh is not a model qwen-omni knows (did you")
    assert "did you mean qwen3-omni-flash?" in notes[0] and "Warning" not in err and ".py:" not in err
    assert not [w for w in recwarn if "qwen3-omni-flsh" in str(w.message)]
    code, _, err = run("ask", str(files["chart"]), "-p", "What is it?", "--model", "qwen3.5-omni-flsh")
    assert code == 0 and err.count("did you mean qwen3.5-omni-flash?") == 1


def test_folders_and_formats_the_api_does_not_take_are_named_as_what_they_are(
    files: dict[str, Path], tmp_path: Path
) -> None:
    folder = files["standup"].parent
    for command in (["ask", str(folder), "-p", "Hi"], ["transcribe", str(folder)]):
        code, _, err = run(*command)
        assert code == 2 and f"{folder} is a folder" in err and f"{folder}/*" in err and "[offline]" not in err
    memo = tmp_path / "memo.wma"
    memo.write_bytes(_wma(3.0))
    code, _, err = run("ask", str(memo), "-p", "Summarise")
    assert code == 2 and "memo.wma is wma audio, which the API does not take (audio: 3gp" in err
    assert "`qwen-omni transcribe memo.wma`" in err and "ffmpeg -i memo.wma memo.mp3" in err
    assert "longer limit" not in err
    code, out, err = run("transcribe", str(memo), "--no-progress")  # converted as it is sent
    assert code == 0 and "- [00:00:0" in out, err


def _wma(seconds: float) -> bytes:
    import av
    import numpy as np

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="asf") as container:
        stream = container.add_stream("wmav2", rate=16_000)
        stream.layout, stream.format, stream.bit_rate = "mono", "fltp", 32_000
        t = np.arange(round(seconds * 16_000)) / 16_000
        frame = av.AudioFrame.from_ndarray((0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None], "fltp", "mono")
        frame.sample_rate = 16_000
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return buffer.getvalue()


def test_urls_on_this_machine_are_flagged_and_duration_is_a_flag(files: dict[str, Path]) -> None:
    url = "http://127.0.0.1:9/talks/keynote.mp3"
    code, out, err = run("transcribe", url, "--dry-run", "--model", "qwen-omni-turbo")
    assert code == 0 and f"note: {url} is on this machine (127.0.0.1)" in err
    assert "Pass --duration if you know it" in out and "PlanOptions" not in out
    code, out, err = run("transcribe", "https://example.com/keynote.mp3", "--dry-run", "--duration", "95")
    assert code == 0 and "00:01:35" in out and "note:" not in err
    code, _, err = run("transcribe", "https://example.com/keynote.mp3", "--dry-run", "--duration", "4000",
                       "--model", "qwen-omni-turbo")  # fmt: skip
    assert code == 2 and "lasts 01:06:40, over qwen-omni-turbo's 180 s" in err
    code, _, err = run("transcribe", str(files["promo"]), "--dry-run", "--duration", "95")
    assert code == 0 and "note: --duration is for URLs" in err


def test_an_unwritable_cache_is_refused_before_anything_is_sent(
    files: dict[str, Path], online: list[str], emu: Emulator, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    code, _, err = run("transcribe", str(files["promo"]), "--cache", str(blocker / "answers"), *online)
    assert code == 2 and f"--cache {blocker / 'answers'} cannot be written" in err and "nothing was sent" in err
    assert "--no-cache" in err and emu.requests == []


def test_the_default_cache_answers_a_rerun_and_no_cache_keeps_nothing(
    files: dict[str, Path], online: list[str], emu: Emulator, tmp_path: Path
) -> None:
    code, first, _ = run("transcribe", str(files["standup"]), *online)
    assert code == 0 and len(emu.requests) == 2
    code, again, err = run("transcribe", str(files["standup"]), *online)
    assert code == 0 and again == first and len(emu.requests) == 2, err  # all from the cache
    copy = tmp_path / "renamed.wav"
    copy.write_bytes(files["standup"].read_bytes())  # keyed by content, not by name or path
    code, _, err = run("transcribe", str(copy), "-o", str(tmp_path / "out"), *online)
    assert code == 0 and len(emu.requests) == 2 and "(0 request(s), 2 from the cache)" in err
    code, _, _ = run("transcribe", str(files["standup"]), "--no-cache", *online)
    assert code == 0 and len(emu.requests) == 4


def test_a_failure_says_how_to_send_only_what_is_missing_in_flags(
    files: dict[str, Path], online: list[str], emu: Emulator, tmp_path: Path
) -> None:
    emu.inject(Fault(status=400, message="Cannot hear it."), after=1)
    code, _, err = run("transcribe", str(files["standup"]), str(files["promo"]), "--concurrency", "1", *online)
    assert code == 1 and "error: standup.wav: segment 2 (00:01:" in err and "Cannot hear it." in err
    assert "rerun the same command to send only the 2 missing segments" in err and "--on-error skip" in err
    assert ".partial" not in err and "cache=" not in err and "on_error=" not in err
    code, _, err = run("transcribe", str(files["standup"]), "--no-cache", *online)
    assert code == 0
    emu.inject(Fault(status=400), after=0)
    code, _, err = run("transcribe", str(files["promo"]), "--no-cache", *online)
    assert code == 1 and "with --no-cache no answer was kept" in err


def test_ask_each_asks_every_segment_and_gives_whole_file_times(
    files: dict[str, Path], online: list[str], emu: Emulator, tmp_path: Path
) -> None:
    with emu.answering(lambda request: "00:00:05 - 00:00:09 Someone greets the room.\n00:00:20 A reply."):
        code, out, err = run("ask-each", str(files["standup"]), "-p", "Who speaks, and when?", *online)
    assert code == 0, err
    prompts = [r.payload["messages"][0]["content"][-1]["text"] for r in emu.requests if r.payload]
    assert len(prompts) == 2 and all("Who speaks, and when?" in p for p in prompts)
    assert out.startswith("# standup.wav: answers\n\n## 00:00:00 - ")
    first, second = out.split("## ")[1:3]
    assert "00:00:05" in first and "00:00:09" in first and "Someone greets the room." in first
    start = second.split(" - ")[0]  # part 2 starts near 00:01:40 (the cut moved to a quiet moment)
    assert start.startswith("00:01:") and "00:01:4" in second.splitlines()[2], "part 2's times are the file's"
    assert "00:00:05" not in second
    code, out, _ = run("ask-each", str(files["standup"]), "-p", "Who speaks?", "--no-timestamps", "-o",
                       str(tmp_path), *online)  # fmt: skip
    assert code == 0 and (tmp_path / "standup.answers.md").exists()


def test_the_bar_names_the_stage(files: dict[str, Path], online: list[str]) -> None:
    progress = [o for o in online if o != "--no-progress"]
    code, _, err = run("transcribe", str(files["standup"]), str(files["promo"]), *progress)
    assert code == 0
    for stage in (
        "probing standup.wav",
        "probing promo.mp4",
        "standup.wav: hashing",
        "standup.wav: encoding segment 1/2",
        "standup.wav: encoding segment 2/2",
        "standup.wav: requests",
    ):
        assert stage in err, stage
    assert "2/2" in err and "100%" in err
