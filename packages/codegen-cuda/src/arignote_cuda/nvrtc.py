"""NVRTC, CUDA's runtime compiler, through ctypes: from the ``nvidia-cuda-nvrtc-cu12`` (or cu13) wheel when one is
installed, else from a CUDA toolkit. It needs no driver and no GPU."""

from __future__ import annotations

import ctypes
import ctypes.util
import importlib.util
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from .errors import CudaCompileError

_LIBRARY = re.compile(r"libnvrtc\.so\.(\d+)(?:\.(\d+))?$")


def _wheel_libraries() -> list[Path]:
    """libnvrtc from the nvidia-* wheels (``nvidia/cuda_nvrtc/lib``, ``nvidia/cu13/lib``), newest first."""
    spec = importlib.util.find_spec("nvidia")
    if spec is None or spec.submodule_search_locations is None:
        return []
    found = [p for root in spec.submodule_search_locations for p in Path(root).glob("*/lib/libnvrtc.so.*")
             if _LIBRARY.search(p.name)]
    return sorted(found, key=_version_of, reverse=True)


def _version_of(path: Path) -> tuple[int, ...]:
    match = _LIBRARY.search(path.name)
    return tuple(int(g) for g in match.groups() if g) if match else ()


def _toolkit_libraries() -> list[Path]:
    homes = [os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"), "/usr/local/cuda"]
    found = [p for home in homes if home for p in sorted(Path(home, "lib64").glob("libnvrtc.so*"))]
    named = ctypes.util.find_library("nvrtc")
    return found + ([Path(named)] if named else [])


@dataclass(frozen=True)
class Nvrtc:
    """A loaded libnvrtc."""

    path: str

    @property
    def _lib(self) -> ctypes.CDLL:
        return _load(self.path)

    @property
    def version(self) -> str:
        major, minor = ctypes.c_int(), ctypes.c_int()
        self._check(self._lib.nvrtcVersion(ctypes.byref(major), ctypes.byref(minor)), "nvrtcVersion")
        return f"{major.value}.{minor.value}"

    @property
    def identity(self) -> str:
        """What compiled PTX depends on besides its source and options."""
        return f"nvrtc {self.version}"

    def compile(self, source: str, name: str, options: list[str]) -> str:
        """The PTX of ``source``; CudaCompileError with NVRTC's log when it is rejected."""
        lib = self._lib
        program = ctypes.c_void_p()
        self._check(lib.nvrtcCreateProgram(ctypes.byref(program), source.encode(), f"{name}.cu".encode(), 0, None,
                                           None), "nvrtcCreateProgram")
        try:
            encoded = [o.encode() for o in options]
            status = lib.nvrtcCompileProgram(program, len(encoded), (ctypes.c_char_p * len(encoded))(*encoded))
            if status != 0:
                raise CudaCompileError(f"NVRTC {self.version} rejected {name}: {self._log(program)}", source)
            size = ctypes.c_size_t()
            self._check(lib.nvrtcGetPTXSize(program, ctypes.byref(size)), "nvrtcGetPTXSize")
            ptx = ctypes.create_string_buffer(size.value)
            self._check(lib.nvrtcGetPTX(program, ptx), "nvrtcGetPTX")
            return ptx.value.decode()
        finally:
            lib.nvrtcDestroyProgram(ctypes.byref(program))

    def _log(self, program: ctypes.c_void_p) -> str:
        size = ctypes.c_size_t()
        self._lib.nvrtcGetProgramLogSize(program, ctypes.byref(size))
        log = ctypes.create_string_buffer(size.value)
        self._lib.nvrtcGetProgramLog(program, log)
        return log.value.decode(errors="replace").strip()

    def _check(self, status: int, call: str) -> None:
        if status != 0:
            self._lib.nvrtcGetErrorString.restype = ctypes.c_char_p
            raise RuntimeError(f"{call} failed: {self._lib.nvrtcGetErrorString(status).decode()}")


@cache
def _load(path: str) -> ctypes.CDLL:
    """The library at ``path``, its builtins (beside it in a wheel, where NVRTC's dlopen by name would not look)
    loaded first."""
    for builtins in sorted(Path(path).parent.glob("libnvrtc-builtins.so.*")):
        ctypes.CDLL(str(builtins), mode=ctypes.RTLD_GLOBAL)
    return ctypes.CDLL(path)


@cache
def find_nvrtc() -> Nvrtc | None:
    """The first libnvrtc that loads: a wheel's (the newest), else a toolkit's; None when there is none."""
    for path in [*_wheel_libraries(), *_toolkit_libraries()]:
        try:
            found = Nvrtc(str(path))
            found.version  # noqa: B018 -- loads the library and checks that it answers
        except (OSError, AttributeError, RuntimeError):
            continue
        return found
    return None
