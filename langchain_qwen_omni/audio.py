"""The spoken answer of a ``ChatQwenOmni`` message, as WAV or raw PCM bytes.

``invoke`` returns the answer as a WAV file; ``stream`` yields raw PCM16 pieces (little-endian, mono,
24 kHz) that can be played as they arrive, and whose sum with ``+`` holds the whole PCM bit-exactly.
These two functions read either form, in ``additional_kwargs["audio"]`` or in a v1 ``audio`` block.

Example:
    >>> from qwen_omni.emulator import Emulator
    >>> from langchain_qwen_omni import ChatQwenOmni
    >>> with Emulator() as emu:
    ...     llm = ChatQwenOmni(base_url=emu.base_url, api_key="sk-test", modalities=["text", "audio"])
    ...     full = None
    ...     for chunk in llm.stream("Hi"):
    ...         piece = audio_pcm(chunk)  # play it now, e.g. with sounddevice or pyaudio
    ...         full = chunk if full is None else full + chunk
    ...     whole = llm.invoke("Hi")
    >>> audio_wav(full)[:4], audio_pcm(full) == audio_pcm(whole), audio_wav(whole) == audio_wav(full)
    (b'RIFF', True, True)
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from langchain_core.messages import BaseMessage

from qwen_omni.audio import pcm16_to_wav, wav_to_pcm16

from ._convert import WAV_FORMAT, WAV_MIME_TYPE


def audio_wav(message: BaseMessage) -> bytes:
    """The spoken answer in ``message`` (a message, a chunk, or a sum of chunks) as a WAV file.

    Returns ``b""`` when the message holds no audio (ask for it with ``modalities=["text", "audio"]``).
    """
    data, is_wav = _audio(message)
    if is_wav or not data:
        return data
    return pcm16_to_wav(data)


def audio_pcm(message: BaseMessage) -> bytes:
    """The spoken answer in ``message`` as raw PCM16 little-endian mono 24 kHz samples (``b""`` if none).

    For a streamed chunk this is just that chunk's piece, ready to play.
    """
    data, is_wav = _audio(message)
    return wav_to_pcm16(data) if is_wav else data


def _audio(message: BaseMessage) -> tuple[bytes, bool]:
    """The audio bytes and whether they are a WAV file (rather than raw PCM)."""
    audio = message.additional_kwargs.get("audio")
    if isinstance(audio, Mapping) and audio.get("data"):
        return base64.b64decode(audio["data"]), audio.get("format") == WAV_FORMAT
    blocks: list[Any] = message.content if isinstance(message.content, list) else []
    for block in blocks:
        if isinstance(block, dict) and block.get("type") == "audio" and block.get("base64"):
            return base64.b64decode(block["base64"]), block.get("mime_type") == WAV_MIME_TYPE
    return b"", False
