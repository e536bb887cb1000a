"""Constants the test folders share (imported by name: the test folders are not packages)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from qwen_omni.emulator import ScriptRequest
from qwen_omni.emulator.received import ReceivedRequest

#: The only key the tests' shared emulator accepts; it must never show up in a repr, a log, an error or a dump.
EMULATOR_KEY = "sk-emulator-test-7d2a91"


def peak_in_flight(requests: Sequence[ReceivedRequest]) -> int:
    """The most streamed answers the emulator was sending at once (from each one's arrival to its end)."""
    events = []
    for request in requests:
        ended = request.delivery.ended_at if request.delivery is not None else None
        assert ended is not None, "a stream that never ended"
        events += [(request.arrived, 1), (ended, -1)]
    peak = current = 0
    for _, change in sorted(events, key=lambda event: (event[0], event[1])):  # an end before a start at a tie
        current += change
        peak = max(peak, current)
    return peak


#: "it starts 00:02:00 into the recording": where the pipeline told a segment it lies.
_STARTS = re.compile(r"starts (\d\d:\d\d:\d\d) into the recording")


def segment_start(text: str) -> int:
    """The whole seconds a segment's prompt says it starts at (0 for a whole recording)."""
    found = _STARTS.search(text)
    if not found:
        return 0
    hours, minutes, seconds = (int(x) for x in found.group(1).split(":"))
    return hours * 3600 + minutes * 60 + seconds


def in_segment_clock(request: ScriptRequest) -> str:
    """A careless model's answer: a time counted from the start of the part it was sent (never the recording's),
    whatever the prompt asks. A reduce request (no media) repeats the times it was given."""
    if not request.parts:
        times = sorted(set(re.findall(r"at (\d\d:\d\d:\d\d)", request.text)))
        return "The bell rings " + " and ".join(f"at {t}" for t in times) + "."
    return "The bell rings at 00:00:05. Someone laughs at 0:12."


def content_id(path: Path) -> str:
    """The start of a recording's document ids: its content's SHA-256 (32 hex digits)."""
    return f"sha256:{hashlib.sha256(path.read_bytes()).hexdigest()[:32]}"


def in_turn(*answers: Any) -> Callable[[ScriptRequest], Any]:
    """An answer function that gives ``answers`` in order, one per request, and the last one again after them."""
    queue = list(answers)

    def answer(request: ScriptRequest) -> Any:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return answer
