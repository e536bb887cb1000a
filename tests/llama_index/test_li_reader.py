"""``QwenOmniReader`` over the long-media pipeline, against the emulator: modes, inputs, whole-file times, metadata
under SimpleDirectoryReader, progress, callbacks and token counts, failures, bounds across files, the cache."""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import srt
from emulator_support import EMULATOR_KEY, content_id, in_segment_clock, peak_in_flight
from llama_index.core import Document, SimpleDirectoryReader, VectorStoreIndex
from llama_index.core.base.response.schema import AsyncStreamingResponse
from llama_index.core.callbacks import CallbackManager, TokenCountingHandler
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.instrumentation.events import BaseEvent
from llama_index.core.instrumentation.events.llm import LLMChatEndEvent, LLMChatStartEvent
from llama_index.core.schema import MetadataMode

from llama_index_qwen_omni import QwenOmni, QwenOmniReader
from qwen_omni import samples
from qwen_omni.emulator import Emulator, Fault
from qwen_omni.emulator.received import ReceivedRequest
from qwen_omni.errors import InvalidRequestError, LoadFailedError, MediaError, SegmentFailedError
from qwen_omni.longmedia import Recording
from qwen_omni.longmedia.modes import clock
from qwen_omni.longmedia.sync import run_sync
from qwen_omni.ratelimit import RateLimiter

MakeLLM = Callable[..., QwenOmni]
Last = Callable[[], ReceivedRequest]
TURBO_AUDIO_SECONDS = 180  # qwen-omni-turbo: 3 minutes of audio per file (the reference's limits table)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A 40-second meeting, a 20-second meeting video, a picture, and a 4-minute call (over turbo's 3 minutes)."""
    folder = tmp_path_factory.mktemp("media")
    samples.write_meeting_wav(folder / "standup.wav", 40.0, seed=1)
    (folder / "demo.mp4").write_bytes(samples.meeting_mp4(20.0))
    (folder / "photo.png").write_bytes(samples.image_png(64, 48))
    samples.write_meeting_wav(folder / "call.wav", 240.0, seed=2)
    return {path.name: path for path in folder.iterdir()}


@pytest.fixture
def fast(make_llm: MakeLLM) -> Callable[..., QwenOmniReader]:
    """A reader on qwen-omni-turbo whose rate budget is the documented quota, 100x faster."""

    def make(**kwargs: Any) -> QwenOmniReader:
        kwargs.setdefault("rate_limiter", RateLimiter(rpm=60, window=0.6, slack=0.15))
        llm = kwargs.pop("llm", None) or make_llm(model="qwen-omni-turbo")
        return QwenOmniReader(llm, **kwargs)

    return make


def listing(folder: Path) -> dict[str, int]:
    return {entry.name: entry.stat().st_size for entry in os.scandir(folder)}


def _times_inside(document: Document) -> list[float]:
    """The start times of a document's lines, checked against the document's own span."""
    starts = [float(s.start.total_seconds()) for s in srt.parse(_as_srt(document.text))]
    start, end = document.metadata["start"], document.metadata["end"]
    assert all(start - 0.2 <= t <= end + 0.2 for t in starts), (starts, start, end)
    return starts


def _as_srt(text: str) -> str:
    """Caption lines ``[HH:MM:SS.mmm --> HH:MM:SS.mmm] text`` as SRT, to parse their times with ``srt``."""
    cues = []
    for number, line in enumerate(text.splitlines(), start=1):
        times, _, words = line[1:].partition("] ")
        begin, _, end = times.partition(" --> ")
        cues.append(f"{number}\n{begin.replace('.', ',')} --> {end.replace('.', ',')}\n{words}\n")
    return "\n".join(cues)


# -- modes and times --------------------------------------------------------------------------------------


