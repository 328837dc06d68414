"""The shapes of a ``Scan`` node's outputs without running the loop, where the step graph allows.

A state's stack is ``(n_steps, *its buffer's shape[1:])`` (the loop checks that every step keeps the state's
shape). An output's is ``(n_steps, *a step's shape)``, where the step graph's shape inference gives that shape
from its inputs' shapes alone: each ``Shape`` of a step input becomes the matching outer shape (a sequence's
without its first axis). A carried value's last shape is known only when its type says it.
"""

from __future__ import annotations

from typing import Any

from ..graph import Apply, Variable, clone_replace, graph_inputs, toposort
from ..tensors.basic import Shape, shape
from ..tensors.shape_inference import Dim, infer_shapes
from .inner import InnerGraph
from .scan_info import ScanInfo


def stack_shapes(info: ScanInfo, step: InnerGraph, node: Apply) -> list[tuple[Dim, ...]] | None:
    """The shapes of ``node``'s outputs as ints and int64 scalars, or None where one cannot be inferred."""
    n_steps, outer = info.split_outer_inputs(node.inputs)
    carried = [v.type.shape for v in node.outputs[info.n_states + info.n_outputs:]]
    if any(None in static for static in carried):
        return None
    outs, _ = info.split_inner_outputs(step.outputs)
    per_step = _step_shapes(info, step, node, outs.outputs)
    if per_step is None:
        return None
    states = [(n_steps, *_entries(buffer)[1:]) for buffer in outer.states]
    return [*states, *[(n_steps, *s) for s in per_step], *[tuple(s) for s in carried]]


def _entries(var: Variable) -> list[Dim]:
    vector = shape(var)
    return [s if s is not None else vector[i] for i, s in enumerate(var.type.shape)]


def _step_shapes(info: ScanInfo, step: InnerGraph, node: Apply, outputs: list[Variable]
                 ) -> list[tuple[Dim, ...]] | None:
    if not outputs:
        return []
    shapes = infer_shapes(list(outputs))
    per_output = [shapes[o] for o in outputs]
    symbolic = [d for s in per_output for d in s if isinstance(d, Variable)]
    outer = _outer_shape_of_inputs(info, step, node)
    replace: dict[Variable, Variable] = {}
    for reader in toposort(symbolic):
        if isinstance(reader.op, Shape) and reader.inputs[0] in outer:
            replace[reader.outputs[0]] = outer[reader.inputs[0]]
    if set(graph_inputs(symbolic, stop_at=list(replace))) & set(step.inputs):
        return None  # a size that depends on a step input's values (or on a carried value's shape)
    rebuilt = iter(clone_replace(symbolic, replace)[0])
    return [tuple(next(rebuilt) if isinstance(d, Variable) else d for d in s) for s in per_output]


def _outer_shape_of_inputs(info: ScanInfo, step: InnerGraph, node: Apply) -> dict[Variable, Any]:
    """For each step input whose shape is the same at every step, that shape in terms of the node's inputs."""
    _, outer = info.split_outer_inputs(node.inputs)
    taps = info.split_inner_inputs(step.inputs)
    found: dict[Variable, Any] = {}
    for tap_inputs, stacked in zip([*taps.sequences, *taps.states], [*outer.sequences, *outer.states], strict=True):
        for inner in tap_inputs:
            found[inner] = shape(stacked)[1:]
    for inner, value in zip(taps.non_sequences, outer.non_sequences, strict=True):
        found[inner] = shape(value)
    return found
