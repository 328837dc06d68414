"""conv1d, conv3d (and its gradient ops), separable_conv2d and the "half" padding with a kernel size known only
when the graph runs: values against the references over every spatial axis count, Theano's conventions, the
derivative rules, gradients against finite differences, the C kernels, shapes and errors. (The conformance
cases run the same ops over more layouts on every backend.)"""

import numpy as np
import pytest
from rulecheck import check_pullback, check_pushforward, conv_operands

import arignote_core as ac
import arignote_nn as nn
from arignote_grad import grad, verify_grad
from arignote_nn import Conv3d, Conv3dGradInput, Conv3dGradWeights, nnet
from arignote_nn.testing import references as ref

SETTINGS_3D = [
    pytest.param({}, id="valid"),
    pytest.param({"stride": (2, 1, 2), "padding": "same"}, id="same-stride"),
    pytest.param({"padding": "half", "dilation": (1, 2, 1)}, id="half-dilation"),
    pytest.param({"padding": ((1, 0), (0, 2), (1, 1)), "stride": (1, 2, 1)}, id="uneven"),
    pytest.param({"groups": 2, "padding": "full"}, id="groups-full"),
]
X_SHAPE, W_SHAPE = (2, 4, 4, 5, 4), (4, 2, 3, 2, 2)


def _volume(*static):
    return ac.tensor("float64", static or (None,) * 5)


def _arrays(rng, settings):
    return conv_operands(rng, X_SHAPE, W_SHAPE, settings)


@pytest.mark.parametrize("settings", SETTINGS_3D)
def test_conv3d_and_its_gradients_match_the_reference(settings):
    x, w, gy = _arrays(np.random.default_rng(0), settings)
    X, W, GY = _volume(), _volume(), _volume()
    np.testing.assert_allclose(ac.function([X, W], nn.conv3d(X, W, **settings))(x, w), ref.convnd(x, w, **settings),
                               atol=1e-12)
    gx = ac.function([W, GY], Conv3dGradInput(**settings)(W, GY, x.shape))(w, gy)
    gw = ac.function([X, GY], Conv3dGradWeights(**settings)(X, GY, w.shape))(x, gy)
    np.testing.assert_allclose(gx, ref.convnd_grad_input(w, gy, x.shape, **settings), atol=1e-12)
    np.testing.assert_allclose(gw, ref.convnd_grad_weights(x, gy, w.shape, **settings), atol=1e-12)


@pytest.mark.parametrize("settings", SETTINGS_3D[1:4])
def test_conv3d_rules(settings):
    """conv3d's derivative rules and its gradient ops' (second order), against central differences."""
    rng = np.random.default_rng(1)
    x, w, gy = _arrays(rng, settings)
    check_pullback(lambda a, b: nn.conv3d(a, b, **settings), [x, w], (0, 1), rng)
    check_pushforward(lambda a, b: nn.conv3d(a, b, **settings), [x, w], (0, 1), rng)
    check_pullback(lambda a, b: Conv3dGradInput(**settings)(a, b, x.shape), [w, gy], (0, 1), rng)
    check_pushforward(lambda a, b: Conv3dGradWeights(**settings)(a, b, w.shape), [x, gy], (0, 1), rng)


@pytest.mark.parametrize(("mode", "padding"), [("valid", "valid"), ("full", "full"), ("half", "half"),
                                              (1, 1), ((1, 0, 2), ((1, 1), (0, 0), (2, 2)))])
def test_theano_conv3d_flips_its_filters(mode, padding):
    rng = np.random.default_rng(2)
    x, w = rng.normal(size=(1, 2, 4, 5, 4)), rng.normal(size=(3, 2, 3, 2, 3))
    X, W = _volume(), _volume()
    got = ac.function([X, W], nnet.conv3d(X, W, border_mode=mode, subsample=(1, 2, 1)))(x, w)
    np.testing.assert_allclose(got, ref.convnd(x, w[:, :, ::-1, ::-1, ::-1], stride=(1, 2, 1), padding=padding),
                               atol=1e-12)
    unflipped = nnet.conv3d(X, W, border_mode=mode, filter_flip=False, filter_dilation=(1, 2, 1), num_groups=2,
                            input_shape=(None, 2, None, None, None))
    w1 = w[:2, :1]
    np.testing.assert_allclose(ac.function([X, W], unflipped)(x, w1),
                               ref.convnd(x, w1, padding=padding, dilation=(1, 2, 1), groups=2), atol=1e-12)


@pytest.mark.parametrize("settings", [{}, {"padding": "half", "dilation": 2}, {"padding": (2, 0), "stride": 2},
                                      {"padding": "same", "groups": 2}])
