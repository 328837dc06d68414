"""set_subtensor and inc_subtensor (IncSubtensor, AdvancedIncSubtensor) against NumPy."""

import numpy as np
import pytest

import arignote_core as ac
from arignote_core.tensors.subtensor_update import AdvancedIncSubtensor, IncSubtensor, inc_subtensor, set_subtensor


@pytest.fixture
def value():
    return np.arange(12.0).reshape(3, 4)


@pytest.mark.parametrize("index", [(1,), (slice(1, None), 0), (slice(None), slice(None, None, 2)), (None, -1),
                                   (Ellipsis, 2)])
def test_basic_index(value, index):
    x, v = ac.dmatrix("x"), ac.dscalar("v")
    set_out, inc_out = ac.function([x, v], [set_subtensor(x[index], v), inc_subtensor(x[index], v)])(value, 5.0)
    expected_set, expected_inc = value.copy(), value.copy()
    expected_set[index] = 5.0
    expected_inc[index] += 5.0
    np.testing.assert_array_equal(set_out, expected_set)
    np.testing.assert_array_equal(inc_out, expected_inc)
    assert isinstance(set_subtensor(x[index], v).owner.op, IncSubtensor)


def test_repeated_integer_indices_accumulate_when_incrementing(value):
    x, v = ac.dmatrix("x"), ac.dvector("v")
    index = np.array([0, 2, 0])
    out = ac.function([x, v], inc_subtensor(x[index, 1], v))(value, [1.0, 2.0, 3.0])
    expected = value.copy()
    np.add.at(expected, (index, 1), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(out, expected)
    assert isinstance(inc_subtensor(x[index, 1], v).owner.op, AdvancedIncSubtensor)


def test_set_with_arrays_and_masks(value):
    x, v = ac.dmatrix("x"), ac.dvector("v")
    index = np.array([2, 0])
    out = ac.function([x, v], set_subtensor(x[index], v))(value, [-1.0, -2.0, -3.0, -4.0])
    expected = value.copy()
    expected[index] = [-1.0, -2.0, -3.0, -4.0]
    np.testing.assert_array_equal(out, expected)
    masked = ac.function([x], inc_subtensor(x[x > 5], 100.0))(value)
    expected = value.copy()
    expected[value > 5] += 100.0
    np.testing.assert_array_equal(masked, expected)


def test_the_input_is_not_modified(value):
    x = ac.dmatrix("x")
    before = value.copy()
    ac.function([x], inc_subtensor(x[0], 1.0))(value)
    np.testing.assert_array_equal(value, before)


def test_values_are_cast_and_checked():
    x = ac.fmatrix("x")
    assert set_subtensor(x[0], 1.5).dtype == "float32"
    with pytest.raises(TypeError, match="cannot write values of dtype float64"):
        set_subtensor(ac.lmatrix("i")[0], ac.dvector("v"))
    with pytest.raises(ValueError, match="cannot be broadcast"):
        set_subtensor(ac.tensor("float64", (3, 4))[0], ac.tensor("float64", (3,)))


@pytest.mark.parametrize("update, expected", [(set_subtensor, [5.0, 5.0]), (inc_subtensor, [7.0, 8.0])])
@pytest.mark.parametrize("whole", [lambda y: y[:], lambda y: y[...], lambda y: y[()]], ids=[":", "...", "()"])
def test_updating_the_whole_of_an_indexed_variable_updates_a_copy_of_it_not_of_its_source(update, expected, whole):
    x = ac.tensor("float64", (3,), "x")
    for y in (x[1:], x[np.array([1, 2])]):
        z = update(whole(y), 5.0)
        assert z.type.shape == (2,)
        np.testing.assert_array_equal(ac.function([x], z)(np.array([1.0, 2.0, 3.0])), expected)


def test_the_whole_of_an_input_can_be_set():
    x = ac.dmatrix("x")
    out = ac.function([x], set_subtensor(x[:], ac.arange(3.0)))(np.ones((2, 3)))
    np.testing.assert_array_equal(out, [[0.0, 1.0, 2.0]] * 2)


def test_only_the_result_of_indexing_is_accepted():
    x = ac.dmatrix("x")
    with pytest.raises(TypeError, match=r"set_subtensor\(x\[idx\], v\)"):
        set_subtensor(x * 2, 1.0)


def test_infer_shape_is_the_input_shape():
    x = ac.dmatrix("x")
    node = inc_subtensor(x[1:], 1.0).owner
    shapes = [(x.shape[0], x.shape[1]), ()]
    assert node.op.infer_shape(node, shapes) == [shapes[0]]
