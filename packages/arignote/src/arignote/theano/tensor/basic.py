"""Theano's constants and conversions: ``constant``/``as_tensor_variable`` with Theano's arguments,
``get_scalar_constant_value`` and ``NotScalarConstantError``, ``get_vector_length``, ``extract_constant``, and
the names of identities (``tensor_copy``, ``second``, ``transfer``, the scalar/tensor conversions)."""

from __future__ import annotations

from typing import Any

import numpy as np

import arignote as ar
from arignote_core import Constant, SharedVariable, TensorVariable, Variable, as_tensor, graph_inputs

from ..variables import theano_leaf

__all__ = ["NotScalarConstantError", "as_tensor", "as_tensor_variable", "constant", "extract_constant",
           "get_scalar_constant_value", "get_vector_length", "scalar_from_tensor", "second", "tensor_copy",
           "tensor_from_scalar", "transfer"]


class NotScalarConstantError(ValueError):
    """``get_scalar_constant_value`` was given a value that is not a constant scalar."""


def constant(x: Any, name: str | None = None, ndim: int | None = None, dtype: Any = None) -> TensorVariable:
    """Theano's ``constant(x, name, ndim, dtype)``; true under ``bool()``, as Theano's were."""
    result = theano_leaf(ar.constant(x, dtype, name))
    if ndim is not None and result.ndim != ndim:
        raise ValueError(f"constant: expected {ndim} dimensions, got a value of shape {np.shape(x)}")
    return result


def as_tensor_variable(x: Any, name: str | None = None, ndim: int | None = None) -> TensorVariable:
    """Theano's ``as_tensor_variable(x, name, ndim)``."""
    return as_tensor(x, name=name, ndim=ndim)


def get_scalar_constant_value(v: Any, elemwise: bool = True, only_process_constants: bool = False,
                              max_recur: int = 10) -> np.ndarray:
    """The value of ``v`` as a 0-d array when it is a constant scalar, or computed from constants only (not
    with ``only_process_constants``); else :class:`NotScalarConstantError`."""
    if not isinstance(v, Variable):
        data = np.asarray(v)
    elif isinstance(v, Constant):
        data = np.asarray(v.data)
    else:
        leaves = graph_inputs([v])
        if only_process_constants or not all(isinstance(leaf, Constant) for leaf in leaves):
            kinds = "shared" if any(isinstance(leaf, SharedVariable) for leaf in leaves) else "symbolic"
            raise NotScalarConstantError(f"{v} is not a constant: it depends on {kinds} inputs")
        data = np.asarray(ar.function([], v, mode="reference")())
    if data.size != 1:
        raise NotScalarConstantError(f"{v} is not a scalar: its value has shape {data.shape}")
    return data.reshape(())


def extract_constant(x: Any, elemwise: bool = True, only_process_constants: bool = False) -> Any:
    """``x`` as a constant when it is a constant scalar (see :func:`get_scalar_constant_value`), else ``x``."""
    try:
        return constant(get_scalar_constant_value(x, elemwise, only_process_constants))
    except NotScalarConstantError:
        return x


def get_vector_length(v: Any) -> int:
    """The length of the vector ``v``, when the graph knows it before running."""
    v = as_tensor(v)
    if v.ndim != 1:
        raise TypeError(f"get_vector_length: expected a vector, got {v} of type {v.type}")
    length = v.type.shape[0]
    if length is None:
        raise ValueError(f"get_vector_length: the length of {v} is not known until the graph runs")
    return length


def _zero_d(x: Any, what: str) -> TensorVariable:
    x = as_tensor(x)
    if x.ndim != 0:
        raise TypeError(f"{what}: expected a 0-d tensor, got {x} of type {x.type}")
    return x


def scalar_from_tensor(t: Any) -> TensorVariable:
    """Theano's scalar of a 0-d tensor; Arignote's scalars in tensor graphs are 0-d tensors, so ``t`` itself."""
    return _zero_d(t, "scalar_from_tensor")


def tensor_from_scalar(s: Any) -> TensorVariable:
    """A 0-d tensor of a scalar: ``s`` as a tensor (see :func:`scalar_from_tensor`)."""
    return _zero_d(s, "tensor_from_scalar")


def second(a: Any, b: Any) -> TensorVariable:
    """``b`` broadcast to the shape of ``a`` (Theano's ``second``, ``fill``)."""
    return ar.fill(a, b)


def tensor_copy(x: Any) -> TensorVariable:
    """A copy of ``x``."""
    return ar.copy(x)


def transfer(var: Any, target: str) -> TensorVariable:
    """Theano's move of ``var`` to a device (``'cpu'``, ``'gpu'``, a context name): Arignote places values itself,
    so ``var``."""
    return as_tensor(var)
