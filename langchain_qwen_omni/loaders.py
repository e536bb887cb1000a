"""``QwenOmniMediaLoader``: recordings (and images) as LangChain Documents: timestamped transcripts,
descriptions, subtitles, summaries or answers to your own question, over the long-media pipeline.

The same pipeline and metadata as LlamaIndex's ``QwenOmniReader`` (:mod:`qwen_omni.longmedia.documents`): each
recording is cut within every limit of the model (a file that fits is sent whole), at the quota's pace; each
segment is one Document in the whole recording's time, with ``source``, ``time``, ``start`` and ``end`` in its
metadata, and on request one Document holds the whole recording.

Example:
    >>> from qwen_omni import samples
    >>> from qwen_omni.emulator import Emulator
    >>> from qwen_omni.longmedia import Recording
    >>> with Emulator() as emu:
    ...     llm = ChatQwenOmni(model="qwen-omni-turbo", api_key="sk-test", base_url=emu.base_url)
    ...     loader = QwenOmniMediaLoader(Recording("memo.wav", data=samples.tone_wav(3.0)), llm=llm)
    ...     documents = loader.load()
    >>> documents[0].page_content, documents[0].metadata["time"], documents[0].id  # doctest: +ELLIPSIS
    ('[00:00:00.000 --> 00:00:03.000] A voice at 440 Hz.', '00:00:00 - 00:00:03', 'memo.wav@sha256:...#transcript-0')
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, Literal

from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document

from qwen_omni.errors import InvalidRequestError
from qwen_omni.longmedia import (
    IMAGE_PROMPT,
    DocumentChoice,
    DocumentMode,
    DocumentRecord,
    DocumentSettings,
    LongMedia,
    PlanOptions,
    RecordingLike,
    Slots,
    aload_documents,
    load_documents,
    sources_of,
)
from qwen_omni.longmedia.runner import OnError
from qwen_omni.ratelimit import RequestBudget

from ._pipeline import build_pipeline
from .chat_models import ChatQwenOmni

__all__ = ["QwenOmniMediaLoader"]


def to_document(record: DocumentRecord) -> Document:
    """A pipeline record as a LangChain ``Document`` (its id the record's deterministic one)."""
    return Document(page_content=record.text, metadata=dict(record.metadata), id=record.id)


class QwenOmniMediaLoader(BaseLoader):
    """Audio, video and image files as Documents, one per segment in the whole recording's time.

    Args:
        sources: one recording or a list: paths, bytes, binary file objects, URLs (sent as they are, never
            downloaded) or :class:`qwen_omni.longmedia.Recording` items (which name bytes).
        llm: the :class:`~langchain_qwen_omni.ChatQwenOmni` whose model, key, endpoint and options are used;
            built from ``llm_kwargs`` when not given.
        mode: ``"auto"`` (a transcript of audio, a description of video), ``"transcript"``, ``"subtitles"``,
            ``"description"``, ``"summary"`` (map-reduce over the segments) or ``"custom"`` (``prompt`` asked of
            each segment, told where it lies). Images are always asked ``image_prompt``.
        documents: ``"segments"``, ``"recording"`` (one Document for the whole recording) or ``"both"``; by
            default the whole recording in ``"summary"`` mode, else one per segment.
        segment_seconds: cut segments of at most this many seconds (always within the model's limits).
        plan_options: how to cut and encode (:class:`qwen_omni.longmedia.PlanOptions`).
        max_concurrency: requests in flight at once over every load of this loader, or a shared ``Slots``.
        rate_limiter: the request and token budget every request waits for (default: the documented quota).
        on_error: ``"raise"`` (:class:`~qwen_omni.errors.LoadFailedError`, every Document made in
            ``.documents``) or ``"skip"`` (an empty Document with ``metadata["error"]`` stands for what failed).
        cache_dir: keep each segment's answer in this folder, so that a rerun sends only what is missing.
        show_progress: a tqdm bar per recording on stderr (or tqdm's options as a dict).
        timestamps: in ``"custom"`` mode, tell each segment how to count times and place every time of its answer
            in the whole recording (False: for prompts whose answers hold no times).
        metadata: added to every Document's metadata.
        **llm_kwargs: options of the ``ChatQwenOmni`` built when ``llm`` is not given.

    Example:
        >>> loader = QwenOmniMediaLoader(["standup.mp3", "demo.mp4"], model="qwen3-omni-flash", mode="summary")
        >>> loader.pipeline.model, loader.settings.choice
        ('qwen3-omni-flash', 'recording')
    """

    def __init__(
        self,
        sources: RecordingLike | Sequence[RecordingLike],
        *,
        llm: ChatQwenOmni | None = None,
        mode: DocumentMode = "auto",
        prompt: str | None = None,
        image_prompt: str = IMAGE_PROMPT,
        documents: DocumentChoice | None = None,
        segment_seconds: float | None = None,
        plan_options: PlanOptions | None = None,
        max_concurrency: int | Slots = 4,
        rate_limiter: RequestBudget | None = None,
        on_error: OnError = "raise",
        retries: int = 2,
        cache_dir: str | os.PathLike[str] | None = None,
        show_progress: bool | dict[str, Any] = False,
        reduce_model: str | None = None,
        subtitle_format: Literal["srt", "vtt"] = "srt",
        timestamps: bool = True,
        metadata: Mapping[str, Any] | None = None,
        **llm_kwargs: Any,
    ) -> None:
        if llm is not None and llm_kwargs:
            raise InvalidRequestError(
                f"Pass either llm or ChatQwenOmni options ({', '.join(sorted(llm_kwargs))}), not both."
            )
        if isinstance(max_concurrency, int) and max_concurrency < 1:
            raise InvalidRequestError(f"max_concurrency must be at least 1; got {max_concurrency}.")
        options = plan_options or PlanOptions()
        if segment_seconds is not None:
            options = dataclasses.replace(options, segment_seconds=float(segment_seconds))
        self.sources = sources
        self.metadata = dict(metadata or {})
        self.llm = llm or ChatQwenOmni(**llm_kwargs)
        self.settings = DocumentSettings(mode, prompt, image_prompt, documents, subtitle_format, timestamps)
        self.pipeline: LongMedia = build_pipeline(
            self.llm,
            rate_limiter=rate_limiter,
            concurrency=max_concurrency,
            retries=retries,
            on_error=on_error,
            cache_dir=cache_dir,
            progress=show_progress,
            options=options,
            reduce_model=reduce_model,
        )

    def __repr__(self) -> str:
        return f"QwenOmniMediaLoader(mode={self.settings.mode!r}, pipeline={self.pipeline!r})"

    def lazy_load(self) -> Iterator[Document]:
        """The Documents, in the order of the sources, each as soon as it is ready.

        Raises:
            InvalidRequestError: bad input (a missing file), before any request is sent.
            LoadFailedError: with ``on_error="raise"``, after the recordings in flight are done.
        """
        sources = sources_of(self.sources, extra=self.metadata)
        return load_documents(self.pipeline, sources, self.settings, make=to_document)

    async def alazy_load(self) -> AsyncIterator[Document]:
        """The async form of :meth:`lazy_load` (requests run on the caller's event loop)."""
        sources = sources_of(self.sources, extra=self.metadata)
        async for document in aload_documents(self.pipeline, sources, self.settings, make=to_document):
            yield document
