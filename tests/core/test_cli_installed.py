"""The long-recording commands as a user runs them: the installed ``qwen-omni`` entry point in a subprocess,
against this module's emulator (``--base-url``), with Ctrl-C, a failure and a rerun, a file that appears while it
runs, the umask, and a second process beside it. Tests wait on events (a request arriving at the emulator, a line
on stderr), never on time; requests are counted in the emulator's journal."""

from __future__ import annotations

import os
import queue
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from qwen_omni import samples
from qwen_omni.emulator import Emulator, Fault, ScriptRequest

EXE = Path(sys.executable).with_name("qwen-omni")
WAIT = 120.0  # seconds: a bound for a wait that would otherwise hang a broken run, never a pace


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("media")
    samples.write_meeting_wav(folder / "long.wav", 150.0, seed=3)  # 3 segments of 50 s with --segment-seconds 60
    samples.write_meeting_wav(folder / "short.wav", 10.0, seed=4)  # sent whole: one request
    (folder / "corrupt.mp3").write_bytes(b"ID3" + bytes(range(256)) * 64)
    return {"long": folder / "long.wav", "short": folder / "short.wav", "corrupt": folder / "corrupt.mp3"}


@pytest.fixture
def server(emu: Emulator) -> Emulator:
    emu.reset()
    return emu


def argv(emu: Emulator, *args: str) -> list[str]:
    return [str(EXE), "transcribe", *args, "--base-url", emu.base_url, "--model", "qwen-omni-turbo",
            "--segment-seconds", "60", "--snap", "0", "--concurrency", "1", "--no-progress"]  # fmt: skip


def environment() -> dict[str, str]:
    """The test's environment (its own XDG cache and state folders, see conftest) with a key."""
    return {**os.environ, "DASHSCOPE_API_KEY": "sk-installed", "PYTHONUNBUFFERED": "1"}


def run(command: list[str], **popen: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=environment(), capture_output=True, text=True, timeout=WAIT, check=False,
                          **popen)  # type: ignore[call-overload]  # fmt: skip


class Held:
    """An answer function that holds the requests for some parts until released, and says when each arrives."""

    def __init__(self, held: Callable[[ScriptRequest], bool]) -> None:
        self.held = held
        self.arrived: queue.Queue[str] = queue.Queue()
        self.release = threading.Event()

    def __call__(self, request: ScriptRequest) -> str:
        self.arrived.put(request.text)
        if self.held(request):
            self.release.wait(WAIT)
        return "[00:00:01.000 --> 00:00:03.000] Someone speaks."

    def wait_for(self, words: str) -> str:
        while True:
            text = self.arrived.get(timeout=WAIT)
            if words in text:
                return text


