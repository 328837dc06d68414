"""Indexing on the device: ``AdvancedSubtensor`` as a gather kernel, ``AdvancedIncSubtensor`` as scatter kernels,
``IncSubtensor`` as one kernel over the region of a basic index (basic ``Subtensor`` is a view: ``views.py``).

Where ``x[index]`` lies (``advanced_region``): the index's basic entries are applied to ``x`` as a view (NumPy
computes it), the index arrays' axes kept whole; the region, NumPy's ``x[index].shape``, has the arrays' broadcast
dimensions in NumPy's place (where the advanced entries, arrays and ints, are adjacent, else first). Each thread
takes region elements in a grid-stride loop, splits its flat index into the view's offset and each index array's,
and adds each index (negative ones wrapped; out of bounds: NumPy's IndexError through the error flag) times its
axis' stride. The updates write a copy of ``x`` (a device copy, or a copy kernel where ``x`` is strided):

- increments with index arrays: ``atomicAdd`` (float32/64, int32/64, uint32/64), so repeated positions
  accumulate every increment, as ``numpy.add.at``; other dtypes run on the host;
- sets with index arrays: the last write of each position, as NumPy's ``x[idx] = v``, made deterministic in three
  launches over the region: each target's word in a scratch array to -1, then ``atomicMax`` of the region
  positions writing it, then the one position that won writes;
- basic set/inc: a region never repeats a position: a plain load, add and store.

Boolean masks stay on the host: the result's shape depends on the mask's values, which the device would have to
count and copy back before the output could be allocated.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np

from arignote_c.emit.context import EmitContext, Unsupported
from arignote_c.emit.kernels import Operand
from arignote_core.graph import Apply, dtype_spec
from arignote_core.tensors import AdvancedSubtensor
from arignote_core.tensors.indexing import INPUT, Entry
from arignote_core.tensors.subtensor_update import AdvancedIncSubtensor, IncSubtensor

from ..args import MAX_DIMS, ArgLayout, Field
from ..device_array import DeviceArray
from ..kernels import DeviceKernel, _indent, _named, _offsets, elemwise_kernel
from ..launch import padded, run_elemwise
from ..layout import element_strides, merge_dims
from ..plan import KernelPlan, LaunchContext
from ..registry import register_lowering
from ..views import basic_view, index_part, numpy_view

#: why a boolean mask runs on the host
MASK_REASON = ("boolean masks run on the host: the result's shape depends on the mask's values, which the device "
               "would have to count and copy back before allocating the result")

#: the C type ``atomicAdd`` takes for each dtype an increment accumulates in (CUDA's overloads)
ATOMIC_ADD_TYPES = {"float32": "float", "float64": "double", "int32": "int", "uint32": "unsigned int",
                    "int64": "unsigned long long", "uint64": "unsigned long long"}


@dataclass(frozen=True)
class Region:
    """Where ``x[index]`` lies: ``view`` (``x`` with the basic entries applied, index arrays' axes whole), the
    region's ``shape``, the view's element ``strides`` over the region (0 on the index arrays' dimensions),
    the index ``arrays`` with their element strides over the region (``array_strides``), and per array the
    ``size`` and element ``step`` of the view axis it indexes; ``indices``: how many positions the arrays give."""

    view: DeviceArray
    shape: tuple[int, ...]
    strides: list[int]
    arrays: list[DeviceArray]
    array_strides: list[list[int]]
    sizes: list[int]
    steps: list[int]
    indices: int


def advanced_region(entries: Sequence[Entry], x: DeviceArray, pieces: Sequence[Any]) -> Region | None:
    """The region of ``x[index]`` for an index of integer arrays (``pieces``: the node's symbolic inputs in
    order, index arrays on the device, scalars on the host); None where the arrays do not broadcast together
    (the host raises NumPy's error)."""
    values = iter(pieces)
    basic: list[Any] = []
    kinds: list[tuple[bool, int]] = []   # per entry: advanced (array or int), and its axis in the view (or -1)
    arrays: list[DeviceArray] = []
    axes: list[int] = []
    axis = 0                             # the view's axis the next entry other than an int gives
    for entry in entries:
        kind = entry[0]
        if kind == "int":
            basic.append(index_part(entry[1], values))
            kinds.append((True, -1))
        elif kind == "array":
            arrays.append(next(values))
            basic.append(slice(None))
            kinds.append((True, axis))
            axes.append(axis)
            axis += 1
        else:
            basic.append(None if kind == "newaxis" else slice(*(index_part(p, values) for p in entry[1:])))
            kinds.append((False, axis))
            axis += 1
    view = numpy_view(x, lambda fake: fake[tuple(basic)])   # NumPy's IndexError for an integer out of bounds
    assert view is not None
    try:
        broadcast = np.broadcast_shapes(*(a.shape for a in arrays))
    except ValueError:
        return None
    advanced = [k for k, (adv, _) in enumerate(kinds) if adv]
    plain = [(k, a) for k, (adv, a) in enumerate(kinds) if not adv]
    rest = list(range(axis, view.ndim))
    if advanced == list(range(advanced[0], advanced[-1] + 1)):  # adjacent: the arrays' dimensions in their place
        before = [a for k, a in plain if k < advanced[0]]
        after = [a for k, a in plain if k > advanced[0]]
    else:
        before, after = [], [a for _, a in plain]
    dims = [("view", a) for a in before] + [("index", j) for j in range(len(broadcast))] + \
        [("view", a) for a in after + rest]
    itemsize = x.itemsize
    shape = tuple(view.shape[d] if w == "view" else broadcast[d] for w, d in dims)
    strides = [view.strides[d] // itemsize if w == "view" else 0 for w, d in dims]
    array_strides = []
    for array in arrays:
        own = element_strides(array, broadcast)
        array_strides.append([own[d] if w == "index" else 0 for w, d in dims])
    return Region(view, shape, strides, arrays, array_strides, [view.shape[a] for a in axes],
                  [view.strides[a] // itemsize for a in axes], math.prod(broadcast))


# -----------------------------------------------------------------------------------------------------------
# kernels


def index_layout(operands: int, arrays: int, pointers: int) -> ArgLayout:
    """``n`` region elements over ``dim`` merged dimensions of ``shape``; per operand its ``strides`` in
    elements; per index array the ``size`` and element ``step`` of the axis it indexes; ``base``, the region's
    first element in the target (scatters); ``phase``, the launch of a last-write-wins set; the pointers."""
    return ArgLayout((Field("n"), Field("dim"), Field("base"), Field("phase"), Field("shape", (MAX_DIMS,)),
                      Field("strides", (operands, MAX_DIMS)), Field("size", (max(arrays, 1),)),
                      Field("step", (max(arrays, 1),)), Field("ptr", (pointers,), True), Field("err", pointer=True)))


def _index_lines(index_dtypes: Sequence[str], target: str) -> list[str]:
    """Statements adding each index array's index (operands 1..K) times its axis' stride to ``target``, the
    iteration given up with the error flag set where one is out of bounds (negative ones wrapped)."""
    lines = []
    for k, dtype in enumerate(index_dtypes):
        load, fail = f"p{k + 1}[o{k + 1}]", "{ err |= AG_ERR_INDEX_OUT_OF_BOUNDS; continue; }"
        if np.dtype(dtype).kind == "u":
            lines += [f"const uint64_t j{k} = (uint64_t){load};",
                      f"if (j{k} >= (uint64_t)a.size[{k}]) {fail}",
                      f"{target} += (int64_t)j{k} * a.step[{k}];"]
        else:
            lines += [f"int64_t j{k} = (int64_t){load};",
                      f"if (j{k} < 0) j{k} += a.size[{k}];",
                      f"if (j{k} < 0 || j{k} >= a.size[{k}]) {fail}",
                      f"{target} += j{k} * a.step[{k}];"]
    return lines


def _index_pointers(ctx: EmitContext, index_dtypes: Sequence[str]) -> list[str]:
    r = ctx.dialect.restrict
    return [f"const {ctx.storage(d)} *{r} p{k + 1} = (const {ctx.storage(d)} *)a.ptr[{k + 1}];"
            for k, d in enumerate(index_dtypes)]


def _grid_loop(pointers: Sequence[str], body: Sequence[str]) -> str:
    return f"""extern "C" __global__ void NAME(const NAME_args a) {{
{_indent(pointers, 4)}
    int err = 0;
    const int64_t step = (int64_t)blockDim.x * gridDim.x;
    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < a.n; i += step) {{
{_indent(body, 8)}
    }}
    if (err) atomicOr((int *)a.err, err);
}}"""


def gather_kernel(ctx: EmitContext, dtype: str, index_dtypes: Sequence[str]) -> DeviceKernel:
    """``out[i] = view[offset(i) + sum_k index_k(i) * step_k]`` over the region (operands: the view, the index
    arrays, the contiguous output)."""
    count = len(index_dtypes) + 2
    t, r = ctx.storage(dtype), ctx.dialect.restrict
    pointers = [f"const {t} *{r} p0 = (const {t} *)a.ptr[0];", *_index_pointers(ctx, index_dtypes),
                f"{t} *{r} q = ({t} *)a.ptr[{count - 1}];"]
    body = [*_offsets("i", count, "o", ""), "int64_t src = o0;", *_index_lines(index_dtypes, "src"),
            f"q[o{count - 1}] = p0[src];"]
    return _named(ctx, _grid_loop(pointers, body), index_layout(count, len(index_dtypes), count))


def _scatter_store(ctx: EmitContext, dtype: str, mode: str) -> list[str]:
    """How the value ``p0[o0]`` goes into ``q[t]``."""
    if mode == "set":
        return ["q[t] = p0[o0];"]
    if mode == "inc":
        add = "q[t] | p0[o0]" if dtype == "bool" else "q[t] + p0[o0]"
        return [f"q[t] = ({ctx.storage(dtype)})({add});"]
    if mode == "atomic_add":
        c = ATOMIC_ADD_TYPES[dtype]
        return [f"atomicAdd(({c} *)&q[t], ({c})p0[o0]);"]
    return ["if (a.phase == 0) w[t] = -1;",
            "else if (a.phase == 1) atomicMax(&w[t], (long long)i);",
            "else if (w[t] == i) q[t] = p0[o0];"]


def scatter_kernel(ctx: EmitContext, dtype: str, index_dtypes: Sequence[str], mode: str) -> DeviceKernel:
    """``q[base + offset(i) + sum_k index_k(i) * step_k] (op)= value[i]`` over the region (operands: the value,
    the index arrays, the target; pointers: the value, the index arrays, the target's first element, and for
    ``last_set`` a scratch int64 per target element). ``mode``: "set" and "inc" for a basic region (no position
    twice), "atomic_add" and "last_set" (three phases, ``a.phase``) with index arrays."""
    count = len(index_dtypes) + 2
    t, r = ctx.storage(dtype), ctx.dialect.restrict
    pointers = [f"const {t} *{r} p0 = (const {t} *)a.ptr[0];", *_index_pointers(ctx, index_dtypes),
                f"{t} *{r} q = ({t} *)a.ptr[{count - 1}];"]
    if mode == "last_set":
        pointers.append(f"long long *{r} w = (long long *)a.ptr[{count}];")
    body = [*_offsets("i", count, "o", ""), f"int64_t t = a.base + o{count - 1};",
            *_index_lines(index_dtypes, "t"), *_scatter_store(ctx, dtype, mode)]
    layout = index_layout(count, len(index_dtypes), count + (mode == "last_set"))
    return _named(ctx, _grid_loop(pointers, body), layout)


def copy_kernel(ctx: EmitContext, node: Apply) -> DeviceKernel:
    """A contiguous copy of ``node``'s first input, a strided array (the updates' copy of ``x``)."""
    x = node.inputs[0]
    return elemwise_kernel(ctx, [Operand(x.type.dtype, dtype_spec(x))], [x.type.dtype], lambda xs, assign: xs)


# -----------------------------------------------------------------------------------------------------------
# runners


def _launch(ctx: LaunchContext, kernel: DeviceKernel, shape: Sequence[int],
            strides: Sequence[Sequence[int]], pointers: Sequence[int], region: Region | None = None,
            base: int = 0, phases: Sequence[int] = (0,)) -> None:
    """Launch ``kernel`` over ``shape`` (its operands' element ``strides``), once per phase."""
    n = math.prod(shape)
    merged, merged_strides = merge_dims(shape, strides)
    args = kernel.layout.pack(n=n, dim=len(merged), base=base, shape=padded([merged])[0],
                              strides=padded(merged_strides))
    if region is not None and region.arrays:
        args["size"] = region.sizes
        args["step"] = region.steps
    args["ptr"] = pointers
    args["err"] = ctx.err
    block = ctx.geometry.block
    for phase in phases:
        args["phase"] = phase
        ctx.launch(kernel, min(-(-n // block), ctx.geometry.max_grid), block, args.copy())


def run_gather(plan: KernelPlan, values: Sequence[Any], ctx: LaunchContext) -> list[DeviceArray] | None:
    """``x[index]``; None (the host) where the index arrays do not broadcast, or where the region is empty but
    its indices are not (NumPy still checks them) or the indexed view is (every index is out of bounds)."""
    x = values[0]
    region = advanced_region(plan.node.op.entries, x, values[1:])
    if region is None:
        return None
    out = DeviceArray(ctx.pool, region.shape, x.dtype)
    if out.size == 0 and region.indices == 0:
        return [out]
    if out.size == 0 or region.view.size == 0:
        return None
    strides = [region.strides, *region.array_strides, element_strides(out, region.shape)]
    pointers = [region.view.pointer, *(a.pointer for a in region.arrays), out.pointer]
    _launch(ctx, plan.kernels[0], region.shape, strides, pointers, region)
    return [out]


def _copy_of(plan: KernelPlan, x: DeviceArray, ctx: LaunchContext) -> DeviceArray:
    """A contiguous device copy of ``x`` (a device-to-device copy, or the plan's copy kernel if ``x`` is
    strided)."""
    if not x.contiguous:
        return run_elemwise(replace(plan, kernels=plan.kernels[:1], operands=(0,)), [x], ctx)[0]
    out = DeviceArray(ctx.pool, x.shape, x.dtype)
    if out.nbytes:
        ctx.driver.dtod(out.pointer, x.pointer, out.nbytes)
    return out


def _fits(value: DeviceArray, shape: tuple[int, ...]) -> bool:
    """Whether ``value`` broadcasts to ``shape`` (else the host raises NumPy's error)."""
    try:
        return np.broadcast_shapes(value.shape, shape) == shape
    except ValueError:
        return False


def run_inc_subtensor(plan: KernelPlan, values: Sequence[Any], ctx: LaunchContext) -> list[DeviceArray] | None:
    """A copy of ``x`` with ``x[index]`` set to or incremented by ``v`` (basic index: one kernel over the
    region)."""
    x, v, *bounds = values
    out = _copy_of(plan, x, ctx)
    region = basic_view(out, plan.node.op.entries, bounds)
    if not _fits(v, region.shape):
        return None
    if region.size:
        strides = [element_strides(v, region.shape), element_strides(region, region.shape)]
        base = (region.pointer - out.pointer) // out.itemsize
        _launch(ctx, plan.kernels[1], region.shape, strides, [v.pointer, out.pointer], base=base)
    return [out]


def run_advanced_inc_subtensor(plan: KernelPlan, values: Sequence[Any], ctx: LaunchContext,
                               last_set: bool) -> list[DeviceArray] | None:
    """A copy of ``x`` with ``v`` added at (or, ``last_set``, written to) ``x[index]``; None (the host) as for
    ``run_gather``, or where ``v`` does not broadcast to the region."""
    x, v = values[0], values[1]
    out = _copy_of(plan, x, ctx)
    region = advanced_region(plan.node.op.entries, out, values[2:])
    if region is None or not _fits(v, region.shape):
        return None
    size = math.prod(region.shape)
    if size == 0 and region.indices == 0:
        return [out]
    if size == 0 or region.view.size == 0:
        return None
    strides = [element_strides(v, region.shape), *region.array_strides, region.strides]
    pointers = [v.pointer, *(a.pointer for a in region.arrays), out.pointer]
    scratch = DeviceArray(ctx.pool, (out.size,), np.int64) if last_set else None
    if scratch is not None:
        pointers.append(scratch.pointer)
    base = (region.view.pointer - out.pointer) // out.itemsize
    _launch(ctx, plan.kernels[1], region.shape, strides, pointers, region, base, (0, 1, 2) if last_set else (0,))
    return [out]


# -----------------------------------------------------------------------------------------------------------
# lowering rules


def _index_arrays(node: Apply, first: int) -> list[int]:
    """The positions of ``node``'s index arrays among its inputs (its symbolic pieces start at ``first``);
    Unsupported for a boolean mask."""
    kinds: list[bool] = []
    for entry in node.op.entries:
        if entry[0] == "array":
            kinds.append(True)
        else:
            kinds.extend(False for part in entry[1:] if part == INPUT)
    positions = [first + k for k, is_array in enumerate(kinds) if is_array]
    if any(node.inputs[p].type.dtype == "bool" for p in positions):
        raise Unsupported(MASK_REASON)
    return positions


@register_lowering(AdvancedSubtensor)
def lower_advanced_subtensor(ctx: EmitContext, node: Apply) -> KernelPlan:
    positions = _index_arrays(node, 1)
    kernel = gather_kernel(ctx, node.outputs[0].type.dtype, [node.inputs[p].type.dtype for p in positions])
    return KernelPlan(node, (kernel,), (0, *positions), run_gather)


@register_lowering(IncSubtensor)
def lower_inc_subtensor(ctx: EmitContext, node: Apply) -> KernelPlan:
    mode = "set" if node.op.set_instead_of_inc else "inc"
    kernels = (copy_kernel(ctx, node), scatter_kernel(ctx, node.outputs[0].type.dtype, [], mode))
    return KernelPlan(node, kernels, (0, 1), run_inc_subtensor)


@register_lowering(AdvancedIncSubtensor)
def lower_advanced_inc_subtensor(ctx: EmitContext, node: Apply) -> KernelPlan:
    positions = _index_arrays(node, 2)
    dtype = node.outputs[0].type.dtype
    last_set = node.op.set_instead_of_inc
    if not last_set and dtype not in ATOMIC_ADD_TYPES:
        raise Unsupported(f"increments of {dtype} at index arrays run on the host: CUDA has no atomicAdd for it")
    mode = "last_set" if last_set else "atomic_add"
    kernels = (copy_kernel(ctx, node), scatter_kernel(ctx, dtype, [node.inputs[p].type.dtype for p in positions],
                                                     mode))
    return KernelPlan(node, kernels, (0, 1, *positions), partial(run_advanced_inc_subtensor, last_set=last_set))
