"""Theano's tensor types and constructors: ``TensorType(dtype, broadcastable)``, ``tensor(dtype,
broadcastable, name)``, ``row``/``col``, the 6-d and 7-d tensors and the plural constructors (``dmatrices``).

A ``broadcastable`` entry True is an axis of size 1; False an axis of any size (None in Arignote's static
shape). The untyped constructors (``matrix``, ``row``, ``tensor3``...) take ``theano.config.floatX``, read at
each call. The constructors' variables are true under ``bool()``, as Theano's were (:mod:`..variables`); a
variable made by calling a type is the core's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from arignote_core import TensorType as CoreTensorType
from arignote_core import TensorVariable
from arignote_core import tensor as core_tensor

from ..configparser import config
from ..variables import theano_leaf


def resolve_dtype(dtype: Any) -> Any:
    """``dtype``, with None and Theano's ``'floatX'`` read as ``theano.config.floatX``."""
    return config.floatX if dtype is None or dtype == "floatX" else dtype


def broadcastable_shape(broadcastable: Sequence[bool], what: str = "broadcastable") -> tuple[int | None, ...]:
    """Theano's broadcastable pattern as Arignote's static shape: True is size 1, False unknown."""
    if isinstance(broadcastable, str) or not all(isinstance(b, bool | int) and b in (0, 1) for b in broadcastable):
        raise TypeError(f"{what} must be a sequence of bools (True: an axis of size 1), got {broadcastable!r}")
    return tuple(1 if b else None for b in broadcastable)


class _TensorTypeMeta(type):
    """Makes ``TensorType(dtype, broadcastable)`` build the core's type, and ``isinstance(t, TensorType)`` hold
    for every core tensor type."""

    def __call__(cls, dtype: Any, broadcastable: Sequence[bool], name: str | None = None,
                 sparse_grad: bool = False) -> CoreTensorType:
        return CoreTensorType(resolve_dtype(dtype), broadcastable_shape(broadcastable))

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, CoreTensorType)


class TensorType(metaclass=_TensorTypeMeta):
    """Theano's ``TensorType(dtype, broadcastable)``: Arignote's ``TensorType`` with the static shape the
    pattern says; calling it (``TensorType('float64', (False, True))('x')``) makes a variable."""


def tensor(dtype: Any = None, broadcastable: Sequence[bool] = (), name: str | None = None) -> TensorVariable:
    """Theano's ``tensor(dtype, broadcastable, name)``: a symbolic input of that type."""
    return theano_leaf(core_tensor(resolve_dtype(dtype), broadcastable_shape(broadcastable), name))


def _constructor(pattern: tuple[bool, ...], dtype: str | None, label: str) -> Callable[..., TensorVariable]:
    if dtype is None:
        def make(name: str | None = None, dtype: Any = None) -> TensorVariable:
            return tensor(dtype, pattern, name)
    else:
        fixed = dtype

        def make(name: str | None = None, dtype: Any = None) -> TensorVariable:
            return tensor(fixed if dtype is None else dtype, pattern, name)

    make.__name__ = make.__qualname__ = label
    make.__doc__ = (f"A symbolic {dtype or 'floatX'} input with broadcastable pattern {pattern} (Theano's "
                    f"``{label}``).")
    return make


def _plural(single: Callable[..., TensorVariable], label: str) -> Callable[..., Any]:
    def make(*names: Any) -> Any:
        """Theano's rule: ``n`` (an int) makes a list of ``n`` unnamed variables; one name makes one variable
        (a single string of several letters one variable per letter); several names a list."""
        if names and isinstance(names[0], int):
            return [single() for _ in range(names[0])]
        chosen: Any = names[0] if len(names) == 1 else names
        if len(chosen) == 1:
            return single(chosen[0] if isinstance(chosen, tuple) else chosen)
        return [single(name) for name in chosen]

    make.__name__ = make.__qualname__ = label
    make.__doc__ = f"Several ``{single.__name__}`` inputs at once (Theano's ``{label}``)."
    return make


_PREFIXES = {"b": "int8", "w": "int16", "i": "int32", "l": "int64", "f": "float32", "d": "float64",
             "c": "complex64", "z": "complex128"}
_KINDS: dict[str, tuple[bool, ...]] = {
    "scalar": (), "vector": (False,), "row": (True, False), "col": (False, True), "matrix": (False, False),
    **{f"tensor{n}": (False,) * n for n in range(3, 8)}}
_PLURAL_PREFIXES = ("", "f", "d", "i", "l")
_PLURAL = {"scalar": "scalars", "vector": "vectors", "row": "rows", "col": "cols", "matrix": "matrices",
           **{f"tensor{n}": f"tensor{n}s" for n in range(3, 8)}}

#: every constructor: ``matrix``, ``dmatrix``, ``row``, ``ftensor7``, ``dmatrices``...
CONSTRUCTORS: dict[str, Callable[..., Any]] = {}
for _kind, _pattern in _KINDS.items():
    CONSTRUCTORS[_kind] = _constructor(_pattern, None, _kind)
    for _prefix, _dtype in _PREFIXES.items():
        CONSTRUCTORS[_prefix + _kind] = _constructor(_pattern, _dtype, _prefix + _kind)
    for _prefix in _PLURAL_PREFIXES:
        CONSTRUCTORS[_prefix + _PLURAL[_kind]] = _plural(CONSTRUCTORS[_prefix + _kind], _prefix + _PLURAL[_kind])

globals().update(CONSTRUCTORS)
