"""Bad input at the core's entry points: each is refused before sending with an error that says what and how,
or accepted on purpose (the second table). The emulator must receive nothing for a refused one.

The LangChain and LlamaIndex entry points have their own tables (tests/langchain/test_lc_bad_inputs.py,
tests/llama_index/test_li_bad_inputs.py).
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from qwen_omni import samples
from qwen_omni.client import OmniClient
from qwen_omni.emulator import Emulator
from qwen_omni.errors import InvalidRequestError, LimitExceededError, MediaError
from qwen_omni.parts import AudioPart, ImagePart, TextPart, VideoFramesPart, VideoPart
from qwen_omni.request import Message, RequestOptions

PNG = samples.image_png(32, 32)
JPEG = samples.image_jpeg(32, 32)
WAV = samples.tone_wav(0.3)
MP3 = samples.tone_mp3(0.3)
MP4 = samples.video_mp4(1.0, fps=5, width=64, height=48)
B64_PNG = base64.b64encode(PNG).decode()
B64_WAV = base64.b64encode(WAV).decode()
B64_MP3 = base64.b64encode(MP3).decode()
#: Raw base64 as big as a real photo, passed where a path or URL belongs.
BIG_B64 = base64.b64encode(samples.image_png(640, 480) * 20).decode()
IMG = "https://e.com/a.png"
VID = "https://e.com/a.mp4"
#: The longest error message allowed: none may carry a payload.
MAX_MESSAGE = 1_000


def ask(*parts: Any) -> list[Message]:
    return [Message("user", [*parts, TextPart("What is this?")])]


def wire(part: dict[str, Any]) -> list[Message]:
    return [Message("user", [part, TextPart("What is this?")])]


def msgs(*messages: Any) -> list[Any]:
    return [*messages, {"role": "user", "content": "Go on."}]


Build = Callable[[], tuple[Any, dict[str, Any]]]


def m(build: Callable[[], Any], **options: Any) -> Build:
    """A case: the messages to send (built inside the test, so that a refusal at construction counts) and options."""
    return lambda: (build(), options)


# fmt: off
REFUSED: list[tuple[str, Build, type[Exception], str]] = [
    # -- the conversation itself
    ("messages None", m(lambda: None), InvalidRequestError, "messages must be a list"),
    ("messages an int", m(lambda: 123), InvalidRequestError, "messages must be a list"),
    ("messages bytes", m(lambda: b"hello"), InvalidRequestError, "messages must be a list"),
    ("one Message, not in a list", m(lambda: Message("user", "hi")), InvalidRequestError, "Wrap it in a list"),
    ("one dict, not in a list", m(lambda: {"role": "user", "content": "hi"}), InvalidRequestError,
     "Wrap it in a list"),
    ("a list of strings", m(lambda: ["hello"]), InvalidRequestError, "Message 0 is a str"),
    ("a (role, text) tuple", m(lambda: [("user", "hi")]), InvalidRequestError, "Message 0 is a tuple"),
    ("None in the list", m(lambda: [None]), InvalidRequestError, "Message 0 is a NoneType"),
    ("no messages", m(lambda: []), InvalidRequestError, "No messages to send"),
    # -- empty messages
    ("user content None", m(lambda: [Message("user", None)]), InvalidRequestError, "Message 0 (user) is empty"),
    ("user content ''", m(lambda: [Message("user", "")]), InvalidRequestError, "Message 0 (user) is empty"),
    ("user content []", m(lambda: [Message("user", [])]), InvalidRequestError, "Message 0 (user) is empty"),
    ("user content [TextPart('')]", m(lambda: [Message("user", [TextPart("")])]), InvalidRequestError,
     "Message 0 (user) is empty"),
    ("empty system message", m(lambda: msgs(Message("system", ""))), InvalidRequestError,
     "Message 0 (system) is empty"),
    ("empty assistant turn", m(lambda: msgs(Message("user", "hi"), Message("assistant", ""))), InvalidRequestError,
     "Message 1 (assistant) is empty"),
    ("assistant content None", m(lambda: msgs(Message("user", "hi"), Message("assistant", None))),
     InvalidRequestError, "(assistant) is empty"),
    ("wire user without content", m(lambda: [{"role": "user"}]), InvalidRequestError, "(user) is empty"),
    ("wire user content None", m(lambda: [{"role": "user", "content": None}]), InvalidRequestError,
     "(user) is empty"),
    # -- roles and content types
    ("unknown role", m(lambda: [Message("wizard", "hi")]), InvalidRequestError, "has role 'wizard'"),  # type: ignore[arg-type]
    ("role None", m(lambda: [Message(None, "hi")]), InvalidRequestError, "has role None"),  # type: ignore[arg-type]
    ("wire message without role", m(lambda: [{"content": "hi"}]), InvalidRequestError, "has role None"),
    ("content an int", m(lambda: [Message("user", 123)]), InvalidRequestError, "content of type int"),  # type: ignore[arg-type]
    ("content a bare part", m(lambda: [Message("user", TextPart("hi"))]), InvalidRequestError,  # type: ignore[arg-type]
     "wrap the part in a list"),
    ("content a dict", m(lambda: [{"role": "user", "content": {"type": "text", "text": "hi"}}]),
     InvalidRequestError, "content of type dict"),
    ("a str inside the parts", m(lambda: [Message("user", ["hi"])]), InvalidRequestError,  # type: ignore[list-item]
     "part 0 of message 0 is a str"),
    ("None inside the parts", m(lambda: [Message("user", [None])]), InvalidRequestError,  # type: ignore[list-item]
     "is a NoneType"),
    ("an int inside the parts", m(lambda: [Message("user", [123])]), InvalidRequestError, "is a int"),  # type: ignore[list-item]
    ("tool result without id", m(lambda: msgs(Message("tool", "42"))), InvalidRequestError, "without tool_call_id"),
    ("wire tool result without id", m(lambda: msgs({"role": "tool", "content": "42"})), InvalidRequestError,
     "without tool_call_id"),
    ("tool_call_id an int", m(lambda: msgs(Message("tool", "42", tool_call_id=7))), InvalidRequestError,  # type: ignore[arg-type]
     "tool_call_id must be a string"),
    ("name an int", m(lambda: [Message("user", "hi", name=5)]), InvalidRequestError, "name must be a string"),  # type: ignore[arg-type]
    ("tool_calls a string", m(lambda: msgs(Message("assistant", "", tool_calls="f()"))), InvalidRequestError,  # type: ignore[arg-type]
     "tool_calls must be a list"),
    ("tool call without a name", m(lambda: msgs({"role": "assistant", "content": None,
     "tool_calls": [{"id": "c1", "type": "function", "function": {"name": ""}}]})), InvalidRequestError,
     "Tool call 0 of message 0 must be"),
    ("tool call arguments a dict", m(lambda: msgs({"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": {"a": 1}}}]})),
     InvalidRequestError, "'arguments': '<JSON text>'"),
    ("media in an assistant turn", m(lambda: msgs(Message("user", "hi"), Message("assistant", [ImagePart(PNG)]))),
     InvalidRequestError, "accepts media only in user messages"),
    # -- text parts
    ("TextPart(None)", m(lambda: ask(TextPart(None))), InvalidRequestError, "TextPart takes a string"),  # type: ignore[arg-type]
    ("TextPart(123)", m(lambda: ask(TextPart(123))), InvalidRequestError, "TextPart takes a string"),  # type: ignore[arg-type]
    ("wire text None", m(lambda: wire({"type": "text", "text": None})), InvalidRequestError,
     "text part whose 'text' is None"),
    ("wire text missing", m(lambda: wire({"type": "text"})), InvalidRequestError, "text part whose 'text' is None"),
    ("wire text an int", m(lambda: wire({"type": "text", "text": 5})), InvalidRequestError, "whose 'text' is 5"),
    ("wire part without type", m(lambda: wire({})), InvalidRequestError, "Unsupported content part type None"),
    ("wire part of unknown type", m(lambda: wire({"type": "audio_url", "audio_url": {"url": "https://e.com/a"}})),
     InvalidRequestError, "Unsupported content part type 'audio_url'"),
    # -- images
    ("ImagePart(None)", m(lambda: ask(ImagePart(None))), InvalidRequestError, "takes a URL, a data URI"),  # type: ignore[arg-type]
    ("ImagePart(123)", m(lambda: ask(ImagePart(123))), InvalidRequestError, "got int 123"),  # type: ignore[arg-type]
    ("ImagePart('')", m(lambda: ask(ImagePart(""))), InvalidRequestError, "got an empty string"),
    ("ImagePart(b'')", m(lambda: ask(ImagePart(b""))), MediaError, "got no bytes"),
    ("image of garbage bytes", m(lambda: ask(ImagePart(b"garbage bytes"))), MediaError, "Cannot tell the type"),
    ("garbage labelled PNG", m(lambda: ask(ImagePart(b"garbage bytes", mime="image/png"))), MediaError,
     "bytes are not an image of that type"),
    ("WAV labelled PNG", m(lambda: ask(ImagePart(WAV, mime="image/png"))), MediaError,
     "bytes are not an image of that type"),
    ("JPEG labelled PNG", m(lambda: ask(ImagePart(JPEG, mime="image/png"))), MediaError,
     "labelled image/png, but its bytes are a image/jpeg"),
    ("truncated PNG", m(lambda: ask(ImagePart(PNG[: len(PNG) // 2]))), MediaError, "cut short"),
    ("truncated JPEG", m(lambda: ask(ImagePart(JPEG[: len(JPEG) // 2]))), MediaError, "cut short"),
    ("PNG header only", m(lambda: ask(ImagePart(PNG[:40]))), MediaError, "cut short"),
    ("image mime an int", m(lambda: ask(ImagePart(PNG, mime=5))), InvalidRequestError, "mime must be a string"),  # type: ignore[arg-type]
    ("image of an unaccepted type", m(lambda: ask(ImagePart(b"<svg/>", mime="image/svg+xml"))), MediaError,
     "image/svg+xml, which Qwen-Omni does not accept"),
    ("max_pixels negative", m(lambda: ask(ImagePart(PNG, max_pixels=-1))), LimitExceededError,
     "max_pixels must be a positive whole number"),
    ("max_pixels a string", m(lambda: ask(ImagePart(IMG, max_pixels="big"))), LimitExceededError,  # type: ignore[arg-type]
     "max_pixels must be a positive whole number of pixels; got 'big'"),
    ("min_pixels True", m(lambda: ask(ImagePart(IMG, min_pixels=True))), LimitExceededError, "min_pixels must be"),
    ("data URI with invalid base64", m(lambda: ask(ImagePart("data:image/png;base64,!!!"))), MediaError,
     "data URI whose base64 is invalid"),
    ("data URI whose bytes are no image", m(lambda: ask(ImagePart("data:image/png;base64,AAAA"))), MediaError,
     "bytes are not an image of any accepted type"),
    ("data URI declaring JPEG for a PNG", m(lambda: ask(ImagePart(f"data:image/jpeg;base64,{B64_PNG}"))),
     MediaError, "declares image/jpeg, but its bytes are image/png"),
    ("image data URI without a type", m(lambda: ask(ImagePart(f"data:;base64,{B64_PNG}"))), MediaError,
     "must name its type"),
    ("image data URI declaring text/html", m(lambda: ask(ImagePart(f"data:text/html;base64,{B64_PNG}"))),
     MediaError, "with text/html"),
    ("data URI not base64", m(lambda: ask(ImagePart("data:image/png,rawdata"))), MediaError,
     "only base64 data URIs"),
    ("data URI without a comma", m(lambda: ask(ImagePart("data:image/png;base64"))), MediaError,
     "without the comma"),
    ("empty data URI", m(lambda: ask(ImagePart("data:image/png;base64,"))), MediaError, "empty data URI"),
    ("data URI with line breaks", m(lambda: ask(ImagePart(f"data:image/png;base64,{B64_PNG[:60]}\n{B64_PNG[60:]}"))),
     MediaError, "no line breaks"),
    ("truncated PNG as a data URI", m(lambda: ask(ImagePart(
        "data:image/png;base64," + base64.b64encode(PNG[: len(PNG) // 2]).decode()))), MediaError, "cut short"),
    ("URL without a host", m(lambda: ask(ImagePart("https://"))), MediaError, "a URL without a host"),
    ("javascript: as an image", m(lambda: ask(ImagePart("javascript:alert(1)"))), MediaError,
     "neither a URL"),
    ("ftp:// as an image", m(lambda: ask(ImagePart("ftp://e.com/a.png"))), MediaError, "neither a URL"),
    ("a path that does not exist", m(lambda: ask(ImagePart("/no/such/cat.png"))), MediaError,
     "nor an existing file"),
    ("a folder as an image", lambda: (ask(ImagePart(Path(__file__).parent)), {}), MediaError, "is not a file"),
    ("a device as an image", m(lambda: ask(ImagePart("/dev/null"))), MediaError, "is not a file"),
    ("raw base64 as an image path", m(lambda: ask(ImagePart(BIG_B64))), MediaError,
     "looks like base64 data, not a path or URL; pass the decoded bytes, or a data URI"),
    ("a file URL on another host", m(lambda: ask(ImagePart("file://server/share/a.png"))), MediaError,
     "names a file on another host"),
    # -- audio
    ("audio of garbage bytes", m(lambda: ask(AudioPart(b"garbage bytes"))), MediaError, "Cannot tell the format"),
    ("WAV labelled MP3", m(lambda: ask(AudioPart(WAV, format="mp3"))), MediaError,
     "labelled mp3, but its bytes are wav"),
    ("a picture as audio", m(lambda: ask(AudioPart(PNG, format="aac"))), MediaError, "is a picture (png), not audio"),
    ("audio format an int", m(lambda: ask(AudioPart(WAV, format=3))), InvalidRequestError,  # type: ignore[arg-type]
     "format must be a string"),
    ("audio format unknown", m(lambda: ask(AudioPart(WAV, format="xyz"))), MediaError,
     "'xyz', which Qwen-Omni does not accept"),
    ("audio data URI with invalid base64", m(lambda: ask(AudioPart("data:;base64,%%%", format="mp3"))), MediaError,
     "base64 is invalid"),
    ("audio data URI declaring an image", m(lambda: ask(AudioPart(f"data:image/png;base64,{B64_WAV}"))),
     MediaError, "declares image/png, which is not audio"),
    ("audio data URI declaring WAV for an MP3", m(lambda: ask(AudioPart(f"data:audio/wav;base64,{B64_MP3}"))),
     MediaError, "labelled wav, but its bytes are mp3"),
    ("raw base64 as an audio path", m(lambda: ask(AudioPart(BIG_B64, format="wav"))), MediaError,
     "looks like base64"),
    ("unreadable WAV", m(lambda: ask(AudioPart(b"RIFF\x00\x00\x00\x00WAVEjunk"))), MediaError,
     "cannot be opened as wav"),
    ("random bytes labelled aac", m(lambda: ask(AudioPart(bytes(range(256)) * 40, format="aac"))), MediaError,
     "cannot be opened as aac"),
    ("random bytes labelled m4a", m(lambda: ask(AudioPart(bytes(range(256)) * 40, format="m4a"))), MediaError,
     "cannot be opened as m4a"),
    # -- video
    ("video of garbage bytes", m(lambda: ask(VideoPart(b"garbage bytes"))), MediaError,
     "cannot be opened as a video"),
    ("truncated MP4", m(lambda: ask(VideoPart(MP4[: len(MP4) // 2]))), MediaError, "cannot be opened as a video"),
    ("a picture as video", m(lambda: ask(VideoPart(PNG))), MediaError, "is a picture (png), not a video"),
    ("sound as video", m(lambda: ask(VideoPart(WAV))), MediaError, "has no picture, only sound"),
    ("fps a string", m(lambda: ask(VideoPart(VID, fps="2"))), LimitExceededError,  # type: ignore[arg-type]
     "fps must be a number between 0.1 and 10.0 frames per second; got '2' (a str)"),
    ("fps zero", m(lambda: ask(VideoPart(VID, fps=0))), LimitExceededError, "fps must be between"),
    ("fps NaN", m(lambda: ask(VideoPart(VID, fps=float("nan")))), LimitExceededError, "fps must be between"),
    ("fps True", m(lambda: ask(VideoPart(VID, fps=True))), LimitExceededError, "(a bool)"),
    ("video data URI with invalid base64", m(lambda: ask(VideoPart("data:;base64,%%%"))), MediaError,
     "base64 is invalid"),
    ("a video file's extension not accepted", lambda: (ask(VideoPart(_write("clip.xyz", MP4))), {}), MediaError,
     "the extension .xyz"),
    # -- frame lists
    ("frames given as a string", m(lambda: ask(VideoFramesPart("https://e.com/1.jpg"))), InvalidRequestError,
     "takes a list of frames"),
    ("frames given as bytes", m(lambda: ask(VideoFramesPart(JPEG))), InvalidRequestError, "takes a list of frames"),
    ("frames None", m(lambda: ask(VideoFramesPart(None))), InvalidRequestError, "takes a list of frames"),  # type: ignore[arg-type]
    ("one frame", m(lambda: ask(VideoFramesPart([IMG]))), LimitExceededError, "a frame list of 2 to"),
    ("a garbage frame", m(lambda: ask(VideoFramesPart([JPEG, b"garbage"]))), MediaError, "Cannot tell the type"),
    ("a None frame", m(lambda: ask(VideoFramesPart([IMG, None]))), InvalidRequestError,  # type: ignore[list-item]
     "ImagePart takes a URL"),
    ("frames fps a string", m(lambda: ask(VideoFramesPart([IMG, IMG], fps="1"))), LimitExceededError,  # type: ignore[arg-type]
     "fps must be a number"),
    # -- wire dicts passed through
    ("wire image file://", m(lambda: wire({"type": "image_url", "image_url": {"url": "file:///etc/hostname"}})),
     MediaError, "a local file cannot be sent as a location"),
    ("wire image path", m(lambda: wire({"type": "image_url", "image_url": {"url": "/etc/hostname"}})),
     MediaError, "a local file cannot be sent"),
    ("wire image javascript:", m(lambda: wire({"type": "image_url", "image_url": {"url": "javascript:alert(1)"}})),
     MediaError, "the scheme 'javascript:' cannot be sent"),
    ("wire image ftp://", m(lambda: wire({"type": "image_url", "image_url": {"url": "ftp://e.com/a.png"}})),
     MediaError, "the scheme 'ftp:' cannot be sent"),
    ("wire image invalid base64", m(lambda: wire({"type": "image_url",
     "image_url": {"url": "data:image/png;base64,!!!"}})), MediaError, "base64 is invalid"),
    ("wire image mislabelled", m(lambda: wire({"type": "image_url",
     "image_url": {"url": f"data:image/gif;base64,{B64_PNG}"}})), MediaError, "declares image/gif"),
    ("wire image without url", m(lambda: wire({"type": "image_url", "image_url": {}})), InvalidRequestError,
     "image_url part without a URL"),
    ("wire image_url missing", m(lambda: wire({"type": "image_url"})), InvalidRequestError, "without a URL"),
    ("wire image url an int", m(lambda: wire({"type": "image_url", "image_url": {"url": 5}})), MediaError,
     "must be a URL string; got int 5"),
    ("wire image max_pixels a string", m(lambda: wire({"type": "image_url", "image_url": {"url": IMG},
     "max_pixels": "x"})), LimitExceededError, "max_pixels must be"),
    ("wire audio raw base64", m(lambda: wire({"type": "input_audio",
     "input_audio": {"data": B64_WAV, "format": "wav"}})), MediaError, "looks like raw base64, which the API refuses"),
    ("wire audio without format", m(lambda: wire({"type": "input_audio",
     "input_audio": {"data": "https://e.com/a.mp3"}})), InvalidRequestError, "has the audio format None"),
    ("wire audio format a mime type", m(lambda: wire({"type": "input_audio",
     "input_audio": {"data": "https://e.com/a.mp3", "format": "audio/mpeg"}})), InvalidRequestError, "('mp3'?)"),
    ("wire audio format disagreeing with its data", m(lambda: wire({"type": "input_audio",
     "input_audio": {"data": f"data:;base64,{B64_WAV}", "format": "mp3"}})), MediaError,
     "labelled mp3, but its bytes are wav"),
    ("wire audio missing", m(lambda: wire({"type": "input_audio"})), InvalidRequestError,
     "input_audio part without data"),
    ("wire audio a string", m(lambda: wire({"type": "input_audio", "input_audio": "https://e.com/a.mp3"})),
     InvalidRequestError, "input_audio part without data"),
    ("wire audio file://", m(lambda: wire({"type": "input_audio",
     "input_audio": {"data": "file:///etc/hostname", "format": "wav"}})), MediaError, "a local file cannot be sent"),
    ("wire video file://", m(lambda: wire({"type": "video_url", "video_url": {"url": "file:///etc/passwd"}})),
     MediaError, "a local file cannot be sent"),
    ("wire video fps a string", m(lambda: wire({"type": "video_url", "video_url": {"url": VID}, "fps": "2"})),
     LimitExceededError, "fps must be a number"),
    ("wire frames a string", m(lambda: wire({"type": "video", "video": "https://e.com/1.jpg"})),
     InvalidRequestError, "a frame list whose 'video' is a str"),
    ("wire frames None", m(lambda: wire({"type": "video", "video": None})), InvalidRequestError,
     "whose 'video' is a NoneType"),
    ("wire frame an int", m(lambda: wire({"type": "video", "video": [IMG, 5]})), MediaError,
     "Frame 1 of part 0 of message 0 must be a URL string"),
    ("wire frame file://", m(lambda: wire({"type": "video", "video": [IMG, "file:///etc/hostname"]})), MediaError,
     "a local file cannot be sent"),
    # -- options
    ("options a dict", lambda: (ask(), {"options": {"model": "qwen3.5-omni-flash"}}), InvalidRequestError,
     "options must be a RequestOptions"),
    ("stop=123", m(ask, stop=123), InvalidRequestError, "stop must be a string or a list of strings; got 123"),
    ("stop=[1, 2]", m(ask, stop=[1, 2]), InvalidRequestError, "stop must be a string or a list of strings"),
    ("stop=''", m(ask, stop=""), InvalidRequestError, "stop must be"),
    ("stop=['']", m(ask, stop=[""]), InvalidRequestError, "stop must be"),
    ("temperature a string", m(ask, temperature="hot"), InvalidRequestError, "temperature must be a number"),
    ("temperature NaN", m(ask, temperature=float("nan")), InvalidRequestError, "temperature must be a number"),
    ("temperature True", m(ask, temperature=True), InvalidRequestError, "temperature must be a number"),
    ("temperature out of range", m(ask, temperature=5), InvalidRequestError, "temperature must be in [0, 2)"),
    ("top_p a string", m(ask, top_p="1"), InvalidRequestError, "top_p must be a number"),
    ("max_tokens a string", m(ask, max_tokens="100"), InvalidRequestError, "max_tokens must be a whole number"),
    ("max_tokens a float", m(ask, max_tokens=1.5), InvalidRequestError, "max_tokens must be a whole number"),
    ("seed a string", m(ask, seed="1"), InvalidRequestError, "seed must be a whole number"),
    ("seed True", m(ask, seed=True), InvalidRequestError, "seed must be a whole number"),
    ("model None in options", lambda: (ask(), {"options": RequestOptions(model=None)}), InvalidRequestError,  # type: ignore[arg-type]
     "model must be a model name"),
    ("model ''", m(ask, model=""), InvalidRequestError, "model must be a model name"),
    ("model an int", m(ask, model=123), InvalidRequestError, "model must be a model name"),
    ("modalities a string", m(ask, modalities="audio"), InvalidRequestError, "modalities must be a list"),
    ("modalities with an int", m(ask, modalities=["text", 1]), InvalidRequestError, "modalities must be a list"),
    ("voice an int", m(ask, voice=123, modalities=["text", "audio"]), InvalidRequestError,
     "voice must be a voice name"),
    ("audio_format an int", m(ask, audio_format=5), InvalidRequestError, "audio_format must be the string 'wav'"),
    ("enable_search a string", m(ask, enable_search="yes"), InvalidRequestError, "enable_search must be True or False"),
    ("enable_thinking 1", m(ask, enable_thinking=1), InvalidRequestError, "enable_thinking must be True or False"),
    ("thinking_budget a string", m(ask, model="qwen3-omni-flash", enable_thinking=True, thinking_budget="100"),
     InvalidRequestError, "thinking_budget must be a whole number"),
    ("search_options a string", m(ask, search_options="agent"), InvalidRequestError, "search_options must be a dict"),
    ("response_format a string", m(ask, response_format="json"), InvalidRequestError,
     "response_format must be a dict"),
    ("tools a dict", m(ask, tools={"type": "function"}), InvalidRequestError, "tools must be a list of tool dicts"),
    ("tools malformed", m(ask, tools=[{"name": "f"}]), InvalidRequestError, "tools[0] must be"),
    ("tool_choice an int", m(ask, tool_choice=123), InvalidRequestError, "tool_choice must be"),
    ("parallel_tool_calls a string", m(ask, parallel_tool_calls="no"), InvalidRequestError,
     "parallel_tool_calls must be True or False"),
    ("extra_body a string", m(ask, extra_body="x"), InvalidRequestError, "extra_body must be a dict"),
]
# fmt: on

_FOLDER: list[Path] = []


def _write(name: str, data: bytes) -> Path:
    path = _FOLDER[0] / name
    path.write_bytes(data)
    return path


@pytest.fixture(scope="module", autouse=True)
def folder(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    _FOLDER.append(tmp_path_factory.mktemp("bad_inputs"))
    yield _FOLDER[0]
    _FOLDER.clear()


@pytest.fixture(scope="module")
def client(emu: Emulator) -> OmniClient:
    return OmniClient(api_key="sk-test", base_url=emu.base_url, max_retries=0)


def _send(client: OmniClient, build: Build) -> Any:
    messages, overrides = build()
    options = overrides.pop("options", None)
    return client.complete(messages, options, **overrides)


@pytest.mark.parametrize(("name", "build", "error", "message"), REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_before_sending(
    emu: Emulator, client: OmniClient, name: str, build: Build, error: type[Exception], message: str
) -> None:
    emu.reset()
    with pytest.raises(error) as info:
        _send(client, build)
    assert isinstance(info.value, InvalidRequestError)
    assert message in str(info.value)
    assert len(str(info.value)) <= MAX_MESSAGE, "an error message never carries a payload"
    assert emu.requests == [], "nothing may be sent when a check fails"


def test_the_table_is_broad() -> None:
    assert len(REFUSED) >= 150


def test_raw_base64_never_lands_whole_in_an_error(client: OmniClient) -> None:
    for part in (ImagePart(BIG_B64), AudioPart(BIG_B64), VideoPart(BIG_B64)):
        with pytest.raises(MediaError) as info:
            client.complete(ask(part))
        assert f"({len(BIG_B64):,} characters)" in str(info.value)
        assert BIG_B64[:1000] not in str(info.value)
        assert info.value.__cause__ is None and info.value.__context__ is None, "no chained OSError with the payload"


# -- accepted on purpose -----------------------------------------------------------------------------------

# fmt: off
ACCEPTED: list[tuple[str, Build, Callable[[dict[str, Any]], bool]]] = [
    ("a bare string is one user message", m(lambda: "hello"),
     lambda p: p["messages"] == [{"role": "user", "content": "hello"}]),
    ("a tuple of messages", m(lambda: (Message("system", "Be brief."), Message("user", "hi"))),
     lambda p: [x["role"] for x in p["messages"]] == ["system", "user"]),
    ("a generator of messages", m(lambda: (Message("user", text) for text in ["hi"])),
     lambda p: p["messages"][0]["content"] == "hi"),
    ("content as a tuple of parts", m(lambda: [Message("user", (TextPart("hi"), ImagePart(IMG)))]),
     lambda p: len(p["messages"][0]["content"]) == 2),
    ("an integer temperature is sent as a float", m(ask, temperature=1),
     lambda p: p["temperature"] == 1.0 and isinstance(p["temperature"], float)),
    ("whitespace text: the API's to judge", m(lambda: [Message("user", "   ")]),
     lambda p: p["messages"][0]["content"] == "   "),
    ("an empty tool result", m(lambda: [Message("user", "hi"), Message("assistant", None, tool_calls=[
        {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]),
        Message("tool", "", tool_call_id="c1")], tools=[{"type": "function", "function": {"name": "f"}}]),
     lambda p: p["messages"][2] == {"role": "tool", "content": "", "tool_call_id": "c1"}),
    ("an assistant turn with only tool calls", m(lambda: [{"role": "user", "content": "hi"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]},
        {"role": "tool", "content": "1", "tool_call_id": "c1"}],
        tools=[{"type": "function", "function": {"name": "f"}}]),
     lambda p: p["messages"][1]["content"] is None),
    ("an upper-case URL scheme", m(lambda: ask(ImagePart("HTTPS://E.COM/A.PNG"))),
     lambda p: p["messages"][0]["content"][0]["image_url"]["url"] == "HTTPS://E.COM/A.PNG"),
    ("a JPEG with bytes after its end (a motion photo)", m(lambda: ask(ImagePart(JPEG + b"\x00" * 64))),
     lambda p: p["messages"][0]["content"][0]["image_url"]["url"].startswith("data:image/jpeg;base64,")),
    ("an alias mime type", m(lambda: ask(ImagePart(JPEG, mime="image/jpg"))),
     lambda p: p["messages"][0]["content"][0]["image_url"]["url"].startswith("data:image/jpeg;base64,")),
    ("a data URI with audio/wav", m(lambda: ask(AudioPart(f"data:audio/wav;base64,{B64_WAV}"))),
     lambda p: p["messages"][0]["content"][0]["input_audio"]["format"] == "wav"),
    ("a dict message's extra keys pass through", m(lambda: [{"role": "user", "content": "hi", "x-note": 1}]),
     lambda p: p["messages"][0]["x-note"] == 1),
]
# fmt: on


@pytest.mark.parametrize(("name", "build", "check"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_accepted_on_purpose(
    emu: Emulator, client: OmniClient, name: str, build: Build, check: Callable[[dict[str, Any]], bool]
) -> None:
    emu.reset()
    result = _send(client, build)
    assert result.finish_reason in ("stop", "tool_calls")
    (request,) = emu.requests
    assert request.status == 200 and request.payload is not None
    assert check(request.payload)
