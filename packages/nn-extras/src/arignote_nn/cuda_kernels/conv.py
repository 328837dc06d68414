"""CUDA kernels of the convolution ops (``Conv2d``, ``Conv3d`` and their adjoints), direct: no im2col, no GEMM.

Every kernel works over three spatial axes (a 2-d convolution is one of depth one, its depth stride 0), so the
two families share three kernels per dtype:

- forward: one thread per output element (grid-stride loop), summing its window over the group's channels;
- gradient in the input: one thread per input element, summing the output gradients of the windows that read
  it (the transposed convolution as a gather: no atomics, the same sum whatever the geometry);
- gradient in the filters: one block per filter element (grid-stride over blocks), its threads folding the
  images and output positions, then a warp reduction (``__shfl_down_sync``) and the warps' sums through shared
  memory.

Operands are read through their strides (in elements); outputs are C-contiguous. Shapes are checked in Python
before each launch, with the reference kernels' rules and messages, as codegen-c's kernels are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from arignote_c.emit.context import EmitContext
from arignote_core import Apply
from arignote_cuda.args import ArgLayout, Field
from arignote_cuda.device_array import DeviceArray
from arignote_cuda.kernels import DeviceKernel
from arignote_cuda.plan import KernelPlan, LaunchContext

from ..conv import ConvParams
from ..conv3d_kernels import geometry as conv3d_geometry
from ..conv_kernels import check_channels, conv_pads, output_hw
from .common import device_kernel, element_strides, grid, real_type

#: sizes over three spatial axes, strides of the image, filters and output gradient over five axes, pointers
#: (two operands, then the output) and the error flag
LAYOUT = ArgLayout((
    Field("total"), Field("m"), Field("n"), Field("c"), Field("f"), Field("groups"), Field("size", (3,)),
    Field("kernel", (3,)), Field("out", (3,)), Field("stride", (3,)), Field("dilation", (3,)), Field("pad", (3,)),
    Field("xs", (5,)), Field("ws", (5,)), Field("ys", (5,)), Field("ptr", (3,), True), Field("err", pointer=True)))

Triple = tuple[int, int, int]


@dataclass(frozen=True)
class ConvProblem:
    """A convolution's sizes over three spatial axes: images, channels, filters, the input's, the kernel's and the
    output's spatial sizes, and the padding before each axis (a 2-d convolution, ``ndim`` 2, has a depth of one)."""

    ndim: int
    n: int
    c: int
    f: int
    size: Triple
    kernel: Triple
    out: Triple
    pad: Triple

    @property
    def output_shape(self) -> tuple[int, ...]:
        return (self.n, self.f, *self.out[3 - self.ndim:])


def _spatial(op: ConvParams, values: Sequence[int], fill: int) -> Triple:
    """A 2-d op's pair (or a 3-d op's triple) over three axes, ``fill`` for the depth of a 2-d one."""
    return (fill, *values) if op.ndim == 2 else tuple(values)  # type: ignore[return-value]


def _as_shape(value: Any, op: ConvParams, what: str) -> tuple[int, ...]:
    """A gradient op's wanted shape (its third input) as ints: ``ndim + 2`` sizes, none negative."""
    shape = tuple(int(s) for s in np.ravel(value))
    if len(shape) != op.ndim + 2 or min(shape) < 0:
        raise ValueError(f"{what}: the wanted shape {shape} must be {op.ndim + 2} sizes >= 0")
    return shape


def conv_problem(op: ConvParams, x_shape: Sequence[int], w_shape: Sequence[int]) -> ConvProblem:
    """The sizes of ``op`` on an input and a filter shape, checked as the reference kernels check them (channels
    against groups, a kernel that fits the padded input)."""
    x_shape, w_shape = tuple(int(s) for s in x_shape), tuple(int(s) for s in w_shape)
    if op.ndim == 3:
        pads3, _, out3 = conv3d_geometry(x_shape, w_shape, op.stride, op.padding, op.dilation,  # type: ignore[arg-type]
                                         op.groups)
        before, out = tuple(p[0] for p in pads3), tuple(out3)
    else:
        if min(*x_shape, *w_shape) < 0:
            raise ValueError(f"{op}: negative sizes in input shape {x_shape} or filter shape {w_shape}")
        check_channels(x_shape[1], w_shape[0], w_shape[1], op.groups)
        pads = conv_pads(op.padding, x_shape[2:], w_shape[2:], op.stride, op.dilation)
        out = (1, *output_hw((x_shape[2] + sum(pads[0]), x_shape[3] + sum(pads[1])), w_shape[2:], op.stride,
                             op.dilation))
        before = (0, pads[0][0], pads[1][0])
    return ConvProblem(op.ndim, x_shape[0], x_shape[1], w_shape[0], _spatial(op, x_shape[2:], 1),
                       _spatial(op, w_shape[2:], 1), out, before)  # type: ignore[arg-type]


