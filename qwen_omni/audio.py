"""PCM16 <-> WAV, nothing else.

Qwen-Omni streams its spoken answer as raw PCM: 16-bit signed little-endian, mono, 24 kHz, even though
the request says ``"format": "wav"``. These helpers add and remove the RIFF header.

Example:
    >>> wav = pcm16_to_wav(b"\\x00\\x00" * 240)
    >>> wav[:4], len(wav) - len(b"\\x00\\x00" * 240)
    (b'RIFF', 44)
    >>> wav_to_pcm16(wav) == b"\\x00\\x00" * 240
    True
"""

from __future__ import annotations

import base64
import binascii
import io
import struct
import wave
from collections.abc import Sequence

from .errors import APIProtocolError
from .profiles import OUTPUT_SAMPLE_RATE

__all__ = [
    "ALIGNED_WAV_HEADER_BYTES",
    "CHANNELS",
    "SAMPLE_WIDTH_BYTES",
    "WAV_HEADER_BYTES",
    "WavBase64",
    "aligned_wav_header",
    "pcm16_duration",
    "pcm16_to_wav",
    "pieces_pcm",
    "pieces_wav",
    "pieces_wav_base64",
    "wav_header",
    "wav_to_pcm16",
]

SAMPLE_WIDTH_BYTES = 2
CHANNELS = 1
#: The size of the RIFF header :func:`pcm16_to_wav` and :func:`wav_header` write.
WAV_HEADER_BYTES = 44


def pcm16_to_wav(pcm: bytes, *, sample_rate: int = OUTPUT_SAMPLE_RATE, channels: int = CHANNELS) -> bytes:
    """Wrap raw PCM16 little-endian samples in a WAV (RIFF) container."""
    if len(pcm) % (SAMPLE_WIDTH_BYTES * channels):
        raise ValueError(
            f"PCM16 data must be a whole number of {channels}-channel 16-bit frames; got {len(pcm)} bytes."
        )
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(SAMPLE_WIDTH_BYTES)
        out.setframerate(sample_rate)
        out.writeframes(pcm)
    return buffer.getvalue()


def wav_header(pcm_len: int, *, sample_rate: int = OUTPUT_SAMPLE_RATE, channels: int = CHANNELS) -> bytes:
    """The 44-byte RIFF header of a PCM16 WAV file holding ``pcm_len`` bytes of samples (what :mod:`wave` writes).

    Example:
        >>> wav_header(480) + b"\\x00" * 480 == pcm16_to_wav(b"\\x00" * 480)
        True
    """
    block = SAMPLE_WIDTH_BYTES * channels
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF", 36 + pcm_len, b"WAVE", b"fmt ", 16, 1, channels, sample_rate, sample_rate * block, block,
        8 * SAMPLE_WIDTH_BYTES, b"data", pcm_len,
    )  # fmt: skip


#: The size of :func:`aligned_wav_header`: a multiple of 3, so a WAV's base64 is the header's and the samples' joined.
ALIGNED_WAV_HEADER_BYTES = 54


def aligned_wav_header(pcm_len: int, *, sample_rate: int = OUTPUT_SAMPLE_RATE, channels: int = CHANNELS) -> bytes:
    """A 54-byte RIFF header for ``pcm_len`` bytes of PCM16: :func:`wav_header` with a 2-byte ``JUNK`` chunk.

    RIFF's ``JUNK`` chunk exists to align what follows, and every reader skips it (``wave``, ffmpeg, browsers). Here
    it makes the header 54 bytes, 18 whole base64 groups: the base64 of the WAV file is then the header's base64
    followed by the samples' base64 as it came, so a spoken answer kept as base64 pieces becomes one WAV by a join,
    without decoding anything (:func:`pieces_wav_base64`).

    Example:
        >>> import io, wave
        >>> with wave.open(io.BytesIO(aligned_wav_header(4) + b"\\x01\\x00\\x02\\x00")) as w:
        ...     w.getframerate(), w.readframes(2)
        (24000, b'\\x01\\x00\\x02\\x00')
    """
    block = SAMPLE_WIDTH_BYTES * channels
    return struct.pack(
        "<4sI4s4sIHHIIHH4sIH4sI",
        b"RIFF", ALIGNED_WAV_HEADER_BYTES - 8 + pcm_len, b"WAVE", b"fmt ", 16, 1, channels, sample_rate,
        sample_rate * block, block, 8 * SAMPLE_WIDTH_BYTES, b"JUNK", 2, 0, b"data", pcm_len,
    )  # fmt: skip


def _piece_size(piece: str) -> int:
    return len(piece) // 4 * 3 - (piece.endswith("=") + piece.endswith("=="))


def pieces_pcm(pieces: Sequence[str]) -> bytes:
    """The PCM16 samples of base64 pieces (each the base64 of whole samples, as a stream carries them), decoded once.

    Raises:
        APIProtocolError: a piece is not valid base64.

    Example:
        >>> pieces_pcm(["AQA=", "AgA="])
        b'\\x01\\x00\\x02\\x00'
    """
    try:
        return b"".join([base64.b64decode(piece, validate=True) for piece in pieces])
    except (binascii.Error, ValueError) as exc:
        raise APIProtocolError(f"The spoken answer's audio is not valid base64 ({exc}).", status_code=200) from exc


