"""The dtypes Arignote supports and NumPy 2's promotion rules, Python scalars being weak (NEP 50)."""

from __future__ import annotations

from typing import Any

import numpy as np

BOOL = ("bool",)
SIGNED = ("int8", "int16", "int32", "int64")
UNSIGNED = ("uint8", "uint16", "uint32", "uint64")
INTEGER = SIGNED + UNSIGNED
FLOAT = ("float16", "float32", "float64")
COMPLEX = ("complex64", "complex128")
ALL_DTYPES = BOOL + INTEGER + FLOAT + COMPLEX

#: A "dtype spec" is what promotion looks at: a NumPy dtype name, or a Python type (``int``, ``float``,
#: ``complex``, ``bool``) standing for a weak Python scalar.
DtypeSpec = str | type

_PY_SCALARS: tuple[type, ...] = (bool, int, float, complex)


#: dtype-likes already named by as_dtype (a handful: strings, NumPy dtypes and scalar types)
_KNOWN: dict[object, str] = {name: name for name in ALL_DTYPES}


def as_dtype(dtype: object) -> str:
    """Canonical dtype name (``"float64"``) for anything NumPy accepts as a dtype; refuses unsupported ones."""
    if not isinstance(dtype, str | type | np.dtype):  # not worth remembering (and maybe not hashable)
        return _canonical_name(dtype)
    known = _KNOWN.get(dtype)
    if known is None:  # graphs ask thousands of times; ``np.dtype(x).name`` costs microseconds
        known = _KNOWN[dtype] = _canonical_name(dtype)
    return known


def _canonical_name(dtype: object) -> str:
    if dtype == "floatX":
        dtype = "float64"
    try:
        name = np.dtype(dtype).name  # type: ignore[call-overload]
    except TypeError as exc:
        raise TypeError(f"{dtype!r} is not a dtype; expected one of {', '.join(ALL_DTYPES)}") from exc
    if name not in ALL_DTYPES:
        raise TypeError(f"dtype {name} is not supported; expected one of {', '.join(ALL_DTYPES)}")
    return name


def kind(dtype: str) -> str:
    """NumPy's kind letter: b, i, u, f or c."""
    return np.dtype(dtype).kind


def is_float(dtype: str) -> bool:
    return kind(dtype) in "fc"


def is_integer(dtype: str) -> bool:
    return kind(dtype) in "iu"


def weak_spec(value: object) -> type:
    """The Python type that stands for ``value`` as a weak scalar in promotion."""
    for py_type in _PY_SCALARS:
        if type(value) is py_type:
            return py_type
    raise TypeError(f"{value!r} is not a Python scalar")


def numpy_spec(spec: DtypeSpec) -> np.dtype | type:
    """The spec as ``ufunc.resolve_dtypes`` takes it (a Python bool is simply ``bool``: the lowest kind)."""
    if spec is bool:
        return np.dtype("bool")
    return spec if isinstance(spec, type) else np.dtype(spec)


def result_dtype(*specs: DtypeSpec) -> str:
    """NumPy 2's ``result_type`` over dtypes and weak Python scalars (``int``/``float``/...)."""
    probes: list[Any] = [_WEAK_PROBE[s] if isinstance(s, type) else np.dtype(s) for s in specs]
    return as_dtype(np.result_type(*probes))


# result_type treats Python scalar *values* as weak, Python *types* as strong: probe with values.
_WEAK_PROBE: dict[type, object] = {bool: False, int: 0, float: 0.0, complex: 0j}


def upcast_float(dtype: str) -> str:
    """The floating dtype that ``np.exp`` and friends give for an input of ``dtype``."""
    return as_dtype(np.exp.resolve_dtypes((np.dtype(dtype), None))[1])


def can_cast_safely(from_dtype: str, to_dtype: str) -> bool:
    return bool(np.can_cast(from_dtype, to_dtype, casting="safe"))


def check_python_integer(value: int, dtype: str, what: str) -> None:
    """NumPy 2's refusal of a Python integer out of an integer dtype's bounds (``int8 + 300``, ``x[i] = 300`` for
    int8 ``x``): an OverflowError naming ``what`` did it; integers within bounds and other dtypes pass."""
    if np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        if not info.min <= value <= info.max:
            raise OverflowError(f"{what}: Python integer {value} out of bounds for {dtype}")
