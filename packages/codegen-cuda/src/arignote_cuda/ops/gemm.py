"""Matrix products on the device: ``Dot`` (vector and matrix operands), ``MatMul`` (batched, broadcast batch
axes), and the BLAS forms graph-opt rewrites them into, ``Gemm`` and ``Gemv``, in float32 and float64.

Each node becomes one problem ``out[b] = alpha * op(A)[b] @ op(B)[b] (+ beta * C0[b])`` over element strides
(transposes are swapped strides, vectors are matrices with a stride-0 axis, broadcast axes stride 0), run by:

- cuBLAS (``cublasSgemm``/``Dgemm``) when the driver has it (``Driver.blas()``), the product is one 2-d GEMM
  of one dtype and each operand is a BLAS layout (one unit stride, the other at least the extent), read in place:
  row-major data is column-major transposed, so ``C^T = op(B)^T op(A)^T`` is computed. An added term ``beta * C0``
  is first written to the output by the tiled kernel (its ``k = 0`` case), which cuBLAS then adds to;
- the GEMV kernel (``gemm_kernels.py``) when ``n == 1``, or ``m == 1`` by computing the transposed product;
- the tiled GEMM kernel otherwise.

Empty products write nothing (``m``, ``n`` or the batch is 0) or ``beta * C0`` / zeros (``k == 0``); shapes that
do not fit run ``perform`` on the host, which raises NumPy's error. Other dtypes, and ``Dot`` of a scalar or of
more than 2-d operands, run on the host.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import numpy as np

from arignote_c.emit.context import EmitContext, Unsupported
from arignote_core.graph import Apply
from arignote_core.tensors import Dot, MatMul
from arignote_core.tensors.blas_ops import Gemm, Gemv

from ..device_array import DeviceArray
from ..driver import Driver
from ..kernels import DeviceKernel, _named
from ..launch import padded
from ..layout import element_strides, merge_dims
from ..plan import KernelPlan, LaunchContext
from ..registry import register_lowering
from .gemm_kernels import BY_THREAD, READ_C, STRIDES, Tile, gemm_kernel, gemv_kernel, product_layout, tile_for

#: the dtypes the kernels compute in
FLOATS = ("float32", "float64")
#: cuBLAS's sizes and leading dimensions are C ints
_INT_MAX = 2**31 - 1


@dataclass
class Problem:
    """``out[b] = alpha * A[b] @ B[b] (+ beta * C0[b])``: sizes, the batch dimensions (merged) with each operand's
    strides over them (A, B, C0, out), the matrices' element strides by name (``STRIDES``), and the arrays (C0
    None when not read)."""

    m: int
    n: int
    k: int
    a: DeviceArray
    b: DeviceArray
    out: DeviceArray
    st: dict[str, int]
    c: DeviceArray | None = None
    alpha: float = 1.0
    beta: float = 0.0
    batch_shape: list[int] = field(default_factory=list)
    batch_strides: list[list[int]] = field(default_factory=lambda: [[], [], [], []])

    @property
    def batch(self) -> int:
        """How many products: the batch dimensions' sizes multiplied."""
        return math.prod(self.batch_shape)

    def transposed(self) -> Problem:
        """The same product computed as ``out^T = B^T @ A^T`` (its ``m`` is this one's ``n``)."""
        s = self.st
        st = {"sam": s["sbn"], "sak": s["sbk"], "sbk": s["sak"], "sbn": s["sam"], "scm": s["scn"], "scn": s["scm"],
              "som": s["son"], "son": s["som"]}
        a, b, c, o = self.batch_strides
        return replace(self, m=self.n, n=self.m, a=self.b, b=self.a, st=st, batch_strides=[b, a, c, o])


