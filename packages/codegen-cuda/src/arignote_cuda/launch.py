"""The runners of elementwise and reduction kernels on device arrays: operands' strides over the loop,
dimensions merged, the argument struct packed, the grid sized and the outputs allocated (from the pool). The
kernel's error flag is the step's (``ctx.err``, a device pointer), read once the call's kernels are done
(``raise_kernel_error``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from .args import MAX_DIMS
from .device_array import DeviceArray
from .dialect import KERNEL_ERRORS
from .kernels import VECTOR_BYTES, vector_width
from .layout import element_strides, merge_dims
from .plan import KernelPlan, LaunchContext, TooManyDims


def padded(rows: Sequence[Sequence[int]]) -> np.ndarray:
    """``rows`` as a table of MAX_DIMS columns, zero-filled (TooManyDims where a row is longer)."""
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


def run_elemwise(plan: KernelPlan, values: Sequence[Any], ctx: LaunchContext) -> list[DeviceArray]:
    """``values``: the node's inputs, device arrays at ``plan.operands`` (the others are inlined constants). The
    kernel takes vectors (``a.vec``) where ``vectorizable`` says so, else single elements."""
    node = plan.node
    shape = np.broadcast_shapes(*(np.shape(v) for v in values))
    outs = [DeviceArray(ctx.pool, shape, np.dtype(o.type.dtype)) for o in node.outputs]
    n = math.prod(shape)
    if n:
        arrays: list[DeviceArray] = [*(values[i] for i in plan.operands), *outs]
        merged, strides = merge_dims(shape, [element_strides(a, shape) for a in arrays])
        vec = vectorizable(arrays, merged, strides)
        args = plan.kernels[0].layout.pack(n=n, dim=len(merged), vec=vec, shape=padded([merged])[0],
                                           strides=padded(strides))
        args["ptr"] = [a.pointer for a in arrays]
        args["err"] = ctx.err
        block = ctx.geometry.block
        units = -(-n // vector_width([a.dtype.name for a in arrays])) if vec else n
        ctx.launch(plan.kernels[0], min(-(-units // block), ctx.geometry.max_grid), block, args)
    return outs


def vectorizable(arrays: Sequence[DeviceArray], merged: Sequence[int], strides: Sequence[Sequence[int]]) -> bool:
    """Whether an elementwise kernel may take vectors: one merged dimension, which every operand steps over
    contiguously (stride 1, its pointer aligned to VECTOR_BYTES) or not at all (stride 0, read as a scalar)."""
    return len(merged) == 1 and all(
        s[0] == 0 or (s[0] == 1 and a.pointer % VECTOR_BYTES == 0) for a, s in zip(arrays, strides, strict=True))


def run_reduce(plan: KernelPlan, values: Sequence[Any], ctx: LaunchContext, axes: tuple[int, ...],
               empty_ok: bool) -> list[DeviceArray] | None:
    """The node's output folded over ``axes``, or None where NumPy's own reduction must run (an empty one,
    ``empty_ok`` False: a reduction without identity)."""
    node = plan.node
    arrays: list[DeviceArray] = [values[i] for i in plan.operands]
    loop = np.broadcast_shapes(*(a.shape for a in arrays))
    kept = [d for d in range(len(loop)) if d not in axes]
    n, m = math.prod(loop[d] for d in kept), math.prod(loop[d] for d in axes)
    if m == 0 and not empty_ok:
        return None
    strides = [element_strides(a, loop) for a in arrays]
    shape, kept_strides = merge_dims([loop[d] for d in kept], [[s[d] for d in kept] for s in strides])
    rshape, rstrides = merge_dims([loop[d] for d in axes], [[s[d] for d in axes] for s in strides])
    args = plan.kernels[0].layout.pack(n=n, m=m, dim=len(shape), rdim=len(rshape), shape=padded([shape])[0],
                                   rshape=padded([rshape])[0], strides=padded(kept_strides),
                                   rstrides=padded(rstrides))
    out = DeviceArray(ctx.pool, tuple(loop[d] for d in kept), np.dtype(node.outputs[0].type.dtype))
    if n:
        args["ptr"] = [a.pointer for a in [*arrays, out]]
        args["err"] = ctx.err
        ctx.launch(plan.kernels[0], min(n, ctx.geometry.max_grid), ctx.geometry.block, args)
    return [out]
