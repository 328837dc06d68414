"""Products: ``Dot`` (NumPy's ``dot``) and ``MatMul`` (NumPy's ``matmul``, batched)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..dtypes import result_dtype
from ..graph import Apply, Op
from .basic import as_tensor
from .elemwise import broadcast_static_shapes
from .shape_inference import broadcast_shapes
from .type import TensorType, format_shape


def _check_inner(name: str, a: Any, b: Any, ka: int | None, kb: int | None) -> None:
    if ka is not None and kb is not None and ka != kb:
        raise ValueError(f"{name}: shapes {format_shape(a.type.shape)} and {format_shape(b.type.shape)} are not "
                         f"aligned: {ka} (dim {a.ndim - 1} of the first) != {kb} (the second's contracted dim)")


@dataclass(frozen=True)
class Dot(Op):
    """``numpy.dot``: inner product of vectors, matrix products, and sum-product over the last/second-to-last
    axes for higher dimensions."""

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = as_tensor(a), as_tensor(b)
        dtype = result_dtype(a.dtype, b.dtype)
        if a.ndim == 0 or b.ndim == 0:
            shape = a.type.shape + b.type.shape
        else:
            kb_axis = 0 if b.ndim == 1 else b.ndim - 2
            _check_inner("dot", a, b, a.type.shape[-1], b.type.shape[kb_axis])
            b_rest = tuple(s for i, s in enumerate(b.type.shape) if i != kb_axis)
            shape = a.type.shape[:-1] + b_rest
        return Apply(self, [a, b], [TensorType(dtype, shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        out = np.dot(*inputs)
        return [np.asarray(out, dtype=node.outputs[0].type.dtype)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        sa, sb = input_shapes
        if not sa or not sb:
            return [tuple(sa) + tuple(sb)]
        kb_axis = 0 if len(sb) == 1 else len(sb) - 2
        return [tuple(sa[:-1]) + tuple(s for i, s in enumerate(sb) if i != kb_axis)]


@dataclass(frozen=True)
class MatMul(Op):
    """``numpy.matmul``: matrix product broadcast over leading (batch) axes; vectors are promoted."""

    def make_node(self, a: Any, b: Any) -> Apply:
        a, b = as_tensor(a), as_tensor(b)
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError("matmul: input operand does not have enough dimensions (scalars are not allowed; "
                             "use multiply)")
        dtype = result_dtype(a.dtype, b.dtype)
        sa = a.type.shape if a.ndim > 1 else (1,) + a.type.shape
        sb = b.type.shape if b.ndim > 1 else b.type.shape + (1,)
        _check_inner("matmul", a, b, sa[-1], sb[-2])
        batch_ndim = max(len(sa), len(sb)) - 2
        batch = broadcast_static_shapes([(1,) * (batch_ndim - len(s) + 2) + s[:-2] for s in (sa, sb)], "matmul")
        shape = batch + (sa[-2],) * (a.ndim > 1) + (sb[-1],) * (b.ndim > 1)
        return Apply(self, [a, b], [TensorType(dtype, shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        return [np.asarray(np.matmul(*inputs), dtype=node.outputs[0].type.dtype)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        sa, sb = (tuple(s) for s in input_shapes)
        a = sa if len(sa) > 1 else (1,) + sa
        b = sb if len(sb) > 1 else sb + (1,)
        return [broadcast_shapes([a[:-2], b[:-2]]) + (a[-2],) * (len(sa) > 1) + (b[-1],) * (len(sb) > 1)]
