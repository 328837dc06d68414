"""Gradients through autograd-sym (``verify_grad``: symbolic against finite differences, element by element):
every differentiable conformance case, the kinked activations away from their kinks, and the stability of the
cross-entropies' gradients."""

import numpy as np
import pytest

import arignote_core as ac
import arignote_nn as nn
from arignote_grad import grad, verify_grad
from arignote_nn.testing import ALL_CASES

#: at most this many samples per case, of at most this many float elements (finite differences cost two runs
#: per element)
SAMPLES_PER_CASE, MAX_ELEMENTS = 3, 400


def _grad_samples(case):
    chosen = [s for s in case.grad_samples() if sum(v.size for v in s.values if v.dtype.kind == "f") <= MAX_ELEMENTS]
    return chosen[:SAMPLES_PER_CASE]


GRAD_PARAMS = [pytest.param(case, s, id=f"{case.name}[{s.label}]")
               for case in ALL_CASES for s in _grad_samples(case)]


@pytest.mark.parametrize(("case", "sample"), GRAD_PARAMS)
def test_case_gradient(case, sample):
    """The gradient in the case's differentiable inputs (the other inputs are constants), with run-time shapes;
    several outputs are projected together on fixed random weights (which needs static shapes)."""
    wrt = case.wrt(sample)
    rng = np.random.default_rng(0)
    several = isinstance(case.build(*(ac.constant(v) for v in sample.values), **sample.kwargs), list)

    def fn(*variables):
        chosen = iter(variables)
        inputs = [next(chosen) if i in wrt else ac.constant(v) for i, v in enumerate(sample.values)]
        out = case.build(*inputs, **sample.kwargs)
        if not isinstance(out, list):
            return out
        return sum(ac.sum(o * rng.uniform(0.5, 1.5, size=o.type.shape)) for o in out)

    verify_grad(fn, [sample.values[i] for i in wrt], rng=0, static_shapes=several)


def test_every_differentiable_case_gets_a_gradient_check():
    checked = {case.name for case, _ in (p.values for p in GRAD_PARAMS)}
    assert checked == {case.name for case in ALL_CASES if case.differentiable}


KINKED = {
    "relu": nn.relu,
    "relu/alpha": lambda x: nn.relu(x, 0.3),
    "leaky_relu": nn.leaky_relu,
    "elu/alpha": lambda x: nn.elu(x, 0.5),
    "hard_sigmoid": nn.hard_sigmoid,
    "hard_sigmoid/pytorch": lambda x: nn.hard_sigmoid(x, 1 / 6),
}


@pytest.mark.parametrize("name", sorted(KINKED))
def test_kinked_activations_away_from_the_kinks(name):
    values = np.array([-4.0, -2.9, -2.1, -1.0, -0.3, 0.2, 0.7, 1.9, 2.2, 3.1, 4.0])
    verify_grad(KINKED[name], [values], rng=0)


def test_cross_entropy_from_logits_has_finite_gradients_for_huge_logits():
    logits, labels = ac.dmatrix("logits"), ac.lvector("labels")
    loss = nn.categorical_crossentropy(logits, labels, from_logits=True).sum()
    g = ac.function([logits, labels], grad(loss, logits))
    value = np.array([[1000.0, -1000.0, 0.0], [0.0, 800.0, -5.0]])
    got = g(value, [1, 1])
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, [[1.0, -1.0, 0.0], [0.0, 0.0, 0.0]], atol=1e-12)


def test_binary_cross_entropy_from_logits_is_stable():
    x, t = ac.dvector("x"), ac.dvector("t")
    loss = nn.binary_crossentropy(x, t, from_logits=True)
    f = ac.function([x, t], [loss, grad(loss.sum(), x)])
    value, gradient = f([-800.0, 800.0, 0.0], [1.0, 0.0, 1.0])
    np.testing.assert_allclose(value, [800.0, 800.0, np.log(2)])
    np.testing.assert_allclose(gradient, [-1.0, 1.0, -0.5])


def test_label_cross_entropy_does_not_read_other_classes():
    """Zero probabilities of the other classes give neither NaN values nor NaN gradients."""
    p, labels = ac.dmatrix("p"), ac.lvector("labels")
    loss = nn.categorical_crossentropy(p, labels).sum()
    f = ac.function([p, labels], [loss, grad(loss, p)])
    value, gradient = f(np.array([[0.0, 1.0, 0.0], [0.5, 0.5, 0.0]]), [1, 0])
    assert value == pytest.approx(np.log(2))
    np.testing.assert_allclose(gradient, [[0.0, -1.0, 0.0], [-2.0, 0.0, 0.0]])


def test_elu_gradient_is_finite_for_large_inputs():
    x = ac.dvector("x")
    g = ac.function([x], grad(nn.elu(x).sum(), x))
    np.testing.assert_allclose(g([1000.0, -1000.0, -1.0]), [1.0, 0.0, np.exp(-1.0)])


def test_second_order_through_conv_and_pool():
    """The Hessian-vector product of a small conv + pool network, against finite differences of its gradient."""
    rng = np.random.default_rng(0)
    x_value, w_value = rng.normal(size=(1, 2, 6, 6)), rng.normal(size=(3, 2, 3, 3))
    x, w, v = ac.dtensor4("x"), ac.dtensor4("w"), ac.dtensor4("v")
    loss = ac.sum(nn.avg_pool2d(nn.conv2d(x, w, padding=1) ** 2, 2)) + ac.sum(nn.max_pool2d(nn.conv2d(x, w), 2) ** 2)
    gw = grad(loss, w)
    hv = grad(ac.sum(gw * v), w)
    f_grad, f_hv = ac.function([x, w], gw), ac.function([x, w, v], hv)
    direction = rng.normal(size=w_value.shape)
    eps = 1e-5
    numeric = (f_grad(x_value, w_value + eps * direction) - f_grad(x_value, w_value - eps * direction)) / (2 * eps)
    np.testing.assert_allclose(f_hv(x_value, w_value, direction), numeric, rtol=1e-5, atol=1e-6)
