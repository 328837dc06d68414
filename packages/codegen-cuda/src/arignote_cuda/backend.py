"""The ``cuda`` backend (entry point ``arignote.backends``) and the named modes ``cuda`` and ``cuda-emulated``.

Elementwise work and reductions run as CUDA kernels; every other node runs its NumPy ``perform`` on the host
(``lowering.py``; ``f.report()`` lists which and why). The program (``program.py``) runs on a driver: with the
option ``emulate``, ``EmulatedDriver`` (host memory, the kernels run on the CPU by ``emulation/``); without it
``PyCudaDriver`` on a GPU, and CudaUnavailable naming what is missing where there is none.
"""

from __future__ import annotations

from typing import Any

from arignote_c.cache_site import cache_site
from arignote_core.fgraph import FunctionGraph
from arignote_core.mode import Mode
from arignote_opt import standard_rewriter

from .driver import Driver
from .emulation.build import EmulatedLibrary, find_cxx
from .emulation.driver import EmulatedDriver
from .environment import require_gpu
from .options import CudaOptions
from .plan import Geometry
from .program import CudaProgram, plan_graph
from .ptx import DEFAULT_ARCH, PtxBuilder, find_ptx_compiler
from .pycuda_driver import PyCudaDriver


def cuda_mode() -> Mode:
    """The named mode ``"cuda"``: graph-opt's standard rewrites (fusion included) but those lowering the ops this
    backend has row kernels for, then this backend."""
    return Mode(backend=CudaBackend(), rewriter=standard_rewriter(exclude=CudaBackend.skipped_rewrites))


def cuda_emulated_mode() -> Mode:
    """The named mode ``"cuda-emulated"``: as ``"cuda"``, the kernels run on the CPU."""
    return cuda_mode().with_options(emulate=True)


class CudaBackend:
    """Compiles a FunctionGraph into CUDA kernels and host steps (see the module's docstring)."""

    name = "cuda"
    #: graph-opt's rules splitting softmax, log-softmax and logsumexp into max, exp, sum and divide (four passes
    #: over memory): the backend's row kernels do each in one read and one write (``ops/rows.py``)
    skipped_rewrites = ("lower_special",)
    #: options that describe the compiling machine (graph-core leaves them out of a pickled function)
    local_options = ("cache_dir",)

    def compile(self, fgraph: FunctionGraph, mode: Mode) -> Any:
        options = CudaOptions.from_mapping(mode.options)
        driver: Driver
        cache = cache_site(options.cache_root).current()
        if options.emulate:
            driver, where = EmulatedDriver(EmulatedLibrary(cache, find_cxx(), options.build_timeout)), \
                "emulated on the CPU"
        else:
            require_gpu(options.compiler)
            gpu = PyCudaDriver(PtxBuilder(find_ptx_compiler(options.compiler), cache, options.arch or DEFAULT_ARCH))
            driver, where = gpu, gpu.name
        steps, reasons = plan_graph(fgraph, mode.rewriter)  # inner graphs rewritten as fgraph was
        geometry = Geometry(options.threads_per_block, options.grid_limit)
        return CudaProgram(fgraph, steps, reasons, driver, geometry, where, options.outputs,
                           shared_on_device=options.shared_on_device)
