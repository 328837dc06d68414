"""Every scalar op in every dtype it accepts, compiled to C and compared with the reference evaluator.

One compiled function per dtype holds all the ops (a module per dtype keeps gcc runs few).
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import compare

from arignote_core import ALL_DTYPES, tensor
from arignote_core.scalars import SCALAR_OPS
from arignote_core.tensors import Elemwise

N = 37  # not a multiple of any vector width: exercises loop remainders


def sample(dtype: str, rng: np.random.Generator, low: int = -6, high: int = 7, special: bool = True) -> np.ndarray:
    kind = np.dtype(dtype).kind
    if kind == "b":
        return rng.integers(0, 2, N).astype(bool)
    if kind == "u":
        return rng.integers(0, high + 3, N).astype(dtype)
    if kind == "i":
        return rng.integers(low, high, N).astype(dtype)
    values = rng.standard_normal(N) * 3
    if kind == "c":
        values = values + 1j * rng.standard_normal(N)
    if special:
        values[:6] = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0]
    return values.astype(dtype)


def ops_accepting(dtypes: tuple[str, ...], nin: int) -> list[str]:
    names = []
    for name, op in SCALAR_OPS.items():
        if op.nin != nin or name in ("identity",):
            continue
        try:
            op.resolve(list(dtypes))
        except TypeError:
            continue
        names.append(name)
    return names


def _exclude(name: str, dtype: str) -> bool:
    """Cases where NumPy's own result is undefined behaviour in C (float-to-int of inf/NaN)."""
    return name == "reciprocal" and np.dtype(dtype).kind in "iu"


@pytest.mark.parametrize("dtype", ALL_DTYPES)
def test_unary_and_binary_ops(dtype: str, c_mode) -> None:
    rng = np.random.default_rng(0)
    x, y = tensor(dtype, (None,), "x"), tensor(dtype, (None,), "y")
    outputs, labels = [], []
    for name in ops_accepting((dtype,), 1):
        if not _exclude(name, dtype):
            outputs.append(Elemwise(SCALAR_OPS[name])(x))
            labels.append(f"{name}({dtype})")
    for name in ops_accepting((dtype, dtype), 2):
        if name == "power" and np.dtype(dtype).kind in "iu":
            continue  # negative exponents raise; tested below
        outputs.append(Elemwise(SCALAR_OPS[name])(x, y))
        labels.append(f"{name}({dtype}, {dtype})")
    outputs.append(Elemwise(SCALAR_OPS["switch"])(x > y if dtype[0] != "c" else x == y, x, y))
    labels.append("switch")
    if np.dtype(dtype).kind != "c" and dtype != "bool":
        outputs.append(Elemwise(SCALAR_OPS["clip"])(x, y, y + 2))
        labels.append("clip")
    compare([x, y], outputs, [sample(dtype, rng), sample(dtype, rng)], c_mode, labels)


@pytest.mark.parametrize("dtype", ["int8", "uint16", "int32", "int64", "uint64"])
def test_integer_power(dtype: str, c_mode) -> None:
    rng = np.random.default_rng(1)
    x, y = tensor(dtype, (None,), "x"), tensor(dtype, (None,), "y")
    base = rng.integers(-4 if dtype[0] == "i" else 0, 5, N).astype(dtype)
    compare([x, y], [x**y], [base, rng.integers(0, 9, N).astype(dtype)], c_mode)


def test_integer_power_negative_exponent_raises(c_mode) -> None:
    from arignote_core import function

    x, y = tensor("int32", (None,), "x"), tensor("int32", (None,), "y")
    f = function([x, y], x**y, mode=c_mode)
    with pytest.raises(ValueError, match="negative integer powers"):
        f(np.array([2, 3], "int32"), np.array([1, -1], "int32"))


MIXED = [("int8", "uint8"), ("int64", "uint64"), ("int32", "float32"), ("bool", "int16"), ("uint64", "float64"),
         ("float16", "float32"), ("int16", "float16"), ("uint32", "int8"), ("float32", "complex128"),
         ("float64", "int64")]


