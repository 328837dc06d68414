"""Jacobians, Hessians and Hessian-vector products, built from ``grad``/``Lop`` and ``Rop``.

``jacobian`` builds the vector-Jacobian product once, with a placeholder for the output gradient, and then
vectorizes that graph over the rows of an identity matrix, so every row of the Jacobian comes from one pass
(see :mod:`arignote_grad.batching`); an op without a batching rule runs row by row there
(:class:`arignote_grad.batch_loop.BatchLoop`), so sizes unknown at build time are no obstacle.
``vectorize_rows=False`` builds one gradient per output element instead (the output size must then be known).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from arignote_core import TensorVariable, Variable, arange, as_tensor, clone_replace, constant
from arignote_core.tensors.basic import reshape
from arignote_core.tensors.broadcast import broadcast_to
from arignote_core.tensors.elemwise import dimshuffle
from arignote_core.tensors.math import equal, prod
from arignote_core.tensors.subtensor_update import set_subtensor

from .batching import NotVectorizableError, shape_entries, vectorize
from .forward import Rop
from .reverse import as_variable_list, grad
from .tensor_utils import indicator


def _size(y: Variable) -> Any:
    static = y.type.shape
    if None not in static:
        return math.prod(static)
    return prod(as_tensor(y).shape)


def _identity_rows(y: Variable, size: Any) -> Variable:
    """The identity of ``size`` rows, each row shaped like ``y``: row k is the k-th one-hot tensor."""
    positions = arange(size)
    eye = indicator(equal(dimshuffle(positions, [0, "x"]), dimshuffle(positions, ["x", 0])),
                    y.type.dtype)
    return reshape(eye, [size, *shape_entries(y)])


def jacobian(expression: Any, wrt: Variable | Sequence[Variable],
             consider_constant: Iterable[Variable] | None = None, disconnected_inputs: str = "raise",
             vectorize_rows: bool = True) -> Any:
    """The Jacobian of ``expression`` (any shape) with respect to ``wrt``: for each ``w``, a tensor of shape
    ``expression.shape + w.shape``. ``vectorize_rows=False`` builds one gradient per output element instead of
    vectorizing (it needs the output size at build time)."""
    y = as_tensor(expression)
    wrt_list, single = as_variable_list(wrt, "wrt")
    seed = y.type()
    seed.name = "output_gradient"
    rows = grad(None, wrt_list, consider_constant, known_grads={y: seed}, disconnected_inputs=disconnected_inputs)
    size = _size(y)
    stacked: Sequence[Variable]
    if vectorize_rows:
        stacked = vectorize(rows, {seed: _identity_rows(y, size)})
    else:
        stacked = _rows_one_by_one(rows, seed, y, size, wrt_list)
    results = [reshape(s, [*shape_entries(y), *shape_entries(w)]) for s, w in zip(stacked, wrt_list, strict=True)]
    return results[0] if single else results


def _rows_one_by_one(rows: list[Variable], seed: Variable, y: Variable, size: Any,
                     wrt: list[Variable]) -> list[TensorVariable]:
    if not isinstance(size, int):
        raise NotVectorizableError("jacobian: the output size is not known at build time, so it cannot be "
                                   "computed one row at a time; give the output a static shape")
    stacked = []
    for row, w in zip(rows, wrt, strict=True):
        total = broadcast_to(constant(np.zeros((), dtype=w.type.dtype)), [size, *shape_entries(w)])
        for k in range(size):
            one_hot = np.zeros(size, dtype=y.type.dtype)
            one_hot[k] = 1
            (row_k,), _ = clone_replace([row], {seed: constant(one_hot.reshape(y.type.shape))})
            total = set_subtensor(total[k], row_k)
        stacked.append(total)
    return stacked


def hessian(cost: Variable, wrt: Variable | Sequence[Variable],
            consider_constant: Iterable[Variable] | None = None, disconnected_inputs: str = "raise",
            vectorize_rows: bool = True) -> Any:
    """For each ``w`` in ``wrt``, the Hessian block of the scalar ``cost`` in ``w``: shape ``w.shape * 2``."""
    wrt_list, single = as_variable_list(wrt, "wrt")
    blocks = []
    for w in wrt_list:
        g = grad(cost, w, consider_constant, disconnected_inputs=disconnected_inputs)
        blocks.append(jacobian(g, w, consider_constant, disconnected_inputs="ignore",
                               vectorize_rows=vectorize_rows))
    return blocks[0] if single else blocks


def hessian_vector_product(cost: Variable, wrt: Variable | Sequence[Variable], vectors: Any,
                           consider_constant: Iterable[Variable] | None = None) -> Any:
    """The Hessian of the scalar ``cost`` in ``wrt`` times ``vectors`` (one per ``w``), by forward mode over
    reverse mode: one gradient pass and one tangent pass, never the Hessian itself."""
    wrt_list, single = as_variable_list(wrt, "wrt")
    points = [vectors] if single else list(vectors)
    gradients = grad(cost, wrt_list, consider_constant)
    products = Rop(gradients, wrt_list, points, disconnected_outputs="ignore")
    return products[0] if single else products
