"""The C runtime module (the executor and loop drivers), built once per machine and cached like any module."""

from __future__ import annotations

import importlib.util
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ..build import Builder, ModuleSource

#: The runtime's parts, concatenated in this order into one translation unit.
SOURCES = ("common.h", "pool.c", "loops.c", "views.c", "blas.c", "program.c", "indexing.c", "dispatch.c", "object.c")

#: Step kinds, as program.c numbers them.
(STEP_ELEMWISE, STEP_REDUCE, STEP_DIMSHUFFLE, STEP_SUBTENSOR, STEP_RESHAPE, STEP_SHAPE, STEP_MATMUL, STEP_PYTHON,
 STEP_ARRAY, STEP_GEMM, STEP_MAKE_VECTOR, STEP_BROADCAST_TO, STEP_ALLOC, STEP_SUM_TO_SHAPE, STEP_INC_SUBTENSOR,
 STEP_TAKE, STEP_ADVANCED_INC, STEP_ROWS, STEP_ARANGE) = range(1, 20)

_LOADED: dict[str, ModuleType] = {}


def runtime_source() -> ModuleSource:
    """The runtime's C. It is compiled at -O1: its own loops are simple copies and index walks, and its build is
    the longest step of a cold start (here 1.5 s at -O1, 2.0 s at -O2, twice that at -O3); the kernels, where
    the arithmetic is, get -O3."""
    here = Path(__file__).parent
    text = "\n".join(f"/* ---- {name} ---- */\n" + (here / name).read_text() for name in SOURCES)
    return ModuleSource(text, "int ag_install(const char *modname);", tag="rt",
                        include_dirs=(np.get_include(),), extra_flags=("-O1", "-D_CFFI_NO_LIMITED_API"))


def load_runtime(builder: Builder) -> ModuleType:
    """The runtime module for ``builder``'s toolchain and cache, built if needed and installed once."""
    built = builder.load(runtime_source())
    module = built.module
    if built.name not in _LOADED:
        if not hasattr(module, "Program") and module.lib.ag_install(built.name.encode()) != 0:
            raise RuntimeError("the Arignote C runtime failed to initialize (see the error printed above)")
        _LOADED[built.name] = module
    return module


def start_runtime(builder: Builder) -> Callable[[], ModuleType]:
    """Start getting the runtime; returns a function that waits for it. When the runtime must be compiled, gcc
    runs in a background thread, so that it overlaps with building the function's own kernels."""
    if builder.cache.lookup(builder.key(runtime_source())) is not None:
        module = load_runtime(builder)
        return lambda: module
    result: dict[str, Any] = {}

    def work() -> None:
        try:
            result["module"] = load_runtime(builder)
        except BaseException as exc:  # handed to the waiting thread
            result["error"] = exc

    thread = threading.Thread(target=work, name="arignote-c-runtime-build", daemon=True)
    thread.start()

    def wait() -> ModuleType:
        thread.join()
        if "error" in result:
            raise result["error"]
        return result["module"]  # type: ignore[no-any-return]

    return wait


_BLAS_READY: set[str] = set()


def ensure_blas(runtime: ModuleType) -> None:
    """Hand SciPy's BLAS function pointers to the runtime (once)."""
    if runtime.__name__ in _BLAS_READY:
        return
    runtime.set_blas(cython_blas_capi())
    _BLAS_READY.add(runtime.__name__)


def cython_blas_capi() -> dict[str, Any]:
    """``scipy.linalg.cython_blas.__pyx_capi__``, without importing all of scipy.linalg when it is not loaded yet.

    The extension module is loaded from its file (0.7 ms instead of the 0.2 s that importing scipy.linalg
    takes); the regular import is the fallback.
    """
    loaded = sys.modules.get("scipy.linalg.cython_blas")
    if loaded is not None:
        return loaded.__pyx_capi__  # type: ignore[no-any-return]
    try:
        found = importlib.util.find_spec("scipy")  # where SciPy is, without running its __init__ (10 ms)
        assert found is not None and found.submodule_search_locations
        folder = os.path.join(list(found.submodule_search_locations)[0], "linalg")
        name = next(f for f in os.listdir(folder) if f.startswith("cython_blas.") and f.endswith((".so", ".pyd")))
        spec = importlib.util.spec_from_file_location("scipy.linalg.cython_blas", os.path.join(folder, name))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.__pyx_capi__  # type: ignore[no-any-return]
    except Exception:
        import scipy.linalg.cython_blas as blas

        return blas.__pyx_capi__  # type: ignore[no-any-return]
