"""Control flow made plain where it can be: an ``OpFromGraph`` marked ``inline`` replaced by its graph (so the
other rewrites see through it), and an ``ifelse`` whose condition is a constant replaced by the branch taken."""

from __future__ import annotations

from arignote_core import Apply, Variable
from arignote_core.control import IfElse, OpFromGraph

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
