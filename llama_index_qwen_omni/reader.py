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
import os
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from pathlib import Path, PurePath
from typing import Any, Literal

from llama_index.core.readers.base import BaseReader
from llama_index.core.schema import Document

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
from qwen_omni.longmedia.sharing import for_processes, shared_folder
from qwen_omni.longmedia.sync import run_sync
from qwen_omni.ratelimit import RequestBudget

from ._pipeline import build_pipeline
from .llm import QwenOmni

__all__ = ["QwenOmniReader"]

Items = RecordingLike | PurePath | Sequence[RecordingLike | PurePath]


def to_document(record: DocumentRecord) -> Document:
    """A pipeline record as a LlamaIndex ``Document``, its hidden metadata kept from the LLM and embeddings."""
    return Document(
        text=record.text,
        metadata=dict(record.metadata),
        id_=record.id,
        excluded_llm_metadata_keys=record.hidden_from_llm,
        excluded_embed_metadata_keys=record.hidden_from_embeddings,
    )


class QwenOmniReader(BaseReader):
    """Audio, video and image files as Documents, one per segment in the whole recording's time.

    Args:
        llm: the :class:`~llama_index_qwen_omni.QwenOmni` whose model, key, endpoint and options are used, and
            whose callbacks and instrumentation see every request; built from ``llm_kwargs`` when not given.
        mode: ``"auto"`` (a transcript of audio, a description of video), ``"transcript"``, ``"subtitles"``,
            ``"description"`` (the Qwen-Omni guide's timestamped format), ``"summary"`` (map-reduce over the
            segments) or ``"custom"`` (``prompt`` asked of each segment, told where it lies). Images are always
            asked ``image_prompt``.
        prompt: the question of ``"custom"`` mode.
        documents: ``"segments"`` (one Document per segment), ``"recording"`` (one for the whole recording: its
            transcript, description, SRT/WebVTT file, summary or answers) or ``"both"``; by default one for the
            whole recording in ``"summary"`` mode, else one per segment.
        segment_seconds: cut segments of at most this many seconds (they are always within the model's
            limits); None: as long as the model allows.
        plan_options: how to cut and encode (:class:`qwen_omni.longmedia.PlanOptions`: overlap, snapping cuts to
            silence, a stereo channel, fps, pixels ...); ``segment_seconds`` overrides its own.
        max_concurrency: requests in flight at once over every call of this reader, across files and threads
            (``SimpleDirectoryReader.aload_data`` with many workers stays within it, and so does
            ``load_data(num_workers=N)``: the worker processes share it); or a shared ``Slots``.
        rate_limiter: the request and token budget every request waits for; by default the documented quota
            (60 requests and 100,000 tokens a minute) for this reader, shared by its copies in worker processes.
            Share one between readers, tools and machines (``RateLimiter(backend=RedisBackend(...))``).
        on_error: ``"raise"`` (a :class:`~qwen_omni.errors.LoadFailedError` once the recordings in flight are
            done, holding every Document made in ``.documents``) or ``"skip"`` (an empty Document with the
            reason in ``metadata["error"]`` stands for what failed, and the load goes on).
        retries: tries again per segment after a connection error, a 5xx or a broken stream.
        cache_dir: keep each segment's answer in this folder, so that a rerun sends only what is missing.
        show_progress: a tqdm bar per recording on stderr (or tqdm's options as a dict).
        reduce_model: the model that writes a summary from the segments (default: the LLM's).
        subtitle_format: ``"srt"`` or ``"vtt"``, the whole-recording Document's format in ``"subtitles"`` mode.
        **llm_kwargs: options of the ``QwenOmni`` built when ``llm`` is not given (``model``, ``api_key``...).

    ``load_data`` takes a path, bytes (``name=`` names them), a binary file object, a URL (sent as it is, never
    downloaded), a :class:`qwen_omni.longmedia.Recording`, or a list of these; ``extra_info`` is added to every
    Document's metadata. It works as a ``SimpleDirectoryReader`` ``file_extractor`` (``fs`` included). See
    :mod:`qwen_omni.longmedia.documents` for the metadata; ``file_name``, ``recording``, ``time`` and ``kind``
    are shown to the LLM and embeddings (``recording`` stays visible under ``SimpleDirectoryReader``, which
    hides ``file_name``). Document ids are deterministic: ``<path or URL>#<mode>-<segment>``.

    ``SimpleDirectoryReader(..., file_extractor={".mp3": reader}).load_data(num_workers=N)`` pickles the reader
    into N processes: they share one bound and one budget through files (``<cache_dir>/.shared``, or a temporary
    folder), and, with ``cache_dir``, each segment is sent once.

    Example:
        >>> reader = QwenOmniReader(model="qwen3-omni-flash", mode="subtitles", documents="both")
        >>> reader.pipeline.model, reader.settings.choice
        ('qwen3-omni-flash', 'both')
    """

    def __init__(
        self,
        llm: QwenOmni | None = None,
        *,
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
        **llm_kwargs: Any,
    ) -> None:
        if llm is not None and llm_kwargs:
            raise InvalidRequestError(
                f"Pass either llm or QwenOmni options ({', '.join(sorted(llm_kwargs))}), not both."
            )
        if isinstance(max_concurrency, int) and max_concurrency < 1:
            raise InvalidRequestError(f"max_concurrency must be at least 1; got {max_concurrency}.")
        options = plan_options or PlanOptions()
        if segment_seconds is not None:
            options = dataclasses.replace(options, segment_seconds=float(segment_seconds))
        self.llm = llm or QwenOmni(**llm_kwargs)
        self.settings = DocumentSettings(mode, prompt, image_prompt, documents, subtitle_format)
        #: What the pipeline is built from (kept so that a pickled copy builds the same one).
        self._options: dict[str, Any] = {
            "mode": mode, "prompt": prompt, "image_prompt": image_prompt, "documents": documents,
            "plan_options": options, "max_concurrency": max_concurrency, "rate_limiter": rate_limiter,
            "on_error": on_error, "retries": retries, "cache_dir": cache_dir, "show_progress": show_progress,
            "reduce_model": reduce_model, "subtitle_format": subtitle_format,
        }  # fmt: skip
        self._shared: Path | None = None
        self.pipeline: LongMedia = self._build_pipeline()

    def _build_pipeline(self) -> LongMedia:
        options = self._options
        cache_dir = options["cache_dir"]
        return build_pipeline(
            self.llm,
            rate_limiter=options["rate_limiter"],
            concurrency=options["max_concurrency"],
            retries=options["retries"],
            on_error=options["on_error"],
            cache=os.fspath(cache_dir) if cache_dir is not None else None,
            progress=options["show_progress"],
            options=options["plan_options"],
            reduce_model=options["reduce_model"],
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
            self._options.update(rate_limiter=budget, max_concurrency=bound)
            self.pipeline = self._build_pipeline()
            self._shared = folder
        return (_restore_reader, (self.llm, dict(self._options)))

    # -- public API -------------------------------------------------------------------------------------

    def lazy_load_data(
        self,
        file: Items,
        extra_info: Mapping[str, Any] | None = None,
        fs: Any = None,
        *,
        name: str | None = None,
        **_: Any,
    ) -> Iterator[Document]:
        """The Documents of ``file`` (one recording or a list), in order, each as soon as it is ready.

        ``fs`` (an fsspec file system, as ``SimpleDirectoryReader`` passes it) holds the files named.

        Raises:
            InvalidRequestError: bad input (a missing file, an unknown mode), before any request is sent.
            LoadFailedError: with ``on_error="raise"``, after the recordings in flight are done.
        """
        sources = sources_of(_items(file), name=name, fs=fs, extra=extra_info)
        return load_documents(self.pipeline, sources, self.settings, make=to_document)

    def load_data(
        self,
        file: Items,
        extra_info: Mapping[str, Any] | None = None,
        fs: Any = None,
        *,
        name: str | None = None,
        **kwargs: Any,
    ) -> list[Document]:
        """All Documents of ``file`` (one recording or a list); works as a ``SimpleDirectoryReader`` extractor."""
        return run_sync(self.aload_data(file, extra_info, fs, name=name, **kwargs))

    async def aload_data(
        self,
        file: Items,
        extra_info: Mapping[str, Any] | None = None,
        fs: Any = None,
        *,
        name: str | None = None,
        **_: Any,
    ) -> list[Document]:
        """Like :meth:`load_data`, without blocking the event loop; several recordings are read at once."""
        return [document async for document in self.aiter_data(file, extra_info, fs, name=name)]

    def aiter_data(
        self,
        file: Items,
        extra_info: Mapping[str, Any] | None = None,
        fs: Any = None,
        *,
        name: str | None = None,
    ) -> AsyncIterator[Document]:
        """The async form of :meth:`lazy_load_data`."""
        sources = sources_of(_items(file), name=name, fs=fs, extra=extra_info)
        return aload_documents(self.pipeline, sources, self.settings, make=to_document)


def _items(file: Items) -> Any:
    """``SimpleDirectoryReader`` passes ``pathlib`` paths, also pure POSIX ones for an fsspec file system."""
    if isinstance(file, PurePath):
        return str(file)
    if isinstance(file, list | tuple):
        return [str(item) if isinstance(item, PurePath) else item for item in file]
    return file


def _restore_reader(llm: QwenOmni, options: dict[str, Any]) -> QwenOmniReader:
    """A pickled reader, rebuilt in another process (sharing its bound and budget, see ``__reduce__``)."""
    return QwenOmniReader(llm, **options)
