"""Rewrites that stop computing a broadcast keep NumPy's error: a graph whose operands do not broadcast fails
after rewriting as it did before, whatever the rewrite dropped (a term times 0, a term minus itself, a branch of
``where``, the value behind a shape), and graphs that do broadcast keep their values."""

from __future__ import annotations

import numpy as np
import pytest
from opt_helpers import STRICT, check, evaluate, rewrite

import arignote_core as ac
from arignote_core import Shape
from arignote_core.mode import Mode
from arignote_core.tensors.subtensor_update import AdvancedIncSubtensor, IncSubtensor
from arignote_opt import standard_rewriter

RNG = np.random.default_rng(11)

EXPRESSIONS = {
    "x + 0 * c": lambda x, c: x + 0 * c,
    "where(c > 0, x, x)": lambda x, c: ac.where(c > 0, x, x),
    "x + (c - c)": lambda x, c: x + (c - c),
    "(x + c) - (x + c)": lambda x, c: (x + c) - (x + c),
    "(x * c) / (x * c) * x": lambda x, c: (x * c) / (x * c) * x,
    "(x + c) ** 0": lambda x, c: (x + c) ** 0,
    "zeros of shape(x + c)": lambda x, c: ac.zeros(Shape()(x + c)),
    "shape(x * c)": lambda x, c: Shape()(x * c),
}


@pytest.mark.parametrize("static", [True, False], ids=["x-static", "x-dynamic"])
@pytest.mark.parametrize("name", sorted(EXPRESSIONS))
def test_operands_that_do_not_broadcast_still_fail_after_rewriting(name, static):
    x = ac.tensor("float64", (4,) if static else (None,), "x")
    c = ac.dmatrix("c")
    out = EXPRESSIONS[name](x, c)
    bad = [np.ones(4), np.ones((4, 2))]
    with pytest.raises(ValueError):
        evaluate(ac.FunctionGraph([x, c], [out]), bad)
    fgraph, _ = rewrite([out], [x, c], STRICT)
    with pytest.raises(ValueError, match="broadcast"):
        evaluate(fgraph, bad)
    for shapes in [((4,), (3, 4)), ((4,), (3, 1)), ((4,), (1, 4))] + ([] if static else [((1,), (3, 5))]):
        check(out, [x, c], [RNG.uniform(1, 2, s) for s in shapes])


def test_a_guard_moves_onto_what_replaces_the_value_it_guards():
    """shape(x * y) read off the shapes of x and y carries a check; a later rule that removes the broadcast
    the shape feeds keeps it."""
    x, y = ac.dmatrix("x"), ac.dmatrix("y")
    out = ac.broadcast_to(ac.constant(np.ones((1, 1))), Shape()(x * y)) * y
    fgraph, _ = rewrite([out], [x, y], STRICT)
    assert any(isinstance(n.op, ac.CheckAndRaise) for n in fgraph.apply_nodes)
    with pytest.raises(ValueError, match="could not be broadcast"):
        evaluate(fgraph, [np.ones((2, 3)), np.ones((5, 3))])
    check(out, [x, y], [np.ones((1, 3)), np.ones((5, 3))])


INDEXING = {
    "v[3] ** 0": lambda v, i: v[3] ** 0,
    "v[3] * 0": lambda v, i: v[3] * 0,
    "v[i] ** 0": lambda v, i: v[i] ** 0,
    "v[[3]] ** 0": lambda v, i: v[np.array([3])] ** 0,
    "v[1:][2] - v[1:][2]": lambda v, i: v[1:][2] - v[1:][2],
    "shape(m[3])": lambda v, i: Shape()(ac.outer(v, v)[3]),
    "zeros of shape(m[i])": lambda v, i: ac.zeros(Shape()(ac.outer(v, v)[i])),
}


@pytest.mark.parametrize("name", sorted(INDEXING))
def test_indices_out_of_bounds_still_fail_after_rewriting(name):
    """A rewrite that no longer computes an indexing (a power 0, a product with 0, a shape read off) still
    fails where its index is out of bounds, and keeps NumPy's values where it is not."""
    v, i = ac.dvector("v"), ac.lscalar("i")
    out = INDEXING[name](v, i)
    fgraph, _ = rewrite([out], [v, i], STRICT)
    with pytest.raises((IndexError, ValueError), match="out of bounds"):
        evaluate(fgraph, [np.ones(3), np.int64(3)])
    check(out, [v, i], [np.ones(5), np.int64(-5)], STRICT)


EMPTY = {
    "argmin(x, 1) - argmin(x, 1)": lambda x: ac.argmin(x, axis=1) - ac.argmin(x, axis=1),
    "max(x, 1) * 0": lambda x: ac.max(x, axis=1) * 0,
    "argmax(x) ** 0": lambda x: ac.argmax(x) ** 0,
}


