"""The emulator stays up for the clients users point at it in CI: bodies read as a stream with a cap (a 413 the
client hears), a timeout for a stalled upload (408), one INFO line for a client that went away, a DashScope 400
for any malformed JSON, and memory back to where it was after a large body (measured on a served process)."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest

from qwen_omni import Message, OmniClient
from qwen_omni.emulator import Emulator
from qwen_omni.errors import APIError
from qwen_omni.request_count import counting_requests

BODY = {"model": "qwen3-omni-flash", "stream": True, "messages": [{"role": "user", "content": "Hi"}]}
HEADERS = {"Authorization": "Bearer k"}
MB = 1024 * 1024


def _until(condition: object, seconds: float = 30.0) -> None:
    """Wait for ``condition()`` to hold (checked often; the bound is only a safety net on a busy machine)."""
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "the emulator never got there"
        time.sleep(0.02)


def _raw(emu: Emulator, head: bytes) -> socket.socket:
    sock = socket.create_connection((emu.host, emu.port), timeout=30)
    sock.sendall(head)
    return sock


def _request_head(emu: Emulator, length: int) -> bytes:
    return (
        f"POST /compatible-mode/v1/chat/completions HTTP/1.1\r\nHost: {emu.host}:{emu.port}\r\n"
        f"Authorization: Bearer k\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    ).encode()


def _read_response(sock: socket.socket) -> tuple[int, dict[str, object]]:
    data = b""
    while b"\r\n\r\n" not in data or len(data.partition(b"\r\n\r\n")[2]) < _length(data):
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body[: _length(data)])


def _length(data: bytes) -> int:
    for line in data.partition(b"\r\n\r\n")[0].split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":")[1])
    return 0


@pytest.fixture
def small_cap() -> Iterator[Emulator]:
    with Emulator(max_body_bytes=1 * MB, body_timeout=0.5) as emu:
        yield emu


@pytest.mark.parametrize("chunked", [False, True])
def test_a_body_over_the_cap_gets_a_413_the_client_hears(small_cap: Emulator, chunked: bool) -> None:
    big = b"x" * (3 * MB)
    content: bytes | Iterator[bytes] = iter([big[i : i + 65536] for i in range(0, len(big), 65536)]) if chunked else big
    with httpx.Client(base_url=small_cap.base_url, headers=HEADERS) as http:
        answer = http.post("/chat/completions", content=content)
        after = http.post("/chat/completions", json=BODY)
    assert answer.status_code == 413
    body = answer.json()
    assert body["error"]["code"] == "request_too_large" and body["error"]["type"] == "invalid_request_error"
    assert "1,048,576 bytes" in body["error"]["message"] and body["request_id"]
    assert after.status_code == 200, "the connection and the server go on"


def test_the_client_gets_one_413_error_not_a_retried_connection_failure(small_cap: Emulator) -> None:
    client = OmniClient(api_key="sk-test", base_url=small_cap.base_url)
    with counting_requests() as sent, pytest.raises(APIError) as caught:
        client.complete([Message("user", "x" * (2 * MB))], model="qwen3-omni-flash")
    assert caught.value.status_code == 413 and sent.sent == 1


def test_a_stalled_upload_gets_a_408_and_the_server_goes_on(small_cap: Emulator) -> None:
    sock = _raw(small_cap, _request_head(small_cap, 1000) + b'{"model": ')
    with sock:
        status, body = _read_response(sock)
    assert status == 408
    assert body["error"]["code"] == "RequestTimeOut" and "0.5 s" in body["error"]["message"]  # type: ignore[index]
    with httpx.Client(base_url=small_cap.base_url, headers=HEADERS) as http:
        assert http.post("/chat/completions", json=BODY).status_code == 200


def test_a_client_that_goes_away_is_one_info_line(small_cap: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    for _ in range(20):
        sock = _raw(small_cap, _request_head(small_cap, 100_000) + b"x" * 1000)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        sock.close()

    def gone() -> list[logging.LogRecord]:
        return [r for r in caplog.records if "went away" in r.getMessage()]

    _until(lambda: len(gone()) == 20)
    assert all(r.levelno == logging.INFO and r.exc_info is None for r in gone())
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == [], "no traceback, no error"
    with httpx.Client(base_url=small_cap.base_url, headers=HEADERS) as http:
        assert http.post("/chat/completions", json=BODY).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b'{"model": "qwen3-omni-flash", "messages": [}',
        b"\xff\xfe not utf-8",
        b'{"model": "qwen3-omni-flash", "messages": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
        b'{"messages": [' + b'{"a": ' * 200 + b"1" + b"}" * 200 + b"]}",
    ],
    ids=["cut", "bad-token", "not-utf8", "nested-100000", "nested-200"],
)
def test_malformed_json_gets_a_dashscope_400(body: bytes) -> None:
    with Emulator() as emu, httpx.Client(base_url=emu.base_url, headers=HEADERS) as http:
        answer = http.post("/chat/completions", content=body, headers={"content-type": "application/json"})
        after = http.post("/chat/completions", json=BODY)
    assert answer.status_code == 400 and answer.headers["content-type"].startswith("application/json")
    error = answer.json()["error"]
    assert error["code"] == "invalid_parameter_error" and "not valid JSON" in error["message"]
    assert after.status_code == 200


def _rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="reads the served process's memory from /proc")
def test_memory_goes_back_to_its_baseline_after_large_bodies() -> None:
    served = subprocess.Popen(
        [sys.executable, "-m", "qwen_omni.emulator", "--port", "0", "--max-body-bytes", str(48 * MB)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert served.stdout is not None
        base_url = served.stdout.readline().strip()
        with httpx.Client(base_url=base_url, headers=HEADERS, timeout=120) as http:
            for _ in range(3):
                assert http.post("/chat/completions", json=BODY).status_code == 200
            baseline = _rss_mb(served.pid)
            # under the cap: read, parsed, then refused by the model's input limit
            head, tail = b'{"model":"qwen3-omni-flash","stream":true,"messages":[{"role":"user","content":"', b'"}]}'
            assert http.post("/chat/completions", content=head + b"x" * (40 * MB) + tail).status_code == 400
            # over the cap: read and dropped as it arrives
            assert http.post("/chat/completions", content=b"y" * (150 * MB)).status_code == 413
            assert http.post("/chat/completions", json=BODY).status_code == 200
            after = _rss_mb(served.pid)
    finally:
        served.terminate()
        served.wait(timeout=30)
    assert after < baseline + 32, f"RSS {baseline:.0f} MB -> {after:.0f} MB after 40 MB and 150 MB bodies"
