"""Which nodes get CUDA kernels, and the plan: the rule registered for the node's op class (``registry.py``;
graph-core's rules are in ``ops/``). Every other op, and float16 or complex work, runs its NumPy ``perform`` on
the host (``lower`` raises Unsupported, saying why)."""

from __future__ import annotations

from arignote_c.emit.context import EmitContext, Unsupported
from arignote_core.graph import Apply

from . import ops  # noqa: F401 -- importing it installs the rules of graph-core's ops
from .dialect import CUDA_DIALECT, DEVICE_TYPES
from .plan import KernelPlan
from .registry import rule_for

#: what only C spells (float16's and complex's types and functions): a kernel using one runs on the host
_HOST_ONLY = ("_Float16", "_Complex", "CMPLX", "__builtin_")


def _check_dtypes(node: Apply) -> None:
    """Tensors of a dtype the device has no kernels for run on the host (values without a dtype, such as a
    random generator's state, are the rule's to take or refuse)."""
    for var in [*node.inputs, *node.outputs]:
        dtype = getattr(var.type, "dtype", None)
        if dtype is not None and dtype not in DEVICE_TYPES:
            raise Unsupported(f"{dtype} has no CUDA kernels yet")


def lower(node: Apply) -> KernelPlan:
    """The plan for ``node``, or Unsupported."""
    _check_dtypes(node)
    rule = rule_for(node.op)
    ctx = EmitContext(CUDA_DIALECT)
    try:
        plan = rule(ctx, node)
    except KeyError as exc:  # a dtype the dialect has no type for, met inside a composite
        raise Unsupported(f"{exc.args[0]} has no CUDA kernels yet") from exc
    texts = [text for kernel in plan.kernels for text in (kernel.text, *kernel.helpers.values())]
    if any(word in text for text in texts for word in _HOST_ONLY):
        raise Unsupported("float16 and complex arithmetic have no CUDA kernels yet")
    return plan
