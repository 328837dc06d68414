"""A node planned for the device: its kernels, which inputs it reads from device memory, and the runner that
launches them (``KernelPlan``); what a runner launches with (``LaunchContext``).

Lowering rules (``ops/``) make plans; the program (``program.py``) runs them. A runner packs its kernels'
argument structs, sizes their grids, allocates its outputs from the pool and returns them, or None where the
node must run its NumPy ``perform`` on the host this time (an empty reduction without identity...).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from arignote_core.fgraph import FunctionGraph
from arignote_core.graph import Apply

from .device_array import DeviceArray
from .driver import Driver
from .kernels import DeviceKernel
from .memory import MemoryPool


@dataclass(frozen=True)
class Geometry:
    """Threads per block (a whole number of warps) and the most blocks a launch has."""

    block: int
    max_grid: int


class TooManyDims(Exception):
    """The operands keep more than MAX_DIMS dimensions once merged: the node runs on the host this time."""


@dataclass(frozen=True)
class LaunchContext:
    """One step's launches: the driver and its loaded ``functions`` (by kernel name), the pool outputs come
    from, the launch geometry, and ``err``, the device address of the step's error flag."""

    driver: Driver
    functions: Mapping[str, Any]
    pool: MemoryPool
    geometry: Geometry
    err: int

    def launch(self, kernel: DeviceKernel, grid: int, block: int, args: np.ndarray, shared: int = 0) -> None:
        """Launch ``kernel`` over ``grid`` blocks of ``block`` threads with ``shared`` bytes of dynamic shared
        memory; ``args`` its packed argument struct."""
        self.driver.launch(self.functions[kernel.name], grid, block, shared, args)


#: a mode's rewriter (graph-opt's pipeline): rewrites a FunctionGraph in place; planning applies it to copies of
#: control-flow nodes' inner graphs (``plan_graph``), as the function's graph was before the backend saw it
GraphRewriter = Callable[[FunctionGraph], Any]

#: runs a plan on its input values (device arrays at ``plan.operands``, host values elsewhere)
Runner = Callable[["KernelPlan", Sequence[Any], LaunchContext], "list[DeviceArray] | None"]


@dataclass(frozen=True)
class KernelPlan:
    """A node as kernel launches: its kernels, the positions of the node inputs read from device memory
    (others, such as size-1 constants inlined in a kernel's text, are passed as host values), and its runner."""

    node: Apply
    kernels: tuple[DeviceKernel, ...]
    operands: tuple[int, ...]
    run: Runner
    #: what the report says runs the node on a driver (cuBLAS or a kernel), when the kernels' names do not say
    describe: Callable[[Driver], str] | None = None
