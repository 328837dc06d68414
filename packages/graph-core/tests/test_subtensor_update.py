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


def _accumulated(x, index, value):
    """x with value added at index, one position at a time (no numpy.add.at)."""
    out = x.copy()
    value = np.broadcast_to(value, index.shape + x.shape[1:])
    for position in np.ndindex(index.shape):
        out[index[position]] += value[position]
    return out


@pytest.mark.parametrize("index_dtype", ["int32", "int64"])
@pytest.mark.parametrize("index_shape, value_shape", [((2, 3), (3,)), ((2, 3, 2), (2,)), ((2, 3), (1, 3)),
                                                      ((2, 3), (2, 1)), ((2, 3, 2), (3, 2))])
@pytest.mark.parametrize("x_shape", [(7,), (7, 2)])
def test_increments_with_a_multidimensional_index_broadcast_the_value(x_shape, index_shape, value_shape,
                                                                      index_dtype):
    """NumPy 2.4's add.at reads a 1-d value past its end for a 1-d x and a 2-d or 3-d index array."""
    rng = np.random.default_rng(0)
    x_value = rng.normal(size=x_shape)
    index = rng.integers(0, 7, index_shape).astype(index_dtype)
    increment = rng.normal(size=value_shape + x_shape[1:])
    x, i = ac.tensor("float64", (None,) * len(x_shape), "x"), ac.tensor(index_dtype, (None,) * len(index_shape), "i")
    v = ac.tensor("float64", (None,) * increment.ndim, "v")
    out = ac.function([x, i, v], inc_subtensor(x[i], v))(x_value, index, increment)
    np.testing.assert_allclose(out, _accumulated(x_value, index, increment), rtol=1e-12)


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
    # setting casts as NumPy's x[idx] = v does; incrementing refuses what NumPy's x[idx] += v refuses
    i, v = ac.lmatrix("i"), ac.dvector("v")
    assert set_subtensor(i[0], v).dtype == "int64"
    np.testing.assert_array_equal(ac.function([i, v], set_subtensor(i[0], v))(np.zeros((2, 2), "int64"),
                                                                               np.array([1.7, -2.5])),
                                  [[1, -2], [0, 0]])
    with pytest.raises(TypeError, match="cannot add values of dtype float64 to i of dtype int64"):
        inc_subtensor(i[0], v)
    with pytest.raises(TypeError, match="cannot add values of dtype int64 to b of dtype bool"):
        inc_subtensor(ac.tensor("bool", (None,), "b")[[0]], ac.lvector("n"))
    with pytest.raises(TypeError, match="complex"):
        set_subtensor(x[0], ac.zvector("c"))
    assert inc_subtensor(ac.bvector("small")[0], ac.lscalar("big")).dtype == "int8"  # same kind: wraps
    with pytest.raises(ValueError, match="cannot be broadcast"):
        set_subtensor(ac.tensor("float64", (3, 4))[0], ac.tensor("float64", (3,)))


def test_a_set_value_may_have_leading_axes_of_size_one_like_numpy():
    x, v = ac.dmatrix("x"), ac.dmatrix("v")
    z = set_subtensor(x[-1, :], v)  # NumPy's x[-1, :] = v drops v's leading axes of size 1
    assert z.type.shape == (None, None)
    np.testing.assert_array_equal(ac.function([x, v], z)(np.zeros((2, 2)), np.array([[1.0, 2.0]])),
                                  [[0, 0], [1, 2]])
    with pytest.raises(ValueError, match="specify_shape"):
        ac.function([x, v], z)(np.zeros((2, 2)), np.ones((2, 2)))
    with pytest.raises(ValueError, match="does not fit"):
        set_subtensor(x[-1, :], ac.tensor("float64", (2, 2)))
    with pytest.raises(ValueError, match="does not fit"):
        inc_subtensor(x[-1, :], v)


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


def test_a_value_set_through_a_boolean_mask_has_at_most_the_regions_dimensions_like_numpy():
    x = ac.dmatrix("x")
    with pytest.raises(ValueError, match="does not fit"):
        set_subtensor(x[x > 0], ac.dmatrix("v"))
    out = set_subtensor(x[x > 0], ac.dvector("v"))
    np.testing.assert_array_equal(ac.function([x, out.owner.inputs[1]], out)(np.array([[1.0, -1.0]]), np.array([5.0])),
                                  [[5.0, -1.0]])


@pytest.mark.parametrize("value", [300, -2, -2.5, 256.0, float("inf"), float("nan")])
@pytest.mark.parametrize("update", [set_subtensor, inc_subtensor])
def test_a_python_number_out_of_an_integer_arrays_bounds_is_refused_like_numpy(value, update):
    """NumPy converts a Python number stored into an integer array with ``int`` and refuses one out of bounds
    (``x[i] = -2.5`` raises OverflowError for uint8), where a NumPy scalar or array would wrap."""
    y = ac.tensor("uint8", (None,), name="y")
    expected = np.zeros(4, np.uint8)
    try:
        if update is set_subtensor:
            expected[1:3] = value
        else:
            expected[1:3] += value
    except Exception as error:  # noqa: BLE001 (whatever NumPy raises, the graph raises too)
        with pytest.raises(type(error) if not isinstance(error, TypeError) else TypeError):
            ac.function([y], update(y[1:3], value))(np.zeros(4, np.uint8))
        return
    np.testing.assert_array_equal(ac.function([y], update(y[1:3], value))(np.zeros(4, np.uint8)), expected)


@pytest.mark.parametrize("value", [2.9, np.float64(-300.0), np.int64(300), np.float32(-2.5), 127,
                                   np.array(-300.0), np.array([300])])
@pytest.mark.parametrize("update", [set_subtensor, inc_subtensor])
def test_numpy_scalars_and_arrays_are_stored_or_refused_as_numpy_does(value, update):
    y = ac.tensor("int8", (None,), name="y")
    expected = np.zeros(3, np.int8)
    try:
        if update is set_subtensor:
            expected[:2] = value
        else:
            expected[:2] += value
    except Exception as error:  # noqa: BLE001 (whatever NumPy raises, the graph raises too)
        with pytest.raises(type(error) if not isinstance(error, TypeError) else TypeError):
            ac.function([y], update(y[:2], value))(np.zeros(3, np.int8))
        return
    np.testing.assert_array_equal(ac.function([y], update(y[:2], value))(np.zeros(3, np.int8)), expected)
