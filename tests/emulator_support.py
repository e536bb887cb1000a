"""Constants the test folders share (imported by name: the test folders are not packages)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
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


def in_turn(*answers: Any) -> Callable[[ScriptRequest], Any]:
    """An answer function that gives ``answers`` in order, one per request, and the last one again after them."""
    queue = list(answers)

    def answer(request: ScriptRequest) -> Any:
        return queue.pop(0) if len(queue) > 1 else queue[0]

    return answer
