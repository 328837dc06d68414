"""Control flow (``OpFromGraph``, ``IfElse``): the derivatives of inner graphs, as ops with inner graphs again.

An OpFromGraph's pullback differentiates its inner graph (reverse mode, inside the graph) and wraps the result
in another OpFromGraph (with the same ``inline``), applied to the node's inputs and output gradients; its
pushforward likewise, unless the op's overrides give the rules. An IfElse's pullback is an IfElse of its
branches' pullbacks (zeros where a branch does not depend on an input), so that at run time only the branch
taken is differentiated; its pushforward likewise. The condition gets no gradient.

The derived op is made once per op and per set of outputs (inputs, for tangents) that carry a derivative, and
kept: differentiating the same node again gives equal nodes.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from arignote_core import Apply, Op, Type, Variable
from arignote_core.control import IfElse, InnerGraph, InnerGraphOp, OpFromGraph, free_variables
from arignote_core.control.opfromgraph import Override
from arignote_core.tensors.math import add

from ..errors import GradientRuleError, UndefinedGrad
from ..forward import propagate_tangents
from ..registry import register_pullback, register_pushforward
from ..reverse import backpropagate
from ..tensor_utils import is_differentiable, zeros_like

#: Where each entry of a rule's result comes from: output k of the derived node, no derivative (None), or an
#: undefined one.
Layout = list[int | UndefinedGrad | None]


@dataclass(frozen=True)
class Derived:
    """A derivative rule of one op, made once: the derived op (None where no derivative is computed), which of
    the arguments (the node's inputs, then the incoming derivatives) it takes, and the layout of the result."""

    op: Op | None
    taken: tuple[int, ...]
    layout: Layout

    def apply(self, arguments: Sequence[Any]) -> list[Any]:
        outputs = self.op.make_node(*(arguments[k] for k in self.taken)).outputs if self.op is not None else []
        return [outputs[entry] if isinstance(entry, int) else entry for entry in self.layout]


_DERIVED: weakref.WeakKeyDictionary[Op, dict[tuple[Any, ...], Derived]] = weakref.WeakKeyDictionary()


def _derived(op: InnerGraphOp, key: tuple[Any, ...], make: Callable[[], Derived]) -> Derived:
    """The derived rule of ``op`` for ``key``, made on first use."""
    table = _DERIVED.setdefault(op, {})
    if key not in table:
        table[key] = make()
    return table[key]


def _gathered(raw: Sequence[Any]) -> tuple[list[Variable], Layout]:
    """The variables among derivatives ``raw``, and the layout placing them (and the rest) back."""
    computed: list[Variable] = []
    layout: Layout = []
    for d in raw:
        layout.append(len(computed) if isinstance(d, Variable) else d)
        if isinstance(d, Variable):
            computed.append(d)
    return computed, layout


def _taken(*graphs: tuple[Sequence[Variable], Sequence[Variable]]) -> tuple[int, ...]:
    """The positions of the inputs that the outputs use, for graphs given as (inputs, outputs) (the branches
    of an IfElse take the same arguments): a derivative does not take what it does not need."""
    taken: set[int] = set()
    for inputs, outputs in graphs:
        used = set(free_variables(outputs))
        taken.update(k for k, v in enumerate(inputs) if v in used)
    return tuple(sorted(taken))


def _label(op: InnerGraphOp, what: str) -> str:
    return f"{what} of {op.name}" if op.name else what


# ---------------------------------------------------------------------------------------------------------
# derivatives of one inner graph


def _inner_pullback(graph: InnerGraph, connected: Sequence[int],
                    output_types: Sequence[Type] | None = None) -> tuple[list[Variable], list[Any]]:
    """Fresh variables for the gradients of the ``connected`` outputs of ``graph`` (of ``output_types`` where
    given: an ifelse's two branches take gradients of the node's outputs' types, which may know fewer sizes
    than one branch's own), and what each input of ``graph`` gets from them: a gradient, None, or an
    UndefinedGrad (integer inputs get None)."""
    types = [graph.outputs[j].type for j in connected] if output_types is None else \
        [output_types[j] for j in connected]
    grad_vars = [t.make_variable(name=f"grad{j}") for j, t in zip(connected, types, strict=True)]
    seeds: dict[Variable, Variable] = {}
    for j, g in zip(connected, grad_vars, strict=True):
        out = graph.outputs[j]
        g = out.type.refine(g)  # stated to have the sizes this branch's output has
        seeds[out] = add(seeds[out], g) if out in seeds else g
    raw = backpropagate(seeds, graph.inputs)
    return grad_vars, [g if is_differentiable(x) and isinstance(g, Variable | UndefinedGrad) else None
                       for x, g in zip(graph.inputs, raw, strict=True)]


def _inner_pushforward(graph: InnerGraph, active: Sequence[int]) -> tuple[list[Variable], list[Any]]:
    """Fresh variables for the tangents of the ``active`` inputs of ``graph``, and each output's tangent: a
    variable, None, or an UndefinedGrad (integer outputs get None)."""
    tangent_vars = [graph.inputs[i].type.make_variable(name=f"tangent{i}") for i in active]
    tangents, _ = propagate_tangents([graph.inputs[i] for i in active], list(tangent_vars), graph.outputs)
    return tangent_vars, [tangents.get(o) if is_differentiable(o) else None for o in graph.outputs]


def _connected_outputs(node: Apply, output_grads: Sequence[Any]) -> tuple[int, ...]:
    return tuple(j for j, g in enumerate(output_grads) if g is not None and is_differentiable(node.outputs[j]))


# ---------------------------------------------------------------------------------------------------------
# OpFromGraph


@register_pullback(OpFromGraph)
def opfromgraph_pullback(op: OpFromGraph, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    override = op.lop_overrides if op.lop_overrides is not None else op.grad_overrides
    if override is not None:
        return _overridden_pullback(op, override, node, output_grads)
    connected = _connected_outputs(node, output_grads)
    if not connected:
        return [None] * len(node.inputs)
    derived = _derived(op, ("pullback", connected), lambda: _derive_pullback(op, connected))
    return derived.apply([*node.inputs, *(output_grads[j] for j in connected)])


def _derive_pullback(op: OpFromGraph, connected: tuple[int, ...]) -> Derived:
    grad_vars, raw = _inner_pullback(op.graph, connected)
    return _derived_graph_op(op, [*op.graph.inputs, *grad_vars], raw, "pullback")


def _derived_graph_op(op: OpFromGraph, inputs: list[Variable], raw: Sequence[Any], what: str) -> Derived:
    """An OpFromGraph computing the derivatives ``raw`` from the ``inputs`` they use."""
    computed, layout = _gathered(raw)
    if not computed:
        return Derived(None, (), layout)
    taken = _taken((inputs, computed))
    return Derived(OpFromGraph([inputs[k] for k in taken], computed, inline=op.inline, name=_label(op, what)),
                   taken, layout)


def _overridden_pullback(op: OpFromGraph, override: Override, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    """The user's gradient: ``override(inputs, [outputs,] output_grads)``, with zeros for missing gradients."""
    inputs = list(node.inputs)
    grads = [g if g is not None else zeros_like(out) for g, out in zip(output_grads, node.outputs, strict=True)]
    args = [inputs, list(node.outputs), grads] if op.lop_overrides is not None else [inputs, grads]
    result = _call_override(override, args)
    if len(result) == op.n_explicit:
        result += [None] * len(op.shared_inputs)
    if len(result) != len(inputs):
        shared = f" (and {len(op.shared_inputs)} shared)" if op.shared_inputs else ""
        raise GradientRuleError(f"the gradient override of {op} returned {len(result)} gradients for its "
                                f"{op.n_explicit} inputs{shared}")
    return result


@register_pushforward(OpFromGraph)
def opfromgraph_pushforward(op: OpFromGraph, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    if op.rop_overrides is not None:
        return _overridden_pushforward(op, op.rop_overrides, node, tangents)
    active = tuple(i for i, t in enumerate(tangents) if t is not None and is_differentiable(node.inputs[i]))
    if not active:
        return [None] * len(node.outputs)
    derived = _derived(op, ("pushforward", active), lambda: _derive_pushforward(op, active))
    return derived.apply([*node.inputs, *(tangents[i] for i in active)])


def _derive_pushforward(op: OpFromGraph, active: tuple[int, ...]) -> Derived:
    tangent_vars, raw = _inner_pushforward(op.graph, active)
    return _derived_graph_op(op, [*op.graph.inputs, *tangent_vars], raw, "pushforward")


def _overridden_pushforward(op: OpFromGraph, override: Override, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    """The user's tangents: ``override(inputs, eval_points)``, with zeros for inputs without a tangent."""
    points = [t if t is not None else zeros_like(x) for t, x in zip(tangents, node.inputs, strict=True)]
    result = _call_override(override, [list(node.inputs), points])
    if len(result) != len(node.outputs):
        raise GradientRuleError(f"the R-operator override of {op} returned {len(result)} tangents for its "
                                f"{len(node.outputs)} outputs")
    return result


def _call_override(override: Override, arguments: list[list[Any]]) -> list[Any]:
    """An override called with lists of variables (a function), or on all of them (an OpFromGraph)."""
    if isinstance(override, OpFromGraph):
        return list(override.make_node(*(v for group in arguments for v in group)).outputs)
    result = override(*arguments)
    return list(result) if isinstance(result, list | tuple) else [result]


# ---------------------------------------------------------------------------------------------------------
# IfElse


@register_pullback(IfElse)
def ifelse_pullback(op: IfElse, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    connected = _connected_outputs(node, output_grads)
    if not connected:
        return [None] * len(node.inputs)
    derived = _derived(op, ("pullback", connected), lambda: _derive_ifelse_pullback(op, connected))
    return [None, *derived.apply([*node.inputs, *(output_grads[j] for j in connected)])]


def _derive_ifelse_pullback(op: IfElse, connected: tuple[int, ...]) -> Derived:
    then_vars, then_raw = _inner_pullback(op.then_graph, connected, op.output_types)
    else_vars, else_raw = _inner_pullback(op.else_graph, connected, op.output_types)
    then_grads, else_grads, layout = _pair_branches(then_raw, else_raw, op.then_graph.inputs, op.else_graph.inputs)
    return _derived_ifelse(op, ([*op.then_graph.inputs, *then_vars], then_grads),
                           ([*op.else_graph.inputs, *else_vars], else_grads), layout, "pullback")


@register_pushforward(IfElse)
def ifelse_pushforward(op: IfElse, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    active = tuple(i - 1 for i, t in enumerate(tangents) if i > 0 and t is not None
                   and is_differentiable(node.inputs[i]))
    if not active:
        return [None] * len(node.outputs)
    derived = _derived(op, ("pushforward", active), lambda: _derive_ifelse_pushforward(op, active))
    return derived.apply([*node.inputs, *(tangents[i + 1] for i in active)])


def _derive_ifelse_pushforward(op: IfElse, active: tuple[int, ...]) -> Derived:
    then_vars, then_raw = _inner_pushforward(op.then_graph, active)
    else_vars, else_raw = _inner_pushforward(op.else_graph, active)
    then_tangents, else_tangents, layout = _pair_branches(then_raw, else_raw, op.then_graph.outputs,
                                                          op.else_graph.outputs)
    return _derived_ifelse(op, ([*op.then_graph.inputs, *then_vars], then_tangents),
                           ([*op.else_graph.inputs, *else_vars], else_tangents), layout, "pushforward")


def _derived_ifelse(op: IfElse, then: tuple[list[Variable], list[Variable]],
                    other: tuple[list[Variable], list[Variable]], layout: Layout, what: str) -> Derived:
    """An IfElse choosing between the branches' derivatives, on the condition and the arguments either uses
    (the node's other inputs, then the incoming derivatives)."""
    if not then[1]:
        return Derived(None, (), layout)
    taken = _taken(then, other)
    then_graph, else_graph = (InnerGraph([inputs[k] for k in taken], outputs) for inputs, outputs in (then, other))
    return Derived(IfElse(then_graph, else_graph, name=_label(op, what)), (0, *(k + 1 for k in taken)), layout)


def _pair_branches(then_raw: Sequence[Any], else_raw: Sequence[Any], then_like: Sequence[Variable],
                   else_like: Sequence[Variable]) -> tuple[list[Variable], list[Variable], Layout]:
    """The derivatives both branches give, zeros (shaped like ``*_like``) where only one gives one; an
    undefined derivative in either branch makes the result undefined."""
    then_out: list[Variable] = []
    else_out: list[Variable] = []
    layout: Layout = []
    for t, e, t_like, e_like in zip(then_raw, else_raw, then_like, else_like, strict=True):
        undefined = next((d for d in (t, e) if isinstance(d, UndefinedGrad)), None)
        if undefined is not None or (t is None and e is None):
            layout.append(undefined)
            continue
        layout.append(len(then_out))
        then_out.append(t if t is not None else zeros_like(t_like))
        else_out.append(e if e is not None else zeros_like(e_like))
    return then_out, else_out, layout
