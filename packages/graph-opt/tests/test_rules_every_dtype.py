"""The standard pipeline, strict (a rule that raises is an error), on the same expressions over every dtype:
no rule fails where its algebra does not fit the operands (a bool negated, a bool power, a one-element
constant sliced), and the values stay NumPy's."""

from __future__ import annotations

import numpy as np
import pytest
from opt_helpers import STRICT, check

import arignote_core as ac

DTYPES = ["bool", "int8", "uint8", "int32", "int64", "float32", "float64", "complex128"]

EXPRESSIONS = {
    "x * -1": lambda x: x * -1,
    "x * 1": lambda x: x * 1,
    "-1 * x + x": lambda x: -1 * x + x,
    "x ** 2": lambda x: x ** 2,
    "x ** 3": lambda x: x ** 3,
    "x ** 0": lambda x: x ** 0,
    "x * x * x": lambda x: x * x * x,
    "x + x": lambda x: x + x,
    "(x * 2.)[1:]": lambda x: (x * 2.0)[1:],
    "(x + 1)[0]": lambda x: (x + 1)[0],
    "(x * x)[:1]": lambda x: (x * x)[:1],
    "log(1 + x)": lambda x: ac.log(1 + x),
    "exp(x) - 1": lambda x: ac.exp(x) - 1,
    "where(x, x, 0)": lambda x: ac.where(x, x, 0),
    "sum(x * 2)": lambda x: ac.sum(x * 2),
    "abs(x) * 3": lambda x: abs(x) * 3,
    "log(sigmoid(x))": lambda x: ac.log(ac.sigmoid(x)),
    "log(1 - sigmoid(x))": lambda x: ac.log(1 - ac.sigmoid(x)),
    "log(sum(exp(x)))": lambda x: ac.log(ac.sum(ac.exp(x), axis=0)),
    "exp(x) / sum(exp(x))": lambda x: ac.exp(x) / ac.sum(ac.exp(x), axis=0, keepdims=True),
    "x - nan": lambda x: x - float("nan"),
    "x * nan": lambda x: x * float("nan"),
    "x ** 1e308 * x": lambda x: x ** 1e308 * x,
    "(x + inf) * nan": lambda x: (x + float("inf")) * float("nan"),
    "reciprocal(x) * inf": lambda x: ac.reciprocal(x) * float("inf"),
    "reciprocal(x) * 3": lambda x: ac.reciprocal(x) * 3,
}


def _values(dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 3, shape).astype(dtype)


@pytest.mark.parametrize("static", [(1,), (3,), None], ids=["size-1", "size-3", "unknown"])
@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
@pytest.mark.parametrize("dtype", DTYPES)
def test_no_rule_fails_on_any_dtype(dtype, name, static):
    x = ac.tensor(dtype, static or (None,), "x")
    try:
        out = EXPRESSIONS[name](x)
    except (TypeError, OverflowError):
        return  # the expression itself is refused for this dtype, as NumPy refuses it
    with np.errstate(all="ignore"):
        check(out, [x], [_values(dtype, static or (3,))], STRICT, rtol=1e-6, atol=1e-6)


PAIRS = {
    "a + -b": lambda a, b: a + -b,
    "-b + a": lambda a, b: -b + a,
    "a * -1 + b": lambda a, b: a * -1 + b,
}


@pytest.mark.parametrize("name", sorted(PAIRS))
@pytest.mark.parametrize(("dtype_a", "dtype_b"), [("int64", "uint8"), ("int64", "int8"), ("int16", "uint8"),
                                                  ("float64", "uint8"), ("float32", "int8"), ("int8", "int8")])
def test_rules_keep_numpy_values_on_mixed_dtypes(dtype_a, dtype_b, name):
    """A narrower integer negated wraps in its own dtype before the sum promotes it: ``int64 + -uint8(1)`` is
    255, which ``a - b`` would not give."""
    a, b = ac.tensor(dtype_a, (None,), "a"), ac.tensor(dtype_b, (None,), "b")
    values = [np.array([0, 1, 2], dtype=dtype_a), np.array([1, 2, 0] if dtype_b[0] == "u" else [-128, 2, 0],
                                                           dtype=dtype_b)]
    with np.errstate(all="ignore"):
        check(PAIRS[name](a, b), [a, b], values, STRICT, rtol=1e-6, atol=1e-6)
