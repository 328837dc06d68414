"""Symbolic shapes for rules that must keep a result's shape: ``x - x`` is zeros *of the shape of x*.

A size is an int when the type knows it, else an int64 scalar computed from ``shape(var)``. Only the inputs
of the expression being rewritten are measured, never its output (that would make a cycle).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from arignote_core import Constant, Elemwise, Shape, Subtensor, Variable, alloc, as_tensor, cast
from arignote_core.tensors import math

Size = Any  # int | int64 scalar variable


def size_of(var: Variable, axis: int) -> Size:
    """The size of ``var`` along ``axis``: static, or ``shape(var)[axis]``."""
    static = var.type.shape[axis]
    if static is not None:
        return static
    return Subtensor((("int", axis),))(Shape()(var))


def shape_of(var: Variable) -> tuple[Size, ...]:
    return tuple(size_of(var, axis) for axis in range(var.type.ndim))


def broadcast_size(sizes: Sequence[Size]) -> Size:
    """The broadcast of sizes along one axis (NumPy's rule: a size 1 takes the other)."""
    known = [s for s in sizes if isinstance(s, int)]
    if any(s != 1 for s in known):
        return next(s for s in known if s != 1)
    symbolic = [s for s in sizes if not isinstance(s, int)]
    if not symbolic:
        return 1
    result = symbolic[0]
    for other in symbolic[1:]:
        result = math.where(math.equal(result, 1), other, result)
    return result


def broadcast_shape(variables: Sequence[Variable]) -> tuple[Size, ...]:
    """The broadcast shape of variables of equal ndim (an Elemwise's padded inputs)."""
    variables = list({id(v): v for v in variables}.values())
    ndim = variables[0].type.ndim
    return tuple(broadcast_size([size_of(v, axis) for v in variables if v.type.shape[axis] != 1])
                 for axis in range(ndim))


def filled(value: Any, dtype: str, shape: Sequence[Size]) -> Variable:
    """A new array of ``shape`` and ``dtype`` holding ``value`` (a number or a variable that broadcasts)."""
    return alloc(cast(as_tensor(value), dtype), *shape)


def shape_source(var: Variable, depth: int = 8) -> Variable:
    """A variable provably of the same shape as ``var``: following elementwise ops whose inputs, apart from
    one-element constants, all have one same shape source."""
    node = var.owner
    if depth == 0 or node is None or not isinstance(node.op, Elemwise):
        return var
    sources = {id(s): s for s in (shape_source(v, depth - 1) for v in node.inputs
                                  if not (isinstance(v, Constant) and np.size(v.data) == 1))}
    return next(iter(sources.values())) if len(sources) == 1 else var


def covers(result: Variable, dropped: Sequence[Variable], out: Variable) -> bool:
    """Whether ``result`` provably has ``out``'s shape although the terms ``dropped`` no longer take part in the
    broadcast: dropped terms of ``result``'s own shape (:func:`shape_source`) change nothing, and along each
    axis either ``result``'s size is known and not 1, or every other dropped term has size 1 there, or the
    static sizes of ``result`` and ``out`` agree."""
    source = shape_source(result)
    dropped = [v for v in dropped if v.type.ndim != result.type.ndim or shape_source(v) is not source]
    for axis, out_size in enumerate(out.type.shape):
        size = result.type.shape[axis]
        if size is not None and size != 1:
            continue
        if all(v.type.shape[axis] == 1 for v in dropped):
            continue
        if out_size is not None and size == out_size:
            continue
        return False
    return True
