"""The local-file policy for message content: no file by default; with a root, files inside it only, after
resolving ``..`` and symlinks; the same refusal whether or not a file outside exists. And sizes checked from
the disk before a file is read."""

from __future__ import annotations

import os
import tracemalloc
from pathlib import Path

import pytest

from qwen_omni import samples
from qwen_omni.errors import InvalidRequestError, LimitExceededError, LocalFileRefusedError, MediaError
from qwen_omni.local_media import SETTING, LocalMediaPolicy, absolute_root
from qwen_omni.parts import AudioPart, VideoPart
from qwen_omni.sources import MAX_INLINE_FILE_BYTES, load_source

WHAT = "The image block's url"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    folder = tmp_path / "uploads"
    (folder / "sub").mkdir(parents=True)
    (folder / "cat.png").write_bytes(samples.image_png(32, 32))
    (folder / "sub" / "dog.png").write_bytes(samples.image_png(32, 32))
    (tmp_path / "secret.txt").write_text("DASHSCOPE_API_KEY=sk-secret")
    (folder / "escape").symlink_to(tmp_path / "secret.txt")
    (folder / "hostname").symlink_to("/etc/hostname")
    (folder / "up").symlink_to(tmp_path)
    (folder / "inside").symlink_to(folder / "cat.png")
    return folder


ESCAPES = [
    "/etc/hostname",
    "/proc/self/environ",
    "../secret.txt",
    "sub/../../secret.txt",
    "escape",
    "hostname",
    "up/secret.txt",
    "file:///etc/hostname",
    "file:///proc/self/environ",
    "file://localhost/etc/hostname",
    "file:../secret.txt",
    "/etc/../etc/hostname",
    "/nonexistent/outside.png",
]


def test_no_root_reads_no_file_at_all(root: Path) -> None:
    policy = LocalMediaPolicy()
    for value in [str(root / "cat.png"), "cat.png", (root / "cat.png").as_uri(), *ESCAPES]:
        with pytest.raises(LocalFileRefusedError, match=f"{SETTING} is not set"):
            policy.location(value, WHAT)
    with pytest.raises(LocalFileRefusedError, match="reads no local file from message content"):
        policy.path(root / "cat.png", WHAT)


@pytest.mark.parametrize("value", ESCAPES)
def test_nothing_outside_the_root(root: Path, value: str) -> None:
    with pytest.raises(LocalFileRefusedError) as info:
        LocalMediaPolicy(root).location(value, WHAT)
    message = str(info.value)
    assert SETTING in message and "sk-secret" not in message and str(root) not in message


def test_outside_files_are_refused_alike_whether_they_exist_or_not(root: Path) -> None:
    policy = LocalMediaPolicy(root)

    def refusal(value: str) -> str:
        with pytest.raises(LocalFileRefusedError) as info:
            policy.location(value, WHAT)
        return str(info.value).replace(value, "<path>")

    assert refusal("/etc/hostname") == refusal("/etc/no-such-file") == refusal("../no-such-file")


@pytest.mark.parametrize("value", ["cat.png", "sub/dog.png", "sub/../cat.png", "./cat.png", "inside"])
def test_files_inside_the_root_resolve_to_their_real_path(root: Path, value: str) -> None:
    resolved = LocalMediaPolicy(root).location(value, WHAT)
    assert isinstance(resolved, Path) and resolved.is_relative_to(root.resolve()) and resolved.is_file()


def test_absolute_paths_and_file_urls_inside_the_root(root: Path) -> None:
    policy = LocalMediaPolicy(root)
    expected = (root / "cat.png").resolve()
    assert policy.location(str(root / "cat.png"), WHAT) == expected
    assert policy.location((root / "cat.png").as_uri(), WHAT) == expected
    assert policy.location("file://" + str(root / "c%61t.png"), WHAT) == expected  # percent-escapes decoded


