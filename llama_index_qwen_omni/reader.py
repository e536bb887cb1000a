"""``QwenOmniReader``: recordings (and images) as LlamaIndex Documents: timestamped transcripts, descriptions,
subtitles, summaries or answers to your own question, over the long-media pipeline (:mod:`qwen_omni.longmedia`).

Each recording is cut into segments within every limit of the model (a file that fits is sent whole), at the
quota's pace, and each segment becomes a Document whose text is in the whole recording's time, with ``time``,
``start`` and ``end`` in its metadata; on request one more Document holds the whole recording's transcript or
summary. Nothing is ever written beside the input (segments are cut in memory).

Example:
    >>> from qwen_omni import samples
    >>> from qwen_omni.emulator import Emulator
    >>> with Emulator() as emu:
    ...     reader = QwenOmniReader(model="qwen-omni-turbo", api_key="sk-test", base_url=emu.base_url)
    ...     documents = reader.load_data(samples.tone_wav(3.0), name="memo.wav")
    >>> documents[0].text
    '[00:00:00.000 --> 00:00:03.000] A voice at 440 Hz.'
    >>> {key: documents[0].metadata[key] for key in ("file_name", "time", "start", "end", "mode")}
    {'file_name': 'memo.wav', 'time': '00:00:00 - 00:00:03', 'start': 0.0, 'end': 3.0, 'mode': 'transcript'}
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path, PurePath
from typing import Annotated, Any, Self

from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.readers.base import BasePydanticReader
from llama_index.core.schema import Document
from pydantic import PlainSerializer, PlainValidator

from qwen_omni.errors import InvalidRequestError
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
from qwen_omni.longmedia.loading import check_keywords
from qwen_omni.longmedia.sharing import for_processes, shared_folder
from qwen_omni.longmedia.sync import run_sync

from ._pipeline import build_pipeline
from .llm import QwenOmni

__all__ = ["QwenOmniReader"]

Items = RecordingLike | PurePath | Sequence[RecordingLike | PurePath]
#: What the load methods take besides the file (SimpleDirectoryReader passes extra_info, and fs for fsspec).
LOAD_KEYWORDS = ("extra_info", "fs", "name", "show_progress")


def _config(value: Any) -> MediaLoaderConfig:
    if isinstance(value, MediaLoaderConfig):
        return value
    if isinstance(value, Mapping):
        return MediaLoaderConfig.from_dict(value)
    raise InvalidRequestError(f"config must be a MediaLoaderConfig; got {type(value).__name__}.")


#: The settings as a pydantic field: validated by the dataclass itself, dumped as its JSON-safe data.
_Config = Annotated[MediaLoaderConfig, PlainValidator(_config), PlainSerializer(lambda c: c.to_dict())]


def to_document(record: DocumentRecord) -> Document:
    """A pipeline record as a LlamaIndex ``Document``, its hidden metadata kept from the LLM and embeddings."""
    return Document(
        text=record.text,
        metadata=dict(record.metadata),
        id_=record.id,
        excluded_llm_metadata_keys=record.hidden_from_llm,
        excluded_embed_metadata_keys=record.hidden_from_embeddings,
    )


class QwenOmniReader(BasePydanticReader):
    """Audio, video and image files as Documents, one per segment in the whole recording's time.

    Args:
        llm: the :class:`~llama_index_qwen_omni.QwenOmni` whose model, key, endpoint and every request option
            (search, thinking, sampling...) are used, and whose callbacks and instrumentation see every request;
            built from the other keywords when not given.
        config: the reader's settings as one :class:`qwen_omni.face_kit.MediaLoaderConfig` (the same object
            LangChain's ``QwenOmniMediaLoader`` takes), or give them as keywords:
        mode: ``"auto"`` (a transcript of audio, a description of video), ``"transcript"``, ``"subtitles"``,
            ``"description"`` (the Qwen-Omni guide's timestamped format), ``"summary"`` (map-reduce over the
            segments) or ``"custom"`` (``prompt`` asked of each segment, told where it lies). Images are always
            asked ``image_prompt``.
        documents: ``"segments"`` (one Document per segment), ``"recording"`` (one for the whole recording: its
            transcript, description, SRT/WebVTT file, summary or answers) or ``"both"``; by default one for the
            whole recording in ``"summary"`` mode, else one per segment.
        segment_seconds, plan_options: how to cut (segments are always within the model's limits) and encode.
        max_concurrency: requests in flight at once over every call of this reader, across files and threads
            (``SimpleDirectoryReader.aload_data`` with many workers stays within it, and so does
            ``load_data(num_workers=N)``: the worker processes share it); or a shared ``Slots``.
        rate_limiter: the request and token budget every request waits for; by default the documented quota
            (60 requests and 100,000 tokens a minute) for this reader, shared by its copies in worker processes.
            Share one between readers, tools and machines (``RateLimiter(backend=RedisBackend(...))``).
        on_error: ``"raise"`` (a :class:`~qwen_omni.errors.LoadFailedError` once the recordings in flight are
            done, holding every Document made in ``.documents``) or ``"skip"`` (an empty Document with the
            reason in ``metadata["error"]`` stands for what failed, and the load goes on).
        prompt, image_prompt, subtitle_format, retries, cache_dir, show_progress, reduce_model: see
            ``MediaLoaderConfig``.
        **options: without ``llm``, the options of the ``QwenOmni`` to build (``model``, ``api_key``...).

    It is a LlamaIndex ``BasePydanticReader``: it goes in ``IngestionPipeline(readers=[ReaderConfig(reader=...)])``
    and ``SimpleDirectoryReader(file_extractor={".mp3": reader})`` (``fs`` included), and ``to_dict`` /
    ``from_dict`` round trips keep every setting but the API key (read again from ``DASHSCOPE_API_KEY``) and a
    shared rate budget (a reader made again has the documented quota).

    ``load_data`` takes a path, bytes (``name=`` names them), a binary file object, a URL (sent as it is, never
    downloaded), a :class:`qwen_omni.longmedia.Recording`, or a list of these; ``extra_info`` is added to every
    Document's metadata. See :mod:`qwen_omni.longmedia.documents` for the metadata; ``file_name``, ``recording``,
    ``time`` and ``kind`` are shown to the LLM and embeddings (``recording`` stays visible under
    ``SimpleDirectoryReader``, which hides ``file_name``). Document ids are deterministic.

    ``SimpleDirectoryReader(..., file_extractor={".mp3": reader}).load_data(num_workers=N)`` pickles the reader
    into N processes: they share one bound and one budget through files (``<cache_dir>/.shared``, or a temporary
    folder), and, with ``cache_dir``, each segment is sent once.

    Example:
        >>> reader = QwenOmniReader(model="qwen3-omni-flash", mode="subtitles", documents="both")
        >>> reader.pipeline.model, reader.settings.choice
        ('qwen3-omni-flash', 'both')
        >>> QwenOmniReader.from_dict(reader.to_dict()).config == reader.config
        True
    """

    llm: QwenOmni = Field(description="The QwenOmni that answers; its callbacks see every request.")
    config: _Config = Field(description="The reader's settings (qwen_omni.face_kit).")

    _pipeline: LongMedia = PrivateAttr()
    _shared: Path | None = PrivateAttr(default=None)

    def __init__(
        self,
        llm: QwenOmni | None = None,
        *,
        config: MediaLoaderConfig | None = None,
        is_remote: bool = False,
        **settings: Any,
    ) -> None:
        config, options = MediaLoaderConfig.of_keywords(
            config, settings, owner="QwenOmniReader", llm_given=llm is not None, llm_fields=QwenOmni.model_fields,
            llm_class="QwenOmni",
        )  # fmt: skip
        fields: dict[str, Any] = {
            "llm": llm or QwenOmni(**options),
            "config": config,
            "is_remote": is_remote,
        }
        super().__init__(**fields)
        self._pipeline = build_pipeline(self.llm, self.config)

    @classmethod
    def class_name(cls) -> str:
        return "QwenOmniReader"

    @property
    def pipeline(self) -> LongMedia:
        """The long-media pipeline every load goes through (one rate budget, one bound on requests in flight)."""
        return self._pipeline

    @property
    def settings(self) -> DocumentSettings:
        """What each recording is asked, and which Documents are made."""
        return self.config.document_settings

    def to_dict(self, **kwargs: Any) -> dict[str, Any]:
        """The reader as JSON-safe data: the LLM's settings (never its key), the reader's settings."""
        return {
            "llm": self.llm.to_dict(**kwargs),
            "config": self.config.to_dict(),
            "is_remote": self.is_remote,
            "class_name": self.class_name(),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any], **kwargs: Any) -> Self:
        """The reader of :meth:`to_dict`'s data (``kwargs`` override it, as LlamaIndex's ``from_dict`` does)."""
        values = {**data, **kwargs}
        values.pop("class_name", None)
        llm = values.pop("llm", None)
        config = values.pop("config", None)
        return cls(
            llm=QwenOmni.from_dict(llm) if isinstance(llm, dict) else llm,
            config=MediaLoaderConfig.from_dict(config) if isinstance(config, dict) else config,
            **values,
        )

    def __repr__(self) -> str:
        return f"QwenOmniReader(mode={self.settings.mode!r}, pipeline={self.pipeline!r})"

    def __reduce__(self) -> Any:
        """Pickled (``SimpleDirectoryReader(...).load_data(num_workers=N)`` sends a copy to each worker), every copy
        and this reader share one bound on requests in flight and one rate budget, through files in
        ``<cache_dir>/.shared`` (or a temporary folder): see :mod:`qwen_omni.longmedia.sharing`. A budget in
        Redis stays in Redis (the way to share across machines)."""
        if self._shared is None:
            cache = self.pipeline.cache
            folder = shared_folder(cache.directory if cache is not None else None)
            budget, bound = for_processes(self.pipeline.client.rate_limiter, self.pipeline.slots, folder)
            self.config = dataclasses.replace(self.config, rate_limiter=budget, max_concurrency=bound)
            self._pipeline = build_pipeline(self.llm, self.config)
            self._shared = folder
        return (_restore_reader, (self.llm, self.config, self.is_remote))

    # -- public API -------------------------------------------------------------------------------------

    def lazy_load_data(
        self,
        file: Items,
        extra_info: Mapping[str, Any] | None = None,
        fs: Any = None,
        *,
        name: str | None = None,
        show_progress: bool | dict[str, Any] | None = None,
        **unknown: Any,
    ) -> Iterator[Document]:
        """The Documents of ``file`` (one recording or a list), in order, each as soon as it is ready; at most
        ``max_concurrency`` requests run ahead of the Documents you have taken.

        ``fs`` (an fsspec file system, as ``SimpleDirectoryReader`` passes it) holds the files named;
        ``show_progress`` replaces the reader's own for this call.

        Raises:
            InvalidRequestError: bad input (a missing file, an unknown keyword), before any request is sent.
            LoadFailedError: with ``on_error="raise"``, after the recordings in flight are done.
        """
        check_keywords("lazy_load_data", unknown, LOAD_KEYWORDS)
        sources = sources_of(_items(file), name=name, fs=fs, extra=extra_info)
        return load_documents(self.pipeline, sources, self.settings, make=to_document, progress=show_progress)

    def load_data(
        self,
        file: Items,
        extra_info: Mapping[str, Any] | None = None,
        fs: Any = None,
        *,
        name: str | None = None,
        show_progress: bool | dict[str, Any] | None = None,
        **unknown: Any,
    ) -> list[Document]:
        """All Documents of ``file`` (one recording or a list); works as a ``SimpleDirectoryReader`` extractor."""
        check_keywords("load_data", unknown, LOAD_KEYWORDS)
        return run_sync(self.aload_data(file, extra_info, fs, name=name, show_progress=show_progress))

    async def aload_data(
        self,
        file: Items,
        extra_info: Mapping[str, Any] | None = None,
        fs: Any = None,
        *,
        name: str | None = None,
        show_progress: bool | dict[str, Any] | None = None,
        **unknown: Any,
    ) -> list[Document]:
        """Like :meth:`load_data`, without blocking the event loop; several recordings are read at once."""
        check_keywords("aload_data", unknown, LOAD_KEYWORDS)
        items = self.aiter_data(file, extra_info, fs, name=name, show_progress=show_progress)
        return [document async for document in items]

    def aiter_data(
        self,
        file: Items,
        extra_info: Mapping[str, Any] | None = None,
        fs: Any = None,
        *,
        name: str | None = None,
        show_progress: bool | dict[str, Any] | None = None,
    ) -> AsyncIterator[Document]:
        """The async form of :meth:`lazy_load_data`."""
        sources = sources_of(_items(file), name=name, fs=fs, extra=extra_info)
        return aload_documents(self.pipeline, sources, self.settings, make=to_document, progress=show_progress)


def _items(file: Items) -> Any:
    """``SimpleDirectoryReader`` passes ``pathlib`` paths, also pure POSIX ones for an fsspec file system."""
    if isinstance(file, PurePath):
        return str(file)
    if isinstance(file, list | tuple):
        return [str(item) if isinstance(item, PurePath) else item for item in file]
    return file


def _restore_reader(llm: QwenOmni, config: MediaLoaderConfig, is_remote: bool) -> QwenOmniReader:
    """A pickled reader, rebuilt in another process (sharing its bound and budget, see ``__reduce__``)."""
    return QwenOmniReader(llm, config=config, is_remote=is_remote)
