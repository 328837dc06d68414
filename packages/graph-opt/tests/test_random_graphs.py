"""Random expression graphs (sums, products, divisions, cancellations, broadcasting, reductions, products of
matrices, slicing) through the whole standard pipeline: the rewritten graph computes what the original does,
for inputs whose sizes are unknown to the types and may broadcast at run time."""

from __future__ import annotations

import numpy as np
import pytest
from opt_helpers import STRICT, evaluate, rewrite

import arignote_core as ac

SHAPES = {"m": (3, 4), "r": (1, 4), "c": (3, 1), "v": (4,)}


def random_expression(rng: np.random.Generator, leaves: list, depth: int):
    if depth == 0 or rng.random() < 0.2:
        leaf = leaves[rng.integers(len(leaves))]
        return leaf if rng.random() < 0.85 else leaf * float(rng.integers(-2, 3))
    kind = rng.integers(12)
    a = random_expression(rng, leaves, depth - 1)
    if kind == 0:
        return a + random_expression(rng, leaves, depth - 1)
    if kind == 1:
        return a - random_expression(rng, leaves, depth - 1)
    if kind == 2:
        return a * random_expression(rng, leaves, depth - 1)
    if kind == 3:
        return a / (ac.abs(random_expression(rng, leaves, depth - 1)) + 1)
    if kind == 4:
        return -a + a * 2 - a
    if kind == 5:
        return ac.tanh(a) * ac.exp(ac.sin(a))
    if kind == 6:
        return ac.log(1 + ac.abs(a)) + ac.sqrt(a * a)
    if kind == 7:
        return ac.sum(a, axis=-1, keepdims=True) * a if a.ndim else a
    if kind == 8:
        return a ** 2 + a ** 3 - a / a
    if kind == 9:
        return ac.where(a > 0, a, a * 0.5)
    if kind == 10 and a.ndim == 2:
        return ac.dot(ac.dot(a, a.T), a) + 1  # keeps a's shape
    if kind == 11 and a.ndim >= 1:
        return a[..., :1] * a + (a[:1] * 2 if a.ndim == 2 else 0)  # slices that broadcast back
    return a * a


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("seed", range(30))
def test_random_graphs_keep_their_values(seed, dtype):
    rng = np.random.default_rng(seed)
    names = list(SHAPES)
    inputs = [ac.tensor(dtype, (None,) * len(SHAPES[n]), n) for n in names]
    outputs = [random_expression(rng, inputs, 4) for _ in range(2)]
    used = [v for v in inputs if v in ac.graph_inputs(outputs)]
    values = [rng.uniform(-1.5, 1.5, SHAPES[v.name]).astype(dtype) for v in used]
    before = evaluate(ac.FunctionGraph(used, outputs), values)
    fgraph, _ = rewrite(outputs, used, STRICT)
    after = evaluate(fgraph, values)
    tolerance = 1e-3 if dtype == "float32" else 1e-9
    for old, new in zip(before, after, strict=True):
        assert (new.dtype, new.shape) == (old.dtype, old.shape)
        finite = np.isfinite(old)  # fast-math rewrites may turn nan (0/0, inf - inf) into the limit value
        scale = max(1.0, float(np.abs(old[finite]).max(initial=0.0)))
        np.testing.assert_allclose(new[finite], old[finite], rtol=tolerance, atol=tolerance * scale)


def random_integer_expression(rng: np.random.Generator, leaves: list, depth: int):
    if depth == 0 or rng.random() < 0.2:
        leaf = leaves[rng.integers(len(leaves))]
        return leaf if rng.random() < 0.8 else leaf * int(rng.integers(-3, 4))
    a = random_integer_expression(rng, leaves, depth - 1)
    b = random_integer_expression(rng, leaves, depth - 1)
    kind = rng.integers(9)
    if kind == 7 and a.ndim == 2:
        return ac.dot(ac.dot(a, a.T), a)
    return [lambda: a + b, lambda: a - b, lambda: a * b, lambda: -a + a * 3 - b, lambda: a * a * a - a ** 2,
            lambda: ac.sum(a, axis=-1, keepdims=True) + b, lambda: ac.where(a > b, a, b - 1), lambda: a * 2,
            lambda: (a + 7) // 3 + a % 5][kind]()


@pytest.mark.parametrize("dtype", ["int64", "int8"])
@pytest.mark.parametrize("seed", range(20))
def test_random_integer_graphs_keep_their_values_exactly(seed, dtype):
    """Integer arithmetic wraps around: reordering sums and products must give the very same numbers."""
    rng = np.random.default_rng(seed)
    inputs = [ac.tensor(dtype, (None,) * len(shape), name) for name, shape in SHAPES.items()]
    outputs = [random_integer_expression(rng, inputs, 4) for _ in range(2)]
    used = [v for v in inputs if v in ac.graph_inputs(outputs)]
    values = [rng.integers(-20, 20, SHAPES[v.name]).astype(dtype) for v in used]
    before = evaluate(ac.FunctionGraph(used, outputs), values)
    fgraph, _ = rewrite(outputs, used, STRICT)
    for old, new in zip(before, evaluate(fgraph, values), strict=True):
        assert (new.dtype, new.shape) == (old.dtype, old.shape)
        np.testing.assert_array_equal(new, old)
