"""Constants the test folders share (imported by name: the test folders are not packages)."""

from __future__ import annotations

#: The only key the tests' shared emulator accepts; it must never show up in a repr, a log, an error or a dump.
EMULATOR_KEY = "sk-emulator-test-7d2a91"
