"""Arignote codegen-cuda: the CUDA backend.

codegen-c's scalar emitter in a CUDA dialect: elementwise and reduction kernels, compiled to PTX by NVRTC or
nvcc, run on a GPU through pycuda or on the CPU by an emulation of the thread hierarchy, with values kept on the
device between kernels. ``function(..., mode="cuda")`` finds the
backend through the ``arignote.backends`` entry point.
"""

from ._version import __version__
from .backend import CudaBackend, cuda_emulated_mode, cuda_mode
from .device_array import DeviceArray
from .driver import Driver
from .environment import describe
from .errors import CudaCompileError, CudaUnavailable
from .interop import from_dlpack
from .options import CudaOptions
from .shared_state import SharedDeviceValue

__all__ = ["CudaBackend", "CudaCompileError", "CudaOptions", "CudaUnavailable", "DeviceArray", "Driver",
           "SharedDeviceValue", "__version__", "cuda_emulated_mode", "cuda_mode", "describe", "from_dlpack"]