def test_conv1d_matches_the_reference_and_is_a_conv2d(settings):
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(2, 4, 9)), rng.normal(size=(2, 4 // settings.get("groups", 1), 3))
    X, W = ac.dtensor3(), ac.dtensor3()
    out = nn.conv1d(X, W, **settings)
    assert out.ndim == 3 and isinstance(out.owner.inputs[0].owner.op, nn.Conv2d)
    pads = [settings["padding"]] if isinstance(settings.get("padding"), tuple) else settings.get("padding", "valid")
    expected = ref.convnd(x, w, settings.get("stride", 1), pads, settings.get("dilation", 1),
                          settings.get("groups", 1))
    np.testing.assert_allclose(ac.function([X, W], out)(x, w), expected, atol=1e-12)


def test_theano_conv1d():
    rng = np.random.default_rng(4)
    x, w = rng.normal(size=(2, 3, 8)), rng.normal(size=(4, 3, 3))
    X, W = ac.dtensor3(), ac.dtensor3()
    out = nnet.conv1d(X, W, border_mode="half", subsample=2, input_shape=(2, 3, 8), filter_shape=(4, 3, 3))
    assert out.type.shape == (2, 4, 4)
    np.testing.assert_allclose(ac.function([X, W], out)(x, w), ref.convnd(x, w[:, :, ::-1], 2, "half"), atol=1e-12)
    with pytest.raises(ValueError):
        ac.function([X, W], out)(x[:, :, :7], w)  # the hint is checked when the graph runs


def test_separable_conv2d_is_a_depthwise_then_a_pointwise_convolution():
    rng = np.random.default_rng(5)
    x, dw, pw = rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(6, 1, 3, 2)), rng.normal(size=(4, 6, 1, 1))
    X, D, P = ac.tensor("float64", (None, 3, None, None)), ac.dtensor4(), ac.dtensor4()
    out = nn.separable_conv2d(X, D, P, border_mode="half", subsample=(2, 1))
    expected = ref.separable_conv2d(x, dw[:, :, ::-1, ::-1], pw, 3, stride=(2, 1), padding="half")
    np.testing.assert_allclose(ac.function([X, D, P], out)(x, dw, pw), expected, atol=1e-12)
    assert nnet.separable_conv2d is nn.separable_conv2d
    verify_grad(lambda a, b, c: nn.separable_conv2d(a, b, c, 3, filter_dilation=2), [x[:1], dw, pw], rng=0)


def test_conv3d_gradients_match_finite_differences():
    rng = np.random.default_rng(6)
    x, w = rng.normal(size=(1, 2, 3, 4, 3)), rng.normal(size=(2, 1, 2, 3, 2))
    verify_grad(lambda a, b: nn.conv3d(a, b, padding="half", stride=(1, 2, 1), groups=2), [x, w], rng=0)


def test_conv1d_gradients_match_finite_differences():
    rng = np.random.default_rng(7)
    x, w = rng.normal(size=(2, 2, 7)), rng.normal(size=(3, 2, 3))
    verify_grad(lambda a, b: nn.conv1d(a, b, padding=(2, 1), stride=2, dilation=2), [x, w], rng=0)


def test_half_with_a_kernel_size_known_only_at_run_time():
    """The static shape leaves the sizes that depend on the kernel unknown; infer_shape and the op read the kernel
    when the graph runs; gradients flow through it."""
    x = ac.tensor("float64", (2, 3, 7, 6))
    w = ac.tensor("float64", (4, 3, None, None))
    out = nnet.conv2d(x, w, border_mode="half", subsample=(2, 1))
    assert out.type.shape == (2, 4, None, None)
    rng = np.random.default_rng(8)
    xv = rng.normal(size=(2, 3, 7, 6))
    f = ac.function([x, w], [out, out.shape])
    for kernel in [(3, 5), (1, 1), (4, 2)]:
        wv = rng.normal(size=(4, 3, *kernel))
        value, size = f(xv, wv)
        expected = ref.convnd(xv, wv[:, :, ::-1, ::-1], stride=(2, 1), padding="half")
        np.testing.assert_allclose(value, expected, atol=1e-12)
        assert tuple(size) == expected.shape
    assert nn.conv2d(x, ac.tensor("float64", (4, 3, 3, 5)), padding="half").type.shape == (2, 4, 7, 6)
    volumes = nn.conv3d(_volume(1, 2, 5, 4, 3), _volume(2, 2, None, 3, None), padding="half")
    assert volumes.type.shape == (1, 2, None, 4, None)
    verify_grad(lambda a, b: nn.conv2d(a, b, padding="half", dilation=2), [xv[:1, :, :5, :5],
                                                                            rng.normal(size=(2, 3, 3, 2))], rng=0)


def test_conv3d_adjoint_identity_and_empty_batches():
    rng = np.random.default_rng(9)
    x, w, gy = _arrays(rng, {"padding": "same", "stride": 2})
    X, W, GY = _volume(), _volume(), _volume()
    y = ac.function([X, W], nn.conv3d(X, W, padding="same", stride=2))(x, w)
    gx = ac.function([W, GY], Conv3dGradInput(padding="same", stride=2)(W, GY, x.shape))(w, gy)
    assert np.isclose(np.sum(y * gy), np.sum(gx * x))
    empty = ac.function([X, W], nn.conv3d(X, W))(np.zeros((0, 4, 4, 5, 4)), w)
    assert empty.shape == (0, 4, 2, 4, 3)
    gw = ac.function([X, GY], Conv3dGradWeights()(X, GY, w.shape))(np.zeros((0, 4, 4, 5, 4)),
                                                                     np.zeros((0, 4, 2, 4, 3)))
    np.testing.assert_array_equal(gw, np.zeros(w.shape))


def test_static_shapes_and_op_identity():
    x = ac.tensor("float32", (8, 3, 16, 16, 16))
    assert nn.conv3d(x, ac.tensor("float32", (6, 3, 3, 3, 3))).type.shape == (8, 6, 14, 14, 14)
    assert nn.conv3d(x, ac.tensor("float32", (6, 1, 3, 3, 3)), stride=2, padding="same",
                     groups=3).type.shape == (8, 6, 8, 8, 8)
    assert nn.conv3d(x, ac.tensor("float64", (6, 3, 3, 3, 3))).dtype == "float64"
    assert nn.conv1d(ac.tensor("float32", (2, 3, 10)), ac.tensor("float32", (5, 3, 4)),
                     padding="full").type.shape == (2, 5, 13)
    assert Conv3d(1, 1) == Conv3d((1, 1, 1), ((1, 1),) * 3) and hash(Conv3d(2)) == hash(Conv3d((2, 2, 2)))
    assert Conv3d(2) != Conv3dGradInput(2) and "stride=(2, 2, 2)" in str(Conv3d(2))


@pytest.mark.parametrize(("make", "error", "match"), [
    (lambda: nn.conv3d(ac.dtensor4(), _volume()), TypeError, "5-d"),
    (lambda: nn.conv3d(ac.tensor("int64", (None,) * 5), ac.tensor("int64", (None,) * 5)), TypeError, "floating"),
    (lambda: nn.conv3d(_volume(1, 3, 4, 4, 4), _volume(2, 2, 3, 3, 3)), ValueError, "channels"),
    (lambda: nn.conv3d(_volume(1, 1, 2, 4, 4), _volume(1, 1, 3, 3, 3)), ValueError, "does not fit"),
    (lambda: nn.conv3d(_volume(), _volume(), stride=(1, 2)), ValueError, "stride"),
    (lambda: nn.conv3d(_volume(), _volume(), padding=((1, 1), (1, 1))), ValueError, "three"),
    (lambda: nn.conv3d(_volume(), _volume(), padding="halves"), ValueError, "padding"),
    (lambda: Conv3dGradInput()(_volume(), _volume(), ac.dvector()), TypeError, "input_shape"),
    (lambda: nn.conv1d(ac.dtensor4(), ac.dtensor3()), TypeError, "3-d"),
    (lambda: nn.conv1d(ac.dtensor3(), ac.dtensor3(), stride=(1, 2)), ValueError, "stride"),
    (lambda: nn.separable_conv2d(ac.dtensor4(), ac.dtensor4(), ac.dtensor4()), ValueError, "num_channels"),
])
def test_bad_arguments_are_refused_when_building(make, error, match):
    with pytest.raises(error, match=match):
        make()


def test_run_time_mismatch_names_the_op_and_the_shapes():
    X, W = _volume(), _volume()
    f = ac.function([X, W], nn.conv3d(X, W))
    with pytest.raises(ValueError, match="Conv3d"):
        f(np.zeros((1, 3, 4, 4, 4)), np.zeros((2, 2, 3, 3, 3)))
    g = ac.function([W, X], Conv3dGradInput()(W, X, (1, 2, 4, 4, 4)))
    with pytest.raises(ValueError, match="output gradient"):
        g(np.zeros((2, 2, 3, 3, 3)), np.zeros((1, 2, 3, 2, 2)))


# -----------------------------------------------------------------------------------------------------------
# the C backend (where codegen-c is installed)


@pytest.fixture(scope="module")
def c_mode(tmp_path_factory):
    pytest.importorskip("arignote_c", reason="codegen-c is not installed; the full-stack sessions run these tests")
    from arignote_core.mode import get_mode  # noqa: PLC0415 (only with codegen-c)

    cache = tmp_path_factory.mktemp("conv3d-c-cache")
    return get_mode("c").with_options(cache_dir=str(cache), threads=2)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_c_kernels_give_the_reference_numbers(dtype, c_mode):
    """conv3d's three kernels, conv1d (Conv2d's kernels) and separable_conv2d on the C backend, gradients
    included, on strided views, against the reference evaluator; no node falls back to perform."""
    rng = np.random.default_rng(10)
    x = rng.normal(size=(2, 4, 5, 4, 10))[..., ::2].astype(dtype)
    w = rng.normal(size=(4, 2, 3, 2, 2)).astype(dtype)
    X, W = ac.tensor(dtype, (None,) * 5), ac.tensor(dtype, (None,) * 5)
    y = nn.conv3d(X, W, padding="half", stride=(1, 2, 1), groups=2)
    outputs = [y, *grad(ac.sum(y ** 2), [X, W])]
    s, sw = ac.tensor(dtype, (None,) * 3), ac.tensor(dtype, (None,) * 3)
    z = nn.conv1d(s, sw, padding="half", dilation=2)
    outputs += [z, *grad(ac.sum(z ** 2), [s, sw])]
    sv, swv = rng.normal(size=(2, 3, 9)).astype(dtype), rng.normal(size=(2, 3, 3)).astype(dtype)
    f = ac.function([X, W, s, sw], outputs, mode=c_mode)
    ran = {type(step.node.op) for step in f.executable.info.steps if step.label == "user"}
    assert {Conv3d, Conv3dGradInput, Conv3dGradWeights, nn.Conv2d, nn.Conv2dGradInput} <= ran
    assert not any(isinstance(step.node.op, (Conv3d, Conv3dGradInput, Conv3dGradWeights, nn.Conv2d))
                   for step in f.executable.info.fallbacks)
    want = ac.function([X, W, s, sw], outputs)(x, w, sv, swv)
    tolerance = 1e-4 if dtype == "float32" else 1e-11
    for got, expected in zip(f(x, w, sv, swv), want, strict=True):
        np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance * np.abs(expected).max())


