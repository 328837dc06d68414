"""Indexing rewrites: full slices dropped, slices of slices merged, slicing moved before elementwise work;
values equal NumPy's for many index combinations, including negative steps and empty results."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from opt_helpers import STRICT, assert_rule, check, only, sample

import arignote_core as ac
from arignote_core import Subtensor
from arignote_opt import optimize
from arignote_opt.tensor import FOLD, INDEXING
from arignote_opt.tensor.indexing import compose

RNG = np.random.default_rng(3)
INDEX = only(FOLD, INDEXING)

SLICES = [slice(None), slice(1, None), slice(None, 4), slice(1, 7, 2), slice(None, None, -1), slice(-3, None),
          slice(6, 1, -2), slice(2, 2), slice(0, 100)]
SECOND = [slice(None), slice(1, 3), slice(None, None, 2), slice(None, None, -1), 0, 1, -1]


@pytest.mark.parametrize("first, second", list(itertools.product(SLICES, SECOND)))
def test_a_slice_of_a_slice_is_one_slice_with_numpys_values(first, second):
    static = ac.tensor("float64", (9, 3), "s")
    unknown = ac.tensor("float64", (None, 3), "u")
    value = sample("float64", (9, 3), RNG)
    try:
        value[first][second]
    except IndexError:
        return
    for x in (static, unknown):
        fgraph, report = check(x[first][second], [x], [value], INDEX)
        if x is static:
            assert len([n for n in fgraph.apply_nodes if isinstance(n.op, Subtensor)]) <= 1


def test_merging_needs_the_size_only_for_negative_bounds_and_steps():
    assert compose(("slice", 2, None, None), ("slice", 1, 5, None), None) == ("slice", 3, 7, None)
    assert compose(("slice", 2, None, 3), ("int", 2), None) == ("int", 8)
    assert compose(("slice", 2, 10, None), ("int", 2), None) is None  # x[2:10][20] must still raise
    assert compose(("slice", None, None, -1), ("slice", 1, None, None), None) is None
    assert compose(("slice", None, None, -1), ("slice", 1, None, None), 5) == ("slice", 3, None, -1)
    assert compose(("slice", 1, 3, None), ("int", 5), 10) is None


FULL = ("slice", None, None, None)

CASES = [
    ("drop_full_slices", True, lambda x: Subtensor((FULL, FULL))(x)),
    ("drop_full_slices", True, lambda x: x[1:, 0:]),
    ("drop_full_slices", True, lambda x: x.reshape((-1, 5))[:, 0:100]),
    ("drop_full_slices", False, lambda x: x[:, 0:100]),
    ("drop_full_slices", False, lambda x: x[:-1, ::-1]),
    ("drop_full_slices", True, lambda x: x[None, 1:, :]),  # a new axis takes no axis of x
    ("drop_full_slices", False, lambda x: x[1, :, None]),
    ("merge_slices", True, lambda x: x[1:][:, 2]),
    ("merge_slices", False, lambda x: x[1:][ac.lscalar("i") * 0]),
    ("slice_before_elemwise", True, lambda x: (ac.exp(x) * 2 + x)[1:3, ::2]),
    ("slice_before_elemwise", True, lambda x: (ac.exp(x) + ac.dvector("v"))[2]),
    ("slice_before_elemwise", False, lambda x: (lambda e: [e[1:], e])(ac.exp(x))),
    ("slice_before_elemwise", False, lambda x: (x + ac.dmatrix("y"))[1:]),
    ("slice_before_elemwise", False, lambda x: (ac.lvector("i") ** ac.lvector("i"))[:1]),  # may raise beyond
    ("slice_to_own_length", True, lambda x: x[0:x.shape[0]]),
    ("slice_to_own_length", True, lambda x: x[:, :x.shape[1]] * 2),
    ("slice_to_own_length", False, lambda x: x[0:x.shape[1]]),  # another axis's length
    ("slice_to_own_length", False, lambda x: x[1:x.shape[0]]),
    ("slice_to_own_length", False, lambda x: x[0:ac.dmatrix("y").shape[0]]),
]


@pytest.mark.parametrize("rule, fires, build", CASES,
                         ids=[f"{c[0]}-{'fires' if c[1] else 'not'}-{i}" for i, c in enumerate(CASES)])
def test_rule_keeps_values_and_fires_only_where_it_applies(rule, fires, build):
    x = ac.tensor("float64", (None, None), "x")
    outputs = build(x)
    outputs = outputs if isinstance(outputs, list) else [outputs]
    extra = [v for v in ac.graph_inputs(outputs) if v.owner is None and not isinstance(v, ac.Constant)
             and v is not x]
    for shape in [(4, 5), (6, 5)]:
        samples = {"v": sample("float64", (5,), RNG), "y": sample("float64", shape, RNG),
                   "i": np.int64(0) if extra and extra[0].type.ndim == 0 else np.arange(3, dtype="int64")}
        assert_rule(rule, fires, outputs, [x, *extra], [sample("float64", shape, RNG),
                                                        *(samples[v.name] for v in extra)], STRICT)


def test_sliced_elementwise_inputs_broadcast_as_before():
    x, row = ac.tensor("float64", (None, 3), "x"), ac.tensor("float64", (1, 3), "row")
    expr = (x * row)[2:, 1]
    result = optimize(expr, INDEX)
    assert result.owner.op.scalar_op.name == "multiply"
    check(expr, [x, row], [sample("float64", (4, 3), RNG), sample("float64", (1, 3), RNG)], INDEX)
    unknown = ac.tensor("float64", (1, None), "unknown")
    assert isinstance(optimize((x * unknown)[2:, 1], INDEX).owner.op, Subtensor)  # unknown may broadcast x


def test_an_element_sliced_away_still_raises_where_numpy_raises():
    i = ac.lvector("i")
    out = (i ** i)[1:]
    rewritten = ac.function([i], out, mode=ac.Mode(backend="reference", rewriter=STRICT))
    with pytest.raises(ValueError, match="negative integer powers"):
        np.asarray([-1, 2, 3]) ** np.asarray([-1, 2, 3])
    with pytest.raises(ValueError, match="negative integer powers"):
        rewritten(np.array([-1, 2, 3]))
    np.testing.assert_array_equal(rewritten(np.array([1, 2, 3])), [4, 27])
