"""Arignote codegen-cuda: the CUDA backend.

codegen-c's scalar emitter in a CUDA dialect: elementwise and reduction kernels, compiled to PTX by NVRTC or
nvcc, and run on the CPU by an emulation of the thread hierarchy. ``function(..., mode="cuda")`` finds the
backend through the ``arignote.backends`` entry point.
"""

from ._version import __version__
from .backend import CudaBackend, cuda_emulated_mode, cuda_mode
from .environment import describe
from .errors import CudaCompileError, CudaUnavailable
from .options import CudaOptions

__all__ = ["CudaBackend", "CudaCompileError", "CudaOptions", "CudaUnavailable", "__version__", "cuda_emulated_mode",
           "cuda_mode", "describe"]
