"""Elemwise (a scalar op over broadcast arrays) and DimShuffle (transpose, add or drop length-1 axes)."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..dtypes import check_python_integer
from ..graph import Apply, Constant, Op, Variable, dtype_spec, unaliased
from ..scalars import SCALAR_OPS, Composite, ScalarOp
from .basic import as_tensor
from .type import TensorType, format_shape
from .variable import TensorVariable


def broadcast_static_shapes(shapes: Sequence[tuple[int | None, ...]], what: str) -> tuple[int | None, ...]:
    """NumPy broadcasting of static shapes of equal length; None where only run time will tell."""
    out: list[int | None] = []
    for dims in zip(*shapes, strict=True):
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            raise ValueError(f"{what}: shapes {', '.join(format_shape(s) for s in shapes)} cannot be broadcast "
                             "together")
        if known:
            out.append(known.pop())
        elif all(d == 1 for d in dims):
            out.append(1)
        else:
            out.append(None)
    return tuple(out)


def pad_left(x: Variable, ndim: int) -> Variable:
    """``x`` with length-1 axes added on the left up to ``ndim`` (weak constants stay weak constants)."""
    missing = ndim - x.type.ndim
    if missing <= 0:
        return x
    if isinstance(x, Constant):
        data = np.asarray(x.data).reshape((1,) * missing + np.shape(x.data))
        return type(x)(TensorType(x.type.dtype, data.shape), data, weak=x.weak)
    return DimShuffle(x.type.ndim, ("x",) * missing + tuple(range(x.type.ndim)))(x)


@dataclass(frozen=True)
class Elemwise(Op):
    """``scalar_op`` applied to each element of broadcast inputs (inputs are padded to equal ndim)."""

    scalar_op: ScalarOp

    def make_node(self, *inputs: Any) -> Apply:
        tensors = [as_tensor(v) for v in inputs]
        if len(tensors) != self.scalar_op.nin:
            raise TypeError(f"{self} takes {self.scalar_op.nin} inputs, got {len(tensors)}")
        specs = [dtype_spec(v) for v in tensors]
        in_dtypes, out_dtypes = self.scalar_op.resolve(specs)
        for var, dtype in zip(tensors, in_dtypes, strict=True):
            if isinstance(var, Constant) and var.weak:
                _check_fits(var, dtype, self)
        ndim = max((t.ndim for t in tensors), default=0)
        padded = [pad_left(t, ndim) for t in tensors]
        shape = broadcast_static_shapes([t.type.shape for t in padded], str(self))
        return Apply(self, padded, [TensorType(d, shape) for d in out_dtypes])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        in_dtypes, out_dtypes = _resolve(self.scalar_op, tuple(dtype_spec(v) for v in node.inputs))
        args = [x if x.dtype == d else x.astype(d) for x, d in zip(inputs, in_dtypes, strict=True)]
        outs = unaliased(self.scalar_op.run(args, out_dtypes), inputs)  # real, imag: views in NumPy
        if not isinstance(self.scalar_op, Composite):
            return outs  # a ufunc's result already has the broadcast shape
        shape = np.broadcast_shapes(*(x.shape for x in inputs))
        return [o if o.shape == shape else np.broadcast_to(o, shape).copy() for o in outs]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        switch, equal = Elemwise(SCALAR_OPS["switch"]), Elemwise(SCALAR_OPS["equal"])
        out_shape = []
        for axis, static in enumerate(node.outputs[0].type.shape):
            if static is not None:
                out_shape.append(static)
                continue
            candidates = [shp[axis] for inp, shp in zip(node.inputs, input_shapes, strict=True)
                          if inp.type.shape[axis] != 1]
            if not candidates:  # every input is now known to have size 1 there (a rewrite refined its type)
                out_shape.append(1)
                continue
            dim = candidates[0]
            for other in candidates[1:]:
                dim = switch(equal(dim, 1), other, dim)
            out_shape.append(dim)
        return [tuple(out_shape)] * len(node.outputs)

    def __str__(self) -> str:
        return f"Elemwise{{{self.scalar_op}}}"


@functools.lru_cache(maxsize=4096)
def _resolve(scalar_op: ScalarOp, specs: tuple[Any, ...]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return scalar_op.resolve(specs)


def _check_fits(var: Constant, dtype: str, op: Op) -> None:
    value = np.asarray(var.data).item()
    if isinstance(value, int) and not isinstance(value, bool):
        check_python_integer(value, dtype, str(op))


@dataclass(frozen=True)
class DimShuffle(Op):
    """Reorder axes, insert length-1 axes (``'x'``) and drop axes of static length 1."""

    input_ndim: int
    new_order: tuple[int | str, ...]
    view_map: ClassVar[dict[int, list[int]]] = {0: [0]}

    def __post_init__(self) -> None:
        axes = [d for d in self.new_order if d != "x"]
        if len(set(axes)) != len(axes) or any(not isinstance(d, int) or not 0 <= d < self.input_ndim
                                                for d in axes):
            raise ValueError(f"invalid dimshuffle pattern {self.new_order} for a {self.input_ndim}-d input")

    @property
    def dropped(self) -> tuple[int, ...]:
        return tuple(d for d in range(self.input_ndim) if d not in self.new_order)

    @property
    def kept(self) -> tuple[int, ...]:
        return tuple(d for d in self.new_order if d != "x")  # type: ignore[misc]

    @property
    def is_transpose(self) -> bool:
        return not self.dropped and "x" not in self.new_order

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        if x.ndim != self.input_ndim:
            raise TypeError(f"{self} expects a {self.input_ndim}-d input, got {x} with type {x.type}")
        for d in self.dropped:
            if x.type.shape[d] != 1:
                raise ValueError(f"{self}: cannot drop axis {d} of {x} with type {x.type}: its static size is "
                                 f"{x.type.shape[d]}, not 1")
        shape = tuple(1 if d == "x" else x.type.shape[d] for d in self.new_order)
        return Apply(self, [x], [TensorType(x.dtype, shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        x = inputs[0]
        if self.dropped:
            x = np.squeeze(x, axis=self.dropped)
        order = sorted(self.kept)
        x = np.transpose(x, [order.index(d) for d in self.kept])
        new_shape = [1 if d == "x" else None for d in self.new_order]
        sizes = iter(x.shape)
        return [np.reshape(x, tuple(1 if s == 1 else next(sizes) for s in new_shape))]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        (shape,) = input_shapes
        return [tuple(1 if d == "x" else shape[d] for d in self.new_order)]  # type: ignore[index]

    def __str__(self) -> str:
        return "DimShuffle{" + ",".join(map(str, self.new_order)) + "}"


def dimshuffle(x: Any, pattern: Sequence[int | str]) -> TensorVariable:
    """Theano's ``x.dimshuffle(*pattern)``: axes by number, ``'x'`` for a new length-1 axis."""
    x = as_tensor(x)
    pattern = tuple(p if p == "x" else int(p) for p in pattern)
    if pattern == tuple(range(x.ndim)):
        return x
    return DimShuffle(x.ndim, pattern)(x)
