"""Arignote codegen-c: the C backend.

Kernel emitter, cffi build, on-disk cache, BLAS through SciPy, and the executor. ``function(..., mode="c")``
finds the backend through the ``arignote.backends`` entry point.
"""

from ._version import __version__
from .backend import CBackend, CompilerWarning
from .build import CompileError
from .cache import ModuleCache, UnsafeCacheDir, default_cache_dir
from .emit.context import Unsupported
from .emit.dialect import C_DIALECT, Dialect
from .emit.scalar import SCALAR_EMITTERS, register_scalar
from .lowering import C_CODE, LOWERINGS, CKernel, register_c_code, register_lowering
from .options import COptions

__all__ = ["C_CODE", "C_DIALECT", "CBackend", "CKernel", "COptions", "CompileError", "CompilerWarning", "Dialect",
           "LOWERINGS", "ModuleCache", "SCALAR_EMITTERS", "Unsupported", "UnsafeCacheDir", "__version__",
           "default_cache_dir", "register_c_code", "register_lowering", "register_scalar"]
