"""A real redis-server for tests, on a free loopback port, that a test may freeze (SIGSTOP), thaw and kill.

Skipped when the binary is absent, unless ``QWEN_OMNI_REQUIRE_REDIS=1`` (CI installs it, so a skip there would
hide the tests): then it fails.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator

import pytest

__all__ = ["RedisServer", "free_port", "redis_server"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class RedisServer:
    """One redis-server process (see the module docstring)."""

    def __init__(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            if os.environ.get("QWEN_OMNI_REQUIRE_REDIS") == "1":
                pytest.fail("redis-server is not installed, and QWEN_OMNI_REQUIRE_REDIS=1 asks for the Redis tests")
            pytest.skip("redis-server is not installed (apt-get install redis-server)")
        self.redis = pytest.importorskip("redis")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self._folder = tempfile.mkdtemp(prefix="qwen-omni-redis-")
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self._folder],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        self._wait_until_up()

    def _wait_until_up(self) -> None:
        client = self.redis.Redis(port=self.port, socket_timeout=1)
        deadline = time.monotonic() + 20
        try:
            while True:
                try:
                    client.ping()
                    return
                except self.redis.ConnectionError:
                    if time.monotonic() > deadline or self.process.poll() is not None:
                        pytest.fail("redis-server did not start")
                    time.sleep(0.05)
        finally:
            client.close()

    def freeze(self) -> None:
        """SIGSTOP: connections stay open, nothing answers."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL, as a crash or an out-of-memory kill."""
        with contextlib.suppress(ProcessLookupError):
            self.process.send_signal(signal.SIGCONT)
        self.process.kill()
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.thaw()
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self._folder, ignore_errors=True)


@contextlib.contextmanager
def redis_server() -> Iterator[int]:
    """A running redis-server's port for the block."""
    server = RedisServer()
    try:
        yield server.port
    finally:
        server.stop()
