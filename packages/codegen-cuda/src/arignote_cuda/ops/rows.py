"""``Softmax``, ``LogSoftmax`` and ``LogSumExp`` as row kernels: one kernel per node, the row read from global
memory once.

The op's axes are the row; the other axes enumerate the rows (both merged as ``launch.py`` merges dimensions,
so strided, transposed and broadcast inputs are read where they lie). Each row takes three passes, as codegen-c's
row kernels (``arignote_c.lowering.rows``) do, with the same numerical recipe, so the results are NumPy's:

1. the row's max, NaN winning; the shift is that max where it is finite, else 0 (the reference's ``_shifted``:
   a row with NaN, +inf or only -inf gets what the naive formula gives);
2. the sum of ``exp(x - shift)``, accumulated in double for float32 too (as the C backend does);
3. ``exp(x - shift) * (1 / sum)`` (softmax), ``(x - shift) - log(sum)`` (log-softmax) or, once per row,
   ``shift + log(sum)`` (logsumexp).

Who takes a row: rows of at most ``WARP_ROW`` elements take one warp each (``blockDim.x / 32`` rows per block at a
time), longer rows a whole block. A block on a short row would leave most of its threads idle and pay two
barriers per row, where a warp reduces with shuffles alone; a long row split over a block's threads is read by
all of them at once, coalesced (W2's 8192-element rows: 32 elements for each of 256 threads). Either way the
reduction is a warp butterfly (``__shfl_xor_sync``, which leaves the result in every lane); a block then
combines its warps' results through shared memory behind one barrier (two arrays of partial results, one per
reduction, so the next row's writes wait for the barrier of the row before).

Memory traffic: pass 1 keeps the row in static shared memory (``CACHE_BYTES``: 8192 float32 or 4096 float64
elements for a block's row, an equal share for each warp's), and passes 2 and 3 read it from there, so a row is
read from global memory once and written once, as a copy is (what W2, a float32 softmax of 8192 x 8192 at 70%
of copy bandwidth, needs). Each thread reads back only the slots it wrote itself, so the cache needs no barrier.
Longer rows are read three times. Grids are grid-stride loops over rows, correct for any grid size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from arignote_c.emit.context import EmitContext, Unsupported
from arignote_core.graph import Apply
from arignote_core.tensors.special import LogSoftmax, LogSumExp, Softmax

from ..args import MAX_DIMS, ArgLayout, Field
from ..device_array import DeviceArray
from ..kernels import DeviceKernel, _indent, _named, _offsets
from ..launch import padded
from ..layout import element_strides, merge_dims
from ..plan import KernelPlan, LaunchContext
from ..registry import register_lowering

#: rows of at most this many elements take a warp each (8 per lane); longer ones a block
WARP_ROW = 256
#: the static shared memory each block keeps rows in
CACHE_BYTES = 32 * 1024


def rows_layout(strided: int) -> ArgLayout:
    """``n`` rows of ``m`` elements: the rows over the kept dimensions (``dim``, ``shape``, ``strides``), the
    elements over the row's (``rdim``, ``rshape``, ``rstrides``), strides for ``strided`` operands (the input,
    and the output of softmax and log-softmax; logsumexp's output is contiguous, one element per row);
    ``per_warp``: 1 where a warp takes a row, 0 where a block does; pointers: input, output."""
    return ArgLayout((Field("n"), Field("m"), Field("dim"), Field("rdim"), Field("per_warp"),
                      Field("shape", (MAX_DIMS,)), Field("rshape", (MAX_DIMS,)),
                      Field("strides", (strided, MAX_DIMS)), Field("rstrides", (strided, MAX_DIMS)),
                      Field("ptr", (2,), True)))


def _reduce(variable: str, combine: str, identity: str, partials: str, what: str) -> list[str]:
    """Statements leaving ``variable`` reduced over the row's threads in every thread: a warp butterfly, then
    (a block per row) the warps' results through shared ``partials`` behind one barrier, reduced again.
    ``combine`` is a C expression of ``acc`` and ``other``."""
    step = combine.replace("acc", variable)
    butterfly = (f"for (int off = 16; off > 0; off >>= 1) {{ const auto other = __shfl_xor_sync(0xffffffffu, "
                 f"{variable}, off); {variable} = {step}; }}")
    return [butterfly,
            "if (!a.per_warp) {",
            f"    if (lane == 0) {partials}[warp] = {variable};",
            f"    __syncthreads();  // {what}",
            f"    {variable} = lane < warps ? {partials}[lane] : {identity};",
            f"    {butterfly}",
            "}"]


def row_kernel(ctx: EmitContext, op: Softmax | LogSoftmax | LogSumExp, dtype: str) -> DeviceKernel:
    """The kernel of ``op`` over rows of ``dtype`` (float32 or float64)."""
    t, exp = ctx.ctype(dtype), ctx.math("exp", dtype)
    cache = CACHE_BYTES // np.dtype(dtype).itemsize
    strided = 1 if isinstance(op, LogSumExp) else 2
    element = _offsets("j", strided, "o", "r", start="b")
    load = f"const {t} v = cached ? cache[base + j] : p0[o0];"
    if isinstance(op, Softmax):
        finish = [f"const {t} inv = ({t})(1.0 / s);  // one division per row, then products (as codegen-c)",
                  "for (int64_t j = rank; j < a.m; j += group) {",
                  *("    " + line for line in element),
                  f"    {load}",
                  f"    q0[o1] = {exp}(v - shift) * inv;",
                  "}"]
    elif isinstance(op, LogSoftmax):
        finish = [f"const {t} lse = ({t})log(s);",
                  "for (int64_t j = rank; j < a.m; j += group) {",
                  *("    " + line for line in element),
                  f"    {load}",
                  "    q0[o1] = (v - shift) - lse;",
                  "}"]
    else:
        finish = [f"if (rank == 0) q0[o] = shift + ({t})log(s);"]
    max_combine = "(other > acc || other != other) ? other : acc"
    row = [*_offsets("o", strided, "b", ""),
           f"{t} mx = ({t})-INFINITY;",
           "for (int64_t j = rank; j < a.m; j += group) {",
           *("    " + line for line in element),
           f"    const {t} v = p0[o0];",
           "    if (cached) cache[base + j] = v;",
           f"    mx = {max_combine.replace('other', 'v').replace('acc', 'mx')};",
           "}",
           *_reduce("mx", max_combine, f"({t})-INFINITY", "part_max", "the warps' maxima"),
           f"const {t} shift = mx - mx == ({t})0 ? mx : ({t})0;  // the max where finite (x - x is 0), else 0",
           "double s = 0;",
           "for (int64_t j = rank; j < a.m; j += group) {",
           *("    " + line for line in element),
           f"    {load}",
           f"    s += (double){exp}(v - shift);",
           "}",
           *_reduce("s", "acc + other", "0.0", "part_sum", "the warps' sums"),
           *finish]
    text = f"""extern "C" __global__ void NAME(const NAME_args a) {{
    const {t} *__restrict__ p0 = (const {t} *)a.ptr[0];
    {t} *__restrict__ q0 = ({t} *)a.ptr[1];
    __shared__ {t} cache[{cache}];
    __shared__ {t} part_max[32];
    __shared__ double part_sum[32];
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    // a warp per row (its lanes split the row) or a block per row (its threads do)
    const int64_t group = a.per_warp ? 32 : blockDim.x, rank = a.per_warp ? lane : threadIdx.x;
    const int64_t first = a.per_warp ? (int64_t)blockIdx.x * warps + warp : (int64_t)blockIdx.x;
    const int64_t stride = a.per_warp ? (int64_t)gridDim.x * warps : (int64_t)gridDim.x;
    const int64_t room = a.per_warp ? {cache} / warps : {cache};
    const int64_t base = a.per_warp ? warp * room : 0;   // where this row's cache begins
    const bool cached = a.m <= room;
    for (int64_t o = first; o < a.n; o += stride) {{
{_indent(row, 8)}
    }}
}}"""
    return _named(ctx, text, rows_layout(strided))


def _out_shape(op: Softmax | LogSoftmax | LogSumExp, shape: tuple[int, ...]) -> tuple[int, ...]:
    if not isinstance(op, LogSumExp):
        return shape
    return tuple(1 if d in op.axes else s for d, s in enumerate(shape) if op.keepdims or d not in op.axes)


def run_rows(plan: KernelPlan, values: Sequence[Any], ctx: LaunchContext) -> list[DeviceArray]:
    """The node's output, its rows over the op's axes of ``values[0]`` (a device array)."""
    op = plan.node.op
    x: DeviceArray = values[0]
    shape, axes = x.shape, op.axes
    kept = [d for d in range(len(shape)) if d not in axes]
    n, m = math.prod(shape[d] for d in kept), math.prod(shape[d] for d in axes)
    out = DeviceArray(ctx.pool, _out_shape(op, shape), x.dtype)
    if n == 0 or (m == 0 and not isinstance(op, LogSumExp)):   # logsumexp of empty rows: -inf each
        return [out]
    strides = [element_strides(x, shape)] + ([] if isinstance(op, LogSumExp) else [element_strides(out, shape)])
    oshape, ostrides = merge_dims([shape[d] for d in kept], [[s[d] for d in kept] for s in strides])
    rshape, rstrides = merge_dims([shape[d] for d in axes], [[s[d] for d in axes] for s in strides])
    per_warp = m <= WARP_ROW
    kernel = plan.kernels[0]
    args = kernel.layout.pack(n=n, m=m, dim=len(oshape), rdim=len(rshape), per_warp=int(per_warp),
                              shape=padded([oshape])[0], rshape=padded([rshape])[0], strides=padded(ostrides),
                              rstrides=padded(rstrides))
    args["ptr"] = [x.pointer, out.pointer]
    block = ctx.geometry.block
    rows_per_block = block // 32 if per_warp else 1
    ctx.launch(kernel, min(-(-n // rows_per_block), ctx.geometry.max_grid), block, args)
    return [out]


@register_lowering(Softmax, LogSoftmax, LogSumExp)
def lower_rows(ctx: EmitContext, node: Apply) -> KernelPlan:
    """The row kernel of a float32 or float64 softmax, log-softmax or logsumexp node (float16 runs on the
    host)."""
    dtype = node.inputs[0].type.dtype
    if dtype not in ("float32", "float64"):
        raise Unsupported(f"{node.op} of {dtype} has no CUDA kernel yet")
    return KernelPlan(node, (row_kernel(ctx, node.op, dtype),), (0,), run_rows)


__all__ = ["CACHE_BYTES", "WARP_ROW", "lower_rows", "row_kernel", "rows_layout", "run_rows"]
