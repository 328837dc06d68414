"""Which nodes get a CUDA kernel, and the kernel: ``Elemwise`` (Composite included) as an elementwise kernel,
``Reduce`` and graph-opt's ``FusedReduce`` as a reduction kernel. Every other op, and float16 or complex work,
runs its NumPy ``perform`` on the host (``lower`` raises Unsupported, saying why)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from arignote_c.emit.context import EmitContext, Unsupported, Value
from arignote_c.emit.kernels import Operand, reduction_for
from arignote_c.emit.scalar import emit_scalar
from arignote_c.lowering.elementwise import elemwise_body
from arignote_core.graph import Apply, dtype_spec
from arignote_core.tensors import Elemwise, Reduce
from arignote_core.tensors.fused_reduce import FusedReduce

from .dialect import CUDA_DIALECT, DEVICE_TYPES
from .kernels import DeviceKernel, elemwise_kernel, reduce_kernel

#: what only C spells (float16's and complex's types and functions): a kernel using one runs on the host
_HOST_ONLY = ("_Float16", "_Complex", "CMPLX", "__builtin_")


@dataclass(frozen=True)
class KernelPlan:
    """A node as a kernel launch: the kernel, the positions of the node inputs passed as pointers (size-1
    constants are inlined), and for reductions the axes and whether an empty one has a value."""

    node: Apply
    kernel: DeviceKernel
    operands: list[int]
    axes: tuple[int, ...] | None = None
    empty_ok: bool = True

    @property
    def reduces(self) -> bool:
        return self.axes is not None


def _check_dtypes(node: Apply) -> None:
    for var in [*node.inputs, *node.outputs]:
        dtype = getattr(var.type, "dtype", None)
        if dtype not in DEVICE_TYPES:
            raise Unsupported(f"{dtype} has no CUDA kernels yet")


def lower(node: Apply) -> KernelPlan:
    """The kernel for ``node``, or Unsupported."""
    _check_dtypes(node)
    ctx = EmitContext(CUDA_DIALECT)
    try:
        plan = _lower(ctx, node)
    except KeyError as exc:  # a dtype the dialect has no type for, met inside a composite
        raise Unsupported(f"{exc.args[0]} has no CUDA kernels yet") from exc
    texts = [plan.kernel.text, *plan.kernel.helpers.values()]
    if any(word in text for text in texts for word in _HOST_ONLY):
        raise Unsupported("float16 and complex arithmetic have no CUDA kernels yet")
    return plan


def _lower(ctx: EmitContext, node: Apply) -> KernelPlan:
    op = node.op
    if isinstance(op, Elemwise):
        return _elemwise(ctx, node)
    if isinstance(op, Reduce):
        x = node.inputs[0]
        red = reduction_for(op.scalar_op.name, op.dtype)
        kernel = reduce_kernel(ctx, [Operand(x.type.dtype, dtype_spec(x))], red, lambda xs, assign: xs)
        return KernelPlan(node, kernel, [0], op.axes, red.has_identity)
    if isinstance(op, FusedReduce):
        red = reduction_for(op.scalar_op.name, op.dtype)

        def body(xs: list[Value], assign: Callable[[str, str], str]) -> list[Value]:
            return emit_scalar(ctx, op.composite, xs, assign)

        operands = [Operand(v.type.dtype, dtype_spec(v)) for v in node.inputs]
        kernel = reduce_kernel(ctx, operands, red, body, op.initial)
        empty_ok = red.has_identity or op.initial is not None
        return KernelPlan(node, kernel, list(range(len(node.inputs))), op.axes, empty_ok)
    raise Unsupported(f"no CUDA kernel for {type(op).__name__}")


def _elemwise(ctx: EmitContext, node: Apply) -> KernelPlan:
    pointers, body = elemwise_body(ctx, node)
    operands = [Operand(node.inputs[i].type.dtype, dtype_spec(node.inputs[i])) for i in pointers]
    kernel = elemwise_kernel(ctx, operands, [o.type.dtype for o in node.outputs], body)
    return KernelPlan(node, kernel, pointers)
