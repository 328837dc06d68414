"""Theano's indexing names: the ``advanced_*subtensor*`` functions, ``nonzero(return_matrix=)``,
``nonzero_values``, ``inverse_permutation``, ``permute_row_elements``, ``choose``, ``fill_diagonal`` and
``fill_diagonal_offset``."""

from __future__ import annotations

from typing import Any

import arignote as ar
from arignote_core import TensorVariable, as_tensor

__all__ = ["advanced_boolean_inc_subtensor", "advanced_boolean_set_subtensor", "advanced_boolean_subtensor",
           "advanced_inc_subtensor", "advanced_inc_subtensor1", "advanced_set_subtensor", "advanced_set_subtensor1",
           "advanced_subtensor", "advanced_subtensor1", "choose", "fill_diagonal", "fill_diagonal_offset",
           "inverse_permutation", "nonzero", "nonzero_values", "permute_row_elements"]


def advanced_subtensor1(x: Any, ilist: Any) -> TensorVariable:
    """``x[ilist]`` for an integer vector ``ilist``."""
    return as_tensor(x)[as_tensor(ilist)]


def advanced_subtensor(x: Any, *index: Any) -> TensorVariable:
    """``x[index]`` with integer (or boolean) arrays among the indices."""
    return as_tensor(x)[index]


def advanced_inc_subtensor1(x: Any, y: Any, ilist: Any) -> TensorVariable:
    """A copy of ``x`` with ``y`` added at the rows ``ilist`` (repeated rows accumulate)."""
    return ar.inc_subtensor(as_tensor(x)[as_tensor(ilist)], y)


def advanced_set_subtensor1(x: Any, y: Any, ilist: Any) -> TensorVariable:
    """A copy of ``x`` with the rows ``ilist`` set to ``y``."""
    return ar.set_subtensor(as_tensor(x)[as_tensor(ilist)], y)


def advanced_inc_subtensor(x: Any, y: Any, *index: Any) -> TensorVariable:
    """A copy of ``x`` with ``y`` added at ``x[index]``."""
    return ar.inc_subtensor(as_tensor(x)[index], y)


def advanced_set_subtensor(x: Any, y: Any, *index: Any) -> TensorVariable:
    """A copy of ``x`` with ``x[index]`` set to ``y``."""
    return ar.set_subtensor(as_tensor(x)[index], y)


advanced_boolean_subtensor = advanced_subtensor
advanced_boolean_inc_subtensor = advanced_inc_subtensor
advanced_boolean_set_subtensor = advanced_set_subtensor


def nonzero(a: Any, return_matrix: bool = False) -> Any:
    """The indices of the nonzero entries of ``a``: a tuple of vectors, one per axis, or with
    ``return_matrix`` one matrix with a row per axis."""
    indices = ar.nonzero(a)
    return ar.stack(indices) if return_matrix else tuple(indices)


def nonzero_values(a: Any) -> TensorVariable:
    """The nonzero entries of ``a``, flattened."""
    return ar.flatten(a)[ar.flatnonzero(a)]


def inverse_permutation(perm: Any) -> TensorVariable:
    """The permutation that undoes ``perm`` (along the last axis, row by row for a matrix)."""
    perm = as_tensor(perm)
    return ar.cast(ar.argsort(perm, axis=-1, kind="stable"), perm.dtype)


def permute_row_elements(y: Any, p: Any, inverse: bool = False) -> TensorVariable:
    """The entries of each row (last axis) of ``y`` in the order ``p`` (its inverse with ``inverse``); ``p``
    broadcasts against ``y``'s leading axes."""
    y, p = as_tensor(y), as_tensor(p)
    if inverse:
        p = inverse_permutation(p)
    if p.ndim == 1:
        return y[..., p]
    y_b, p_b = ar.broadcast_arrays(y, p)
    return ar.take_along_axis(y_b, p_b, axis=-1)


def choose(a: Any, choices: Any, out: None = None, mode: str = "raise") -> TensorVariable:
    """NumPy's ``choose``: where ``a`` is k, the entry of ``choices[k]`` (``choices`` a list of tensors or one
    tensor whose first axis lists them), all broadcast together; indices outside the choices are an error."""
    if out is not None or mode != "raise":
        raise ValueError(f"choose: only out=None and mode='raise' are supported, got out={out!r}, mode={mode!r}")
    a = as_tensor(a)
    options = [as_tensor(c) for c in choices] if isinstance(choices, list | tuple) else None
    stacked = ar.stack(options) if options is not None else as_tensor(choices)
    n = stacked.shape[0]
    a = ar.check(a, "choose: an index is outside the choices", ar.all(a >= 0), ar.all(a < n))
    a_b, _ = ar.broadcast_arrays(a, stacked[0])
    table = ar.broadcast_to(stacked, ar.concatenate([ar.reshape(n, (1,)), a_b.shape]))
    return ar.take_along_axis(table, ar.expand_dims(a_b, 0), axis=0)[0]


def fill_diagonal_offset(a: Any, val: Any, offset: Any) -> TensorVariable:
    """A copy of the matrix ``a`` with its diagonal ``offset`` (above the main one when positive) set to
    ``val``."""
    a, offset = as_tensor(a), as_tensor(offset)
    rows, cols = a.shape[0], a.shape[1]
    row_start = ar.maximum(-offset, 0)
    col_start = ar.maximum(offset, 0)
    length = ar.maximum(ar.minimum(rows - row_start, cols - col_start), 0)
    steps = ar.arange(length)
    return ar.set_subtensor(a[steps + row_start, steps + col_start], val)


def fill_diagonal(a: Any, val: Any) -> TensorVariable:
    """A copy of ``a`` with its main diagonal set to ``val`` (a matrix, or a tensor with all axes equal)."""
    a = as_tensor(a)
    if a.ndim == 2:
        return fill_diagonal_offset(a, val, 0)
    steps = ar.arange(ar.min(a.shape))
    return ar.set_subtensor(a[(steps,) * a.ndim], val)