def test_c_half_with_a_run_time_kernel_and_errors(c_mode):
    x, w = ac.dtensor4(), ac.dtensor4()
    f = ac.function([x, w], nnet.conv2d(x, w, border_mode="half", filter_dilation=(1, 2)), mode=c_mode)
    rng = np.random.default_rng(11)
    xv = rng.normal(size=(1, 2, 6, 7))
    for kernel in [(3, 3), (2, 4)]:
        wv = rng.normal(size=(3, 2, *kernel))
        expected = ref.convnd(xv, wv[:, :, ::-1, ::-1], padding="half", dilation=(1, 2))
        np.testing.assert_allclose(f(xv, wv), expected, rtol=1e-12, atol=1e-12)
    X, W = _volume(), _volume()
    g = ac.function([X, W], nn.conv3d(X, W), mode=c_mode)
    with pytest.raises(ValueError, match="channels"):
        g(np.zeros((1, 3, 4, 4, 4)), np.zeros((2, 2, 3, 3, 3)))
    with pytest.raises(ValueError, match="does not fit"):
        g(np.zeros((1, 2, 2, 4, 4)), np.zeros((2, 2, 3, 3, 3)))
    assert g(np.zeros((0, 2, 4, 4, 4)), np.ones((2, 2, 3, 3, 3))).shape == (0, 2, 2, 2, 2)


