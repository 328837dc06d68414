"""What the runtime asks of a CUDA driver: device memory, copies, modules and launches.

Device memory is addressed by integer pointers. Two drivers implement it: ``PyCudaDriver`` (``pycuda_driver.py``,
a GPU through pycuda) and ``EmulatedDriver`` (``emulation/driver.py``: host memory standing in for the device,
launches run by the CPU emulation), so that everything above the driver runs in CI without a GPU.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from .kernels import DeviceKernel


class Blas(Protocol):
    """cuBLAS's GEMM on device memory, column-major as the BLAS is: ``C = alpha * op(A) @ op(B) + beta * C`` with
    ``op(A)`` ``m x k`` (``A`` transposed when ``trans_a``), ``op(B)`` ``k x n``, leading dimensions in elements."""

    def gemm(self, dtype: str, trans_a: bool, trans_b: bool, m: int, n: int, k: int, alpha: float, a: int,
             lda: int, b: int, ldb: int, beta: float, c: int, ldc: int) -> None:
        """``?gemm`` in ``dtype`` ("float32" or "float64") on the driver's default stream."""
        ...


class Driver(Protocol):
    """Device memory, copies between it and the host, kernel modules and launches (on one default stream).

    ``load_module`` takes the kernels of one module (a driver builds its image from them: PTX for a GPU, an
    emulated library on the CPU); ``launch`` passes ``args``, a packed argument struct (a 0-d structured array,
    ``args.py``), by value, with ``shared`` bytes of dynamic shared memory.
    """

    def alloc(self, nbytes: int) -> int:
        """A new allocation of ``nbytes`` bytes (aligned to at least 256 bytes): its device pointer."""
        ...

    def free(self, pointer: int) -> None:
        """Give back an allocation made by ``alloc``."""
        ...

    def htod(self, dst: int, src: np.ndarray) -> None:
        """Copy the contiguous host array ``src`` to device memory at ``dst``."""
        ...

    def dtoh(self, dst: np.ndarray, src: int) -> None:
        """Fill the contiguous host array ``dst`` from device memory at ``src``."""
        ...

    def dtod(self, dst: int, src: int, nbytes: int) -> None:
        """Copy ``nbytes`` bytes between device addresses."""
        ...

    def load_module(self, kernels: Sequence[DeviceKernel]) -> Any:
        """A module holding ``kernels``."""
        ...

    def get_function(self, module: Any, kernel: DeviceKernel) -> Any:
        """``kernel``'s entry point in ``module``, ready to launch."""
        ...

    def launch(self, function: Any, grid: int, block: int, shared: int, args: np.ndarray) -> None:
        """Launch ``function`` over ``grid`` blocks of ``block`` threads."""
        ...

    def synchronize(self) -> None:
        """Wait until every launch and copy queued so far is done."""
        ...

    def blas(self) -> Blas | None:
        """The device's cuBLAS, or None where there is none (matrix products then run the backend's kernels)."""
        ...
