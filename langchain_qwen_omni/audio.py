"""The spoken answer of a ``ChatQwenOmni`` message, as WAV or raw PCM bytes.

Every whole answer (``invoke``, a stream summed with ``+``, ``astream_events``' end, LangGraph's "messages"
summed, v0 or v1) holds the speech in one shape (see the README's "Spoken answers"): base64 PCM16 pieces in
``additional_kwargs["audio"]["pcm"]``, and one WAV ``audio`` block in its v1 content. A streamed chunk holds its own
piece, ready to play. These two functions read every shape, old ones too.

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

from collections.abc import Callable

from langchain_core.messages import BaseMessage

from qwen_omni.errors import QwenOmniError

from ._spoken import spoken_pcm, spoken_wav
from .errors import to_langchain_error

__all__ = ["audio_pcm", "audio_wav"]


def audio_wav(message: BaseMessage) -> bytes:
    """The spoken answer in ``message`` (a message, a chunk, or a sum of chunks) as one WAV file.

    Returns ``b""`` when the message holds no audio (ask for it with ``modalities=["text", "audio"]``). The file
    is the one the message's v1 ``audio`` block holds, byte for byte.

    Raises:
        QwenOmniProtocolError: the audio is not valid base64.
    """
    return _read(spoken_wav, message)


def audio_pcm(message: BaseMessage) -> bytes:
    """The spoken answer in ``message`` as raw PCM16 little-endian mono 24 kHz samples (``b""`` if none).

    For a streamed chunk this is just that chunk's piece, ready to play.

    Raises:
        QwenOmniProtocolError: the audio is not valid base64.
    """
    return _read(spoken_pcm, message)


def _read(reader: Callable[[BaseMessage], bytes], message: BaseMessage) -> bytes:
    try:
        return reader(message)
    except QwenOmniError as error:
        raise to_langchain_error(error) from None
