"""Compiling the kernels of many functions in a few gcc runs: collect first, then build in batches.

``KernelCollector`` is a backend that only emits: ``function(..., mode=Mode(backend=collector))`` records the
kernels the graph needs and runs it on the reference evaluator. ``collector.build(mode)`` then compiles every
recorded kernel the cache lacks, a few hundred per module, so that the same functions compiled afterwards with
the ``c`` backend find all their kernels in the cache. A test suite that compiles thousands of small
functions (the conformance table) takes a handful of gcc runs this way instead of one per function.
"""

from __future__ import annotations

from typing import Any

from arignote_core.evaluator import ReferenceProgram
from arignote_core.fgraph import FunctionGraph
from arignote_core.mode import Mode

from .build import Builder
from .cache_site import cache_site
from .emit.context import EmitContext
from .emit.dialect import C_DIALECT
from .emit.kernels import KernelSource
from .library import KernelLibrary
from .options import COptions
from .program import kernel_module, needed_kernels, plan_steps
from .toolchain import load_toolchain


class KernelCollector:
    """A backend recording the kernels of the graphs it is given (which then run on the reference evaluator)."""

    name = "c-collect"

    def __init__(self) -> None:
        # one context for every graph: helpers accumulate, and kernel texts do not depend on it
        self.context = EmitContext(C_DIALECT)
        self.kernels: dict[str, KernelSource] = {}

    def compile(self, fgraph: FunctionGraph, mode: Mode) -> Any:
        plans, _ = plan_steps(fgraph, self.context)
        self.kernels.update((k.name, k) for k in needed_kernels(plans))
        return ReferenceProgram(fgraph)

    def build(self, mode: Mode, batch: int = 250) -> int:
        """Compile the recorded kernels missing from ``mode``'s cache, ``batch`` per module; returns how many."""
        options = COptions.from_mapping(mode.options)
        cache = cache_site(options.cache_dir).current()
        builder = Builder(load_toolchain(options.cc, options.native, cache), cache, options.build_timeout)
        self.context.vector_math = builder.toolchain.vector_math
        library = KernelLibrary(builder)
        missing = [k for name, k in sorted(self.kernels.items()) if library.find(name) is None]
        for start in range(0, len(missing), batch):
            chunk = missing[start:start + batch]
            library.build(chunk, kernel_module(chunk, self.context))
        return len(missing)
