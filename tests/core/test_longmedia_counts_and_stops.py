"""Two things a long run reports truthfully: the requests it sent (the client's own retries included, as the
server counts them, in the result and on the CLI), and a fatal segment error raised while a segment is still being
cut, with nothing after it (no "generator already executing", no task destroyed while pending)."""

from __future__ import annotations

import asyncio
import io
import logging
import threading
from pathlib import Path

import pytest

from qwen_omni import OmniClient, samples
from qwen_omni.cli import main
from qwen_omni.emulator import Emulator, Fault
from qwen_omni.errors import BadRequestError, SegmentFailedError
from qwen_omni.longmedia import LongMedia, PlanOptions
from qwen_omni.request import Message, RequestOptions
from qwen_omni.stream import OmniResult


def test_a_runs_request_count_includes_the_clients_retries(emu: Emulator) -> None:
    emu.reset()
    emu.inject(Fault(status=503), times=2)
    client = OmniClient(api_key="sk-test", base_url=emu.base_url)
    result = LongMedia(client, model="qwen-omni-turbo", options=PlanOptions(segment_seconds=10)).run(
        samples.tone_wav(25.0), "transcript", name="tone.wav"
    )
    assert result.requests == len(emu.requests) == len(result.plan.segments) + 2


def test_the_cli_counts_what_the_server_received(
    emu: Emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-cli-test")
    emu.reset()
    recording = tmp_path / "standup.wav"
    samples.write_meeting_wav(recording, 200.0, seed=6)  # two segments for qwen-omni-turbo
    emu.inject(Fault(status=503), times=2)
    out, err = io.StringIO(), io.StringIO()
    argv = ["subtitles", str(recording), "-o", str(tmp_path / "out"), "--base-url", emu.base_url,
            "--model", "qwen-omni-turbo", "--no-progress", "--rpm", "6000"]  # fmt: skip
    assert main(argv, out=out, err=err) == 0, err.getvalue()
    assert len(emu.requests) == 4 and "(4 request(s))" in err.getvalue()


class _Gated(io.BytesIO):
    """A recording whose bytes past a third are read only once the test lets them (a slow disk or share): the first
    segment (a quarter) is cut at once, the second waits."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.armed, self.waiting, self.open = threading.Event(), threading.Event(), threading.Event()

    def read(self, size: int | None = -1) -> bytes:
        if self.armed.is_set() and self.tell() > len(self.getvalue()) * 0.35:
            self.waiting.set()
            self.open.wait(30)
        return super().read(size)


def test_a_fatal_error_while_a_segment_is_being_cut_ends_cleanly(caplog: pytest.LogCaptureFixture) -> None:
    recording = _Gated(samples.tone_wav(30.0))

    async def refuse(messages: list[Message], options: RequestOptions) -> OmniResult:
        assert await asyncio.to_thread(recording.waiting.wait, 30), "the next segment is being cut"
        raise BadRequestError("refused", status_code=400)

    pipeline = LongMedia(
        OmniClient(api_key="sk-test", base_url="http://127.0.0.1:9/v1"), model="qwen-omni-turbo",
        options=PlanOptions(segment_seconds=10), ask=refuse, concurrency=2,
    )  # fmt: skip
    plan = pipeline.plan(recording, name="slow.wav")
    recording.armed.set()

    async def run() -> None:  # as the CLI runs it: asyncio.run, whose shutdown reports what a task left behind
        async for _ in pipeline.aiter_run(recording, "transcript", name="slow.wav", plan=plan):
            pass

    with caplog.at_level(logging.DEBUG), pytest.raises(SegmentFailedError) as caught:
        asyncio.run(run())
    recording.open.set()
    assert isinstance(caught.value.cause, BadRequestError)
    messages = " ".join(r.getMessage() for r in caplog.records)
    assert "already executing" not in messages and "destroyed but it is pending" not in messages
    assert "never retrieved" not in messages
