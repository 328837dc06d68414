"""conv2d and its gradient ops: adjoint identities, derivative rules of every order, shapes and errors.
(Values against the direct NumPy reference are in the conformance cases.)"""

import numpy as np
import pytest
from rulecheck import check_pullback, check_pushforward, conv_operands

import arignote_core as ac
import arignote_grad as ag
from arignote_grad.registry import pullback_rule, pushforward_rule
from arignote_nn import Conv2d, Conv2dGradInput, Conv2dGradWeights, conv2d, conv2d_transpose
from arignote_nn.testing import references as ref

SETTINGS = [
    pytest.param({}, id="valid"),
    pytest.param({"stride": 2, "padding": "same"}, id="same-stride2"),
    pytest.param({"padding": ((1, 0), (2, 1)), "dilation": (2, 1), "stride": (1, 2)}, id="uneven"),
    pytest.param({"groups": 2, "padding": "full"}, id="groups-full"),
]
X_SHAPE, W_SHAPE = (2, 4, 7, 6), (6, 2, 3, 2)


def _arrays(rng, settings):
    return conv_operands(rng, X_SHAPE, W_SHAPE, settings)


@pytest.mark.parametrize("settings", SETTINGS)
def test_the_three_ops_are_adjoint(settings):
    """<conv(x, w), y> == <grad_input(w, y), x> == <grad_weights(x, y), w>."""
    x, w, gy = _arrays(np.random.default_rng(0), settings)
    X, W, GY = ac.dtensor4("x"), ac.dtensor4("w"), ac.dtensor4("gy")
    y = ac.function([X, W], conv2d(X, W, **settings))(x, w)
    gx = ac.function([W, GY], Conv2dGradInput(**settings)(W, GY, x.shape))(w, gy)
    gw = ac.function([X, GY], Conv2dGradWeights(**settings)(X, GY, w.shape))(x, gy)
    assert gx.shape == x.shape and gw.shape == w.shape
    assert np.isclose(np.sum(y * gy), np.sum(gx * x)) and np.isclose(np.sum(y * gy), np.sum(gw * w))


@pytest.mark.parametrize("settings", SETTINGS)
def test_conv2d_rules(settings):
    rng = np.random.default_rng(1)
    x, w, _ = _arrays(rng, settings)
    check_pullback(lambda a, b: conv2d(a, b, **settings), [x, w], (0, 1), rng)
    check_pushforward(lambda a, b: conv2d(a, b, **settings), [x, w], (0, 1), rng)
    check_pushforward(lambda a, b: conv2d(a, b, **settings), [x, w], (1,), rng)


@pytest.mark.parametrize("settings", SETTINGS)
def test_gradient_op_rules(settings):
    """The gradient ops' own rules (second-order derivatives of conv2d)."""
    rng = np.random.default_rng(2)
    x, w, gy = _arrays(rng, settings)
    grad_input = lambda a, b: Conv2dGradInput(**settings)(a, b, x.shape)  # noqa: E731
    grad_weights = lambda a, b: Conv2dGradWeights(**settings)(a, b, w.shape)  # noqa: E731
    check_pullback(grad_input, [w, gy], (0, 1), rng)
    check_pushforward(grad_input, [w, gy], (0, 1), rng)
    check_pullback(grad_weights, [x, gy], (0, 1), rng)
    check_pushforward(grad_weights, [x, gy], (0,), rng)


def test_pullback_of_a_missing_gradient_is_disconnected():
    x, w = ac.dtensor4(), ac.dtensor4()
    node = conv2d(x, w).owner
    assert pullback_rule(node.op)(node.op, node, [None]) == [None, None]
    assert pushforward_rule(node.op)(node.op, node, [None, None]) == [None]


def test_pullback_shape_input_is_disconnected():
    node = Conv2dGradInput()(ac.dtensor4(), ac.dtensor4(), (1, 2, 5, 5)).owner
    assert pullback_rule(node.op)(node.op, node, [ac.dtensor4()])[2] is None


def test_transpose_is_the_input_gradient():
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(2, 3, 5, 4)), rng.normal(size=(3, 2, 3, 3))
    X, W = ac.dtensor4(), ac.dtensor4()
    out = conv2d_transpose(X, W, stride=2, padding=1, output_padding=1)
    assert out.type.shape == (None, None, None, None)
    got = ac.function([X, W], out)(x, w)
    assert got.shape == (2, 2, 10, 8)  # (5 - 1) * 2 - 2 + 3 + 1, (4 - 1) * 2 - 2 + 3 + 1
    # the adjoint of conv2d(·, w) with the same settings, for the forward input of that size
    z = rng.normal(size=got.shape)
    forward = ref.conv2d(z, w, stride=2, padding=1)
    assert np.isclose(np.sum(forward * x), np.sum(z * got))


def test_transpose_with_static_shapes_and_output_shape():
    x = ac.tensor("float32", (2, 3, 4, 4))
    w = ac.tensor("float32", (3, 5, 2, 2))
    assert conv2d_transpose(x, w, stride=2).type.shape == (2, 5, 8, 8)
    assert conv2d_transpose(x, w, stride=2, output_shape=(9, 9)).type.shape == (2, 5, 9, 9)
    assert conv2d_transpose(x, w, stride=3, padding="same").type.shape == (2, 5, 12, 12)
    assert conv2d_transpose(x, w, stride=2).dtype == "float32"


