"""CUDA kernels of the pooling ops (``Pool2d`` and its gradients), one thread per element of the result in a
grid-stride loop, with codegen-c's kernels' semantics (``c_kernels/pool.c``):

- ``Pool2d``: max (padding as minus infinity, NaN when the window holds one), sum and the two averages (summed
  in double; ``average_inc_pad`` divides by the window clipped to the padded input, ``average_exc_pad`` to the
  input);
- ``MaxPool2dGrad``: each input element gathers the output gradients of the windows whose first maximum
  (row-major, among the input's own elements, NaN the largest) it is, in the windows' order, as the C kernel
  adds them;
- ``MaxPool2dGradGrad``: ``ggx`` read at each window's first maximum (0 for a window of no element);
- ``AveragePool2dGrad``: each input element gathers the (divided) output gradients of the windows covering it.

The planes (every axis but the last two) are indexed through each operand's strides, merged where contiguous;
outputs are C-contiguous. Shapes are checked in Python before each launch, with the reference's messages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from arignote_c.emit.context import EmitContext
from arignote_core import Apply
from arignote_cuda.args import MAX_DIMS, ArgLayout, Field
from arignote_cuda.device_array import DeviceArray
from arignote_cuda.kernels import DeviceKernel
from arignote_cuda.launch import padded
from arignote_cuda.layout import merge_dims
from arignote_cuda.plan import KernelPlan, LaunchContext

from ..pool import PoolParams
from ..pool_kernels import POOL_MODES
from .common import SUFFIXES, device_kernel, element_strides, grid, real_type

#: the input's (``h``, ``w``) and pooled (``oh``, ``ow``) plane sizes, the window, the mode (as POOL_MODES), the
#: planes' merged axes (``ldim``, ``lshape``) with the two operands' strides over them and over rows and columns
#: (``rs``), in elements; pointers (operands, then the output) and the error flag
LAYOUT = ArgLayout((
    Field("total"), Field("h"), Field("w"), Field("oh"), Field("ow"), Field("ws", (2,)), Field("stride", (2,)),
    Field("pad", (2,)), Field("mode"), Field("ldim"), Field("lshape", (MAX_DIMS,)), Field("lstrides", (2, MAX_DIMS)),
    Field("rs", (2, 2)), Field("ptr", (3,), True), Field("err", pointer=True)))


def pooled_shape(op: PoolParams, shape: Sequence[int]) -> tuple[int, ...]:
    """The pooled shape of an input of ``shape``; ValueError when the window does not fit (the reference's
    message)."""
    shape = tuple(int(s) for s in shape)
    if len(shape) < 2 or min(shape) < 0:
        raise ValueError(f"{op}: cannot pool an input of shape {shape}")
    return (*shape[:-2], *op.geometry(shape).out_hw)


def _same(what: str, got: Sequence[int], want: Sequence[int]) -> None:
    if tuple(got) != tuple(want):
        raise ValueError(f"{what}: an array of shape {tuple(got)} where shape {tuple(want)} is needed")


def _launch(plan: KernelPlan, ctx: LaunchContext, in_shape: tuple[int, ...], pooled: tuple[int, ...],
            operands: Sequence[DeviceArray], out: DeviceArray, mode: str) -> None:
    """Launch the plan's kernel over ``out``'s elements; ``operands`` share the planes of ``in_shape``."""
    if not out.size:
        return
    op = plan.node.op
    strides = [element_strides(a) for a in operands]
    lead, lead_strides = merge_dims(in_shape[:-2], [s[:-2] for s in strides])
    rows = [*lead_strides, *[[0] * len(lead)] * (2 - len(operands))]
    planes = [s[-2:] for s in strides] + [[0, 0]] * (2 - len(operands))
    args = LAYOUT.pack(total=out.size, h=in_shape[-2], w=in_shape[-1], oh=pooled[-2], ow=pooled[-1], ws=op.ws,
                       stride=op.stride, pad=op.pad, mode=POOL_MODES.index(mode), ldim=len(lead),
                       lshape=padded([lead])[0], lstrides=padded(rows), rs=planes)
    args["ptr"] = [a.pointer for a in (*operands, out, out)][:3]  # an unused slot points at the output
    args["err"] = ctx.err
    ctx.launch(plan.kernels[0], grid(ctx, out.size), ctx.geometry.block, args)


def _output(plan: KernelPlan, ctx: LaunchContext, shape: tuple[int, ...]) -> DeviceArray:
    return DeviceArray(ctx.pool, shape, np.dtype(plan.node.outputs[0].type.dtype))


def run_forward(plan: KernelPlan, values: Sequence[Any], ctx: LaunchContext) -> list[DeviceArray]:
    """``y = pool2d(x)``."""
    op = plan.node.op
    (x,) = values
    pooled = pooled_shape(op, x.shape)
    y = _output(plan, ctx, pooled)
    _launch(plan, ctx, x.shape, pooled, [x], y, op.mode)
    return [y]


def run_max_grad(plan: KernelPlan, values: Sequence[Any], ctx: LaunchContext) -> list[DeviceArray]:
    """``gx = max_pool2d_grad(x, gy)``."""
    op = plan.node.op
    x, gy = values
    pooled = pooled_shape(op, x.shape)
    _same(f"{op} output gradient", gy.shape, pooled)
    gx = _output(plan, ctx, x.shape)
    _launch(plan, ctx, x.shape, pooled, [x, gy], gx, "max")
    return [gx]


def run_max_grad_grad(plan: KernelPlan, values: Sequence[Any], ctx: LaunchContext) -> list[DeviceArray]:
    """``ggy = max_pool2d_grad_grad(x, ggx)``."""
    op = plan.node.op
    x, ggx = values
    _same(f"{op} ggx", ggx.shape, x.shape)
    pooled = pooled_shape(op, x.shape)
    ggy = _output(plan, ctx, pooled)
    _launch(plan, ctx, x.shape, pooled, [x, ggx], ggy, "max")
    return [ggy]


def run_average_grad(plan: KernelPlan, values: Sequence[Any], ctx: LaunchContext) -> list[DeviceArray]:
    """``gx = average_pool2d_grad(gy, x_shape)``."""
    op = plan.node.op
    gy, wanted = values
    x_shape = tuple(int(s) for s in np.ravel(wanted))
    pooled = pooled_shape(op, x_shape)
    _same(f"{op} output gradient", gy.shape, pooled)
    gx = _output(plan, ctx, x_shape)
    _launch(plan, ctx, x_shape, pooled, [gy], gx, op.mode)
    return [gx]


# -----------------------------------------------------------------------------------------------------------
# kernel text


def _pointers(t: str, inputs: Sequence[str], output: str) -> str:
    lines = [f"const {t} *__restrict__ {name} = (const {t} *)a.ptr[{k}];" for k, name in enumerate(inputs)]
    lines.append(f"{t} *__restrict__ {output} = ({t} *)a.ptr[{len(inputs)}];")
    return "\n    ".join(lines)


def _plane(t: str, names: Sequence[str], index: str) -> str:
    """Statements declaring ``{name}p``, operand k's pointer ``names[k]`` moved to plane ``index``: the merged
    axes unrolled over constant indices (no local memory)."""
    adds = " ".join(f"{name}p += c * a.lstrides[{k}][d];" for k, name in enumerate(names))
    starts = " ".join(f"const {t} *{name}p = {name};" for name in names)
    return (f"{starts} int64_t rq = {index};\n"
            f"        #pragma unroll\n"
            f"        for (int d = {MAX_DIMS - 1}; d >= 0; --d) {{\n"
            f"            if (d < a.ldim) {{ const int64_t c = rq % a.lshape[d]; rq /= a.lshape[d]; {adds} }}\n"
            f"        }}")


def _span(axis: int, o: str, prefix: str) -> str:
    """Window ``o`` along ``axis``: its start ``{prefix}s`` (maybe in the padding) and the input range
    [``{prefix}lo``, ``{prefix}hi``) it covers."""
    size = "a.h" if axis == 0 else "a.w"
    s, end = f"{prefix}s", f"{prefix}s + a.ws[{axis}]"
    return (f"const int64_t {s} = {o} * a.stride[{axis}] - a.pad[{axis}], {prefix}lo = {s} > 0 ? {s} : 0, "
            f"{prefix}hi = {end} < {size} ? {end} : {size};")


def _count(axis: int, prefix: str) -> str:
    """How many elements window ``prefix`` averages along ``axis`` (the padding counts in average_inc_pad)."""
    size = "a.h" if axis == 0 else "a.w"
    s, end, top = f"{prefix}s", f"{prefix}s + a.ws[{axis}]", f"{size} + a.pad[{axis}]"
    return (f"(a.mode == 2 ? ({end} < {top} ? {end} : {top}) - ({s} > -a.pad[{axis}] ? {s} : -a.pad[{axis}]) "
            f": {prefix}hi - {prefix}lo)")


def _covering(axis: int) -> str:
    """The windows ``[o{y,x}lo, o{y,x}hi]`` along ``axis`` that cover input position ``i{y,x}``."""
    a, n = "yx"[axis], ("a.oh", "a.ow")[axis]
    first, last = f"f{a}", f"l{a}"
    return (f"const int64_t {first} = i{a} + a.pad[{axis}] - a.ws[{axis}] + 1, "
            f"{last} = (i{a} + a.pad[{axis}]) / a.stride[{axis}];\n"
            f"        const int64_t o{a}lo = {first} <= 0 ? 0 : ({first} + a.stride[{axis}] - 1) / a.stride[{axis}], "
            f"o{a}hi = {last} < {n} - 1 ? {last} : {n} - 1;")


_GRID_LOOP = ("const int64_t step = (int64_t)blockDim.x * gridDim.x;\n"
              "    for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < a.total; i += step) {")
_OUT_POSITION = "const int64_t ox = i % a.ow, rest = i / a.ow, oy = rest % a.oh, q = rest / a.oh;"
_IN_POSITION = "const int64_t ix = i % a.w, rest = i / a.w, iy = rest % a.h, q = rest / a.h;"


def _argmax(ctx: EmitContext, dtype: str) -> str:
    """The helper giving the first maximum (row-major, NaN the largest) of a window of a plane as ``row * w +
    column``, -1 for a window of no element."""
    t = real_type(ctx, dtype)

    def define(qualifier: str) -> str:
        return f"""{qualifier} int64_t nn_window_argmax_{SUFFIXES[dtype]}(const {t} *p, int64_t ry, int64_t rx,
        int64_t w, int64_t ylo, int64_t yhi, int64_t xlo, int64_t xhi) {{
    if (ylo >= yhi || xlo >= xhi) return -1;
    {t} best = p[ylo * ry + xlo * rx];
    int64_t at = ylo * w + xlo;
    for (int64_t u = ylo; u < yhi; ++u)
        for (int64_t v = xlo; v < xhi; ++v) {{
            const {t} e = p[u * ry + v * rx];
            const int take = (e > best) | ((e != e) & (best == best));
            best = take ? e : best;
            at = take ? u * w + v : at;
        }}
    return at;
}}"""

    return ctx.helper(f"nn_window_argmax_{SUFFIXES[dtype]}", define)


def forward_kernel(ctx: EmitContext, dtype: str) -> DeviceKernel:
    """One thread per pooled element: its window's maximum, sum or average."""
    t = real_type(ctx, dtype)
    read = "xp[u * a.rs[0][0] + v * a.rs[0][1]]"
    text = f"""extern "C" __global__ void NAME(const NAME_args a) {{
    {_pointers(t, ["x"], "y")}
    {_GRID_LOOP}
        {_OUT_POSITION}
        {_plane(t, ["x"], "q")}
        {_span(0, "oy", "y")}
        {_span(1, "ox", "x")}
        if (a.mode == 0) {{
            {t} best = -INFINITY;
            int nan = 0;
            for (int64_t u = ylo; u < yhi; ++u)
                for (int64_t v = xlo; v < xhi; ++v) {{
                    const {t} e = {read};
                    best = e > best ? e : best;
                    nan |= e != e;
                }}
            y[i] = nan ? ({t})NAN : best;
        }} else {{
            double total = 0;
            for (int64_t u = ylo; u < yhi; ++u)
                for (int64_t v = xlo; v < xhi; ++v) total += (double){read};
            if (a.mode != 1) total /= (double)({_count(0, "y")} * {_count(1, "x")});
            y[i] = ({t})total;
        }}
    }}
}}"""
    return device_kernel(ctx, text, LAYOUT)


