"""Starting and stopping emulators: ports, threads, several at once, the journal under concurrency, the CLI."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from qwen_omni.emulator import Emulator, Fault

AUTH = {"Authorization": "Bearer k"}


def _chat(base_url: str, text: str) -> int:
    body = {"model": "qwen3.5-omni-flash", "stream": True, "messages": [{"role": "user", "content": text}]}
    return httpx.post(base_url + "/chat/completions", json=body, headers=AUTH, timeout=30).status_code


def test_start_stop_leaves_no_threads() -> None:
    before = {t.ident for t in threading.enumerate()}
    for _ in range(3):
        emu = Emulator()
        emu.start()
        assert emu.running and emu.port > 0
        assert emu.base_url == f"http://127.0.0.1:{emu.port}/compatible-mode/v1"
        assert _chat(emu.base_url, "Hi") == 200
        emu.stop()
        assert not emu.running
        with pytest.raises(httpx.ConnectError):
            httpx.get(emu.url + "/_emulator/health")
    leftover = [t for t in threading.enumerate() if t.ident not in before and t.is_alive()]
    assert leftover == []


def test_port_before_start_and_double_start() -> None:
    emu = Emulator()
    with pytest.raises(RuntimeError, match="not been started"):
        _ = emu.port
    assert "stopped" in repr(emu)
    with emu, pytest.raises(RuntimeError, match="already running"):
        emu.start()
    emu.stop()  # stopping twice is harmless


def test_several_emulators_at_once_keep_their_own_journals() -> None:
    with Emulator() as first, Emulator(audio_style="transcript") as second:
        assert first.port != second.port
        assert _chat(first.base_url, "one") == 200
        assert _chat(second.base_url, "two") == 200
        assert [r.user_text for r in first.requests] == ["one"]
        assert [r.user_text for r in second.requests] == ["two"]


def test_concurrent_requests_are_all_recorded() -> None:
    with Emulator() as emu:
        emu.inject(Fault(status=500), times=3)
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(lambda i: _chat(emu.base_url, f"request {i}"), range(16)))
        assert sorted(statuses) == [200] * 13 + [500] * 3
        assert len(emu.requests) == 16
        assert sorted(r.user_text for r in emu.requests) == sorted(f"request {i}" for i in range(16))
        emu.reset()
        assert emu.requests == [] and emu.last_request is None
        assert _chat(emu.base_url, "after reset") == 200  # no fault left in the queue


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_command_line_serves_until_terminated() -> None:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "qwen_omni.emulator", "--port", str(port), "--api-key", "sk-cli"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        assert base_url == f"http://127.0.0.1:{port}/compatible-mode/v1"
        assert httpx.get(f"http://127.0.0.1:{port}/_emulator/health").json()["status"] == "ok"
        body = {"model": "qwen3.5-omni-flash", "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
        assert httpx.post(base_url + "/chat/completions", json=body, headers=AUTH).status_code == 401
        ok = httpx.post(base_url + "/chat/completions", json=body, headers={"Authorization": "Bearer sk-cli"})
        assert ok.status_code == 200
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert process.returncode == 0, stderr
    assert "sk-cli" not in stderr


def test_stop_cuts_streams_still_playing() -> None:
    emu = Emulator(chunk_delay=5.0).start()
    body = {"model": "qwen3.5-omni-flash", "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
    with (
        httpx.Client(base_url=emu.base_url, headers=AUTH, timeout=30) as client,
        client.stream("POST", "/chat/completions", json=body) as response,
    ):
        lines = response.iter_lines()
        assert next(lines).startswith("data: ")  # the first chunk has no delay
        emu.stop()
        with pytest.raises(httpx.RemoteProtocolError):
            list(lines)
    assert not emu.running