def test_a_recording_becomes_segments_in_the_whole_recordings_time(
    fast: Callable[..., QwenOmniReader], emu: Emulator, media: dict[str, Path]
) -> None:
    path = media["standup.wav"]
    before = listing(path.parent)
    documents = fast(segment_seconds=15).load_data(path, extra_info={"team": "web"})
    assert listing(path.parent) == before  # nothing written beside the input
    assert len(documents) == len(emu.requests) >= 3
    spans = [(d.metadata["start"], d.metadata["end"]) for d in documents]
    assert spans[0][0] == 0.0 and spans[-1][1] == pytest.approx(40.0)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(spans)), "segments meet end to end"
    later = _times_inside(documents[-1])
    assert later and min(later) > 20, "times in the last segment are the recording's, not the segment's"
    first = documents[0].metadata
    assert (first["file_name"], first["recording"], first["file_path"]) == ("standup.wav", "standup.wav", str(path))
    assert (first["kind"], first["mode"], first["model"]) == ("audio", "transcript", "qwen-omni-turbo")
    assert first["team"] == "web"  # extra_info
    assert first["time"] == "00:00:00 - " + documents[1].metadata["time"].split(" - ")[0]
    assert [d.metadata["segment_index"] for d in documents] == list(range(len(documents)))
    assert {d.metadata["segment_count"] for d in documents} == {len(documents)}
    assert [d.id_ for d in documents] == [f"{content_id(path)}#transcript-{i}" for i in range(len(documents))]
    for mode in (MetadataMode.LLM, MetadataMode.EMBED):
        shown = documents[1].get_content(metadata_mode=mode)
        assert "file_name: standup.wav" in shown and "time: 00:00:" in shown
        assert "file_path" not in shown and "start:" not in shown and "segment_count" not in shown
    assert any("part 2 of 3" in r.user_text for r in emu.requests)  # each segment is told where it lies


def test_ids_come_from_the_content_whatever_the_path_folder_or_file_object(
    fast: Callable[..., QwenOmniReader], media: dict[str, Path], tmp_path: Path
) -> None:
    reader = fast(segment_seconds=15)
    first = [d.id_ for d in reader.load_data(media["standup.wav"])]
    assert first == [d.id_ for d in reader.load_data(media["standup.wav"])]
    copy = tmp_path / "elsewhere" / "renamed.wav"
    copy.parent.mkdir()
    copy.write_bytes(media["standup.wav"].read_bytes())
    os.chdir(copy.parent)
    relative = reader.load_data("renamed.wav")
    assert [d.id_ for d in relative] == first and relative[0].metadata["file_name"] == "renamed.wav"
    with copy.open("rb") as handle:
        assert [d.id_ for d in reader.load_data(handle)] == first
    assert [d.id_ for d in reader.load_data(copy.read_bytes(), name="standup.wav")] == first
    directory = SimpleDirectoryReader(str(copy.parent), file_extractor={".wav": reader}).load_data()
    assert [d.id_ for d in directory] == first, "one recording, one set of ids: an upsert replaces them"
    assert first[0] == f"{content_id(copy)}#transcript-0"
    assert first[0] != reader.load_data(samples.tone_wav(2.0), name="standup.wav")[0].id_
    asked = [d.id_ for d in fast(mode="custom", prompt="Who?", segment_seconds=15).load_data(copy)]
    other = [d.id_ for d in fast(mode="custom", prompt="What?", segment_seconds=15).load_data(copy)]
    assert set(asked).isdisjoint(other), "two questions about one recording do not overwrite each other"


def test_video_is_described_in_the_guides_format(
    fast: Callable[..., QwenOmniReader], media: dict[str, Path], last: Last
) -> None:
    documents = fast(segment_seconds=10).load_data(media["demo.mp4"])
    assert len(documents) >= 2 and all(d.metadata["mode"] == "description" for d in documents)
    assert " – " in documents[-1].text and documents[-1].text.startswith("00:00:1")
    assert last().parts[0].kind == "video"