def _check_gradient(gy: DeviceArray, problem: ConvProblem, what: str) -> None:
    """ValueError unless the output gradient ``gy`` has the convolution's output shape."""
    want = problem.output_shape
    if gy.shape != want:
        raise ValueError(f"{what}: the output gradient has shape {gy.shape}, but the convolution gives {want}")


def _strides(op: ConvParams, array: DeviceArray | None) -> list[int]:
    """An operand's strides in elements over five axes (a 2-d one's depth stride 0); zeros for none."""
    if array is None:
        return [0] * 5
    strides = element_strides(array)
    return [*strides[:2], 0, *strides[2:]] if op.ndim == 2 else strides


def _launch(plan: KernelPlan, ctx: LaunchContext, problem: ConvProblem, operands: tuple[DeviceArray | None, ...],
            out: DeviceArray, reduction: int = 0) -> None:
    """Launch the plan's kernel over ``out``'s elements (threads, or with ``reduction`` terms to fold per output,
    blocks); ``operands`` as the kernel reads them: image, filters, output gradient (None where it reads none)."""
    if not out.size:
        return
    op = plan.node.op
    x, w, gy = operands
    args = LAYOUT.pack(total=out.size, m=reduction, n=problem.n, c=problem.c, f=problem.f, groups=op.groups,
                       size=problem.size, kernel=problem.kernel, out=problem.out, stride=_spatial(op, op.stride, 1),
                       dilation=_spatial(op, op.dilation, 1), pad=problem.pad, xs=_strides(op, x),
                       ws=_strides(op, w), ys=_strides(op, gy))
    args["ptr"] = [a.pointer for a in (*(a for a in operands if a is not None), out)]
    args["err"] = ctx.err
    blocks = min(out.size, ctx.geometry.max_grid) if reduction else grid(ctx, out.size)
    ctx.launch(plan.kernels[0], blocks, ctx.geometry.block, args)


def _output(plan: KernelPlan, ctx: LaunchContext, shape: tuple[int, ...]) -> DeviceArray:
    return DeviceArray(ctx.pool, shape, np.dtype(plan.node.outputs[0].type.dtype))


def run_forward(plan: KernelPlan, values: Sequence[Any], ctx: LaunchContext) -> list[DeviceArray]:
    """``y = conv(x, w)``."""
    x, w = values
    problem = conv_problem(plan.node.op, x.shape, w.shape)
    y = _output(plan, ctx, problem.output_shape)
    _launch(plan, ctx, problem, (x, w, None), y)
    return [y]


def run_grad_input(plan: KernelPlan, values: Sequence[Any], ctx: LaunchContext) -> list[DeviceArray]:
    """``gx = conv_grad_input(w, gy, x_shape)``."""
    op = plan.node.op
    w, gy, wanted = values
    what = f"{op.conv_name}_grad_input"
    x_shape = _as_shape(wanted, op, what)
    problem = conv_problem(op, x_shape, w.shape)
    _check_gradient(gy, problem, what)
    gx = _output(plan, ctx, x_shape)
    _launch(plan, ctx, problem, (None, w, gy), gx)
    return [gx]


def run_grad_weights(plan: KernelPlan, values: Sequence[Any], ctx: LaunchContext) -> list[DeviceArray]:
    """``gw = conv_grad_weights(x, gy, w_shape)``."""
    op = plan.node.op
    x, gy, wanted = values
    what = f"{op.conv_name}_grad_weights"
    w_shape = _as_shape(wanted, op, what)
    problem = conv_problem(op, x.shape, w_shape)
    _check_gradient(gy, problem, what)
    gw = _output(plan, ctx, w_shape)
    _launch(plan, ctx, problem, (x, None, gy), gw, reduction=problem.n * math.prod(problem.out))
    return [gw]


# -----------------------------------------------------------------------------------------------------------
# kernel text


