"""``softmax`` and ``log_softmax`` over any axis (or axes): graph-core's stable ops (computed with the max
shift, differentiated by autograd-sym's rules, and the targets of graph-opt's stabilizing rewrites)."""

from __future__ import annotations

from arignote_core.tensors.special import log_softmax, softmax

__all__ = ["log_softmax", "softmax"]
