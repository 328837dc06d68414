"""Lowering: how each tensor op becomes a step of the C program, in a registry keyed by op class.

A lowering returns a ``StepPlan`` (a runtime step kind, the node inputs it reads, the kernels it calls and its
parameters) or raises ``Unsupported``; the node then runs its reference ``perform`` from the compiled program.
An op outside the registry can bring its own C through a ``c_code(node) -> CKernel`` method, or a function
registered with ``register_c_code`` (see ``CKernel``). A package that cannot depend on this one registers from
a function it declares under the entry-point group ``arignote_c.extensions``, run before the first lowering.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeGuard

import numpy as np

from arignote_core.evaluator import raise_node_error
from arignote_core.graph import Apply, Constant, Variable, dtype_spec
from arignote_core.plugins import entry_points_in
from arignote_core.tensors import DimShuffle, Dot, Elemwise, MatMul, Reduce, Reshape, Shape
from arignote_core.tensors.blas_ops import Gemm, Gemv
from arignote_core.tensors.fused_reduce import FusedReduce

from .emit.context import EmitContext, Unsupported, Value
from .emit.kernels import KernelSource, Operand, elemwise_kernel, named_kernel, reduce_kernels, reduction_for
from .emit.scalar import emit_scalar
from .runtime import StepKind


@dataclass
class StepPlan:
    """One node as a runtime step: ``kernels`` fill the step's function slots in order."""

    kind: StepKind
    node: Apply
    inputs: list[Variable]
    kernels: list[KernelSource] = field(default_factory=list)
    ip: tuple[int, ...] = ()
    obj: Any = None
    #: the step may compute output 0 into input 0's buffer: ``link`` sets the last ``ip`` entry to 1 where the
    #: memory plan allows it (the runtime still checks shapes and aliasing)
    may_overwrite_input: bool = False
    #: a short word for reports: kernel, reduce, view, blas, user
    label: str = "kernel"


Lowering = Callable[[EmitContext, Apply], StepPlan]

#: lowerings by op class
LOWERINGS: dict[type, Lowering] = {}


def register_lowering(*op_classes: type) -> Callable[[Lowering], Lowering]:
    def add(fn: Lowering) -> Lowering:
        for cls in op_classes:
            LOWERINGS[cls] = fn
        return fn
    return add


@functools.cache
def load_extensions() -> None:
    """Run every ``arignote_c.extensions`` entry point (a function registering lowerings or C code), once per
    process; one that fails is reported in a warning and its ops run their ``perform``."""
    for ep in entry_points_in("arignote_c.extensions"):
        try:
            ep.load()()
        except Exception as exc:  # noqa: BLE001 -- a broken extension must not break the backend
            warnings.warn(f"the C backend extension {ep.name!r} ({ep.value}) failed to load: {exc!r}", stacklevel=2)


def _registered(ctx: EmitContext, node: Apply) -> StepPlan | None:
    """The step from a lowering or C code registered for the op's class (or a base class), or None."""
    for cls in type(node.op).__mro__:
        if cls in LOWERINGS:
            return LOWERINGS[cls](ctx, node)
        if cls in C_CODE:
            return _array_step(node, C_CODE[cls](node))
    return None


def lower(ctx: EmitContext, node: Apply) -> StepPlan:
    """The step for ``node``, or ``Unsupported``. The extensions load at the first op that nothing registered
    covers: a graph of built-in ops (most graphs) never pays for scanning and importing them."""
    plan = _registered(ctx, node)
    if plan is None:
        load_extensions()
        plan = _registered(ctx, node)
    if plan is not None:
        return plan
    if hasattr(node.op, "c_code"):
        return _array_step(node, node.op.c_code(node))
    raise Unsupported(f"no C lowering for {type(node.op).__name__}")


def python_step(node: Apply) -> Callable[[list[Any]], list[Any]]:
    """Run ``node.op.perform``, naming the node on error and giving arrays of the declared dtypes."""
    perform = node.op.perform
    dtypes = [getattr(o.type, "dtype", None) for o in node.outputs]

    def run(args: list[Any]) -> list[Any]:
        try:
            results = perform(node, args)
        except Exception as exc:
            raise_node_error(node, args, exc)
        return [r if d is None or (type(r) is np.ndarray and r.dtype.name == d) else np.asarray(r, dtype=d)
                for r, d in zip(results, dtypes, strict=True)]

    return run