def _pointers(t: str, inputs: Sequence[str], output: str) -> str:
    lines = [f"const {t} *__restrict__ {name} = (const {t} *)a.ptr[{k}];" for k, name in enumerate(inputs)]
    lines.append(f"{t} *__restrict__ {output} = ({t} *)a.ptr[{len(inputs)}];")
    return "\n    ".join(lines)


def _decode(index: str, names: Sequence[str], sizes: Sequence[str]) -> str:
    """Statements splitting flat ``index`` (C order) into ``names`` (the first unbounded) over ``sizes``."""
    lines = [f"int64_t r = {index};"]
    for name, size in zip(reversed(names[1:]), reversed(sizes), strict=True):
        lines.append(f"const int64_t {name} = r % {size}; r /= {size};")
    lines.append(f"const int64_t {names[0]} = r;")
    return " ".join(lines)


def _window(body: str, indent: int) -> str:
    """Loops over the kernel offsets (kz, ky, kx) of output position (oz, oy, ox), the input position (iz, iy,
    ix) each reads, skipping the padding, around ``body``."""
    lines, pad = [], " " * indent
    for d, axis in enumerate("zyx"):
        lines += [f"{pad}for (int64_t k{axis} = 0; k{axis} < a.kernel[{d}]; ++k{axis}) {{",
                  f"{pad}    const int64_t i{axis} = o{axis} * a.stride[{d}] - a.pad[{d}] + k{axis} * a.dilation[{d}];",
                  f"{pad}    if (i{axis} < 0 || i{axis} >= a.size[{d}]) continue;"]
        pad += "    "
    lines.append(pad + body)
    lines += [" " * (indent + 4 * d) + "}" for d in reversed(range(3))]
    return "\n".join(lines)


_X_AT = "ix * a.xs[4] + iy * a.xs[3] + iz * a.xs[2]"
_W_AT = "kx * a.ws[4] + ky * a.ws[3] + kz * a.ws[2]"
_GY_AT = "ox * a.ys[4] + oy * a.ys[3] + oz * a.ys[2]"
_GRID_LOOP = ("const int64_t step = (int64_t)blockDim.x * gridDim.x;\n"
              "    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < a.total; i += step) {")


def forward_kernel(ctx: EmitContext, dtype: str) -> DeviceKernel:
    """One thread per output element: its window summed over the group's channels."""
    t = real_type(ctx, dtype)
    window = _window(f"acc += xc[{_X_AT}] * wc[{_W_AT}];", 12)
    text = f"""extern "C" __global__ void NAME(const NAME_args a) {{
    {_pointers(t, ["x", "w"], "y")}
    const int64_t cg = a.c / a.groups, fg = a.f / a.groups;
    {_GRID_LOOP}
        {_decode("i", ["n", "fo", "oz", "oy", "ox"], ["a.f", "a.out[0]", "a.out[1]", "a.out[2]"])}
        const int64_t g = fo / fg;
        {t} acc = 0;
        for (int64_t ci = 0; ci < cg; ++ci) {{
            const {t} *xc = x + n * a.xs[0] + (g * cg + ci) * a.xs[1];
            const {t} *wc = w + fo * a.ws[0] + ci * a.ws[1];
{window}
        }}
        y[i] = acc;
    }}
}}"""
    return device_kernel(ctx, text, LAYOUT)


def _gather_axis(axis: str, d: int, pad: str) -> list[str]:
    """The loop over kernel offsets along ``axis`` of the output positions whose window reads input position
    ``i{axis}``: skipped where the offset lands between strides or outside the output."""
    return [f"{pad}for (int64_t k{axis} = 0; k{axis} < a.kernel[{d}]; ++k{axis}) {{",
            f"{pad}    const int64_t t{axis} = i{axis} + a.pad[{d}] - k{axis} * a.dilation[{d}];",
            f"{pad}    if (t{axis} < 0 || t{axis} % a.stride[{d}] != 0) continue;",
            f"{pad}    const int64_t o{axis} = t{axis} / a.stride[{d}];",
            f"{pad}    if (o{axis} >= a.out[{d}]) continue;"]


