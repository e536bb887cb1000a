"""Fixtures every test folder shares: one in-process emulator for the whole session."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from emulator_support import EMULATOR_KEY

from qwen_omni.emulator import Emulator
from qwen_omni.emulator.received import ReceivedRequest


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``live`` talk to the real DashScope API: they run only when asked for, with a key."""
    if os.environ.get("DASHSCOPE_API_KEY") and os.environ.get("QWEN_OMNI_LIVE") == "1":
        return
    skip = pytest.mark.skip(reason="needs the real DashScope API: set DASHSCOPE_API_KEY and QWEN_OMNI_LIVE=1")
    for item in items:
        if item.get_closest_marker("live"):
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def own_user_folders(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test gets its own user cache and state folders (the CLI's default answer cache and output records),
    so that no test reads another's answers or the machine's own."""
    home = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))


@pytest.fixture(scope="session")
def emulator() -> Iterator[Emulator]:
    with Emulator(api_key=EMULATOR_KEY) as emu:
        yield emu


@pytest.fixture
def emulator_key() -> str:
    return EMULATOR_KEY


@pytest.fixture
def emu(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> Emulator:
    """The shared emulator, with its request log emptied and no key or base URL in the environment."""
    monkeypatch.delenv("DASHSCOPE_API_KEY", raising=False)
    monkeypatch.delenv("DASHSCOPE_BASE_URL", raising=False)
    emulator.reset()
    return emulator


@pytest.fixture
def last(emu: Emulator) -> Callable[[], ReceivedRequest]:
    """``last()`` is the last request the emulator received (failing clearly when there is none)."""

    def get() -> ReceivedRequest:
        request = emu.last_request
        assert request is not None, "the emulator received no request"
        return request

    return get
