"""Control-flow nodes (graph-core's ``InnerGraphOp``s: Scan, IfElse, OpFromGraph), whose inner graphs the backend
compiles once into programs of their own (``CBackend.compile_inner``).

A scan becomes a SCAN step: the executor runs its loop in C (``runtime/scan.c``), the step program once per step,
with no Python per step. Its fallback, for what that loop leaves to Python (no step to run, inputs that do not fit,
and the error of a failing step), is the node's Python step: graph-core's reference loop over the same program.
Other control-flow nodes, and scans with a value that is not a tensor (a random generator carried from step to
step) or whose step is not a compiled program (no compiler: the reference evaluator), are Python steps running
``evaluate`` over their compiled inner graphs.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from arignote_core.control import InnerGraph, InnerGraphOp, Scan, ScanInfo
from arignote_core.fgraph import FunctionGraph
from arignote_core.graph import Apply
from arignote_core.tensors import TensorType

from ..runtime.source import StepKind
from .base import StepPlan, python_step

#: Compiles an inner graph of a control-flow op (a scan's step, a branch) to a function of a list of values.
InnerCompiler = Callable[[FunctionGraph], Callable[[list[Any]], list[Any]]]


def control_flow_plan(node: Apply[InnerGraphOp], compile_inner: InnerCompiler, program_type: type) -> StepPlan:
    """The step of a control-flow node, its inner graphs compiled (once, here): a SCAN step for a scan whose step
    compiled into a ``program_type`` (the runtime's Program) and whose values are all tensors, else a Python
    step."""
    op = node.op
    compiled = {id(graph): compile_inner(_carried_in_place(op, graph)) for _, graph in op.inner_graphs}
    fallback = inner_graph_step(node, compiled)
    if isinstance(op, Scan) and isinstance(compiled[id(op.step)], program_type) and _all_tensors(node, op):
        return StepPlan(StepKind.SCAN, node, list(node.inputs), params=_scan_params(op.info),
                        obj=(compiled[id(op.step)], fallback), label="loop")
    return StepPlan(StepKind.PYTHON, node, list(node.inputs), obj=fallback, label="python")


def _carried_positions(info: ScanInfo) -> dict[int, int]:
    """{step output: step input} of a scan's carried values (the value a step gives, the value the next reads)."""
    first_in = sum(map(len, info.seq_taps)) + sum(map(len, info.state_taps))
    first_out = info.n_states + info.n_outputs
    return {first_out + m: first_in + m for m in range(info.n_carried)}


def _carried_in_place(op: InnerGraphOp, graph: InnerGraph) -> FunctionGraph:
    """The graph to compile for ``graph``: a scan's step marks its carried values as updates of their inputs, as a
    shared variable's update is: the step may compute a carried value into the buffer of the one it read (an
    accumulator ``acc + x`` adds in place instead of copying ``acc`` at every step), which the loop makes its own
    (scan.c copies the initial values; the Python loop passes copies, ``inner_graph_step``)."""
    if not (isinstance(op, Scan) and graph is op.step and op.info.n_carried):
        return graph.fgraph
    fgraph = graph.fgraph.clone()
    fgraph.updates = _carried_positions(op.info)
    return fgraph


def _scan_params(info: ScanInfo) -> dict[str, int | Sequence[int]]:
    """A SCAN step's parameters (``runtime.source.STEP_PARAMS``): the loop's layout and the taps."""
    taps = [x for group in (*info.seq_taps, *info.state_taps) for x in (len(group), *group)]
    return dict(n_sequences=info.n_sequences, n_states=info.n_states, n_outputs=info.n_outputs,
                n_carried=info.n_carried, n_non_sequences=info.n_non_sequences, as_while=int(info.as_while),
                go_backwards=int(info.go_backwards), taps=taps)


def _all_tensors(node: Apply, op: Scan) -> bool:
    values = [*node.inputs, *node.outputs, *op.step.inputs, *op.step.outputs]
    return all(isinstance(v.type, TensorType) for v in values)


def inner_graph_step(node: Apply[InnerGraphOp], compiled: Mapping[int, Callable[[list[Any]], list[Any]]]) \
        -> Callable[[list[Any]], list[Any]]:
    """A control-flow node run by its own loop or branch in Python, each inner graph by its compiled program
    (``compiled``, by the graph's id)."""

    op = node.op
    # a scan's step may compute its carried values into the buffers of those it reads (_carried_in_place): it gets
    # copies, never the node's inputs
    step, carried = (op.step, set(_carried_positions(op.info).values())) if isinstance(op, Scan) else (None, set())

    def run_graph(graph: InnerGraph, values: Sequence[Any]) -> list[Any]:
        if carried and graph is step:
            values = [np.array(v, copy=True) if j in carried and isinstance(v, np.ndarray) else v
                      for j, v in enumerate(values)]
        return list(compiled[id(graph)](list(values)))

    return python_step(node, functools.partial(node.op.evaluate, run=run_graph))
