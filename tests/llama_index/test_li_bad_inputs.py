"""Bad input at ``QwenOmni``'s entry points: each is refused before sending with one of the package's errors that
says what and how, or accepted on purpose (the second table). The core's own table is
tests/core/test_bad_inputs.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from llama_index.core.base.llms.types import DocumentBlock
from llama_index.core.llms import AudioBlock, ChatMessage, ImageBlock, TextBlock, VideoBlock

from llama_index_qwen_omni import FRAMES_MIMETYPE, QwenOmni, video_frames_block
from qwen_omni import samples
from qwen_omni.emulator import Emulator
from qwen_omni.errors import InvalidRequestError, LimitExceededError, MediaError

MakeLLM = Callable[..., QwenOmni]
PNG = samples.image_png(32, 32)
JPEG = samples.image_jpeg(32, 32)
WAV = samples.tone_wav(0.3)
MAX_MESSAGE = 1_000


def user(*blocks: Any) -> list[ChatMessage]:
    return [ChatMessage(role="user", blocks=[*blocks, TextBlock(text="What is this?")])]


def frames(body: Any) -> VideoBlock:
    return VideoBlock(video=json.dumps(body).encode(), video_mimetype=FRAMES_MIMETYPE)


def after(*messages: ChatMessage) -> list[ChatMessage]:
    return [ChatMessage(role="user", content="Hi"), *messages, ChatMessage(role="user", content="Go on.")]


# fmt: off
REFUSED: list[tuple[str, Callable[[QwenOmni], Any], type[Exception], str]] = [
    ("chat('hello')", lambda llm: llm.chat("hello"), InvalidRequestError, "chat() takes a list of ChatMessage"),
    ("chat(None)", lambda llm: llm.chat(None), InvalidRequestError, "chat() takes a list of ChatMessage"),
    ("chat(one ChatMessage)", lambda llm: llm.chat(ChatMessage(role="user", content="hi")), InvalidRequestError,
     "chat() takes a list"),
    ("chat([dict])", lambda llm: llm.chat([{"role": "user", "content": "hi"}]), InvalidRequestError,
     "Build one with ChatMessage.model_validate(d)"),
    ("chat([str])", lambda llm: llm.chat(["hi"]), InvalidRequestError, "Message 0 is a str"),
    ("chat([])", lambda llm: llm.chat([]), InvalidRequestError, "No messages to send"),
    ("complete(None)", lambda llm: llm.complete(None), InvalidRequestError, "complete() takes the prompt as a string"),
    ("complete(123)", lambda llm: llm.complete(123), InvalidRequestError, "got int 123"),
    ("complete('')", lambda llm: llm.complete(""), InvalidRequestError, "(user) is empty"),
    ("stream_complete(b'hi')", lambda llm: llm.stream_complete(b"hi"), InvalidRequestError, "got bytes"),
    ("an empty user message", lambda llm: llm.chat([ChatMessage(role="user", content="")]), InvalidRequestError,
     "(user) is empty"),
    ("a user message without blocks", lambda llm: llm.chat([ChatMessage(role="user", blocks=[])]),
     InvalidRequestError, "(user) is empty"),
    ("an empty system message", lambda llm: llm.chat([ChatMessage(role="system", content=""),
     ChatMessage(role="user", content="hi")]), InvalidRequestError, "(system) is empty"),
    ("an empty assistant turn", lambda llm: llm.chat(after(ChatMessage(role="assistant", content=""))),
     InvalidRequestError, "(assistant) is empty"),
    ("an image in an assistant turn", lambda llm: llm.chat(after(ChatMessage(role="assistant",
     blocks=[TextBlock(text="Here:"), ImageBlock(image=PNG)]))), InvalidRequestError,
     "accepts media only in user messages"),
    ("a video in an assistant turn", lambda llm: llm.chat(after(ChatMessage(role="assistant",
     blocks=[VideoBlock(url="https://e.com/a.mp4")]))), InvalidRequestError, "accepts media only in user"),
    ("a document", lambda llm: llm.chat(user(DocumentBlock(data=b"%PDF-1.4", document_mimetype="application/pdf"))),
     InvalidRequestError, "DocumentBlock, which Qwen-Omni does not accept"),
    ("a tool result without id", lambda llm: llm.chat(after(ChatMessage(role="tool", content="42"))),
     InvalidRequestError, "without additional_kwargs['tool_call_id']"),
    ("an image of garbage", lambda llm: llm.chat(user(ImageBlock(image=b"garbage bytes"))), MediaError,
     "Cannot tell the type"),
    ("a truncated PNG", lambda llm: llm.chat(user(ImageBlock(image=PNG[: len(PNG) // 2]))), MediaError,
     "cut short"),
    ("a JPEG labelled PNG", lambda llm: llm.chat(user(ImageBlock(image=JPEG, image_mimetype="image/png"))),
     MediaError, "labelled image/png, but its bytes are a image/jpeg"),
    ("an image data URI with invalid base64", lambda llm: llm.chat(user(ImageBlock(
        url="data:image/png;base64,!!!"))), MediaError, "base64 is invalid"),
    ("javascript: as an image url", lambda llm: llm.chat(user(ImageBlock(url="javascript:alert(1)"))),
     InvalidRequestError, "with the scheme 'javascript:'"),
    ("ftp:// as an image url", lambda llm: llm.chat(user(ImageBlock(url="ftp://e.com/a.png"))),
     InvalidRequestError, "with the scheme 'ftp:'"),
    ("an empty ImageBlock", lambda llm: llm.chat(user(ImageBlock(image=b""))), InvalidRequestError,
     "has no data, path or url"),
    ("audio of garbage", lambda llm: llm.chat(user(AudioBlock(audio=b"garbage bytes"))), MediaError,
     "Cannot tell the format"),
    ("a picture as audio", lambda llm: llm.chat(user(AudioBlock(audio=PNG, format="mp3"))), MediaError,
     "is a picture (png), not audio"),
    ("WAV labelled MP3", lambda llm: llm.chat(user(AudioBlock(audio=WAV, format="mp3"))), MediaError,
     "labelled mp3, but its bytes are wav"),
    ("video of garbage", lambda llm: llm.chat(user(VideoBlock(video=b"garbage bytes"))), MediaError,
     "cannot be opened as a video"),
    ("a picture as video", lambda llm: llm.chat(user(VideoBlock(video=PNG))), MediaError, "is a picture (png)"),
    ("video detail fps a word", lambda llm: llm.chat(user(VideoBlock(url="https://e.com/a.mp4",
     detail="fps=abc"))), InvalidRequestError, "fps must be a number"),
    ("a frame list that is not JSON", lambda llm: llm.chat(user(VideoBlock(video=b"not json",
     video_mimetype=FRAMES_MIMETYPE))), InvalidRequestError, "but its data is not one"),
    ("frames given as a string", lambda llm: llm.chat(user(frames({"frames": "https://e.com/1.jpg"}))),
     InvalidRequestError, "but its data is not one"),
    ("frames that are numbers", lambda llm: llm.chat(user(frames({"frames": [1, 2]})))
     , InvalidRequestError, "must be a string; got int 1"),
    ("a frame with javascript:", lambda llm: llm.chat(user(frames({"frames": ["javascript:x", "https://e.com/1.jpg"]}))),
     InvalidRequestError, "with the scheme 'javascript:'"),
    ("frames fps a string", lambda llm: llm.chat(user(frames({"frames": ["https://e.com/1.jpg"] * 2, "fps": "1"}))),
     LimitExceededError, "fps must be a number"),
    ("video_frames_block('a string')", lambda llm: llm.chat(user(video_frames_block("https://e.com/1.jpg"))),
     InvalidRequestError, "video_frames_block takes a list of frames"),
    ("video_frames_block of garbage", lambda llm: llm.chat(user(video_frames_block([b"garbage", JPEG]))),
     MediaError, "Cannot tell the type"),
    ("stop=123", lambda llm: llm.chat(user(), stop=123), InvalidRequestError, "stop must be a string or a list"),
    ("temperature a string", lambda llm: llm.chat(user(), temperature="hot"), InvalidRequestError,
     "temperature must be a number"),
    ("max_tokens a string", lambda llm: llm.complete("hi", max_tokens="5"), InvalidRequestError,
     "max_tokens must be a whole number"),
    ("an unknown option per call", lambda llm: llm.chat(user(), fps=2), InvalidRequestError, "Unknown option(s) fps"),
]
# fmt: on


@pytest.mark.parametrize(("name", "call", "error", "message"), REFUSED, ids=[c[0] for c in REFUSED])
def test_refused_before_sending(
    make_llm: MakeLLM, emu: Emulator, name: str, call: Callable[[QwenOmni], Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error) as info:
        call(make_llm())
    assert isinstance(info.value, InvalidRequestError)
    assert message in str(info.value)
    assert len(str(info.value)) <= MAX_MESSAGE
    assert emu.requests == []


def test_accepted_on_purpose(make_llm: MakeLLM, emu: Emulator) -> None:
    llm = make_llm()
    # a tuple of messages
    llm.chat((ChatMessage(role="system", content="Be brief."), ChatMessage(role="user", content="hi")))
    # an integer temperature, sent as a float
    llm.complete("hi", temperature=1)
    first, second = emu.requests
    assert [m["role"] for m in (first.payload or {})["messages"]] == ["system", "user"]
    assert second.payload is not None and isinstance(second.payload["temperature"], float)
