"""Long-media answers as documents: the ids, texts and metadata every face shares (the LlamaIndex reader, the
LangChain loader), framework-free.

One document per segment, its text the segment's lines in the whole recording's time, and on request one for
the whole recording (its transcript, description, subtitles file, summary or answers). Ids are
``sha256:<the recording's content hash>#<mode>-<segment>``: the same whatever path, folder or file object the
recording came from (a custom prompt's hash is part of the mode), so a vector store's upsert replaces a
recording's documents instead of adding them twice. A line whose time could not be used is in the text without
one; ``notes`` says so. Metadata values are flat (``str``, ``int``, ``float``, ``bool``, ``None``), as vector
stores want them:

- ``file_name`` and ``recording``: the recording's name. SimpleDirectoryReader hides ``file_name`` from
  embeddings and the LLM, so ``recording`` keeps the name in sight there.
- ``source``: its path, URL or name; ``file_path``: its path, when it has one; ``kind``: ``audio``,
  ``video`` or ``image``; ``mode``; ``model``.
- ``time``: where the document lies, ``HH:MM:SS - HH:MM:SS``; ``start`` and ``end``: the same in seconds of
  the whole recording (none of the three for an image, or for a URL of unknown length). ``segment_index``,
  ``segment_count``, and ``duration`` (of the recording; None for a URL of unknown length).
- ``notes``: what was off in the answer's times or text, only when something was; ``damaged``: the stretches
  of its span that could not be decoded (sent as silence), only when there are some.
- ``error`` and ``skipped=True``: a segment (or a whole recording) that has no answer, and why
  (``on_error="skip"``); its text is empty.
- On the whole-recording document: ``segments``, ``skipped_segments`` (which, and why), ``gaps`` (what the
  output lacks: damaged stretches, a file shorter than its header, skipped segments), ``complete``, ``requests``.

The LLM sees ``file_name``, ``recording``, ``time``, ``kind``, ``notes``, ``error``, ``skipped_segments``, ``damaged``
and ``gaps``; embeddings see ``file_name``, ``recording``, ``time`` and ``kind``; the rest is for filters and code.

Example:
    >>> from qwen_omni.longmedia import TimedLine
    >>> facts = RecordingFacts(id="sha256:9f2c", name="monday.wav", source="calls/monday.wav",
    ...                        kind="audio", mode="transcript", model="qwen3-omni-flash", duration=1200.0)
    >>> line = TimedLine(605.0, 607.5, "Shall we start?", 1)
    >>> answer = SegmentAnswer(1, 600.0, 1200.0, "[00:00:05,000 --> 00:00:07,500] Shall we start?", (line,))
    >>> record = segment_record(facts, answer, count=2)
    >>> record.id, record.text
    ('sha256:9f2c#transcript-1', '[00:10:05.000 --> 00:10:07.500] Shall we start?')
    >>> record.metadata["time"], record.metadata["start"], "time" in record.hidden_from_llm
    ('00:10:00 - 00:20:00', 600.0, False)
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, assert_never

from .inputs import Recording
from .merge import render_lines
from .modes import Mode, check_mode, clock
from .results import LongMediaResult, SegmentAnswer, SkippedSegment

__all__ = [
    "HIDDEN_KEYS",
    "IMAGE_PROMPT",
    "LLM_ONLY_KEYS",
    "DocumentChoice",
    "DocumentMode",
    "DocumentRecord",
    "RecordingFacts",
    "default_documents",
    "failed_record",
    "prompt_id",
    "recording_record",
    "recording_text",
    "resolve_mode",
    "segment_record",
    "segment_text",
    "skipped_record",
    "source_id",
]

#: What a face may be asked for: a mode of :mod:`.modes`, or ``"auto"`` (a transcript of audio, a
#: description of video).
DocumentMode = Literal["auto", "transcript", "subtitles", "description", "summary", "custom"]
#: Which documents a recording gives: one per segment, one for the whole recording, or both.
DocumentChoice = Literal["segments", "recording", "both"]

#: What an image is asked (an image has no time, so no timed mode applies to it).
IMAGE_PROMPT = "Describe this image in detail, including any text it contains."
#: Metadata shown to neither the LLM nor embeddings.
HIDDEN_KEYS = (
    "source", "file_path", "mode", "model", "start", "end", "duration", "segment_index", "segment_count",
    "segments", "complete", "requests", "skipped", "cached",
)  # fmt: skip
#: Metadata shown to the LLM but not embedded.
LLM_ONLY_KEYS = ("notes", "error", "skipped_segments", "damaged", "gaps")


@dataclass(frozen=True)
class DocumentRecord:
    """One document, before a framework makes it its own type."""

    id: str
    text: str
    metadata: dict[str, Any]

    @property
    def hidden_from_llm(self) -> list[str]:
        return [key for key in HIDDEN_KEYS if key in self.metadata]

    @property
    def hidden_from_embeddings(self) -> list[str]:
        return [key for key in (*HIDDEN_KEYS, *LLM_ONLY_KEYS) if key in self.metadata]


@dataclass(frozen=True)
class RecordingFacts:
    """What every document of one recording says about it; ``extra`` is the caller's own metadata."""

    id: str
    name: str
    source: str
    kind: str
    mode: str
    model: str
    duration: float | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)
    path: str | None = None
    #: What the ids say of the mode (:func:`prompt_id`): the mode, and a custom prompt's hash.
    key: str = ""
    #: Stretches of the recording that could not be decoded (``(start, end)`` in seconds).
    damaged: tuple[tuple[float, float], ...] = ()

    @property
    def ident(self) -> str:
        """The start of every document id of this recording: its content's hash and the mode (and prompt)."""
        return f"{self.id}#{self.key or self.mode}"

    def metadata(self, **more: Any) -> dict[str, Any]:
        base: dict[str, Any] = {**self.extra, "file_name": self.name, "recording": self.name}
        if "time" in more:  # shown early, so that an LLM reading the context meets the time first
            base["time"] = more.pop("time")
        if self.path is not None:
            base["file_path"] = self.path
        base.update(kind=self.kind, source=self.source, mode=self.mode, model=self.model, duration=self.duration)
        base.update(more)
        return base


