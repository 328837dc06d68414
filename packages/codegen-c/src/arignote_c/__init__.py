"""Arignote codegen-c: the C backend.

Kernel emitter, cffi build, on-disk cache, BLAS through SciPy, and the executor. ``function(..., mode="c")``
finds the backend through the ``arignote.backends`` entry point.
"""

from ._version import __version__
from .backend import CBackend, CompilerWarning
from .build import CompileError
from .cache import ModuleCache, default_cache_dir
from .cache_site import CacheWarning
from .emit.context import Unsupported
from .emit.dialect import C_DIALECT, Dialect
from .emit.scalar import SCALAR_EMITTERS, register_scalar
from .errors import BuildTimeout, CacheUnusable, UnsafeCacheDir
from .export import ExportedC, ExportError, export_c
from .lowering import C_CODE, LOWERINGS, CKernel, register_c_code, register_lowering
from .options import COptions

__all__ = ["BuildTimeout", "C_CODE", "C_DIALECT", "CBackend", "CKernel", "COptions", "CacheUnusable", "CacheWarning",
           "CompileError", "CompilerWarning", "Dialect", "ExportError", "ExportedC", "LOWERINGS", "ModuleCache",
           "SCALAR_EMITTERS", "Unsupported", "UnsafeCacheDir", "__version__", "default_cache_dir", "export_c",
           "register_c_code", "register_lowering", "register_scalar"]
