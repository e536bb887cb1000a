"""One question about one recording, whatever its length, answered as text for an agent: the agent tools' core.

A recording that fits the model is asked in one request; a longer one is asked part by part (each part told
where it lies) and the answers come back together, each marked with its part's time, with a first line that
says why. Parts that could not be read are named with the reason; when no part could be, that is an error.

Example:
    >>> from qwen_omni import OmniClient, samples
    >>> from qwen_omni.emulator import Emulator
    >>> from qwen_omni.longmedia import LongMedia, Recording
    >>> with Emulator() as emu:
    ...     pipeline = LongMedia(OmniClient(api_key="sk-test", base_url=emu.base_url), model="qwen-omni-turbo",
    ...                          on_error="skip")
    ...     answer = asyncio.run(aanswer(pipeline, Recording("call.wav", data=samples.tone_wav(200.0)), "Who?"))
    >>> print(answer.splitlines()[0])
    call.wav is too long for one request to qwen-omni-turbo (00:03:20 is over qwen-omni-turbo's 180 s per audio \
file), so it was asked in 2 parts; each answer below is marked with its part's time in the recording.
"""

from __future__ import annotations

import asyncio

from ..errors import QwenOmniError
from .inputs import Recording
from .modes import clock
from .plan import whole_file_problems
from .results import LongMediaResult
from .runner import LongMedia

__all__ = ["aanswer", "agent_text"]


def agent_text(result: LongMediaResult, problems: list[str]) -> str:
    """The answers of a custom-prompt run as one text for an agent (see the module docstring).

    Raises:
        QwenOmniError: no part was answered (the first part's own error, when it is one of the project's).
    """
    if not result.answers:
        reasons = "; ".join(s.describe() for s in result.skipped) or "nothing was answered"
        first = result.skipped[0].error if result.skipped else None
        if isinstance(first, QwenOmniError) and len(result.skipped) == 1:
            raise first
        raise QwenOmniError(f"No part of {result.name} could be read: {reasons}.")
    if len(result.plan.segments) == 1:
        answer = result.answers[0]
        return (answer.recording_text or answer.text).strip()
    why = f" ({problems[0]})" if problems else ""
    lines = [
        f"{result.name} is too long for one request to {result.model}{why}, so it was asked in "
        f"{len(result.plan.segments)} parts; each answer below is marked with its part's time in the recording.",
        "",
        result.text,
    ]
    for skipped in result.skipped:
        lines += ["", f"[{clock(skipped.start)} - {clock(skipped.end)}] could not be read: {skipped.reason}"]
    return "\n".join(lines)


async def aanswer(pipeline: LongMedia, recording: Recording, question: str) -> str:
    """``question`` about ``recording``, asked of each of its parts if it does not fit one request."""
    problems = await asyncio.to_thread(whole_file_problems, recording, pipeline.model, pipeline.options)
    result = await pipeline.arun(recording, "custom", prompt=question)
    return agent_text(result, problems)
