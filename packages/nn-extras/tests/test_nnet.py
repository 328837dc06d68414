"""Theano's names and conventions (``nnet.conv2d`` flips filters, ``border_mode``, ``subsample``, hints,
``pool_2d`` defaults and old argument names, argument order of the losses)."""

import numpy as np
import pytest
import scipy.signal

import arignote_core as ac
import arignote_nn as nn
from arignote_nn import nnet
from arignote_nn.testing import references as ref


def _true_convolution(x, w, mode):
    """Theano's conv2d: a sum over channels of 2-d convolutions (flipped filters)."""
    return np.array([[sum(scipy.signal.convolve2d(x[n, c], w[f, c], mode=mode) for c in range(x.shape[1]))
                      for f in range(w.shape[0])] for n in range(x.shape[0])])


@pytest.mark.parametrize("mode", ["valid", "full"])
def test_conv2d_is_a_true_convolution(mode):
    rng = np.random.default_rng(0)
    x, w = rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(4, 3, 3, 2))
    X, W = ac.dtensor4(), ac.dtensor4()
    got = ac.function([X, W], nnet.conv2d(X, W, border_mode=mode))(x, w)
    np.testing.assert_allclose(got, _true_convolution(x, w, mode), atol=1e-12)
    unflipped = ac.function([X, W], nnet.conv2d(X, W, border_mode=mode, filter_flip=False))(x, w)
    np.testing.assert_allclose(unflipped, ref.conv2d(x, w, padding=mode), atol=1e-12)


def test_half_subsample_and_dilation():
    rng = np.random.default_rng(1)
    x, w = rng.normal(size=(1, 2, 7, 7)), rng.normal(size=(3, 2, 3, 5))
    X, W = ac.dtensor4(), ac.tensor("float64", (3, 2, 3, 5))
    out = nnet.conv2d(X, W, border_mode="half", subsample=(2, 1), filter_dilation=(1, 2))
    got = ac.function([X, W], out)(x, w)
    expected = ref.conv2d(x, w[:, :, ::-1, ::-1], stride=(2, 1), padding=((1, 1), (4, 4)), dilation=(1, 2))
    np.testing.assert_allclose(got, expected, atol=1e-12)
    assert got.shape == (1, 3, 4, 7)


def test_half_takes_the_kernel_size_when_the_graph_runs():
    X, W = ac.dtensor4(), ac.dtensor4()
    f = ac.function([X, W], nnet.conv2d(X, W, border_mode="half"))
    assert f(np.ones((1, 2, 6, 7)), np.ones((3, 2, 3, 5))).shape == (1, 3, 6, 7)
    assert f(np.ones((1, 2, 6, 7)), np.ones((3, 2, 2, 4))).shape == (1, 3, 7, 8)
    out = nnet.conv2d(ac.tensor("float64", (1, 1, 5, 5)), ac.dtensor4(), border_mode="half",
                      filter_shape=(1, 1, 3, 3))
    assert out.type.shape[2:] == (5, 5)


def test_shape_hints_refine_static_shapes_and_are_checked():
    x, w = ac.tensor("float64", (2, 3, 8, 8)), ac.tensor("float64", (4, 3, 3, 3))
    assert nnet.conv2d(x, w, input_shape=(2, 3, 8, 8), filter_shape=(4, None, 3, 3)).type.shape == (2, 4, 6, 6)
    with pytest.raises(ValueError):
        nnet.conv2d(x, w, input_shape=(2, 3, 9, 8))
    with pytest.raises(ValueError):
        nnet.conv2d(x, w, filter_shape=(4, 3, 3))
    X, W = ac.dtensor4(), ac.dtensor4()
    out = nnet.conv2d(X, W, image_shape=(None, 3, 8, 8), filter_shape=(4, 3, 3, 3))
    assert out.type.shape == (None, 4, 6, 6)
    f = ac.function([X, W], out)
    assert f(np.zeros((5, 3, 8, 8)), np.zeros((4, 3, 3, 3))).shape == (5, 4, 6, 6)
    with pytest.raises(ValueError):
        f(np.zeros((5, 3, 9, 8)), np.zeros((4, 3, 3, 3)))


