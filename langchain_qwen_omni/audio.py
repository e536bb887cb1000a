"""The spoken answer of a ``ChatQwenOmni`` message, as WAV or raw PCM bytes.

A whole answer (``invoke``, and a model invoked inside a chain, an agent or a LangGraph node) holds a WAV file;
``stream`` yields raw PCM16 pieces (little-endian, mono, 24 kHz) to play as they arrive, and their sum with ``+``
holds every piece. These two functions read every shape: ``additional_kwargs["audio"]`` (a WAV, PCM pieces) and
v1 ``audio`` blocks.

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

from langchain_core.messages import BaseMessage

from qwen_omni.audio import pcm16_to_wav, wav_to_pcm16

from ._output import audio_bytes

__all__ = ["audio_pcm", "audio_wav"]


def audio_wav(message: BaseMessage) -> bytes:
    """The spoken answer in ``message`` (a message, a chunk, or a sum of chunks) as a WAV file.

    Returns ``b""`` when the message holds no audio (ask for it with ``modalities=["text", "audio"]``).
    """
    data, is_wav = audio_bytes(message)
    if is_wav or not data:
        return data
    return pcm16_to_wav(data)


def audio_pcm(message: BaseMessage) -> bytes:
    """The spoken answer in ``message`` as raw PCM16 little-endian mono 24 kHz samples (``b""`` if none).

    For a streamed chunk this is just that chunk's piece, ready to play.
    """
    data, is_wav = audio_bytes(message)
    return wav_to_pcm16(data) if is_wav else data
