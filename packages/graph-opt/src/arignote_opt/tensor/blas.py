"""Matrix products as BLAS calls: ``alpha * dot(a, b) + beta * c`` becomes one GEMM (GEMV for a vector),
transposed operands become flags instead of copies, and a transposed product is a product of transposes."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from arignote_core import Apply, Constant, DimShuffle, Dot, Elemwise, FunctionGraph, MatMul, Variable, constant
from arignote_core.tensors.blas_ops import BLAS_DTYPES, Gemm, Gemv

from ..engine import Node, Var
from .rulesets import BLAS
from .util import only_client, scalar_constant, scalar_name
from .vocabulary import elemwise

Scale = Any  # a Python number or a 0-d variable


@dataclass(frozen=True)
class Product:
    """``alpha * op(a) @ op(b)``: a matrix product (``gemm``) or a matrix-vector product (``gemv``)."""

    kind: str
    alpha: Scale
    a: Variable
    b: Variable
    trans_a: bool
    trans_b: bool = False


def untransposed(var: Variable) -> tuple[Variable, bool]:
    """``(m, True)`` when ``var`` is ``m.T`` (a 2-d transpose), else ``(var, False)``."""
    node = var.owner
    if node is not None and isinstance(node.op, DimShuffle) and node.op.new_order == (1, 0):
        return node.inputs[0], True
    return var, False


def transpose(var: Variable) -> Variable:
    """``var.T``, without stacking two transposes."""
    inner, transposed = untransposed(var)
    return inner if transposed else DimShuffle(2, (1, 0))(var)


def scalar_factor(var: Variable, dtype: str) -> Scale | None:
    """The scale a one-element factor stands for: a number, or the 0-d variable it broadcasts."""
    value = scalar_constant(var)
    if value is not None and isinstance(var, Constant):
        return value
    node = var.owner
    if node is not None and isinstance(node.op, DimShuffle) and all(d == "x" for d in node.op.new_order):
        source = node.inputs[0]  # 0-d, or of axes all of static size 1 (which the DimShuffle drops)
        if source.type.dtype == dtype:
            return source if source.type.ndim == 0 else DimShuffle(source.type.ndim, ())(source)
    if var.type.ndim == 0 and var.type.dtype == dtype:
        return var
    return None


def times(a: Scale, b: Scale) -> Scale:
    """The product of two scales (numbers stay numbers; a factor 1 adds no node)."""
    if not isinstance(a, Variable) and not isinstance(b, Variable):
        return a * b
    if not isinstance(a, Variable) and a == 1:
        return b
    if not isinstance(b, Variable) and b == 1:
        return a
    return a * b if isinstance(a, Variable) else b * a


def as_scale(value: Scale, dtype: str) -> Variable:
    """A scale as a 0-d variable of ``dtype`` (numbers become constants, made once per value)."""
    return value if isinstance(value, Variable) else _scalar_constant(value, dtype)


@functools.lru_cache(maxsize=256)
def _scalar_constant(value: Any, dtype: str) -> Variable:
    return constant(np.asarray(value, dtype=dtype))


def _is_zero(var: Variable) -> bool:
    return isinstance(var, Constant) and scalar_constant(var) == 0


def as_product(fgraph: FunctionGraph, var: Variable, dtype: str) -> Product | None:
    """``var`` as a scaled product when it is one (a dot, a GEMM/GEMV without its added term, times a scale)."""
    node = var.owner
    if node is None or var.type.dtype != dtype:
        return None
    if isinstance(node.op, Dot | MatMul):
        p, q = node.inputs
        if any(v.type.dtype != dtype for v in (p, q)):
            return None
        ndims = (p.type.ndim, q.type.ndim)
        if ndims == (2, 2):
            (a, ta), (b, tb) = untransposed(p), untransposed(q)
            return Product("gemm", 1, a, b, ta, tb)
        if ndims == (2, 1):
            a, ta = untransposed(p)
            return Product("gemv", 1, a, q, ta)
        if ndims == (1, 2):
            a, ta = untransposed(q)
            return Product("gemv", 1, a, p, not ta)
        return None
    if isinstance(node.op, Gemm | Gemv) and _is_zero(node.inputs[4]):
        _, alpha, a, b, _ = node.inputs
        scale = scalar_constant(alpha) if isinstance(alpha, Constant) else alpha
        kind = "gemm" if isinstance(node.op, Gemm) else "gemv"
        return Product(kind, scale, a, b, node.op.trans_a, getattr(node.op, "trans_b", False))
    name = scalar_name(node)
    if name == "negative" and only_client(fgraph, node.inputs[0]) is node:
        inner = as_product(fgraph, node.inputs[0], dtype)
        return None if inner is None else _negated(inner)
    if name == "multiply":
        for factor, other in (node.inputs, node.inputs[::-1]):
            scale = scalar_factor(factor, dtype)
            if scale is None or only_client(fgraph, other) is not node:
                continue
            inner = as_product(fgraph, other, dtype)
            if inner is not None:
                return Product(inner.kind, times(inner.alpha, scale), inner.a, inner.b, inner.trans_a,
                               inner.trans_b)
    return None


def build(product: Product, c: Variable | None, beta: Scale, dtype: str) -> Variable:
    alpha = as_scale(product.alpha, dtype)
    if c is None:
        c, beta = _scalar_constant(0, dtype), 0
    if product.kind == "gemm":
        return Gemm(product.trans_a, product.trans_b)(c, alpha, product.a, product.b, as_scale(beta, dtype))
    return Gemv(product.trans_a)(c, alpha, product.a, product.b, as_scale(beta, dtype))


def split_scale(fgraph: FunctionGraph, var: Variable, dtype: str) -> tuple[Scale, Variable]:
    """``(beta, c)`` for an added term ``beta * c`` (or ``-c``), else ``(1, var)``."""
    node = var.owner
    if node is not None and only_client(fgraph, var) is not None:
        name = scalar_name(node)
        if name == "negative":
            return -1, node.inputs[0]
        if name == "multiply":
            for factor, other in (node.inputs, node.inputs[::-1]):
                scale = scalar_factor(factor, dtype)
                if scale is not None and other.type.dtype == dtype:
                    return scale, other
    return 1, var


def _in_dtype(c: Variable, dtype: str) -> Variable | None:
    """``c`` itself when it has ``dtype``; a constant that converts exactly, converted; else None."""
    if c.type.dtype == dtype:
        return c
    if isinstance(c, Constant) and (c.weak or np.can_cast(c.type.dtype, dtype, "safe")):
        return constant(np.asarray(c.data, dtype=dtype))
    return None


def _negated(product: Product) -> Product:
    return Product(product.kind, times(product.alpha, -1), product.a, product.b, product.trans_a, product.trans_b)


def _blas_result(node: Apply) -> bool:
    out = node.outputs[0]
    return out.type.dtype in BLAS_DTYPES and out.type.ndim in (1, 2)


@BLAS.rule(Node((elemwise("add"), elemwise("subtract")), Var("left"), Var("right"), name="out", op_as="op",
                where=_blas_result, commutative=False), tags=("blas",))
def gemm_from_sum(fgraph: FunctionGraph, node: Apply, left: Variable, right: Variable, out: Variable,
                  op: Elemwise) -> Variable | None:
    """``alpha * dot(a, b) + beta * c`` (or a difference) is ``gemm(c, alpha, a, b, beta)`` (``gemv`` for a
    matrix-vector product); ``c`` may broadcast (a bias)."""
    dtype = out.type.dtype
    subtract = op.scalar_op.name == "subtract"
    for position, (term, other) in enumerate(((left, right), (right, left))):
        if only_client(fgraph, term) is not node:
            continue
        product = as_product(fgraph, term, dtype)
        if product is None or (product.kind == "gemm") != (out.type.ndim == 2):
            continue
        beta, scaled = split_scale(fgraph, other, dtype)
        c = _in_dtype(scaled, dtype)
        if c is None:
            continue
        if subtract and position == 0:
            beta = times(beta, -1)
        elif subtract:
            product = _negated(product)
        return build(product, c, beta, dtype)
    return None


def _absorbs(fgraph: FunctionGraph, user: Apply, dtype: str) -> bool:
    """Whether ``user`` of a product will take it into a GEMM/GEMV of its own: a sum (the added term), or a
    scaling or negation that is itself a scaled product."""
    name = scalar_name(user)
    if name in ("add", "subtract"):
        return True
    return name in ("multiply", "negative") and as_product(fgraph, user.outputs[0], dtype) is not None


@BLAS.rule(Node((Dot, MatMul, elemwise("multiply"), elemwise("negative")), ..., name="out",
                where=lambda node: node.outputs[0].type.dtype in BLAS_DTYPES), tags=("blas",))
def gemm_from_product(fgraph: FunctionGraph, node: Apply, out: Variable) -> Variable | None:
    """A product with a transposed operand or a scale is a GEMM/GEMV with flags and alpha (no transposed copy,
    no extra pass for the scale); a product inside a sum is left to :func:`gemm_from_sum`."""
    dtype = out.type.dtype
    user = only_client(fgraph, out)
    if user is not None and _absorbs(fgraph, user, dtype):
        return None
    product = as_product(fgraph, out, dtype)
    if product is None:
        return None
    plain = isinstance(node.op, Dot | MatMul)
    if plain and not (product.trans_a or product.trans_b):
        return None
    if plain and product.kind == "gemv" and product.trans_a == (node.inputs[0].type.ndim == 1):
        return None
    return build(product, None, 0, dtype)


_MATRIX = {"where": lambda v: v.type.ndim == 2}


@BLAS.rule(Node(DimShuffle, Node((Dot, MatMul), Var("a", **_MATRIX), Var("b", **_MATRIX), name="product",
                                 op_as="op", commutative=False),
                where=lambda node: node.op.new_order == (1, 0)), tags=("blas",))
def transpose_of_product(fgraph: FunctionGraph, node: Apply, a: Variable, b: Variable, product: Variable,
                         op: Dot | MatMul) -> Variable | None:
    """``dot(a, b).T`` is ``dot(b.T, a.T)``, whose transposes the GEMM absorbs."""
    if only_client(fgraph, product) is not node:
        return None
    return op(transpose(b), transpose(a))
