"""Rewrites that recreate a computation rules have already rewritten take the known result back instead of
rewriting it again, so nested run-time shapes cost work linear in the graph, not a chain of rewrites per
recreation; and a result a later phase rewrote is not taken back (no merge ping-pong between phases).

The graph is the gradient of ``sum(where(mask, pool(pool(x)), 0) * proj)`` for a sum pooling in ceil mode
(nn-extras' ``Pool2d(2, 2, 1, ignore_border=False)``), rebuilt from a small op with the same shape inference:
shape inference of each pooled shape reads the shape of the pooled input, and the broadcast guards of the
gradient recreate ``shape(pool(pool(x)))`` for each size they read. Before, each recreation was rewritten from
scratch (the shape's ``make_vector`` had left the graph once its entries were read off) and the canonicalize
phase stopped at its rewrite budget."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from opt_helpers import STRICT, check, fired

import arignote_core as ac
from arignote_core.tensors.broadcast import broadcast_to, sum_to_shape

RNG = np.random.default_rng(5)


def ceil_mode_size(n, window=2, stride=2, pad=1):
    """Pool2d's output length without ``ignore_border`` (a partial window at the end counts), symbolic or not."""
    out = -(-(n + 2 * pad - window) // stride) + 1
    if isinstance(n, int):
        return 1 if n + 2 * pad <= window else out - int((out - 1) * stride >= n + pad)
    out = out - ac.cast((out - 1) * stride >= n + pad, "int64")
    return ac.where(n + 2 * pad <= window, 1, out)


@dataclass(frozen=True)
class SumPool(ac.Op):
    """Sums of the 2x2 windows of the last two axes, stride 2, padding 1, partial windows at the end kept."""

    def make_node(self, x):
        x = ac.as_tensor(x)
        return ac.Apply(self, [x], [ac.TensorType(x.dtype, (None,) * x.ndim)])

    def perform(self, node, inputs):
        (x,) = inputs
        rows, cols = (ceil_mode_size(n) for n in x.shape[-2:])
        padded = np.zeros(x.shape[:-2] + (2 * rows, 2 * cols), x.dtype)
        kept = x[..., :2 * rows - 1, :2 * cols - 1]
        padded[..., 1:1 + kept.shape[-2], 1:1 + kept.shape[-1]] = kept
        return [padded.reshape(x.shape[:-2] + (rows, 2, cols, 2)).sum(axis=(-3, -1))]

    def infer_shape(self, node, input_shapes):
        (shape,) = input_shapes
        return [(*shape[:-2], *(ceil_mode_size(n) for n in shape[-2:]))]


@dataclass(frozen=True)
class SpreadBack(ac.Op):
    """``(gy, shape) -> gx``: ``gy`` in the corner of zeros of ``shape`` (standing for the pooling's gradient,
    whose shape is its input's)."""

    def make_node(self, gy, shape):
        gy, shape = ac.as_tensor(gy), ac.as_tensor(shape)
        return ac.Apply(self, [gy, shape], [ac.TensorType(gy.dtype, (None,) * gy.ndim)])

    def perform(self, node, inputs):
        gy, shape = inputs
        out = np.zeros(tuple(shape), gy.dtype)
        corner = tuple(slice(0, min(a, b)) for a, b in zip(gy.shape, out.shape, strict=True))
        out[corner] = gy[corner]
        return [out]

    def infer_shape(self, node, input_shapes):
        gy, shape = node.inputs
        return [tuple(shape[axis] for axis in range(gy.type.ndim))]


def pooled_gradient(depth: int):
    """The gradient graph of ``sum(where(mask, pool^depth(x), 0) * proj)`` with respect to ``x``, as
    autograd-sym builds it, and its inputs."""
    x, proj = ac.dtensor4("x"), ac.dtensor4("proj")
    mask = ac.tensor("bool", (None,) * 4, "mask")
    levels = [x]
    for _ in range(depth):
        levels.append(SumPool()(levels[-1]))
    masked = ac.where(mask, levels[-1], 0.0)
    out_grad = broadcast_to(1.0, ac.shape(masked * proj)) * proj
    grad = sum_to_shape(ac.where(mask, sum_to_shape(out_grad, ac.shape(masked)), 0), ac.shape(levels[-1]))
    for level in reversed(levels[:-1]):
        grad = SpreadBack()(grad, ac.shape(level))
    return grad, [x, mask, proj]


def values(x_shape: tuple[int, ...], depth: int) -> list[np.ndarray]:
    pooled = x_shape[:-2]
    rows, cols = x_shape[-2:]
    for _ in range(depth):
        rows, cols = ceil_mode_size(rows), ceil_mode_size(cols)
    pooled += (rows, cols)
    return [RNG.uniform(-1, 1, x_shape), RNG.uniform(size=pooled) > 0.5, RNG.uniform(-1, 1, pooled)]


@pytest.mark.parametrize("depth", [2, 3])
def test_nested_pooled_shapes_are_inferred_once_each(depth):
    grad, inputs = pooled_gradient(depth)
    fgraph, report = check(grad, inputs, values((2, 3, 5, 4), depth), STRICT)
    canonicalize = report.phases[0]
    assert canonicalize.name == "canonicalize"
    # one rewrite per shape read off a computed value: the broadcast, the where, each pooling
    assert fired(report, "inferred_shape") <= depth + 2, report.format()
    assert canonicalize.rewrites < 10 * (canonicalize.nodes_before + 10), report.format()
    for x_shape in [(1, 1, 1, 1), (2, 1, 7, 6), (1, 2, 0, 3)]:
        check(grad, inputs, values(x_shape, depth), STRICT)


def test_the_pooled_gradients_shape_rewrites_to_a_function_of_the_inputs_shapes():
    grad, inputs = pooled_gradient(2)
    fgraph, _ = check(ac.shape(grad), inputs, values((2, 3, 5, 4), 2), STRICT)
    assert not any(isinstance(node.op, SumPool) for node in fgraph.apply_nodes)


def test_a_result_a_later_phase_rewrote_is_not_taken_back():
    """canonicalize writes ``x - y`` as ``x + -y`` and specialize writes it back as ``x - y``: the recreated
    subtraction must not merge into the canonical sum (which specialize would rewrite again, and so on)."""
    x, y = ac.dvector("x"), ac.dvector("y")
    fgraph, report = check(x - y, [x, y], [RNG.uniform(size=3), RNG.uniform(size=3)], STRICT)
    assert [str(node.op) for node in fgraph.toposort()] == ["Elemwise{subtract}"]
    assert all(phase.rewrites <= 3 for phase in report.phases), report.format()
