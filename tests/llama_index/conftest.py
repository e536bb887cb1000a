"""Fixtures for the LlamaIndex adapter's tests (the shared emulator fixtures are in tests/conftest.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from emulator_support import EMULATOR_KEY
from llama_index.core.instrumentation import get_dispatcher
from llama_index.core.instrumentation.event_handlers import BaseEventHandler
from llama_index.core.instrumentation.events import BaseEvent

from llama_index_qwen_omni import QwenOmni
from qwen_omni.emulator import Emulator


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


class _Events(BaseEventHandler):
    events: list[BaseEvent]

    @classmethod
    def class_name(cls) -> str:
        return "Events"

    def handle(self, event: BaseEvent, **kwargs: Any) -> None:
        self.events.append(event)


@pytest.fixture
def events() -> Iterator[list[BaseEvent]]:
    """Every instrumentation event LlamaIndex dispatches while the test runs."""
    handler = _Events(events=[])
    dispatcher = get_dispatcher()
    dispatcher.add_event_handler(handler)
    try:
        yield handler.events
    finally:
        dispatcher.event_handlers.remove(handler)
