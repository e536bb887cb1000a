"""Bad input at ``ChatQwenOmni``'s entry points: each is refused before sending with one of the package's errors
that says what and how, or accepted on purpose (the second table). The core's own table is
tests/core/test_bad_inputs.py."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest
from langchain_core.messages import AIMessage, ChatMessage, HumanMessage, SystemMessage, ToolMessage

from langchain_qwen_omni import ChatQwenOmni
from qwen_omni import samples
from qwen_omni.emulator import Emulator
from qwen_omni.emulator.received import ReceivedRequest
from qwen_omni.errors import InvalidRequestError, LimitExceededError, MediaError

Make = Callable[..., ChatQwenOmni]
PNG = samples.image_png(32, 32)
JPEG = samples.image_jpeg(32, 32)
WAV = samples.tone_wav(0.3)
B64_PNG = base64.b64encode(PNG).decode()
B64_JPEG = base64.b64encode(JPEG).decode()
B64_WAV = base64.b64encode(WAV).decode()
BIG_B64 = base64.b64encode(samples.image_png(640, 480) * 10).decode()
VID = "https://e.com/a.mp4"
IMG = "https://e.com/a.png"
MAX_MESSAGE = 1_000


def human(*blocks: Any) -> list[Any]:
    return [HumanMessage([*blocks, {"type": "text", "text": "What is this?"}])]


def after(*messages: Any) -> list[Any]:
    return [HumanMessage("Hi"), *messages, HumanMessage("Go on.")]


# fmt: off
REFUSED: list[tuple[str, Callable[[], Any], dict[str, Any], type[Exception], str]] = [
    ("input None", lambda: None, {}, InvalidRequestError, "ChatQwenOmni cannot read this input"),
    ("input an int", lambda: 123, {}, InvalidRequestError, "cannot read this input"),
    ("input a dict", lambda: {"role": "user", "content": "hi"}, {}, InvalidRequestError, "cannot read this input"),
    ("an int in the list", lambda: [123], {}, InvalidRequestError, "cannot read this input"),
    ("an unknown role tuple", lambda: [("wizard", "hi")], {}, InvalidRequestError, "cannot read this input"),
    ("a dict message without content", lambda: [{"role": "user"}], {}, InvalidRequestError,
     "cannot read this input"),
    ("empty string", lambda: "", {}, InvalidRequestError, "Message 0 (user) is empty"),
    ("empty HumanMessage", lambda: [HumanMessage("")], {}, InvalidRequestError, "(user) is empty"),
    ("HumanMessage with no blocks", lambda: [HumanMessage([])], {}, InvalidRequestError, "(user) is empty"),
    ("only an empty text block", lambda: [HumanMessage([{"type": "text", "text": ""}])], {}, InvalidRequestError,
     "(user) is empty"),
    ("empty system message", lambda: [SystemMessage(""), HumanMessage("hi")], {}, InvalidRequestError,
     "(system) is empty"),
    ("empty assistant turn", lambda: after(AIMessage("")), {}, InvalidRequestError, "(assistant) is empty"),
    ("an image in an assistant turn", lambda: after(AIMessage([{"type": "text", "text": "Here:"},
     {"type": "image", "url": IMG}])), {}, InvalidRequestError, "An assistant message holds a 'image' block"),
    ("an image_url in an assistant turn", lambda: after(AIMessage([{"type": "image_url",
     "image_url": {"url": IMG}}])), {}, InvalidRequestError, "holds a 'image_url' block"),
    ("a video in an assistant turn", lambda: after(AIMessage([{"type": "video", "url": VID}])), {},
     InvalidRequestError, "holds a 'video' block"),
    ("a file in an assistant turn", lambda: after(AIMessage([{"type": "file", "url": "https://e.com/a.pdf"}])), {},
     InvalidRequestError, "holds a 'file' block"),
    ("a typeless block in an assistant turn", lambda: after(AIMessage([{"text": "hi"}])), {}, InvalidRequestError,
     "holds a None block"),
    ("an image in an assistant ChatMessage", lambda: after(ChatMessage(role="assistant",
     content=[{"type": "image", "url": IMG}])), {}, InvalidRequestError, "holds a 'image' block"),
    ("an image in a tool result", lambda: [HumanMessage("hi"), AIMessage("", tool_calls=[
        {"name": "f", "args": {}, "id": "c1"}]), ToolMessage([{"type": "image", "url": IMG}], tool_call_id="c1")],
     {}, InvalidRequestError, "accepts media only in user messages"),
    ("an image in a system message", lambda: [SystemMessage([{"type": "image", "url": IMG}]), HumanMessage("hi")],
     {}, InvalidRequestError, "accepts media only in user messages"),
    ("an unknown ChatMessage role", lambda: [ChatMessage(role="wizard", content="hi")], {}, InvalidRequestError,
     "ChatMessage role 'wizard'"),
    ("a block without type", lambda: human({"url": IMG}), {}, InvalidRequestError,
     "Unsupported content block type None"),
    ("a block of unknown type", lambda: human({"type": "hologram"}), {}, InvalidRequestError,
     "Unsupported content block type 'hologram'"),
    ("a text block with None", lambda: human({"type": "text", "text": None}), {}, InvalidRequestError,
     "text must be a string"),
    ("an image block without a source", lambda: human({"type": "image"}), {}, InvalidRequestError,
     "needs 'url', 'base64'"),
    ("an image url an int", lambda: human({"type": "image", "url": 123}), {}, InvalidRequestError,
     "url must be a string; got int 123"),
    ("an image path an int", lambda: human({"type": "image", "path": 123}), {}, InvalidRequestError,
     "path must be a path string"),
    ("invalid base64", lambda: human({"type": "image", "base64": "!!!", "mime_type": "image/png"}), {}, MediaError,
     "not valid base64"),
    ("base64 of a PNG labelled JPEG", lambda: human({"type": "image", "base64": B64_PNG, "mime_type": "image/jpeg"}),
     {}, MediaError, "labelled image/jpeg, but its bytes are a image/png"),
    ("base64 of garbage labelled PNG", lambda: human({"type": "image",
     "base64": base64.b64encode(b"garbage").decode(), "mime_type": "image/png"}), {}, MediaError,
     "bytes are not an image of that type"),
    ("base64 of a truncated JPEG", lambda: human({"type": "image",
     "base64": base64.b64encode(JPEG[: len(JPEG) // 2]).decode(), "mime_type": "image/jpeg"}), {}, MediaError,
     "cut short"),
    ("an image data URI with invalid base64", lambda: human({"type": "image", "url": "data:image/png;base64,!!!"}),
     {}, MediaError, "base64 is invalid"),
    ("a data URI whose type disagrees", lambda: human({"type": "image", "url": f"data:image/png;base64,{B64_JPEG}"}),
     {}, MediaError, "declares image/png, but its bytes are image/jpeg"),
    ("javascript: in url", lambda: human({"type": "image", "url": "javascript:alert(1)"}), {}, InvalidRequestError,
     "with the scheme 'javascript:'"),
    ("ftp:// in url", lambda: human({"type": "video", "url": "ftp://e.com/a.mp4"}), {}, InvalidRequestError,
     "with the scheme 'ftp:'"),
    ("raw base64 in url", lambda: human({"type": "image", "url": BIG_B64}), {}, InvalidRequestError,
     "looks like base64 data"),
    ("raw base64 in an image_url part", lambda: human({"type": "image_url", "image_url": {"url": BIG_B64}}), {},
     MediaError, "looks like raw base64, which the API refuses"),
    ("WAV labelled MP3", lambda: human({"type": "audio", "base64": B64_WAV, "mime_type": "audio/mpeg"}), {},
     MediaError, "labelled mp3, but its bytes are wav"),
    ("a picture as video", lambda: human({"type": "video", "base64": B64_PNG}), {}, MediaError,
     "is a picture (png), not a video"),
    ("fps a string", lambda: human({"type": "video", "url": VID, "extras": {"fps": "2"}}), {}, LimitExceededError,
     "fps must be a number"),
    ("extras a string", lambda: human({"type": "video", "url": VID, "extras": "fps=2"}), {}, InvalidRequestError,
     "extras must be a dict"),
    ("max_pixels negative", lambda: human({"type": "image", "url": IMG, "extras": {"max_pixels": -5}}), {},
     LimitExceededError, "max_pixels must be a positive whole number"),
    ("mime_type an int", lambda: human({"type": "image", "base64": B64_PNG, "mime_type": 5}), {},
     InvalidRequestError, "mime_type must be a string"),
    ("a frame list as a string", lambda: human({"type": "video", "video": "https://e.com/1.jpg"}), {},
     InvalidRequestError, "a frame list whose 'video' is a str"),
    ("a frame list with an int", lambda: human({"type": "video", "video": [IMG, 5]}), {}, InvalidRequestError,
     "must be a string; got int 5"),
    ("an input_audio of raw base64", lambda: human({"type": "input_audio", "input_audio": {"data": B64_WAV}}), {},
     MediaError, "looks like raw base64, which the API refuses. Qwen-Omni takes only http(s)://"),
    ("an input_audio without format", lambda: human({"type": "input_audio", "input_audio": {"data": VID}}), {},
     InvalidRequestError, "has the audio format None"),
    ("an image_url without url", lambda: human({"type": "image_url", "image_url": {}}), {}, InvalidRequestError,
     "without a URL"),
    ("a PDF", lambda: human({"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf"}), {},
     InvalidRequestError, "does not read documents"),
    ("a file_id", lambda: human({"type": "image", "file_id": "file-1"}), {}, InvalidRequestError, "no file store"),
    ("stop=123", lambda: "hi", {"stop": 123}, InvalidRequestError, "stop must be a string or a list of strings"),
    ("temperature a string", lambda: "hi", {"temperature": "hot"}, InvalidRequestError, "temperature must be"),
    ("max_tokens a string", lambda: "hi", {"max_tokens": "10"}, InvalidRequestError, "max_tokens must be"),
    ("modalities a string", lambda: "hi", {"modalities": "audio"}, InvalidRequestError, "modalities must be a list"),
    ("seed a float", lambda: "hi", {"seed": 1.5}, InvalidRequestError, "seed must be a whole number"),
    ("an unknown option", lambda: "hi", {"fps": 2}, InvalidRequestError, "Unknown option(s) fps"),
]
# fmt: on


@pytest.mark.parametrize(("name", "build", "kwargs", "error", "message"), REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_before_sending(
    make_llm: Make,
    emu: Emulator,
    name: str,
    build: Callable[[], Any],
    kwargs: dict[str, Any],
    error: type[Exception],
    message: str,
) -> None:
    with pytest.raises(error) as info:
        make_llm().invoke(build(), **kwargs)
    assert isinstance(info.value, InvalidRequestError)
    assert message in str(info.value)
    assert len(str(info.value)) <= MAX_MESSAGE
    assert emu.requests == []


async def test_refused_the_same_when_streaming(make_llm: Make, emu: Emulator) -> None:
    for _, build, kwargs, error, message in REFUSED[:: len(REFUSED) // 10]:
        with pytest.raises(error, match=None) as info:
            async for _ in make_llm().astream(build(), **kwargs):
                pass
        assert message in str(info.value)
    assert emu.requests == []


# fmt: off
ACCEPTED: list[tuple[str, Callable[[], Any], Callable[[ReceivedRequest], bool]]] = [
    ("a bare string", lambda: "hi", lambda r: r.payload is not None and r.payload["messages"][-1]["content"] == "hi"),
    ("(role, text) tuples", lambda: [("system", "Be brief."), ("user", "hi")],
     lambda r: [m["role"] for m in (r.payload or {})["messages"]] == ["system", "user"]),
    ("message dicts", lambda: [{"role": "user", "content": "hi"}], lambda r: r.user_text == "hi"),
    ("an assistant turn with reasoning and its own speech", lambda: after(AIMessage([
        {"type": "reasoning", "reasoning": "hmm"}, {"type": "text", "text": "Hello."},
        {"type": "audio", "base64": B64_WAV, "mime_type": "audio/wav"}])),
     lambda r: (r.payload or {})["messages"][1] == {"role": "assistant", "content": "Hello."}),
    ("an Anthropic-style tool_use block beside tool_calls", lambda: [HumanMessage("hi"), AIMessage(
        [{"type": "tool_use", "id": "c1", "name": "f", "input": {}}], tool_calls=[{"name": "f", "args": {},
         "id": "c1"}]), ToolMessage("1", tool_call_id="c1")],
     lambda r: (r.payload or {})["messages"][1]["tool_calls"][0]["function"]["name"] == "f"),
]
# fmt: on


@pytest.mark.parametrize(("name", "build", "check"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_accepted_on_purpose(
    make_llm: Make, emu: Emulator, name: str, build: Callable[[], Any], check: Callable[[ReceivedRequest], bool]
) -> None:
    make_llm().invoke(build())
    (request,) = emu.requests
    assert request.status == 200 and check(request)


def test_an_integer_temperature_goes_as_a_float(make_llm: Make, emu: Emulator) -> None:
    make_llm(temperature=1).invoke("hi")
    (request,) = emu.requests
    assert request.payload is not None and request.payload["temperature"] == 1.0
    assert isinstance(request.payload["temperature"], float)