def test_relative_paths_are_relative_to_the_root_not_the_working_directory(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(root / "sub")
    assert LocalMediaPolicy(root).location("cat.png", WHAT) == (root / "cat.png").resolve()
    with pytest.raises(LocalFileRefusedError, match="no file by that name"):
        LocalMediaPolicy(root).location("dog.png", WHAT)


def test_urls_pass_and_other_schemes_are_refused(root: Path) -> None:
    policy = LocalMediaPolicy(root)
    for url in ("https://e.com/a.png", "http://e.com/a.png", "oss://bucket/a.png", "data:image/png;base64,AAAA"):
        assert policy.location(url, WHAT) == url
    for url in ("javascript:alert(1)", "ftp://e.com/a.png", "smb://host/share", "about:blank", "blob:x"):
        with pytest.raises(LocalFileRefusedError, match="with the scheme"):
            policy.location(url, WHAT)
    with pytest.raises(MediaError, match="on another host"):
        policy.location("file://attacker/share/a.png", WHAT)


def test_folders_devices_and_fifos_are_not_files(root: Path) -> None:
    os.mkfifo(root / "pipe")
    policy = LocalMediaPolicy(root)
    for value in ("sub", "pipe", ".", ""):
        with pytest.raises(LocalFileRefusedError, match="no file by that name"):
            policy.location(value, WHAT)
    with pytest.raises(LocalFileRefusedError):
        LocalMediaPolicy("/dev").location("null", WHAT)


def test_odd_values(root: Path) -> None:
    policy = LocalMediaPolicy(root)
    with pytest.raises(InvalidRequestError, match="must be a string; got int 5"):
        policy.location(5, WHAT)
    with pytest.raises(LocalFileRefusedError, match="not a usable path"):
        policy.location("cat\x00.png", WHAT)
    with pytest.raises(InvalidRequestError, match="looks like base64"):
        policy.location("iVBORw0KGgo" * 1000, WHAT)


def test_a_missing_root_is_named(tmp_path: Path) -> None:
    with pytest.raises(InvalidRequestError, match=f"{SETTING} is .* which is not an existing folder"):
        LocalMediaPolicy(tmp_path / "missing").location("cat.png", WHAT)


def test_absolute_root() -> None:
    assert absolute_root("uploads") == os.path.join(os.getcwd(), "uploads")
    assert absolute_root(Path("~/x")) == os.path.expanduser("~/x")
    assert absolute_root(None) is None


# -- sizes from the disk -----------------------------------------------------------------------------------

#: The documented limit: each base64 data URI must be under 10,485,760 bytes (reference, "Input parts").
DOCUMENTED_DATA_URI_LIMIT = 10_485_760


def test_the_largest_inline_file_follows_from_the_documented_limit() -> None:
    prefix = len("data:;base64,")
    largest = MAX_INLINE_FILE_BYTES
    assert prefix + 4 * -(-largest // 3) < DOCUMENTED_DATA_URI_LIMIT
    assert prefix + 4 * -(-(largest + 1) // 3) >= DOCUMENTED_DATA_URI_LIMIT
    assert 7_500_000 < largest < 7_900_000  # "a file of about 7.5 MB"


def test_a_file_at_the_limit_is_read_and_one_byte_more_is_not(tmp_path: Path) -> None:
    fits, too_big = tmp_path / "fits.bin", tmp_path / "too_big.bin"
    for path, size in ((fits, MAX_INLINE_FILE_BYTES), (too_big, MAX_INLINE_FILE_BYTES + 1)):
        with path.open("wb") as file:
            file.truncate(size)  # sparse: no disk used
    assert len(load_source(fits).data or b"") == MAX_INLINE_FILE_BYTES
    with pytest.raises(LimitExceededError, match="under 10 MB per item"):
        load_source(too_big)


def test_a_100_mb_video_is_refused_without_being_read(tmp_path: Path) -> None:
    path = tmp_path / "big.mp4"
    with path.open("wb") as file:
        file.truncate(100 * 1_048_576)
    tracemalloc.start()
    try:
        with pytest.raises(LimitExceededError) as info:
            VideoPart(path).to_wire()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_048_576, f"{peak:,} bytes allocated: the file was read"
    assert "is 100.0 MB, 133.3 MB as a base64 data URI" in str(info.value)
    assert "Upload it and pass its URL" in str(info.value)


def test_a_file_that_lies_about_its_size_is_read_only_up_to_the_limit() -> None:
    # /proc files report a size of 0; reading stops at the limit anyway (here: well under it).
    assert load_source("/proc/self/status").data


def test_raw_base64_as_a_path_names_what_it_is() -> None:
    payload = "UklGR" + "A" * 900_000
    with pytest.raises(MediaError) as info:
        AudioPart(payload).to_wire()
    message = str(info.value)
    assert "looks like base64 data" in message and "(900,005 characters)" in message and len(message) < 500
    assert info.value.__context__ is None and info.value.__cause__ is None
