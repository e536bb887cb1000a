"""An opt-in on-disk cache of segment answers, so that a rerun after a crash sends only what is missing.

A segment's key is the SHA-256 of what decides its answer: the recording's content hash, the segment's
span and encoding, the model, the task and the exact prompt. Entries are small JSON files, written
atomically (a crash never leaves half an entry), under ``directory/<2 hex>/<key>.json``.

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

import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["AnswerCache", "CachedAnswer", "cache_key"]

#: Bumped when what a key covers changes, so that old entries are not mistaken for new ones.
VERSION = 1


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


class AnswerCache:
    """Segment answers on disk in ``directory`` (created if need be)."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory).expanduser()
        self.hits = 0
        self.writes = 0

    def __repr__(self) -> str:
        return f"AnswerCache({str(self.directory)!r})"

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> CachedAnswer | None:
        """The answer stored under ``key``, or None (an unreadable entry counts as none)."""
        try:
            raw = json.loads(self._path(key).read_text(encoding="utf-8"))
            answer = CachedAnswer(str(raw["text"]), raw.get("finish_reason"), dict(raw.get("usage") or {}))
        except (OSError, ValueError, KeyError, TypeError):
            return None
        self.hits += 1
        return answer

    def put(self, key: str, answer: CachedAnswer) -> None:
        """Store ``answer`` under ``key``, atomically."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                json.dump(asdict(answer), out, ensure_ascii=False)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        self.writes += 1
