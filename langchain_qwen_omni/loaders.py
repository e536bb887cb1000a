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

from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any

from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document

from qwen_omni.face_kit import MediaLoaderConfig
from qwen_omni.longmedia import (
    DocumentRecord,
    DocumentSettings,
    LongMedia,
    RecordingLike,
    aload_documents,
    load_documents,
    sources_of,
)

from ._pipeline import build_pipeline, split_settings
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
        llm: the :class:`~langchain_qwen_omni.ChatQwenOmni` whose model, key, endpoint and every request option
            (search, thinking, sampling...) are used; built from the other keywords when not given.
        config: the loader's settings as one :class:`qwen_omni.face_kit.MediaLoaderConfig` (the same object
            LlamaIndex's ``QwenOmniReader`` takes), or give them as keywords:
        mode, prompt, image_prompt, documents, subtitle_format, segment_seconds, plan_options, max_concurrency,
            rate_limiter, on_error, retries, cache_dir, show_progress, reduce_model: see ``MediaLoaderConfig``
            (``mode="auto"`` transcribes audio and describes video; ``"summary"`` gives one Document for the whole
            recording; ``on_error="raise"`` keeps every Document made in the error's ``.documents``).
        metadata: added to every Document's metadata.
        **options: without ``llm``, the options of the ``ChatQwenOmni`` to build (``model``, ``api_key``...).

    Raises:
        InvalidRequestError: a setting that is neither the loader's nor the chat model's, or both ``llm`` and
            chat-model options.

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
        config: MediaLoaderConfig | None = None,
        metadata: Mapping[str, Any] | None = None,
        **settings: Any,
    ) -> None:
        self.config, self.llm = split_settings(config, llm, settings, owner="QwenOmniMediaLoader")
        self.sources = sources
        self.metadata = dict(metadata or {})
        self.settings: DocumentSettings = self.config.document_settings
        self.pipeline: LongMedia = build_pipeline(self.llm, self.config)

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
