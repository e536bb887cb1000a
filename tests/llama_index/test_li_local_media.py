"""Hostile blocks (``ChatMessage.model_validate(json)`` from an end user) never make ``QwenOmni`` read a local file:
none by default, none outside ``local_media_root`` when it is set; a file inside it works. LlamaIndex's own
``resolve_image()`` / ``resolve_binary`` (which read a block's path) are never let near a path."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage, ImageBlock, TextBlock, VideoBlock

from llama_index_qwen_omni import FRAMES_MIMETYPE, QwenOmni, video_frames_block
from qwen_omni import samples
from qwen_omni.emulator import Emulator
from qwen_omni.emulator.received import ReceivedRequest
from qwen_omni.errors import InvalidRequestError, LocalFileRefusedError

MakeLLM = Callable[..., QwenOmni]
Last = Callable[[], ReceivedRequest]
SENTINEL = "sk-local-file-sentinel-9c07"


def frames_body(*frames: str) -> str:
    return json.dumps({"frames": list(frames), "fps": 1})


def attack_json(target: str) -> list[dict[str, Any]]:
    """Messages as an end user's JSON would arrive: every block shape that names a local file."""
    uri = Path(target).as_uri()
    relative = os.path.relpath(target)
    blocks = [
        {"block_type": "image", "path": target, "image_mimetype": "image/png"},
        {"block_type": "audio", "path": target, "format": "wav"},
        {"block_type": "video", "path": target},
        {"block_type": "image", "url": uri, "image_mimetype": "image/png"},
        {"block_type": "audio", "url": uri, "format": "mp3"},
        {"block_type": "video", "url": uri},
        {"block_type": "image", "path": relative},
        {"block_type": "video", "video": frames_body(target, target), "video_mimetype": FRAMES_MIMETYPE},
        {"block_type": "video", "video": frames_body(uri, "https://e.com/1.jpg"), "video_mimetype": FRAMES_MIMETYPE},
        {"block_type": "video", "video": frames_body(relative, relative), "video_mimetype": FRAMES_MIMETYPE},
    ]
    return [{"role": "user", "blocks": [block, {"block_type": "text", "text": "What is this?"}]} for block in blocks]


TARGETS = ["/etc/hostname", "/proc/self/environ"]
CASES = [(target, index) for target in TARGETS for index in range(len(attack_json(target)))]


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QWEN_OMNI_TEST_SENTINEL", SENTINEL)


@pytest.mark.usefixtures("secret_env")
@pytest.mark.parametrize(("target", "index"), CASES, ids=[f"{t}-{i}" for t, i in CASES])
def test_no_block_reads_a_file_by_default(make_llm: MakeLLM, emu: Emulator, target: str, index: int) -> None:
    message = ChatMessage.model_validate_json(json.dumps(attack_json(target)[index]))
    with pytest.raises(LocalFileRefusedError) as info:
        make_llm().chat([message])
    assert "local_media_root" in str(info.value) and SENTINEL not in str(info.value)
    assert emu.requests == []


@pytest.mark.usefixtures("secret_env")
@pytest.mark.parametrize(("target", "index"), CASES, ids=[f"{t}-{i}" for t, i in CASES])
async def test_no_block_reads_outside_the_root(
    make_llm: MakeLLM, emu: Emulator, tmp_path: Path, target: str, index: int
) -> None:
    message = ChatMessage.model_validate(attack_json(target)[index])
    llm = make_llm(local_media_root=tmp_path)
    with pytest.raises(LocalFileRefusedError, match="outside the folder this model may read"):
        await llm.achat([message])
    with pytest.raises(LocalFileRefusedError):
        llm.stream_chat([message])
    assert emu.requests == []


def test_a_symlink_out_of_the_root_is_refused(make_llm: MakeLLM, emu: Emulator, tmp_path: Path) -> None:
    (tmp_path / "innocent.png").symlink_to("/etc/hostname")
    block = ImageBlock(path=tmp_path / "innocent.png")
    with pytest.raises(LocalFileRefusedError, match="outside"):
        make_llm(local_media_root=tmp_path / ".").chat([ChatMessage(role="user", blocks=[block])])
    assert emu.requests == []


def test_files_inside_the_root_are_sent(make_llm: MakeLLM, last: Last, tmp_path: Path) -> None:
    png, mp4 = samples.image_png(64, 48), samples.video_mp4(1.0)
    (tmp_path / "shot.png").write_bytes(png)
    (tmp_path / "clip.mp4").write_bytes(mp4)
    llm = make_llm(local_media_root=tmp_path)
    blocks: list[tuple[Any, str, int]] = [
        (ImageBlock(path=tmp_path / "shot.png"), "image", len(png)),
        (ImageBlock(url=(tmp_path / "shot.png").as_uri()), "image", len(png)),
        (VideoBlock(path=tmp_path / "clip.mp4", fps=1), "video", len(mp4)),
        (VideoBlock(video=frames_body("shot.png", str(tmp_path / "shot.png")).encode(), video_mimetype=FRAMES_MIMETYPE),
         "video_frames", 2 * len(png)),
    ]  # fmt: skip
    for block, kind, size in blocks:
        llm.chat([ChatMessage(role="user", blocks=[block, TextBlock(text="What is this?")])])
        (part,) = last().parts
        assert (part.kind, part.source, part.size_bytes) == (kind, "inline", size), block


def test_a_relative_path_means_what_llama_index_validated(
    make_llm: MakeLLM, last: Last, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / "cat.png").write_bytes(samples.image_png(32, 32))
    monkeypatch.chdir(tmp_path)
    block = ImageBlock(path=Path("uploads/cat.png"))  # LlamaIndex checks it exists, relative to the working folder
    make_llm(local_media_root="uploads").chat([ChatMessage(role="user", blocks=[block])])
    assert last().parts[0].source == "inline"


def test_video_frames_block_reads_the_developers_paths_itself(make_llm: MakeLLM, last: Last, tmp_path: Path) -> None:
    """The helper is developer code: it reads its paths when called, so the block needs no root later."""
    frames = []
    for index in range(2):
        (path := tmp_path / f"f{index}.jpg").write_bytes(samples.image_jpeg(32, 32))
        frames.append(path)
    block = video_frames_block(frames, fps=1)
    restored = ChatMessage.model_validate_json(ChatMessage(role="user", blocks=[block]).model_dump_json())
    make_llm().chat([restored])
    (part,) = last().parts
    assert (part.kind, part.frame_count, part.source) == ("video_frames", 2, "inline")


def test_a_missing_root_is_named(make_llm: MakeLLM, emu: Emulator, tmp_path: Path) -> None:
    (tmp_path / "cat.png").write_bytes(samples.image_png(32, 32))
    with pytest.raises(InvalidRequestError, match=r"local_media_root is .* not an existing folder"):
        make_llm(local_media_root=tmp_path / "missing").chat(
            [ChatMessage(role="user", blocks=[ImageBlock(path=tmp_path / "cat.png")])]
        )
    assert emu.requests == []


def test_the_setting_is_absolute_and_serializable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    llm = QwenOmni(api_key="sk-test", local_media_root=Path("uploads"))
    assert llm.local_media_root == str(tmp_path / "uploads")
    data = json.loads(llm.to_json())
    assert data["local_media_root"] == str(tmp_path / "uploads") and "sk-test" not in llm.to_json()
    assert QwenOmni.from_dict(data).local_media_root == str(tmp_path / "uploads")