def test_subtitles_give_an_srt_file_for_the_whole_recording(
    fast: Callable[..., QwenOmniReader], media: dict[str, Path]
) -> None:
    documents = fast(mode="subtitles", documents="both", segment_seconds=15).load_data(media["standup.wav"])
    *segments, whole = documents
    assert whole.id_ == f"{content_id(media['standup.wav'])}#subtitles" and whole.metadata["complete"] is True
    cues = list(srt.parse(whole.text))
    # A sound cut in two by a segment's edge is one cue spanning both halves (each segment's Document has its half).
    assert 0 < len(cues) <= sum(len(d.text.splitlines()) for d in segments)
    assert cues[-1].start.total_seconds() > 25 and whole.metadata["segments"] == len(segments)
    vtt = fast(mode="subtitles", documents="recording", subtitle_format="vtt", segment_seconds=15)
    (only,) = vtt.load_data(media["standup.wav"])
    assert only.text.startswith("WEBVTT")


def test_a_summary_is_one_document_by_default(
    fast: Callable[..., QwenOmniReader], emu: Emulator, media: dict[str, Path]
) -> None:
    (summary,) = fast(mode="summary", segment_seconds=15).load_data(media["standup.wav"])
    assert summary.id_ == f"{content_id(media['standup.wav'])}#summary"
    assert summary.metadata["time"] == "00:00:00 - 00:00:40" and summary.metadata["requests"] == len(emu.requests)
    reduce_prompt = emu.requests[-1].user_text
    assert "Below are timestamped notes" in reduce_prompt and "[00:00:2" in reduce_prompt  # the recording's times


def test_a_custom_question_is_asked_of_each_segment(
    fast: Callable[..., QwenOmniReader], emu: Emulator, media: dict[str, Path]
) -> None:
    documents = fast(mode="custom", prompt="Who speaks here?", segment_seconds=15).load_data(media["standup.wav"])
    assert all(d.text.startswith("Received 1 audio (mp3") for d in documents)
    assert all(r.user_text.startswith("Who speaks here?") and "into the recording" in r.user_text for r in emu.requests)
    with pytest.raises(InvalidRequestError, match="prompt="):
        fast(mode="custom")
    with pytest.raises(InvalidRequestError, match="Unknown mode 'transcribe'; the modes are auto, transcript"):
        fast(mode="transcribe")


def test_custom_mode_documents_carry_whole_file_times(
    fast: Callable[..., QwenOmniReader], emu: Emulator, media: dict[str, Path]
) -> None:
    with emu.answering(in_segment_clock):
        documents = fast(mode="custom", prompt="When does the bell ring?", segment_seconds=15).load_data(
            media["standup.wav"]
        )
    assert len(documents) == 3
    for document in documents:
        start = document.metadata["start"]
        assert document.text.startswith(f"The bell rings at {clock(start + 5)}."), document.text
        assert "notes" not in document.metadata


def test_an_image_is_one_document_without_time(
    fast: Callable[..., QwenOmniReader], media: dict[str, Path], last: Last
) -> None:
    (document,) = fast(mode="transcript").load_data(media["photo.png"])
    assert document.id_.startswith(f"{content_id(media['photo.png'])}#custom~") and "time" not in document.metadata
    assert document.metadata["kind"] == "image" and document.text.startswith("Received 1 image (png, 64x48")
    assert last().user_text == "Describe this image in detail, including any text it contains."
    (gif,) = fast().load_data(samples.animated_gif(3), name="anim.gif")
    assert gif.metadata["kind"] == "image" and last().parts[0].mime_type == "image/gif"


def test_a_recording_over_the_models_limit_is_cut_within_it(
    fast: Callable[..., QwenOmniReader], emu: Emulator, media: dict[str, Path]
) -> None:
    documents = fast().load_data(media["call.wav"])
    assert len(documents) == 2 and all(r.status == 200 for r in emu.requests)
    assert all((r.parts[0].info.duration or 0) <= TURBO_AUDIO_SECONDS for r in emu.requests)  # type: ignore[union-attr]
    assert documents[1].metadata["end"] == pytest.approx(240.0)


