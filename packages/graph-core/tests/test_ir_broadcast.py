"""Broadcasting equals NumPy's, static and at run time (a dimension that is 1 only when the graph runs)."""

import numpy as np
import pytest

import arignote_core as ac

SHAPE_PAIRS = [
    ((3,), (3,)), ((1,), (4,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((4, 1, 5), (3, 1)), ((), (2, 2)),
    ((0,), (1,)), ((0, 3), (1, 3)), ((2, 0), (2, 1)), ((5, 1, 1), (1, 4, 1)),
]


@pytest.mark.parametrize("sa, sb", SHAPE_PAIRS)
@pytest.mark.parametrize("static", [True, False], ids=["static", "runtime"])
def test_broadcasting_matches_numpy(sa, sb, static):
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=sa), rng.normal(size=sb)
    x = ac.tensor("float64", sa if static else (None,) * len(sa))
    y = ac.tensor("float64", sb if static else (None,) * len(sb))
    z = x * y + x
    expected = a * b + a
    if static:
        assert z.type.shape == expected.shape
    else:
        assert z.type.ndim == expected.ndim
    got = ac.function([x, y], z)(a, b)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected)


def test_runtime_length_one_dimension_broadcasts():
    x, y = ac.dmatrix("x"), ac.dmatrix("y")
    f = ac.function([x, y], x - y)
    a, b = np.arange(6.0).reshape(2, 3), np.array([[10.0, 20.0, 30.0]])
    np.testing.assert_array_equal(f(a, b), a - b)
    np.testing.assert_array_equal(f(b, a), b - a)


def test_static_incompatible_shapes_fail_at_build_time():
    x, y = ac.tensor("float64", (3,)), ac.tensor("float64", (4,))
    with pytest.raises(ValueError, match=r"Elemwise\{add\}: shapes \(3,\), \(4,\) cannot be broadcast"):
        x + y


def test_runtime_incompatible_shapes_name_op_shapes_and_line():
    x, y = ac.dvector("x"), ac.dvector("y")
    z = x + y  # the line the error must point at
    f = ac.function([x, y], z)
    with pytest.raises(ValueError) as info:
        f(np.ones(3), np.ones(4))
    message = str(info.value)
    assert "Elemwise{add}" in message and "(3,)" in message and "(4,)" in message
    assert "z = x + y  # the line the error must point at" in message
    assert "test_ir_broadcast.py" in message


def test_dimension_padding_on_the_left():
    x, y = ac.dmatrix("x"), ac.dvector("y")
    z = x + y
    assert z.owner.inputs[1].owner.op == ac.DimShuffle(1, ("x", 0))
    a, b = np.ones((2, 3)), np.arange(3.0)
    np.testing.assert_array_equal(ac.function([x, y], z)(a, b), a + b)
