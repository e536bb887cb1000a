"""``QwenOmniReader``: audio, video and image files as LlamaIndex Documents, described or transcribed by Qwen-Omni.

Long audio and video are cut with :func:`qwen_omni.media.split` into segments held in memory (nothing is ever
written beside the input, or anywhere else); each segment becomes a Document with its ``start`` and ``end``
seconds, so a query engine can cite where in the recording an answer came from.

Example:
    >>> from llama_index_qwen_omni import QwenOmniReader
    >>> reader = QwenOmniReader(model="qwen3.5-omni-flash", segment_seconds=60)
    >>> # documents = reader.load_data(["meeting.mp3", "demo.mp4", "slide.png"])
    >>> # documents[0].metadata -> {'file_path': ..., 'kind': 'audio', 'start': 0.0, 'end': 60.0, ...}
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from llama_index.core.readers.base import BaseReader
from llama_index.core.schema import Document

from qwen_omni.media import MediaInfo, probe, split
from qwen_omni.parts import MediaKind, TextPart, media_part
from qwen_omni.profiles import get_profile
from qwen_omni.request import Message, RequestOptions

from .llm import QwenOmni

#: What the reader asks about each kind of media.
DEFAULT_PROMPTS: dict[str, str] = {
    "audio": (
        "Transcribe the speech in this audio verbatim. Then, in one short paragraph, describe any other sounds, "
        "music or noise. If there is no speech, say so and describe what can be heard."
    ),
    "video": (
        "Describe what happens in this video, in order, with the people, objects, on-screen text and actions "
        "you see. Then transcribe any speech."
    ),
    "image": "Describe this image in detail, including any text it contains.",
}

PathLike = str | os.PathLike[str]

#: Metadata kept out of the embedded and the prompted text (``file_name``, ``kind``, ``start``, ``end`` stay in,
#: so that answers can say where in a recording something was heard).
_HIDDEN_METADATA = ("file_path", "model", "duration", "segment_index", "segment_count")


@dataclass(frozen=True)
class _Piece:
    """One request's worth of media: a whole file, or one segment of it."""

    path: Path
    kind: MediaKind
    source: bytes | str  # the file's bytes or path, or a segment's bytes
    info: MediaInfo
    index: int
    count: int
    start: float | None
    end: float | None


