"""Constants shared by the LangChain adapter's tests (imported by name: the test folders are not packages)."""

from __future__ import annotations

import os

import pytest
from emulator_support import EMULATOR_KEY

__all__ = ["EMULATOR_KEY", "LIVE", "live"]

#: Tests that need the real DashScope service: marked ``live`` and skipped unless asked for with a key.
LIVE = bool(os.environ.get("DASHSCOPE_API_KEY")) and os.environ.get("QWEN_OMNI_LIVE") == "1"
live = pytest.mark.skipif(not LIVE, reason="needs the real DashScope API: set DASHSCOPE_API_KEY and QWEN_OMNI_LIVE=1")
