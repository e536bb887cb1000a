"""Output files of the long-recording commands: written whole or not at all, never over someone else's file.

- **Atomic.** Each output is written to a temporary file beside it, then linked into place: a crash or an
  interrupt never leaves half a file.
- **Exclusive.** The link fails if the file appeared while the command ran (another program, a colleague, a
  second run): that file is left as it is, and the output goes beside it as ``<stem>.1<suffix>`` (``talk.1.srt``),
  which stderr names. ``--overwrite`` replaces instead.
- **Reruns.** Every output written is recorded (its path and content hash, in the user's state folder; a
  record whose hash does not match the file is no record), so that rerunning the same command after a failure
  or an interrupt may replace the files it wrote itself, as long as nobody changed them since; a file changed
  by hand is never replaced without ``--overwrite``.
- **Mode.** Files are created ``0o666`` less the umask, as ``open()`` would make them, so a web server or a
  colleague can read the subtitles when the umask allows it.

Example:
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     target = Path(folder) / "talk.srt"
    ...     first = write_output(target, "1\\n", overwrite=False)
    ...     _ = target.write_text("edited by hand")
    ...     second = write_output(target, "1\\n", overwrite=False)
    ...     first.name, second.name, target.read_text()
    ('talk.srt', 'talk.1.srt', 'edited by hand')
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
from pathlib import Path

from platformdirs import user_state_path

__all__ = ["is_ours", "write_output"]

#: Alternative names tried beside an output that is in the way.
_ALTERNATIVES = 99


def _records() -> Path:
    return user_state_path("qwen-omni", appauthor=False) / "outputs"


def _record_path(target: Path) -> Path:
    key = hashlib.sha256(str(target.resolve()).encode()).hexdigest()[:32]
    return _records() / f"{key}.json"


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def is_ours(target: Path) -> bool:
    """True when ``target`` is exactly the file a ``qwen-omni`` command last wrote there (unchanged since)."""
    try:
        record = json.loads(_record_path(target).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(record, dict) and record.get("sha256") is not None and record.get("sha256") == _digest(target)


def _remember(target: Path, data: bytes) -> None:
    """Record what was written at ``target`` (best effort: a record that cannot be written only costs a rerun
    an ``--overwrite``)."""
    record = {"path": str(target.resolve()), "sha256": hashlib.sha256(data).hexdigest()}
    path = _record_path(target)
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        temporary.write_text(json.dumps(record), encoding="utf-8")
        os.replace(temporary, path)


def _temporary(target: Path, data: bytes) -> Path:
    """A new file beside ``target`` holding ``data``, created with the umask's mode."""
    while True:
        path = target.with_name(f".{target.name}.{secrets.token_hex(4)}.tmp")
        try:
            handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:  # pragma: no cover - 32 random bits
            continue
        break
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return path


def _candidates(target: Path) -> list[Path]:
    suffix = target.suffix
    stem = target.name[: len(target.name) - len(suffix)] if suffix else target.name
    return [target] + [target.with_name(f"{stem}.{n}{suffix}") for n in range(1, _ALTERNATIVES + 1)]


def _link(temporary: Path, target: Path) -> bool:
    """Put ``temporary`` at ``target`` unless something is there; False when something is."""
    try:
        os.link(temporary, target)
        return True
    except FileExistsError:
        return False
    except OSError:  # no hard links here (some network or FAT file systems): an exclusive create instead
        try:
            with target.open("xb") as out:
                out.write(temporary.read_bytes())
            return True
        except FileExistsError:
            return False


def write_output(target: Path, text: str, *, overwrite: bool) -> Path:
    """Write ``text`` at ``target`` (see the module docstring); returns where it was written.

    Raises:
        OSError: the folder cannot be written.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    temporary = _temporary(target, data)
    try:
        replace = overwrite or is_ours(target)
        # recorded before it is in place, so that a second run that finds it there a moment later knows it
        _remember(target, data)
        if replace:
            os.replace(temporary, target)
            return target
        found = next((c for c in _candidates(target) if _link(temporary, c)), None)
        if found is None:
            raise FileExistsError(f"{target} and {_ALTERNATIVES} alternative names beside it are all taken")
        if found != target:
            _remember(found, data)
        return found
    finally:
        temporary.unlink(missing_ok=True)
