"""Errors of the op library: what is knowable when the graph is built fails then; the rest fails at run time
naming the op, the input shapes and the line of user code that built the node."""

import numpy as np
import pytest

import arignote_core as ac

HERE = __file__.rsplit("/", 1)[-1]


@pytest.mark.parametrize("build, error, match", [
    (lambda: ac.concatenate([ac.tensor("float64", (2, 3)), ac.tensor("float64", (2, 4))]), ValueError,
     r"sizes of axis 1 differ: \(2, 3\), \(2, 4\)"),
    (lambda: ac.stack([ac.dvector(), ac.dmatrix()]), ValueError, "same shape"),
    (lambda: ac.dot(ac.tensor("float64", (2, 3)), ac.tensor("float64", (2, 3))), ValueError, "not aligned"),
    (lambda: ac.add(ac.tensor("float64", (2,)), ac.tensor("float64", (3,))), ValueError, "cannot be broadcast"),
    (lambda: ac.broadcast_to(ac.tensor("float64", (3,)), (2, 4)), ValueError, "cannot become 4"),
    (lambda: ac.reshape(ac.tensor("float64", (2, 3)), (4, 2)), ValueError, "cannot reshape"),
    (lambda: ac.linalg.inv(ac.tensor("float64", (2, 3))), np.linalg.LinAlgError, "must be square"),
    (lambda: ac.einsum("ij,jk->ik", ac.tensor("float64", (2, 3)), ac.tensor("float64", (4, 2))), ValueError,
     "cannot be broadcast"),
    (lambda: ac.cross(ac.tensor("float64", (4,)), ac.tensor("float64", (4,))), ValueError, "dimension must be 2 or 3"),
    (lambda: ac.split(ac.tensor("float64", (5,)), 2), ValueError, "equal division"),
    (lambda: ac.squeeze(ac.tensor("float64", (3, 1)), axis=0), ValueError, "size not equal to one"),
    (lambda: ac.specify_shape(ac.tensor("float64", (3,)), (4,)), ValueError, "static size 3, not 4"),
])
def test_incompatible_shapes_fail_when_building(build, error, match):
    with pytest.raises(error, match=match):
        build()


@pytest.mark.parametrize("build", [
    lambda: ac.sum(ac.dmatrix(), axis=2), lambda: ac.sort(ac.dmatrix(), axis=-3),
    lambda: ac.concatenate([ac.dmatrix(), ac.dmatrix()], axis=2), lambda: ac.cumsum(ac.dvector(), axis=1),
    lambda: ac.moveaxis(ac.dmatrix(), 0, 5), lambda: ac.take(ac.dmatrix(), [0], axis=3),
    lambda: ac.quantile(ac.dmatrix(), 0.5, axis=4), lambda: ac.expand_dims(ac.dvector(), 3),
    lambda: ac.argmax(ac.dvector(), axis=1), lambda: ac.flip(ac.dvector(), 1),
])
def test_bad_axes_fail_when_building(build):
    with pytest.raises(ValueError, match="out of bounds"):
        build()


@pytest.mark.parametrize("build, match", [
    (lambda: ac.invert(ac.dvector()), "invert is not defined"),
    (lambda: ac.bitwise_and(ac.fvector(), ac.ivector()), "bitwise_and is not defined"),
    (lambda: ac.linalg.det(ac.tensor("float16", (2, 2))), "float16 is unsupported"),
    (lambda: ac.take(ac.dvector(), ac.dvector()), "indices must be integers"),
    (lambda: ac.bincount(ac.dvector()), "array of integers"),
    (lambda: ac.erf(ac.cvector()), "erf is not defined"),
    (lambda: ac.quantile(ac.cvector(), 0.5), "real numbers"),
    (lambda: ac.isposinf(ac.zvector()), "ambiguous"),
])
def test_bad_dtypes_fail_when_building(build, match):
    with pytest.raises(TypeError, match=match):
        build()


def test_static_index_out_of_range_fails_when_building():
    x = ac.tensor("float64", (3, 4))
    with pytest.raises(IndexError, match="index 4 is out of bounds for axis 1 with size 4"):
        x[0, 4]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]


def _run_error(outputs, inputs, values):
    f = ac.function(inputs, outputs)
    with pytest.raises(Exception) as info:
        f(*values)
    return str(info.value)


def test_runtime_errors_name_the_op_the_shapes_and_the_users_line():
    a, b = ac.dmatrix("a"), ac.dmatrix("b")
    joined = ac.concatenate([a, b], axis=0)  # the line the error must point at
    message = _run_error(joined, [a, b], [np.ones((2, 3)), np.ones((2, 4))])
    assert "Join" in message and "shape (2, 3)" in message and "shape (2, 4)" in message
    assert HERE in message and "joined = ac.concatenate" in message


def test_runtime_index_error_points_at_the_user_line():
    x, i = ac.dvector("x"), ac.lscalar("i")
    picked = x[i]
    message = _run_error(picked, [x, i], [np.arange(3.0), 7])
    assert "index 7 is out of bounds" in message and "Subtensor" in message and "picked = x[i]" in message


@pytest.mark.parametrize("build, values, match", [
    (lambda x: ac.reshape(x, (4, -1)), [np.ones(6)], "cannot reshape"),
    (lambda x: ac.specify_shape(x, (5,)), [np.ones(6)], "specify_shape"),
    (lambda x: ac.split(x, 4), [np.ones(6)], "equal division"),
    (lambda x: ac.linalg.inv(ac.reshape(x, (2, 2))), [np.zeros(4)], "Singular matrix"),
    (lambda x: ac.take(x, [0, 9]), [np.ones(6)], "out of bounds"),
    (lambda x: ac.broadcast_to(x, (2, 4)), [np.ones(3)], "broadcast"),
    (lambda x: ac.nanargmax(x), [np.full(3, np.nan)], "All-NaN slice"),
    (lambda x: ac.dimshuffle(x, ()), [np.ones(2)], "specify_shape"),
])
def test_errors_known_only_at_run_time(build, values, match):
    x = ac.dvector("x")
    out = build(x)
    message = _run_error(out, [x], values)
    assert match in message and HERE in message
