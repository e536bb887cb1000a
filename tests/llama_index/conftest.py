"""Fixtures for the LlamaIndex adapter's tests: one in-process emulator for the whole directory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from llama_index_qwen_omni import QwenOmni
from qwen_omni.emulator import Emulator
from qwen_omni.emulator.received import ReceivedRequest

#: The key the tests' emulator accepts; it must never show up in a repr, a log line or an error.
EMULATOR_KEY = "sk-llamaindex-test-4f1c9e"


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
def make_llm(emu: Emulator) -> Callable[..., QwenOmni]:
    """Build a ``QwenOmni`` pointed at the emulator (no retries unless asked, so faults show at once)."""

    def make(**kwargs: Any) -> QwenOmni:
        kwargs.setdefault("api_key", EMULATOR_KEY)
        kwargs.setdefault("base_url", emu.base_url)
        kwargs.setdefault("max_retries", 0)
        return QwenOmni(**kwargs)

    return make


@pytest.fixture
def llm(make_llm: Callable[..., QwenOmni]) -> QwenOmni:
    return make_llm()


@pytest.fixture
def last(emu: Emulator) -> Callable[[], ReceivedRequest]:
    """``last()`` is the last request the emulator received (failing clearly when there is none)."""

    def get() -> ReceivedRequest:
        request = emu.last_request
        assert request is not None, "the emulator received no request"
        return request

    return get
