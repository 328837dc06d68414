"""The driver of the emulated mode: host memory standing in for device memory, launches run by the emulation.

An allocation is a NumPy byte buffer whose (aligned) address is its device pointer, so emulated kernels
dereference the pointers of their argument struct as a GPU would. Every copy is checked to stay inside one live
allocation, every pointer a launch passes to point into one, and each operation is counted (``counts``), so
tests see which transfers a program makes.
"""

from __future__ import annotations

import bisect
import ctypes
from collections import Counter
from collections.abc import Sequence

import numpy as np

from ..driver import Blas
from ..kernels import DeviceKernel
from .build import EmulatedLibrary
from .launcher import EmulatedLauncher

#: allocations are aligned as cudaMalloc's are (at least 256 bytes)
ALIGNMENT = 256
#: how an argument struct stores a pointer (``args.py``)
POINTER = np.dtype("<u8")


class EmulatedDriver:
    """``Driver`` over host memory; ``counts`` has one entry per operation ("alloc", "free", "htod", "dtoh",
    "dtod", "launch") and ``copied`` the bytes moved by each kind of copy. It has no cuBLAS unless a test gives it
    a stand-in (``blas``)."""

    def __init__(self, library: EmulatedLibrary, blas: Blas | None = None) -> None:
        self.library = library
        self._blas = blas
        self._buffers: dict[int, np.ndarray] = {}
        self._starts: list[int] = []
        self.counts: Counter[str] = Counter()
        self.copied: Counter[str] = Counter()

    def alloc(self, nbytes: int) -> int:
        buffer = np.empty(nbytes + ALIGNMENT, dtype=np.uint8)
        pointer = -buffer.ctypes.data % ALIGNMENT + buffer.ctypes.data
        self._buffers[pointer] = buffer
        bisect.insort(self._starts, pointer)
        self.counts["alloc"] += 1
        return pointer

    def free(self, pointer: int) -> None:
        if pointer not in self._buffers:
            raise ValueError(f"free of {pointer:#x}, which is not a live device allocation")
        del self._buffers[pointer]
        self._starts.remove(pointer)
        self.counts["free"] += 1

    @property
    def live(self) -> int:
        """How many allocations are not freed."""
        return len(self._buffers)

    def _check(self, pointer: int, nbytes: int, what: str) -> None:
        at = bisect.bisect_right(self._starts, pointer) - 1
        start = self._starts[at] if at >= 0 else None
        if start is None or pointer + nbytes > start + self._buffers[start].nbytes - ALIGNMENT:
            raise ValueError(f"{what}: {nbytes} bytes at {pointer:#x} are not inside one live device allocation")

    def _copied(self, kind: str, nbytes: int) -> None:
        self.counts[kind] += 1
        self.copied[kind] += nbytes

    def htod(self, dst: int, src: np.ndarray) -> None:
        self._check(dst, src.nbytes, "a copy to the device")
        ctypes.memmove(dst, np.ascontiguousarray(src).ctypes.data, src.nbytes)
        self._copied("htod", src.nbytes)

    def dtoh(self, dst: np.ndarray, src: int) -> None:
        if not dst.flags.c_contiguous:
            raise ValueError("a copy to the host needs a contiguous destination")
        self._check(src, dst.nbytes, "a copy from the device")
        ctypes.memmove(dst.ctypes.data, src, dst.nbytes)
        self._copied("dtoh", dst.nbytes)

    def dtod(self, dst: int, src: int, nbytes: int) -> None:
        self._check(src, nbytes, "a device copy's source")
        self._check(dst, nbytes, "a device copy's destination")
        ctypes.memmove(dst, src, nbytes)
        self._copied("dtod", nbytes)

    def load_module(self, kernels: Sequence[DeviceKernel]) -> EmulatedLauncher:
        launcher = EmulatedLauncher(self.library)
        launcher.prepare(kernels)
        return launcher

    def get_function(self, module: EmulatedLauncher, kernel: DeviceKernel) -> tuple[EmulatedLauncher, DeviceKernel]:
        return module, kernel

    def launch(self, function: tuple[EmulatedLauncher, DeviceKernel], grid: int, block: int, shared: int,
               args: np.ndarray) -> None:
        launcher, kernel = function
        if shared:
            raise ValueError("the emulation has no dynamic shared memory")
        pointers = [name for name, (dtype, *_) in (args.dtype.fields or {}).items() if dtype.base == POINTER]
        for name in pointers:
            for pointer in np.atleast_1d(args[name]).ravel().tolist():
                self._check(int(pointer), 1, f"argument {name} of {kernel.name}")
        self.counts["launch"] += 1
        launcher.launch(kernel, grid, block, args)

    def synchronize(self) -> None:
        """Launches and copies are synchronous here."""

    def blas(self) -> Blas | None:
        """None: the emulation has no cuBLAS (products run the backend's kernels), unless a test gave one."""
        return self._blas