# ---------------------------------------------------------------------------------------------------------
# user C code


@dataclass(frozen=True)
class CKernel:
    """C code for an op, run by the compiled program like the built-in kernels.

    ``body`` is the body of ``int f(const ag_array *in, const ag_array *out)``, where ``ag_array`` is
    ``{char *data; int ndim; const int64_t *shape; const int64_t *strides; int typenum;}`` (strides in bytes)
    and the outputs are already allocated; return 0, or nonzero for an error (set a Python exception first to
    choose it). ``output_shapes`` is the index of the input whose shape every output has, or a function from
    the list of input shapes to the list of output shapes (called on every run, so it may also check them and
    raise); with ``shapes_from_values`` it is given the input values instead, for outputs sized by an input's
    values. ``support`` goes at file scope before the function (helpers, ``#include`` lines).
    """

    body: str
    output_shapes: int | Callable[[list[Any]], list[tuple[int, ...]]] = 0
    support: str = ""
    shapes_from_values: bool = False


#: C code of ops by class: ``fn(node) -> CKernel``
C_CODE: dict[type, Callable[[Apply], CKernel]] = {}


def register_c_code(*op_classes: type) -> Callable[[Callable[[Apply], CKernel]], Callable[[Apply], CKernel]]:
    """Give ops (by class) C code: ``@register_c_code(MyOp) def my_op_c(node) -> CKernel``."""
    def add(fn: Callable[[Apply], CKernel]) -> Callable[[Apply], CKernel]:
        for cls in op_classes:
            C_CODE[cls] = fn
        return fn
    return add


ARRAY_STRUCT = ("typedef struct { char *data; int ndim; const int64_t *shape; const int64_t *strides; "
                "int typenum; } ag_array;")


def _array_step(node: Apply, kernel: CKernel) -> StepPlan:
    text = f"{kernel.support}\nint NAME(const ag_array *in, const ag_array *out) {{\n{kernel.body}\n}}"
    source = named_kernel(text, "int NAME(const ag_array *, const ag_array *);", prefix="ag_user", python=True)
    if isinstance(kernel.output_shapes, int):
        ip, obj = (0, kernel.output_shapes), None
    else:
        shapes = kernel.output_shapes
        if kernel.shapes_from_values:
            ip, obj = (3, 0), lambda values: [tuple(s) for s in shapes(values)]
        else:
            ip, obj = (1, 0), lambda in_shapes: [tuple(s) for s in shapes([tuple(x) for x in in_shapes])]
    return StepPlan(StepKind.ARRAY, node, list(node.inputs), [source], ip, obj, label="user")


# ---------------------------------------------------------------------------------------------------------
# elementwise and reductions


def _inlinable(var: Variable) -> TypeGuard[Constant]:
    return isinstance(var, Constant) and np.size(var.data) == 1


@register_lowering(Elemwise)
def _lower_elemwise(ctx: EmitContext, node: Apply) -> StepPlan:
    scalar_op = node.op.scalar_op
    pointers = [v for v in node.inputs if not _inlinable(v)]
    if len(pointers) + len(node.outputs) > 32:
        raise Unsupported("too many operands for one kernel")

    def body(xs: list[Value], assign: Callable[[str, str], str]) -> list[Value]:
        given = iter(xs)
        args = [Value(ctx.literal(np.asarray(v.data).item(), v.type.dtype), v.type.dtype, dtype_spec(v))
                if _inlinable(v) else next(given) for v in node.inputs]
        return emit_scalar(ctx, scalar_op, args, assign)

    operands = [Operand(v.type.dtype, dtype_spec(v)) for v in pointers]
    kernel = elemwise_kernel(ctx, operands, [o.type.dtype for o in node.outputs], body)
    return StepPlan(StepKind.ELEMWISE, node, pointers, [kernel], (node.outputs[0].type.ndim,))


