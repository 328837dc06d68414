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
    def __pow__(self, other: Any) -> Any:
        # NumPy's ``**`` squares when the exponent is the Python int 2: a boolean array squares to int8 there,
        # where ``power`` gives int64
        if type(other) is int and other == 2 and self.type.dtype == "bool":
            return _math().square(self)
        return _math().power(self, other)

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
        return _installed("shape")(self)

    @property
    def size(self) -> Any:
        return _math().prod(self.shape)

    @property
    def T(self) -> Any:
        return _math().transpose(self)

    def __getitem__(self, index: Any) -> Any:
        return _installed("getitem")(self, index)

    def set(self, value: Any) -> Any:
        """For ``y = x[idx]``: a copy of ``x`` with ``x[idx]`` set to ``value`` (``x[idx].set(v)``)."""
        return _lib().set_subtensor(self, value)

    def inc(self, value: Any) -> Any:
        """For ``y = x[idx]``: a copy of ``x`` with ``value`` added at ``x[idx]``, repeated indices accumulating
        (``x[idx].inc(v)``, NumPy's ``np.add.at``)."""
        return _lib().inc_subtensor(self, value)

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
        return _installed("reshape")(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes: Any) -> Any:
        return _math().transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def dimshuffle(self, *pattern: Any) -> Any:
        return _lib().dimshuffle(self, pattern[0] if len(pattern) == 1 and isinstance(pattern[0], list | tuple)
                                 else pattern)

    def astype(self, dtype: Any) -> Any:
        return _installed("cast")(self, dtype)

    def dot(self, other: Any) -> Any:
        return _math().dot(self, other)

    def flatten(self, ndim: int = 1) -> Any:
        return _lib().flatten(self, ndim)

    def ravel(self) -> Any:
        return _lib().ravel(self)

    def squeeze(self, axis: Any = None) -> Any:
        return _lib().squeeze(self, axis)

    def clip(self, min: Any = None, max: Any = None) -> Any:  # noqa: A002
        return _math().clip(self, min, max)

    def round(self, decimals: int = 0) -> Any:
        return _lib().round(self, decimals)

    def cumsum(self, axis: Any = None, dtype: Any = None) -> Any:
        return _lib().cumsum(self, axis, dtype)

    def cumprod(self, axis: Any = None, dtype: Any = None) -> Any:
        return _lib().cumprod(self, axis, dtype)

    def nonzero(self) -> Any:
        return _lib().nonzero(self)

    def sort(self, axis: int = -1, kind: str | None = None) -> Any:
        return _lib().sort(self, axis, kind)

    def argsort(self, axis: int = -1, kind: str | None = None) -> Any:
        return _lib().argsort(self, axis, kind)

    def repeat(self, repeats: Any, axis: Any = None) -> Any:
        return _lib().repeat(self, repeats, axis)

    def take(self, indices: Any, axis: Any = None, mode: str = "raise") -> Any:
        return _lib().take(self, indices, axis, mode=mode)

    def conj(self) -> Any:
        return _math().conjugate(self)

    conjugate = conj

    @property
    def real(self) -> Any:
        return _math().real(self)

    @property
    def imag(self) -> Any:
        return _math().imag(self)

    def std(self, axis: Any = None, dtype: Any = None, ddof: Any = 0, keepdims: bool = False) -> Any:
        return _lib().std(self, axis, dtype, ddof, keepdims)

    def var(self, axis: Any = None, dtype: Any = None, ddof: Any = 0, keepdims: bool = False) -> Any:
        return _lib().var(self, axis, dtype, ddof, keepdims)

    def ptp(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _lib().ptp(self, axis, keepdims)

    def all(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _math().all(self, axis=axis, keepdims=keepdims)

    def any(self, axis: Any = None, keepdims: bool = False) -> Any:
        return _math().any(self, axis=axis, keepdims=keepdims)

    def trace(self, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype: Any = None) -> Any:
        return _lib().trace(self, offset, axis1, axis2, dtype)

    def diagonal(self, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Any:
        return _lib().diagonal(self, offset, axis1, axis2)

    def swapaxes(self, axis1: int, axis2: int) -> Any:
        return _lib().swapaxes(self, axis1, axis2)

    def copy(self) -> Any:
        return _lib().copy(self)


#: What the operators and methods call, installed from the floors above (``install_api``), so that this module
#: imports nothing built on it: ``math`` (tensors.math), ``library`` (arignote_core's namespace: ``flatten``,
#: ``sort``...), and ``shape``, ``getitem``, ``reshape`` and ``cast``.
_API: dict[str, Any] = {}


def install_api(**functions: Any) -> None:
    """Give tensor variables' operators and methods what they call (JAX's ``array_methods`` installs them from
    above the same way): ``tensors/__init__`` installs ``math`` and the basic functions once they exist,
    ``arignote_core`` its namespace as ``library`` when it is complete."""
    _API.update(functions)


def _installed(name: str) -> Any:
    try:
        return _API[name]
    except KeyError:
        raise RuntimeError(f"a tensor variable's operator or method needs arignote_core's {name!r}, which is "
                           "installed when arignote_core has been imported (is it used while arignote_core "
                           "imports?)") from None


def _math() -> Any:
    return _installed("math")


def _lib() -> Any:
    return _installed("library")


class TensorVariable(TensorOperators, Variable[TensorType]):
    """A symbolic tensor."""

    type: TensorType


class TensorConstant(TensorVariable, Constant):
    """A constant tensor."""

    type: TensorType


TensorType.variable_class = TensorVariable
TensorType.constant_class = TensorConstant
