"""A LangChain tool that lets any agent look at a picture, listen to a recording or watch a video.

The agent passes a URL or a local path and a question; Qwen-Omni answers in text. Local files are read
only below ``root_dir`` (the core's :class:`~qwen_omni.local_media.LocalMediaPolicy`: ``..`` and symlinks
resolved first): an agent decides the path, so by default (``root_dir=None``) it may pass URLs only.

A local recording longer (or larger) than the model takes in one request is asked part by part through the
long-media pipeline (:mod:`qwen_omni.longmedia.asking`), at the quota's pace, and the answers come back
together, each marked with its part's time. Every failure (a refused path, an unreadable file, the service's
errors) reaches the agent as a tool error message (``ToolException``, shown by ``handle_tool_error``), never
as an exception out of the agent's run.

Example:
    >>> from qwen_omni import samples
    >>> from qwen_omni.emulator import Emulator
    >>> import pathlib, tempfile
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "chart.png").write_bytes(samples.image_png(64, 48))
    >>> with Emulator() as emu:
    ...     tool = QwenOmniMediaTool(llm=ChatQwenOmni(base_url=emu.base_url, api_key="sk-test"), root_dir=folder)
    ...     print(tool.invoke({"source": "chart.png", "question": "What does it show?"}))  # doctest: +ELLIPSIS
    Received 1 image (png, 64x48, ...) and the text "What does it show?".
"""

from __future__ import annotations

import asyncio
import base64
import mimetypes
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.messages import HumanMessage
from langchain_core.tools import BaseTool, ToolException
from pydantic import BaseModel, Field, PrivateAttr

from qwen_omni.errors import InvalidRequestError, QwenOmniError
from qwen_omni.excerpt import shorten
from qwen_omni.face_kit import MediaLoaderConfig
from qwen_omni.formats import MediaKind, extension, kind_from_name, normalize_audio_format
from qwen_omni.local_media import LocalMediaPolicy, as_tool_told
from qwen_omni.longmedia import LongMedia, as_recording
from qwen_omni.longmedia.asking import MediaAnswer, aanswer_media
from qwen_omni.longmedia.plan import whole_file_problems
from qwen_omni.longmedia.sync import run_sync
from qwen_omni.profiles import AUDIO_INPUT_FORMATS
from qwen_omni.sources import is_wire_url, load_source

from ._pipeline import build_pipeline
from .chat_models import ChatQwenOmni

#: What a tool tells the agent instead of raising: the service's errors, and the file system's.
FAILURES = (QwenOmniError, OSError)


class MediaQuestion(BaseModel):
    """What the agent asks about one media file."""

    source: str = Field(description="The media file: an http(s) URL, or a path relative to the allowed folder.")
    question: str = Field(default="Describe it in detail.", description="What to find out about the media.")
    kind: MediaKind | None = Field(
        default=None, description="'image', 'audio' or 'video'; only needed when the name has no usual extension."
    )


