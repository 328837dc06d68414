"""Modules of kernels compiled to PTX, by NVRTC (preferred) or nvcc, kept in codegen-c's module cache.

An entry is keyed by the module's text, the compiler and version, the architecture and the options, and holds
one ``module.ptx``; PTX is what the driver loads (it compiles it for the device at load time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from arignote_c.cache import ModuleCache, cache_key

from .dialect import CUDA_PREAMBLE
from .errors import CudaUnavailable
from .kernels import DeviceKernel, module_context
from .nvcc import find_nvcc
from .nvrtc import find_nvrtc

#: PTX from an architecture every CUDA 12 and 13 toolkit targets, when no device says which (Ampere)
DEFAULT_ARCH = "compute_80"


class PtxCompiler(Protocol):
    @property
    def identity(self) -> str: ...

    def compile(self, source: str, name: str, options: list[str]) -> str: ...


def find_ptx_compiler(which: str = "auto") -> PtxCompiler:
    """NVRTC (``which`` "nvrtc"), nvcc ("nvcc"), or the first of them found ("auto"); CudaUnavailable if none."""
    found: PtxCompiler | None = None
    if which in ("auto", "nvrtc"):
        found = find_nvrtc()
    if found is None and which in ("auto", "nvcc"):
        found = find_nvcc()
    if found is None:
        raise CudaUnavailable("no CUDA compiler: neither NVRTC (pip install nvidia-cuda-nvrtc-cu12, or a CUDA "
                              "toolkit's libnvrtc) nor nvcc was found" if which == "auto" else
                              f"the CUDA compiler {which!r} was not found")
    return found


def module_text(kernels: Sequence[DeviceKernel]) -> str:
    """A CUDA module: the preamble, the helpers the kernels use, the kernels."""
    return CUDA_PREAMBLE + module_context(kernels).prelude() + "\n\n".join(k.text for k in kernels) + "\n"


@dataclass(frozen=True)
class PtxBuilder:
    """Compiles modules to PTX for ``arch`` (``compute_XY``), through ``cache``."""

    compiler: PtxCompiler
    cache: ModuleCache
    arch: str = DEFAULT_ARCH

    @property
    def options(self) -> list[str]:
        # no fast math: NaN, infinities and division round as NumPy's do
        return [f"--gpu-architecture={self.arch}", "-default-device", "--std=c++17", "--fmad=false"]

    def build(self, source: str) -> str:
        """The PTX of module ``source``."""
        key = cache_key("cuda-ptx", self.compiler.identity, " ".join(self.options), source)

        def compile_into(work: Path) -> Path:
            out = work / "module.ptx"
            out.write_text(self.compiler.compile(source, f"agcu_{key[:12]}", self.options))
            return out

        with self.cache.obtain(key, f"agcu_{key[:12]}", "module.ptx", compile_into) as found:
            return Path(found.loadable).read_text()
