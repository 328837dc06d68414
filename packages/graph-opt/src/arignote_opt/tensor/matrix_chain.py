"""Chains of matrix products reassociated by cost: ``(A @ B) @ v`` is ``A @ (B @ v)`` when that is cheaper.

The order comes from the dynamic program behind ``numpy.linalg.multi_dot`` (cost in multiply-adds); a vector at
either end counts as a matrix with one row or column. When every size is static the rule reorders the graph;
otherwise the chain becomes one :class:`MatrixChain` node, which runs the program on each call's sizes.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from arignote_core import Apply, Dot, FunctionGraph, MatMul, Op, TensorType, Variable, as_tensor

from ..engine import Node
from .rulesets import SPECIALIZE
from .util import only_client

Tree = Any  # a leaf index, or a pair of trees


def _is_product(node: Apply | None) -> bool:
    return node is not None and isinstance(node.op, Dot | MatMul) and \
        all(v.type.ndim in (1, 2) for v in node.inputs)


def _flatten(fgraph: FunctionGraph, var: Variable, leaves: list[Variable], is_root: bool, dtype: str) -> Tree:
    node = var.owner
    if _is_product(node) and var.type.dtype == dtype and (is_root or only_client(fgraph, var) is not None):
        assert node is not None
        return (_flatten(fgraph, node.inputs[0], leaves, False, dtype),
                _flatten(fgraph, node.inputs[1], leaves, False, dtype))
    leaves.append(var)
    return len(leaves) - 1


def _dims(leaves: list[Variable]) -> list[int] | None:
    """``p`` with leaf ``i`` of shape ``(p[i], p[i+1])``; None if a size is unknown or a vector is inside."""
    dims: list[int] = []
    last = len(leaves) - 1
    for i, leaf in enumerate(leaves):
        shape = leaf.type.shape
        if None in shape or (len(shape) == 1 and 0 < i < last):
            return None
        rows, cols = shape if len(shape) == 2 else ((1, shape[0]) if i == 0 else (shape[0], 1))
        if dims and dims[-1] != rows:
            return None
        if not dims:
            dims.append(rows)
        dims.append(cols)
    return dims


def _cost(tree: Tree, dims: list[int]) -> tuple[int, int, int]:
    """(multiply-adds, first row index, last column index) of computing ``tree``."""
    if isinstance(tree, int):
        return 0, tree, tree + 1
    left, first, mid = _cost(tree[0], dims)
    right, _, end = _cost(tree[1], dims)
    return left + right + dims[first] * dims[mid] * dims[end], first, end


def optimal_order(dims: list[int]) -> tuple[int, Tree]:
    """The cheapest parenthesization of a chain with sizes ``dims`` (``numpy.linalg.multi_dot``'s program)."""
    n = len(dims) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = -1
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] < 0 or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k

    def tree(i: int, j: int) -> Tree:
        return i if i == j else (tree(i, split[i][j]), tree(split[i][j] + 1, j))

    return cost[0][n - 1], tree(0, n - 1)


def _build(tree: Tree, leaves: list[Variable]) -> Variable:
    if isinstance(tree, int):
        return leaves[tree]
    return Dot()(_build(tree[0], leaves), _build(tree[1], leaves))


@functools.lru_cache(maxsize=1024)
def _order_for(dims: tuple[int, ...]) -> Tree:
    return optimal_order(list(dims))[1]


def _run(tree: Tree, values: Sequence[np.ndarray]) -> np.ndarray:
    if isinstance(tree, int):
        return values[tree]
    return np.dot(_run(tree[0], values), _run(tree[1], values))


@dataclass(frozen=True)
class MatrixChain(Op):
    """``dot(... dot(dot(a, b), c) ...)`` of 2-d operands (a vector at either end allowed), multiplied in the
    cheapest order for the sizes each call brings (the dynamic program, remembered per sizes): for chains whose
    order the static shapes cannot settle. The BLAS does the products; it is not differentiated (it exists only
    in rewritten graphs, after gradients are taken)."""

    def make_node(self, *operands: Any) -> Apply:
        operands = tuple(as_tensor(v) for v in operands)
        last = len(operands) - 1
        if last < 2:
            raise ValueError(f"{self} multiplies three or more operands, got {len(operands)}")
        dtype = operands[0].dtype
        for i, v in enumerate(operands):
            if v.dtype != dtype or v.ndim not in ((1, 2) if i in (0, last) else (2,)):
                raise TypeError(f"{self}: operand {i} ({v}, {v.type}) must be a {dtype} matrix"
                                + (" or vector" if i in (0, last) else ""))
        shape = tuple(s for v, s in ((operands[0], operands[0].type.shape[0]), (operands[-1],
                                                                                operands[-1].type.shape[-1]))
                      if v.ndim == 2)
        return Apply(self, list(operands), [TensorType(dtype, shape)])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        values = [np.asarray(v) for v in inputs]
        for left, right in zip(values, values[1:], strict=False):
            if left.shape[-1] != right.shape[0]:
                raise ValueError(f"shapes {left.shape} and {right.shape} not aligned: {left.shape[-1]} (dim "
                                 f"{left.ndim - 1}) != {right.shape[0]} (dim 0)")
        first, last = values[0], values[-1]
        dims = ((first.shape[0] if first.ndim == 2 else 1), *(v.shape[-1] for v in values[:-1]),
                (last.shape[1] if last.ndim == 2 else 1))
        result = _run(_order_for(dims), values)
        return [np.asarray(result, dtype=node.outputs[0].type.dtype)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        first, last = input_shapes[0], input_shapes[-1]
        return [(*first[:-1], *last[1:])]


@SPECIALIZE.rule(Node((Dot, MatMul), ..., name="out", where=_is_product), tags=("blas", "matrix_chain"))
def reassociate_matrix_chain(fgraph: FunctionGraph, out: Variable) -> Variable | None:
    """Compute a chain of three or more matrix products in the cheapest order: now when the static sizes
    settle it, else at run time (:class:`MatrixChain`); the ordering is an algorithm (dynamic programming
    over the chain), the pattern only says where a chain ends."""
    user = only_client(fgraph, out)
    if _is_product(user) and user.outputs[0].type.dtype == out.type.dtype:  # type: ignore[union-attr]
        return None
    leaves: list[Variable] = []
    tree = _flatten(fgraph, out, leaves, True, out.type.dtype)
    if len(leaves) < 3 or any(v.type.dtype != out.type.dtype for v in leaves):
        return None
    dims = _dims(leaves)
    if dims is None:
        return _chain_at_run_time(leaves, out)
    best, order = optimal_order(dims)
    if best >= _cost(tree, dims)[0]:
        return None
    return _build(order, leaves)


def _chain_at_run_time(leaves: list[Variable], out: Variable) -> Variable | None:
    """The chain as a :class:`MatrixChain` when its operands allow one (2-d inside, a vector only at an end)."""
    last = len(leaves) - 1
    if any(v.type.ndim not in ((1, 2) if i in (0, last) else (2,)) for i, v in enumerate(leaves)):
        return None
    chain = MatrixChain()(*leaves)
    return chain if chain.type.ndim == out.type.ndim else None