def resolve_mode(mode: DocumentMode, kind: str, prompt: str | None, image_prompt: str) -> tuple[Mode, str | None]:
    """The pipeline's mode and prompt for a recording of ``kind``: an image is always asked ``image_prompt``
    (or the caller's own prompt in ``"custom"`` mode); ``"auto"`` transcribes audio and describes video.

    Example:
        >>> resolve_mode("auto", "video", None, IMAGE_PROMPT), resolve_mode("summary", "audio", None, IMAGE_PROMPT)
        (('description', None), ('summary', None))
    """
    if kind == "image":
        return "custom", (prompt if mode == "custom" and prompt else image_prompt)
    if mode == "auto":
        return ("transcript" if kind == "audio" else "description"), None
    return mode, prompt


def default_documents(mode: DocumentMode) -> DocumentChoice:
    """A summary gives one document for the whole recording; every other mode one per segment."""
    return "recording" if mode == "summary" else "segments"


def source_id(recording: Recording) -> str:
    """What a recording's document ids start with: its content's hash (the URL's, for a URL), so that the same
    recording gets the same ids whatever path, folder or file object it came from, and a vector store's upsert
    replaces its documents instead of adding them twice. Its name stays in the metadata.

    Example:
        >>> a, b = Recording("a.wav", data=b"RIFF...."), Recording("copy of a.wav", data=b"RIFF....")
        >>> source_id(a) == source_id(b), source_id(a)[:7]
        (True, 'sha256:')
    """
    return f"sha256:{recording.content_hash()[:32]}"


def prompt_id(mode: str, prompt: str | None) -> str:
    """The mode as a document id says it: a custom prompt's answers also carry the prompt's hash, so that two
    questions asked of one recording do not overwrite each other's documents.

    Example:
        >>> prompt_id("transcript", None), prompt_id("custom", "Who speaks?")
        ('transcript', 'custom~9c82b00d')
    """
    if mode != "custom" or not prompt:
        return mode
    return f"custom~{hashlib.sha256(prompt.encode()).hexdigest()[:8]}"


