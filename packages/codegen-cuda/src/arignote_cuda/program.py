"""The executable: a graph's nodes in order, each a kernel launch (``launch.py``) or its NumPy ``perform`` on
the host, over values held by variable."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from arignote_c.emit.context import Unsupported
from arignote_core.evaluator import raise_node_error
from arignote_core.fgraph import FunctionGraph
from arignote_core.graph import Apply, Constant, Variable

from .launch import Geometry, Launcher, TooManyDims, run_elemwise, run_reduce
from .lowering import KernelPlan, lower


def plan_graph(fgraph: FunctionGraph) -> tuple[list[tuple[Apply, KernelPlan | None]], dict[Apply, str]]:
    """Each node with its kernel plan, or None where it runs on the host (with the reason, by node)."""
    steps: list[tuple[Apply, KernelPlan | None]] = []
    reasons: dict[Apply, str] = {}
    for node in fgraph.toposort():
        try:
            steps.append((node, lower(node)))
        except Unsupported as exc:
            steps.append((node, None))
            reasons[node] = str(exc)
    return steps, reasons


def _value(values: dict[Variable, Any], var: Variable) -> Any:
    return var.data if isinstance(var, Constant) else values[var]


def _perform(node: Apply, values: list[Any]) -> list[Any]:
    results = node.op.perform(node, values)
    dtypes = [getattr(o.type, "dtype", None) for o in node.outputs]
    return [r if d is None or (type(r) is np.ndarray and r.dtype.name == d) else np.asarray(r, dtype=d)
            for r, d in zip(results, dtypes, strict=True)]


class CudaProgram:
    """Runs ``steps`` over the values of ``fgraph``'s variables, launching kernels through ``launcher``."""

    def __init__(self, fgraph: FunctionGraph, steps: list[tuple[Apply, KernelPlan | None]],
                 reasons: dict[Apply, str], launcher: Launcher, geometry: Geometry, where: str) -> None:
        self.inputs = list(fgraph.inputs)
        self.outputs = list(fgraph.outputs)
        self.steps = steps
        self.reasons = reasons
        self.launcher = launcher
        self.geometry = geometry
        self.where = where

    def __call__(self, inputs: Sequence[Any]) -> list[Any]:
        values: dict[Variable, Any] = dict(zip(self.inputs, inputs, strict=True))
        for node, plan in self.steps:
            args = [_value(values, v) for v in node.inputs]
            try:
                results = self._run(node, plan, args)
            except Exception as exc:
                raise_node_error(node, args, exc)
            values.update(zip(node.outputs, results, strict=True))
        return [_value(values, v) for v in self.outputs]

    def _run(self, node: Apply, plan: KernelPlan | None, args: list[Any]) -> list[Any]:
        if plan is not None:
            try:
                run = run_reduce if plan.reduces else run_elemwise
                results = run(plan, args, self.launcher, self.geometry)
            except TooManyDims:
                results = None
            if results is not None:
                return results
        return _perform(node, args)

    def report(self) -> str:
        kernels = [plan for _, plan in self.steps if plan is not None]
        lines = [f"CUDA backend ({self.where}): {len(kernels)} kernel(s), {len(self.reasons)} node(s) on the host"]
        lines += [f"  kernel {plan.kernel.name}: {plan.node.op}" for plan in kernels]
        lines += [f"  host   {node.op}: {reason}" for node, reason in self.reasons.items()]
        return "\n".join(lines)