class Lines:
    """The lines a process writes on stderr, read in a thread, waited for by content."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        assert process.stderr is not None
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, args=(process.stderr,), daemon=True)
        self._thread.start()

    def _read(self, stream: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            self._queue.put(line)
        self._queue.put(None)

    def wait_for(self, words: str) -> str:
        while True:
            line = self._queue.get(timeout=WAIT)
            assert line is not None, f"stderr ended before {words!r}: {''.join(self.seen)}"
            self.seen.append(line)
            if words in line:
                return line

    def rest(self) -> str:
        self._thread.join(WAIT)
        while (line := self._queue.get_nowait() if not self._queue.empty() else None) is not None:
            self.seen.append(line)
        return "".join(self.seen)


def test_ctrl_c_writes_what_is_complete_says_what_is_cached_and_a_rerun_sends_only_the_rest(
    server: Emulator, media: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    command = argv(server, str(media["short"]), str(media["long"]), "-o", str(out))
    held = Held(lambda request: "part 2 of 3" in request.text)
    with server.answering(held):
        process = subprocess.Popen(command, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True)  # fmt: skip
        try:
            lines = Lines(process)
            held.wait_for("part 2 of 3")  # long.wav's part 1 is answered and cached (one request at a time)
            lines.wait_for("[short.wav] wrote")
            process.send_signal(signal.SIGINT)
            code = process.wait(WAIT)
        finally:
            held.release.set()
            if process.poll() is None:
                process.kill()
        err = lines.rest()
    assert code == 130, err
    assert (out / "short.transcript.md").read_text().startswith("# short.wav: transcript")
    assert not (out / "long.transcript.md").exists(), "an incomplete output is not passed off as whole"
    assert sorted(p.name for p in out.iterdir()) == ["short.transcript.md"], "no temporary file is left"
    assert "[interrupted] long.wav: 1 of 3 segment(s) answered" in err
    assert "rerun the same command to send only the 2 missing segments" in err and "Traceback" not in err
    counted = Held(lambda request: False)  # the held request may still be journalled: count the rerun's own
    with server.answering(counted):
        rerun = run(command)
    assert rerun.returncode == 0, rerun.stderr
    asked = [counted.arrived.get_nowait() for _ in range(counted.arrived.qsize())]
    assert len(asked) == 2 and "part 2 of 3" in asked[0] and "part 3 of 3" in asked[1], "only what is missing"
    assert "[short.wav] wrote" in rerun.stderr and "(0 request(s), 1 from the cache)" in rerun.stderr
    assert (out / "long.transcript.md").read_text().count("Someone speaks.") == 3


def test_a_failure_then_the_same_command_sends_only_the_missing_segments(
    server: Emulator, media: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    command = argv(server, str(media["short"]), str(media["long"]), "-o", str(out))
    server.inject(Fault(status=400, message="Cannot hear it."), after=2)  # short.wav, long.wav part 1, then fail
    failed = run(command)
    assert failed.returncode == 1
    assert "error: long.wav: segment 2 (00:00:50 - 00:01:40): BadRequestError" in failed.stderr
    assert "rerun the same command to send only the 2 missing segments" in failed.stderr
    assert (out / "short.transcript.md").exists() and not (out / "long.transcript.md").exists()
    sent = len(server.requests)
    assert sent == 3
    rerun = run(command)  # short.transcript.md is the file the first run wrote: replaced without --overwrite
    assert rerun.returncode == 0, rerun.stderr
    assert len(server.requests) - sent == 2
    assert "(2 request(s), 1 from the cache)" in rerun.stderr


def test_a_file_that_appears_while_the_command_runs_is_left_as_it_is(
    server: Emulator, media: dict[str, Path], tmp_path: Path
) -> None:
    out = tmp_path / "out"
    held = Held(lambda request: "part 3 of 3" in request.text)
    with server.answering(held):
        process = subprocess.Popen(argv(server, str(media["long"]), "-o", str(out)), env=environment(),
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            held.wait_for("part 3 of 3")
            out.mkdir(exist_ok=True)
            (out / "long.transcript.md").write_text("a colleague's notes")
            held.release.set()
            _, err = process.communicate(timeout=WAIT)
        finally:
            held.release.set()
            if process.poll() is None:
                process.kill()
    assert process.returncode == 1, err
    assert (out / "long.transcript.md").read_text() == "a colleague's notes"
    assert (out / "long.transcript.1.md").read_text().startswith("# long.wav: transcript")
    assert f"{out / 'long.transcript.md'} appeared while this command ran and was left as it is" in err
    assert f"went to {out / 'long.transcript.1.md'}" in err


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_outputs_take_the_umasks_mode(
    server: Emulator, media: dict[str, Path], tmp_path: Path, umask: int, mode: int
) -> None:
    done = run(argv(server, str(media["short"]), "-o", str(tmp_path)), umask=umask)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE((tmp_path / "short.transcript.md").stat().st_mode) == mode


def test_two_processes_side_by_side_write_one_whole_output(
    server: Emulator, media: dict[str, Path], tmp_path: Path
) -> None:
    command = argv(server, str(media["long"]), "-o", str(tmp_path / "out"))
    processes = [subprocess.Popen(command, env=environment(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True) for _ in range(2)]  # fmt: skip
    results = [p.communicate(timeout=WAIT) for p in processes]
    assert [p.returncode for p in processes] == [0, 0], results
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["long.transcript.md"]
    text = (tmp_path / "out" / "long.transcript.md").read_text()
    assert text.startswith("# long.wav: transcript") and text.count("- [00:0") > 10
    assert 3 <= len(server.requests) <= 6  # each segment sent at most once per process
    assert run(command).returncode == 0 and len(server.requests) <= 6, "a third run is answered by the cache"


def test_a_good_file_then_a_corrupt_one_exits_2_having_sent_nothing(
    server: Emulator, media: dict[str, Path], tmp_path: Path
) -> None:
    done = run(argv(server, str(media["short"]), str(media["corrupt"]), "-o", str(tmp_path)))
    assert done.returncode == 2 and "corrupt.mp3" in done.stderr and "Traceback" not in done.stderr
    assert server.requests == [] and list(tmp_path.iterdir()) == []
