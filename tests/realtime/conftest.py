"""Fixtures of the realtime tests: the shared emulator with its realtime side reset, and a session factory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from emulator_support import EMULATOR_KEY

from qwen_omni.emulator import Emulator
from qwen_omni.realtime import RealtimeSession, SessionConfig, SessionOptions
from qwen_omni.realtime.session import _Connector

MODEL = "qwen3.5-omni-flash-realtime"


@pytest.fixture
def rt(emu: Emulator) -> Iterator[Emulator]:
    """The shared emulator, its realtime journal, faults and settings reset."""
    emu.realtime.reset()
    yield emu
    emu.realtime.reset()


@pytest.fixture
def connect(rt: Emulator) -> Callable[..., _Connector]:
    """``connect(config=None, model=MODEL, **options)``: a session on the emulator, with short timeouts."""

    def make(config: SessionConfig | None = None, model: str = MODEL, **options: Any) -> _Connector:
        defaults: dict[str, Any] = {"connect_timeout": 10.0, "call_timeout": 10.0, "event_timeout": 15.0}
        return RealtimeSession.connect(model, config, base_url=rt.base_url, api_key=EMULATOR_KEY,
                                       options=SessionOptions(**{**defaults, **options}))  # fmt: skip

    return make
