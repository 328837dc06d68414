"""Arignote codegen-c: the C backend.

Kernel emitter, cffi build, on-disk cache, BLAS through SciPy, and the executor.
"""

from ._version import __version__

__all__ = ["__version__"]
