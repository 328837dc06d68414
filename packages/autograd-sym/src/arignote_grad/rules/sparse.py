"""Sparse matrices (graph-core's ``arignote_core.sparse``).

Gradients of sparse variables are sparse variables. Products and elementwise ops are structured, as Theano's:
the gradient with respect to a sparse operand has that operand's sparsity pattern (derivatives with respect to
the stored values only), computed from its parts (``SampledDot``: ``gz @ d.T`` at the stored positions, for
``structured_dot``). Conversions (``dense_from_sparse``, ``sparse_from_dense``) and ``sp_sum`` without
``sparse_grad`` give the full gradient, stored sparse; the sum of two matrices passes its gradient to both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from arignote_core import Apply, Variable, as_tensor, cast
from arignote_core import shape as shape_vector
from arignote_core.sparse import (
    CSM,
    AddSS,
    CSMGrad,
    CSMProperties,
    DenseFromSparse,
    GetRows,
    GetRowsGrad,
    MulSD,
    MulSS,
    SampledDot,
    SparseDot,
    SparseFromDense,
    SparseType,
    SpSum,
    StructuredDot,
    StructuredMap,
    ToFormat,
    Transpose,
    as_format,
    csm_properties,
    csm_shape,
    dense_from_sparse,
    sparse_from_dense,
    transpose,
)
from arignote_core.tensors import math as tm
from arignote_core.tensors.basic import arange, stack
from arignote_core.tensors.broadcast import broadcast_to
from arignote_core.tensors.creation import ones, zeros
from arignote_core.tensors.cumulative import diff
from arignote_core.tensors.elemwise import dimshuffle
from arignote_core.tensors.math import multiply
from arignote_core.tensors.shaping import repeat
from arignote_core.tensors.subtensor_update import inc_subtensor, set_subtensor

from ..batching import NotVectorizableError, align, batch_size, register_batching
from ..registry import register_linear, register_pullback, register_pushforward
from ..tensor_utils import unbroadcast_to

register_linear(CSM, SparseFromDense, DenseFromSparse, ToFormat, Transpose, GetRows, SpSum)
register_linear(CSMGrad, argnum=2)
register_linear(GetRowsGrad, argnum=1)


def _flip(fmt: str) -> str:
    return "csc" if fmt == "csr" else "csr"


def _sum(terms: Sequence[Any]) -> Any:
    """The sum of the present terms (sparse ones in the first one's format), None when there is none."""
    present = [t for t in terms if t is not None]
    if not present:
        return None
    total = present[0]
    for t in present[1:]:
        total = AddSS()(total, as_format(t, total.type.format)) if hasattr(total.type, "format") else total + t
    return total


@register_pullback(CSM)
def csm_pullback(op: CSM, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    _, indices, indptr, _ = node.inputs
    return [CSMGrad(op.format)(indices, indptr, gz), None, None, None]


@register_pullback(CSMGrad)
def csm_grad_pullback(op: CSMGrad, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (g,) = output_grads
    indices, indptr, gz = node.inputs
    scattered = CSM(op.format)(g, indices, indptr, csm_shape(gz))
    return [None, None, as_format(scattered, gz.type.format)]


@register_pullback(CSMProperties)
def csm_properties_pullback(op: CSMProperties, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    g_data = output_grads[0]
    if g_data is None:
        return [None]
    (x,) = node.inputs
    _, indices, indptr, shape = node.outputs
    return [CSM(x.type.format)(g_data, indices, indptr, shape)]


@register_pushforward(CSMProperties)
def csm_properties_pushforward(op: CSMProperties, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    (t,) = tangents
    if t is None:
        return [None] * 4
    (x,) = node.inputs
    _, indices, indptr, _ = node.outputs
    return [CSMGrad(x.type.format)(indices, indptr, t), None, None, None]


@register_pullback(DenseFromSparse)
def dense_from_sparse_pullback(op: DenseFromSparse, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    return [sparse_from_dense(gz, node.inputs[0].type.format)]


@register_pullback(SparseFromDense)
def sparse_from_dense_pullback(op: SparseFromDense, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    return [dense_from_sparse(gz)]


@register_pullback(ToFormat)
def to_format_pullback(op: ToFormat, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    return [as_format(output_grads[0], node.inputs[0].type.format)]


@register_pullback(Transpose)
def transpose_pullback(op: Transpose, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    return [as_format(transpose(output_grads[0]), node.inputs[0].type.format)]


@register_pullback(GetRows)
def get_rows_pullback(op: GetRows, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (x,) = node.inputs
    return [GetRowsGrad(op.key)(x, as_format(output_grads[0], x.type.format))]


@register_pullback(GetRowsGrad)
def get_rows_grad_pullback(op: GetRowsGrad, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    gz = node.inputs[1]
    return [None, as_format(GetRows(op.key)(output_grads[0]), gz.type.format)]


def _transposed_shape(shape: Variable) -> Variable:
    return as_tensor(shape)[::-1]


@register_pullback(StructuredDot)
def structured_dot_pullback(op: StructuredDot, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    data, indices, indptr, shape, d = node.inputs
    g_data = SampledDot(op.format)(indices, indptr, gz, d)
    g_d = StructuredDot(_flip(op.format))(data, indices, indptr, _transposed_shape(shape), gz)
    return [g_data, None, None, None, g_d]


@register_pushforward(StructuredDot)
def structured_dot_pushforward(op: StructuredDot, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    data, indices, indptr, shape, d = node.inputs
    t_data, t_d = tangents[0], tangents[4]
    return [_sum([None if t_data is None else op(t_data, indices, indptr, shape, d),
                  None if t_d is None else op(data, indices, indptr, shape, t_d)])]


def _sampled_shape(gz: Variable, d: Variable) -> Variable:
    """The shape of the matrix whose stored positions a ``SampledDot`` samples: gz's rows by d's rows."""
    return stack([shape_vector(gz)[0], shape_vector(d)[0]])


@register_pullback(SampledDot)
def sampled_dot_pullback(op: SampledDot, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (g,) = output_grads
    indices, indptr, gz, d = node.inputs
    shape = _sampled_shape(gz, d)
    g_gz = StructuredDot(op.format)(g, indices, indptr, shape, d)
    g_d = StructuredDot(_flip(op.format))(g, indices, indptr, _transposed_shape(shape), gz)
    return [None, None, g_gz, g_d]


@register_pushforward(SampledDot)
def sampled_dot_pushforward(op: SampledDot, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    indices, indptr, gz, d = node.inputs
    t_gz, t_d = tangents[2], tangents[3]
    return [_sum([None if t_gz is None else op(indices, indptr, t_gz, d),
                  None if t_d is None else op(indices, indptr, gz, t_d)])]


@register_pullback(SparseDot)
def sparse_dot_pullback(op: SparseDot, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    x, y = node.inputs
    gz = as_format(output_grads[0], x.type.format)
    return [as_format(SparseDot()(gz, transpose(y)), x.type.format),
            as_format(SparseDot()(transpose(x), gz), y.type.format)]


@register_pushforward(SparseDot)
def sparse_dot_pushforward(op: SparseDot, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    x, y = node.inputs
    tx, ty = tangents
    return [_sum([None if tx is None else SparseDot()(as_format(tx, x.type.format), y),
                  None if ty is None else SparseDot()(x, ty)])]


def _structured_derivative(name: str, x: Variable, g: Variable) -> Variable:
    """``g`` times the derivative of the stored-value map ``name`` at ``x`` (``g`` in ``x``'s format)."""
    if name in ("neg", "double"):
        return StructuredMap(name)(g)
    if name == "sign":
        return MulSD()(g, np.zeros((), x.type.dtype))
    factor = {"sqr": "double", "sqrt": "half_rsqrt", "abs": "sign"}[name]
    return MulSS()(g, StructuredMap(factor)(x))


@register_pullback(StructuredMap)
def structured_map_pullback(op: StructuredMap, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (x,) = node.inputs
    return [_structured_derivative(op.name, x, as_format(output_grads[0], x.type.format))]


@register_pushforward(StructuredMap)
def structured_map_pushforward(op: StructuredMap, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    (x,) = node.inputs
    (t,) = tangents
    return [None if t is None else _structured_derivative(op.name, x, as_format(t, x.type.format))]


@register_pullback(MulSD)
def mul_sd_pullback(op: MulSD, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    x, d = node.inputs
    gz = as_format(output_grads[0], x.type.format)
    return [MulSD()(gz, d), unbroadcast_to(dense_from_sparse(MulSS()(gz, x)), d)]


@register_pushforward(MulSD)
def mul_sd_pushforward(op: MulSD, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    x, d = node.inputs
    tx, td = tangents
    return [_sum([None if tx is None else MulSD()(as_format(tx, x.type.format), d),
                  None if td is None else MulSD()(x, td)])]


@register_pullback(MulSS)
def mul_ss_pullback(op: MulSS, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    x, y = node.inputs
    gz = as_format(output_grads[0], x.type.format)
    return [MulSS()(gz, y), MulSS()(gz, x)]


@register_pushforward(MulSS)
def mul_ss_pushforward(op: MulSS, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    x, y = node.inputs
    tx, ty = tangents
    return [_sum([None if tx is None else MulSS()(as_format(tx, x.type.format), y),
                  None if ty is None else MulSS()(x, as_format(ty, x.type.format))])]


@register_pullback(AddSS)
def add_ss_pullback(op: AddSS, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    return [as_format(gz, v.type.format) for v in node.inputs]


@register_pushforward(AddSS)
def add_ss_pushforward(op: AddSS, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    return [_sum(tangents)]


@register_pullback(SpSum)
def sp_sum_pullback(op: SpSum, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    (gz,) = output_grads
    (x,) = node.inputs
    fmt, dtype = x.type.format, x.type.dtype
    gz = cast(as_tensor(gz), dtype)
    _, indices, indptr, shape_parts = csm_properties(x)
    shape = as_tensor(shape_parts)
    if op.sparse_grad:
        # the values at the stored positions: gz sampled at (row, column) by SampledDot of two vectors
        rows, cols = ones(shape[0], dtype), ones(shape[1], dtype)
        if op.axis is None:
            rows = multiply(rows, gz)
        elif op.axis % 2 == 0:
            cols = gz
        else:
            rows = gz
        return [CSM(fmt)(SampledDot(fmt)(indices, indptr, rows, cols), indices, indptr, shape)]
    if op.axis is None:
        full = broadcast_to(gz, shape)
    elif op.axis % 2 == 0:
        full = broadcast_to(dimshuffle(gz, ["x", 0]), shape)
    else:
        full = broadcast_to(dimshuffle(gz, [0, "x"]), shape)
    return [sparse_from_dense(full, fmt)]


# ---------------------------------------------------------------------------------------------------------
# batching (``jacobian``): a batch of sparse matrices is carried as a dense array with the batch axis first,
# which every rule below reads and gives; the parts of a batched matrix (CSM's, csm_properties') are not
# vectorized (a Jacobian with respect to stored values runs into NotVectorizableError)


def _dense_of(x: Variable, is_batched: bool) -> Variable:
    """A sparse operand as a dense value: a batched one is one already."""
    return x if is_batched else dense_from_sparse(x)


@register_batching(SparseFromDense)
@register_batching(DenseFromSparse)
@register_batching(ToFormat)
def _batch_identity(op: Any, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    return [(inputs[0], True)]


@register_batching(Transpose)
def _batch_transpose(op: Transpose, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    return [(dimshuffle(inputs[0], [0, 2, 1]), True)]


#: the dense functions of the stored-value maps (all send zero to zero, so the dense form is exact)
_DENSE_MAPS = {"neg": tm.negative, "sqr": tm.square, "sqrt": tm.sqrt, "abs": tm.absolute, "sign": tm.sign,
               "double": lambda v: tm.add(v, v)}


@register_batching(StructuredMap)
def _batch_structured_map(op: StructuredMap, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    if op.name not in _DENSE_MAPS:
        raise NotVectorizableError(f"{op.name} of the stored values only has no dense form")
    return [(_DENSE_MAPS[op.name](inputs[0]), True)]


def _dense_operands(inputs: list[Variable], batched: list[bool]) -> list[Variable]:
    """Both operands of an elementwise op as dense values, a batched one with its axes aligned to matrices."""
    dense = [_dense_of(x, b) if isinstance(x.type, SparseType) else x for x, b in zip(inputs, batched, strict=True)]
    return [align(x, 2) if b else x for x, b in zip(dense, batched, strict=True)]


@register_batching(MulSD)
@register_batching(MulSS)
def _batch_mul(op: Any, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    a, b = _dense_operands(inputs, batched)
    return [(tm.multiply(a, b), True)]


@register_batching(AddSS)
def _batch_add(op: AddSS, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    a, b = _dense_operands(inputs, batched)
    return [(tm.add(a, b), True)]


@register_batching(SparseDot)
def _batch_sparse_dot(op: SparseDot, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    a, b = (_dense_of(x, f) for x, f in zip(inputs, batched, strict=True))
    return [(tm.matmul(a, b), True)]


@register_batching(SpSum)
def _batch_sp_sum(op: SpSum, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    axes = (1, 2) if op.axis is None else (op.axis % 2 + 1,)
    return [(tm.sum(inputs[0], axis=axes, dtype=node.outputs[0].type.dtype), True)]


def _row_slice(key: Any) -> slice:
    """The rows ``GetRows(key)`` selects, as a slice (one row kept as a slice of one)."""
    if isinstance(key, int):
        return slice(key, None) if key == -1 else slice(key, key + 1)
    return slice(*key)


@register_batching(GetRows)
def _batch_get_rows(op: GetRows, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    return [(as_tensor(inputs[0])[:, _row_slice(op.key)], True)]


@register_batching(GetRowsGrad)
def _batch_get_rows_grad(op: GetRowsGrad, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    x, gz = inputs
    if batched[0]:
        raise NotVectorizableError("GetRowsGrad of a batch of matrices")
    shape = as_tensor(csm_shape(x))
    placed = zeros([batch_size(gz), shape[0], shape[1]], x.type.dtype)
    return [(set_subtensor(placed[:, _row_slice(op.key)], gz), True)]


def _positions(fmt: str, indices: Variable, indptr: Variable) -> tuple[Variable, Variable]:
    """The row and column of each stored value of a matrix with parts ``(indices, indptr)`` in ``fmt``."""
    pointers = as_tensor(indptr)
    major = repeat(arange(pointers.shape[0] - 1), diff(pointers))
    return (major, as_tensor(indices)) if fmt == "csr" else (as_tensor(indices), major)


@register_batching(CSM)
def _batch_csm(op: CSM, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    data, indices, indptr, shape = inputs
    if any(batched[1:]):
        raise NotVectorizableError("CSM of a batch of patterns")
    rows, cols = _positions(op.format, indices, indptr)
    sizes = as_tensor(shape)
    placed = zeros([batch_size(data), sizes[0], sizes[1]], node.outputs[0].type.dtype)
    return [(inc_subtensor(placed[:, rows, cols], data), True)]


@register_batching(CSMGrad)
def _batch_csm_grad(op: CSMGrad, node: Apply, inputs: list[Variable], batched: list[bool]) -> Any:
    indices, indptr, gz = inputs
    if any(batched[:2]):
        raise NotVectorizableError("CSMGrad of a batch of patterns")
    rows, cols = _positions(op.format, indices, indptr)
    return [(as_tensor(gz)[:, rows, cols], True)]
