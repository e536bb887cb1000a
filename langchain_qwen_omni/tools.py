"""A LangChain tool that lets any agent look at a picture, listen to a recording or watch a video.

The agent passes a URL or a local path and a question; Qwen-Omni answers in text. Local files are read
only below ``root_dir`` (the core's :class:`~qwen_omni.local_media.LocalMediaPolicy`: ``..`` and symlinks
resolved first): an agent decides the path, so by default (``root_dir=None``) it may pass URLs only.

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

import base64
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from langchain_core.callbacks import AsyncCallbackManagerForToolRun, CallbackManagerForToolRun
from langchain_core.messages import HumanMessage
from langchain_core.tools import BaseTool, ToolException
from pydantic import BaseModel, Field

from qwen_omni.errors import InvalidRequestError
from qwen_omni.excerpt import shorten
from qwen_omni.formats import MediaKind, extension, kind_from_name, normalize_audio_format
from qwen_omni.local_media import SETTING, LocalMediaPolicy
from qwen_omni.profiles import AUDIO_INPUT_FORMATS
from qwen_omni.sources import is_wire_url, load_source

from .chat_models import ChatQwenOmni


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
            raise ToolException(str(exc).replace(SETTING, "the folder this tool may read")) from None
        assert isinstance(path, Path)  # URLs and data URIs were taken before
        return path

    def _run(
        self,
        source: str,
        question: str = "Describe it in detail.",
        kind: MediaKind | None = None,
        run_manager: CallbackManagerForToolRun | None = None,
    ) -> str:
        config = {"callbacks": run_manager.get_child()} if run_manager else {}
        return self.llm.invoke(self._message(source, question, kind), config=config).text  # type: ignore[arg-type]

    async def _arun(
        self,
        source: str,
        question: str = "Describe it in detail.",
        kind: MediaKind | None = None,
        run_manager: AsyncCallbackManagerForToolRun | None = None,
    ) -> str:
        config = {"callbacks": run_manager.get_child()} if run_manager else {}
        message = await self.llm.ainvoke(self._message(source, question, kind), config=config)  # type: ignore[arg-type]
        return message.text


def _guess_kind(name: str) -> MediaKind:
    kind = kind_from_name(name)
    if kind is None:
        raise ToolException(
            f"Cannot tell whether {Path(name).name!r} is an image, audio or video from its name; pass kind as well."
        )
    return kind
