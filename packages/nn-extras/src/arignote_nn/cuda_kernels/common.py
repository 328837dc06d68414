"""What the CUDA kernels of nn-extras share: a kernel made from its text and argument struct, the element type of
a dtype, operands' strides in elements, and the grid of a launch."""

from __future__ import annotations

from arignote_c.emit.context import EmitContext, Unsupported
from arignote_c.emit.kernels import named_kernel
from arignote_cuda.args import ArgLayout
from arignote_cuda.device_array import DeviceArray
from arignote_cuda.kernels import DeviceKernel
from arignote_cuda.plan import LaunchContext

#: the dtypes with kernels, and the suffix of their helpers' names
SUFFIXES = {"float32": "f32", "float64": "f64"}


def real_type(ctx: EmitContext, dtype: str) -> str:
    """The CUDA type of ``dtype`` (float32 and float64; Unsupported for the others: their nodes run on the host)."""
    if dtype not in SUFFIXES:
        raise Unsupported(f"nn-extras has CUDA kernels for float32 and float64, not {dtype}")
    return ctx.storage(dtype)


def device_kernel(ctx: EmitContext, text: str, layout: ArgLayout) -> DeviceKernel:
    """A kernel from ``text`` (``extern "C" __global__ void NAME(const NAME_args a)``), named by the hash of its
    text and its struct's, with the helpers ``ctx`` holds."""
    source = named_kernel(layout.c_struct("NAME_args") + "\n" + text, "", prefix="agnn")
    return DeviceKernel(source.name, source.text, layout, dict(ctx.helpers))


def element_strides(array: DeviceArray) -> list[int]:
    """``array``'s strides in elements."""
    return [s // array.itemsize for s in array.strides]


def grid(ctx: LaunchContext, items: int) -> int:
    """Blocks for a grid-stride loop over ``items`` at the context's block size (at most its ``max_grid``)."""
    return min(-(-items // ctx.geometry.block), ctx.geometry.max_grid)
