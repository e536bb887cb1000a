"""Fixtures for the LangChain adapter's tests (the shared emulator fixtures are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from emulator_support import EMULATOR_KEY

from langchain_qwen_omni import ChatQwenOmni
from qwen_omni.emulator import Emulator


@pytest.fixture
def make_llm(emu: Emulator) -> Callable[..., ChatQwenOmni]:
    """Build a ``ChatQwenOmni`` pointed at the emulator (no retries unless asked, so faults show at once)."""

    def make(**kwargs: Any) -> ChatQwenOmni:
        kwargs.setdefault("api_key", EMULATOR_KEY)
        kwargs.setdefault("base_url", emu.base_url)
        kwargs.setdefault("max_retries", 0)
        return ChatQwenOmni(**kwargs)

    return make


@pytest.fixture
def llm(make_llm: Callable[..., ChatQwenOmni]) -> ChatQwenOmni:
    return make_llm()
