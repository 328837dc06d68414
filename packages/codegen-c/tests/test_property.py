"""Property: random elementwise and reduction graphs, over random shapes, broadcasting, memory layouts and
dtypes, give the same results under the C backend as under the reference evaluator."""

from __future__ import annotations

import numpy as np
from conftest import assert_same
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import arignote_core as ac
from arignote_core import function, tensor

DTYPES = ["float64", "float32", "int32", "int64", "int8"]
UNARY = {"negative": ac.negative, "absolute": ac.absolute, "square": ac.square, "exp": ac.exp, "tanh": ac.tanh,
         "sin": ac.sin, "sqrt_abs": lambda x: ac.sqrt(ac.absolute(x)), "sign": ac.sign}
BINARY = {"add": ac.add, "subtract": ac.subtract, "multiply": ac.multiply, "maximum": ac.maximum,
          "minimum": ac.minimum, "true_divide": ac.true_divide, "greater": lambda a, b: ac.where(a > b, a, b)}
REDUCTIONS = {"sum": ac.sum, "max": ac.max, "min": ac.min, "prod": ac.prod, "mean": ac.mean}


@st.composite
def shapes(draw: st.DrawFn) -> list[tuple[int, ...]]:
    """Two or three shapes broadcasting together (length-1 and missing leading axes)."""
    base = draw(st.lists(st.integers(0, 5), min_size=0, max_size=3))
    result = []
    for _ in range(draw(st.integers(2, 3))):
        shape = [1 if draw(st.booleans()) and draw(st.booleans()) else s for s in base]
        result.append(tuple(shape[draw(st.integers(0, len(shape))):] if draw(st.booleans()) else shape))
    return result


def layout(draw: st.DrawFn, value: np.ndarray) -> np.ndarray:
    """The same values in a random memory layout: C order, Fortran order, reversed, or every other element."""
    kind = draw(st.sampled_from(["c", "f", "reversed", "strided"]))
    if kind == "f" and value.ndim:
        return np.asfortranarray(value)
    if kind == "reversed" and value.ndim:
        return np.ascontiguousarray(value[::-1])[::-1]
    if kind == "strided" and value.ndim:
        return np.repeat(value, 2, axis=-1)[..., ::2]
    return value


def expression(draw: st.DrawFn, leaves: list, depth: int):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(leaves))
    if draw(st.booleans()):
        return UNARY[draw(st.sampled_from(sorted(UNARY)))](expression(draw, leaves, depth - 1))
    op = BINARY[draw(st.sampled_from(sorted(BINARY)))]
    return op(expression(draw, leaves, depth - 1), expression(draw, leaves, depth - 1))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_graphs_match_the_reference(data: st.DataObject, c_mode) -> None:
    draw = data.draw
    dtype = draw(st.sampled_from(DTYPES))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    in_shapes = draw(shapes())
    inputs = [tensor(dtype, (None,) * len(s), f"x{i}") for i, s in enumerate(in_shapes)]
    values = []
    for s in in_shapes:
        raw = rng.standard_normal(s) * 3 if dtype.startswith("float") else rng.integers(-4, 5, s)
        values.append(layout(draw, np.asarray(raw).astype(dtype)))
    out = expression(draw, inputs, 3)
    outputs = [out]
    if out.type.ndim and draw(st.booleans()):
        axes = draw(st.lists(st.integers(0, out.type.ndim - 1), unique=True, max_size=out.type.ndim))
        reduce = REDUCTIONS[draw(st.sampled_from(sorted(REDUCTIONS)))]
        axis = tuple(axes) if axes else None
        reduced = reduce(out, axis=axis, keepdims=draw(st.booleans()))
        outputs.append(reduced * inputs[0] if reduced.type.ndim == inputs[0].type.ndim else reduced)
    try:
        want = function(inputs, outputs)(*values)
    except ValueError:  # e.g. max of an empty axis: the C function must raise too
        try:
            function(inputs, outputs, mode=c_mode)(*values)
        except ValueError:
            return
        raise AssertionError("the reference raised ValueError, the C backend did not") from None
    copies = [v.copy() for v in values]
    got = function(inputs, outputs, mode=c_mode)(*values)
    for g, w in zip(got, want, strict=True):
        assert_same(g, w)
    for v, c in zip(values, copies, strict=True):
        np.testing.assert_array_equal(v, c)