# -- inputs -------------------------------------------------------------------------------------------------


def test_paths_bytes_file_objects_urls_and_recordings_in_one_list(
    fast: Callable[..., QwenOmniReader], emu: Emulator, media: dict[str, Path]
) -> None:
    wav = samples.tone_wav(2.0, sample_rate=8_000)
    items = [
        media["photo.png"],
        Recording("memo.wav", data=wav),
        io.BytesIO(wav),
        "https://example.com/talks/keynote.mp3",
    ]
    documents = fast().load_data(items)
    assert [d.metadata["file_name"] for d in documents] == ["photo.png", "memo.wav", "recording", "keynote.mp3"]
    assert documents[1].text == "[00:00:00.000 --> 00:00:02.000] A voice at 440 Hz."
    url = next(r for r in emu.requests if r.parts[0].source == "url")
    assert url.parts[0].url == "https://example.com/talks/keynote.mp3"  # sent as it is, never downloaded
    keynote = documents[3].metadata
    assert keynote["source"] == "https://example.com/talks/keynote.mp3" and "file_path" not in keynote
    assert keynote["duration"] is None and "time" not in keynote and "end" not in keynote  # its length is unknown


def test_as_a_simple_directory_reader_extractor(
    fast: Callable[..., QwenOmniReader], media: dict[str, Path], tmp_path: Path
) -> None:
    for name in ("standup.wav", "photo.png"):
        (tmp_path / name).write_bytes(media[name].read_bytes())
    reader = fast(segment_seconds=15)
    documents = SimpleDirectoryReader(str(tmp_path), file_extractor={".wav": reader, ".png": reader}).load_data()
    assert sorted({d.metadata["kind"] for d in documents}) == ["audio", "image"]
    audio = next(d for d in documents if d.metadata["kind"] == "audio")
    assert "creation_date" in audio.metadata and audio.metadata["file_path"] == str(tmp_path / "standup.wav")
    for mode in (MetadataMode.LLM, MetadataMode.EMBED):
        shown = audio.get_content(metadata_mode=mode)
        assert "recording: standup.wav" in shown and "time: " in shown  # SimpleDirectoryReader hides file_name
        assert "file_name:" not in shown and "creation_date" not in shown


def test_files_on_an_fsspec_file_system(fast: Callable[..., QwenOmniReader], emu: Emulator) -> None:
    from fsspec.implementations.memory import MemoryFileSystem  # type: ignore[import-untyped]

    memory = MemoryFileSystem()
    memory.pipe("/recordings/memo.wav", samples.tone_wav(1.5, sample_rate=8_000))
    reader = fast()
    documents = SimpleDirectoryReader(input_dir="/recordings", fs=memory, file_extractor={".wav": reader}).load_data()
    assert [(d.metadata["file_name"], d.metadata["end"]) for d in documents] == [("memo.wav", 1.5)]
    assert (
        documents[0].id_ == f"sha256:{hashlib.sha256(memory.cat('/recordings/memo.wav')).hexdigest()[:32]}#transcript-0"
    )
    assert documents[0].metadata["source"] == "/recordings/memo.wav"
    assert memory.ls("/recordings", detail=False) == ["/recordings/memo.wav"]  # nothing written there


# -- LlamaIndex sees every request ----------------------------------------------------------------------------


