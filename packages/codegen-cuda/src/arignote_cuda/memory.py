"""A caching pool of device memory: requests rounded up to a few sizes, blocks given back kept for the next
request of that size (the next call of a function reuses its last call's blocks), and everything freed on
``close``."""

from __future__ import annotations

import threading
from collections import defaultdict

from .driver import Driver

#: the smallest block; requests up to ``_POW2_UNTIL`` round to a power of two, larger ones to whole MiB
_MIN_BLOCK = 512
_POW2_UNTIL = 1 << 20


def rounded(nbytes: int) -> int:
    """The block size serving a request of ``nbytes`` bytes."""
    if nbytes <= _MIN_BLOCK:
        return _MIN_BLOCK
    if nbytes <= _POW2_UNTIL:
        return 1 << (nbytes - 1).bit_length()
    return -(-nbytes // _POW2_UNTIL) * _POW2_UNTIL


class MemoryPool:
    """Blocks of ``driver``'s memory. ``allocated`` counts the driver's allocations and ``reused`` the requests
    served from blocks given back; a block given back after ``close`` is freed at once. Calls from several
    threads are safe (blocks come back from arrays' finalizers, in any thread)."""

    def __init__(self, driver: Driver) -> None:
        self.driver = driver
        self._free: defaultdict[int, list[int]] = defaultdict(list)
        self._size: dict[int, int] = {}
        self.allocated = 0
        self.reused = 0
        self.closed = False
        self._lock = threading.RLock()

    def allocate(self, nbytes: int) -> int:
        """A pointer to at least ``nbytes`` bytes, until ``release``."""
        size = rounded(nbytes)
        with self._lock:
            if self.closed:
                raise RuntimeError("this function's device memory pool is closed")
            spare = self._free[size]
            if spare:
                self.reused += 1
                pointer = spare.pop()
            else:
                self.allocated += 1
                pointer = self.driver.alloc(size)
            self._size[pointer] = size
        return pointer

    def release(self, pointer: int) -> None:
        """Give back a block from ``allocate``: kept for reuse, or freed once the pool is closed."""
        with self._lock:
            size = self._size.pop(pointer)
            if self.closed:
                self.driver.free(pointer)
            else:
                self._free[size].append(pointer)

    @property
    def held(self) -> int:
        """Bytes the pool holds from the driver (blocks in use and blocks kept)."""
        with self._lock:
            return sum(self._size.values()) + sum(size * len(blocks) for size, blocks in self._free.items())

    def close(self) -> None:
        """Free the kept blocks; blocks still in use are freed when they are given back."""
        with self._lock:
            self.closed = True
            for blocks in self._free.values():
                for pointer in blocks:
                    self.driver.free(pointer)
            self._free.clear()
