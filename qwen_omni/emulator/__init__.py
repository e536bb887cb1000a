"""A local emulator of DashScope's Qwen-Omni endpoint (OpenAI-compatible mode), for offline tests.

It is a real HTTP server (Starlette on uvicorn, in a daemon thread) that speaks the documented wire format:
streamed ``chat.completion.chunk`` events, ``delta.audio`` PCM, ``reasoning_content``, tool calls (several
at once), usage, and DashScope's error bodies for every documented refusal. Its own answers state checkable
facts about what it received (image sizes, audio durations, frame counts), and :attr:`Emulator.requests`
records every request. Its own tool call (one, to the function ``tool_choice`` names or the first declared) has
arguments that fit the function's parameters and read the prompt (the numbers, quoted texts and last word of the
last user text), deterministically, as :mod:`.schema` describes and :mod:`.answer` decides. Its own JSON-mode
answer is ``{"answer": "<the facts sentence>"}``, whatever schema the prompt holds: it answers like a model, not a
validator. For anything else (a careless or a fitting JSON answer, parallel calls, a choice among tools, ReAct steps,
an agent's whole conversation) a test scripts the answer: ``Emulator(answer=fn)`` or ``with emu.answering(fn):``,
where ``fn`` maps a :class:`ScriptRequest` to text, a dict (JSON), a :class:`ScriptedToolCall` (or a list of them),
a :class:`ScriptedAnswer`, or None for the emulator's own answer (:mod:`.script`); the request's checks still run
first. :func:`schema_answer` is such a function, opted into for one's own smoke tests: JSON answers that fit the
schema the request holds (:mod:`.schema_answers`).

Example:
    >>> from openai import OpenAI
    >>> from qwen_omni.emulator import Emulator, Fault
    >>> with Emulator() as emu:
    ...     client = OpenAI(base_url=emu.base_url, api_key="any-key", max_retries=0)
    ...     stream = client.chat.completions.create(
    ...         model="qwen3.5-omni-flash", stream=True, messages=[{"role": "user", "content": "Hello?"}])
    ...     print("".join(c.choices[0].delta.content or "" for c in stream if c.choices))
    ...     emu.inject(Fault(status=429, retry_after=2))   # the next request gets a 429 + Retry-After: 2
    ...     emu.last_request.model
    Received the text "Hello?".
    'qwen3.5-omni-flash'

A single request can carry its own fault in the ``X-Emulator-Fault`` header (``status=503``,
``cut-after=3``, ``error-event-after=2;code=data_inspection_failed``, ``first-chunk-delay=0.5``...), and
choose how spoken answers carry their text with ``X-Emulator-Audio-Style: transcript``.

From a shell: ``python -m qwen_omni.emulator --port 8000`` (``--answer module:function`` to script it).
"""

from __future__ import annotations

from ..extras import require

require("starlette", "uvicorn", extra="emulator", needed_by="qwen_omni.emulator")

from .chat import AUDIO_STYLE_HEADER  # noqa: E402
from .faults import FAULT_HEADER, Fault  # noqa: E402
from .received import ReceivedPart, ReceivedRequest  # noqa: E402
from .schema_answers import schema_answer  # noqa: E402
from .script import (  # noqa: E402
    AnswerFunction,
    ScriptedAnswer,
    ScriptedToolCall,
    ScriptError,
    ScriptRequest,
    ToolResult,
)
from .server import Emulator  # noqa: E402

__all__ = [
    "AUDIO_STYLE_HEADER",
    "FAULT_HEADER",
    "AnswerFunction",
    "Emulator",
    "Fault",
    "ReceivedPart",
    "ReceivedRequest",
    "ScriptError",
    "ScriptRequest",
    "ScriptedAnswer",
    "ScriptedToolCall",
    "ToolResult",
    "schema_answer",
]
