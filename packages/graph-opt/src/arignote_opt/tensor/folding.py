"""Constant folding: a node whose inputs are all constants is computed once, at rewrite time.

Ops that say ``foldable = False`` are left alone, and so are results larger than ``MAX_FOLDED_ELEMENTS`` (an
``alloc`` of a huge array is cheaper to keep as a recipe than to embed). A node whose computation raises (a
failing check, an index out of bounds) is kept: the error belongs to run time, with the user's line.
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np

from arignote_core import Apply, Constant, Op, TensorType, Variable

from ..engine import Node
from .rulesets import FOLD

MAX_FOLDED_ELEMENTS = 1 << 16


def _too_large(node: Apply) -> bool:
    for out in node.outputs:
        shape = getattr(out.type, "shape", None)
        if shape is not None and None not in shape and math.prod(shape) > MAX_FOLDED_ELEMENTS:
            return True
    return False


def _foldable(node: Apply) -> bool:
    """Every input a constant, the op willing, every output a tensor small enough to embed."""
    return bool(node.inputs) and all(isinstance(v, Constant) for v in node.inputs) and \
        getattr(node.op, "foldable", True) and not _too_large(node) and \
        all(isinstance(o.type, TensorType) for o in node.outputs)


def _any_op(op: Op) -> bool:
    return True


@FOLD.rule(Node(_any_op, ..., where=_foldable), tags=("constant_folding",))
def constant_fold(node: Apply) -> dict[Variable, Variable] | None:
    """Replace a node whose inputs are all constants by the constants it computes."""
    try:
        with np.errstate(all="ignore"):
            values = node.op.perform(node, [cast(Constant, v).data for v in node.inputs])  # all constants (above)
    except Exception:
        return None
    results: dict[Variable, Variable] = {}
    for out, value in zip(node.outputs, values, strict=True):
        array = np.asarray(value)
        if array.size > MAX_FOLDED_ELEMENTS:
            return None
        const_type = TensorType(out.type.dtype, array.shape)
        results[out] = const_type.constant_class(const_type, array)
    return results
