"""The driver on a GPU, through pycuda (the ``[pycuda]`` extra): the device's retained primary context, memory
from ``mem_alloc``, ``memcpy_*`` copies, modules loaded from PTX (``module_from_buffer``) and prepared launches
taking the argument struct by value; cuBLAS through ctypes where it is installed (``cublas.py``)."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Sequence
from functools import cache
from typing import Any

import numpy as np

from .cublas import CuBlas, CublasError, find_cublas
from .driver import Blas
from .kernels import DeviceKernel
from .ptx import PtxBuilder, module_text


@cache
def _context(ordinal: int) -> Any:
    """Device ``ordinal``'s primary context, retained and made current once per process (as CUDA's runtime API
    and CuPy share it)."""
    cuda = importlib.import_module("pycuda.driver")
    cuda.init()
    context = cuda.Device(ordinal).retain_primary_context()
    context.push()
    return context


class PyCudaDriver:
    """``Driver`` on device ``ordinal`` through ``pycuda.driver``; modules are compiled to PTX by ``builder``."""

    def __init__(self, builder: PtxBuilder, ordinal: int = 0) -> None:
        self._cuda = importlib.import_module("pycuda.driver")
        self.context = _context(ordinal)
        self.builder = builder
        self.device = self._cuda.Device(ordinal)
        self._allocations: dict[int, Any] = {}
        self._blas: CuBlas | None = None
        self._blas_tried = False

    @property
    def name(self) -> str:
        """The device's name and compute capability."""
        major, minor = self.device.compute_capability()
        return f"{self.device.name()} (sm_{major}{minor})"

    def alloc(self, nbytes: int) -> int:
        allocation = self._cuda.mem_alloc(nbytes)
        pointer = int(allocation)
        self._allocations[pointer] = allocation
        return pointer

    def free(self, pointer: int) -> None:
        self._allocations.pop(pointer).free()

    def htod(self, dst: int, src: np.ndarray) -> None:
        self._cuda.memcpy_htod(dst, src)

    def dtoh(self, dst: np.ndarray, src: int) -> None:
        self._cuda.memcpy_dtoh(dst, src)

    def dtod(self, dst: int, src: int, nbytes: int) -> None:
        self._cuda.memcpy_dtod(dst, src, nbytes)

    def load_module(self, kernels: Sequence[DeviceKernel]) -> Any:
        return self._cuda.module_from_buffer(self.builder.build(module_text(kernels)).encode())

    def get_function(self, module: Any, kernel: DeviceKernel) -> Any:
        function = module.get_function(kernel.name)
        function.prepare([kernel.layout.dtype])  # one argument: the struct, by value ("<size>s")
        return function

    def launch(self, function: Any, grid: int, block: int, shared: int, args: np.ndarray) -> None:
        function.prepared_call((grid, 1, 1), (block, 1, 1), args.tobytes(), shared_size=shared)

    def synchronize(self) -> None:
        self._cuda.Context.synchronize()

    def blas(self) -> Blas | None:
        """cuBLAS (``cublas.py``), one handle per driver made at the first call; None where no libcublas loads
        (or, with a warning, where it makes no handle)."""
        if not self._blas_tried:
            self._blas_tried = True
            found = find_cublas()
            if found is not None:
                try:
                    self._blas = CuBlas(found.lib)
                except CublasError as exc:
                    warnings.warn(f"cuBLAS ({found.path}) is not used: {exc}", stacklevel=2)
        return self._blas
