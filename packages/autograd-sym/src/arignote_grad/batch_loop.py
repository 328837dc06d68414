"""BatchLoop: an op applied to each entry of a batch, for the ops without a batching rule of their own.

``jacobian`` vectorizes the gradient graph over the rows of an identity (:mod:`.batching`). An op with no rule
(a solve, an einsum, a join...), or in a case its rule does not handle (a batched shape argument), is applied
row by row at run time: the batched inputs are taken one leading index at a time, the others whole, and the
outputs stacked along a new leading axis, as JAX's vmap falls back to a loop. Slower than a vectorized rule,
but it works for any op, whatever the shapes known at build time.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from arignote_core import Apply, Op, Variable
from arignote_core.tensors.type import TensorType

from .errors import undefined_grad
from .registry import register_pullback


def _row_type(var: Variable) -> Any:
    """The type of one entry of a batched ``var``: its type without the leading axis."""
    return TensorType(var.type.dtype, var.type.shape[1:])


@dataclass(frozen=True)
class BatchLoop(Op):
    """``op`` applied to each entry of a batch: inputs where ``batched`` is true are taken one leading index at
    a time, the others whole; each output gets a leading batch axis."""

    op: Op
    batched: tuple[bool, ...]

    def _inner(self, inputs: Sequence[Variable]) -> Apply:
        rows = [_row_type(v)() if b else v for v, b in zip(inputs, self.batched, strict=True)]
        return self.op.make_node(*rows)

    def make_node(self, *inputs: Any) -> Apply:
        if len(inputs) != len(self.batched) or not any(self.batched):
            raise TypeError(f"{self}: takes {len(self.batched)} inputs, at least one batched")
        inner = self._inner(inputs)
        size = next(v.type.shape[0] for v, b in zip(inputs, self.batched, strict=True) if b)
        outputs = [TensorType(o.type.dtype, (size, *o.type.shape)) for o in inner.outputs]
        return Apply(self, list(inputs), outputs)

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        inner = self._inner(node.inputs)
        size = next(np.shape(x)[0] for x, b in zip(inputs, self.batched, strict=True) if b)
        rows = [self.op.perform(inner, [x[k] if b else x for x, b in zip(inputs, self.batched, strict=True)])
                for k in range(size)]
        if not size:
            rows = [self._empty_row_shapes(inner, inputs)]
        dtypes = [out.type.dtype for out in inner.outputs]
        stacked = [np.stack([np.asarray(r[j], dtype=d) for r in rows]) for j, d in enumerate(dtypes)]
        return [s[:size] for s in stacked]

    def _empty_row_shapes(self, inner: Apply, inputs: Sequence[Any]) -> list[Any]:
        """One row of outputs, for their shapes when the batch is empty: the op on rows of zeros (or zeros of
        the static shapes where it refuses them)."""
        zeros = [np.zeros(np.shape(x)[1:], dtype=np.asarray(x).dtype) if b else x
                 for x, b in zip(inputs, self.batched, strict=True)]
        try:
            with np.errstate(all="ignore"):
                return list(self.op.perform(inner, zeros))
        except Exception:  # noqa: BLE001 (any refusal of zeros: only the shapes are wanted)
            return [np.zeros([s or 0 for s in out.type.shape]) for out in inner.outputs]

    def __str__(self) -> str:
        return f"BatchLoop{{{self.op}}}"


@register_pullback(BatchLoop)
def _batch_loop_pullback(op: BatchLoop, node: Apply, output_grads: Any) -> list[Any]:
    """Not differentiated: a BatchLoop appears in a Jacobian's result, built from gradients already."""
    return [undefined_grad(op, k, "the row-by-row loop behind a Jacobian is not differentiated; differentiate "
                                  "the expression, then take its Jacobian") for k in range(len(node.inputs))]
