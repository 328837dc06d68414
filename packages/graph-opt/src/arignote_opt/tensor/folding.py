"""Constant folding: a node whose inputs are all constants is computed once, at rewrite time.

Ops that say ``foldable = False`` are left alone, and so are results larger than ``MAX_FOLDED_ELEMENTS`` (an
``alloc`` of a huge array is cheaper to keep as a recipe than to embed). A node whose computation raises (a
failing check, an index out of bounds) is kept: the error belongs to run time, with the user's line.
"""

from __future__ import annotations

import math
from typing import cast

import numpy as np

from arignote_core import Apply, Constant, FunctionGraph, TensorType

from ..engine import Replacement
from .rulesets import FOLD

MAX_FOLDED_ELEMENTS = 1 << 16


def _too_large(node: Apply) -> bool:
    for out in node.outputs:
        shape = getattr(out.type, "shape", None)
        if shape is not None and None not in shape and math.prod(shape) > MAX_FOLDED_ELEMENTS:
            return True
    return False


@FOLD.node_rule(tags=("constant_folding",))
def constant_fold(fgraph: FunctionGraph, node: Apply) -> Replacement:
    """Replace a node whose inputs are all constants by the constants it computes."""
    if not node.inputs or not all(isinstance(v, Constant) for v in node.inputs):
        return None
    if not getattr(node.op, "foldable", True) or _too_large(node):
        return None
    if not all(isinstance(o.type, TensorType) for o in node.outputs):
        return None
    try:
        with np.errstate(all="ignore"):
            values = node.op.perform(node, [cast(Constant, v).data for v in node.inputs])  # all constants (above)
    except Exception:
        return None
    results = []
    for out, value in zip(node.outputs, values, strict=True):
        array = np.asarray(value)
        if array.size > MAX_FOLDED_ELEMENTS:
            return None
        const_type = TensorType(out.type.dtype, array.shape)
        results.append(const_type.constant_class(const_type, array))
    return results