def test_callbacks_and_instrumentation_see_each_request_and_count_its_tokens(
    fast: Callable[..., QwenOmniReader],
    make_llm: MakeLLM,
    emu: Emulator,
    media: dict[str, Path],
    events: list[BaseEvent],
) -> None:
    llm = make_llm(model="qwen-omni-turbo")
    counter = TokenCountingHandler()
    llm.callback_manager = CallbackManager([counter])
    documents = fast(llm=llm, mode="summary", documents="both", segment_seconds=15).load_data(media["standup.wav"])
    assert len(counter.llm_token_counts) == len(emu.requests) == documents[-1].metadata["requests"]
    starts = [e for e in events if isinstance(e, LLMChatStartEvent)]
    ends = [e for e in events if isinstance(e, LLMChatEndEvent)]
    assert len(starts) == len(ends) == len(emu.requests)
    reported = [e.response.raw["usage"] for e in ends if e.response is not None and e.response.raw]
    assert len(reported) == len(ends) and all(u["prompt_tokens"] > 0 for u in reported)
    # what the counter counted is the usage each answer reported, not an estimate of its own
    assert counter.prompt_llm_token_count == sum(u["prompt_tokens"] for u in reported)
    assert counter.completion_llm_token_count == sum(u["completion_tokens"] for u in reported)
    shown = starts[0].messages[0].content or ""
    assert shown.startswith("[audio: mp3, ") and "bytes]" in shown and "base64" not in shown
    assert "data:" not in str([e.messages for e in starts])  # no handler ever sees a recording's bytes


