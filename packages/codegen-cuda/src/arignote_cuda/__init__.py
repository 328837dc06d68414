"""Arignote codegen-cuda: the CUDA backend.

The C emitter in a CUDA dialect, device placement rewrites, the pycuda runtime and cuBLAS.
"""

from ._version import __version__

__all__ = ["__version__"]