@pytest.mark.parametrize(("a", "b"), MIXED)
def test_mixed_dtypes(a: str, b: str, c_mode) -> None:
    rng = np.random.default_rng(2)
    x, y = tensor(a, (None,), "x"), tensor(b, (None,), "y")
    outputs, labels = [], []
    for name in ("add", "subtract", "multiply", "true_divide", "floor_divide", "maximum", "minimum", "less",
                 "greater_equal", "equal", "not_equal", "logical_and", "arctan2", "hypot"):
        try:
            outputs.append(Elemwise(SCALAR_OPS[name])(x, y))
        except TypeError:
            continue
        labels.append(f"{name}({a}, {b})")
    compare([x, y], outputs, [sample(a, rng), sample(b, rng)], c_mode, labels)


def test_weak_python_scalars(c_mode) -> None:
    """Python numbers are weak (NumPy 2): float32 + 1.5 stays float32; constants are inlined into kernels."""
    rng = np.random.default_rng(3)
    x, i = tensor("float32", (None,), "x"), tensor("int8", (None,), "i")
    outputs = [x + 1.5, x * 2, 2.0**x, x**2, x**0.5, i + 3, i * -2, i // 2, i % 3, (i < 2) | True, -x / 3]
    compare([x, i], outputs, [sample("float32", rng), sample("int8", rng)], c_mode)


def test_ldexp(c_mode) -> None:
    rng = np.random.default_rng(4)
    x, e = tensor("float64", (None,), "x"), tensor("int64", (None,), "e")
    exps = rng.integers(-10, 10, N).astype("int64")
    exps[:2] = [2**40, -(2**40)]
    compare([x, e], [Elemwise(SCALAR_OPS["ldexp"])(x, e)], [sample("float64", rng), exps], c_mode)


def test_all_casts(c_mode) -> None:
    """astype between every pair of dtypes, on values every dtype represents exactly."""
    rng = np.random.default_rng(5)
    inputs = {d: tensor(d, (None,), d) for d in ALL_DTYPES}
    outputs, labels = [], []
    for src, var in inputs.items():
        for dst in ALL_DTYPES:
            if dst != src:
                outputs.append(var.astype(dst) if hasattr(var, "astype") else None)
                labels.append(f"{src}->{dst}")
    values = [rng.integers(0, 100, N).astype(d) for d in ALL_DTYPES]
    compare(list(inputs.values()), outputs, values, c_mode, labels)


def test_signed_and_float_casts_with_negatives(c_mode) -> None:
    rng = np.random.default_rng(6)
    names = ["int8", "int16", "int32", "int64", "float16", "float32", "float64"]
    inputs = [tensor(d, (None,), d) for d in names]
    outputs = [v.astype(dst) for v in inputs for dst in names if dst != v.type.dtype]
    values = [rng.integers(-100, 100, N).astype(d) for d in names]
    values[4][:3] = [np.nan, np.inf, -0.0]
    compare(inputs, [o for o in outputs if not (o.type.dtype[0] == "i" and o.owner.inputs[0].type.dtype[0] == "f")],
            values, c_mode)


def test_float_to_integer_and_back_is_never_negative_zero(fast_mode) -> None:
    """``1 / x.astype(int).astype(float)`` for x in (-1, 0) is +inf: the integer is 0, never -0 (gcc reads
    ``(double)(int8_t)x`` as ``trunc(x)``, which is -0 there, when the kernel is vectorized)."""
    x = tensor("float64", (None,), "x")
    targets = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
    outputs = [1.0 / x.astype(t).astype("float64") for t in targets]
    values = np.full(N, -0.62)
    values[::3] = [0.4, 5.7, -3.2, 0.0, -0.0, 2.9, 1.2, 0.99, -0.99, 7.0, 1.0, 2.0, 3.0][: len(values[::3])]
    compiled = compare([x], outputs, [values], fast_mode, targets)
    for t, out in zip(targets, compiled(values), strict=True):
        assert not np.signbit(out[values == -0.62]).any(), t
