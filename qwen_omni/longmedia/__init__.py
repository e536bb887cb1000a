"""Long recordings into timestamped transcripts, descriptions, subtitles and summaries, at the quota's pace.

The framework-free core of every face (the LlamaIndex reader, the LangChain loader, the agent tools, the
``qwen-omni transcribe | describe | subtitles | summarize`` commands). Its modules, one job each:

- :mod:`.inputs`: what a recording can be (path, bytes, file object, URL).
- :mod:`.limits`: every limit of one request of a model, for one segment.
- :mod:`.plan`: the plan: segments within every limit, estimated bytes and tokens, damage and silence found
  before sending; the dry run.
- :mod:`.encodings`: how cut segments are encoded: what the plan states, the cutter writes and the notes say.
- :mod:`.segments`: the plan made real: each segment as the part to send, produced lazily.
- :mod:`.modes`: what each mode asks of a segment, telling it where it lies in the recording.
- :mod:`.timestamps`: the answer's times found, shifted into the whole file's time, checked, ordered.
- :mod:`.merge`: the segments' lines put together (overlaps deduplicated) and rendered.
- :mod:`.subtitles`: SRT and WebVTT files.
- :mod:`.summary`: the reduce step of a summary.
- :mod:`.cache`: segment answers on disk, for resumption, checked on reading and claimed before sending.
- :mod:`.concurrency` and :mod:`.sharing`: the bound on requests in flight, within a process or across them.
- :mod:`.concurrency`: a bound on requests in flight, shared across calls.
- :mod:`.progress`: tqdm bars.
- :mod:`.results`: what a run gives back.
- :mod:`.runner`: :class:`LongMedia`, which runs it all.
- :mod:`.sync`: the sync forms of async work.
- :mod:`.documents`: answers as documents (ids, texts, metadata), the conventions of every face.
- :mod:`.loading`: many recordings into documents, in order, losing nothing.
- :mod:`.readahead`: how far a lazy load may run ahead of its caller.
- :mod:`.asking`: one question about a recording of any length, for an agent (one answer in the whole file's time).

The request budget itself (:class:`~qwen_omni.ratelimit.RateLimiter`) belongs to the client, so that every
request of one client shares it, the pipeline's and any other.

Example:
    >>> from qwen_omni import samples
    >>> pipeline = LongMedia(model="qwen-omni-turbo", options=PlanOptions(segment_seconds=60, snap=0))
    >>> plan = pipeline.plan(samples.tone_wav(150.0), name="call.wav")
    >>> [(s.start, s.end, s.delivery) for s in plan.segments]
    [(0.0, 50.0, 'audio'), (50.0, 100.0, 'audio'), (100.0, 150.0, 'audio')]
"""

from __future__ import annotations

from ..errors import SegmentFailedError
from ..ratelimit import RateLimiter, RedisBackend
from .cache import AnswerCache
from .concurrency import ProcessSlots, Slots
from .documents import IMAGE_PROMPT, DocumentChoice, DocumentMode, DocumentRecord, RecordingFacts
from .encodings import Encoding
from .inputs import Recording, RecordingLike, as_recording
from .loading import DocumentSettings, Source, aload_documents, load_documents, sources_of
from .modes import MODES, Mode
from .plan import Plan, PlannedSegment, PlanOptions, Prices, make_plan
from .readahead import ReadAhead
from .results import Gap, LongMediaResult, SegmentAnswer, SegmentOutcome, SkippedSegment
from .runner import Ask, LongMedia, OnError
from .segments import Piece, pieces
from .subtitles import to_srt, to_vtt
from .timestamps import TimedLine, timed_lines

__all__ = [
    "IMAGE_PROMPT",
    "MODES",
    "AnswerCache",
    "Ask",
    "DocumentChoice",
    "DocumentMode",
    "DocumentRecord",
    "DocumentSettings",
    "Encoding",
    "Gap",
    "LongMedia",
    "LongMediaResult",
    "Mode",
    "OnError",
    "Piece",
    "Plan",
    "PlanOptions",
    "PlannedSegment",
    "Prices",
    "ProcessSlots",
    "RateLimiter",
    "ReadAhead",
    "Recording",
    "RecordingFacts",
    "RecordingLike",
    "RedisBackend",
    "SegmentAnswer",
    "SegmentFailedError",
    "SegmentOutcome",
    "SkippedSegment",
    "Slots",
    "Source",
    "TimedLine",
    "aload_documents",
    "as_recording",
    "load_documents",
    "make_plan",
    "pieces",
    "sources_of",
    "timed_lines",
    "to_srt",
    "to_vtt",
]
