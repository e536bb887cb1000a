"""Every part kind from every source goes on the wire the way the reference documents."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest

from qwen_omni import samples
from qwen_omni.errors import LimitExceededError, MediaError
from qwen_omni.parts import (
    AudioPart,
    ImagePart,
    TextPart,
    VideoFramesPart,
    VideoPart,
    kind_from_name,
    normalize_audio_format,
    sniff_audio_format,
    sniff_image_mime,
    wire_kind,
    wire_urls,
)


def decode(uri: str) -> tuple[str, bytes]:
    head, _, body = uri.partition(",")
    return head, base64.b64decode(body)


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("media")
    files = {
        "png": samples.image_png(64, 48),
        "jpg": samples.image_jpeg(64, 48),
        "mp3": samples.tone_mp3(0.5),
        "wav": samples.tone_wav(0.5),
        "mp4": samples.video_mp4(1.0, fps=5, width=64, height=48),
    }
    paths = {}
    for ext, data in files.items():
        path = folder / f"sample.{ext}"
        path.write_bytes(data)
        paths[ext] = path
    return paths


def test_text() -> None:
    assert TextPart("Hello").to_wire() == {"type": "text", "text": "Hello"}


@pytest.mark.parametrize("ext", ["png", "jpg"])
def test_image_from_path_bytes_and_str_path_keeps_its_real_mime_type(media: dict[str, Path], ext: str) -> None:
    mime = "image/png" if ext == "png" else "image/jpeg"
    data = media[ext].read_bytes()
    for source in (media[ext], str(media[ext]), data, bytearray(data), f"file://{media[ext]}"):
        wire = ImagePart(source).to_wire()
        head, decoded = decode(wire["image_url"]["url"])
        assert head == f"data:{mime};base64"
        assert decoded == data


def test_image_from_url_and_data_uri_pass_through() -> None:
    assert ImagePart("https://e.com/a.png").to_wire() == {
        "type": "image_url",
        "image_url": {"url": "https://e.com/a.png"},
    }
    assert ImagePart("oss://bucket/a.png").to_wire()["image_url"]["url"] == "oss://bucket/a.png"
    uri = "data:image/png;base64," + base64.b64encode(samples.image_png(32, 32)).decode()
    assert ImagePart(uri).to_wire()["image_url"]["url"] == uri


def test_image_pixel_options_sit_beside_image_url() -> None:
    wire = ImagePart("https://e.com/a.png", min_pixels=3136, max_pixels=921_600, total_pixels=10**7).to_wire()
    assert (wire["min_pixels"], wire["max_pixels"], wire["total_pixels"]) == (3136, 921_600, 10**7)


@pytest.mark.parametrize("ext", ["mp3", "wav"])
def test_audio_from_path_and_bytes_uses_an_empty_mime_type_and_infers_format(media: dict[str, Path], ext: str) -> None:
    data = media[ext].read_bytes()
    for source in (media[ext], str(media[ext]), data):
        wire = AudioPart(source).to_wire()
        head, decoded = decode(wire["input_audio"]["data"])
        assert head == "data:;base64"
        assert decoded == data
        assert wire["input_audio"]["format"] == ext


@pytest.mark.parametrize(
    ("given", "expected"),
    [("audio/mpeg", "mp3"), (".MP3", "mp3"), ("mp3", "mp3"), ("audio/x-wav", "wav"), ("audio/wav", "wav"),
     ("audio/aac", "aac"), ("audio/mp4", "m4a"), ("audio/amr", "amr"), ("3gpp", "3gp")],
)  # fmt: skip
def test_audio_format_aliases(given: str, expected: str) -> None:
    assert normalize_audio_format(given) == expected
    assert AudioPart("https://e.com/x", format=given).to_wire()["input_audio"]["format"] == expected


def test_audio_url_format_from_its_extension() -> None:
    wire = AudioPart("https://e.com/talk.WAV?sig=1").to_wire()
    assert wire == {"type": "input_audio", "input_audio": {"data": "https://e.com/talk.WAV?sig=1", "format": "wav"}}


def test_video_file_from_path_bytes_and_url(media: dict[str, Path]) -> None:
    data = media["mp4"].read_bytes()
    for source in (media["mp4"], data):
        wire = VideoPart(source, fps=2).to_wire()
        head, decoded = decode(wire["video_url"]["url"])
        assert (head, decoded, wire["fps"]) == ("data:;base64", data, 2)
    assert VideoPart("https://e.com/v.mp4").to_wire() == {
        "type": "video_url",
        "video_url": {"url": "https://e.com/v.mp4"},
    }


def test_video_frames_from_urls_paths_and_bytes(media: dict[str, Path]) -> None:
    jpeg = media["jpg"].read_bytes()
    wire = VideoFramesPart(["https://e.com/1.jpg", media["jpg"], jpeg], fps=1).to_wire()
    assert wire["type"] == "video" and wire["fps"] == 1
    assert wire["video"][0] == "https://e.com/1.jpg"
    for uri in wire["video"][1:]:
        assert decode(uri) == ("data:image/jpeg;base64", jpeg)


def test_a_file_is_read_once(media: dict[str, Path], tmp_path: Path) -> None:
    path = tmp_path / "a.wav"
    path.write_bytes(media["wav"].read_bytes())
    part = AudioPart(path)
    first = part.to_wire()
    path.unlink()
    assert part.to_wire() == first


def test_sniffers() -> None:
    assert sniff_image_mime(samples.image_png()) == "image/png"
    assert sniff_image_mime(samples.image_jpeg()) == "image/jpeg"
    assert sniff_image_mime(b"GIF89a....") == "image/gif"
    assert sniff_image_mime(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert sniff_image_mime(b"hello") is None
    assert sniff_audio_format(samples.tone_wav(0.1)) == "wav"
    assert sniff_audio_format(samples.tone_mp3(0.1)) == "mp3"
    assert sniff_audio_format(b"#!AMR\n") == "amr"
    assert sniff_audio_format(b"fLaC\x00") == "flac"
    assert sniff_audio_format(b"nothing") is None


def test_wire_helpers() -> None:
    assert wire_kind({"type": "video", "video": []}) == "video_frames"
    assert wire_kind({"type": "file"}) == "unknown"
    assert wire_urls({"type": "input_audio", "input_audio": {"data": "u", "format": "mp3"}}) == ["u"]
    assert wire_urls({"type": "video", "video": ["a", "b"]}) == ["a", "b"]


@pytest.mark.parametrize(
    ("part", "message"),
    [
        (lambda: ImagePart(b"not an image").to_wire(), "Cannot tell the type of the given image"),
        (lambda: ImagePart(b"BM" + b"\x00" * 10, mime="image/svg+xml").to_wire(), "image/svg+xml"),
        (lambda: AudioPart(b"....").to_wire(), "pass format='mp3'"),
        (lambda: AudioPart("https://e.com/a.xyz").to_wire(), "'xyz', which Qwen-Omni does not accept"),
        (lambda: VideoPart(b"x", fps=20).to_wire(), "fps must be between 0.1 and 10.0"),
        (lambda: VideoFramesPart(["https://e.com/a.jpg"] * 2, fps=0).to_wire(), "fps must be between"),
        (lambda: ImagePart("https://e.com/a.png", max_pixels=0).to_wire(), "max_pixels must be a positive"),
        (lambda: ImagePart("/definitely/missing.png").to_wire(), "neither a URL"),
    ],
)
def test_part_level_errors(part: object, message: str) -> None:
    with pytest.raises((MediaError, LimitExceededError), match=None) as info:
        part()  # type: ignore[operator]
    assert message in str(info.value)
    assert isinstance(info.value, ValueError)


def test_video_with_an_unsupported_extension(tmp_path: Path) -> None:
    path = tmp_path / "clip.gifv"
    path.write_bytes(b"\x00" * 10)
    with pytest.raises(MediaError, match=r"\.gifv, which Qwen-Omni does not accept"):
        VideoPart(path).to_wire()


def test_directory_is_not_a_file(tmp_path: Path) -> None:
    with pytest.raises(MediaError, match="is not a file"):
        AudioPart(tmp_path).to_wire()


def test_audio_format_of_a_data_uri_is_sniffed() -> None:
    uri = "data:;base64," + base64.b64encode(samples.tone_mp3(0.2)).decode()
    assert AudioPart(uri).to_wire()["input_audio"] == {"data": uri, "format": "mp3"}
    with pytest.raises(MediaError, match="pass format="):
        AudioPart("data:;base64,AAAAAAAA").to_wire()


@pytest.mark.parametrize(
    ("name", "kind"),
    [("a.PNG", "image"), ("https://e.com/x.jpeg?s=1", "image"), ("talk.mp3", "audio"), ("memo.amr", "audio"),
     ("voice.opus", "audio"), ("call.3gp", "audio"), ("clip.mp4", "video"), ("clip.webm", "video"),
     ("notes.bin", None), ("noextension", None)],
)  # fmt: skip
def test_kind_from_name_uses_the_accepted_formats(name: str, kind: str | None) -> None:
    assert kind_from_name(name) == kind
