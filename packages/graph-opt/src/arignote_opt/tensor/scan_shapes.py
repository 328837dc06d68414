"""Shapes a loop's step measures that are the same at every step, measured once before the loop.

An entry of a sequence has the shape of the sequence less its first axis, and a non-sequence the same shape at
every step; a shape computed from theirs alone (``shape(x_t @ W + h @ U)`` once the products are sequences, what
a gradient's step asks to sum its broadcast terms back to their inputs' shapes) is loop invariant, though the
step cannot see it: its graph measures each step's values. Measured by ``infer_shape`` in terms of the step's
inputs and computed before the loop from the sequences' and non-sequences' shapes, it becomes a non-sequence,
and the step keeps only the work on values.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from arignote_core import Apply, Constant, Elemwise, MakeVector, Shape, Subtensor, Variable, as_tensor
from arignote_core.control import Scan
from arignote_core.graph import clone_replace, graph_inputs, toposort
from arignote_core.tensors.shape_inference import infer_shapes, shape_vector

from ..engine import Node
from .control import constant_entry_of_vector, rebuild_scan, safe_integer_elemwise
from .rulesets import CANONICALIZE


def _safe_size_node(node: Apply) -> bool:
    op = node.op
    if isinstance(op, Shape | MakeVector):
        return True
    if isinstance(op, Subtensor):
        return constant_entry_of_vector(node)
    if isinstance(op, Elemwise):
        return safe_integer_elemwise(op)
    return False


@CANONICALIZE.rule(Node(Scan, ..., op_as="op"), tags=("control", "shape"))
def scan_hoists_step_shapes(node: Apply, op: Scan) -> dict[Variable, Variable] | None:
    """``shape(v)`` in a loop's step, where ``v`` is a sequence's entry, or a value the step computes anyway (so
    its errors are still raised) whose shape follows from the shapes of sequence entries and the values of
    non-sequences, becomes a non-sequence computed before the loop (see the module's docstring)."""
    info = op.info
    inner = info.split_inner_inputs(op.step.inputs)
    n_steps, outer = info.split_outer_inputs(node.inputs)
    entry_shapes = {tap: as_tensor(seq).shape[1:] for taps, seq in zip(inner.sequences, outer.sequences,
                                                                         strict=True) for tap in taps}
    invariant = dict(zip(inner.non_sequences, outer.non_sequences, strict=True))
    clients = op.step.fgraph.clients
    # a sequence's entry is measured as it is; another value only when the step computes it for more than its
    # shape (computing it raises what its shape's arithmetic assumes: that its operands broadcast)
    measured = [n for n in op.step.fgraph.toposort() if isinstance(n.op, Shape) and n.inputs[0] not in invariant
                and (n.inputs[0] in entry_shapes or len(clients.get(n.inputs[0], [])) > 1)]
    hoisted: list[Variable] = []
    computed: list[Variable] = []
    for shape_node in measured:
        outer_shape = _outer_shape(shape_node.inputs[0], entry_shapes, invariant)
        if outer_shape is not None and outer_shape.type == shape_node.outputs[0].type:
            hoisted.append(shape_node.outputs[0])
            computed.append(outer_shape)
    if not hoisted:
        return None
    new_info = replace(info, n_non_sequences=info.n_non_sequences + len(hoisted))
    outputs_new = rebuild_scan(op, new_info, [*op.step.inputs, *hoisted], list(op.step.outputs),
                                [n_steps, *node.inputs[1:], *computed])
    return dict(zip(node.outputs, outputs_new, strict=True))


def _outer_shape(v: Variable, entry_shapes: dict[Variable, Variable], invariant: dict[Variable, Variable]
                 ) -> Variable | None:
    """``v``'s shape as a graph over the loop's outer inputs, when ``infer_shape`` gives it from the shapes of
    sequence entries and from non-sequences by safe size arithmetic; else None."""
    dims = infer_shapes([v])[v]
    vector = shape_vector(tuple(int(d) if isinstance(d, int | np.integer) else d for d in dims))
    replacements: dict[Variable, Variable] = {}
    for size_node in toposort([vector]):
        if not _safe_size_node(size_node):
            return None
        if isinstance(size_node.op, Shape):
            measured = size_node.inputs[0]
            if measured in entry_shapes:
                replacements[size_node.outputs[0]] = entry_shapes[measured]
            elif measured in invariant:
                replacements[size_node.outputs[0]] = Shape()(invariant[measured])
            else:
                return None  # a shape only a step's value gives
    leaves = graph_inputs([vector], stop_at=list(replacements))
    if any(not isinstance(leaf, Constant) and leaf not in replacements and leaf not in invariant for leaf in leaves):
        return None
    outer, _ = clone_replace([vector], {**replacements, **{k: as_tensor(w) for k, w in invariant.items()}})
    return as_tensor(outer[0]).astype("int64")
