"""What processes share: a cache folder whose entries are checked (a corrupted but valid entry is sent again and
reported, never used), segments claimed before they are sent (two workers send each once; a worker killed with
SIGKILL leaves no claim behind, and a rerun sends nothing), and a bound on requests in flight across processes.
Every worker here is a real process (spawn), talking to the emulator."""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import re
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from qwen_omni import OmniClient, samples
from qwen_omni.emulator import Emulator
from qwen_omni.longmedia import AnswerCache, LongMedia, PlanOptions, ProcessSlots

OPTIONS = PlanOptions(segment_seconds=10)


def _segment(request: Any) -> int:
    found = re.search(r"part (\d+) of", request.user_text or "")
    assert found, request.user_text
    return int(found.group(1))


def _pipeline(base_url: str, cache: Path, worker: str = "main") -> LongMedia:
    client = OmniClient(api_key="sk-test", base_url=base_url, default_headers={"X-Worker": worker})
    return LongMedia(client, model="qwen-omni-turbo", cache=cache, options=OPTIONS, concurrency=2)


def _transcribe(base_url: str, path: str, cache: str, worker: str, out: Any) -> None:
    result = _pipeline(base_url, Path(cache), worker).run(Path(path), "transcript")
    out.put((worker, result.complete, result.requests, result.text))


def _start(context: Any, emu: Emulator, path: Path, cache: Path, worker: str, out: Any) -> Any:
    process = context.Process(target=_transcribe, args=(emu.base_url, str(path), str(cache), worker, out))
    process.start()
    return process


@pytest.fixture
def recording(tmp_path: Path) -> Path:
    path = tmp_path / "meeting.wav"
    samples.write_meeting_wav(path, 60.0, seed=3)
    return path


def test_two_processes_sharing_a_cache_send_each_segment_once(recording: Path, tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    with Emulator(first_chunk_delay=0.2) as emu:
        workers = [_start(context, emu, recording, tmp_path / "cache", name, out) for name in ("a", "b")]
        results = [out.get(timeout=300) for _ in workers]
        for worker in workers:
            worker.join(60)
        requests = emu.requests
    segments = Counter(_segment(r) for r in requests)
    assert all(complete for _, complete, _, _ in results) and results[0][3] == results[1][3]
    assert set(segments.values()) == {1}, f"each segment once between both: {segments}"
    assert sum(sent for _, _, sent, _ in results) == len(requests)


def test_a_killed_worker_leaves_no_claim_and_a_rerun_sends_nothing(recording: Path, tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    out = context.Queue()
    cache = tmp_path / "cache"
    with Emulator(first_chunk_delay=0.4) as emu:
        killed = _start(context, emu, recording, cache, "a", out)
        deadline = time.monotonic() + 120
        while sum(r.headers.get("x-worker") == "a" for r in emu.requests) < 2:  # "a" holds claims in flight
            assert time.monotonic() < deadline and killed.is_alive(), "worker a never sent"
            time.sleep(0.02)
        survivor = _start(context, emu, recording, cache, "b", out)
        os.kill(killed.pid, signal.SIGKILL)
        killed_at = time.monotonic()
        killed.join(60)
        worker, complete, _, text = out.get(timeout=300)
        survivor.join(60)
        sent_before = len(emu.requests)
        rerun = _pipeline(emu.base_url, cache, "c").run(recording, "transcript")
        requests = emu.requests
    assert (worker, complete, killed.exitcode) == ("b", True, -signal.SIGKILL)
    by_a = {_segment(r): r for r in requests if r.headers.get("x-worker") == "a"}
    by_b = Counter(_segment(r) for r in requests if r.headers.get("x-worker") == "b")
    assert set(by_b.values()) == {1}, "the survivor sends each segment at most once"
    assert set(by_a) | set(by_b) == set(range(1, len(rerun.plan.segments) + 1)), "every segment answered"
    for segment in set(by_a) & set(by_b):  # sent twice: the killed worker had it in flight, unanswered
        delivery = by_a[segment].delivery
        assert delivery is not None and delivery.ended_at is not None and delivery.ended_at > killed_at - 1.0
    assert len(requests) == sent_before and rerun.requests == 0, "the rerun finds every answer in the cache"
    assert rerun.text == text and all(a.cached for a in rerun.answers)


def test_a_corrupt_but_valid_entry_is_sent_again_and_reported(
    recording: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = tmp_path / "cache"
    with Emulator() as emu:
        first = _pipeline(emu.base_url, cache).run(recording, "transcript")
        entries = sorted(cache.glob("*/*.json"))
        assert len(entries) == len(first.answers) >= 4
        edited = json.loads(entries[0].read_text())
        edited["answer"]["text"] = "[00:00:00.000 --> 00:00:05.000] Words nobody said."  # still valid JSON
        entries[0].write_text(json.dumps(edited))
        entries[2].write_text(entries[1].read_text())  # another segment's entry under this name
        entries[3].write_text(entries[3].read_text()[:40])  # cut short
        emu.reset()
        with caplog.at_level(logging.WARNING, logger="qwen_omni"):
            rerun = _pipeline(emu.base_url, cache).run(recording, "transcript")
        resent = len(emu.requests)
    assert resent == 3 and rerun.requests == 3
    assert rerun.text == first.text and "nobody said" not in rerun.text
    assert len([n for n in rerun.notes if "did not verify" in n]) == 3
    reasons = " ".join(r.getMessage() for r in caplog.records)
    assert "checksum does not match" in reasons and "another segment's key" in reasons and "not JSON" in reasons
    assert len(AnswerCache(cache).rejected) == 0, "rewritten: a third run finds every entry sound"


def _hold_slots(folder: str, ready: Any) -> None:
    slots = ProcessSlots(2, folder)
    slots.acquire()
    slots.acquire()
    ready.set()
    time.sleep(600)


def test_the_bound_holds_across_processes_and_a_killed_holder_frees_its_slots(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    holder = context.Process(target=_hold_slots, args=(str(tmp_path), ready), daemon=True)
    holder.start()
    try:
        assert ready.wait(60)
        here = ProcessSlots(2, tmp_path)
        assert not here.try_acquire(), "the other process holds both slots"
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.join(30)
    here.acquire()
    assert here.try_acquire() and here.in_use == 2
    here.release()
    here.release()