def pieces_wav(pieces: Sequence[str], *, sample_rate: int = OUTPUT_SAMPLE_RATE) -> bytes:
    """One WAV file (:func:`aligned_wav_header`) of base64 PCM16 pieces: what :func:`pieces_wav_base64` decodes to.

    Example:
        >>> pieces_wav(["AQA=", "AgA="])[-4:]
        b'\\x01\\x00\\x02\\x00'
    """
    pcm = pieces_pcm(pieces)
    return aligned_wav_header(len(pcm), sample_rate=sample_rate) + pcm


def pieces_wav_base64(pieces: Sequence[str], *, sample_rate: int = OUTPUT_SAMPLE_RATE) -> str:
    """The base64 of one WAV file holding base64 PCM16 pieces, made by joining them when it can.

    When every piece but the last is whole base64 groups without padding (what a stream sends: 0.1 s of 24 kHz
    PCM16 is 4,800 bytes, 1,600 groups), the WAV's base64 is the 54-byte header's and the pieces' joined: no byte
    is decoded. Otherwise the pieces are decoded once and the file encoded.

    Raises:
        APIProtocolError: a piece is not valid base64 (found when the pieces must be decoded).

    Example:
        >>> import base64
        >>> base64.b64decode(pieces_wav_base64(["AQACAAMA", "BAA="])) == pieces_wav(["AQACAAMA", "BAA="])
        True
    """
    joinable = all(len(piece) % 4 == 0 and "=" not in piece[-2:] for piece in pieces[:-1])
    if joinable and (not pieces or len(pieces[-1]) % 4 == 0):
        size = sum(_piece_size(piece) for piece in pieces)
        if size % (SAMPLE_WIDTH_BYTES * CHANNELS) == 0:
            header = base64.b64encode(aligned_wav_header(size, sample_rate=sample_rate)).decode("ascii")
            return "".join([header, *pieces])
    return base64.b64encode(pieces_wav(pieces, sample_rate=sample_rate)).decode("ascii")


class WavBase64:
    """The base64 text of a PCM16 WAV file, built from PCM pieces as they arrive.

    Each piece is encoded once, when it is added; :meth:`text` joins the pieces behind the header, whose sizes are
    known only then. So a spoken answer of any length costs one pass, and the memory of its base64 twice at the
    end (the pieces and the joined text), never a copy of the growing text per piece.

    Base64 works on 3-byte groups and the header is 44 bytes (14 groups and 2 bytes), so the samples are encoded
    from their second byte on; the header's last 2 bytes and the first sample byte make the group between.

    Example:
        >>> import base64
        >>> wav = WavBase64()
        >>> for piece in (b"\\x01\\x00" * 5, b"\\x02\\x00" * 7):
        ...     wav.add(piece)
        >>> base64.b64decode(wav.text()) == pcm16_to_wav(b"\\x01\\x00" * 5 + b"\\x02\\x00" * 7)
        True
    """

    def __init__(self, *, sample_rate: int = OUTPUT_SAMPLE_RATE, channels: int = CHANNELS) -> None:
        self.sample_rate = sample_rate
        self.channels = channels
        self.size = 0
        self._first = b""
        self._tail = b""
        self._parts: list[bytes] = []

    def add(self, pcm: bytes) -> None:
        """Append PCM16 samples (any number of bytes; the whole must end on a whole frame)."""
        if not pcm:
            return
        self.size += len(pcm)
        if not self._first:
            self._first, pcm = pcm[:1], pcm[1:]
        data = self._tail + pcm if self._tail else pcm
        cut = len(data) - len(data) % 3
        if cut:
            self._parts.append(binascii.b2a_base64(data[:cut], newline=False))
        self._tail = data[cut:]

    def text(self) -> str:
        """The whole WAV file as base64 text (``""`` when no samples were added).

        Raises:
            ValueError: the samples do not end on a whole frame.
        """
        return self.ascii().decode("ascii")

    def ascii(self) -> bytes:
        """The same as ASCII bytes (what LlamaIndex's ``AudioBlock.audio`` holds), without a text copy.

        :meth:`text` or :meth:`ascii` is called once, at the end: the pieces are released as the whole is made.
        """
        if not self.size:
            return b""
        if self.size % (SAMPLE_WIDTH_BYTES * self.channels):
            raise ValueError(f"PCM16 data must be a whole number of frames; got {self.size} bytes.")
        header = wav_header(self.size, sample_rate=self.sample_rate, channels=self.channels)
        parts, self._parts = self._parts, []  # the pieces are released as the whole is made
        head = binascii.b2a_base64(header + self._first, newline=False)
        tail = binascii.b2a_base64(self._tail, newline=False)
        return b"".join([head, *parts, tail])


def wav_to_pcm16(wav_bytes: bytes) -> bytes:
    """Return the PCM16 frames of a 16-bit WAV file (the inverse of :func:`pcm16_to_wav`)."""
    with wave.open(io.BytesIO(wav_bytes), "rb") as src:
        if src.getsampwidth() != SAMPLE_WIDTH_BYTES:
            raise ValueError(f"Expected 16-bit WAV; got {8 * src.getsampwidth()}-bit.")
        return src.readframes(src.getnframes())


def pcm16_duration(pcm_len: int, *, sample_rate: int = OUTPUT_SAMPLE_RATE, channels: int = CHANNELS) -> float:
    """Seconds of audio in ``pcm_len`` bytes of PCM16."""
    return pcm_len / (SAMPLE_WIDTH_BYTES * channels * sample_rate)
