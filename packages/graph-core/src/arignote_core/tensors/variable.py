"""TensorVariable: operators and ndarray-like methods on symbolic tensors."""

from __future__ import annotations

from typing import Any

from ..graph import Constant, Variable
from .type import TensorType


class TensorOperators:
    """NumPy-like operators and methods; mixed into every tensor variable class."""

    type: TensorType

    # -- arithmetic ------------------------------------------------------------------------------------------
    def __add__(self, other: Any) -> Any: return _math().add(self, other)
    def __radd__(self, other: Any) -> Any: return _math().add(other, self)
    def __sub__(self, other: Any) -> Any: return _math().subtract(self, other)
    def __rsub__(self, other: Any) -> Any: return _math().subtract(other, self)
    def __mul__(self, other: Any) -> Any: return _math().multiply(self, other)
    def __rmul__(self, other: Any) -> Any: return _math().multiply(other, self)
    def __truediv__(self, other: Any) -> Any: return _math().true_divide(self, other)
    def __rtruediv__(self, other: Any) -> Any: return _math().true_divide(other, self)
    def __floordiv__(self, other: Any) -> Any: return _math().floor_divide(self, other)
    def __rfloordiv__(self, other: Any) -> Any: return _math().floor_divide(other, self)
    def __mod__(self, other: Any) -> Any: return _math().remainder(self, other)
    def __rmod__(self, other: Any) -> Any: return _math().remainder(other, self)
    def __pow__(self, other: Any) -> Any: return _math().power(self, other)
    def __rpow__(self, other: Any) -> Any: return _math().power(other, self)
    def __matmul__(self, other: Any) -> Any: return _math().matmul(self, other)
    def __rmatmul__(self, other: Any) -> Any: return _math().matmul(other, self)
    def __neg__(self) -> Any: return _math().negative(self)
    def __pos__(self) -> Any: return self
    def __abs__(self) -> Any: return _math().absolute(self)

    # -- comparisons and bitwise (== and != stay identity, so variables remain usable as dict keys) ----------
    def __lt__(self, other: Any) -> Any: return _math().less(self, other)
    def __le__(self, other: Any) -> Any: return _math().less_equal(self, other)
    def __gt__(self, other: Any) -> Any: return _math().greater(self, other)
    def __ge__(self, other: Any) -> Any: return _math().greater_equal(self, other)
    def __and__(self, other: Any) -> Any: return _math().bitwise_and(self, other)
    def __rand__(self, other: Any) -> Any: return _math().bitwise_and(other, self)
    def __or__(self, other: Any) -> Any: return _math().bitwise_or(self, other)
    def __ror__(self, other: Any) -> Any: return _math().bitwise_or(other, self)
    def __xor__(self, other: Any) -> Any: return _math().bitwise_xor(self, other)
    def __rxor__(self, other: Any) -> Any: return _math().bitwise_xor(other, self)
    def __invert__(self) -> Any: return _math().invert(self)

    __hash__ = object.__hash__

    def __bool__(self) -> bool:
        raise TypeError(f"the truth value of the symbolic variable {self} is unknown until the graph runs; "
                        "use where()/switch() for a symbolic condition")

    def __iter__(self) -> Any:
        raise TypeError(f"cannot iterate over the symbolic variable {self}; index it (x[i]) instead")

    def __len__(self) -> int:
        size = self.type.shape[0] if self.type.ndim else None
        if size is None:
            raise TypeError(f"len() of {self} is unknown until the graph runs; use x.shape[0]")
        return size

    # -- attributes ----------------------------------------------------------------------------------------
    @property
    def ndim(self) -> int:
        return self.type.ndim

    @property
    def dtype(self) -> str:
        return self.type.dtype

    @property
    def shape(self) -> Any:
        from .basic import shape

        return shape(self)

    @property
    def size(self) -> Any:
        return _math().prod(self.shape)

    @property
    def T(self) -> Any:
        return _math().transpose(self)

    def __getitem__(self, index: Any) -> Any:
        from .indexing import getitem

        return getitem(self, index)

    # -- methods -------------------------------------------------------------------------------------------
    def sum(self, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
        return _math().sum(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def mean(self, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
        return _math().mean(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def prod(self, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
        return _math().prod(self, axis=axis, dtype=dtype, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _math().max(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _math().min(self, axis=axis, keepdims=keepdims)

    def argmax(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _math().argmax(self, axis=axis, keepdims=keepdims)

    def argmin(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _math().argmin(self, axis=axis, keepdims=keepdims)

    def reshape(self, *shape: Any) -> Any:
        from .basic import reshape

        return reshape(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes: Any) -> Any:
        return _math().transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def dimshuffle(self, *pattern: Any) -> Any:
        from .elemwise import dimshuffle

        return dimshuffle(self, pattern[0] if len(pattern) == 1 and isinstance(pattern[0], list | tuple)
                          else pattern)

    def astype(self, dtype: Any) -> Any:
        from .basic import cast

        return cast(self, dtype)

    def dot(self, other: Any) -> Any:
        return _math().dot(self, other)

    def flatten(self) -> Any:
        from .basic import reshape

        return reshape(self, (-1,))

    ravel = flatten


def _math() -> Any:
    from . import math

    return math


class TensorVariable(TensorOperators, Variable):
    """A symbolic tensor."""

    type: TensorType


class TensorConstant(TensorVariable, Constant):
    """A constant tensor."""

    type: TensorType


TensorType.variable_class = TensorVariable
TensorType.constant_class = TensorConstant
