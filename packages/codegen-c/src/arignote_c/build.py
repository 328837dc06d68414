"""Building C into modules with gcc, through the module cache: Python extension modules (cffi, API mode) or plain
shared libraries.

For an extension module cffi writes the C file (our source plus its wrappers); a plain library (kernels that do
not use CPython's C API) is our source alone, without Python.h or wrappers, which halves its compile time. gcc
is called directly on the file, once per module, which avoids setuptools and keeps a build to one compiler run.
The run is bounded by the build timeout and can be cancelled (compiler_run). A module is loaded once per
process, whichever cache it comes from: an extension module imported, a plain library opened with dlopen.
"""

from __future__ import annotations

import ctypes
import errno
import importlib.machinery
import importlib.util
import os
import sys
import sysconfig
import threading
from dataclasses import dataclass, replace
from pathlib import Path
from types import ModuleType
from typing import Any

import _cffi_backend

from .cache import DEFAULT_BUILD_TIMEOUT_S, Entry, ModuleCache, OpenEntry, cache_key
from .compiler_run import run_compiler
from .errors import CacheUnusable
from .toolchain import EXTENSION_SUFFIX, Toolchain

#: Bumped when the layout of generated modules changes, so old cache entries are not reused.
FORMAT_VERSION = "arignote-c-1"
#: the file name ending of a plain shared library (an extension module's is EXTENSION_SUFFIX)
LIBRARY_SUFFIX = ".so"
#: how often loading an entry is tried again when the entry is removed (a clear) between opening and loading it
LOAD_ATTEMPTS = 3


class EntryVanished(Exception):
    """A cache entry's library was removed (a concurrent clear) after its entry was opened, before it loaded."""


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
    #: a Python extension module (its functions callable through cffi, CPython's C API at hand); else a plain
    #: shared library whose functions are only called through their addresses
    python: bool = True

    def flags(self, toolchain: Toolchain) -> tuple[str, ...]:
        return toolchain.flags() + self.extra_flags

    @property
    def suffix(self) -> str:
        return EXTENSION_SUFFIX if self.python else LIBRARY_SUFFIX


class SharedLibrary:
    """A plain shared library, opened with dlopen (its own symbols first: RTLD_LOCAL) and never closed."""

    def __init__(self, name: str, loadable: str) -> None:
        self.__name__ = name
        self._library = ctypes.CDLL(loadable, mode=os.RTLD_LOCAL)

    def defines(self, symbol: str) -> bool:
        return hasattr(self._library, symbol)

    def address(self, symbol: str) -> int:
        return ctypes.cast(getattr(self._library, symbol), ctypes.c_void_p).value or 0


@dataclass
class BuiltModule:
    """A loaded module and its cache entry."""

    module: Any  # ModuleType (an extension module) or SharedLibrary
    entry: Entry

    @property
    def name(self) -> str:
        return self.entry.module

    def defines(self, symbol: str) -> bool:
        """Whether the module has a C function named ``symbol``."""
        if isinstance(self.module, SharedLibrary):
            return self.module.defines(symbol)
        return hasattr(self.module.lib, symbol)

    def address(self, symbol: str) -> int:
        """The address of a C function of the module."""
        if isinstance(self.module, SharedLibrary):
            return self.module.address(symbol)
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
        return cache_key(FORMAT_VERSION, _cffi_backend.__version__, " ".join(source.flags(self.toolchain)),
                         " ".join(source.include_dirs), source.suffix, *self.toolchain.key_parts())[:16]

    def load_cached(self, key: str) -> BuiltModule | None:
        """The module with cache key ``key``, if this process has loaded it or the cache has it intact."""
        loaded = _already_loaded(key)
        if loaded is not None:
            return loaded
        with self.cache.open(key) as found:
            try:
                return None if found is None else _load(found)
            except EntryVanished:
                return None  # cleared meanwhile: the caller builds it again

    def load(self, source: ModuleSource, cancel: threading.Event | None = None) -> BuiltModule:
        """The module of ``source``, compiled if no cache entry has it; ``cancel`` stops a build in progress."""
        key = self.key(source)
        loaded = _already_loaded(key)
        if loaded is not None:
            return loaded
        name = f"_arignote_{source.tag}_{key[:24]}"
        filename = name + source.suffix
        for _ in range(LOAD_ATTEMPTS):
            with self.cache.obtain(key, name, filename,
                                   lambda work: self._compile(work, name, filename, source, cancel),
                                   self.timeout, cancel) as found:
                try:
                    return _load(found)
                except EntryVanished:
                    continue  # cleared between opening and loading: found again, or built again
        raise CacheUnusable(errno.ENOENT, f"cache entry {key[:16]} in {self.cache.root} was removed while it was "
                            f"being loaded, {LOAD_ATTEMPTS} times in a row")

    def _compile(self, work: Path, name: str, filename: str, source: ModuleSource,
                 cancel: threading.Event | None) -> Path:
        c_file = work / f"{name}.c"
        if source.python:
            import cffi  # noqa: PLC0415  (only to build extension modules: 0.1 s to import)

            ffi = cffi.FFI()
            ffi.cdef(source.cdef)
            ffi.set_source(name, source.source, compiler_verbose=False)  # passed on to cffi's recompile
            ffi.emit_c_code(str(c_file))
        else:
            c_file.write_text(source.source)
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
    """The compiler command building ``c_file`` (the C of ``source``) into the module ``output``."""
    python_include = (sysconfig.get_paths()["include"],) if source.python else ()
    includes = [f"-I{d}" for d in (*python_include, *source.include_dirs)]
    return [*toolchain.command, *source.flags(toolchain), *includes, str(c_file), "-o", str(output),
            *toolchain.libraries()]


def _already_loaded(key: str) -> BuiltModule | None:
    loaded = _LOADED.get(key)
    return None if loaded is None else BuiltModule(loaded.module, replace(loaded.entry, built=False))


def _load(found: OpenEntry) -> BuiltModule:
    """Load an open entry; EntryVanished when its file was removed meanwhile (the dynamic loader opens it by
    name, through its folder's descriptor), any other failure as it is."""
    module: ModuleType | SharedLibrary
    try:
        if found.loadable.endswith(EXTENSION_SUFFIX):
            module = load_extension(found.entry.module, found.loadable, found.entry.path)
        else:
            module = SharedLibrary(found.entry.module, found.loadable)
    except (ImportError, OSError) as exc:
        if os.path.exists(found.loadable):
            raise
        raise EntryVanished(found.entry.key) from exc
    built = BuiltModule(module, found.entry)
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