def reduce_step(ctx: EmitContext, node: Apply, op_name: str, dtype: str, axes: tuple[int, ...], inputs: list[Variable],
                ndim: int, body: Callable[[list[Value], Callable[[str, str], str]], list[Value]],
                initial: float | None = None) -> StepPlan:
    """A reduction of ``body(inputs)`` (inputs broadcast together, of ``ndim`` dims) over ``axes``, starting from
    ``initial`` when given (then an empty reduction is not an error)."""
    red = reduction_for(op_name, dtype)
    operands = [Operand(v.type.dtype, dtype_spec(v)) for v in inputs]
    kernels = reduce_kernels(ctx, operands, red, body)
    identity = np.asarray(red.identity() if initial is None else initial).astype(dtype)
    ip = (ndim, len(axes), *axes, 0 if red.has_identity or initial is not None else 1)
    return StepPlan(StepKind.REDUCE, node, inputs, kernels, ip, (identity, op_name), label="reduce")


@register_lowering(Reduce)
def _lower_reduce(ctx: EmitContext, node: Apply) -> StepPlan:
    op = node.op
    x = node.inputs[0]
    return reduce_step(ctx, node, op.scalar_op.name, op.dtype, op.axes, [x], x.type.ndim, lambda xs, assign: xs)


@register_lowering(FusedReduce)
def _lower_fused_reduce(ctx: EmitContext, node: Apply) -> StepPlan:
    op = node.op

    def body(xs: list[Value], assign: Callable[[str, str], str]) -> list[Value]:
        return emit_scalar(ctx, op.composite, xs, assign)

    return reduce_step(ctx, node, op.scalar_op.name, op.dtype, op.axes, list(node.inputs), node.inputs[0].type.ndim,
                       body, op.initial)


# ---------------------------------------------------------------------------------------------------------
# views and shapes


@register_lowering(DimShuffle)
def _lower_dimshuffle(ctx: EmitContext, node: Apply) -> StepPlan:
    op = node.op
    order = tuple(-1 if d == "x" else int(d) for d in op.new_order)
    return StepPlan(StepKind.DIMSHUFFLE, node, [node.inputs[0]], ip=(op.input_ndim, len(order), *order), label="view")


@register_lowering(Reshape)
def _lower_reshape(ctx: EmitContext, node: Apply) -> StepPlan:
    return StepPlan(StepKind.RESHAPE, node, list(node.inputs), ip=(node.op.ndim,), label="view")


@register_lowering(Shape)
def _lower_shape(ctx: EmitContext, node: Apply) -> StepPlan:
    return StepPlan(StepKind.SHAPE, node, list(node.inputs), label="view")


# ---------------------------------------------------------------------------------------------------------
# BLAS


def blas_step(node: Apply, a: Variable, b: Variable) -> StepPlan:
    """``matmul(a, b)`` through BLAS, for float32/float64 operands of the output's dtype."""
    dtype = node.outputs[0].type.dtype
    if dtype not in ("float32", "float64") or a.type.dtype != dtype or b.type.dtype != dtype:
        raise Unsupported(f"BLAS products are for float32/float64, got {a.type.dtype} and {b.type.dtype}")
    return StepPlan(StepKind.MATMUL, node, [a, b], label="blas")


@register_lowering(Dot)
def _lower_dot(ctx: EmitContext, node: Apply) -> StepPlan:
    a, b = node.inputs
    if not (1 <= a.type.ndim <= 2 and 1 <= b.type.ndim <= 2):
        raise Unsupported("dot of scalars or of more than 2 dimensions")
    return blas_step(node, a, b)


@register_lowering(MatMul)
def _lower_matmul(ctx: EmitContext, node: Apply) -> StepPlan:
    return blas_step(node, *node.inputs)


@register_lowering(Gemm, Gemv)
def _lower_gemm(ctx: EmitContext, node: Apply) -> StepPlan:
    """graph-opt's GEMM/GEMV; the reference ``perform`` covers a bias larger than the product."""
    op = node.op
    trans_b = getattr(op, "trans_b", False)
    return StepPlan(StepKind.GEMM, node, list(node.inputs), ip=(int(op.trans_a), int(trans_b), 0),
                    obj=python_step(node), label="blas", may_overwrite_input=True)
