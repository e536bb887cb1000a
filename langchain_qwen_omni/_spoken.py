"""The one shape of a spoken answer in a LangChain message, on every path.

``additional_kwargs["audio"]`` of a whole answer (``invoke``, a stream summed with ``+``, ``astream_events``' end,
LangGraph's "messages" summed, in v0 and v1 alike) is a dict (a :class:`SpokenAudio`) with:

* ``"id"``: the audio's id, when the API gave one;
* ``"format"``: ``"pcm16"``, and ``"sample_rate"``: ``24000`` (raw PCM16 little-endian mono);
* ``"pcm"``: the samples as a list of base64 pieces, in order, each the API's own text for one chunk of the stream
  (``"".join`` is not base64 of the whole; decode each piece, or use :func:`~langchain_qwen_omni.audio_pcm`);
* ``"transcript"``: what was said.

A streamed chunk has the same keys for its own part: its piece as a one-item ``"pcm"`` list (the first chunk of the
answer also ``"id"``, ``"format"`` and ``"sample_rate"``, the last one ``"transcript"``), so LangChain's merges append
the pieces: summing a stream costs time and memory linear in the speech. The v1 content of a whole answer holds one
``audio`` block with the whole answer as a WAV file (``mime_type: "audio/wav"``); chunks hold no audio block (in v1
the stream's last chunk carries that one WAV block, so the sum has it).

Earlier, a whole answer from ``invoke`` held the WAV's base64 under ``"data"`` (with ``"format": "wav"``), and a
summed stream had no ``"data"``. In this release ``audio["data"]`` and ``audio.get("data")`` give the WAV's base64 on
every path, with a ``DeprecationWarning``; the next release drops it: read the WAV with
:func:`~langchain_qwen_omni.audio_wav`. The key is not stored (it would hold the speech a second time).

Example:
    >>> audio = SpokenAudio(format="pcm16", sample_rate=24000, pcm=["AQA=", "AgA="], transcript="Hi")
    >>> pieces_pcm(audio["pcm"])
    b'\\x01\\x00\\x02\\x00'
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.messages import content as types

from qwen_omni.audio import CHANNELS, SAMPLE_WIDTH_BYTES, pieces_pcm, pieces_wav, pieces_wav_base64, wav_to_pcm16
from qwen_omni.profiles import OUTPUT_SAMPLE_RATE

__all__ = [
    "AUDIO_INDEX",
    "PCM_FORMAT",
    "WAV_FORMAT",
    "WAV_MIME_TYPE",
    "SpokenAudio",
    "spoken_pcm",
    "spoken_wav",
    "wav_block",
]

#: ``additional_kwargs["audio"]["format"]``: the pieces are raw PCM16 little-endian mono at ``sample_rate``.
PCM_FORMAT = "pcm16"
#: The format an old whole answer's ``"data"`` had (a WAV file).
WAV_FORMAT = "wav"
WAV_MIME_TYPE = "audio/wav"
#: The v1 ``index`` of the one audio block (LangChain merges blocks of equal index; there is only this one).
AUDIO_INDEX = "lc_audio"
_DATA_DEPRECATED = (
    'additional_kwargs["audio"]["data"] is deprecated and will be removed in the next release: the spoken answer is '
    'in ["pcm"] (base64 PCM16 pieces) on every path. Use langchain_qwen_omni.audio_wav(message) for the WAV file, or '
    "audio_pcm(message) for the samples."
)


class SpokenAudio(dict[str, Any]):
    """``additional_kwargs["audio"]``: a plain dict of the keys in the module docstring, plus a deprecated ``"data"``.

    Sums of chunks stay of this type (LangChain's merges copy the left dict with ``copy()``), pickle and serialize
    as a dict. ``"data"`` is computed when read, never stored.
    """

    def __missing__(self, key: str) -> Any:
        if key == "data" and self.get_pieces():
            warnings.warn(_DATA_DEPRECATED, DeprecationWarning, stacklevel=2)
            return pieces_wav_base64(self.get_pieces(), sample_rate=self._rate())
        raise KeyError(key)

    def get(self, key: str, default: Any = None) -> Any:
        if key == "data" and not dict.__contains__(self, "data") and self.get_pieces():
            warnings.warn(_DATA_DEPRECATED, DeprecationWarning, stacklevel=2)
            return pieces_wav_base64(self.get_pieces(), sample_rate=self._rate())
        return dict.get(self, key, default)

    def copy(self) -> SpokenAudio:
        return SpokenAudio(self)

    def __reduce__(self) -> tuple[Any, ...]:
        return (SpokenAudio, (dict(self),))

    def get_pieces(self) -> list[str]:
        """The base64 PCM pieces (``[]`` when there are none)."""
        pieces = dict.get(self, "pcm")
        return pieces if isinstance(pieces, list) else []

    def _rate(self) -> int:
        rate = dict.get(self, "sample_rate")
        return rate if isinstance(rate, int) and rate > 0 else OUTPUT_SAMPLE_RATE


def _audio_kwargs(message: BaseMessage) -> Mapping[str, Any] | None:
    audio = message.additional_kwargs.get("audio")
    return audio if isinstance(audio, Mapping) else None


def _pieces(audio: Mapping[str, Any]) -> list[str]:
    pieces = audio.get("pcm")
    return [str(piece) for piece in pieces] if isinstance(pieces, list) else []


def _old_wav(audio: Mapping[str, Any]) -> str | None:
    """The WAV base64 an old whole answer stored under ``"data"`` (messages saved before 0.2); called without pieces,
    so a :class:`SpokenAudio` gives its stored key only."""
    data = audio.get("data")
    return str(data) if data and audio.get("format") == WAV_FORMAT else None


def _wav_blocks(message: BaseMessage) -> list[str]:
    content = message.content
    if not isinstance(content, list):
        return []
    return [
        str(block["base64"])
        for block in content
        if isinstance(block, dict) and block.get("type") == "audio" and block.get("base64")
        and block.get("mime_type") == WAV_MIME_TYPE
    ]  # fmt: skip


def spoken_pcm(message: BaseMessage) -> bytes:
    """The PCM16 samples of the spoken answer in ``message`` (any shape this package made), or ``b""``."""
    audio = _audio_kwargs(message)
    if audio is not None and (pieces := _pieces(audio)):
        return pieces_pcm(pieces)
    if audio is not None and (old := _old_wav(audio)):
        return wav_to_pcm16(pieces_pcm([old]))
    for wav in _wav_blocks(message):
        return wav_to_pcm16(pieces_pcm([wav]))
    return b""


def spoken_wav(message: BaseMessage) -> bytes:
    """The spoken answer in ``message`` as one WAV file, or ``b""``."""
    audio = _audio_kwargs(message)
    if audio is not None and (pieces := _pieces(audio)):
        return pieces_wav(pieces, sample_rate=_rate_of(audio))
    if audio is not None and (old := _old_wav(audio)):
        return pieces_pcm([old])
    for wav in _wav_blocks(message):
        return pieces_pcm([wav])
    return b""


def _rate_of(audio: Mapping[str, Any]) -> int:
    rate = audio.get("sample_rate")
    return rate if isinstance(rate, int) and rate > 0 else OUTPUT_SAMPLE_RATE


def wav_block(audio: Mapping[str, Any], transcript: str) -> types.AudioContentBlock | None:
    """The one v1 ``audio`` block of a whole answer: its WAV file (from the pieces by a join), its transcript."""
    pieces = _pieces(audio)
    data = pieces_wav_base64(pieces, sample_rate=_rate_of(audio)) if pieces else _old_wav(audio)
    if not data:
        return None
    block = types.AudioContentBlock(
        type="audio",
        base64=data,
        mime_type=WAV_MIME_TYPE,
        index=AUDIO_INDEX,
        extras={
            "transcript": transcript,
            "sample_rate": _rate_of(audio),
            "channels": CHANNELS,
            "sample_width": SAMPLE_WIDTH_BYTES,
        },
    )
    if audio.get("id"):
        block["id"] = str(audio["id"])
    return block
