"""Control flow made plain where it can be: an ``OpFromGraph`` marked ``inline`` replaced by its graph (so the
other rewrites see through it), an ``ifelse`` whose condition is a constant replaced by the branch taken, and a
loop state of which only the last value is used carried instead of stacked."""

from __future__ import annotations

from dataclasses import replace

from arignote_core import Apply, FunctionGraph, Subtensor, Variable, as_tensor
from arignote_core.control import IfElse, InnerGraph, OpFromGraph, Scan
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
    step = InnerGraph(
        [*(v for taps in inner.sequences for v in taps), *(v for j in kept for v in inner.states[j]),
         *inner.carried, *(inner.states[j][0] for j in moved), *inner.non_sequences],
        [*(results.states[j] for j in kept), *results.outputs, *results.carried,
         *(results.states[j] for j in moved), *([condition] if condition is not None else [])])
    new_info = replace(info, state_taps=tuple(info.state_taps[j] for j in kept),
                       n_carried=info.n_carried + len(moved))
    n_steps, outer = info.split_outer_inputs(node.inputs)
    loop = Scan(new_info, step, op.name)(
        n_steps, *outer.sequences, *(outer.states[j] for j in kept), *outer.carried,
        *(as_tensor(outer.states[j])[0] for j in moved), *outer.non_sequences)
    outputs = loop if isinstance(loop, list) else [loop]
    new = new_info.split_outer_outputs(outputs)
    old = info.split_outer_outputs(node.outputs)
    replacements = dict(zip([*(old.states[j] for j in kept), *old.outputs, *old.carried],
                            [*new.states, *new.outputs, *new.carried[: info.n_carried]], strict=True))
    for last, readers in zip(new.carried[info.n_carried:], moved.values(), strict=True):
        guarded = check(last, "index -1 is out of bounds for axis 0 with size 0", as_tensor(n_steps) > 0,
                        error="IndexError")
        replacements.update((reader.outputs[0], guarded) for reader in readers)
    return replacements
