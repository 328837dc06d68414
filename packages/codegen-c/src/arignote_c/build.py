"""Building C into Python extension modules with cffi (API mode) and gcc, through the module cache.

cffi writes the extension's C file (our source plus its wrappers); gcc is called directly on it, once per
module, which avoids setuptools and keeps a build to one compiler run.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from .cache import Entry, ModuleCache, cache_key
from .toolchain import EXTENSION_SUFFIX, Toolchain

#: Bumped when the layout of generated modules changes, so old cache entries are not reused.
FORMAT_VERSION = "arignote-c-1"


class CompileError(RuntimeError):
    """gcc rejected a generated module (a bug in an emitter, or in a user op's C code)."""


@dataclass(frozen=True)
class ModuleSource:
    """The C of one module and the declarations cffi exposes from it."""

    source: str
    cdef: str
    tag: str = "k"
    openmp: bool = False
    include_dirs: tuple[str, ...] = ()
    #: extra compiler flags, e.g. ``-D_CFFI_NO_LIMITED_API`` for a module using CPython's full C API
    extra_flags: tuple[str, ...] = ()

    def flags(self, toolchain: Toolchain) -> tuple[str, ...]:
        return toolchain.flags(self.openmp) + self.extra_flags


@dataclass
class BuiltModule:
    """A loaded module and its cache entry."""

    module: ModuleType
    entry: Entry

    @property
    def name(self) -> str:
        return self.entry.module

    def address(self, symbol: str) -> int:
        """The address of a C function of the module."""
        ffi, lib = self.module.ffi, self.module.lib
        return int(ffi.cast("uintptr_t", ffi.addressof(lib, symbol)))


class Builder:
    """Builds (or finds in the cache) and loads modules for one toolchain and cache."""

    def __init__(self, toolchain: Toolchain, cache: ModuleCache) -> None:
        self.toolchain = toolchain
        self.cache = cache

    def key(self, source: ModuleSource) -> str:
        return cache_key(self.variant(source), source.source, source.cdef)

    def variant(self, source: ModuleSource) -> str:
        """What a module's key depends on besides its source: format, cffi, flags, compiler and CPU. (cffi's
        version comes from its C backend, which loading any module imports anyway; the cffi package itself is
        imported only to build.)"""
        import _cffi_backend

        return cache_key(FORMAT_VERSION, _cffi_backend.__version__, " ".join(source.flags(self.toolchain)),
                         " ".join(source.include_dirs), *self.toolchain.key_parts())[:16]

    def load_cached(self, key: str) -> BuiltModule | None:
        """The module with cache key ``key``, if the cache has it intact."""
        entry = self.cache.lookup(key)
        return None if entry is None else BuiltModule(load_extension(entry.module, entry.path), entry)

    def load(self, source: ModuleSource) -> BuiltModule:
        key = self.key(source)
        name = f"_arignote_{source.tag}_{key[:24]}"
        filename = name + EXTENSION_SUFFIX
        entry = self.cache.get_or_build(key, name, filename, lambda work: self._compile(work, name, filename, source))
        return BuiltModule(load_extension(name, entry.path), entry)

    def _compile(self, work: Path, name: str, filename: str, source: ModuleSource) -> Path:
        import cffi

        ffi = cffi.FFI()
        ffi.cdef(source.cdef)
        ffi.set_source(name, source.source, compiler_verbose=False)  # passed on to cffi's recompile
        c_file = work / f"{name}.c"
        ffi.emit_c_code(str(c_file))
        output = work / filename
        includes = [f"-I{d}" for d in (sysconfig.get_paths()["include"], *source.include_dirs)]
        command = [self.toolchain.cc, *source.flags(self.toolchain), *includes, str(c_file), "-o",
                   str(output), *self.toolchain.libraries()]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            kept = self.cache.root / "failed" / c_file.name
            kept.parent.mkdir(mode=0o700, exist_ok=True)
            kept.write_text(c_file.read_text())
            raise CompileError(f"{Path(self.toolchain.cc).name} failed on a generated module (source kept in "
                               f"{kept}):\n{result.stderr[-4000:]}")
        return output


def load_extension(name: str, path: Path) -> ModuleType:
    """Import the extension module ``name`` from ``path`` (once per process)."""
    if name in sys.modules:
        return sys.modules[name]
    loader = importlib.machinery.ExtensionFileLoader(name, str(path))
    spec = importlib.util.spec_from_file_location(name, str(path), loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    sys.modules[name] = module
    return module
