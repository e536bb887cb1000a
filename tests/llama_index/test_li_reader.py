"""``QwenOmniReader`` against the emulator with generated media, and a query engine over what it read."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from llama_index.core import Document, SimpleDirectoryReader, VectorStoreIndex
from llama_index.core.base.response.schema import AsyncStreamingResponse
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.schema import MetadataMode

from llama_index_qwen_omni import QwenOmni, QwenOmniReader
from qwen_omni import samples
from qwen_omni.emulator import Emulator
from qwen_omni.emulator.received import ReceivedRequest

MakeLLM = Callable[..., QwenOmni]
Last = Callable[[], ReceivedRequest]


@pytest.fixture
def media(tmp_path: Path) -> dict[str, Path]:
    files = {
        "speech.wav": samples.tone_wav(2.5),
        "clip.mp4": samples.video_mp4(2.0),
        "photo.png": samples.image_png(64, 48),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    return {name: tmp_path / name for name in files}


def listing(folder: Path) -> dict[str, int]:
    return {entry.name: entry.stat().st_size for entry in os.scandir(folder)}


def test_long_audio_becomes_timestamped_segments(llm: QwenOmni, emu: Emulator, media: dict[str, Path]) -> None:
    before = listing(media["speech.wav"].parent)
    reader = QwenOmniReader(llm, segment_seconds=1.0)
    documents = reader.load_data(media["speech.wav"], extra_info={"source": "interview"})
    assert listing(media["speech.wav"].parent) == before  # nothing written beside the input
    assert [(d.metadata["start"], d.metadata["end"]) for d in documents] == [(0.0, 1.0), (1.0, 2.0), (2.0, 2.5)]
    first = documents[0].metadata
    assert first["file_path"] == str(media["speech.wav"]) and first["file_name"] == "speech.wav"
    assert (first["kind"], first["model"], first["source"]) == ("audio", "qwen3.5-omni-flash", "interview")
    assert first["duration"] == pytest.approx(2.5) and first["segment_count"] == 3
    assert [d.metadata["segment_index"] for d in documents] == [0, 1, 2]
    durations = [r.parts[0].info.duration for r in emu.requests if r.parts[0].info]
    assert durations == pytest.approx([1.0, 1.0, 0.5], abs=0.01)
    assert documents[2].text.startswith("Received 1 audio (wav, 0.50 s")
    assert "Transcribe the speech" in documents[0].text  # the emulator quotes the prompt it got
    assert len({d.id_ for d in documents}) == 3
    shown = documents[1].get_content(metadata_mode=MetadataMode.LLM)
    assert "start: 1.0" in shown and "end: 2.0" in shown and "file_path" not in shown


def test_video_and_image(llm: QwenOmni, emu: Emulator, media: dict[str, Path]) -> None:
    reader = QwenOmniReader(llm, segment_seconds=1.0, prompts={"image": "List the colours."})
    video_docs = reader.load_data(media["clip.mp4"])
    assert [(d.metadata["start"], d.metadata["end"]) for d in video_docs] == [(0.0, 1.0), (1.0, 2.0)]
    assert all(d.metadata["kind"] == "video" and "1 video (mp4" in d.text for d in video_docs)
    (image_doc,) = reader.load_data(media["photo.png"])
    assert image_doc.metadata["kind"] == "image" and "start" not in image_doc.metadata
    assert (
        image_doc.text
        == "Received 1 image (png, 64x48, "
        + str(media["photo.png"].stat().st_size)
        + ' bytes) and the text "List the colours.".'
    )


def test_an_animated_gif_is_read_as_one_image(llm: QwenOmni, tmp_path: Path, last: Last) -> None:
    gif = tmp_path / "anim.gif"
    gif.write_bytes(samples.animated_gif(3))
    (document,) = QwenOmniReader(llm, segment_seconds=0.1).load_data(gif)
    assert document.metadata["kind"] == "image" and "start" not in document.metadata
    assert [p.kind for p in last().parts] == ["image"]
    assert last().parts[0].mime_type == "image/gif"


def test_short_media_is_one_document(llm: QwenOmni, media: dict[str, Path]) -> None:
    (document,) = QwenOmniReader(llm, segment_seconds=None).load_data([media["speech.wav"]])
    assert (document.metadata["start"], document.metadata["end"], document.metadata["segment_count"]) == (0.0, 2.5, 1)


def test_media_over_the_model_limit_is_cut_at_it(make_llm: MakeLLM, emu: Emulator, tmp_path: Path) -> None:
    path = tmp_path / "long.mp4"
    path.write_bytes(samples.video_mp4(42.0, fps=1, width=32, height=24, with_audio=False))
    documents = QwenOmniReader(make_llm(model="qwen-omni-turbo"), segment_seconds=None).load_data(path)
    assert [(d.metadata["start"], d.metadata["end"]) for d in documents] == [(0.0, 40.0), (40.0, 42.0)]
    assert all(r.status == 200 for r in emu.requests)


async def test_aload_data_keeps_the_order(llm: QwenOmni, media: dict[str, Path]) -> None:
    reader = QwenOmniReader(llm, segment_seconds=1.0, max_concurrency=2)
    documents = await reader.aload_data([media["speech.wav"], media["photo.png"]])
    assert [(d.metadata["kind"], d.metadata.get("start")) for d in documents] == [
        ("audio", 0.0),
        ("audio", 1.0),
        ("audio", 2.0),
        ("image", None),
    ]


def test_as_a_simple_directory_reader_extractor(llm: QwenOmni, media: dict[str, Path]) -> None:
    reader = QwenOmniReader(llm, segment_seconds=None)
    folder = media["clip.mp4"].parent
    documents = SimpleDirectoryReader(
        input_dir=str(folder), file_extractor={".wav": reader, ".mp4": reader, ".png": reader}
    ).load_data()
    assert sorted(d.metadata["kind"] for d in documents) == ["audio", "image", "video"]
    assert all(d.metadata["file_name"] in media and "creation_date" in d.metadata for d in documents)


def test_files_on_an_fsspec_file_system(llm: QwenOmni, emu: Emulator) -> None:
    from fsspec.implementations.memory import MemoryFileSystem  # type: ignore[import-untyped]

    memory = MemoryFileSystem()
    memory.pipe("/recordings/speech.wav", samples.tone_wav(1.5))
    reader = QwenOmniReader(llm, segment_seconds=1.0)
    documents = SimpleDirectoryReader(input_dir="/recordings", fs=memory, file_extractor={".wav": reader}).load_data()
    assert [(d.metadata["start"], d.metadata["end"]) for d in documents] == [(0.0, 1.0), (1.0, 1.5)]
    assert memory.ls("/recordings", detail=False) == ["/recordings/speech.wav"]  # nothing written there either


def test_a_speaking_llm_reads_in_text(make_llm: MakeLLM, last: Last, media: dict[str, Path]) -> None:
    speaker = make_llm(modalities=["text", "audio"], voice="Ethan")
    QwenOmniReader(speaker).load_data(media["photo.png"])
    payload = last().payload
    assert payload is not None and payload["modalities"] == ["text"] and "audio" not in payload


def test_reader_builds_its_own_llm(emu: Emulator, emulator_key: str, media: dict[str, Path]) -> None:
    reader = QwenOmniReader(model="qwen3-omni-flash", api_key=emulator_key, base_url=emu.base_url)
    (document,) = reader.load_data(media["photo.png"])
    assert document.metadata["model"] == "qwen3-omni-flash"
    with pytest.raises(ValueError, match="either llm or QwenOmni options"):
        QwenOmniReader(reader.llm, model="qwen3-omni-flash")


def test_query_engine_over_documents(llm: QwenOmni, last: Last) -> None:
    documents = [
        Document(text="The rehearsal starts at 7 pm in the blue room."),
        Document(text="The cat sleeps on the piano."),
        Document(text="Tickets cost 12 euros."),
    ]
    index = VectorStoreIndex.from_documents(documents, embed_model=MockEmbedding(embed_dim=8))
    engine = index.as_query_engine(llm=llm, similarity_top_k=3)
    response = engine.query("When does the rehearsal start?")
    sent = last().payload
    assert sent is not None and sent["stream"] is True
    prompt = sent["messages"][-1]["content"]
    assert all(d.text in prompt for d in documents) and "When does the rehearsal start?" in prompt
    assert str(response).startswith('Received the text "Context information is below.')
    assert len(response.source_nodes) == 3


async def test_query_engine_over_media_streaming(llm: QwenOmni, media: dict[str, Path], last: Last) -> None:
    documents = await QwenOmniReader(llm, segment_seconds=1.0).aload_data(media["speech.wav"])
    index = VectorStoreIndex.from_documents(documents, embed_model=MockEmbedding(embed_dim=8))
    engine = index.as_query_engine(llm=llm, streaming=True, similarity_top_k=3)
    response = await engine.aquery("What is said in the recording?")
    assert isinstance(response, AsyncStreamingResponse)
    text = "".join([token async for token in response.async_response_gen()])
    assert text.startswith('Received the text "Context information is below.')
    assert {n.metadata["start"] for n in response.source_nodes} == {0.0, 1.0, 2.0}
    assert "Received 1 audio (wav, 1.00 s" in last().payload["messages"][-1]["content"]  # type: ignore[index]
