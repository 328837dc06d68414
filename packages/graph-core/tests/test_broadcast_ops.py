"""BroadcastTo and SumToShape against NumPy, including axes that are of size 1 only at run time."""

import numpy as np
import pytest

import arignote_core as ac
from arignote_core.tensors.broadcast import BroadcastTo, SumToShape, broadcast_to, sum_to_shape, sum_to_shape_value


def test_broadcast_to_matches_numpy():
    x = ac.dmatrix("x")
    out = broadcast_to(x, (2, 3, 4))
    assert out.type.shape == (2, 3, 4)
    value = np.arange(4.0).reshape(1, 4)
    np.testing.assert_array_equal(ac.function([x], out)(value), np.broadcast_to(value, (2, 3, 4)))


def test_broadcast_to_a_symbolic_shape_keeps_what_is_static():
    x, y = ac.dvector("x"), ac.tensor("float64", (3, None), name="y")
    out = broadcast_to(x, y.shape)
    assert out.type.shape == (3, None)
    np.testing.assert_array_equal(ac.function([x, y], out)([1.0, 2.0], np.zeros((3, 2))), [[1, 2]] * 3)


@pytest.mark.parametrize(("shape", "target"), [((2, 3, 4), (3, 4)), ((2, 3, 4), (1, 4)), ((3, 4), (3, 1)),
                                                ((3, 4), ()), ((1, 4), (1, 4)), ((3, 1), (1, 1)), ((0, 2), (1, 2))])
def test_sum_to_shape_matches_numpy(shape, target):
    value = np.arange(np.prod(shape), dtype=float).reshape(shape)
    x = ac.tensor("float64", (None,) * len(shape), name="x")
    t = ac.tensor("int64", (len(target),), name="target")
    out = ac.function([x, t], sum_to_shape(x, t))(value, np.array(target, dtype="int64").reshape(-1))
    lead = len(shape) - len(target)
    axes = tuple(range(lead)) + tuple(lead + i for i, s in enumerate(target) if s == 1 and shape[lead + i] != 1)
    np.testing.assert_array_equal(out, value.sum(axis=axes).reshape(target))
    assert out.shape == target


def test_sum_to_shape_decides_at_run_time():
    x, y = ac.dmatrix("x"), ac.dmatrix("y")
    f = ac.function([x, y], sum_to_shape(x * y, y.shape))
    np.testing.assert_array_equal(f(np.ones((3, 4)), np.ones((1, 4))), np.full((1, 4), 3.0))
    np.testing.assert_array_equal(f(np.ones((3, 4)), np.ones((3, 4))), np.ones((3, 4)))


def test_bad_shapes_are_refused_with_clear_errors():
    with pytest.raises(ValueError, match="cannot broadcast"):
        broadcast_to(ac.tensor("float64", (3,)), (2, 4))
    with pytest.raises(ValueError, match="cannot sum"):
        sum_to_shape(ac.tensor("float64", (3, 4)), (2, 4))
    with pytest.raises(ValueError, match="cannot sum"):
        sum_to_shape_value(np.ones((3, 4)), (2, 4))


def test_infer_shape_and_op_equality():
    x = ac.dmatrix("x")
    node = sum_to_shape(x, (1, 4)).owner
    assert node.op.infer_shape(node, [(x.shape[0], x.shape[1])]) == [(1, 4)]
    assert BroadcastTo() == BroadcastTo() and SumToShape() == SumToShape()


def test_results_that_are_views_of_an_input_are_declared_so():
    """broadcast_to gives a view of x, and sum_to_shape x itself when nothing is summed: both declare it
    (view_map), so a function returning them hands the caller a copy, not its own input."""
    x = ac.dmatrix("x")
    value = np.ones((1, 4))
    for out in (broadcast_to(x, (3, 4)), sum_to_shape(x, x.shape)):
        assert out.owner.op.view_map == {0: [0]}
        result = ac.function([x], out)(value)
        assert not np.shares_memory(result, value), out.owner.op


def test_elementwise_shape_where_every_input_was_refined_to_size_one():
    """A rewrite may refine an input's type after the elementwise node was made with unknown sizes (replacing a
    reshape of a 0-d value's ravel by one of shape (1, 1, 1)); the node's size there is then 1, not an
    IndexError (fuzz case 71:447: the shape rule failed in every optimizing mode)."""
    x = ac.dvector("x")
    node = ac.exp(x).owner
    refined = ac.TensorType("float64", (1,))("r")
    stale = ac.Apply(node.op, [refined], [node.outputs[0].type])
    assert node.outputs[0].type.shape == (None,)
    assert node.op.infer_shape(stale, [(1,)]) == [(1,)]
