"""Building C into Python extension modules with cffi (API mode) and gcc, through the module cache.

cffi writes the extension's C file (our source plus its wrappers); gcc is called directly on it, once per
module, which avoids setuptools and keeps a build to one compiler run. The run is bounded by the build timeout
and can be cancelled (compiler_run). A module is loaded once per process, whichever cache it comes from.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
import sysconfig
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType

from .cache import DEFAULT_BUILD_TIMEOUT_S, Entry, ModuleCache, OpenEntry, cache_key
from .compiler_run import run_compiler
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
    include_dirs: tuple[str, ...] = ()
    #: extra compiler flags, e.g. ``-D_CFFI_NO_LIMITED_API`` for a module using CPython's full C API
    extra_flags: tuple[str, ...] = ()

    def flags(self, toolchain: Toolchain) -> tuple[str, ...]:
        return toolchain.flags() + self.extra_flags


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


#: the modules loaded in this process, by cache key
_LOADED: dict[str, BuiltModule] = {}


class Builder:
    """Builds (or finds in the cache) and loads modules for one toolchain and cache; a compiler run, or a wait for
    another process's build of the same module, lasts at most ``timeout`` seconds."""

    def __init__(self, toolchain: Toolchain, cache: ModuleCache, timeout: float = DEFAULT_BUILD_TIMEOUT_S) -> None:
        self.toolchain = toolchain
        self.cache = cache
        self.timeout = timeout

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
        """The module with cache key ``key``, if this process has loaded it or the cache has it intact."""
        loaded = _already_loaded(key)
        if loaded is not None:
            return loaded
        with self.cache.open(key) as found:
            return None if found is None else _load(found)

    def load(self, source: ModuleSource, cancel: threading.Event | None = None) -> BuiltModule:
        """The module of ``source``, compiled if no cache entry has it; ``cancel`` stops a build in progress."""
        key = self.key(source)
        loaded = _already_loaded(key)
        if loaded is not None:
            return loaded
        name = f"_arignote_{source.tag}_{key[:24]}"
        filename = name + EXTENSION_SUFFIX
        with self.cache.obtain(key, name, filename, lambda work: self._compile(work, name, filename, source, cancel),
                               self.timeout, cancel) as found:
            return _load(found)

    def _compile(self, work: Path, name: str, filename: str, source: ModuleSource,
                 cancel: threading.Event | None) -> Path:
        import cffi

        ffi = cffi.FFI()
        ffi.cdef(source.cdef)
        ffi.set_source(name, source.source, compiler_verbose=False)  # passed on to cffi's recompile
        c_file = work / f"{name}.c"
        ffi.emit_c_code(str(c_file))
        output = work / filename
        result = run_compiler(compile_command(self.toolchain, source, c_file, output), self.timeout, cancel,
                              what=f"module {name}")
        if result.returncode != 0:
            raise CompileError(f"{Path(self.toolchain.cc).name} failed on a generated module "
                               f"({self._keep_failed(c_file)}):\n{result.stderr[-4000:]}")
        return output

    def _keep_failed(self, c_file: Path) -> str:
        """Keep the source gcc rejected in ``failed/``, for the bug report; if that fails, say why (the compiler's
        message matters more than the copy)."""
        try:
            return f"source kept in {self.cache.write_note(f'failed/{c_file.name}', c_file.read_text())}"
        except OSError as exc:
            return f"its source could not be kept: {exc}"


def compile_command(toolchain: Toolchain, source: ModuleSource, c_file: Path, output: Path) -> list[str]:
    """The compiler command building ``c_file`` (the C of ``source``) into the extension module ``output``."""
    includes = [f"-I{d}" for d in (sysconfig.get_paths()["include"], *source.include_dirs)]
    return [*toolchain.command, *source.flags(toolchain), *includes, str(c_file), "-o", str(output),
            *toolchain.libraries()]


def _already_loaded(key: str) -> BuiltModule | None:
    loaded = _LOADED.get(key)
    return None if loaded is None else BuiltModule(loaded.module, replace(loaded.entry, built=False))


def _load(found: OpenEntry) -> BuiltModule:
    built = BuiltModule(load_extension(found.entry.module, found.loadable, found.entry.path), found.entry)
    _LOADED[found.entry.key] = built
    return built


def load_extension(name: str, loadable: str, path: Path) -> ModuleType:
    """Import the extension module ``name`` from the file ``loadable`` names (once per process); ``path`` is where
    it lives, for ``__file__``."""
    if name in sys.modules:
        return sys.modules[name]
    loader = importlib.machinery.ExtensionFileLoader(name, loadable)
    spec = importlib.util.spec_from_file_location(name, loadable, loader=loader)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    module.__file__ = str(path)
    sys.modules[name] = module
    return module
