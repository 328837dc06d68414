"""What every lowering shares: the step plan, the registries by op class, ``lower``, Python steps and user C code.

A lowering returns a ``StepPlan`` (a runtime step kind, the node inputs it reads, the kernels it calls and its
parameters by name) or raises ``Unsupported``; the node then runs its reference ``perform`` from the compiled
program. An op outside the registry can bring its own C through a ``c_code(node) -> CKernel`` method, or a
function registered with ``register_c_code`` (see ``CKernel``). A package that cannot depend on this one registers
from a function it declares under the entry-point group ``arignote_c.extensions``, run before the first lowering.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from arignote_core.evaluator import raise_node_error
from arignote_core.graph import Apply, Variable, dtype_spec
from arignote_core.plugins import entry_points_in

from ..emit.context import EmitContext, Unsupported, Value
from ..emit.kernels import KernelSource, Operand, elemwise_kernel, named_kernel
from ..runtime.source import IN_PLACE, STEP_PARAMS, OutputShapes, StepKind, pack_params


@dataclass
class StepPlan:
    """One node as a runtime step: ``kernels`` fill the step's function slots in order; ``params`` are the integer
    parameters its kind declares (``runtime.source.STEP_PARAMS``), by name, checked and packed at once."""

    kind: StepKind
    node: Apply
    inputs: list[Variable]
    kernels: list[KernelSource] = field(default_factory=list)
    params: Mapping[str, int | Sequence[int]] = field(default_factory=dict)
    obj: Any = None
    #: a short word for reports: kernel, reduce, view, blas, user, loop (a scan), python (a fallback)
    label: str = "kernel"
    #: ``params`` in the kind's order, as the executor reads them
    ip: tuple[int, ...] = field(init=False)

    def __post_init__(self) -> None:
        self.ip = pack_params(self.kind, self.params)

    @property
    def may_overwrite_input(self) -> bool:
        """Whether the step may compute output 0 into input 0's buffer: its kind has an ``in_place`` parameter,
        which the link sets where the memory plan allows (``in_place_ip``)."""
        return IN_PLACE in STEP_PARAMS[self.kind].names

    def in_place_ip(self) -> tuple[int, ...]:
        """The packed parameters with the in-place flag set."""
        return pack_params(self.kind, {**self.params, IN_PLACE: 1})


Lowering = Callable[[EmitContext, Apply], StepPlan]

#: lowerings by op class
LOWERINGS: dict[type, Lowering] = {}


def register_lowering(*op_classes: type) -> Callable[[Lowering], Lowering]:
    """Lower ops (by class) to steps: ``@register_lowering(MyOp) def lower_my_op(ctx, node) -> StepPlan``."""
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


def python_step(node: Apply, perform: Callable[[Apply, list[Any]], Sequence[Any]] | None = None) \
        -> Callable[[list[Any]], list[Any]]:
    """Run ``node.op.perform`` (or ``perform``), naming the node on error and giving arrays of the declared
    dtypes."""
    perform = perform or node.op.perform
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
        mode, arg, obj = OutputShapes.LIKE_INPUT, kernel.output_shapes, None
    else:
        shapes, arg = kernel.output_shapes, 0
        if kernel.shapes_from_values:
            mode, obj = OutputShapes.FROM_VALUES, lambda values: [tuple(s) for s in shapes(values)]
        else:
            mode, obj = (OutputShapes.FROM_SHAPES,
                         lambda in_shapes: [tuple(s) for s in shapes([tuple(x) for x in in_shapes])])
    return StepPlan(StepKind.ARRAY, node, list(node.inputs), [source], dict(output_shapes=mode, shape_arg=arg), obj,
                    label="user")


# ---------------------------------------------------------------------------------------------------------
# kernels that several families use


def pass_through(xs: list[Value], assign: Callable[[str, str], str]) -> list[Value]:
    """A kernel body giving its operands unchanged: a copy, or the values a reduction folds as they are."""
    return xs


def copy_kernel(ctx: EmitContext, source: Variable, dtype: str) -> KernelSource:
    """``out = source`` converted to ``dtype`` (NumPy's astype)."""
    return elemwise_kernel(ctx, [Operand(source.type.dtype, dtype_spec(source))], [dtype], pass_through)
