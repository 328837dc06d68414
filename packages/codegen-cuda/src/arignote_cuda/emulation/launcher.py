"""Launches on the CPU: each kernel's emulated launcher (``build.py``) called on the packed argument struct."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from ..kernels import DeviceKernel
from .build import LAUNCH_LOCK, EmulatedLibrary, Launcher

_STATUS = {-1: "a __syncthreads() or warp shuffle that not every thread of the block (or lane of the warp) "
               "reached", -2: "a bad launch geometry", -3: "no memory for the threads' stacks"}


class EmulatedLauncher:
    """Runs kernels from ``library``, which ``prepare`` fills with the kernels a program needs."""

    def __init__(self, library: EmulatedLibrary) -> None:
        self.library = library
        self._launchers: dict[str, Launcher] = {}

    def prepare(self, kernels: Iterable[DeviceKernel]) -> None:
        """Find ``kernels`` compiled before, and compile the others into one module."""
        wanted = {k.name: k for k in kernels if k.name not in self._launchers}
        missing = [k for name, k in sorted(wanted.items()) if self.library.launcher(name) is None]
        if missing:
            self.library.build(missing)
        for name in wanted:
            found = self.library.launcher(name)
            assert found is not None, f"kernel {name} missing from the module just built"
            self._launchers[name] = found

    def launch(self, kernel: DeviceKernel, grid: int, block: int, args: np.ndarray) -> None:
        with LAUNCH_LOCK:
            status = self._launchers[kernel.name](grid, block, args.ctypes.data)
        if status != 0:
            raise RuntimeError(f"the emulated launch of {kernel.name} ({grid} blocks of {block} threads) failed: "
                               f"{_STATUS.get(status, f'status {status}')}")
