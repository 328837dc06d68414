"""The ``cuda`` backend (entry point ``arignote.backends``) and the named modes ``cuda`` and ``cuda-emulated``.

Elementwise work and reductions run as CUDA kernels; every other node runs its NumPy ``perform`` on the host
(``lowering.py``; ``f.report()`` lists which and why). With the option ``emulate`` the kernels run on the CPU
(``emulation/``); without it the backend needs a GPU, and raises CudaUnavailable naming what is missing.
"""

from __future__ import annotations

from typing import Any

from arignote_c.cache_site import cache_site
from arignote_core.fgraph import FunctionGraph
from arignote_core.mode import Mode
from arignote_opt import standard_rewriter

from .emulation.build import EmulatedLibrary, find_cxx
from .emulation.launcher import EmulatedLauncher
from .environment import require_gpu
from .launch import Geometry
from .options import CudaOptions
from .program import CudaProgram, plan_graph


def cuda_mode() -> Mode:
    """The named mode ``"cuda"``: graph-opt's standard rewrites (fusion included), then this backend."""
    return Mode(backend=CudaBackend(), rewriter=standard_rewriter())


def cuda_emulated_mode() -> Mode:
    """The named mode ``"cuda-emulated"``: as ``"cuda"``, the kernels run on the CPU."""
    return cuda_mode().with_options(emulate=True)


class CudaBackend:
    """Compiles a FunctionGraph into CUDA kernels and host steps (see the module's docstring)."""

    name = "cuda"
    #: options that describe the compiling machine (graph-core leaves them out of a pickled function)
    local_options = ("cache_dir",)

    def compile(self, fgraph: FunctionGraph, mode: Mode) -> Any:
        options = CudaOptions.from_mapping(mode.options)
        if not options.emulate:
            require_gpu(options.compiler)
        steps, reasons = plan_graph(fgraph)
        library = EmulatedLibrary(cache_site(options.cache_root).current(), find_cxx(), options.build_timeout)
        launcher = EmulatedLauncher(library)
        launcher.prepare(plan.kernel for _, plan in steps if plan is not None)
        geometry = Geometry(options.threads_per_block, options.grid_limit)
        return CudaProgram(fgraph, steps, reasons, launcher, geometry, "emulated on the CPU")
