"""FusedReduce: a reduction of an elementwise expression in one loop (``sum(exp(x - m))`` without the
temporary array ``exp(x - m)``). Code generators emit it as one kernel; ``perform`` is the NumPy reference.
graph-opt's fusion builds it and backends lower it, so it lives below both."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..graph import Apply, Op, dtype_spec
from ..scalars import SCALAR_OPS, Composite, ScalarType, UfuncOp
from . import math
from .basic import as_tensor
from .elemwise import broadcast_static_shapes
from .type import TensorType


@dataclass(frozen=True)
class FusedReduce(Op):
    """``reduce(scalar_op, composite(*inputs), axes)`` accumulated in ``dtype``: ``composite`` (one output)
    runs on the broadcast inputs, and its results are folded by ``scalar_op`` over ``axes``, starting from
    ``initial`` when given (so that ``max`` of an empty axis is ``-inf`` rather than an error)."""

    composite: Composite
    scalar_op: UfuncOp
    axes: tuple[int, ...]
    dtype: str
    initial: float | None = None

    def make_node(self, *inputs: Any) -> Apply:
        tensors = [as_tensor(v) for v in inputs]
        if len(tensors) != self.composite.nin or self.composite.nout != 1:
            raise TypeError(f"{self} takes {self.composite.nin} inputs and a one-output composite, got "
                            f"{len(tensors)} inputs")
        ndims = {t.ndim for t in tensors}
        if len(ndims) > 1:
            raise TypeError(f"{self}: inputs must have equal ndim (pad them first), got {sorted(ndims)}")
        self.composite.resolve([dtype_spec(t) for t in tensors])
        loop = broadcast_static_shapes([t.type.shape for t in tensors], str(self))
        if any(a >= len(loop) for a in self.axes):
            raise ValueError(f"{self}: axes {list(self.axes)} out of bounds for {len(loop)}-d inputs")
        shape = tuple(s for i, s in enumerate(loop) if i not in self.axes)
        return Apply(self, tensors, [TensorType(self.dtype, shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        in_dtypes, out_dtypes = self.composite.resolve([dtype_spec(v) for v in node.inputs])
        args = [x if x.dtype == d else x.astype(d) for x, d in zip(inputs, in_dtypes, strict=True)]
        (values,) = self.composite.run(args, out_dtypes)
        values = np.broadcast_to(values, np.broadcast_shapes(*(x.shape for x in inputs)))
        ufunc = self.scalar_op.ufunc
        options: dict[str, Any] = {} if self.initial is None else {"initial": self.initial}
        if ufunc in (np.add, np.multiply):
            options["dtype"] = self.dtype
        out = ufunc.reduce(values, axis=self.axes, **options)
        return [np.asarray(out).astype(self.dtype, copy=False)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        loop = broadcast_static_shapes([v.type.shape for v in node.inputs], str(self))
        sizes = []
        for axis, static in enumerate(loop):
            if axis in self.axes:
                continue
            if static is not None:
                sizes.append(static)
                continue
            candidates = [shp[axis] for inp, shp in zip(node.inputs, input_shapes, strict=True)
                          if inp.type.shape[axis] != 1]
            size = candidates[0]
            for other in candidates[1:]:
                size = math.where(math.equal(size, 1), other, size)
            sizes.append(size)
        return [tuple(sizes)]

    def __str__(self) -> str:
        start = "" if self.initial is None else f", initial={self.initial}"
        return f"FusedReduce{{{self.scalar_op.name}, axes={list(self.axes)}{start}, {self.composite.name}}}"


def max_with_identity(x: Any, axes: tuple[int, ...]) -> Any:
    """``max(x, axes)`` that is ``-inf`` over an empty axis (NumPy's ``max`` raises there)."""
    scalar = ScalarType(x.type.dtype)()
    maximum = SCALAR_OPS["maximum"]
    assert isinstance(maximum, UfuncOp)
    return FusedReduce(Composite([scalar], [scalar]), maximum, axes, x.type.dtype, -np.inf)(x)
