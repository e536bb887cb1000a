"""``media_tool``: a LlamaIndex ``FunctionTool`` that lets any agent look at a picture, listen to a recording or
watch a video, whatever its length.

The agent passes a URL or a path and a question; Qwen-Omni answers in text. Local files are read only below
``root_dir`` (the core's :class:`~qwen_omni.local_media.LocalMediaPolicy`: ``..`` and symlinks resolved first):
an agent decides the path, so by default (``root_dir=None``) it may pass URLs only. A recording longer (or
larger) than the model takes in one request is asked part by part through the long-media pipeline, at the
quota's pace, and the answers come back together, each marked with its part's time; its requests are chat events
of the ``QwenOmni`` given, seen by its callbacks and instrumentation. Every failure (a refused path, an
unreadable file, the service's errors) comes back as the tool's output with ``is_error=True``, whether an agent
or your own code calls it: it never raises out of an agent's run.

Example:
    >>> import pathlib, tempfile
    >>> from qwen_omni import samples
    >>> from qwen_omni.emulator import Emulator
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "chart.png").write_bytes(samples.image_png(64, 48))
    >>> with Emulator() as emu:
    ...     tool = media_tool(QwenOmni(api_key="sk-test", base_url=emu.base_url), root_dir=folder)
    ...     print(tool.call(source="chart.png", question="What does it show?"))  # doctest: +ELLIPSIS
    ...     print(tool.call(source="../secret.png").is_error)
    Received 1 image (png, 64x48, ...) and the text "What does it show?".
    True
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from llama_index.core.tools import FunctionTool
from llama_index.core.tools.types import ToolOutput

from qwen_omni.errors import LocalFileRefusedError, QwenOmniError
from qwen_omni.excerpt import shorten
from qwen_omni.face_kit import MediaLoaderConfig
from qwen_omni.local_media import LocalMediaPolicy, as_tool_told
from qwen_omni.longmedia import LongMedia, Recording, Slots, as_recording
from qwen_omni.longmedia.asking import MediaAnswer, aanswer_media
from qwen_omni.longmedia.sync import run_sync
from qwen_omni.ratelimit import RequestBudget
from qwen_omni.sources import is_wire_url

from ._pipeline import build_pipeline
from .llm import QwenOmni

__all__ = ["DEFAULT_DESCRIPTION", "MediaFunctionTool", "media_tool"]

DEFAULT_DESCRIPTION = (
    "Look at an image, listen to an audio recording or watch a video (with its sound), of any length, given by "
    "URL or file path, and answer a question about it in text. Arguments: source (the URL or path), question."
)
#: What the tool tells the agent instead of raising: the service's errors, and the file system's.
FAILURES = (QwenOmniError, OSError)


class MediaFunctionTool(FunctionTool):
    """A ``FunctionTool`` whose failures are its output (``is_error=True``), never an exception."""

    def call(self, *args: Any, **kwargs: Any) -> ToolOutput:
        try:
            return super().call(*args, **kwargs)
        except FAILURES as exc:
            return self._failed(exc, kwargs)

    async def acall(self, *args: Any, **kwargs: Any) -> ToolOutput:
        try:
            return await super().acall(*args, **kwargs)
        except FAILURES as exc:
            return self._failed(exc, kwargs)

    def _failed(self, error: BaseException, kwargs: dict[str, Any]) -> ToolOutput:
        message = str(error) if isinstance(error, QwenOmniError) else f"{type(error).__name__}: {error}"
        message = as_tool_told(message)
        exception = error if isinstance(error, Exception) else None
        return ToolOutput(
            content=f"Error: {message}",
            tool_name=self.metadata.get_name(),
            raw_input={"kwargs": kwargs},
            raw_output=message,
            is_error=True,
            exception=exception,
        )


def media_tool(
    llm: QwenOmni | None = None,
    *,
    root_dir: str | os.PathLike[str] | None = None,
    name: str = "understand_media",
    description: str = DEFAULT_DESCRIPTION,
    max_concurrency: int | Slots = 4,
    rate_limiter: RequestBudget | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    max_answer_tokens: int | None = None,
    timestamps: bool = True,
    **llm_kwargs: Any,
) -> MediaFunctionTool:
    """A tool that answers ``question`` about the media at ``source`` (see the module docstring).

    Args:
        llm: the ``QwenOmni`` that answers (built from ``llm_kwargs`` when not given).
        root_dir: local files are read only below this folder; None allows URLs only.
        name, description: what the agent sees of the tool.
        max_concurrency: requests in flight at once while a long recording is asked part by part, over every
            call of the tool; or a ``Slots`` shared with readers and other tools.
        rate_limiter: the request and token budget of the tool's requests (default: the documented quota).
        cache_dir: keep each part's answer in this folder, so that asking again sends only what is missing.
        max_answer_tokens: when the parts' answers together are longer, one more request combines them into one
            answer (in the whole recording's time); None: what one answer of the model may hold. The parts stay in
            the output's ``raw_output`` (a :class:`~qwen_omni.longmedia.asking.MediaAnswer`).
        timestamps: each part is told how to count times and every time in its answer is placed in the whole
            recording (False: for questions whose answers hold no times).
    """
    if llm is not None and llm_kwargs:
        raise QwenOmniError(f"Pass either llm or QwenOmni options ({', '.join(sorted(llm_kwargs))}), not both.")
    model = llm or QwenOmni(**llm_kwargs)
    config = MediaLoaderConfig(
        max_concurrency=max_concurrency, rate_limiter=rate_limiter, cache_dir=cache_dir, on_error="skip"
    )
    pipeline: LongMedia = build_pipeline(model, config)
    policy = LocalMediaPolicy(root_dir)

    def recording(source: str) -> Recording:
        if is_wire_url(source):
            return as_recording(source)
        if root_dir is None:
            raise LocalFileRefusedError(f"Only URLs are allowed here, not the local path {shorten(source)}.")
        path = policy.location(source, "source")
        return as_recording(Path(path))

    pipeline.custom_timestamps = timestamps

    async def aunderstand_media(source: str, question: str = "Describe it in detail.") -> MediaAnswer:
        """Answer a question about an image, an audio recording or a video given by URL or path."""
        return await aanswer_media(pipeline, recording(source), question, max_answer_tokens=max_answer_tokens)

    def understand_media(source: str, question: str = "Describe it in detail.") -> MediaAnswer:
        """Answer a question about an image, an audio recording or a video given by URL or path."""
        return run_sync(aunderstand_media(source, question))

    tool = MediaFunctionTool.from_defaults(
        fn=understand_media, async_fn=aunderstand_media, name=name, description=description
    )
    assert isinstance(tool, MediaFunctionTool)
    return tool
