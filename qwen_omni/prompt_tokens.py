"""A prompt's input tokens, estimated offline: no tokenizer download, no request (what ``get_num_tokens`` returns).

The rules are those of :mod:`qwen_omni.tokens`, which the long-media planner and the emulator's usage also follow:

- Text (every message's text, tool calls' names and arguments, tool results): about four characters a token
  (``ceil(characters / 4)`` over the whole prompt). Qwen's tokenizer is not bundled: this is an estimate, close for
  English, low for Chinese or Japanese (nearer one token a character).
- An image: one token per ``patch x patch`` pixels of its size (32, or 28 on Qwen-Omni-Turbo), between the
  model's minimum and the 1,280-token cap.
- Audio: its duration times the model's rate (7 tokens a second on Qwen3.5-Omni, 12.5 on Qwen3-Omni-Flash, 25 on
  Qwen-Omni-Turbo).
- A video file: its frames at ``fps`` (default 2) times one frame's tokens, plus its sound as audio; a frame list:
  its frames times one frame's tokens.
- Media given by URL are never fetched, so their size is unknown: each counts as the worst case the model allows
  (an image at the cap; audio or video at the model's longest file, or 10 minutes where it documents none), as
  the planner plans a URL. Inline media are probed (PyAV reads their headers).

Example:
    >>> from qwen_omni import samples
    >>> from qwen_omni.parts import AudioPart, TextPart
    >>> estimate = prompt_tokens([Message("user", [AudioPart(samples.tone_wav(10.0)), TextPart("Transcribe.")])],
    ...                          "qwen3.5-omni-flash")
    >>> estimate.audio, estimate.text, estimate.total
    (70, 3, 73)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, assert_never

from .parts import AudioPart, ImagePart, Part, TextPart, VideoFramesPart, VideoPart
from .profiles import ModelProfile, get_profile
from .request import Message
from .sources import Source
from .tokens import DEFAULT_VIDEO_FPS, MAX_IMAGE_TOKENS, audio_tokens, image_tokens, text_tokens, video_tokens

__all__ = ["URL_MEDIA_SECONDS", "TokenEstimate", "part_tokens", "prompt_tokens"]

#: The length a URL's audio or video counts as when the model documents no longest file.
URL_MEDIA_SECONDS = 600.0


@dataclass(frozen=True)
class TokenEstimate:
    """Estimated input tokens of a prompt, by kind (``text`` counts characters only; see :func:`prompt_tokens`)."""

    text: int = 0
    image: int = 0
    audio: int = 0
    video: int = 0
    #: characters of text, summed before they are turned into tokens (the rule rounds once, over the prompt)
    characters: int = 0

    @property
    def total(self) -> int:
        return self.text + self.image + self.audio + self.video

    def __add__(self, other: TokenEstimate) -> TokenEstimate:
        characters = self.characters + other.characters
        return TokenEstimate(
            text=text_tokens(characters),
            image=self.image + other.image,
            audio=self.audio + other.audio,
            video=self.video + other.video,
            characters=characters,
        )


def _text(characters: int) -> TokenEstimate:
    return TokenEstimate(text=text_tokens(characters), characters=characters)


def _url_seconds(profile: ModelProfile, kind: Literal["audio", "video"]) -> float:
    limit = profile.media(kind).max_seconds
    return float(limit) if limit is not None else URL_MEDIA_SECONDS


def _frame_tokens(source: Source, profile: ModelProfile) -> int:
    info = ImagePart(source).info
    if info is None or info.width is None or info.height is None:
        return MAX_IMAGE_TOKENS
    return image_tokens(info.width, info.height, profile)


def part_tokens(part: Part | str, profile: ModelProfile) -> TokenEstimate:
    """The estimate of one content part (a string is text; a wire-shaped dict is counted by its text only).

    Raises:
        MediaError: inline media that cannot be read.
    """
    if isinstance(part, str):
        return _text(len(part))
    if isinstance(part, TextPart):
        return _text(len(part.text))
    if isinstance(part, ImagePart):
        info = part.info
        if info is None or info.width is None or info.height is None:
            return TokenEstimate(image=MAX_IMAGE_TOKENS)
        return TokenEstimate(image=image_tokens(info.width, info.height, profile))
    if isinstance(part, AudioPart):
        info = part.info
        seconds = _url_seconds(profile, "audio") if info is None else info.duration or 0.0
        return TokenEstimate(audio=audio_tokens(seconds, profile))
    if isinstance(part, VideoPart):
        info = part.info
        fps = part.fps or DEFAULT_VIDEO_FPS
        if info is None:
            seconds = _url_seconds(profile, "video")
            frames = max(1, math.ceil(seconds * fps))
            return TokenEstimate(video=frames * MAX_IMAGE_TOKENS, audio=audio_tokens(seconds, profile))
        seconds = info.duration or 0.0
        width, height = info.width or 1, info.height or 1
        sound = audio_tokens(seconds, profile) if info.has_audio else 0
        return TokenEstimate(video=video_tokens(seconds, width, height, profile, fps=fps), audio=sound)
    if isinstance(part, VideoFramesPart):
        pictures = list(part.frames)
        return TokenEstimate(video=len(pictures) * _frame_tokens(pictures[0], profile) if pictures else 0)
    assert_never(part)


def _message_parts(message: Message) -> Iterable[Part | str]:
    content = message.content
    if isinstance(content, str):
        yield content
    elif content is not None:
        for part in content:
            if isinstance(part, Mapping):  # a wire-shaped part passed through: its text counts, media do not
                yield str(part.get("text") or "")
            else:
                yield part
    for call in message.tool_calls or ():
        function = call.get("function")
        if isinstance(function, Mapping):
            yield str(function.get("name") or "") + str(function.get("arguments") or "")


def prompt_tokens(messages: Sequence[Message], model: str) -> TokenEstimate:
    """The estimated input tokens of ``messages`` for ``model`` (see the module docstring for the rules).

    Raises:
        MediaError: inline media that cannot be read.
    """
    profile = get_profile(model, warn=False)
    total = TokenEstimate()
    for message in messages:
        for part in _message_parts(message):
            total = total + part_tokens(part, profile)
    return total
