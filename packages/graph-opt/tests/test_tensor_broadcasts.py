"""Broadcasts removed or narrowed where sizes are provably there already: values kept (reference evaluator
before and after), including sizes that are 1 only at run time, and the rules fire only where they may."""

from __future__ import annotations

import numpy as np
import pytest
from opt_helpers import STRICT, assert_rule, op_types, sample

import arignote_core as ac
from arignote_core import MakeVector, Shape
from arignote_core.tensors.broadcast import BroadcastTo, SumToShape, broadcast_to, sum_to_shape
from arignote_opt.tensor.sizes import SizeTerms

RNG = np.random.default_rng(99)


def mat(name, shape=(None, None)):
    return ac.tensor("float64", shape, name)


def ones_like_sum_gradient(x, y):
    """What the gradient of ``sum(x * y)`` seeds: a number broadcast to the (run-time) broadcast shape."""
    return broadcast_to(ac.constant(np.full((1, 1), -0.5)), Shape()(x * y))


CASES = [
    # rule, fires, inputs, value shapes (several runs: sizes 1 at run time included), outputs
    ("broadcast_into_elemwise", True, ["x", "c"], [[(3, 4), (3, 1)], [(1, 4), (1, 1)]],
     lambda x, c: broadcast_to(c, x.shape) + x),
    ("broadcast_into_elemwise", True, ["x", "c"], [[(3, 4), (3, 1)], [(3, 1), (3, 1)]],
     lambda x, c: ac.alloc(c, x.shape[0], x.shape[1]) * ac.exp(x)),
    ("broadcast_into_elemwise", True, ["x", "y"], [[(3, 4), (3, 4)], [(1, 4), (3, 4)], [(3, 4), (1, 4)]],
     lambda x, y: ones_like_sum_gradient(x, y) * y),
    ("broadcast_into_elemwise", False, ["x", "c"], [[(3, 4), (3, 1)], [(3, 4), (1, 1)]],
     lambda x, c: broadcast_to(c, x.shape) + c),
    ("broadcast_into_elemwise", False, ["v", "w"], [[(4,), (4,)], [(4,), (1,)]],
     lambda v, w: broadcast_to(v, (3, v.shape[0])) * w),
    ("useless_broadcast", True, ["x", "w"], [[(3, 4), (4, 2)], [(1, 4), (4, 1)]],
     lambda x, w: sum_to_shape(ac.tanh(ac.dot(x, w)) + 1, (x.shape[0], w.shape[1]))),
    ("useless_broadcast", True, ["x", "y"], [[(3, 4), (3, 4)], [(1, 4), (3, 4)]],
     lambda x, y: sum_to_shape(x * y, Shape()(y + x))),
    ("useless_broadcast", False, ["x", "y"], [[(3, 4), (3, 4)], [(1, 4), (3, 4)]],
     lambda x, y: sum_to_shape(x * y, x.shape)),
    ("useless_broadcast", True, ["x", "y"], [[(3, 4), (3, 4)], [(3, 4), (3, 1)]],
     lambda x, y: broadcast_to(ac.sum(x * y, axis=1), ((y * x).shape[0],)) * 2),
    ("useless_broadcast", False, ["x", "y"], [[(3, 4), (3, 4)], [(1, 4), (3, 4)]],
     lambda x, y: broadcast_to(x, Shape()(x * y)) * 2),
    ("useless_alloc", True, ["x", "w"], [[(3, 4), (4, 2)]],
     lambda x, w: ac.alloc(ac.dot(x, w), x.shape[0], w.shape[1]) * 2),
]


@pytest.mark.parametrize("rule, fires, names, runs, build", CASES,
                         ids=[f"{c[0]}-{'fires' if c[1] else 'not'}-{i}" for i, c in enumerate(CASES)])
def test_rule_keeps_values_with_run_time_broadcasting(rule, fires, names, runs, build):
    inputs = [mat(n, (None,) * len(runs[0][k])) for k, n in enumerate(names)]
    outputs = [build(*inputs)]
    for shapes in runs:
        assert_rule(rule, fires, outputs, inputs, [sample("float64", s, RNG) for s in shapes], STRICT)


def test_the_gradient_seed_of_a_product_keeps_only_the_size_the_other_factor_lacks():
    x, y = mat("x", (None, 4)), mat("y", (None, 4))
    fgraph, _ = assert_rule("broadcast_into_elemwise", True, [ones_like_sum_gradient(x, y) * y], [x, y],
                            [sample("float64", (2, 4), RNG), sample("float64", (2, 4), RNG)], STRICT)
    (broadcast,) = [n for n in fgraph.apply_nodes if isinstance(n.op, BroadcastTo)]
    assert broadcast.outputs[0].type.shape == (None, 1)  # x's rows only: y gives the rest
    assert not any(str(n.op) == "Elemwise{switch}" for n in fgraph.apply_nodes)


def test_a_gradient_sum_over_sizes_that_agree_disappears():
    x, w = mat("x"), mat("w")
    out = sum_to_shape(ac.tanh(ac.dot(x, w)), Shape()(ac.dot(x, w) * 2))
    fgraph, _ = assert_rule("useless_broadcast", True, [out], [x, w],
                            [sample("float64", (2, 3), RNG), sample("float64", (3, 5), RNG)], STRICT)
    assert SumToShape not in op_types(fgraph)


def test_size_terms_follow_broadcasts_products_and_shape_vectors():
    x, y, w = mat("x", (None, 4)), mat("y", (None, 4)), mat("w", (4, None))
    graph = ac.FunctionGraph([x, y, w], [x])
    terms = SizeTerms(graph)
    product = x * y
    assert terms.axis(product, 0) == terms.axis(x, 0) | terms.axis(y, 0)
    assert terms.axis(product, 1) == frozenset({("const", 4)})
    assert terms.axis(ac.dot(product, w), 1) == terms.axis(w, 1)
    shape_vec = MakeVector("int64")(ac.where(ac.eq(x.shape[0], 1), y.shape[0], x.shape[0]), 4)
    assert terms.vector(shape_vec) == terms.shape(product)
    assert terms.axis(ac.sum(product, axis=0), 0) == frozenset({("const", 4)})
    assert terms.axis(x.dimshuffle("x", 0, 1), 0) == frozenset()
