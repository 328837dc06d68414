"""The C runtime module (the executor and loop drivers): prebuilt with the install, else built once per machine and
cached like any module."""

from __future__ import annotations

import functools
import importlib.util
import os
import sys
import threading
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np

from ..build import Builder, ModuleSource, load_extension
from ..toolchain import BASE_FLAGS, EXTENSION_SUFFIX
from .source import CDEF, EXTRA_FLAGS, StepKind, prebuilt_path, runtime_text

__all__ = ["StepKind", "PendingRuntime", "kernel_services", "load_runtime", "loaded_runtime", "prebuilt_runtime",
           "runtime_source", "services_header"]

_LOADED: dict[str, ModuleType] = {}


def runtime_source() -> ModuleSource:
    """The runtime's C, as the module cache builds it (with the toolchain's flags, then source.EXTRA_FLAGS)."""
    return ModuleSource(runtime_text(), CDEF, tag="rt", include_dirs=(np.get_include(),), extra_flags=EXTRA_FLAGS)


@functools.cache
def prebuilt_runtime() -> ModuleType | None:
    """The runtime this install was built with (the wheel's build hook), when it has one for this source and this
    interpreter and it loads; else None, and the runtime is built into the module cache."""
    path = prebuilt_path(BASE_FLAGS, EXTENSION_SUFFIX)
    if not path.is_file():
        return None
    name = path.name[:-len(EXTENSION_SUFFIX)]
    try:
        return _install(name, load_extension(name, str(path), path))
    except (ImportError, RuntimeError):  # built against another NumPy or cffi: the cache builds one that fits
        return None


def load_runtime(builder: Builder, cancel: threading.Event | None = None) -> ModuleType:
    """The runtime module for ``builder``'s toolchain and cache, built if needed and installed once."""
    built = builder.load(runtime_source(), cancel)
    return _install(built.name, built.module)


def _install(name: str, module: ModuleType) -> ModuleType:
    if name not in _LOADED:
        if not hasattr(module, "Program") and module.lib.ag_install(name.encode()) != 0:
            raise RuntimeError("the Arignote C runtime failed to initialize (see the error printed above)")
        _LOADED[name] = module
    return module


class PendingRuntime:
    """The runtime module for a builder: at hand when the install has one (``prebuilt``) or the cache does, else
    compiled in a background thread, so that gcc overlaps with building the function's own kernels. Whoever
    starts one calls ``wait`` or ``cancel``: a cancelled build kills its compiler and removes its temporary
    directory before ``cancel`` returns, so that a function whose own build failed leaves no thread, process or
    directory behind."""

    def __init__(self, builder: Builder, prebuilt: bool = True) -> None:
        self._module = prebuilt_runtime() if prebuilt else None
        if self._module is None:
            cached = builder.load_cached(builder.key(runtime_source()))
            self._module = None if cached is None else _install(cached.name, cached.module)
        self._error: BaseException | None = None
        self._cancel = threading.Event()
        self._thread: threading.Thread | None = None
        if self._module is None:
            self._thread = threading.Thread(target=self._build, args=(builder,), name="arignote-c-runtime-build",
                                            daemon=True)
            self._thread.start()

    def _build(self, builder: Builder) -> None:
        try:
            self._module = load_runtime(builder, self._cancel)
        except BaseException as exc:  # handed to the waiting thread
            self._error = exc

    @property
    def building(self) -> bool:
        """Whether the runtime is being compiled (a compiler process runs for it)."""
        return self._thread is not None and self._thread.is_alive()

    def wait(self) -> ModuleType:
        """The runtime module, once built; the build's error if it failed."""
        if self._thread is not None:
            self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._module is not None
        return self._module

    def cancel(self) -> None:
        """Stop a build in progress and wait until it has cleaned up."""
        self._cancel.set()
        if self._thread is not None:
            self._thread.join()


def services_header() -> str:
    """The C declarations of the services the runtime offers user kernels (services.h) and the kernels' loader of
    them (services_client.h: ``ag_load_services``, ``ag_kernel_threads``), include-guarded: a kernel module
    carrying this text can use the capsule ``kernel_services()`` returns."""
    here = Path(__file__).parent
    return "\n".join((here / name).read_text() for name in ("services.h", "services_client.h"))


def kernel_services() -> Any:
    """The capsule of the loaded runtime's service table (``ag_services`` in services.h): its thread pool, the
    running step's thread count and GEMM (its BLAS handed over here if no product of a program has yet). User
    kernels run inside a program, so a runtime is loaded."""
    runtime = loaded_runtime()
    ensure_blas(runtime)
    return runtime.services


def loaded_runtime() -> ModuleType:
    """The runtime module this process loaded (its first, when toolchains differed): a compiled function ran."""
    if not _LOADED:
        raise RuntimeError("the Arignote C runtime is not loaded: user kernels run inside a compiled function")
    return next(iter(_LOADED.values()))


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
        return loaded.__pyx_capi__
    try:
        found = importlib.util.find_spec("scipy")  # where SciPy is, without running its __init__ (10 ms)
        assert found is not None and found.submodule_search_locations
        folder = os.path.join(list(found.submodule_search_locations)[0], "linalg")
        name = next(f for f in os.listdir(folder) if f.startswith("cython_blas.") and f.endswith((".so", ".pyd")))
        spec = importlib.util.spec_from_file_location("scipy.linalg.cython_blas", os.path.join(folder, name))
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.__pyx_capi__
    except Exception:
        import scipy.linalg.cython_blas as blas  # noqa: PLC0415  (the fallback: scipy.linalg costs 0.2 s)

        return blas.__pyx_capi__
