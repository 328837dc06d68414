"""Gradients (autograd-sym) through graph-opt's standard rewrites: lean (the MLP training graph has no more nodes
than PyTensor's), stable (cross-entropy gradients finite at logits of 800) and rewritten without warnings (the
example models' Adam steps, a deep chain)."""

import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.special

import arignote_core as ac
import arignote_grad as ag
import arignote_nn as nn
import arignote_opt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "examples"))

import grad_nodes  # noqa: E402
from models import MODELS  # noqa: E402

#: PyTensor 3.0.7's count for the same graph (FAST_RUN), measured with benchmarks/grad_nodes.py.
PYTENSOR_MLP_NODES = 38
STRICT = ac.Mode(rewriter=arignote_opt.standard_rewriter(strict=True))


def test_the_mlp_training_graph_is_no_larger_than_pytensors():
    counts = grad_nodes.arignote_counts()
    assert counts["arignote (after graph-opt)"] <= PYTENSOR_MLP_NODES


def _losses(x, y, labels):
    probabilities = ac.softmax(x, axis=1)
    shifted = x - ac.max(x, axis=1, keepdims=True)
    log_probabilities = shifted - ac.log(ac.sum(ac.exp(shifted), axis=1, keepdims=True))
    rows = ac.arange(x.shape[0])
    return {
        "log(softmax)": -ac.sum(ac.log(probabilities) * y),
        "shifted log-softmax": -ac.sum(log_probabilities * y),
        "categorical cross-entropy": ac.sum(nn.categorical_crossentropy(probabilities, y)),
        "picked log-probabilities": -ac.sum(ac.log(probabilities[rows, labels])),
    }


@pytest.mark.parametrize("name", list(_losses(ac.dmatrix("x"), ac.dmatrix("y"), ac.lvector("labels"))))
def test_cross_entropy_gradients_are_finite_at_logits_of_800(name):
    x, y, labels = ac.dmatrix("x"), ac.dmatrix("y"), ac.lvector("labels")
    loss = _losses(x, y, labels)[name]
    logits = np.array([[800.0, 0.0, -800.0], [0.5, 0.25, 3.0], [-3.0, 802.0, 1.0]])
    label_values = np.array([2, 0, 1])
    one_hot = np.eye(3)[label_values]
    f = ac.function([x, y, labels], [loss, ag.grad(loss, x)], mode=STRICT, on_unused_input="ignore")
    value, gradient = f(logits, one_hot, label_values)
    expected = -np.sum(one_hot * scipy.special.log_softmax(logits, axis=1))
    np.testing.assert_allclose(value, expected, rtol=1e-12)
    np.testing.assert_allclose(gradient, scipy.special.softmax(logits, axis=1) - one_hot, atol=1e-12)


@pytest.mark.parametrize("name", list(MODELS))
def test_adam_steps_of_the_example_models_rewrite_without_warnings(name):
    x, logits, params = MODELS[name](np.random.default_rng(0))
    labels = ac.lvector("labels")
    loss = nn.categorical_crossentropy(logits, labels, from_logits=True).mean()
    updates = nn.adam(ag.grad(loss, params), params, learning_rate=0.01)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ac.function([x, labels], loss, updates=updates, mode=STRICT)


def test_rewriting_the_gradient_of_a_deep_chain_takes_work_linear_in_its_depth():
    rewrites = []
    for depth in (40, 80):
        x = ac.dmatrix("x")
        y = x
        for _ in range(depth):
            y = ac.tanh(y) * 0.5 + x
        cost = ac.sum(y)
        fgraph = ac.FunctionGraph([x], [cost, ag.grad(cost, x)])
        report = arignote_opt.standard_rewriter(strict=True)(fgraph)
        rewrites.append(report.phases[0].rewrites)
    assert rewrites[1] <= 2.2 * rewrites[0]


@pytest.mark.parametrize("mode", ["fast_run", "fast_compile"])
def test_cross_entropy_of_integer_labels_is_finite_at_logits_of_900(mode):
    """categorical_crossentropy(softmax(z), labels) picks with advanced indexing, which the stabilizing
    rewrites see through; the hand-written log(softmax(v))[i] and log(exp(v) / sum(exp(v)))[i] too."""
    import arignote as ar

    z, labels, v = ar.dmatrix("z"), ar.lvector("labels"), ar.dvector("v")
    logits, picked = np.array([[900.0, 0.0, -900.0], [0.0, 900.0, 1.0]]), np.array([2, 0])
    loss = nn.categorical_crossentropy(nn.softmax(z), labels)
    f = ar.function([z, labels], [loss, ag.grad(loss.sum(), z)], mode=mode)
    value, gradient = f(logits, picked)
    np.testing.assert_allclose(value, -scipy.special.log_softmax(logits, axis=1)[[0, 1], picked], rtol=1e-14)
    np.testing.assert_allclose(gradient, scipy.special.softmax(logits, axis=1) - np.eye(3)[picked], atol=1e-14)
    hand = ar.function([v], [ar.log(nn.softmax(v))[1], ar.log(ar.exp(v) / ar.sum(ar.exp(v)))[1]], mode=mode)
    for element in hand(np.array([900.0, 0.0, 1.0])):
        np.testing.assert_allclose(element, -900.0, rtol=1e-14)