def test_show_progress_draws_a_bar_per_recording(
    fast: Callable[..., QwenOmniReader], media: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    fast(segment_seconds=15).load_data(media["standup.wav"])
    assert "standup.wav" not in capsys.readouterr().err
    fast(segment_seconds=15, show_progress=True).load_data(media["standup.wav"])
    err = capsys.readouterr().err
    assert "standup.wav" in err and "segment" in err and "100%" in err


def test_a_speaking_llm_reads_in_text(fast: Callable[..., QwenOmniReader], make_llm: MakeLLM, last: Last) -> None:
    speaker = make_llm(model="qwen-omni-turbo", modalities=["text", "audio"], voice="Ethan", temperature=0.2)
    fast(llm=speaker).load_data(samples.tone_wav(1.0), name="hi.wav")
    payload = last().payload
    assert payload is not None and payload["modalities"] == ["text"] and "audio" not in payload
    assert payload["temperature"] == 0.2  # the LLM's options carry over


def test_reader_builds_its_own_llm(emu: Emulator) -> None:
    reader = QwenOmniReader(model="qwen3-omni-flash", api_key=EMULATOR_KEY, base_url=emu.base_url)
    (document,) = reader.load_data(samples.image_png(), name="p.png")
    assert document.metadata["model"] == "qwen3-omni-flash"
    with pytest.raises(InvalidRequestError, match="either llm or QwenOmni options"):
        QwenOmniReader(reader.llm, model="qwen3-omni-flash")
    assert EMULATOR_KEY not in repr(reader)


# -- failures, bounds, the cache -------------------------------------------------------------------------


def test_a_missing_file_is_refused_before_anything_is_sent(
    fast: Callable[..., QwenOmniReader], emu: Emulator, media: dict[str, Path], tmp_path: Path
) -> None:
    with pytest.raises(MediaError, match="does not exist"):
        fast().load_data([media["standup.wav"], tmp_path / "missing.wav"])
    assert emu.requests == []


def test_with_skip_one_failing_file_never_loses_the_others(
    fast: Callable[..., QwenOmniReader], emu: Emulator, media: dict[str, Path], tmp_path: Path
) -> None:
    broken = tmp_path / "broken.wav"
    broken.write_bytes(b"RIFF" + bytes(100))
    emu.inject(Fault(status=400, message="The audio is malformed."))  # the first request: one segment fails
    reader = fast(on_error="skip", max_concurrency=1, segment_seconds=15)
    documents = reader.load_data([media["standup.wav"], broken, media["photo.png"], tmp_path / "gone.wav"])
    skipped = [d for d in documents if d.metadata.get("skipped")]
    assert [d.metadata["file_name"] for d in skipped] == ["standup.wav", "broken.wav", "gone.wav"]
    assert "BadRequestError" in skipped[0].metadata["error"] and "malformed" in skipped[0].metadata["error"]
    assert skipped[0].text == "" and skipped[0].metadata["time"].startswith("00:00:00 - ")
    assert "MediaError" in skipped[1].metadata["error"] and "does not exist" in skipped[2].metadata["error"]
    answered = [d for d in documents if not d.metadata.get("skipped")]
    assert {d.metadata["file_name"] for d in answered} == {"standup.wav", "photo.png"}
    assert len(answered) == len([r for r in emu.requests if r.status == 200])
    assert "error: BadRequestError" in skipped[0].get_metadata_str(MetadataMode.LLM)
    assert "error" not in skipped[0].get_metadata_str(MetadataMode.EMBED)


async def test_with_raise_the_error_carries_every_document_made(
    fast: Callable[..., QwenOmniReader], emu: Emulator, media: dict[str, Path]
) -> None:
    emu.inject(Fault(status=400), after=3)  # the photo, then standup.wav's first two segments of three
    reader = fast(max_concurrency=1, segment_seconds=15)
    with pytest.raises(LoadFailedError) as caught:
        await reader.aload_data([media["photo.png"], media["standup.wav"], media["demo.mp4"], media["call.wav"]])
    error = caught.value
    ((name, failure),) = error.failures
    assert name == "standup.wav" and isinstance(failure, SegmentFailedError) and error.__cause__ is failure
    assert failure.partial is not None and len(failure.partial.answers) == 2
    assert [d.metadata["file_name"] for d in error.documents] == ["photo.png"] + ["standup.wav"] * 2
    assert error.not_started == ["demo.mp4", "call.wav"]  # the first failure stops new recordings from starting
    assert "1 of 4 recording(s) failed" in str(error) and ".documents" in str(error)


async def test_the_bound_is_the_readers_across_simple_directory_readers_workers(
    make_llm: MakeLLM, tmp_path: Path
) -> None:
    for number in range(4):
        samples.write_meeting_wav(tmp_path / f"call{number}.wav", 30.0, seed=number)
    with Emulator(api_key=EMULATOR_KEY, first_chunk_delay=0.15) as emu:
        llm = make_llm(model="qwen-omni-turbo", base_url=emu.base_url)
        reader = QwenOmniReader(llm, max_concurrency=2, segment_seconds=10, rate_limiter=RateLimiter(rpm=10_000))
        directory = SimpleDirectoryReader(str(tmp_path), file_extractor={".wav": reader})
        documents = await directory.aload_data(num_workers=8)
        requests = emu.requests
    assert len(documents) == len(requests) >= 12 and all(r.status == 200 for r in requests)
    assert peak_in_flight(requests) <= 2 and reader.pipeline.slots.peak == 2


def test_worker_processes_share_the_readers_bound_and_budget(make_llm: MakeLLM, tmp_path: Path) -> None:
    # SimpleDirectoryReader.load_data(num_workers=N) pickles its extractors into N processes: they share one bound
    # (lock files) and one budget (a SQLite file) in the cache folder, and each segment is sent once.
    folder = tmp_path / "recordings"
    folder.mkdir()
    for number in range(4):
        samples.write_meeting_wav(folder / f"call{number}.wav", 30.0, seed=number)
    rpm, window = 120, 6.0  # 120 per 6 s (two per 0.1 s), which the emulator enforces too
    with Emulator(api_key=EMULATOR_KEY, first_chunk_delay=0.15, rpm=rpm, rpm_window=window) as emu:
        llm = make_llm(model="qwen-omni-turbo", base_url=emu.base_url)
        budget = RateLimiter(rpm=rpm, tpm=None, window=window)
        reader = QwenOmniReader(
            llm, max_concurrency=2, segment_seconds=10, rate_limiter=budget, cache_dir=tmp_path / "cache"
        )
        directory = SimpleDirectoryReader(str(folder), file_extractor={".wav": reader})
        documents = directory.load_data(num_workers=2)
        requests = emu.requests
    assert len(documents) == len(requests) >= 12 and all(r.status == 200 for r in requests), "the budget held"
    assert peak_in_flight(requests) <= 2, "one bound across both workers"
    assert {d.metadata["file_name"] for d in documents} == {f"call{n}.wav" for n in range(4)}
    assert (tmp_path / "cache" / ".shared" / "qwen-omni-budget.sqlite").exists()
    again = pickle.loads(pickle.dumps(reader))
    assert type(again.pipeline.slots).__name__ == "ProcessSlots" and again.pipeline.slots.limit == 2


def test_one_rate_budget_for_every_request_of_the_reader(
    make_llm: MakeLLM, emu: Emulator, media: dict[str, Path]
) -> None:
    budget = RateLimiter(rpm=60, window=0.6, slack=0.15)
    reader = QwenOmniReader(make_llm(model="qwen-omni-turbo"), rate_limiter=budget, segment_seconds=15)
    reader.load_data([media["standup.wav"], media["photo.png"]])
    assert budget.requests == len(emu.requests) >= 4


def test_a_rerun_with_a_cache_sends_only_what_is_missing(
    fast: Callable[..., QwenOmniReader], emu: Emulator, media: dict[str, Path], tmp_path: Path
) -> None:
    emu.inject(Fault(status=400), after=2)
    with pytest.raises(LoadFailedError) as caught:
        fast(cache_dir=tmp_path / "answers", segment_seconds=15, max_concurrency=1).load_data(media["standup.wav"])
    kept = len(caught.value.documents)
    first = len(emu.requests)
    documents = fast(cache_dir=tmp_path / "answers", segment_seconds=15).load_data(media["standup.wav"])
    assert len(emu.requests) - first == len(documents) - kept
    assert [d.metadata.get("cached", False) for d in documents][:kept] == [True] * kept


# -- query engines -------------------------------------------------------------------------------------------


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


async def test_query_engine_over_media_streaming(
    fast: Callable[..., QwenOmniReader], llm: QwenOmni, media: dict[str, Path], last: Last
) -> None:
    documents = await fast(segment_seconds=15).aload_data(media["standup.wav"])
    index = VectorStoreIndex.from_documents(documents, embed_model=MockEmbedding(embed_dim=8))
    engine = index.as_query_engine(llm=llm, streaming=True, similarity_top_k=len(documents))
    response = await engine.aquery("What is said in the recording?")
    assert isinstance(response, AsyncStreamingResponse)
    text = "".join([token async for token in response.async_response_gen()])
    assert text.startswith('Received the text "Context information is below.')
    assert {n.metadata["start"] for n in response.source_nodes} == {d.metadata["start"] for d in documents}
    prompt = last().payload["messages"][-1]["content"]  # type: ignore[index]
    assert "recording: standup.wav\ntime: 00:00:00 - " in prompt and "A voice at " in prompt


def test_show_progress_per_call_and_unknown_keywords_refused(
    fast: Callable[..., QwenOmniReader], media: dict[str, Path], capfd: pytest.CaptureFixture[str], emu: Emulator
) -> None:
    reader = fast(segment_seconds=15)
    reader.load_data(media["standup.wav"], show_progress=True)
    assert "standup.wav" in capfd.readouterr().err, "a bar for this call, though the reader has none"
    reader.load_data(media["standup.wav"])
    assert "standup.wav" not in capfd.readouterr().err
    sent = len(emu.requests)
    for call in (
        lambda: reader.load_data(media["standup.wav"], shwo_progress=True),
        lambda: list(reader.lazy_load_data(media["standup.wav"], shwo_progress=True)),
        lambda: run_sync(reader.aload_data(media["standup.wav"], shwo_progress=True)),
    ):
        with pytest.raises(InvalidRequestError, match=r"unknown keyword 'shwo_progress' \(did you mean"):
            call()
    assert len(emu.requests) == sent, "refused before anything was sent"
