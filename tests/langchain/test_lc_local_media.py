"""Hostile content blocks (an end user's JSON passed to ``invoke``) never make ``ChatQwenOmni`` read a local file:
none by default, none outside ``local_media_root`` when it is set; a file inside it works."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from langchain_qwen_omni import ChatQwenOmni
from qwen_omni import samples
from qwen_omni.emulator import Emulator
from qwen_omni.emulator.received import ReceivedRequest
from qwen_omni.errors import InvalidRequestError, LocalFileRefusedError

Make = Callable[..., ChatQwenOmni]
Last = Callable[[], ReceivedRequest]
SENTINEL = "sk-local-file-sentinel-51f3"


def attack_blocks(target: str) -> list[dict[str, Any]]:
    """Every block shape that once made the adapter read ``target`` (an absolute path), and the other ways in."""
    uri = Path(target).as_uri()
    relative = "../" * 12 + target.lstrip("/")
    return [
        {"type": "image", "path": target, "mime_type": "image/png"},
        {"type": "audio", "path": target, "mime_type": "audio/wav"},
        {"type": "video", "path": target},
        {"type": "image", "url": uri, "mime_type": "image/png"},
        {"type": "audio", "url": uri, "mime_type": "audio/mpeg"},
        {"type": "video", "url": uri},
        {"type": "image", "url": target, "mime_type": "image/png"},
        {"type": "video", "url": relative},
        {"type": "audio", "url": relative, "mime_type": "audio/mpeg"},
        {"type": "image", "source_type": "url", "url": uri},  # LangChain v0, converted to v1 by langchain-core
        {"type": "image_url", "image_url": {"url": uri}},
        {"type": "input_audio", "input_audio": {"data": uri, "format": "wav"}},
        {"type": "video_url", "video_url": {"url": target}},
        {"type": "video", "video": [uri, target]},
        {"type": "image", "path": relative},
    ]


TARGETS = ["/etc/hostname", "/proc/self/environ"]
CASES = [(target, index) for target in TARGETS for index in range(len(attack_blocks(target)))]


def invoke(llm: ChatQwenOmni, block: dict[str, Any]) -> Any:
    return llm.invoke([HumanMessage([block, {"type": "text", "text": "What is this?"}])])


@pytest.fixture
def secret_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QWEN_OMNI_TEST_SENTINEL", SENTINEL)  # lands in /proc/self/environ


@pytest.mark.usefixtures("secret_env")
@pytest.mark.parametrize(("target", "index"), CASES, ids=[f"{t}-{i}" for t, i in CASES])
def test_no_block_reads_a_file_by_default(make_llm: Make, emu: Emulator, target: str, index: int) -> None:
    block = attack_blocks(target)[index]
    with pytest.raises(LocalFileRefusedError) as info:
        invoke(make_llm(), block)
    assert "local_media_root" in str(info.value) and SENTINEL not in str(info.value)
    assert emu.requests == []


@pytest.mark.usefixtures("secret_env")
@pytest.mark.parametrize(("target", "index"), CASES, ids=[f"{t}-{i}" for t, i in CASES])
def test_no_block_reads_outside_the_root(
    make_llm: Make, emu: Emulator, tmp_path: Path, target: str, index: int
) -> None:
    (tmp_path / "cat.png").write_bytes(samples.image_png(32, 32))
    block = attack_blocks(target)[index]
    with pytest.raises(LocalFileRefusedError, match="outside the folder this model may read"):
        invoke(make_llm(local_media_root=tmp_path), block)
    assert emu.requests == []


def test_a_symlink_out_of_the_root_is_refused(make_llm: Make, emu: Emulator, tmp_path: Path) -> None:
    root = tmp_path / "uploads"
    root.mkdir()
    (root / "innocent.png").symlink_to("/etc/hostname")
    for block in ({"type": "image", "path": "innocent.png"}, {"type": "image", "url": "innocent.png"}):
        with pytest.raises(LocalFileRefusedError, match="outside"):
            invoke(make_llm(local_media_root=root), block)
    assert emu.requests == []


def test_files_inside_the_root_are_sent(make_llm: Make, last: Last, tmp_path: Path) -> None:
    png, wav, mp4 = samples.image_png(64, 48), samples.tone_wav(0.5), samples.video_mp4(1.0)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "shot.png").write_bytes(png)
    (tmp_path / "memo.wav").write_bytes(wav)
    (tmp_path / "clip.mp4").write_bytes(mp4)
    llm = make_llm(local_media_root=str(tmp_path))
    blocks: list[tuple[dict[str, Any], str, int]] = [
        ({"type": "image", "path": "sub/shot.png"}, "image", len(png)),
        ({"type": "image", "url": (tmp_path / "sub" / "shot.png").as_uri()}, "image", len(png)),
        ({"type": "image_url", "image_url": {"url": "sub/shot.png"}, "max_pixels": 50176}, "image", len(png)),
        ({"type": "audio", "url": "memo.wav"}, "audio", len(wav)),
        ({"type": "input_audio", "input_audio": {"data": "file://" + str(tmp_path / "memo.wav"), "format": "wav"}},
         "audio", len(wav)),
        ({"type": "video", "path": str(tmp_path / "clip.mp4"), "extras": {"fps": 1}}, "video", len(mp4)),
        ({"type": "video_url", "video_url": {"url": "clip.mp4"}}, "video", len(mp4)),
        ({"type": "video", "video": ["sub/shot.png", "sub/../sub/shot.png"]}, "video_frames", 2 * len(png)),
    ]  # fmt: skip
    for block, kind, size in blocks:
        invoke(llm, block)
        (part,) = last().parts
        assert (part.kind, part.source, part.size_bytes) == (kind, "inline", size), block


def test_a_missing_root_is_named(make_llm: Make, emu: Emulator, tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError, match=r"local_media_root is .* not an existing folder"):
        invoke(make_llm(local_media_root=tmp_path / "missing"), {"type": "image", "path": "cat.png"})
    assert emu.requests == []


@pytest.mark.filterwarnings("ignore:The function `load` is in beta")
def test_the_setting_is_absolute_and_serializable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from langchain_core.load import dumpd, dumps, load

    monkeypatch.chdir(tmp_path)
    llm = ChatQwenOmni(api_key="sk-test", local_media_root=Path("uploads"))
    assert llm.local_media_root == str(tmp_path / "uploads")
    assert json.loads(dumps(llm))["kwargs"]["local_media_root"] == str(tmp_path / "uploads")
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-test")
    restored = load(
        dumpd(llm), valid_namespaces=["langchain_qwen_omni"], allowed_objects=[ChatQwenOmni], secrets_from_env=True
    )
    assert isinstance(restored, ChatQwenOmni) and restored.local_media_root == str(tmp_path / "uploads")


def test_bytes_and_urls_need_no_root(make_llm: Make, last: Last) -> None:
    png = samples.image_png(32, 32)
    invoke(make_llm(), {"type": "image", "base64": base64.b64encode(png).decode(), "mime_type": "image/png"})
    invoke(make_llm(), {"type": "image", "url": "https://example.com/cat.png"})
    assert last().parts[0].url == "https://example.com/cat.png"
