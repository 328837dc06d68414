"""Merging: equal constants become one, and nodes applying equal ops to the same inputs become one (CSE).

Works incrementally: the walker offers each node when it appears or its inputs change, so merging a pair
re-offers their clients, which may merge in turn; nothing rescans the graph. One merger serves all the phases
of a run: after the first sweep, only new or changed nodes are offered.
"""

from __future__ import annotations

from typing import Any

from arignote_core import Apply, Constant, FunctionGraph, Variable


def is_mergeable(node: Apply) -> bool:
    """Ops merge unless they say otherwise (``mergeable = False``, e.g. an op drawing random numbers)."""
    return bool(getattr(node.op, "mergeable", True))


def _may_depend_on(var: Variable, node: Apply, limit: int = 256) -> bool:
    """Whether ``var`` is computed from ``node`` (True also when the search gives up after ``limit`` nodes)."""
    stack = [var.owner]
    seen: set[Apply | None] = set()
    while stack:
        current = stack.pop()
        if current is None or current in seen:
            continue
        if current is node or len(seen) > limit:
            return True
        seen.add(current)
        stack.extend(v.owner for v in current.inputs)
    return False


class Merger:
    """The merge table of one graph."""

    def __init__(self, fgraph: FunctionGraph) -> None:
        self.fgraph = fgraph
        self.nodes: dict[tuple[Any, ...], Apply] = {}
        self.constants: dict[tuple[Any, ...], Constant] = {}
        self._signatures: dict[Constant, tuple[Any, ...]] = {}
        self.merged = 0
        #: whether every node of the graph has been offered once (later, only new or changed nodes need be)
        self.primed = False
        #: (op, inputs) of nodes a rule replaced -> their outputs' replacements: a node recreated later (another
        #: rule building the same computation) takes the known result instead of being rewritten again, even
        #: once that result has left the graph (:meth:`_reuse`)
        self.replaced: dict[tuple[Any, ...], list[Variable | None]] = {}

    def remember(self, node: Apply, pairs: list[tuple[Variable, Variable]]) -> None:
        """Record what a rule replaced ``node``'s outputs by."""
        if not is_mergeable(node):
            return
        new = dict((id(old), new) for old, new in pairs)
        try:
            self.replaced[(node.op, tuple(node.inputs))] = [new.get(id(o)) for o in node.outputs]
        except TypeError:  # an op without a hash is simply not remembered
            pass

    def _reuse(self, node: Apply, key: tuple[Any, ...]) -> bool:
        """Replace ``node`` by what a rule replaced the same computation by before.

        That result is taken back even when it has left the graph since (rules rewrote all its users:
        ``shape(f(x))`` became a ``make_vector`` whose entries were then read off): it still computes the same
        values, and taking it back costs a merge, where rewriting the recreated node would redo the whole
        chain of rewrites that followed, once per recreation (shape inference recreating ``shape(f(g(x)))``
        for each size it reads multiplied that work past the rewrite budget). Not when a rule has rewritten
        the result itself since: it is no longer the form the rules want (a later phase's rule undid it, as
        ``a + -b -> a - b`` undoes ``a - b -> a + -b``), and taking it back would undo that rule's work."""
        known = self.replaced.get(key)
        if known is None:
            return False
        fgraph = self.fgraph
        pairs = [(old, new) for old, new in zip(node.outputs, known, strict=True)
                 if new is not None and old in fgraph.clients]
        if not pairs or len(pairs) != sum(1 for new in known if new is not None):
            return False
        if any(new not in fgraph.clients and self._rewritten(new) or _may_depend_on(new, node) for _, new in pairs):
            return False
        for old, new in pairs:
            fgraph.replace(old, old.type.refine(new), "merge")
        return True

    def _rewritten(self, var: Variable) -> bool:
        """Whether a rule has replaced the computation of ``var`` (as it reads now) by something else."""
        node = var.owner
        if node is None:
            return False
        try:
            return (node.op, tuple(node.inputs)) in self.replaced
        except TypeError:  # an op without a hash is never remembered
            return False

    def _canonical(self, const: Constant) -> Constant:
        signature = self._signatures.get(const)
        if signature is None:
            signature = self._signatures[const] = const.signature()
        return self.constants.setdefault(signature, const)

    def visit(self, node: Apply) -> bool:
        """Merge ``node`` into an equal node seen before; True when ``node`` is gone from the graph."""
        fgraph = self.fgraph
        for i, inp in enumerate(node.inputs):
            if isinstance(inp, Constant):
                rep = self._canonical(inp)
                if rep is not inp:
                    fgraph.change_input(node, i, rep)
                    self.merged += 1
        if not is_mergeable(node):
            return False
        key = (node.op, tuple(node.inputs))
        try:
            other = self.nodes.get(key)
        except TypeError:  # an op without a hash does not merge
            return False
        if self.replaced and self._reuse(node, key):
            self.merged += 1
            return True
        if other is None or other is node or other not in fgraph.apply_nodes or tuple(other.inputs) != key[1]:
            self.nodes[key] = node
            return False
        for old, new in zip(node.outputs, other.outputs, strict=True):
            if old in fgraph.clients:
                fgraph.replace(old, new, "merge")
        self.merged += 1
        return True