def _mode(value: str) -> Mode:
    return check_mode(value)


def _span(start: float, end: float) -> dict[str, Any]:
    return {"time": f"{clock(start)} - {clock(end)}", "start": round(start, 3), "end": round(end, 3)}


def segment_text(mode: Mode, answer: SegmentAnswer) -> str:
    """A segment's text: its lines in the whole recording's time (for a custom prompt, the model's own text with
    its times placed in the recording)."""
    if mode == "description":
        return render_lines(answer.lines, "description", unknown="")
    if mode == "transcript" or mode == "subtitles" or mode == "summary":
        return render_lines(answer.lines, "caption", unknown="")
    if mode == "custom":
        return (answer.recording_text or answer.text).strip()
    assert_never(mode)


def segment_record(facts: RecordingFacts, answer: SegmentAnswer, *, count: int) -> DocumentRecord:
    """The document of one answered segment (an image's one answer has no time and no index in its id)."""
    if facts.kind == "image":
        metadata = facts.metadata()
        identity = facts.ident
    elif facts.duration is None:  # a URL of unknown length: where the segment ends is not known
        metadata = facts.metadata(segment_index=answer.index, segment_count=count)
        identity = f"{facts.ident}-{answer.index}"
    else:
        metadata = facts.metadata(**_span(answer.start, answer.end), segment_index=answer.index, segment_count=count)
        identity = f"{facts.ident}-{answer.index}"
    notes = list(answer.notes)
    hurt = [(a, b) for a, b in facts.damaged if a < answer.end and b > answer.start]
    if hurt:
        metadata["damaged"] = "; ".join(f"{clock(a)} - {clock(b)}" for a, b in hurt)
    if answer.truncated:
        notes.append("the answer stopped at the model's output limit")
    if notes:
        metadata["notes"] = "; ".join(notes)
    if answer.cached:
        metadata["cached"] = True
    return DocumentRecord(identity, segment_text(_mode(facts.mode), answer), metadata)


def skipped_record(facts: RecordingFacts, skipped: SkippedSegment, *, count: int) -> DocumentRecord:
    """The empty document that stands for a skipped segment, with the reason in ``error``."""
    metadata = facts.metadata(
        **_span(skipped.start, skipped.end), segment_index=skipped.index, segment_count=count, skipped=True,
        error=skipped.reason,
    )  # fmt: skip
    return DocumentRecord(f"{facts.ident}-{skipped.index}", "", metadata)


def recording_text(result: LongMediaResult) -> str:
    """The whole recording's document text: the run's text, its lines without a ``[time unknown]`` mark (the
    metadata's ``notes`` say which times could not be used)."""
    if result.mode == "transcript":
        return render_lines(result.lines, "caption", unknown="")
    if result.mode == "description":
        return render_lines(result.lines, "description", unknown="")
    return result.text


def recording_record(facts: RecordingFacts, result: LongMediaResult) -> DocumentRecord:
    """The document of the whole recording: the run's whole text (transcript, subtitles, summary ...)."""
    span = _span(0.0, facts.duration) if facts.duration is not None and facts.kind != "image" else {}
    metadata = facts.metadata(
        **span, segments=len(result.plan.segments), complete=result.complete, requests=result.requests
    )
    if result.skipped:
        metadata["skipped_segments"] = "; ".join(s.describe() for s in result.skipped)
    if result.gaps:
        metadata["gaps"] = "; ".join(gap.describe() for gap in result.gaps)
    if result.notes:
        metadata["notes"] = "; ".join(result.notes)
    return DocumentRecord(facts.ident, recording_text(result), metadata)


def failed_record(facts: RecordingFacts, error: BaseException) -> DocumentRecord:
    """The empty document that stands for a recording that could not be read at all (``on_error="skip"``)."""
    metadata = facts.metadata(skipped=True, error=f"{type(error).__name__}: {error}")
    return DocumentRecord(facts.ident, "", metadata)