class QwenOmniReader(BaseReader):
    """Turns audio, video and image files into Documents whose text is the model's transcript or description.

    Args:
        llm: the :class:`~llama_index_qwen_omni.QwenOmni` to ask; built from ``llm_kwargs`` when not given.
        segment_seconds: cut audio and video into pieces of at most this many seconds (one Document each);
            None sends a whole file when it fits the model's limit and cuts it at that limit otherwise.
        prompts: what to ask per kind (``"audio"``, ``"video"``, ``"image"``); defaults in :data:`DEFAULT_PROMPTS`.
        max_concurrency: requests in flight at once in :meth:`aload_data`.
        **llm_kwargs: options for the ``QwenOmni`` built when ``llm`` is not given (``model``, ``api_key``...).

    Metadata of each Document: ``file_path``, ``file_name``, ``kind``, ``duration`` (of the whole file, for
    audio and video), ``model``, and for audio and video ``start``, ``end``, ``segment_index``, ``segment_count``.
    Only ``file_name``, ``kind``, ``start`` and ``end`` are shown to embeddings and to the LLM.

    Example:
        >>> reader = QwenOmniReader(model="qwen3-omni-flash", segment_seconds=30)
        >>> reader.segment_seconds
        30.0
    """

    def __init__(
        self,
        llm: QwenOmni | None = None,
        *,
        segment_seconds: float | None = 60.0,
        prompts: Mapping[str, str] | None = None,
        max_concurrency: int = 4,
        **llm_kwargs: Any,
    ) -> None:
        if llm is not None and llm_kwargs:
            raise ValueError(f"Pass either llm or QwenOmni options ({', '.join(sorted(llm_kwargs))}), not both.")
        if segment_seconds is not None and not segment_seconds > 0:
            raise ValueError(f"segment_seconds must be positive or None; got {segment_seconds}.")
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1; got {max_concurrency}.")
        self.llm = llm or QwenOmni(**llm_kwargs)
        self.segment_seconds = float(segment_seconds) if segment_seconds is not None else None
        self.prompts = {**DEFAULT_PROMPTS, **(prompts or {})}
        self.max_concurrency = max_concurrency

    # -- public API -------------------------------------------------------------------------------------

    def lazy_load_data(
        self,
        file: PathLike | Sequence[PathLike],
        extra_info: Mapping[str, Any] | None = None,
        fs: Any = None,
        **_: Any,
    ) -> Iterator[Document]:
        """Documents for ``file`` (a path or a list of paths), one per file or segment, as each is answered.

        ``fs`` (an fsspec file system, as ``SimpleDirectoryReader`` passes it) reads files that are not local.
        """
        options = self._options()
        for piece in self._pieces(file, fs):
            result = self.llm.client.complete([self._message(piece)], options)
            yield self._document(piece, result.text, extra_info)

    def load_data(
        self,
        file: PathLike | Sequence[PathLike],
        extra_info: Mapping[str, Any] | None = None,
        fs: Any = None,
        **kwargs: Any,
    ) -> list[Document]:
        """All Documents for ``file`` (a path or a list of paths); works as a ``SimpleDirectoryReader`` extractor."""
        return list(self.lazy_load_data(file, extra_info, fs, **kwargs))

    async def aload_data(
        self,
        file: PathLike | Sequence[PathLike],
        extra_info: Mapping[str, Any] | None = None,
        fs: Any = None,
        **_: Any,
    ) -> list[Document]:
        """Like :meth:`load_data`, with up to ``max_concurrency`` requests in flight; the order is kept."""
        semaphore = asyncio.Semaphore(self.max_concurrency)
        options = self._options()

        async def answer(piece: _Piece) -> Document:
            async with semaphore:
                result = await self.llm.client.acomplete([self._message(piece)], options)
            return self._document(piece, result.text, extra_info)

        return list(await asyncio.gather(*(answer(p) for p in self._pieces(file, fs))))

    # -- internals --------------------------------------------------------------------------------------

    def _options(self) -> RequestOptions:
        """The LLM's options, answering in text only (a reader has no use for speech)."""
        return dataclasses.replace(self.llm.request_options(), modalities=["text"], voice=None)

    def _pieces(self, file: PathLike | Sequence[PathLike], fs: Any) -> Iterator[_Piece]:
        files: Iterable[PathLike] = [file] if isinstance(file, str | os.PathLike) else file
        for item in files:
            path = Path(os.fspath(item)).expanduser()
            if fs is not None:
                with fs.open(str(path), "rb") as handle:
                    source: bytes | str = handle.read()
            else:
                source = str(path)  # read by PyAV and the core as needed, never copied to disk
            yield from self._split(path, source, probe(source))

    def _split(self, path: Path, source: bytes | str, info: MediaInfo) -> Iterator[_Piece]:
        if info.input_kind == "image" or info.duration is None:
            yield _Piece(path, info.input_kind, source, info, 0, 1, None, None)
            return
        seconds = self._segment_limit(info)
        if seconds is None or info.duration <= seconds:
            yield _Piece(path, info.kind, source, info, 0, 1, 0.0, info.duration)
            return
        segments = list(split(source, segment_seconds=seconds))
        for segment in segments:
            yield _Piece(path, info.kind, segment.data, info, segment.index, len(segments), segment.start, segment.end)

    def _segment_limit(self, info: MediaInfo) -> float | None:
        limits = get_profile(self.llm.model, warn=False)
        longest = (limits.audio if info.kind == "audio" else limits.video).max_seconds
        if self.segment_seconds is None:
            return longest
        return min(self.segment_seconds, longest) if longest is not None else self.segment_seconds

    def _message(self, piece: _Piece) -> Message:
        return Message("user", [media_part(piece.kind, piece.source), TextPart(self.prompts[piece.kind])])

    def _document(self, piece: _Piece, text: str, extra_info: Mapping[str, Any] | None) -> Document:
        metadata: dict[str, Any] = {
            **(extra_info or {}),
            "file_path": str(piece.path),
            "file_name": piece.path.name,
            "kind": piece.kind,
            "model": self.llm.model,
        }
        if piece.start is not None and piece.end is not None:
            metadata.update(
                duration=piece.info.duration,
                start=round(piece.start, 3),
                end=round(piece.end, 3),
                segment_index=piece.index,
                segment_count=piece.count,
            )
        doc_id = f"{piece.path}#{piece.index}" if piece.count > 1 else str(piece.path)
        hidden = [key for key in _HIDDEN_METADATA if key in metadata]
        return Document(
            text=text,
            metadata=metadata,
            id_=doc_id,
            excluded_embed_metadata_keys=hidden,
            excluded_llm_metadata_keys=hidden,
        )


__all__ = ["DEFAULT_PROMPTS", "QwenOmniReader"]