def test_c_gradients_match_finite_differences(c_mode):
    rng = np.random.default_rng(12)
    x, w = rng.normal(size=(1, 2, 3, 4, 3)), rng.normal(size=(2, 2, 2, 3, 2))
    verify_grad(lambda a, b: nn.conv3d(a, b, padding=((1, 0), (1, 1), (0, 1)), dilation=(1, 1, 2)), [x, w], rng=0,
                mode=c_mode)


@pytest.mark.parametrize("groups", [1, 2])
def test_c_layers_split_over_threads_match_the_reference(groups, c_mode):
    """Layers above 2^22 multiply-adds split their (image, group) items over three threads: the same numbers on
    every call (the filter gradient sums its blocks in order), and the reference's."""
    rng = np.random.default_rng(13)
    x = rng.normal(size=(4, 8, 10, 12, 12)).astype("float32")
    w = rng.normal(size=(8, 8 // groups, 3, 3, 3)).astype("float32")
    X, W = ac.tensor("float32", (None,) * 5), ac.tensor("float32", (None,) * 5)
    y = nn.conv3d(X, W, padding="same", groups=groups)
    outputs = [y, *grad(ac.sum(y * y), [X, W])]
    f = ac.function([X, W], outputs, mode=c_mode.with_options(threads=3))
    got, again = f(x, w), f(x, w)
    for a, b, expected in zip(got, again, ac.function([X, W], outputs)(x, w), strict=True):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(a, expected, rtol=0, atol=1e-5 * np.abs(expected).max())
