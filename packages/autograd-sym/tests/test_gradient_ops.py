"""zero_grad, disconnected_grad, grad_clip, grad_scale: identity forward, special gradients."""

import numpy as np
import pytest

import arignote_core as ac
import arignote_grad as ag


def values(inputs, outputs, *args):
    return ac.function(inputs, outputs)(*args)


def test_forward_values_are_the_identity():
    x = ac.dvector("x")
    outs = [ag.zero_grad(x), ag.disconnected_grad(x), ag.grad_clip(x, -1, 1), ag.grad_scale(x, 3.0)]
    for got in values([x], outs, [1.0, -2.0]):
        np.testing.assert_array_equal(got, [1.0, -2.0])


def test_zero_grad_gives_zeros_and_keeps_the_input_connected():
    x = ac.dvector("x")
    g = ag.grad((ag.zero_grad(x) * 5.0).sum(), x)
    np.testing.assert_array_equal(values([x], g, [1.0, 2.0]), [0.0, 0.0])
    t = ag.Rop(ag.zero_grad(x) * 5.0, x, ac.constant(np.ones(2)))
    np.testing.assert_array_equal(values([x], t, [1.0, 2.0]), [0.0, 0.0])


def test_disconnected_grad_disconnects():
    x = ac.dvector("x")
    with pytest.raises(ag.DisconnectedInputError):
        ag.grad((ag.disconnected_grad(x) * 5.0).sum(), x)
    g = ag.grad((ag.disconnected_grad(x) * x).sum(), x)
    np.testing.assert_array_equal(values([x], g, [1.0, 2.0]), [1.0, 2.0])


def test_grad_clip_and_grad_scale():
    x = ac.dvector("x")
    clipped = ag.grad((ag.grad_clip(x, -1.0, 1.0) * ac.constant(np.array([0.5, 3.0, -4.0]))).sum(), x)
    np.testing.assert_array_equal(values([x], clipped, [1.0, 1.0, 1.0]), [0.5, 1.0, -1.0])
    scaled = ag.grad((ag.grad_scale(x, -2.0) ** 2).sum(), x)
    np.testing.assert_array_equal(values([x], scaled, [1.0, 3.0]), [-4.0, -12.0])
    t = ag.Rop(ag.grad_scale(x, -2.0) ** 2, x, ac.constant(np.ones(2)))  # forward mode sees the identity
    np.testing.assert_array_equal(values([x], t, [1.0, 3.0]), [2.0, 6.0])


def test_grad_clip_refuses_inverted_bounds():
    with pytest.raises(ValueError, match="lower bound"):
        ag.grad_clip(ac.dvector(), 1.0, -1.0)


def test_gradient_ops_are_marked_identity_at_runtime():
    x = ac.dvector("x")
    for out in (ag.zero_grad(x), ag.disconnected_grad(x), ag.grad_clip(x, 0, 1), ag.grad_scale(x, 2)):
        assert out.owner.op.identity_at_runtime
