"""Every input kind crosses the wire intact: the emulator reports what it decoded from each part."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    DocumentBlock,
    ImageBlock,
    TextBlock,
    ThinkingBlock,
    VideoBlock,
)

from llama_index_qwen_omni import QwenOmni, video_frames_block
from qwen_omni import samples
from qwen_omni.emulator import Emulator
from qwen_omni.emulator.received import ReceivedRequest
from qwen_omni.errors import InvalidRequestError, LimitExceededError

MakeLLM = Callable[..., QwenOmni]
Last = Callable[[], ReceivedRequest]


def ask(*blocks: object) -> list[ChatMessage]:
    return [ChatMessage(role="user", blocks=[*blocks, TextBlock(text="What is this?")])]


def test_image_bytes_path_and_url(make_llm: MakeLLM, last: Last, tmp_path: Path) -> None:
    path = tmp_path / "picture.jpg"
    path.write_bytes(samples.image_jpeg(80, 60))
    answer = (
        make_llm(local_media_root=tmp_path)
        .chat(
            ask(
                ImageBlock(image=samples.image_png(64, 48), detail="low"),
                ImageBlock(path=path),
                ImageBlock(url="https://example.com/cat.png"),
            )
        )
        .message.content
    )
    by_bytes, by_path, by_url = last().parts
    assert (by_bytes.kind, by_bytes.source, by_bytes.mime_type) == ("image", "inline", "image/png")
    assert by_bytes.info is not None and (by_bytes.info.width, by_bytes.info.height) == (64, 48)
    assert by_bytes.options == {"max_pixels": 262_144}
    assert by_path.mime_type == "image/jpeg" and by_path.size_bytes == path.stat().st_size
    assert (by_url.source, by_url.url) == ("url", "https://example.com/cat.png")
    assert answer is not None and "1 image (png, 64x48" in answer and "1 image by URL" in answer


def test_audio_goes_as_a_data_uri_with_its_format(llm: QwenOmni, last: Last) -> None:
    mp3 = samples.tone_mp3(1.5)
    answer = llm.chat(ask(AudioBlock(audio=mp3))).message.content
    (part,) = last().parts
    assert (part.kind, part.source, part.format, part.size_bytes) == ("audio", "inline", "mp3", len(mp3))
    assert part.mime_type is None  # "data:;base64,...", as Qwen-Omni's examples send audio
    assert part.info is not None and part.info.duration == pytest.approx(1.5, abs=0.1)
    assert answer is not None and answer.startswith("Received 1 audio (mp3, 1.5")


def test_audio_by_url(llm: QwenOmni, last: Last) -> None:
    llm.chat(ask(AudioBlock(url="https://example.com/talk.wav")))
    (part,) = last().parts
    assert (part.source, part.format, part.url) == ("url", "wav", "https://example.com/talk.wav")


def test_video_file_with_fps(make_llm: MakeLLM, last: Last, tmp_path: Path) -> None:
    clip = samples.video_mp4(2.0)
    path = tmp_path / "clip.mp4"
    path.write_bytes(clip)
    llm = make_llm(local_media_root=tmp_path)
    llm.chat(ask(VideoBlock(path=path, fps=2)))
    (part,) = last().parts
    assert (part.kind, part.source, part.size_bytes, part.options) == ("video", "inline", len(clip), {"fps": 2})
    assert part.info is not None and part.info.duration == pytest.approx(2.0, abs=0.1) and part.info.has_audio
    llm.chat(ask(VideoBlock(url="https://example.com/clip.mp4", detail="fps=0.5")))
    (part,) = last().parts
    assert (part.source, part.options) == ("url", {"fps": 0.5})


def test_video_as_frames(llm: QwenOmni, last: Last) -> None:
    answer = llm.chat(ask(video_frames_block(samples.frames_jpeg(6), fps=1))).message.content
    (part,) = last().parts
    assert (part.kind, part.frame_count, part.options) == ("video_frames", 6, {"fps": 1})
    assert answer is not None and "1 video of 6 frames" in answer


def test_frame_count_limits_are_checked_before_sending(make_llm: MakeLLM, emu: Emulator) -> None:
    with pytest.raises(LimitExceededError, match="4 to 80"):
        make_llm(model="qwen-omni-turbo").chat(ask(video_frames_block(samples.frames_jpeg(2))))
    assert emu.requests == []


def test_several_kinds_in_one_message_on_qwen35(llm: QwenOmni, last: Last) -> None:
    llm.chat(ask(ImageBlock(image=samples.image_png()), AudioBlock(audio=samples.tone_wav(0.5))))
    assert [p.kind for p in last().parts] == ["image", "audio"]


def test_older_models_take_one_modality_per_message(make_llm: MakeLLM, emu: Emulator) -> None:
    llm = make_llm(model="qwen3-omni-flash")
    with pytest.raises(LimitExceededError, match="text plus one other modality"):
        llm.chat(ask(ImageBlock(image=samples.image_png()), AudioBlock(audio=samples.tone_wav(0.5))))
    assert emu.requests == []


def test_history_with_a_spoken_assistant_turn(llm: QwenOmni, last: Last) -> None:
    spoken = llm.chat(ask(AudioBlock(audio=samples.tone_wav(0.5))), modalities=["text", "audio"]).message
    assert isinstance(spoken.blocks[-1], AudioBlock)
    spoken.blocks.insert(0, ThinkingBlock(content="private reasoning"))
    llm.chat([*ask(AudioBlock(audio=samples.tone_wav(0.5))), spoken, ChatMessage(role="user", content="And then?")])
    payload = last().payload
    assert payload is not None
    assert payload["messages"][1] == {"role": "assistant", "content": spoken.content}
    assert payload["messages"][2] == {"role": "user", "content": "And then?"}


def test_unsupported_blocks_raise_before_sending(llm: QwenOmni, emu: Emulator) -> None:
    with pytest.raises(InvalidRequestError, match="DocumentBlock, which Qwen-Omni does not accept"):
        llm.chat(ask(DocumentBlock(data=b"%PDF-1.4 fake", document_mimetype="application/pdf")))
    with pytest.raises(InvalidRequestError, match="only in user messages"):
        list(llm.stream_chat([ChatMessage(role="assistant", blocks=[ImageBlock(url="https://e.com/a.png")])]))
    assert emu.requests == []
