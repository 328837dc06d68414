"""The kernel library: every compiled kernel by name (a hash of its source), across modules and processes.

A function needs a set of kernels; those compiled before (by any function, in any process sharing the cache)
are found through an index in the cache directory, and only the others are compiled, in one new module. So a
changed graph recompiles only its new kernels, and a warm start loads modules without running gcc.

Index layout: ``<root>/kernels/<variant>/<name[-2:]>/<name>`` (the variant: flags, compiler, CPU) holds the cache
key of the module defining the kernel; it is written (atomically, as a note of the cache) after the module is
published. An index entry whose module is gone (a cleared cache) is just a kernel to compile again.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .build import Builder, BuiltModule, ModuleSource
from .emit.kernels import KernelSource

#: kernels loaded in this process, by cache root, variant and kernel name
_LOADED: dict[tuple[Path, str, str], BuiltModule] = {}


class KernelLibrary:
    """Finds compiled kernels and compiles missing ones, for one builder (toolchain and cache)."""

    def __init__(self, builder: Builder) -> None:
        self.builder = builder
        self.root = builder.cache.root
        # kernels compiled with other flags or another compiler are other kernels
        self.variant = builder.variant(ModuleSource("", ""))

    def _index_note(self, name: str) -> str:
        return f"kernels/{self.variant}/{name[-2:]}/{name}"

    def find(self, name: str) -> BuiltModule | None:
        """The loaded module defining kernel ``name``, if it was compiled before (with this toolchain)."""
        found = _LOADED.get((self.root, self.variant, name))
        if found is not None:
            return found
        key = self.builder.cache.read_note(self._index_note(name))
        if key is None:
            return None
        module = self.builder.load_cached(key.strip())
        if module is None or not module.defines(name):
            return None
        _LOADED[(self.root, self.variant, name)] = module
        return module

    def build(self, kernels: Sequence[KernelSource], source: ModuleSource) -> BuiltModule:
        """Compile ``source`` (which defines ``kernels``) and index its kernels."""
        module = self.builder.load(source)
        for kernel in kernels:
            _LOADED[(self.root, self.variant, kernel.name)] = module
            note = self._index_note(kernel.name)
            if self.builder.cache.read_note(note) != module.entry.key:
                self.builder.cache.write_note(note, module.entry.key)
        return module
