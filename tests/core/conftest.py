"""Fixtures for the core's tests: a module's own emulator (accepting any key) and an HTTP client for it."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from qwen_omni.emulator import Emulator


@pytest.fixture(scope="module")
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


@pytest.fixture(scope="module")
def http(emu: Emulator) -> Iterator[httpx.Client]:
    """Raw HTTP to the emulator's base URL, with a bearer key, for wire-level tests."""
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": "Bearer sk-any"}, timeout=60) as client:
        yield client
