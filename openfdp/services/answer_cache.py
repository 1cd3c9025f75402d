"""A bounded, single-flight cache of finished answers (pure asyncio; no I/O of its own).

The API keeps the ICB-wide aggregate reads here (``waitingList``, ``longWaiters``: each
scans every open pathway of the ICB). What makes a key, and the data version in it, is
the caller's business (:mod:`openfdp.api.schema.cached`); this module only promises:

- **LRU, bounded**: at most ``max_entries`` answers (``0`` turns caching off: every
  request computes its own answer, as without a cache).
- **Single flight**: while an answer is being computed, identical requests wait for it
  instead of computing it again. The computation runs as a task of its own, so a waiting
  or computing request that goes away (client gone, request timeout) does not cancel it
  for the others.
- **Only answers are kept**: a computation that fails caches nothing, and the requests
  that waited for it compute their own answer (each gets its own error, if any).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


_FAILED: Any = object()  # what a waiting request sees when the computation failed


async def _outcome(running: asyncio.Task[Any]) -> Any:
    """The running computation's answer, or ``_FAILED`` (the computing request reports
    the error itself)."""
    try:
        return await asyncio.shield(running)
    except asyncio.CancelledError:
        if not running.cancelled():
            raise  # this request was cancelled, not the computation
        return _FAILED
    except Exception:
        return _FAILED


class AnswerCache:
    """Answers by key: ``await cache.get(key, compute)`` -> ``(answer, computed_here)``."""

    def __init__(self, max_entries: int) -> None:
        if max_entries < 0:
            raise ValueError("max_entries cannot be negative")
        self.max_entries = max_entries
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()
        self._running: dict[Hashable, asyncio.Task[Any]] = {}
        self.computed = 0  # answers computed through the cache (for tests and metrics)

    def __len__(self) -> int:
        return len(self._entries)

    async def get(self, key: Hashable, compute: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """The answer for ``key``, and whether this call computed it (False: served from
        the cache, or from an identical request's computation it waited for)."""
        if self.max_entries == 0:
            return await compute(), True
        if key in self._entries:
            self._entries.move_to_end(key)
            return self._entries[key], False
        running = self._running.get(key)
        if running is not None:
            answer = await _outcome(running)
            if answer is not _FAILED:
                return answer, False
            return await compute(), True  # it failed: compute (and report) our own
        task: asyncio.Task[T] = asyncio.ensure_future(self._compute(compute))
        self._running[key] = task
        task.add_done_callback(lambda t: self._finished(key, t))
        return await asyncio.shield(task), True

    async def _compute(self, compute: Callable[[], Awaitable[T]]) -> T:
        self.computed += 1
        return await compute()

    def _finished(self, key: Hashable, task: asyncio.Task[Any]) -> None:
        if self._running.get(key) is task:
            del self._running[key]
        if task.cancelled() or task.exception() is not None:
            return
        self._entries[key] = task.result()
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()
