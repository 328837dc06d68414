"""One kernel launch of a planned node on arrays: operands' strides over the loop, dimensions merged, the argument
struct packed, the grid sized, and the kernel's error flag turned into the error NumPy would raise."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from .args import MAX_DIMS
from .dialect import KERNEL_ERRORS
from .kernels import DeviceKernel
from .layout import element_strides, kernel_ready, merge_dims
from .lowering import KernelPlan


class Launcher(Protocol):
    """Runs kernels: ``launch(kernel, grid, block, args)`` with ``args`` the packed argument struct."""

    def launch(self, kernel: DeviceKernel, grid: int, block: int, args: np.ndarray) -> None: ...


@dataclass(frozen=True)
class Geometry:
    """Threads per block (a whole number of warps) and the most blocks a launch has."""

    block: int
    max_grid: int


class TooManyDims(Exception):
    """The operands keep more than MAX_DIMS dimensions once merged: the node runs on the host this time."""


def _addressable(value: Any, dtype: str) -> np.ndarray:
    array = np.asarray(value, dtype=dtype)
    return array if kernel_ready(array) else np.ascontiguousarray(array)


def _padded(rows: Sequence[Sequence[int]]) -> np.ndarray:
    table = np.zeros((len(rows), MAX_DIMS), dtype=np.int64)
    for row, values in zip(table, rows, strict=True):
        if len(values) > MAX_DIMS:
            raise TooManyDims
        row[: len(values)] = values
    return table


def _raise_kernel_error(flag: int) -> None:
    for code, kind, message in KERNEL_ERRORS.values():
        if flag & code:
            raise kind(message)


def run_elemwise(plan: KernelPlan, values: Sequence[Any], launcher: Launcher, geometry: Geometry) -> list[Any]:
    node = plan.node
    shape = np.broadcast_shapes(*(np.shape(v) for v in values))
    outs = [np.empty(shape, dtype=o.type.dtype) for o in node.outputs]
    n = math.prod(shape)
    if n == 0:
        return outs
    arrays = [_addressable(values[i], node.inputs[i].type.dtype) for i in plan.operands] + outs
    merged, strides = merge_dims(shape, [element_strides(a, shape) for a in arrays])
    err = np.zeros(1, dtype=np.int32)
    args = plan.kernel.layout.pack(n=n, dim=len(merged), shape=_padded([merged])[0], strides=_padded(strides),
                                   ptr=[a.ctypes.data for a in arrays], err=err.ctypes.data)
    launcher.launch(plan.kernel, min(-(-n // geometry.block), geometry.max_grid), geometry.block, args)
    _raise_kernel_error(int(err[0]))
    return outs


def run_reduce(plan: KernelPlan, values: Sequence[Any], launcher: Launcher, geometry: Geometry) -> list[Any] | None:
    """The node's output, or None where NumPy's own reduction must run (an empty one without identity)."""
    node, axes = plan.node, plan.axes or ()
    arrays = [_addressable(values[i], node.inputs[i].type.dtype) for i in plan.operands]
    loop = np.broadcast_shapes(*(a.shape for a in arrays))
    kept = [d for d in range(len(loop)) if d not in axes]
    n, m = math.prod(loop[d] for d in kept), math.prod(loop[d] for d in axes)
    if m == 0 and not plan.empty_ok:
        return None
    out = np.empty(tuple(loop[d] for d in kept), dtype=node.outputs[0].type.dtype)
    if n == 0:
        return [out]
    strides = [element_strides(a, loop) for a in arrays]
    shape, kept_strides = merge_dims([loop[d] for d in kept], [[s[d] for d in kept] for s in strides])
    rshape, rstrides = merge_dims([loop[d] for d in axes], [[s[d] for d in axes] for s in strides])
    err = np.zeros(1, dtype=np.int32)
    args = plan.kernel.layout.pack(n=n, m=m, dim=len(shape), rdim=len(rshape), shape=_padded([shape])[0],
                                   rshape=_padded([rshape])[0], strides=_padded(kept_strides),
                                   rstrides=_padded(rstrides), ptr=[a.ctypes.data for a in [*arrays, out]],
                                   err=err.ctypes.data)
    launcher.launch(plan.kernel, min(n, geometry.max_grid), geometry.block, args)
    _raise_kernel_error(int(err[0]))
    return [out]
