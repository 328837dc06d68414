"""Gradient graphs stay lean: O(N) nodes for a chain of N elementwise ops, even with fan-out at every step."""

import numpy as np
import pytest

import arignote_core as ac
import arignote_grad as ag

UNARY = [ac.exp, ac.sin, ac.tanh, ac.sigmoid, ac.log1p, ac.square, ac.cos, ac.softplus]


def chain(x, n):
    y = x
    for k in range(n):
        y = UNARY[k % len(UNARY)](y) * 0.5 + 0.1
    return y


def fan_out_chain(x, n):
    y = x
    for _ in range(n):
        y = y * ac.tanh(y)  # y used twice per step: naive expansion would double the graph each step
    return y


def backward_nodes(cost, g):
    """Nodes of the gradient graph that the forward graph does not already have."""
    return set(ac.toposort([g])) - set(ac.toposort([cost]))


def gradient_nodes(builder, n):
    x = ac.dvector("x")
    cost = builder(x, n).sum()
    return len(backward_nodes(cost, ag.grad(cost, x)))


@pytest.mark.parametrize("builder", [chain, fan_out_chain])
def test_gradient_of_a_chain_has_linear_size(builder):
    sizes = {n: gradient_nodes(builder, n) for n in (8, 16, 32)}
    per_op = (sizes[32] - sizes[16]) / 16
    assert per_op == (sizes[16] - sizes[8]) / 8  # exactly linear growth
    assert per_op <= 6
    assert sizes[32] <= 6 * 32 + 5


def test_chain_gradient_is_right(rng):
    ag.verify_grad(lambda x: chain(x, 12), [rng.uniform(0.1, 0.5, size=4)])
    ag.verify_grad(lambda x: fan_out_chain(x, 12), [rng.uniform(0.1, 0.5, size=4)])


def test_scalar_constants_add_no_nodes():
    x = ac.dvector("x")
    cost = (x * 1.0 + 0.0).sum()
    ops = [type(n.op).__name__ for n in backward_nodes(cost, ag.grad(cost, x))]
    assert "Elemwise" not in ops  # d(x*1 + 0)/dx needs no arithmetic


def test_hessian_of_a_chain_stays_polynomial():
    x = ac.dvector("x", shape=(4,))
    sizes = []
    for n in (4, 8):
        sizes.append(len(ac.toposort([ag.hessian(chain(x, n).sum(), x)])))
    assert sizes[1] < 3 * sizes[0]
    assert np.all(np.isfinite(ac.function([x], ag.hessian(chain(x, 8).sum(), x))(np.full(4, 0.3))))
