"""Elemwise: the scalar derivatives applied over arrays, with NumPy broadcasting undone in reverse mode.

An input broadcast along an axis receives the sum of the gradient over that axis. Static size-1 axes are
summed with a plain reduction; an axis whose size is unknown at build time may turn out to be 1 at run time
(NumPy semantics), so unless another input pins the size (all others have size 1 there) the gradient goes
through ``SumToShape``, which decides at run time. A fused ``Composite`` is differentiated through its scalar
graph, and the result is again one fused Composite (forward values recomputed inside it).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from typing import Any

from arignote_core import (
    Apply,
    Composite,
    Constant,
    DimShuffle,
    Dot,
    Elemwise,
    MatMul,
    Reduce,
    Variable,
    clone_replace,
    toposort,
)
from arignote_core.scalars import ScalarType
from arignote_core.tensors.broadcast import sum_to_shape
from arignote_core.tensors.math import sum as tensor_sum

from ..errors import UndefinedGrad
from ..registry import ZERO, register_pullback, register_pushforward, scalar_derivative
from ..tensor_utils import broadcast_like, cast_to, is_differentiable, shape_of, zeros_like
from .elementwise_math import SCALAR_MATH, TENSOR_MATH, ElementwiseMath


def broadcast_axes(node: Apply, i: int) -> tuple[list[int], bool]:
    """Axes along which input ``i`` of an Elemwise node is broadcast for sure (static size 1 against a
    larger size), and whether some other axis may be broadcast only at run time: an axis of unknown size is
    safe when every other input has size 1 there or surely the same size (see :func:`axis_origin`)."""
    inputs = node.inputs
    x_shape = inputs[i].type.shape
    out_shape = node.outputs[0].type.shape
    static = [d for d, s in enumerate(x_shape) if s == 1 and out_shape[d] != 1]
    runtime = any(s is None and any(other.type.shape[d] != 1
                                    and axis_origin(other, d) != axis_origin(inputs[i], d)
                                    for j, other in enumerate(inputs) if j != i)
                  for d, s in enumerate(x_shape))
    return static, runtime


_ORIGINS: weakref.WeakKeyDictionary[Variable, dict[int, tuple[int, int]]] = weakref.WeakKeyDictionary()


def axis_origin(var: Variable, axis: int) -> tuple[int, int]:
    """A key shared by axes that surely have the same size: followed up through elementwise ops (where every
    input of size other than 1 there agrees), dimshuffles, reductions and 2-d products to the axis of the
    variable that sets it. Memoized per variable."""
    known = _ORIGINS.setdefault(var, {})
    if axis not in known:
        try:
            known[axis] = _trace_origin(var, axis)
        except RecursionError:
            known[axis] = (id(var), axis)
    return known[axis]


def _trace_origin(var: Variable, axis: int) -> tuple[int, int]:
    node = var.owner
    if node is None:
        return id(var), axis
    op = node.op
    if isinstance(op, Elemwise):
        sources = {axis_origin(x, axis) for x in node.inputs if x.type.shape[axis] != 1}
        if len(sources) == 1:
            return sources.pop()
    elif isinstance(op, DimShuffle) and op.new_order[axis] != "x":
        return axis_origin(node.inputs[0], int(op.new_order[axis]))
    elif isinstance(op, Reduce):
        kept = [d for d in range(node.inputs[0].type.ndim) if d not in op.axes]
        return axis_origin(node.inputs[0], kept[axis])
    elif isinstance(op, Dot | MatMul) and all(x.type.ndim == 2 for x in node.inputs):
        return axis_origin(node.inputs[0], 0) if axis == 0 else axis_origin(node.inputs[1], 1)
    return id(var), axis


def reduce_to_input(g: Variable, node: Apply, i: int) -> Variable:
    """The gradient ``g`` (of the output's shape) summed over the axes input ``i`` was broadcast along."""
    x = node.inputs[i]
    static, runtime = broadcast_axes(node, i)
    if runtime:
        return sum_to_shape(g, shape_of(x))
    if static:
        return tensor_sum(g, axis=static, keepdims=True)
    return g


def scalar_rule(op: Any) -> Any:
    rule = scalar_derivative(op)
    if rule is None:
        raise NotImplementedError(f"the scalar op {op} ({type(op).__name__}) has no derivative: register one "
                                  f"with arignote_grad.register_scalar_derivative({type(op).__name__}), or give "
                                  "it a method derivative(m, g, i, inputs, output)")
    return rule


def finish_input_grad(op: Any, node: Apply, i: int, d: Any) -> Any:
    """A scalar derivative's result for input ``i`` as that input's gradient."""
    x = node.inputs[i]
    if d is None or isinstance(d, UndefinedGrad):
        return d
    if not is_differentiable(x):
        # no gradient for an integer input: a placeholder tells the engine that one reached it
        return None if d is ZERO else zeros_like(x)
    if d is ZERO:
        return zeros_like(x)
    return reduce_to_input(cast_to(d, x), node, i)


def _step_function(op: Elemwise, node: Apply) -> list[Any] | None:
    """For an op with integer or boolean output (a comparison, a cast to an integer...): a step function, whose
    derivative is zero for every input it depends on (integer inputs pass on that a gradient reached them)."""
    if any(is_differentiable(o) for o in node.outputs):
        return None
    rule = scalar_derivative(op.scalar_op)
    probe = node.outputs[0]
    return [None if isinstance(x, Constant) or (rule is not None and rule(TENSOR_MATH, probe, i, node.inputs, probe)
                                               is None) else zeros_like(x)
            for i, x in enumerate(node.inputs)]


@register_pullback(Elemwise)
def elemwise_pullback(op: Elemwise, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    step = _step_function(op, node)
    if step is not None:
        return step
    if isinstance(op.scalar_op, Composite):
        return _composite_pullback(op, node, output_grads)
    (gz,) = output_grads
    if gz is None:
        return [None] * len(node.inputs)
    rule = scalar_rule(op.scalar_op)
    grads: list[Any] = []
    for i, x in enumerate(node.inputs):
        if isinstance(x, Constant):
            grads.append(None)
            continue
        d = rule(TENSOR_MATH, gz, i, node.inputs, node.outputs[0])
        grads.append(finish_input_grad(op, node, i, d))
    return grads


@register_pushforward(Elemwise)
def elemwise_pushforward(op: Elemwise, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    if isinstance(op.scalar_op, Composite):
        return _composite_pushforward(op, node, tangents)
    out = node.outputs[0]
    rule = scalar_rule(op.scalar_op)
    total = None
    covers_output = False
    for i, t in enumerate(tangents):
        if t is None:
            continue
        d = rule(TENSOR_MATH, t, i, node.inputs, out)
        if isinstance(d, UndefinedGrad):
            return [d]
        if d is None or d is ZERO:
            continue
        total = d if total is None else TENSOR_MATH.add(total, d)
        covers_output = covers_output or broadcast_axes(node, i) == ([], False)
    if total is None:
        return [None]
    total = cast_to(total, out)
    return [total if covers_output else broadcast_like(total, out)]


# -- Composite -------------------------------------------------------------------------------------------------


def flat_scalar_graph(comp: Composite) -> tuple[list[Variable], list[Variable]]:
    """The inputs and outputs of ``comp``'s scalar graph, with nested Composites inlined."""
    if not any(isinstance(n.op, Composite) for n in comp.nodes):
        return list(comp.inputs), list(comp.outputs)
    memo: dict[Variable, Variable] = {}
    for node in comp.nodes:
        inputs = [memo.get(v, v) for v in node.inputs]
        if isinstance(node.op, Composite):
            inner_in, inner_out = flat_scalar_graph(node.op)
            outs, _ = clone_replace(inner_out, dict(zip(inner_in, inputs, strict=True)))
        else:
            outs = node.clone_with_new_inputs(inputs).outputs
        memo.update(zip(node.outputs, outs, strict=True))
    return list(comp.inputs), [memo.get(o, o) for o in comp.outputs]


def _scalar_total(m: ElementwiseMath, terms: list[Any], dtype: str) -> Any:
    for t in terms:
        if isinstance(t, UndefinedGrad):
            return t
    real = [t for t in terms if t is not ZERO]
    if not real:
        return ZERO if terms else None
    total = real[0]
    for t in real[1:]:
        total = m.add(total, t)
    return m.cast(total, dtype)


def scalar_pullback(inputs: list[Variable], outputs: list[Variable], seeds: list[Any]) -> list[Any]:
    """Reverse mode over a scalar graph: for each input, an expression, None, ZERO or an undefined marker.

    A gradient reaching an integer value made inside the graph stops there (step functions have derivative
    zero); one reaching an integer input is reported like any other."""
    m = SCALAR_MATH
    terms: dict[Variable, list[Any]] = {o: [s] for o, s in zip(outputs, seeds, strict=True) if s is not None}
    for node in reversed(toposort(outputs, stop_at=inputs)):
        g = _scalar_total(m, terms.pop(node.outputs[0], []), node.outputs[0].type.dtype)
        if g is None or g is ZERO:
            continue
        for i, x in enumerate(node.inputs):
            if isinstance(x, Constant):
                continue
            d = g if isinstance(g, UndefinedGrad) else scalar_rule(node.op)(m, g, i, node.inputs, node.outputs[0])
            if not is_differentiable(x) and x not in inputs:
                continue  # an integer made inside the kernel (a cast, a comparison): a step function
            if d is not None:
                terms.setdefault(x, []).append(d)
    return [_scalar_total(m, terms.get(x, []), x.type.dtype) for x in inputs]


def scalar_pushforward(inputs: list[Variable], outputs: list[Variable], tangents: list[Any]) -> list[Any]:
    """Forward mode over a scalar graph: for each output, an expression, None or an undefined marker."""
    m = SCALAR_MATH
    known: dict[Variable, Any] = {x: t for x, t in zip(inputs, tangents, strict=True) if t is not None}
    for node in toposort(outputs, stop_at=inputs):
        out = node.outputs[0]
        terms = []
        for i, x in enumerate(node.inputs):
            t = known.get(x)
            if t is None:
                continue
            d = t if isinstance(t, UndefinedGrad) else scalar_rule(node.op)(m, t, i, node.inputs, out)
            if d is not None:
                terms.append(d)
        total = _scalar_total(m, terms, out.type.dtype)
        if total is not None and total is not ZERO:
            known[out] = total
    return [known.get(o) for o in outputs]


def _composite_pullback(op: Elemwise, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    inputs, outputs = flat_scalar_graph(op.scalar_op)  # type: ignore[arg-type]
    seed_vars = [None if g is None else ScalarType(o.type.dtype)() for o, g in zip(outputs, output_grads,
                                                                                   strict=True)]
    results = scalar_pullback(inputs, outputs, seed_vars)
    grads: list[Any] = [None] * len(inputs)
    fused: list[tuple[int, Variable]] = []
    for i, (x, r) in enumerate(zip(node.inputs, results, strict=True)):
        if isinstance(x, Constant):
            continue
        if isinstance(r, Variable) and is_differentiable(x):
            fused.append((i, r))
        else:
            grads[i] = finish_input_grad(op, node, i, r)
    if fused:
        used_seeds = [(v, g) for v, g in zip(seed_vars, output_grads, strict=True) if v is not None]
        kernel = Composite([*inputs, *(v for v, _ in used_seeds)], [r for _, r in fused])
        outs = Elemwise(kernel)(*node.inputs, *(g for _, g in used_seeds))
        outs = outs if isinstance(outs, list) else [outs]
        for (i, _), g in zip(fused, outs, strict=True):
            grads[i] = reduce_to_input(g, node, i)
    return grads


def _composite_pushforward(op: Elemwise, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    inputs, outputs = flat_scalar_graph(op.scalar_op)  # type: ignore[arg-type]
    tangent_vars = [None if t is None else ScalarType(x.type.dtype)() for x, t in zip(inputs, tangents,
                                                                                      strict=True)]
    results = scalar_pushforward(inputs, outputs, tangent_vars)
    out_tangents: list[Any] = [None] * len(outputs)
    fused = []
    for j, r in enumerate(results):
        if isinstance(r, UndefinedGrad):
            out_tangents[j] = r
        elif r is not None:
            fused.append((j, r))
    if fused:
        used = [(v, t) for v, t in zip(tangent_vars, tangents, strict=True) if v is not None]
        kernel = Composite([*inputs, *(v for v, _ in used)], [r for _, r in fused])
        outs = Elemwise(kernel)(*node.inputs, *(t for _, t in used))
        outs = outs if isinstance(outs, list) else [outs]
        covers = any(t is not None and broadcast_axes(node, i) == ([], False) for i, t in enumerate(tangents))
        for (j, _), t in zip(fused, outs, strict=True):
            out_tangents[j] = t if covers else broadcast_like(t, node.outputs[j])
    return out_tangents
