"""One bound and one budget for the copies of a pipeline in several processes of one machine.

A face that is pickled into worker processes (``SimpleDirectoryReader(...).load_data(num_workers=N)`` sends a
``QwenOmniReader`` to each) must not multiply its bound on requests in flight nor its rate budget by N. So its
copies share both through files in one folder: the bound as :class:`~.concurrency.ProcessSlots`, the budget as a
:class:`~qwen_omni.ratelimit.SQLiteBackend` (pyrate-limiter's SQLite bucket under a file lock), and, with a cache,
the segment claims of :class:`~.cache.AnswerCache`. A limiter already shared (SQLite or Redis, which is the way
across machines) is kept as it is.

Example:
    >>> import tempfile
    >>> from qwen_omni.ratelimit import RateLimiter
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     budget, bound = for_processes(RateLimiter(), Slots(4), folder)
    >>> type(budget.backend).__name__, type(bound).__name__, bound.limit
    ('SQLiteBackend', 'ProcessSlots', 4)
"""

from __future__ import annotations

import atexit
import os
import pickle
import shutil
import tempfile
from pathlib import Path

from ..errors import InvalidRequestError
from ..ratelimit import InMemoryBackend, RateLimiter, RequestBudget, SQLiteBackend
from .concurrency import ProcessSlots, Slots

__all__ = ["SHARED_FOLDER", "for_processes", "shared_folder"]

#: The folder, inside a cache folder, where the shared bound and budget live.
SHARED_FOLDER = ".shared"


def shared_folder(cache_dir: str | os.PathLike[str] | None) -> Path:
    """Where copies share their bound and budget: ``<cache_dir>/.shared``, or a new temporary folder (removed when
    this process exits) when there is no cache."""
    if cache_dir is not None:
        return Path(cache_dir).expanduser() / SHARED_FOLDER
    folder = Path(tempfile.mkdtemp(prefix="qwen-omni-shared-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def for_processes(
    limiter: RequestBudget, slots: Slots, folder: str | os.PathLike[str]
) -> tuple[RequestBudget, ProcessSlots]:
    """The budget and bound that copies in other processes share through ``folder`` (see the module docstring).

    Raises:
        InvalidRequestError: the budget is not a :class:`~qwen_omni.ratelimit.RateLimiter` and cannot be pickled.
    """
    budget: RequestBudget = limiter
    if isinstance(limiter, RateLimiter) and isinstance(limiter.backend, InMemoryBackend):
        budget = limiter.with_backend(SQLiteBackend(folder))
    else:
        try:
            pickle.dumps(limiter)
        except Exception as exc:
            raise InvalidRequestError(
                f"The rate budget {limiter!r} cannot be sent to other processes ({exc}); use a "
                "qwen_omni.ratelimit.RateLimiter, which is shared through a SQLite file or Redis."
            ) from None
    bound = slots if isinstance(slots, ProcessSlots) else ProcessSlots(slots.limit, folder)
    return budget, bound
