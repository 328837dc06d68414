"""Symbolic shapes: a variable's shape computed from its inputs' shapes through each op's ``infer_shape``.

``infer_shape(var)`` walks the graph behind ``var`` and asks every node for its output shapes in terms of its
inputs' shapes, so the result is a small graph of integer arithmetic on the shapes of the graph's inputs: the
ops themselves are not computed. Where an op cannot tell (``infer_shape`` returns None: its output size depends
on values, as for ``nonzero``), the shape falls back to ``Shape`` of that output, which computes it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..graph import Variable, toposort
from .basic import Shape, as_tensor, constant, stack
from .variable import TensorVariable

#: One dimension of a symbolic shape: a static int or an int64 scalar variable.
Dim = Any


def shape_tuple(var: Variable) -> tuple[Dim, ...]:
    """The shape of ``var``: its static sizes where known, entries of ``Shape(var)`` elsewhere."""
    static = var.type.shape
    if all(s is not None for s in static):
        return tuple(static)
    vector = Shape()(var)
    return tuple(s if s is not None else vector[i] for i, s in enumerate(static))


def _check_entry(node: Any, entry: Dim) -> Dim:
    if isinstance(entry, int | np.integer):
        return int(entry)
    entry = as_tensor(entry)
    if entry.ndim != 0 or entry.dtype not in ("int64", "int32", "int16", "int8", "uint8", "uint16", "uint32",
                                               "uint64", "bool"):
        raise TypeError(f"{node.op}.infer_shape returned {entry} of type {entry.type}; expected an integer scalar")
    return entry


def infer_shapes(outputs: list[Variable]) -> dict[Variable, tuple[Dim, ...]]:
    """The symbolic shape of every tensor variable that ``outputs`` depend on, by ``infer_shape``.

    A variable whose op cannot infer its shape gets ``Shape(variable)`` entries, which compute the op.
    """
    shapes: dict[Variable, tuple[Dim, ...]] = {}

    def shape_of(var: Variable) -> tuple[Dim, ...]:
        if var not in shapes:
            shapes[var] = shape_tuple(var)
        return shapes[var]

    for node in toposort(outputs):
        in_shapes = [shape_of(v) for v in node.inputs]
        inferred = node.op.infer_shape(node, in_shapes)
        if inferred is None:
            continue
        if len(inferred) != len(node.outputs):
            raise ValueError(f"{node.op}.infer_shape gave {len(inferred)} shapes for {len(node.outputs)} outputs")
        for out, shape in zip(node.outputs, inferred, strict=True):
            if len(shape) != out.type.ndim:
                raise ValueError(f"{node.op}.infer_shape gave a shape of length {len(shape)} for an output of "
                                 f"{out.type.ndim} dimensions")
            static = out.type.shape
            shapes[out] = tuple(s if s is not None else _check_entry(node, e)
                                for s, e in zip(static, shape, strict=True))
    for out in outputs:
        shape_of(out)
    return shapes


def infer_shape(var: Variable) -> tuple[Dim, ...]:
    """The shape of ``var`` as a tuple of ints and int64 scalar variables, computed without computing ``var``
    where its ops allow it."""
    return infer_shapes([var])[var]


def broadcast_shapes(shapes: list[tuple[Dim, ...]]) -> tuple[Dim, ...]:
    """NumPy broadcasting of shapes whose entries are ints or int64 scalar variables (a static size other than
    1 wins; two unknown sizes give the one that is not 1 at run time)."""
    from . import math as tm  # noqa: PLC0415  (math builds on this module)

    ndim = max((len(s) for s in shapes), default=0)
    padded = [(1,) * (ndim - len(s)) + tuple(s) for s in shapes]
    out: list[Dim] = []
    for dims in zip(*padded, strict=True):
        known = [d for d in dims if isinstance(d, int) and d != 1]
        symbolic = [d for d in dims if not isinstance(d, int)]
        if known or not symbolic:
            out.append(known[0] if known else 1)
            continue
        dim = symbolic[0]
        for other in symbolic[1:]:
            dim = tm.where(tm.equal(dim, 1), other, dim)
        out.append(dim)
    return tuple(out)


def shape_vector(dims: tuple[Dim, ...]) -> TensorVariable:
    """A symbolic shape as an int64 vector."""
    if not dims:
        return constant(np.zeros(0, dtype="int64"))
    return stack([as_tensor(d).astype("int64") if isinstance(d, Variable) else d for d in dims]).astype("int64")
