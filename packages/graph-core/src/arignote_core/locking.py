"""Locks that make a compiled function's call atomic with respect to the shared variables it touches.

The contract (the package README's "Threads"): a call of a function that updates shared variables is atomic
with respect to every other call that reads or updates any of them, and to ``get_value``/``set_value``; calls
that only read run side by side. Each shared variable has a reader-writer lock; a call takes the locks of the
variables it reads (shared) and updates (exclusive) in one global order, which rules out deadlocks between calls
that take several.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterable
from types import TracebackType

_ORDER = itertools.count()


class ReadWriteLock:
    """Many readers or one writer, phase-fair: a reader that arrives while a writer holds or awaits the lock
    enters after the next write, before any later writer, so neither readers nor writers starve."""

    def __init__(self) -> None:
        #: the position of this lock in the one global order locks are taken in
        self.order = next(_ORDER)
        self._state = threading.Condition(threading.Lock())
        self._readers = 0
        self._writing = False
        self._writers_waiting = 0
        self._writes_done = 0
        #: waiting readers by the number of completed writes they wait for
        self._readers_waiting: dict[int, int] = {}

    def acquire_read(self) -> None:
        with self._state:
            if self._writing or self._writers_waiting:
                after = self._writes_done + 1
                self._readers_waiting[after] = self._readers_waiting.get(after, 0) + 1
                self._state.wait_for(lambda: self._writes_done >= after and not self._writing)
                self._readers_waiting[after] -= 1
                if not self._readers_waiting[after]:
                    del self._readers_waiting[after]
            self._readers += 1

    def release_read(self) -> None:
        with self._state:
            self._readers -= 1
            if not self._readers:
                self._state.notify_all()

    def acquire_write(self) -> None:
        with self._state:
            self._writers_waiting += 1
            self._state.wait_for(lambda: not self._writing and not self._readers and not self._readers_due())
            self._writers_waiting -= 1
            self._writing = True

    def release_write(self) -> None:
        with self._state:
            self._writing = False
            self._writes_done += 1
            self._state.notify_all()

    def _readers_due(self) -> bool:
        """Whether readers wait for a write that is done: their turn comes before the next writer's."""
        return any(after <= self._writes_done for after in self._readers_waiting)


class SharedAccess:
    """The locks one call takes: ``with access:`` holds them for the call (a context manager, reusable)."""

    def __init__(self, reads: Iterable[ReadWriteLock], writes: Iterable[ReadWriteLock]) -> None:
        exclusive = {id(lock): lock for lock in writes}
        shared = {id(lock): lock for lock in reads if id(lock) not in exclusive}
        self._plan = sorted([(lock, True) for lock in exclusive.values()] + [(lock, False) for lock in shared.values()],
                            key=lambda item: item[0].order)

    def __enter__(self) -> None:
        taken = 0
        try:
            for lock, write in self._plan:
                lock.acquire_write() if write else lock.acquire_read()
                taken += 1
        except BaseException:
            self._release(taken)
            raise

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self._release(len(self._plan))

    def _release(self, count: int) -> None:
        for lock, write in reversed(self._plan[:count]):
            lock.release_write() if write else lock.release_read()