def test_conv2d_transpose_is_the_adjoint_of_conv2d():
    rng = np.random.default_rng(2)
    z, w = rng.normal(size=(2, 3, 9, 8)), rng.normal(size=(4, 3, 3, 2))
    Z, W, X = ac.dtensor4(), ac.dtensor4(), ac.dtensor4()
    y = ac.function([Z, W], nnet.conv2d(Z, W, border_mode="half", subsample=2,
                                        filter_shape=w.shape))(z, w)
    x = rng.normal(size=y.shape)
    back = nnet.conv2d_transpose(X, W, output_shape=z.shape, filter_shape=w.shape, border_mode="half",
                                 input_dilation=2)
    got = ac.function([X, W], back)(x, w)
    assert got.shape == z.shape
    assert np.isclose(np.sum(y * x), np.sum(got * z))


def test_pool_2d_defaults_and_old_names():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 5, 5))
    X = ac.dtensor3()
    kept = ac.function([X], nnet.pool_2d(X, ws=(2, 2)))(x)
    assert kept.shape == (2, 3, 3)  # Theano's default: ignore_border=False
    np.testing.assert_allclose(kept, ref.pool2d(x, 2, 2, 0, False, "max"))
    old = ac.function([X], nnet.pool_2d(X, ds=(3, 3), st=(1, 1), padding=(1, 1), ignore_border=True,
                                        mode="average_exc_pad"))(x)
    np.testing.assert_allclose(old, ref.pool2d(x, 3, 1, 1, True, "average_exc_pad"))
    with pytest.raises(TypeError, match="ws"):
        nnet.pool_2d(X)


def test_losses_take_theanos_argument_order():
    p, t = ac.dmatrix("coding_dist"), ac.lvector("true_dist")
    f = ac.function([p, t], nnet.categorical_crossentropy(p, t))
    probs = np.array([[0.2, 0.8], [0.6, 0.4]])
    np.testing.assert_allclose(f(probs, [1, 0]), -np.log([0.8, 0.6]))
    x, y = ac.dvector(), ac.dvector()
    g = ac.function([x, y], nnet.sigmoid_binary_crossentropy(x, y))
    np.testing.assert_allclose(g([0.0, 2.0], [1.0, 0.0]), [np.log(2), np.log1p(np.exp(2.0))])


def test_confusion_matrix_returns_the_labels():
    a, b = ac.lvector(), ac.lvector()
    matrix, order = ac.function([a, b], nnet.confusion_matrix(a, b))([2, 5, 5, 9], [5, 5, 2, 2])
    assert order.tolist() == [2, 5, 9]
    assert matrix.tolist() == [[0, 1, 0], [1, 1, 0], [1, 0, 0]]
    assert ac.function([a, b], nn.confusion_matrix(a, b, 3))([0, 2], [1, 2]).tolist() == \
        [[0, 1, 0], [0, 0, 0], [0, 0, 1]]


@pytest.mark.parametrize("labels", [[0, 3], [2, -1], [-3, 1]])
def test_integer_labels_outside_the_classes_are_refused(labels):
    """A label that names no class is an error (PyTorch and Theano refuse it), negative ones too."""
    p, t = ac.dmatrix("p"), ac.lvector("t")
    loss = nn.categorical_crossentropy(p, t)
    f = ac.function([p, t], [loss, ac.grad(loss.sum(), p)] if hasattr(ac, "grad") else loss)
    with pytest.raises(ValueError, match=r"integer labels must lie in \[0, number of classes\)"):
        f(np.full((2, 3), 1 / 3), np.array(labels))


@pytest.mark.parametrize("shape, axis", [((4, 3), -1), ((4, 3), 0), ((2, 5, 3), -1), ((2, 5, 3), 1), ((3,), 0)])
def test_integer_labels_pick_along_any_axis(shape, axis):
    rng = np.random.default_rng(7)
    probs = rng.uniform(0.1, 1.0, shape)
    labels = rng.integers(0, shape[axis], tuple(np.delete(shape, axis)))
    p = ac.tensor("float64", (None,) * len(shape), "p")
    t = ac.tensor("int64", (None,) * labels.ndim, "t")
    got = ac.function([p, t], nn.categorical_crossentropy(p, t, axis=axis))(probs, labels)
    picked = np.take_along_axis(probs, np.expand_dims(labels, axis % len(shape)), axis).squeeze(axis)
    np.testing.assert_allclose(got, -np.log(picked), rtol=1e-14)
