"""One kernel launch of a planned node on device arrays: operands' strides over the loop, dimensions merged, the
argument struct packed, the grid sized and the outputs allocated (from the pool). The kernel's error flag is the
caller's (``err``, a device pointer), read once the call's kernels are done (``raise_kernel_error``)."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .args import MAX_DIMS
from .device_array import DeviceArray
from .dialect import KERNEL_ERRORS
from .layout import element_strides, merge_dims
from .lowering import KernelPlan
from .memory import MemoryPool

#: launches one kernel: (grid, block, packed argument struct)
Launch = Callable[[int, int, np.ndarray], None]


@dataclass(frozen=True)
class Geometry:
    """Threads per block (a whole number of warps) and the most blocks a launch has."""

    block: int
    max_grid: int


class TooManyDims(Exception):
    """The operands keep more than MAX_DIMS dimensions once merged: the node runs on the host this time."""


def _padded(rows: Sequence[Sequence[int]]) -> np.ndarray:
    table = np.zeros((len(rows), MAX_DIMS), dtype=np.int64)
    for row, values in zip(table, rows, strict=True):
        if len(values) > MAX_DIMS:
            raise TooManyDims
        row[: len(values)] = values
    return table


def raise_kernel_error(flag: int) -> None:
    """The error NumPy would raise for a kernel's error ``flag`` (nothing when it is 0)."""
    for code, kind, message in KERNEL_ERRORS.values():
        if flag & code:
            raise kind(message)


def run_elemwise(plan: KernelPlan, values: Sequence[Any], pool: MemoryPool, geometry: Geometry, launch: Launch,
                 err: int) -> list[DeviceArray]:
    """``values``: the node's inputs, device arrays at ``plan.operands`` (the others are inlined constants)."""
    node = plan.node
    shape = np.broadcast_shapes(*(np.shape(v) for v in values))
    outs = [DeviceArray(pool, shape, np.dtype(o.type.dtype)) for o in node.outputs]
    n = math.prod(shape)
    if n:
        arrays: list[DeviceArray] = [*(values[i] for i in plan.operands), *outs]
        merged, strides = merge_dims(shape, [element_strides(a, shape) for a in arrays])
        args = plan.kernel.layout.pack(n=n, dim=len(merged), shape=_padded([merged])[0], strides=_padded(strides))
        args["ptr"] = [a.pointer for a in arrays]
        args["err"] = err
        launch(min(-(-n // geometry.block), geometry.max_grid), geometry.block, args)
    return outs


def run_reduce(plan: KernelPlan, values: Sequence[Any], pool: MemoryPool, geometry: Geometry, launch: Launch,
               err: int) -> list[DeviceArray] | None:
    """The node's output, or None where NumPy's own reduction must run (an empty one without identity)."""
    node, axes = plan.node, plan.axes or ()
    arrays: list[DeviceArray] = [values[i] for i in plan.operands]
    loop = np.broadcast_shapes(*(a.shape for a in arrays))
    kept = [d for d in range(len(loop)) if d not in axes]
    n, m = math.prod(loop[d] for d in kept), math.prod(loop[d] for d in axes)
    if m == 0 and not plan.empty_ok:
        return None
    strides = [element_strides(a, loop) for a in arrays]
    shape, kept_strides = merge_dims([loop[d] for d in kept], [[s[d] for d in kept] for s in strides])
    rshape, rstrides = merge_dims([loop[d] for d in axes], [[s[d] for d in axes] for s in strides])
    args = plan.kernel.layout.pack(n=n, m=m, dim=len(shape), rdim=len(rshape), shape=_padded([shape])[0],
                                   rshape=_padded([rshape])[0], strides=_padded(kept_strides),
                                   rstrides=_padded(rstrides))
    out = DeviceArray(pool, tuple(loop[d] for d in kept), np.dtype(node.outputs[0].type.dtype))
    if n:
        args["ptr"] = [a.pointer for a in [*arrays, out]]
        args["err"] = err
        launch(min(n, geometry.max_grid), geometry.block, args)
    return [out]
