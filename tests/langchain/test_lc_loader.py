"""``QwenOmniMediaLoader`` against the emulator: lazy and async loads over the long-media pipeline, the same
metadata as the LlamaIndex reader, failures that lose nothing."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import srt
from emulator_support import content_id
from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document

from langchain_qwen_omni import ChatQwenOmni, QwenOmniMediaLoader
from qwen_omni import samples
from qwen_omni.emulator import Emulator, Fault
from qwen_omni.errors import LoadFailedError, MediaError, SegmentFailedError
from qwen_omni.longmedia import Recording
from qwen_omni.longmedia.timestamps import parse_time
from qwen_omni.ratelimit import RateLimiter

Make = Callable[..., QwenOmniMediaLoader]


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("loader")
    samples.write_meeting_wav(folder / "standup.wav", 40.0, seed=4)
    (folder / "demo.mp4").write_bytes(samples.meeting_mp4(20.0))
    (folder / "photo.png").write_bytes(samples.image_png(64, 48))
    return {path.name: path for path in folder.iterdir()}


@pytest.fixture
def loader(make_llm: Callable[..., ChatQwenOmni]) -> Make:
    """A loader on qwen-omni-turbo whose rate budget is the documented quota, 100x faster."""

    def make(sources: Any, **kwargs: Any) -> QwenOmniMediaLoader:
        kwargs.setdefault("rate_limiter", RateLimiter(rpm=60, window=0.6, slack=0.15))
        kwargs.setdefault("llm", make_llm(model="qwen-omni-turbo"))
        return QwenOmniMediaLoader(sources, **kwargs)

    return make


def test_lazy_load_gives_one_document_per_segment_in_the_recordings_time(
    loader: Make, emu: Emulator, media: dict[str, Path]
) -> None:
    path = media["standup.wav"]
    made = loader(path, segment_seconds=15, metadata={"meeting": "standup"})
    assert isinstance(made, BaseLoader)
    documents = list(made.lazy_load())
    assert len(documents) == len(emu.requests) >= 3 and all(isinstance(d, Document) for d in documents)
    assert [d.id for d in documents] == [f"{content_id(path)}#transcript-{i}" for i in range(len(documents))]
    first, last = documents[0].metadata, documents[-1].metadata
    assert (first["source"], first["file_name"], first["meeting"]) == (str(path), "standup.wav", "standup")
    assert (first["start"], last["end"]) == (0.0, pytest.approx(40.0)) and last["segment_count"] == len(documents)
    assert last["time"].endswith(" - 00:00:40")
    first_line = documents[-1].page_content.splitlines()[0]  # "[00:00:31.125 --> 00:00:34.800] A voice at ..."
    assert parse_time(first_line[1:13]) >= last["start"] > 20  # in the recording's time, not the segment's


async def test_alazy_load_runs_on_the_callers_loop_with_the_same_documents(
    loader: Make, media: dict[str, Path]
) -> None:
    made = loader([media["photo.png"], media["standup.wav"]], segment_seconds=15)
    documents = [d async for d in made.alazy_load()]
    assert [d.metadata["kind"] for d in documents] == ["image"] + ["audio"] * (len(documents) - 1)
    assert [(d.id, d.page_content) for d in documents] == [(d.id, d.page_content) for d in made.load()]
    assert await made.aload() == documents


def test_it_is_lazy(loader: Make, emu: Emulator, media: dict[str, Path]) -> None:
    made = loader(media["standup.wav"], segment_seconds=5, max_concurrency=1)
    for document in made.lazy_load():
        assert document.metadata["segment_index"] == 0
        break
    assert len(emu.requests) <= 2 < made.pipeline.plan(media["standup.wav"]).segments[-1].index


def test_every_mode_and_input(loader: Make, emu: Emulator, media: dict[str, Path]) -> None:
    described = loader(media["demo.mp4"], segment_seconds=10).load()
    assert all(d.metadata["mode"] == "description" and " – " in d.page_content for d in described)
    *segments, whole = loader(media["standup.wav"], mode="subtitles", documents="both", segment_seconds=15).load()
    assert whole.id == f"{content_id(media['standup.wav'])}#subtitles" and len(list(srt.parse(whole.page_content))) > 3
    (summary,) = loader(media["standup.wav"], mode="summary", segment_seconds=15).load()
    assert summary.metadata["segments"] == len(segments) and "Below are timestamped notes" in emu.requests[-1].user_text
    wav = samples.tone_wav(2.0, sample_rate=8_000)
    mixed = loader([Recording("memo.wav", data=wav), io.BytesIO(wav), "https://example.com/a/b/talk.mp3"]).load()
    assert [d.metadata["source"] for d in mixed] == ["memo.wav", "recording", "https://example.com/a/b/talk.mp3"]
    asked = loader(media["photo.png"], mode="custom", prompt="Which colours?").load()
    assert emu.requests[-1].user_text == "Which colours?" and asked[0].metadata["kind"] == "image"


def test_the_chat_models_options_carry_over(make_llm: Callable[..., ChatQwenOmni], emu: Emulator) -> None:
    llm = make_llm(model="qwen-omni-turbo", temperature=0.3, modalities=["text", "audio"], model_kwargs={"x_tag": 1})
    QwenOmniMediaLoader(Recording("hi.wav", data=samples.tone_wav(1.0)), llm=llm).load()
    payload = emu.requests[-1].payload
    assert payload is not None and payload["temperature"] == 0.3 and payload["x_tag"] == 1
    assert payload["modalities"] == ["text"] and payload["model"] == "qwen-omni-turbo"


def test_skip_records_the_reason_and_keeps_the_rest(loader: Make, emu: Emulator, media: dict[str, Path]) -> None:
    emu.inject(Fault(status=503), times=3)  # the first segment's three tries (retries=2)
    made = loader([media["standup.wav"], media["photo.png"]], on_error="skip", max_concurrency=1, segment_seconds=15)
    made.pipeline.retry_delay = 0.01
    documents = made.load()
    skipped = [d for d in documents if d.metadata.get("skipped")]
    assert len(skipped) == 1 and skipped[0].page_content == "" and "ServerError" in skipped[0].metadata["error"]
    assert skipped[0].metadata["segment_index"] == 0 and documents[-1].metadata["kind"] == "image"


async def test_raise_keeps_every_document_in_the_error(loader: Make, emu: Emulator, media: dict[str, Path]) -> None:
    emu.inject(Fault(status=400), after=1)
    made = loader([media["photo.png"], media["standup.wav"]], max_concurrency=1, segment_seconds=15)
    with pytest.raises(LoadFailedError) as caught:
        [d async for d in made.alazy_load()]
    ((name, failure),) = caught.value.failures
    assert name == "standup.wav" and isinstance(failure, SegmentFailedError) and failure.segment == 0
    assert [d.metadata["file_name"] for d in caught.value.documents[:1]] == ["photo.png"]
    assert all(isinstance(d, Document) for d in caught.value.documents)
    assert len(caught.value.documents) == 1 + len(failure.partial.answers)  # every answer received is kept
    with pytest.raises(MediaError, match="does not exist"):
        loader(["nowhere.wav"]).load()