@pytest.mark.parametrize("name", sorted(EMPTY))
def test_reductions_without_identity_of_an_empty_axis_still_fail_after_rewriting(name):
    x = ac.tensor("int32", (None, None), "x")
    out = EMPTY[name](x)
    fgraph, _ = rewrite([out], [x], STRICT)
    with pytest.raises(ValueError, match="empty|identity"):
        evaluate(fgraph, [np.zeros((0, 0), dtype=np.int32)])
    for value in (np.zeros((0, 3), dtype=np.int32), np.arange(6, dtype=np.int32).reshape(2, 3)):
        if name != "argmax(x) ** 0" or value.size:
            check(out, [x], [value], STRICT)


@pytest.mark.parametrize("shape", [(3, 4, 0), (5,)], ids=["empty, -1 ambiguous", "5 into 2 rows"])
def test_a_reshape_that_does_not_fit_still_fails_after_it_is_merged_into_another(shape):
    x = ac.tensor("float64", (None,) * len(shape), "x")
    inner = ac.reshape(x, (-1, x.shape[-1])) if len(shape) == 3 else ac.reshape(x, (2, -1))
    out = ac.reshape(inner, (1, -1))
    fgraph, _ = rewrite([out], [x], STRICT)
    assert sum(isinstance(node.op, ac.Reshape) for node in fgraph.toposort()) == 1
    with pytest.raises(ValueError, match="reshape"):
        evaluate(fgraph, [np.zeros(shape)])
    check(out, [x], [np.zeros((3, 4, 2)) if len(shape) == 3 else np.zeros(6)], STRICT)


def test_a_dropped_update_of_a_region_keeps_its_index_error():
    """``inc_subtensor(y[idx], v) ** 0`` is ones, but only where ``idx`` is within ``y``: the rewrite that drops the
    update keeps its index check, and raises the IndexError computing it would (fuzz case 73:255)."""
    y = ac.dtensor3("y")
    idx = np.array([[-1, -1], [-1, -2]])
    out = ac.inc_subtensor(y[idx], y) ** 0
    f = ac.function([y], out, mode=Mode(backend="reference", rewriter=standard_rewriter()))
    with pytest.raises(IndexError, match="out of bounds"):
        f(np.zeros((1, 1, 1)))
    np.testing.assert_array_equal(f(np.zeros((2, 1, 1))), np.ones((2, 1, 1)))


#: expressions dropping an update, each with the size of its indexed region (x has 3 elements, i is 1)
UPDATES = {
    "inc_subtensor(x[-1::3], v) - itself": (lambda x, v, i: (lambda u: u - u)(ac.inc_subtensor(x[-1::3], v)), 1),
    "set_subtensor(x[1:], v) ** 0": (lambda x, v, i: ac.set_subtensor(x[1:], v) ** 0, 2),
    "inc_subtensor(x[i:], v) ** 0": (lambda x, v, i: ac.inc_subtensor(x[i:], v) ** 0, 2),
    "set_subtensor(x[[0, 1]], v) - itself": (
        lambda x, v, i: (lambda u: u - u)(ac.set_subtensor(x[np.array([0, 1])], v)), 2),
    "shape(inc_subtensor(x[:2], v))": (lambda x, v, i: Shape()(ac.inc_subtensor(x[:2], v)), 2),
}


@pytest.mark.parametrize("name", sorted(UPDATES))
def test_a_dropped_update_keeps_the_error_of_a_value_that_does_not_fit_its_region(name):
    """``inc_subtensor(x[idx], v) - itself`` is zeros, but only where ``v`` broadcasts into ``x[idx]``: the rewrite
    that drops the update keeps that check, and raises the ValueError NumPy's ``x[idx] += v`` does (fuzz case
    20261207:412); values that fit (equal sizes, size 1) keep NumPy's result."""
    x, v, i = ac.tensor("int32", (None,), "x"), ac.tensor("int32", (None,), "v"), ac.lscalar("i")
    build, region = UPDATES[name]
    out = build(x, v, i)
    fgraph, _ = rewrite([out], [x, v, i], STRICT)
    assert not any(isinstance(n.op, IncSubtensor | AdvancedIncSubtensor) for n in fgraph.apply_nodes)
    with pytest.raises(ValueError):
        evaluate(ac.FunctionGraph([x, v, i], [out]), [np.zeros(3, np.int32), np.ones(3, np.int32), np.int64(1)])
    with pytest.raises(ValueError, match="broadcast"):
        evaluate(fgraph, [np.zeros(3, np.int32), np.ones(3, np.int32), np.int64(1)])
    for size in {1, region}:
        check(out, [x, v, i], [np.zeros(3, np.int32), np.ones(size, np.int32), np.int64(1)], STRICT)
