"""Compiling the kernels of many functions in a few compiler runs: collect first, then build in batches.

``KernelCollector`` is a backend that only plans: ``function(..., mode=Mode(backend=collector))`` records the
kernels the graph needs and runs it on the reference evaluator. Its kernels then compile a few hundred per
module, to PTX (``compile_ptx``) or for the emulation (``build_emulated``), so that a test suite compiling
thousands of small functions (the conformance table) runs the compiler a handful of times.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from arignote_c.cache_site import cache_site
from arignote_core.evaluator import ReferenceProgram
from arignote_core.fgraph import FunctionGraph
from arignote_core.mode import Mode

from .emulation.build import EmulatedLibrary, find_cxx
from .kernels import DeviceKernel
from .options import CudaOptions
from .program import plan_graph
from .ptx import PtxBuilder, module_text


class KernelCollector:
    """A backend recording the kernels of the graphs it is given (which then run on the reference evaluator)."""

    name = "cuda-collect"

    def __init__(self) -> None:
        self.kernels: dict[str, DeviceKernel] = {}

    def compile(self, fgraph: FunctionGraph, mode: Mode) -> Any:
        steps, _ = plan_graph(fgraph)
        self.kernels.update((kernel.name, kernel) for _, plan in steps if plan is not None for kernel in plan.kernels)
        return ReferenceProgram(fgraph)

    def batches(self, size: int) -> Iterator[list[DeviceKernel]]:
        ordered = [self.kernels[name] for name in sorted(self.kernels)]
        for start in range(0, len(ordered), size):
            yield ordered[start:start + size]


def build_emulated(kernels: Sequence[DeviceKernel], mode: Mode, batch: int = 200, jobs: int = 2) -> int:
    """Compile the emulated kernels missing from ``mode``'s cache, ``batch`` per module, ``jobs`` modules at a
    time; returns how many were compiled."""
    options = CudaOptions.from_mapping(mode.options)
    library = EmulatedLibrary(cache_site(options.cache_root).current(), find_cxx(), options.build_timeout)
    missing = [k for k in kernels if library.launcher(k.name) is None]
    chunks = [missing[start:start + batch] for start in range(0, len(missing), batch)]
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        list(pool.map(library.build, chunks))
    return len(missing)


def compile_ptx(kernels: Sequence[DeviceKernel], builder: PtxBuilder, batch: int = 200, jobs: int = 2
                ) -> list[tuple[list[DeviceKernel], str]]:
    """Each batch of ``kernels`` with the PTX of its module."""
    chunks = [list(kernels[start:start + batch]) for start in range(0, len(kernels), batch)]
    with ThreadPoolExecutor(max(1, jobs)) as pool:
        return list(zip(chunks, pool.map(lambda chunk: builder.build(module_text(chunk)), chunks), strict=True))
