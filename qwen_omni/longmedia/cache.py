"""An opt-in on-disk cache of segment answers, so that a rerun after a crash sends only what is missing, and so
that processes sharing the folder send each segment once.

A segment's key is the SHA-256 of what decides its answer: the recording's content hash, the segment's
span and encoding, the model, the task and the exact prompt. Entries are small JSON files, written
atomically (a crash never leaves half an entry), under ``directory/<2 hex>/<key>.json``; each carries its own
key and the SHA-256 of its answer, so an entry that was damaged, truncated, edited or copied under another name
does not verify: it is not used, the segment is sent again (and the entry rewritten), and the cache reports it
(a warning in the ``qwen_omni`` log, :attr:`AnswerCache.rejected`, and a note in the run's result).

Before sending a segment, a worker **claims** it (:meth:`AnswerCache.claiming`): an exclusive file lock
(``filelock``) under ``directory/.claims/``. Another process that wants the same segment waits for the claim,
then finds the answer in the cache. A claim is an operating-system lock: it ends with its process, so the claims
of a worker that was killed are free at once, and its segments are sent by whoever wants them next.

Example:
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     cache = AnswerCache(folder)
    ...     key = cache_key(source="ab12", start=0.0, end=60.0, delivery="audio", encoding="mp3/16000",
    ...                     model="qwen3-omni-flash", task="transcript", prompt="Transcribe...")
    ...     cache.put(key, CachedAnswer("[00:00:01,000 --> 00:00:02,000] Hi.", "stop", {"total_tokens": 12}))
    ...     cache.get(key).text
    '[00:00:01,000 --> 00:00:02,000] Hi.'
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

__all__ = ["CLAIM_POLL", "AnswerCache", "CachedAnswer", "cache_key"]

logger = logging.getLogger("qwen_omni")

#: Bumped when what a key covers or an entry holds changes, so that old entries are not mistaken for new ones.
VERSION = 2
#: Seconds between two looks at a claim another process holds.
CLAIM_POLL = 0.05


@dataclass(frozen=True)
class CachedAnswer:
    """A segment's answer as it was received."""

    text: str
    finish_reason: str | None
    usage: dict[str, Any] = field(default_factory=dict)


def cache_key(
    *, source: str, start: float, end: float, delivery: str, encoding: str, model: str, task: str, prompt: str
) -> str:
    """The key of one segment's answer."""
    fields = {
        "v": VERSION, "source": source, "start": round(start, 3), "end": round(end, 3), "delivery": delivery,
        "encoding": encoding, "model": model, "task": task, "prompt": prompt,
    }  # fmt: skip
    return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def _checksum(answer: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(answer, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class AnswerCache:
    """Segment answers on disk in ``directory`` (created if need be); see the module docstring.

    Attributes:
        hits: entries read and verified.
        writes: entries written.
        rejected: ``(key, reason)`` of each entry that did not verify (its segment is sent again).
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory).expanduser()
        self.hits = 0
        self.writes = 0
        self.rejected: list[tuple[str, str]] = []
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"AnswerCache({str(self.directory)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (AnswerCache, (self.directory,))

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> CachedAnswer | None:
        """The answer stored under ``key``, or None: missing, or not verifying (then reported once)."""
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._reject(key, f"unreadable: {exc.strerror or exc}")
            return None
        answer, reason = _verified(raw, key)
        if answer is None:
            self._reject(key, reason)
            return None
        with self._lock:
            self.hits += 1
        return answer

    def rejection(self, key: str) -> str | None:
        """Why the entry under ``key`` did not verify, if it did not."""
        with self._lock:
            return next((reason for k, reason in self.rejected if k == key), None)

    def _reject(self, key: str, reason: str) -> None:
        with self._lock:
            if any(k == key for k, _ in self.rejected):
                return
            self.rejected.append((key, reason))
        logger.warning("The cached answer %s did not verify (%s); its segment is sent again.", self._path(key), reason)
        return None

    def put(self, key: str, answer: CachedAnswer) -> None:
        """Store ``answer`` under ``key``, atomically, with its key and checksum."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        content = asdict(answer)
        entry = {"v": VERSION, "key": key, "answer": content, "sha256": _checksum(content)}
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(entry, out, ensure_ascii=False)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        with self._lock:
            self.writes += 1

    @asynccontextmanager
    async def claiming(self, key: str) -> AsyncIterator[None]:
        """Hold the claim on ``key`` inside the block, waiting (without blocking the loop) while another process
        (or another run in this one) holds it.

        Example:
            >>> import asyncio, tempfile
            >>> async def main(folder: str) -> str:
            ...     cache = AnswerCache(folder)
            ...     async with cache.claiming("ab" * 32):
            ...         return "claimed"
            >>> with tempfile.TemporaryDirectory() as folder:
            ...     asyncio.run(main(folder))
            'claimed'
        """
        path = self.directory / ".claims" / f"{key}.lock"
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(path), thread_local=False)
        while True:
            try:
                lock.acquire(timeout=0)  # a non-blocking try: flock(LOCK_NB), nothing waits here
                break
            except Timeout:
                await asyncio.sleep(CLAIM_POLL)
        try:
            yield
        finally:
            lock.release()


def _verified(raw: bytes, key: str) -> tuple[CachedAnswer | None, str]:
    """The answer in an entry's bytes if they verify, else None and why not."""
    try:
        entry = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None, "not JSON"
    if not isinstance(entry, dict) or entry.get("v") != VERSION:
        return None, f"not a version {VERSION} entry"
    if entry.get("key") != key:
        return None, "it holds another segment's key"
    content = entry.get("answer")
    if not isinstance(content, dict) or entry.get("sha256") != _checksum(content):
        return None, "its checksum does not match its answer"
    try:
        answer = CachedAnswer(content["text"], content["finish_reason"], dict(content.get("usage") or {}))
    except (KeyError, TypeError, ValueError):
        return None, "its answer lacks a field"
    if not isinstance(answer.text, str) or not isinstance(answer.finish_reason, str | None):
        return None, "its answer has a field of the wrong type"
    return answer, ""