def test_static_output_shapes():
    x = ac.tensor("float64", (8, 3, 28, 28))
    assert conv2d(x, ac.tensor("float64", (16, 3, 5, 5))).type.shape == (8, 16, 24, 24)
    assert conv2d(x, ac.tensor("float64", (16, 3, 5, 5)), padding="same").type.shape == (8, 16, 28, 28)
    assert conv2d(x, ac.tensor("float64", (16, 3, 5, 5)), stride=2, padding="same").type.shape == (8, 16, 14, 14)
    assert conv2d(x, ac.tensor("float64", (16, 3, 5, 5)), padding="full").type.shape == (8, 16, 32, 32)
    assert conv2d(x, ac.tensor("float64", (6, 1, 3, 3)), groups=3, dilation=2).type.shape == (8, 6, 24, 24)
    assert conv2d(x, ac.tensor("float64", (None, 3, 5, None))).type.shape == (8, None, 24, None)


def test_mixed_dtypes_promote():
    x, w = ac.ftensor4(), ac.dtensor4()
    assert conv2d(x, w).dtype == "float64"
    assert conv2d(x, ac.ftensor4()).dtype == "float32"


@pytest.mark.parametrize(("make", "error"), [
    (lambda: conv2d(ac.itensor4(), ac.itensor4()), TypeError),
    (lambda: conv2d(ac.dmatrix(), ac.dtensor4()), TypeError),
    (lambda: conv2d(ac.tensor("float64", (1, 3, 5, 5)), ac.tensor("float64", (2, 2, 3, 3))), ValueError),
    (lambda: conv2d(ac.tensor("float64", (1, 4, 5, 5)), ac.tensor("float64", (3, 2, 3, 3)), groups=2), ValueError),
    (lambda: conv2d(ac.tensor("float64", (1, 1, 2, 5)), ac.tensor("float64", (1, 1, 3, 3))), ValueError),
    (lambda: conv2d(ac.dtensor4(), ac.dtensor4(), padding="halves"), ValueError),
    (lambda: conv2d(ac.dtensor4(), ac.dtensor4(), stride=0), ValueError),
    (lambda: conv2d(ac.dtensor4(), ac.dtensor4(), padding=-1), ValueError),
    (lambda: conv2d(ac.dtensor4(), ac.dtensor4(), groups=0), ValueError),
    (lambda: conv2d_transpose(ac.dtensor4(), ac.dtensor4(), stride=2, output_padding=2), ValueError),
    (lambda: Conv2dGradInput()(ac.dtensor4(), ac.dtensor4(), ac.dvector()), TypeError),
])
def test_bad_arguments_are_refused_when_building(make, error):
    with pytest.raises(error):
        make()


def test_run_time_mismatch_names_the_op():
    x, w = ac.dtensor4(), ac.dtensor4()
    f = ac.function([x, w], conv2d(x, w))
    with pytest.raises(ValueError, match="Conv2d"):
        f(np.zeros((1, 3, 5, 5)), np.zeros((2, 2, 3, 3)))


def test_ops_compare_and_hash_by_parameters():
    assert Conv2d(1, "valid") == Conv2d((1, 1), "valid")
    assert Conv2d(padding=1) == Conv2d(padding=((1, 1), (1, 1)))
    assert hash(Conv2d(2, "same")) == hash(Conv2d((2, 2), "same"))
    assert Conv2d(2) != Conv2d(1) and Conv2d() != Conv2dGradInput()
    assert "stride=(2, 2)" in str(Conv2d(2))


def test_float32_stays_float32():
    rng = np.random.default_rng(4)
    x, w = ac.ftensor4(), ac.ftensor4()
    out = ac.function([x, w], conv2d(x, w, padding=1))(rng.normal(size=(1, 2, 4, 4)).astype("float32"),
                                                        rng.normal(size=(3, 2, 3, 3)).astype("float32"))
    assert out.dtype == np.float32


def test_functions_with_conv_and_pool_pickle():
    import pickle

    from arignote_nn import max_pool2d

    x, w = ac.dtensor4("x"), ac.shared(np.random.default_rng(5).normal(size=(2, 1, 3, 3)))
    f = ac.function([x], max_pool2d(conv2d(x, w, padding="same", dilation=2), 2, ignore_border=False))
    g = pickle.loads(pickle.dumps(f))
    value = np.random.default_rng(6).normal(size=(1, 1, 5, 5))
    np.testing.assert_array_equal(f(value), g(value))


@pytest.mark.parametrize(("x_shape", "w_shape"), [((2, 3, 5, 5), (0, 3, 2, 2)), ((2, 0, 5, 5), (4, 0, 2, 2)),
                                                  ((0, 3, 5, 5), (4, 3, 2, 2))])
def test_gradients_with_no_filters_channels_or_images_are_empty_or_zero(x_shape, w_shape):
    """NumPy's rules for empty arrays: the gradient ops of a convolution with no filters, channels or images
    give zeros of the operands' shapes (the reference reshaped with -1, which NumPy refuses for size 0)."""
    x, w = ac.dtensor4("x"), ac.dtensor4("w")
    f = ac.function([x, w], ag.grad(conv2d(x, w).sum(), [x, w]), mode="reference")
    gx, gw = f(np.ones(x_shape), np.ones(w_shape))
    np.testing.assert_array_equal(gx, np.zeros(x_shape))
    np.testing.assert_array_equal(gw, np.zeros(w_shape))