class QwenOmniMediaTool(BaseTool):
    """Answer a question about an image, an audio recording or a video, with Qwen-Omni."""

    name: str = "understand_media"
    description: str = (
        "Look at an image, listen to an audio recording or watch a video (with its sound), given by URL or file "
        "path, and answer a question about it in text."
    )
    args_schema: type[BaseModel] = MediaQuestion
    handle_tool_error: bool = True
    llm: ChatQwenOmni = Field(default_factory=ChatQwenOmni)
    """The model that answers (its key, endpoint and model name)."""
    root_dir: Path | None = None
    """Local files are read only below this folder; None allows URLs only."""
    max_concurrency: int = 4
    """Requests in flight at once while a long recording is asked part by part (over every call of the tool)."""
    rate_limiter: Any = None
    """The request and token budget of those requests (a :class:`qwen_omni.RateLimiter`; default: the
    documented quota, for this tool). Share one with other tools and loaders to keep them all within it."""
    cache_dir: Path | None = None
    """Keep each part's answer in this folder, so that asking again sends only what is missing."""
    max_answer_tokens: int | None = None
    """When the parts' answers together are longer, one more request combines them into one answer (in the whole
    recording's time); None: what one answer of the model may hold. The parts stay in the ``ToolMessage``'s
    ``artifact`` (a :class:`qwen_omni.longmedia.asking.MediaAnswer`)."""
    timestamps: bool = True
    """Tell each part how to count times and place every time of its answer in the whole recording (False: for
    questions whose answers hold no times)."""
    response_format: Literal["content", "content_and_artifact"] = "content_and_artifact"

    _pipeline: LongMedia | None = PrivateAttr(default=None)

    @property
    def pipeline(self) -> LongMedia:
        """The long-media pipeline that asks a long recording part by part (built at first use)."""
        if self._pipeline is None:
            config = MediaLoaderConfig(
                max_concurrency=self.max_concurrency, rate_limiter=self.rate_limiter, cache_dir=self.cache_dir,
                on_error="skip",
            )  # fmt: skip
            self._pipeline = build_pipeline(self.llm, config)
        return self._pipeline

    def _message(self, source: str, question: str, kind: MediaKind | None) -> list[HumanMessage]:
        if is_wire_url(source):
            block: dict[str, Any] = {"type": kind or _guess_kind(urlparse(source).path), "url": source}
        else:
            path = self._local_path(source)
            kind = kind or _guess_kind(str(path))
            # The tool reads the file itself, so the model needs no local_media_root of its own.
            loaded = load_source(path)
            data = base64.b64encode(loaded.data or b"").decode("ascii")
            block = {"type": kind, "base64": data}
            if kind == "audio" and (fmt := normalize_audio_format(extension(path.name) or "")) in AUDIO_INPUT_FORMATS:
                block["extras"] = {"format": fmt}
            elif kind == "image":
                block["mime_type"] = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return [HumanMessage([block, {"type": "text", "text": question}])]

    def _local_path(self, source: str) -> Path:
        if self.root_dir is None:
            raise ToolException(f"Only URLs are allowed here, not the local path {shorten(source)}.")
        try:
            path = LocalMediaPolicy(self.root_dir).location(source, "source")
        except InvalidRequestError as exc:
            raise ToolException(as_tool_told(str(exc))) from None
        assert isinstance(path, Path)  # URLs and data URIs were taken before
        return path

    def _long(self, source: str, kind: MediaKind | None) -> tuple[Path, list[str]] | None:
        """The local file and why it cannot go in one request, when it cannot (then it is asked part by part)."""
        if is_wire_url(source):
            return None
        path = self._local_path(source)
        if (kind or _guess_kind(str(path))) == "image":
            return None
        problems = whole_file_problems(as_recording(path), self.llm.model)
        return (path, problems) if problems else None

    async def _answer(self, path: Path, question: str) -> MediaAnswer:
        """A long recording asked part by part, in the whole recording's time."""
        self.pipeline.custom_timestamps = self.timestamps
        return await aanswer_media(
            self.pipeline, as_recording(path), question, max_answer_tokens=self.max_answer_tokens
        )

    def _run(
        self,
        source: str,
        question: str = "Describe it in detail.",
        kind: MediaKind | None = None,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> tuple[str, MediaAnswer | None]:
        try:
            if (long := self._long(source, kind)) is not None:
                path, _ = long
                answer = run_sync(self._answer(path, question))
                return answer.text, answer
            config = {"callbacks": run_manager.get_child()} if run_manager else {}
            return self.llm.invoke(self._message(source, question, kind), config=config).text, None  # type: ignore[arg-type]
        except FAILURES as exc:
            raise _told(exc) from exc

    async def _arun(
        self,
        source: str,
        question: str = "Describe it in detail.",
        kind: MediaKind | None = None,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> tuple[str, MediaAnswer | None]:
        try:
            if (long := await asyncio.to_thread(self._long, source, kind)) is not None:
                path, _ = long
                answer = await self._answer(path, question)
                return answer.text, answer
            config = {"callbacks": run_manager.get_child()} if run_manager else {}
            message = await self.llm.ainvoke(self._message(source, question, kind), config=config)  # type: ignore[arg-type]
            return message.text, None
        except FAILURES as exc:
            raise _told(exc) from exc


def _told(error: BaseException) -> ToolException:
    """``error`` as the message an agent reads (the project's messages never hold the key or a payload)."""
    message = str(error) if isinstance(error, QwenOmniError) else f"{type(error).__name__}: {error}"
    return ToolException(as_tool_told(message))


def _guess_kind(name: str) -> MediaKind:
    kind = kind_from_name(name)
    if kind is None:
        raise ToolException(
            f"Cannot tell whether {Path(name).name!r} is an image, audio or video from its name; pass kind as well."
        )
    return kind


__all__ = ["FAILURES", "MediaQuestion", "QwenOmniMediaTool"]
