"""Lowering rules by op class: ``register_lowering(OpClass)`` installs a function making a node's
``KernelPlan`` (or raising Unsupported, so the node runs on the host). Rules live beside the kernels they
make (``ops/``); other packages add theirs from a function declared under the entry-point group
``arignote_cuda.extensions`` (nn-extras' conv and pooling), run once before the first lowering."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable

from arignote_c.emit.context import EmitContext, Unsupported
from arignote_core.graph import Apply, Op
from arignote_core.plugins import entry_points_in

from .plan import KernelPlan

#: makes ``node``'s plan in a fresh CUDA emitting context
Lowering = Callable[[EmitContext, Apply], KernelPlan]

_RULES: dict[type, Lowering] = {}


def register_lowering(*op_types: type[Op]) -> Callable[[Lowering], Lowering]:
    """Install the decorated function as the lowering of nodes whose op is one of ``op_types`` (or a subclass
    without a rule of its own)."""
    def install(rule: Lowering) -> Lowering:
        for op_type in op_types:
            _RULES[op_type] = rule
        return rule
    return install


@functools.cache
def load_extensions() -> None:
    """Run every ``arignote_cuda.extensions`` entry point once per process; one that fails is reported in a
    warning and its ops run on the host."""
    for ep in entry_points_in("arignote_cuda.extensions"):
        try:
            ep.load()()
        except Exception as exc:  # noqa: BLE001 -- a broken extension must not break the backend
            warnings.warn(f"the CUDA backend extension {ep.name!r} ({ep.value}) failed to load: {exc!r}",
                          stacklevel=2)


def rule_for(op: Op) -> Lowering:
    """The lowering of ``op``'s class (the nearest base class with one), or Unsupported."""
    load_extensions()
    for cls in type(op).__mro__:
        rule = _RULES.get(cls)
        if rule is not None:
            return rule
    raise Unsupported(f"no CUDA kernel for {type(op).__name__}")
