"""What the CUDA backend raises."""

from __future__ import annotations


class CudaUnavailable(RuntimeError):
    """A part that running on a GPU needs is missing (the message says which: driver, device, pycuda, compiler)."""


class CudaCompileError(RuntimeError):
    """NVRTC or nvcc rejected a generated module: a bug in an emitter. ``source`` is the module's text."""

    def __init__(self, message: str, source: str) -> None:
        super().__init__(message)
        self.source = source
