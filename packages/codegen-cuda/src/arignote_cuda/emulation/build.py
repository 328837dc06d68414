"""Emulated modules: the kernels' text compiled as C++ (g++) with the emulation header, cached and indexed.

Each kernel ``k`` gets a launcher ``k_launch(grid, block, args)`` (``header.h``'s ``ag_emu_launch``). Kernels are
found by name through an index in the cache, as codegen-c's kernel library finds its own, so a kernel compiled
by any function or process before is loaded, not compiled again.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path

from arignote_c.build import SharedLibrary
from arignote_c.cache import ModuleCache, cache_key
from arignote_c.compiler_run import run_compiler

from ..dialect import ERROR_ENUM
from ..errors import CudaCompileError, CudaUnavailable
from ..kernels import DeviceKernel, module_context

FLAGS = ("-O1", "-std=gnu++17", "-shared", "-fPIC", "-ffp-contract=off", "-fno-math-errno", "-w")
#: a launcher: (grid, block, address of the argument struct) -> 0, or a negative AG_EMU_* code
Launcher = Callable[[int, int, int], int]
_PROTOTYPE = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p)
#: emulated launches share the modules' globals (the thread hierarchy): one at a time in a process
LAUNCH_LOCK = threading.Lock()


@cache
def header() -> str:
    return files(__package__).joinpath("header.h").read_text()


def find_cxx() -> str:
    """``$CXX``, else g++, else c++; CudaUnavailable when none is found."""
    for name in (os.environ.get("CXX"), "g++", "c++"):
        found = name and shutil.which(name)
        if found:
            return found
    raise CudaUnavailable("the CUDA emulation needs a C++ compiler: none found ($CXX, g++, c++)")


def emulated_text(kernels: Sequence[DeviceKernel]) -> str:
    launchers = [f"static void {k.name}_body(const void *a) {{ {k.name}(*(const {k.name}_args *)a); }}\n"
                 f"extern \"C\" int {k.name}_launch(unsigned g, unsigned b, const void *a) "
                 f"{{ return ag_emu_launch(g, b, {k.name}_body, a); }}" for k in kernels]
    parts = [header(), ERROR_ENUM, module_context(kernels).prelude(), *(k.text for k in kernels), *launchers]
    return "\n".join(parts) + "\n"


@dataclass
class EmulatedLibrary:
    """Emulated kernels by name, in ``cache``, compiled by ``cxx`` within ``timeout`` seconds."""

    cache: ModuleCache
    cxx: str
    timeout: float = 600.0
    _loaded: dict[str, SharedLibrary] = field(default_factory=dict)

    @property
    def variant(self) -> str:
        return cache_key("cuda-emulated", self.cxx, " ".join(FLAGS), header())[:16]

    def _note(self, name: str) -> str:
        return f"cuda/emulated/{self.variant}/{name[-2:]}/{name}"

    def launcher(self, name: str) -> Launcher | None:
        """The launcher of kernel ``name`` if it was compiled before, else None."""
        library = self._loaded.get(name)
        if library is None:
            key = self.cache.read_note(self._note(name))
            library = self._load(key.strip()) if key else None
            if library is None or not library.defines(f"{name}_launch"):
                return None
            self._loaded[name] = library
        launch: Launcher = _PROTOTYPE(library.address(f"{name}_launch"))
        return launch

    def build(self, kernels: Sequence[DeviceKernel]) -> None:
        """Compile ``kernels`` into one module and index them."""
        source = emulated_text(kernels)
        key = cache_key(self.variant, source)

        module = f"agcu_emu_{key[:16]}"

        def compile_into(work: Path) -> Path:
            cpp, library = work / f"{module}.cpp", work / f"{module}.so"
            cpp.write_text(source)
            done = run_compiler([self.cxx, *FLAGS, str(cpp), "-o", str(library)], self.timeout,
                                what=f"an emulated CUDA module of {len(kernels)} kernels")
            if done.returncode != 0:
                raise CudaCompileError(f"{self.cxx} rejected an emulated CUDA module: {done.stderr[-4000:]}",
                                       source)
            return library

        # a file name of its own: the dynamic loader takes a path it has loaded before for the same library
        with self.cache.obtain(key, module, f"{module}.so", compile_into) as found:
            library = SharedLibrary(module, found.loadable)
        for kernel in kernels:
            self._loaded[kernel.name] = library
            note = self._note(kernel.name)
            if self.cache.read_note(note) != key:
                self.cache.write_note(note, key)

    def _load(self, key: str) -> SharedLibrary | None:
        with self.cache.open(key) as found:
            return None if found is None else SharedLibrary(found.entry.module, found.loadable)
