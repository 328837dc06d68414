"""cuBLAS through ctypes: from the ``nvidia-cublas-cu12`` wheel (``nvidia/cublas/lib``, or ``nvidia/cu13/lib``)
when one is installed, else from a CUDA toolkit. Loading it needs no GPU; a handle (``CuBlas``) needs the
device's context, current (``PyCudaDriver`` makes one once, on the default stream the backend's launches use)."""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

_LIBRARY = re.compile(r"libcublas\.so\.(\d+)(?:\.(\d+))?$")
#: cublasOperation_t
_OP = {False: 0, True: 1}
#: cublasGetProperty's MAJOR_VERSION, MINOR_VERSION, PATCH_LEVEL
_PROPERTIES = (0, 1, 2)


def _version_of(path: Path) -> tuple[int, ...]:
    match = _LIBRARY.search(path.name)
    return tuple(int(g) for g in match.groups() if g) if match else ()


def _wheel_libraries() -> list[Path]:
    spec = importlib.util.find_spec("nvidia")
    if spec is None or spec.submodule_search_locations is None:
        return []
    found = [p for root in spec.submodule_search_locations for p in Path(root).glob("*/lib/libcublas.so.*")
             if _LIBRARY.search(p.name)]
    return sorted(found, key=_version_of, reverse=True)


def _toolkit_libraries() -> list[Path]:
    homes = [os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"]
    found = [p for home in homes if home for p in sorted(Path(home, "lib64").glob("libcublas.so*"))]
    named = ctypes.util.find_library("cublas")
    return found + ([Path(named)] if named else [])


@cache
def _load(path: str) -> ctypes.CDLL:
    """The library at ``path``, with libcublasLt beside it loaded first (a wheel's loader path may not find it)."""
    for lt in sorted(Path(path).parent.glob("libcublasLt.so.*")):
        ctypes.CDLL(str(lt), mode=ctypes.RTLD_GLOBAL)
    return ctypes.CDLL(path)


@dataclass(frozen=True)
class CublasLibrary:
    """A loaded libcublas: its path and version (``cublasGetProperty``, which needs no device)."""

    path: str

    @property
    def lib(self) -> Any:
        """The library, loaded once per process."""
        return _load(self.path)

    @property
    def version(self) -> str:
        """``major.minor.patch``."""
        parts = []
        for prop in _PROPERTIES:
            value = ctypes.c_int()
            if self.lib.cublasGetProperty(prop, ctypes.byref(value)) != 0:
                raise RuntimeError("cublasGetProperty failed")
            parts.append(str(value.value))
        return ".".join(parts)


@cache
def find_cublas() -> CublasLibrary | None:
    """The first libcublas that loads: a wheel's (the newest), else a toolkit's; None when there is none."""
    for path in [*_wheel_libraries(), *_toolkit_libraries()]:
        try:
            found = CublasLibrary(str(path))
            found.version  # noqa: B018 -- loads the library and checks that it answers
        except (OSError, AttributeError, RuntimeError):
            continue
        return found
    return None


class CublasError(RuntimeError):
    """A cuBLAS call returned a status other than CUBLAS_STATUS_SUCCESS."""


class CuBlas:
    """The ``Blas`` of a driver: one cuBLAS handle on ``lib`` (a ctypes library, or an object with its functions),
    created in the current context, on the default stream; it lives as long as the process, as the retained
    context it belongs to does."""

    def __init__(self, lib: Any) -> None:
        self.lib = lib
        self.handle = ctypes.c_void_p()
        self._check(lib.cublasCreate_v2(ctypes.byref(self.handle)), "cublasCreate_v2")

    def _check(self, status: int, call: str) -> None:
        if status != 0:
            raise CublasError(f"{call} failed with cuBLAS status {status}")

    def gemm(self, dtype: str, trans_a: bool, trans_b: bool, m: int, n: int, k: int, alpha: float, a: int,
             lda: int, b: int, ldb: int, beta: float, c: int, ldc: int) -> None:
        """``cublasSgemm_v2`` or ``cublasDgemm_v2`` (alpha and beta passed by host pointer, cuBLAS's default)."""
        scalar: type[ctypes.c_float | ctypes.c_double]
        if dtype == "float32":
            call, scalar = "cublasSgemm_v2", ctypes.c_float
        elif dtype == "float64":
            call, scalar = "cublasDgemm_v2", ctypes.c_double
        else:
            raise TypeError(f"cuBLAS GEMM computes in float32 or float64, not {dtype}")
        status = getattr(self.lib, call)(self.handle, _OP[trans_a], _OP[trans_b], ctypes.c_int(m), ctypes.c_int(n),
                                         ctypes.c_int(k), ctypes.byref(scalar(alpha)), ctypes.c_void_p(a),
                                         ctypes.c_int(lda), ctypes.c_void_p(b), ctypes.c_int(ldb),
                                         ctypes.byref(scalar(beta)), ctypes.c_void_p(c), ctypes.c_int(ldc))
        self._check(status, call)