def max_grad_kernel(ctx: EmitContext, dtype: str) -> DeviceKernel:
    """One thread per input element: the output gradients of the windows whose first maximum it is."""
    t = real_type(ctx, dtype)
    argmax = _argmax(ctx, dtype)
    text = f"""extern "C" __global__ void NAME(const NAME_args a) {{
    {_pointers(t, ["x", "gy"], "gx")}
    {_GRID_LOOP}
        {_IN_POSITION}
        {_plane(t, ["x", "gy"], "q")}
        {_covering(0)}
        {_covering(1)}
        {t} acc = 0;
        for (int64_t oy = oylo; oy <= oyhi; ++oy) {{
            {_span(0, "oy", "y")}
            for (int64_t ox = oxlo; ox <= oxhi; ++ox) {{
                {_span(1, "ox", "x")}
                if ({argmax}(xp, a.rs[0][0], a.rs[0][1], a.w, ylo, yhi, xlo, xhi) == iy * a.w + ix)
                    acc += gyp[oy * a.rs[1][0] + ox * a.rs[1][1]];
            }}
        }}
        gx[i] = acc;
    }}
}}"""
    return device_kernel(ctx, text, LAYOUT)


def max_grad_grad_kernel(ctx: EmitContext, dtype: str) -> DeviceKernel:
    """One thread per pooled element: ``ggx`` at its window's first maximum."""
    t = real_type(ctx, dtype)
    argmax = _argmax(ctx, dtype)
    text = f"""extern "C" __global__ void NAME(const NAME_args a) {{
    {_pointers(t, ["x", "ggx"], "ggy")}
    {_GRID_LOOP}
        {_OUT_POSITION}
        {_plane(t, ["x", "ggx"], "q")}
        {_span(0, "oy", "y")}
        {_span(1, "ox", "x")}
        const int64_t at = {argmax}(xp, a.rs[0][0], a.rs[0][1], a.w, ylo, yhi, xlo, xhi);
        ggy[i] = at < 0 ? ({t})0 : ggxp[(at / a.w) * a.rs[1][0] + (at % a.w) * a.rs[1][1]];
    }}
}}"""
    return device_kernel(ctx, text, LAYOUT)


