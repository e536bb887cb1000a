"""How many tokens media cost, after the Qwen-Omni guide's rules, with the rates from each model's profile.

- Text: about four characters a token.
- An image: one token per ``patch x patch`` pixels (32, or 28 on Qwen-Omni-Turbo), at least the profile's
  ``min_image_tokens`` and at most :data:`MAX_IMAGE_TOKENS` (the guide's default cap).
- Audio: ``seconds x audio_input_tokens_per_second`` (7 on Qwen3.5-Omni, 12.5 on Qwen3-Omni-Flash, 25 on
  Qwen-Omni-Turbo).
- A video file: its frames sampled at ``fps`` (default 2) times one frame's tokens, plus its sound as audio.

The emulator's usage figures and the long-media planner's estimates both come from here.

Example:
    >>> from qwen_omni.profiles import get_profile
    >>> image_tokens(640, 360, get_profile("qwen3-omni-flash")), audio_tokens(60, get_profile("qwen-omni-turbo"))
    (240, 1500)
"""

from __future__ import annotations

import math

from .profiles import ModelProfile

__all__ = ["DEFAULT_VIDEO_FPS", "MAX_IMAGE_TOKENS", "audio_tokens", "image_tokens", "text_tokens", "video_tokens"]

#: The cap on one image's tokens (the guide's default).
MAX_IMAGE_TOKENS = 1280
#: Frames per second sampled from a video file when its part sets no ``fps`` (the API's default).
DEFAULT_VIDEO_FPS = 2.0


def text_tokens(characters: int) -> int:
    """≈ characters / 4."""
    return math.ceil(characters / 4)


def image_tokens(width: int, height: int, profile: ModelProfile) -> int:
    """Tokens of one image (or one video frame) of ``width`` x ``height`` pixels."""
    patch = profile.image_patch_px
    tokens = math.ceil(width / patch) * math.ceil(height / patch)
    return max(profile.min_image_tokens, min(MAX_IMAGE_TOKENS, tokens))


def audio_tokens(seconds: float, profile: ModelProfile) -> int:
    """Tokens of ``seconds`` of input audio."""
    return math.ceil(seconds * profile.audio_input_tokens_per_second)


def video_tokens(seconds: float, width: int, height: int, profile: ModelProfile, *, fps: float | None = None) -> int:
    """Tokens of the pictures of a video file of ``seconds`` (its sound is counted by :func:`audio_tokens`)."""
    frames = max(1, math.ceil(seconds * (fps or DEFAULT_VIDEO_FPS)))
    return frames * image_tokens(width, height, profile)