def _elements(array: DeviceArray) -> list[int]:
    return [s // array.itemsize for s in array.strides]


def _matrix(array: DeviceArray, transposed: bool = False) -> tuple[int, int, int, int]:
    """A 2-d operand's rows, columns and their element strides (``op(array)``)."""
    rows, cols = array.shape
    s_row, s_col = _elements(array)
    return (cols, rows, s_col, s_row) if transposed else (rows, cols, s_row, s_col)


def pack_args(problem: Problem, kernel: DeviceKernel, flags: int, err: int) -> np.ndarray:
    """``kernel``'s argument struct for ``problem`` (``flags``: ``gemm_kernels.READ_C``, ``BY_THREAD``)."""
    strides = padded(problem.batch_strides)
    args = kernel.layout.pack(m=problem.m, n=problem.n, k=problem.k, batch=problem.batch,
                              bdim=len(problem.batch_shape), bshape=padded([problem.batch_shape])[0],
                              bstrides=strides, st=[problem.st[name] for name in STRIDES],
                              alpha=np.float64(problem.alpha).view(np.int64),
                              beta=np.float64(problem.beta).view(np.int64), flags=flags)
    c = problem.c if problem.c is not None else problem.out
    args["ptr"] = [problem.a.pointer, problem.b.pointer, c.pointer, problem.out.pointer]
    args["err"] = err
    return args


def _blas_layout(rows: int, cols: int, s_row: int, s_col: int) -> tuple[bool, int] | None:
    """How the BLAS reads a row-major ``rows x cols`` view as the column-major ``cols x rows`` matrix it is the
    transpose of: ``(False, ld)`` where its rows are contiguous, ``(True, ld)`` where its columns are (then the
    BLAS transposes it); None where neither holds (broadcast, negative or two non-unit strides)."""
    if s_col == 1 or cols == 1:
        ld = s_row if rows > 1 else max(cols, 1)
        if ld >= max(cols, 1):
            return False, ld
    if s_row == 1 or rows == 1:
        ld = s_col if cols > 1 else max(rows, 1)
        if ld >= max(rows, 1):
            return True, ld
    return None


def _run_blas(plan: KernelPlan, problem: Problem, ctx: LaunchContext, tile: Tile) -> bool:
    """Run ``problem`` through the driver's cuBLAS when it has one and the problem is a BLAS call; False if not."""
    blas = ctx.driver.blas()
    p, s = problem, problem.st
    dtypes = {p.a.dtype.name, p.b.dtype.name, p.out.dtype.name}
    if blas is None or p.batch != 1 or p.k == 0 or p.m < 2 or p.n < 2 or len(dtypes) != 1 \
            or max(p.m, p.n, p.k, *map(abs, s.values())) > _INT_MAX:
        return False
    layout_a = _blas_layout(p.m, p.k, s["sam"], s["sak"])
    layout_b = _blas_layout(p.k, p.n, s["sbk"], s["sbn"])
    if layout_a is None or layout_b is None or s["son"] != 1 or s["som"] < p.n:
        return False
    beta = 0.0
    if p.c is not None:  # out = beta * C0 first (alpha 0, so an infinite alpha does not reach it), then added to
        gemm = plan.kernels[1]
        prepass = replace(p, k=0, alpha=0.0)
        grid = min(-(-p.m // tile.bm) * -(-p.n // tile.bn), ctx.geometry.max_grid)
        ctx.launch(gemm, grid, tile.threads, pack_args(prepass, gemm, READ_C, ctx.err))
        beta = 1.0
    (trans_a, lda), (trans_b, ldb) = layout_a, layout_b
    blas.gemm(p.out.dtype.name, trans_b, trans_a, p.n, p.m, p.k, p.alpha, p.b.pointer, ldb, p.a.pointer, lda,
              beta, p.out.pointer, s["som"])
    return True


def run_problem(plan: KernelPlan, problem: Problem, ctx: LaunchContext, tile: Tile) -> list[DeviceArray]:
    """Launch ``problem`` (cuBLAS, the GEMV or the tiled GEMM; see the module's docstring) and return its output.
    ``plan.kernels`` is the GEMV kernel, then the tiled GEMM's when the node may need it."""
    p = problem
    if p.m == 0 or p.n == 0 or p.batch == 0 or _run_blas(plan, p, ctx, tile):
        return [p.out]
    flags = READ_C if p.c is not None else 0
    if p.m == 1 and p.n > 1:
        p = p.transposed()
    if p.n == 1 or len(plan.kernels) == 1:
        gemv, block = plan.kernels[0], ctx.geometry.block
        rows = p.m * p.batch
        if abs(p.st["sam"]) == 1 and abs(p.st["sak"]) != 1 and rows >= block:
            ctx.launch(gemv, min(-(-rows // block), ctx.geometry.max_grid), block, pack_args(p, gemv, flags | BY_THREAD,
                                                                                           ctx.err))
        else:
            ctx.launch(gemv, min(rows, ctx.geometry.max_grid), block, pack_args(p, gemv, flags, ctx.err))
    else:
        gemm = plan.kernels[1]
        tiles = -(-p.m // tile.bm) * -(-p.n // tile.bn) * p.batch
        ctx.launch(gemm, min(tiles, ctx.geometry.max_grid), tile.threads, pack_args(p, gemm, flags, ctx.err))
    return [problem.out]


# ---------------------------------------------------------------------------------------------------------
# nodes as problems


def _new(ctx: LaunchContext, node: Apply, shape: tuple[int, ...]) -> DeviceArray:
    return DeviceArray(ctx.pool, shape, np.dtype(node.outputs[0].type.dtype))


@dataclass(frozen=True)
class _Batched:
    """An operand as a stack of matrices: its batch shape and strides, and its matrix (rows, columns, strides)."""

    batch_shape: tuple[int, ...]
    batch_strides: tuple[int, ...]
    rows: int
    cols: int
    s_row: int
    s_col: int


def _as_matrices(array: DeviceArray, vector_as_row: bool) -> _Batched:
    """``array`` as matrices (a vector as one row, or one column, of stride-0 other axis)."""
    strides = _elements(array)
    if array.ndim == 1:
        (size,), (stride,) = array.shape, strides
        return _Batched((), (), 1, size, 0, stride) if vector_as_row else _Batched((), (), size, 1, stride, 0)
    return _Batched(array.shape[:-2], tuple(strides[:-2]), *array.shape[-2:], *strides[-2:])


@dataclass(frozen=True)
class _Strided:
    """Shape and strides as ``layout.element_strides`` reads them."""

    shape: tuple[int, ...]
    strides: tuple[int, ...]
    itemsize: int = 1

    @property
    def ndim(self) -> int:
        return len(self.shape)


def _product(ctx: LaunchContext, node: Apply, a: DeviceArray, b: DeviceArray, batched: bool) -> Problem | None:
    """``matmul(a, b)`` (``dot`` when not ``batched``, for operands of at most 2 dimensions) as a problem; None
    where the shapes do not fit (``perform`` raises NumPy's error)."""
    x, y = _as_matrices(a, vector_as_row=True), _as_matrices(b, vector_as_row=False)
    if x.cols != y.rows:
        return None
    try:
        batch = tuple(np.broadcast_shapes(x.batch_shape, y.batch_shape)) if batched else ()
    except ValueError:
        return None
    shape = batch + (x.rows,) * (a.ndim > 1) + (y.cols,) * (b.ndim > 1)
    out = _new(ctx, node, shape)
    o = _elements(out)
    som = o[len(batch)] if a.ndim > 1 else 0
    son = o[-1] if b.ndim > 1 else 0
    strides = [element_strides(_Strided(m.batch_shape, m.batch_strides), batch) for m in (x, y)]
    merged, batch_strides = merge_dims(batch, [*strides, [0] * len(batch), o[:len(batch)]])
    st = {"sam": x.s_row, "sak": x.s_col, "sbk": y.s_row, "sbn": y.s_col, "scm": 0, "scn": 0, "som": som,
          "son": son}
    return Problem(x.rows, y.cols, x.cols, a, b, out, st, batch_shape=merged, batch_strides=batch_strides)


def _blas_form(ctx: LaunchContext, node: Apply, c: DeviceArray, alpha: Any, a: DeviceArray, b: DeviceArray,
               beta: Any, trans_a: bool, trans_b: bool) -> Problem | None:
    """``Gemm``'s (``b`` a matrix) or ``Gemv``'s (``b`` a vector) problem, as their ``perform``: the output has
    the product's shape, broadcast with ``c``'s when ``beta`` is not 0 (else ``c`` is not read)."""
    alpha, beta = float(np.asarray(alpha)), float(np.asarray(beta))
    m, k, sam, sak = _matrix(a, trans_a)
    if b.ndim == 2:
        kb, n, sbk, sbn = _matrix(b, trans_b)
    else:
        (kb,), (sbk,), n, sbn = b.shape, _elements(b), 1, 0
    if k != kb:
        return None
    shape: tuple[int, ...] = (m, n) if b.ndim == 2 else (m,)
    if beta != 0:
        try:
            shape = tuple(np.broadcast_shapes(shape, c.shape))
        except ValueError:
            return None
    out = _new(ctx, node, shape)
    rows, cols = (shape + (1,))[:2]
    if rows != m:  # a one-row product broadcast to c's rows
        m, sam = rows, 0
    if cols != n:
        n, sbn = cols, 0
    scm, scn = (element_strides(c, shape) + [0])[:2]
    som, son = (_elements(out) + [0])[:2]
    st = {"sam": sam, "sak": sak, "sbk": sbk, "sbn": sbn, "scm": scm, "scn": scn, "som": som, "son": son}
    return Problem(m, n, k, a, b, out, st, c if beta != 0 else None, alpha, beta)


def _run(make: Callable[..., Problem | None], plan: KernelPlan, values: Sequence[Any], ctx: LaunchContext, tile: Tile
         ) -> list[DeviceArray] | None:
    problem = make(ctx, plan.node, *values)
    return None if problem is None else run_problem(plan, problem, ctx, tile)


def _dot(ctx: LaunchContext, node: Apply, a: DeviceArray, b: DeviceArray) -> Problem | None:
    return _product(ctx, node, a, b, batched=False)


def _matmul(ctx: LaunchContext, node: Apply, a: DeviceArray, b: DeviceArray) -> Problem | None:
    return _product(ctx, node, a, b, batched=True)


def _gemm(ctx: LaunchContext, node: Apply, c: DeviceArray, alpha: Any, a: DeviceArray, b: DeviceArray,
          beta: Any) -> Problem | None:
    return _blas_form(ctx, node, c, alpha, a, b, beta, node.op.trans_a, getattr(node.op, "trans_b", False))


# ---------------------------------------------------------------------------------------------------------
# lowering rules


def _dtypes(node: Apply, a: int, b: int) -> tuple[tuple[str, str, str], str]:
    """The dtypes of A, B and the output, and the one the kernels compute in; Unsupported unless all are
    float32 or float64."""
    types = (node.inputs[a].type.dtype, node.inputs[b].type.dtype, node.outputs[0].type.dtype)
    if any(d not in FLOATS for d in types):
        raise Unsupported(f"matrix products in {', '.join(sorted(set(types) - set(FLOATS)))} have no CUDA kernels")
    return types, types[2]


def _describe(kernels: int, blas: bool, driver: Driver) -> str:
    """What runs a product's node on ``driver``, for the report."""
    if blas and driver.blas() is not None:
        return "cuBLAS; the tiled GEMM kernel where the strides are not a BLAS layout, the GEMV where m or n is 1"
    return "tiled GEMM kernel; the GEMV where m or n is 1" if kernels == 2 else "GEMV kernel"


def product_plan(ctx: EmitContext, node: Apply, tile: Tile | None = None) -> KernelPlan:
    """``node``'s plan: the GEMV kernel, and the tiled GEMM's (of ``tile``, else the compute dtype's) when the
    product may have more than one column; Unsupported where the node runs on the host."""
    operands: tuple[int, ...]
    make: Callable[..., Problem | None]
    if isinstance(node.op, Dot):
        ndims = tuple(v.type.ndim for v in node.inputs)
        if 0 in ndims or max(ndims) > 2:
            raise Unsupported("dot of a scalar or of operands of more than 2 dimensions has no CUDA kernel")
        operands, a, b, make, matrices = (0, 1), 0, 1, _dot, ndims == (2, 2)
    elif isinstance(node.op, MatMul):
        operands, a, b, make, matrices = (0, 1), 0, 1, _matmul, all(v.type.ndim > 1 for v in node.inputs)
    else:
        operands, a, b, make, matrices = (0, 2, 3), 2, 3, _gemm, isinstance(node.op, Gemm)
    types, compute = _dtypes(node, a, b)
    tile = tile or tile_for(compute)
    layout = product_layout()
    kernels = [_named(ctx, gemv_kernel(types, compute), layout)]
    if matrices:
        kernels.append(_named(ctx, gemm_kernel(types, compute, tile), layout))
    blas = matrices and len(set(types)) == 1 and node.outputs[0].type.ndim == 2
    return KernelPlan(node, tuple(kernels), operands, partial(_run, make, tile=tile),
                      partial(_describe, len(kernels), blas))


@register_lowering(Dot, MatMul, Gemm, Gemv)
def lower_product(ctx: EmitContext, node: Apply) -> KernelPlan:
    """The lowering of ``Dot``, ``MatMul``, ``Gemm`` and ``Gemv`` (``product_plan``)."""
    return product_plan(ctx, node)