def average_grad_kernel(ctx: EmitContext, dtype: str) -> DeviceKernel:
    """One thread per input element: the output gradients of the windows covering it, each divided by its
    window's count (not for sum)."""
    t = real_type(ctx, dtype)
    text = f"""extern "C" __global__ void NAME(const NAME_args a) {{
    {_pointers(t, ["gy"], "gx")}
    {_GRID_LOOP}
        {_IN_POSITION}
        {_plane(t, ["gy"], "q")}
        {_covering(0)}
        {_covering(1)}
        {t} acc = 0;
        for (int64_t oy = oylo; oy <= oyhi; ++oy) {{
            {_span(0, "oy", "y")}
            for (int64_t ox = oxlo; ox <= oxhi; ++ox) {{
                {_span(1, "ox", "x")}
                const {t} g = gyp[oy * a.rs[0][0] + ox * a.rs[0][1]];
                acc += a.mode == 1 ? g : ({t})((double)g / (double)({_count(0, "y")} * {_count(1, "x")}));
            }}
        }}
        gx[i] = acc;
    }}
}}"""
    return device_kernel(ctx, text, LAYOUT)


def _dtype(node: Apply) -> str:
    return str(node.outputs[0].type.dtype)


def lower_forward(ctx: EmitContext, node: Apply) -> KernelPlan:
    """``Pool2d``, every mode."""
    return KernelPlan(node, (forward_kernel(ctx, _dtype(node)),), (0,), run_forward)


def lower_max_grad(ctx: EmitContext, node: Apply) -> KernelPlan:
    """``MaxPool2dGrad``."""
    return KernelPlan(node, (max_grad_kernel(ctx, _dtype(node)),), (0, 1), run_max_grad)


def lower_max_grad_grad(ctx: EmitContext, node: Apply) -> KernelPlan:
    """``MaxPool2dGradGrad``."""
    return KernelPlan(node, (max_grad_grad_kernel(ctx, _dtype(node)),), (0, 1), run_max_grad_grad)


def lower_average_grad(ctx: EmitContext, node: Apply) -> KernelPlan:
    """``AveragePool2dGrad`` (sum and both averages; the input's shape, a host value)."""
    return KernelPlan(node, (average_grad_kernel(ctx, _dtype(node)),), (0,), run_average_grad)
