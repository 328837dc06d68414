"""Wrong results found by comparing modes on random graphs (issue 13): each graph gives NumPy's answer, and the
gradients finite differences', in every mode."""

import numpy as np
import pytest

import arignote as ar

MODES = ["reference", "fast_compile", "fast_run"]


@pytest.mark.parametrize("mode", MODES)
def test_set_subtensor_of_the_whole_of_a_slice_updates_a_copy_of_the_slice(mode):
    x = ar.tensor("x", dtype="float64", shape=(3,))
    y = x[1:]
    z = ar.set_subtensor(y[:], 5.0)
    assert z.type.shape == (2,)
    np.testing.assert_array_equal(ar.function([x], z, mode=mode)(np.array([1.0, 2.0, 3.0])), [5.0, 5.0])
    w = ar.inc_subtensor(y[...], 1.0)
    np.testing.assert_array_equal(ar.function([x], w, mode=mode)(np.array([1.0, 2.0, 3.0])), [3.0, 4.0])


@pytest.mark.parametrize("mode", MODES)
def test_squeeze_of_an_axis_of_unknown_size_does_not_hand_back_the_input(mode):
    x = ar.dmatrix("x")
    value = np.ones((3, 1))
    out = ar.function([x], ar.squeeze(x, 1), mode=mode)(value)
    out[0] = 7.0
    np.testing.assert_array_equal(value, np.ones((3, 1)))


@pytest.mark.parametrize("mode", MODES)
def test_gemm_does_not_accumulate_into_a_buffer_still_seen_through_a_shape_check(mode):
    a, b, c, n = ar.dmatrix("a"), ar.dmatrix("b"), ar.dmatrix("c"), ar.lscalar("n")
    bias = ar.exp(c)
    f = ar.function([a, b, c, n], [ar.specify_shape(bias, (n, n)) + ar.dot(a, b), bias * 1.0], mode=mode)
    out, kept = f(np.ones((3, 3)), np.ones((3, 3)), np.zeros((3, 3)), 3)
    np.testing.assert_array_equal(out, np.full((3, 3), 4.0))
    np.testing.assert_array_equal(kept, np.ones((3, 3)))


@pytest.mark.parametrize("mode", MODES)
def test_inc_subtensor_with_a_2d_index_broadcasts_the_value(mode):
    x, i, v = ar.dvector("x"), ar.lmatrix("i"), ar.dvector("v")
    index = np.array([[0, 1, 1], [2, 3, 0]])
    out = ar.function([x, i, v], ar.inc_subtensor(x[i], v), mode=mode)(np.zeros(4), index, [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(out, [4.0, 5.0, 1.0, 2.0])


@pytest.mark.parametrize("mode", MODES)
def test_a_given_with_less_static_shape_compiles_and_checks_at_run_time(mode):
    x = ar.tensor("x", dtype="float64", shape=(1,))
    w = ar.dvector("w")
    f = ar.function([w], ar.squeeze(x), givens={x: w}, mode=mode)
    assert f(np.array([3.0])) == 3.0
    with pytest.raises(ValueError, match="the graph says"):
        f(np.array([1.0, 2.0]))


@pytest.mark.parametrize("mode", MODES)
def test_clip_gradients_with_tensor_bounds(mode):
    x, lo, hi = ar.dscalar("x"), ar.dscalar("lo"), ar.dscalar("hi")
    partials = ar.function([x, lo, hi], ar.grad(ar.clip(x, lo, hi), [x, lo, hi]), mode=mode)
    np.testing.assert_array_equal(partials(1.5, 3.0, 0.0), [0.0, 0.0, 1.0])
    assert ar.function([x], ar.grad(ar.clip(x, x, x), x), mode=mode, on_unused_input="ignore")(2.0) == 1.0
    v = ar.dvector("v")
    np.testing.assert_array_equal(ar.function([v], ar.grad(ar.clip(v, v, 0.0).sum(), v), mode=mode)([-1.5, 1.5]),
                                  [1.0, 0.0])
    rng = np.random.default_rng(0)
    ar.verify_grad(ar.clip, [rng.normal(size=(3, 4)) for _ in range(3)], mode=mode)


@pytest.mark.parametrize("mode", MODES)
def test_gradients_that_divided_by_zero(mode):
    x = ar.dvector("x")
    np.testing.assert_allclose(ar.function([x], ar.grad(ar.cumprod(x).sum(), x), mode=mode)([0.0, 2.0, 3.0]),
                               [9.0, 0.0, 0.0])
    ar.verify_grad(lambda m: ar.cumprod(m, axis=1), [np.array([[2.0, 0.0, 3.0, 0.0], [0.5, 1.5, 0.0, 2.0]])],
                   mode=mode)
    g = ar.function([x], ar.grad((x ** 0).sum(), x, disconnected_inputs="ignore"), mode=mode,
                    on_unused_input="ignore")
    np.testing.assert_array_equal(g([0.0, 2.0]), [0.0, 0.0])
    y = ar.dvector("y")
    gx = ar.function([x, y], ar.grad((x ** y).sum(), x), mode=mode)([0.0, 0.0, -2.0], [0.0, 1.0, 3.0])
    np.testing.assert_array_equal(gx, [0.0, 1.0, 12.0])
