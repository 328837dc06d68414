"""Control flow made plain where it can be: an ``OpFromGraph`` marked ``inline`` replaced by its graph (so the
other rewrites see through it), an ``ifelse`` whose condition is a constant replaced by the branch taken, a
loop state of which only the last value is used carried instead of stacked, a carried window of one entry
carried as that entry, a loop output nobody uses not computed, what a loop's step computes from its
non-sequences alone computed once before the loop, two independent loops of the same number of steps run as
one, and an input a loop is given twice read once."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from arignote_core import (
    Apply,
    Constant,
    DimShuffle,
    Elemwise,
    FunctionGraph,
    MakeVector,
    Shape,
    Subtensor,
    TensorType,
    Variable,
    as_tensor,
)
from arignote_core.control import IfElse, InnerGraph, OpFromGraph, Scan, ScanInfo
from arignote_core.graph import ancestors, clone_replace
from arignote_core.scalars.basic import Cast
from arignote_core.tensors.checks import check

from ..engine import Const, Node
from .rulesets import CANONICALIZE
from .util import scalar_constant


@CANONICALIZE.rule(Node(OpFromGraph, ..., where=lambda node: node.op.inline, op_as="op"), tags=("control",))
def inline_op_from_graph(node: Apply, op: OpFromGraph) -> dict[Variable, Variable]:
    """``OpFromGraph(..., inline=True)`` applied to some inputs is its graph applied to them."""
    return dict(zip(node.outputs, op.expand(node), strict=True))


@CANONICALIZE.rule(Node(IfElse, Const(name="condition"), rest="inputs", op_as="op"), tags=("control",))
def ifelse_of_constant(node: Apply, condition: Variable, inputs: tuple[Variable, ...],
                       op: IfElse) -> dict[Variable, Variable]:
    """``ifelse(True, a, b)`` is ``a`` and ``ifelse(False, a, b)`` is ``b``: only the branch taken remains."""
    branch = op.then_graph if scalar_constant(condition) else op.else_graph
    return dict(zip(node.outputs, branch.expand(branch.outputs, inputs), strict=True))


def _last_entry_users(fgraph: FunctionGraph, stack: Variable) -> list[Apply] | None:
    """The nodes reading ``stack[-1]``, when that is all that reads the stack (it is no output either)."""
    users = fgraph.clients.get(stack, [])
    readers = [user for user, _ in users if isinstance(user, Apply) and isinstance(user.op, Subtensor)
               and user.op.entries == _LAST and len(user.inputs) == 1]
    return readers if readers and len(readers) == len(users) else None


_LAST = (("int", -1),)


@CANONICALIZE.rule(Node(Scan, ..., op_as="op"), tags=("control", "memory"))
def scan_keeps_last_state(fgraph: FunctionGraph, node: Apply, op: Scan) -> dict[Variable, Variable] | None:
    """A state read at the previous step only, of which only the last value is used (``hs[-1]``), is carried
    from step to step instead of stacked: O(1) memory instead of O(T), and no stack written at each step."""
    info = op.info
    stacks = info.split_outer_outputs(node.outputs).states
    moved = {j: readers for j, stack in enumerate(stacks)
             if info.state_taps[j] == (-1,) and (readers := _last_entry_users(fgraph, stack)) is not None}
    if not moved:
        return None
    kept = [j for j in range(info.n_states) if j not in moved]
    inner = info.split_inner_inputs(op.step.inputs)
    results, condition = info.split_inner_outputs(op.step.outputs)
    new_info = replace(info, state_taps=tuple(info.state_taps[j] for j in kept),
                       n_carried=info.n_carried + len(moved))
    n_steps, outer = info.split_outer_inputs(node.inputs)
    new = new_info.split_outer_outputs(rebuild_scan(
        op, new_info,
        [*(v for taps in inner.sequences for v in taps), *(v for j in kept for v in inner.states[j]),
         *inner.carried, *(inner.states[j][0] for j in moved), *inner.non_sequences],
        [*(results.states[j] for j in kept), *results.outputs, *results.carried,
         *(results.states[j] for j in moved), *([condition] if condition is not None else [])],
        [n_steps, *outer.sequences, *(outer.states[j] for j in kept), *outer.carried,
         *(as_tensor(outer.states[j])[0] for j in moved), *outer.non_sequences]))
    old = info.split_outer_outputs(node.outputs)
    replacements = dict(zip([*(old.states[j] for j in kept), *old.outputs, *old.carried],
                            [*new.states, *new.outputs, *new.carried[: info.n_carried]], strict=True))
    for last, readers in zip(new.carried[info.n_carried:], moved.values(), strict=True):
        guarded = check(last, "index -1 is out of bounds for axis 0 with size 0", as_tensor(n_steps) > 0,
                        error="IndexError")
        replacements.update((reader.outputs[0], guarded) for reader in readers)
    return replacements


_FIRST = (("int", 0),)
_NEW_AXIS = (("newaxis",),)


def _window_of_one(fgraph: FunctionGraph, step: InnerGraph, carried_in: Variable, carried_out: Variable,
                   init: Variable) -> tuple[Variable, Variable] | None:
    """(the step's one ``carried_in[0]``, ``y``) when a carried value is a window of one entry: its initial value
    of static length 1 along axis 0, the step reading only its entry 0 and giving ``y[None]`` (or
    ``y.dimshuffle("x", ...)``) as its next value."""
    ds = carried_out.owner
    if not (isinstance(ds, Apply) and len(ds.inputs) == 1 and (
            (isinstance(ds.op, DimShuffle) and ds.op.new_order == ("x", *range(ds.op.input_ndim)))
            or (isinstance(ds.op, Subtensor) and ds.op.entries == _NEW_AXIS))):
        return None
    init_type = as_tensor(init).type
    if not (isinstance(init_type, TensorType) and init_type.ndim >= 1 and init_type.shape[0] == 1):
        return None
    users = step.fgraph.clients.get(carried_in, [])
    if len(users) != 1 or carried_in in step.outputs:
        return None
    reader = users[0][0]
    if not (isinstance(reader, Apply) and isinstance(reader.op, Subtensor) and reader.op.entries == _FIRST
            and len(reader.inputs) == 1 and reader.outputs[0].type == ds.inputs[0].type):
        return None
    return reader.outputs[0], ds.inputs[0]


@CANONICALIZE.rule(Node(Scan, ..., op_as="op"), tags=("control",))
def scan_carries_window_entry(fgraph: FunctionGraph, node: Apply, op: Scan) -> dict[Variable, Variable] | None:
    """A carried value that is a window of one entry (a gradient's loop carries the gradient of a state read at
    the previous step as ``dh[None]``, read back as ``window[0]``) is carried as its entry: a step then makes no
    two views of it, and its buffer can pass to the next step (W8's backward loop)."""
    info = op.info
    inner = info.split_inner_inputs(op.step.inputs)
    results, condition = info.split_inner_outputs(op.step.outputs)
    n_steps, outer = info.split_outer_inputs(node.inputs)
    windows = {m: found for m in range(info.n_carried)
               if (found := _window_of_one(fgraph, op.step, inner.carried[m], results.carried[m],
                                           outer.carried[m])) is not None}
    if not windows:
        return None
    carried_inputs = [windows[m][0] if m in windows else v for m, v in enumerate(inner.carried)]
    carried_outputs = [windows[m][1] if m in windows else v for m, v in enumerate(results.carried)]
    new = info.split_outer_outputs(rebuild_scan(
        op, info,
        [*(v for taps in inner.sequences for v in taps), *(v for taps in inner.states for v in taps),
         *carried_inputs, *inner.non_sequences],
        [*results.states, *results.outputs, *carried_outputs, *([condition] if condition is not None else [])],
        [n_steps, *outer.sequences, *outer.states,
         *(as_tensor(v)[0] if m in windows else v for m, v in enumerate(outer.carried)), *outer.non_sequences]))
    old = info.split_outer_outputs(node.outputs)
    last = [as_tensor(v).dimshuffle("x", *range(v.type.ndim)) if m in windows else v
            for m, v in enumerate(new.carried)]
    return dict(zip([*old.states, *old.outputs, *old.carried], [*new.states, *new.outputs, *last], strict=True))


def rebuild_scan(op: Scan, info: ScanInfo, inner_inputs: list[Variable], inner_outputs: list[Variable],
                  outer_inputs: list[Variable]) -> list[Variable]:
    """A new Scan node of ``info`` over the step from ``inner_inputs`` to ``inner_outputs`` (variables of the old
    step: the graph between them is copied), applied to ``outer_inputs``; its outputs."""
    loop = Scan(info, InnerGraph(inner_inputs, inner_outputs), op.name)(*outer_inputs)
    return loop if isinstance(loop, list) else [loop]


@CANONICALIZE.rule(Node(Scan, ..., op_as="op"), tags=("control",))
def scan_drops_unused_outputs(fgraph: FunctionGraph, node: Apply, op: Scan) -> dict[Variable, Variable] | None:
    """An output of a scan's step (not a state: no step reads it) whose stack nothing uses is not computed: its
    part of the step goes, and so does its stack [T, ...]. A gradient's scan gives the gradient of every
    sequence, wanted or not (W8's ``dx`` is a product per step)."""
    info = op.info
    outputs = info.split_outer_outputs(node.outputs).outputs
    unused = {k for k, out in enumerate(outputs) if not fgraph.clients.get(out)}
    if not unused:
        return None
    results, condition = info.split_inner_outputs(op.step.outputs)
    kept = [k for k in range(info.n_outputs) if k not in unused]
    new_info = replace(info, n_outputs=len(kept))
    new = new_info.split_outer_outputs(rebuild_scan(
        op, new_info, list(op.step.inputs),
        [*results.states, *(results.outputs[k] for k in kept), *results.carried,
         *([condition] if condition is not None else [])],
        list(node.inputs)))
    old = info.split_outer_outputs(node.outputs)
    return dict(zip([*old.states, *(old.outputs[k] for k in kept), *old.carried],
                    [*new.states, *new.outputs, *new.carried], strict=True))


#: What a scan's step may compute once before the loop when it reads no step value: views, shapes and shape
#: arithmetic, and elementwise arithmetic giving floats or booleans (none of these can fail on values that the
#: step reads unchanged at every step; an integer power could, so integer arithmetic stays in the step unless
#: its scalar op is in SAFE_SIZE_OPS).
_HOISTABLE = (DimShuffle, Shape, MakeVector)

#: Scalar ops of the integer arithmetic on sizes that cannot fail (no division), so that computing it before
#: the loop, even a loop of no step, raises nothing the step would not have raised.
SAFE_SIZE_OPS = frozenset({"add", "subtract", "multiply", "maximum", "minimum", "switch", "equal", "not_equal",
                           "less", "greater", "less_equal", "greater_equal", "logical_and", "logical_or",
                           "logical_not", "negative", "absolute"})


def constant_entry_of_vector(node: Apply[Subtensor]) -> bool:
    """Whether ``node`` takes entries of a vector of static length at constant indices within it (an entry of
    a shape): it cannot fail."""
    length = node.inputs[0].type.shape
    return len(node.inputs) == 1 and len(length) == 1 and length[0] is not None \
        and all(kind == "int" and -length[0] <= int(k) < length[0] for kind, k in node.op.entries)


def safe_integer_elemwise(op: Elemwise) -> bool:
    """Whether ``op`` computes integers without ever failing: a cast, or size arithmetic of SAFE_SIZE_OPS."""
    scalar = op.scalar_op
    return isinstance(scalar, Cast) or getattr(scalar, "name", None) in SAFE_SIZE_OPS


def _hoistable(node: Apply, invariant: set[Variable]) -> bool:
    if not all(isinstance(v, Constant) or v in invariant for v in node.inputs):
        return False
    if not any(v in invariant for v in node.inputs):
        return False  # constants only: constant folding's
    if isinstance(node.op, _HOISTABLE):
        return True
    if isinstance(node.op, Subtensor):
        return constant_entry_of_vector(node)
    if isinstance(node.op, Elemwise):
        return all(np.dtype(out.type.dtype).kind in "fcb" for out in node.outputs) or safe_integer_elemwise(node.op)
    return False


@CANONICALIZE.rule(Node(Scan, ..., op_as="op"), tags=("control",))
def scan_hoists_invariants(node: Apply, op: Scan) -> dict[Variable, Variable] | None:
    """What a scan's step computes from its non-sequences (and constants) alone is the same at every step: it is
    computed once, before the loop, and the step reads it as one more non-sequence (``b[None, :]`` of
    ``x_t @ W + h @ U + b``, a transposed weight in a gradient's step, a weight's shape). graph-core's ``scan``
    does so at construction for what reads no step input at all; non-sequences are step inputs."""
    info = op.info
    inner = info.split_inner_inputs(op.step.inputs)
    invariant = set(inner.non_sequences)
    hoisted: list[Variable] = []
    order = op.step.fgraph.toposort()
    for inner_node in order:
        if _hoistable(inner_node, invariant):
            invariant.update(inner_node.outputs)
            hoisted.extend(inner_node.outputs)
    if not hoisted:
        return None
    # the hoisted values that the rest of the step (or its outputs) reads: the new non-sequences
    outputs = set(op.step.outputs)
    read = {v for inner_node in order if not all(out in invariant for out in inner_node.outputs)
            for v in inner_node.inputs}
    frontier = [v for v in hoisted if v in read or v in outputs]
    if not frontier:
        return None
    _, outer = info.split_outer_inputs(node.inputs)
    computed, _ = clone_replace(frontier, dict(zip(inner.non_sequences, outer.non_sequences, strict=True)))
    new_info = replace(info, n_non_sequences=info.n_non_sequences + len(frontier))
    outputs_new = rebuild_scan(op, new_info, [*op.step.inputs, *frontier], list(op.step.outputs),
                                [*node.inputs, *computed])
    return dict(zip(node.outputs, outputs_new, strict=True))


def _reads_outputs_of(node: Apply, other: Apply) -> bool:
    """Whether ``node`` depends, directly or not, on what ``other`` computes."""
    computed = set(other.outputs)
    return any(v in computed for v in ancestors(node.inputs))


def _mergeable(a: ScanInfo, b: ScanInfo) -> bool:
    """Loops that step alike: no while loop (each would end on its own condition), the same direction, the same
    gradient truncation."""
    return not a.as_while and not b.as_while and a.go_backwards == b.go_backwards \
        and a.truncate_gradient == b.truncate_gradient


@CANONICALIZE.rule(Node(Scan, ..., op_as="op"), tags=("control",))
def scan_merges_sibling_loops(fgraph: FunctionGraph, node: Apply, op: Scan) -> dict[Variable, Variable] | None:
    """Two loops over the same number of steps (the same ``n_steps`` variable: ``scan`` over the same sequences
    gives it), neither reading what the other computes, run as one loop whose step computes both steps: one
    pass over the steps, one step program (its elementwise work fused across both), and a sequence or
    non-sequence both read is read once."""
    n_steps = node.inputs[0]
    for other, position in fgraph.clients.get(n_steps, []):
        if other is node or position != 0 or not isinstance(other, Apply) or not isinstance(other.op, Scan):
            continue
        if not _mergeable(op.info, other.op.info):
            continue
        if _reads_outputs_of(node, other) or _reads_outputs_of(other, node):
            continue
        return _merge_loops(node, other)
    return None


def _merge_loops(first: Apply, second: Apply) -> dict[Variable, Variable]:
    """One Scan node computing what ``first`` and ``second`` compute (see :func:`scan_merges_sibling_loops`); what
    both read, it is given twice until :func:`scan_reads_each_input_once` makes it once."""
    a, b = first.op, second.op
    assert isinstance(a, Scan) and isinstance(b, Scan)
    ia, ib = a.info, b.info
    n_steps, outer_a = ia.split_outer_inputs(first.inputs)
    _, outer_b = ib.split_outer_inputs(second.inputs)
    in_a, in_b = ia.split_inner_inputs(a.step.inputs), ib.split_inner_inputs(b.step.inputs)
    results_a, _ = ia.split_inner_outputs(a.step.outputs)
    results_b, _ = ib.split_inner_outputs(b.step.outputs)
    info = ScanInfo(seq_taps=ia.seq_taps + ib.seq_taps, state_taps=ia.state_taps + ib.state_taps,
                    n_outputs=ia.n_outputs + ib.n_outputs, n_carried=ia.n_carried + ib.n_carried,
                    n_non_sequences=ia.n_non_sequences + ib.n_non_sequences,
                    go_backwards=ia.go_backwards, truncate_gradient=ia.truncate_gradient)
    inner_inputs = [*(v for taps in in_a.sequences for v in taps), *(v for taps in in_b.sequences for v in taps),
                    *(v for taps in in_a.states for v in taps), *(v for taps in in_b.states for v in taps),
                    *in_a.carried, *in_b.carried, *in_a.non_sequences, *in_b.non_sequences]
    inner_outputs = [*results_a.states, *results_b.states, *results_a.outputs, *results_b.outputs,
                     *results_a.carried, *results_b.carried]
    outer_inputs = [n_steps, *outer_a.sequences, *outer_b.sequences, *outer_a.states, *outer_b.states,
                    *outer_a.carried, *outer_b.carried, *outer_a.non_sequences, *outer_b.non_sequences]
    name = "+".join(n for n in (a.name, b.name) if n) or None
    loop = Scan(info, InnerGraph(inner_inputs, inner_outputs), name)(*outer_inputs)
    new = info.split_outer_outputs(loop if isinstance(loop, list) else [loop])
    old_a, old_b = ia.split_outer_outputs(first.outputs), ib.split_outer_outputs(second.outputs)
    olds = [*old_a.states, *old_b.states, *old_a.outputs, *old_b.outputs, *old_a.carried, *old_b.carried]
    news = [*new.states, *new.outputs, *new.carried]
    return dict(zip(olds, news, strict=True))


@CANONICALIZE.rule(Node(Scan, ..., op_as="op"), tags=("control",))
def scan_reads_each_input_once(node: Apply, op: Scan) -> dict[Variable, Variable] | None:
    """A loop given the same sequence twice (at the same taps) or the same non-sequence twice reads it once: its
    step's two inputs become one (two merged loops reading one weight; a product pushed out of both)."""
    info = op.info
    n_steps, outer = info.split_outer_inputs(node.inputs)
    inner = info.split_inner_inputs(op.step.inputs)
    same: dict[Variable, Variable] = {}
    kept_seqs: list[int] = []
    for i, (seq, taps) in enumerate(zip(outer.sequences, info.seq_taps, strict=True)):
        twin = next((j for j in kept_seqs if outer.sequences[j] is seq and info.seq_taps[j] == taps), None)
        if twin is None:
            kept_seqs.append(i)
        else:
            same.update(zip(inner.sequences[i], inner.sequences[twin], strict=True))
    kept_non_seqs: list[int] = []
    for i, value in enumerate(outer.non_sequences):
        twin = next((j for j in kept_non_seqs if outer.non_sequences[j] is value), None)
        if twin is None:
            kept_non_seqs.append(i)
        else:
            same[inner.non_sequences[i]] = inner.non_sequences[twin]
    if not same:
        return None
    outputs, _ = clone_replace(list(op.step.outputs), same)
    new_info = replace(info, seq_taps=tuple(info.seq_taps[i] for i in kept_seqs),
                       n_non_sequences=len(kept_non_seqs))
    step_inputs = [*(v for i in kept_seqs for v in inner.sequences[i]), *(v for taps in inner.states for v in taps),
                   *inner.carried, *(inner.non_sequences[i] for i in kept_non_seqs)]
    new_outputs = rebuild_scan(op, new_info, step_inputs, outputs,
                                [n_steps, *(outer.sequences[i] for i in kept_seqs), *outer.states, *outer.carried,
                                 *(outer.non_sequences[i] for i in kept_non_seqs)])
    return dict(zip(node.outputs, new_outputs, strict=True))
