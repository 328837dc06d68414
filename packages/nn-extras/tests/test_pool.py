"""Pooling ops: derivative rules of every order, adjoint pairs, ties, shapes and errors. (Values against the
direct NumPy reference are in the conformance cases.)"""

import numpy as np
import pytest
from rulecheck import check_pullback, check_pushforward

import arignote_core as ac
from arignote_grad.registry import pullback_rule
from arignote_nn import AveragePool2dGrad, MaxPool2dGrad, MaxPool2dGradGrad, Pool2d, avg_pool2d, max_pool2d
from arignote_nn.testing import references as ref

SETTINGS = [
    pytest.param({"ws": 2, "stride": 2}, id="2x2"),
    pytest.param({"ws": 3, "stride": 2, "pad": 1}, id="3x3-overlap-padded"),
    pytest.param({"ws": (2, 3), "stride": (3, 1), "ignore_border": False}, id="border-kept"),
]
MODES = ["max", "sum", "average_inc_pad", "average_exc_pad"]


def _x(rng, shape=(2, 3, 7, 6)):
    return rng.normal(size=shape)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("settings", SETTINGS)
def test_pool_rules(settings, mode):
    rng = np.random.default_rng(0)
    build = lambda x: Pool2d(**settings, mode=mode)(x)  # noqa: E731
    check_pullback(build, [_x(rng)], (0,), rng)
    check_pushforward(build, [_x(rng)], (0,), rng)


@pytest.mark.parametrize("settings", SETTINGS)
def test_max_gradient_op_rules(settings):
    rng = np.random.default_rng(1)
    x = _x(rng)
    pooled = ref.pool2d(x, settings["ws"], settings["stride"], settings.get("pad", 0),
                        settings.get("ignore_border", True)).shape
    check_pullback(lambda a, b: MaxPool2dGrad(**settings)(a, b), [x, rng.normal(size=pooled)], (1,), rng)
    check_pushforward(lambda a, b: MaxPool2dGrad(**settings)(a, b), [x, rng.normal(size=pooled)], (1,), rng)
    check_pullback(lambda a, b: MaxPool2dGradGrad(**settings)(a, b), [x, _x(rng)], (1,), rng)
    check_pushforward(lambda a, b: MaxPool2dGradGrad(**settings)(a, b), [x, _x(rng)], (1,), rng)


@pytest.mark.parametrize("mode", MODES[1:])
@pytest.mark.parametrize("settings", SETTINGS)
def test_average_gradient_op_rules(settings, mode):
    rng = np.random.default_rng(2)
    x_shape = (2, 3, 7, 6)
    pooled = ref.pool2d(np.zeros(x_shape), settings["ws"], settings["stride"], settings.get("pad", 0),
                        settings.get("ignore_border", True), mode).shape
    build = lambda gy: AveragePool2dGrad(**settings, mode=mode)(gy, x_shape)  # noqa: E731
    check_pullback(build, [rng.normal(size=pooled)], (0,), rng)
    check_pushforward(build, [rng.normal(size=pooled)], (0,), rng)


def test_max_gradient_in_x_is_zero():
    x, gy = ac.dtensor4("x"), ac.dtensor4("gy")
    node = MaxPool2dGrad(2, 2)(x, gy).owner
    g_x, _ = pullback_rule(node.op)(node.op, node, [ac.dtensor4("g")])
    value = ac.function([x], g_x)(np.ones((1, 2, 4, 4)))
    assert value.shape == (1, 2, 4, 4) and not value.any()


def test_ties_send_the_gradient_to_the_first_maximum():
    x, gy = ac.dtensor4(), ac.dtensor4()
    gx = ac.function([x, gy], MaxPool2dGrad(2, 2)(x, gy))(np.ones((1, 1, 2, 2)), np.full((1, 1, 1, 1), 5.0))
    assert gx.tolist() == [[[[5.0, 0.0], [0.0, 0.0]]]]


def test_average_divisors():
    x = ac.dmatrix()
    ones = np.ones((3, 3))
    inc = ac.function([x], avg_pool2d(x, 2, stride=2, padding=1))(ones)
    exc = ac.function([x], avg_pool2d(x, 2, stride=2, padding=1, count_include_pad=False))(ones)
    assert inc.tolist() == [[0.25, 0.5], [0.5, 1.0]]
    assert exc.tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_max_pool_padding_is_minus_infinity():
    x = ac.dmatrix()
    out = ac.function([x], max_pool2d(x, 2, stride=2, padding=1))(-np.ones((2, 2)))
    assert out.tolist() == [[-1.0, -1.0], [-1.0, -1.0]]


@pytest.mark.parametrize(("shape", "ws", "stride", "pad", "ignore_border", "expected"), [
    ((8, 3, 24, 24), 2, 2, 0, True, (8, 3, 12, 12)),
    ((8, 3, 25, 25), 2, 2, 0, True, (8, 3, 12, 12)),
    ((8, 3, 25, 25), 2, 2, 0, False, (8, 3, 13, 13)),
    ((8, 3, 25, 25), 3, 2, 1, True, (8, 3, 13, 13)),
    ((4, 7), 3, 3, 0, False, (2, 3)),
    ((5, 7), 1, 3, 0, False, (2, 3)),
])
def test_static_output_shapes(shape, ws, stride, pad, ignore_border, expected):
    out = Pool2d(ws, stride, pad, ignore_border)(ac.tensor("float64", shape))
    assert out.type.shape == expected
    assert ref.pool2d(np.zeros(shape), ws, stride, pad, ignore_border).shape == expected


def test_run_time_shapes_infer_symbolically():
    from arignote_core.tensors.shape_inference import infer_shape

    x = ac.dtensor4("x")
    for ib in (True, False):
        out = Pool2d(3, 2, 1, ib, "average_exc_pad")(x)
        dims = infer_shape(out)
        fn = ac.function([x], [ac.as_tensor(d) for d in dims])
        for size in (5, 6, 9):
            value = np.zeros((1, 2, size, size + 1))
            assert tuple(int(d) for d in fn(value)) == ac.function([x], out)(value).shape


@pytest.mark.parametrize(("make", "error"), [
    (lambda: max_pool2d(ac.ivector(), 2), TypeError),
    (lambda: max_pool2d(ac.dvector(), 2), TypeError),
    (lambda: max_pool2d(ac.dmatrix(), 2, padding=2), ValueError),
    (lambda: max_pool2d(ac.dmatrix(), 0), ValueError),
    (lambda: Pool2d(2, 2, mode="median"), ValueError),
    (lambda: AveragePool2dGrad(2, 2, mode="max"), ValueError),
    (lambda: max_pool2d(ac.tensor("float64", (1, 1)), 2), ValueError),
    (lambda: AveragePool2dGrad(2, 2)(ac.dmatrix(), ac.dvector()), TypeError),
])
def test_bad_arguments_are_refused(make, error):
    with pytest.raises(error):
        make()


def test_ops_compare_by_parameters():
    assert Pool2d(2, 2) == Pool2d((2, 2), (2, 2), (0, 0), True, "max")
    assert Pool2d(2, 2) != Pool2d(2, 2, mode="sum")
    assert len({MaxPool2dGrad(2, 2), MaxPool2dGrad((2, 2), 2), MaxPool2dGradGrad(2, 2)}) == 2