def grad_input_kernel(ctx: EmitContext, dtype: str) -> DeviceKernel:
    """One thread per input element: the output gradients of the windows reading it, times the filter taps that
    read it, over the group's filters (the transposed convolution, gathered)."""
    t = real_type(ctx, dtype)
    lines, pad = [], " " * 12
    for d, axis in enumerate("zyx"):
        lines += _gather_axis(axis, d, pad)
        pad += "    "
    lines.append(f"{pad}acc += gf[{_GY_AT}] * wf[{_W_AT}];")
    lines += [" " * (12 + 4 * d) + "}" for d in reversed(range(3))]
    window = "\n".join(lines)
    text = f"""extern "C" __global__ void NAME(const NAME_args a) {{
    {_pointers(t, ["w", "gy"], "gx")}
    const int64_t cg = a.c / a.groups, fg = a.f / a.groups;
    {_GRID_LOOP}
        {_decode("i", ["n", "c", "iz", "iy", "ix"], ["a.c", "a.size[0]", "a.size[1]", "a.size[2]"])}
        const int64_t g = c / cg, ci = c % cg;
        {t} acc = 0;
        for (int64_t fi = 0; fi < fg; ++fi) {{
            const int64_t fo = g * fg + fi;
            const {t} *gf = gy + n * a.ys[0] + fo * a.ys[1];
            const {t} *wf = w + fo * a.ws[0] + ci * a.ws[1];
{window}
        }}
        gx[i] = acc;
    }}
}}"""
    return device_kernel(ctx, text, LAYOUT)


def grad_weights_kernel(ctx: EmitContext, dtype: str) -> DeviceKernel:
    """One block per filter element: its threads fold the ``a.m`` (image, output position) terms, then the warps
    sum through shuffles and the warps' sums through shared memory."""
    t = real_type(ctx, dtype)
    warp = "for (int off = 16; off > 0; off >>= 1) acc += __shfl_down_sync(0xffffffffu, acc, off);"
    text = f"""extern "C" __global__ void NAME(const NAME_args a) {{
    {_pointers(t, ["x", "gy"], "gw")}
    __shared__ {t} partial[32];
    const int64_t cg = a.c / a.groups, fg = a.f / a.groups;
    const unsigned lane = threadIdx.x & 31u, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    for (int64_t o = blockIdx.x; o < a.total; o += gridDim.x) {{
        {_decode("o", ["fo", "ci", "kz", "ky", "kx"], ["cg", "a.kernel[0]", "a.kernel[1]", "a.kernel[2]"])}
        const {t} *xc = x + ((fo / fg) * cg + ci) * a.xs[1];
        const {t} *gf = gy + fo * a.ys[1];
        {t} acc = 0;
        for (int64_t j = threadIdx.x; j < a.m; j += blockDim.x) {{
            {_decode("j", ["n", "oz", "oy", "ox"], ["a.out[0]", "a.out[1]", "a.out[2]"])}
            const int64_t iz = oz * a.stride[0] - a.pad[0] + kz * a.dilation[0];
            const int64_t iy = oy * a.stride[1] - a.pad[1] + ky * a.dilation[1];
            const int64_t ix = ox * a.stride[2] - a.pad[2] + kx * a.dilation[2];
            if (iz < 0 || iz >= a.size[0] || iy < 0 || iy >= a.size[1] || ix < 0 || ix >= a.size[2]) continue;
            acc += xc[n * a.xs[0] + {_X_AT}] * gf[n * a.ys[0] + {_GY_AT}];
        }}
        {warp}
        if (lane == 0) partial[warp] = acc;
        __syncthreads();
        if (warp == 0) {{
            acc = lane < warps ? partial[lane] : ({t})0;
            {warp}
            if (lane == 0) gw[o] = acc;
        }}
        __syncthreads();
    }}
}}"""
    return device_kernel(ctx, text, LAYOUT)


def lower_forward(ctx: EmitContext, node: Apply) -> KernelPlan:
    """``Conv2d`` and ``Conv3d``."""
    return KernelPlan(node, (forward_kernel(ctx, node.outputs[0].type.dtype),), (0, 1), run_forward)


def lower_grad_input(ctx: EmitContext, node: Apply) -> KernelPlan:
    """``Conv2dGradInput`` and ``Conv3dGradInput`` (the wanted shape, a host value)."""
    return KernelPlan(node, (grad_input_kernel(ctx, node.outputs[0].type.dtype),), (0, 1), run_grad_input)


def lower_grad_weights(ctx: EmitContext, node: Apply) -> KernelPlan:
    """``Conv2dGradWeights`` and ``Conv3dGradWeights`` (the wanted shape, a host value)."""
    return KernelPlan(node, (grad_weights_kernel(ctx, node.outputs[0].type.dtype),), (0, 1), run_grad_weights)
