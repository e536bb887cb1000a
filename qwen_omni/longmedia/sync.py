"""The sync forms of async work: a coroutine run to its end, an async iterator's items yielded in this thread.

Both work from any thread, with or without an event loop running in it: the work runs on an event loop of
its own (here, or on a helper thread when this thread already runs one), in a copy of the caller's context,
so that context variables (LlamaIndex's instrumentation spans, a rate limiter's expectations) carry over.

Example:
    >>> import asyncio
    >>> async def numbers():
    ...     for n in range(3):
    ...         await asyncio.sleep(0)
    ...         yield n
    >>> list(iterate_in_thread(numbers))
    [0, 1, 2]
    >>> async def answer() -> int:
    ...     return 42
    >>> run_sync(answer())
    42
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import queue
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from typing import Any, TypeVar

__all__ = ["close_iterator", "iterate_in_thread", "run_sync"]

T = TypeVar("T")


async def close_iterator(iterator: AsyncIterator[Any]) -> None:
    """Close an async generator now (its ``finally`` blocks run), as ``async for`` does not when the loop around it
    is left by an exception raised outside the generator (a cancel while the caller holds an item)."""
    close = getattr(iterator, "aclose", None)
    if close is not None:
        await close()


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to its end: here if no event loop runs in this thread, else on a helper thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    box: dict[str, Any] = {}
    context = contextvars.copy_context()

    def target() -> None:
        try:
            box["value"] = context.run(asyncio.run, coroutine)
        except BaseException as exc:  # handed to the caller's thread below
            box["error"] = exc

    thread = threading.Thread(target=target, name="qwen-omni-sync")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]


def iterate_in_thread(make: Callable[[], AsyncIterator[T]]) -> Iterator[T]:
    """The items of an async iterator, produced on an event loop in a helper thread, yielded here as they come.

    The next item is asked of the async iterator only when the caller asks for it (as ``async for`` would), so
    work paced by the caller (:class:`~.readahead.ReadAhead`) stays paced. Stopping early (``break``, closing
    the generator) cancels the work in the helper thread and waits for it.
    """
    items: queue.Queue[tuple[str, Any]] = queue.Queue()
    loop = asyncio.new_event_loop()
    task_box: dict[str, asyncio.Task[None]] = {}
    context = contextvars.copy_context()
    asked = asyncio.Event()

    async def pump() -> None:
        try:
            iterator = make()
            try:
                async for item in iterator:
                    items.put(("item", item))
                    await asked.wait()  # until the caller asks for the next one
                    asked.clear()
            finally:  # a cancel that lands while waiting for the caller (outside the iterator) still closes it
                await close_iterator(iterator)
        except BaseException as exc:
            items.put(("error", exc))
            return
        items.put(("done", None))

    def run() -> None:
        asyncio.set_event_loop(loop)
        task_box["task"] = loop.create_task(pump())
        try:
            loop.run_until_complete(task_box["task"])
        except BaseException:  # cancelled because the caller stopped iterating
            pass
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    thread = threading.Thread(target=context.run, args=(run,), name="qwen-omni-sync", daemon=True)
    thread.start()
    try:
        while True:
            kind, value = items.get()
            if kind == "item":
                yield value
                with contextlib.suppress(RuntimeError):  # the loop closed: nothing is waiting for the signal
                    loop.call_soon_threadsafe(asked.set)
            elif kind == "error":
                raise value
            else:
                return
    finally:
        if thread.is_alive():
            while "task" not in task_box and thread.is_alive():
                thread.join(0.01)
            if "task" in task_box:
                with contextlib.suppress(RuntimeError):  # the loop closed after the check: nothing is left to cancel
                    loop.call_soon_threadsafe(task_box["task"].cancel)
            thread.join()
