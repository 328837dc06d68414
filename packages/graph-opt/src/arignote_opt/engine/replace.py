"""Applying a rule's replacements: type-checked, acyclic, and carrying the user's source location."""

from __future__ import annotations

from collections.abc import Sequence

from arignote_core import Apply, FunctionGraph, Variable


def new_nodes(fgraph: FunctionGraph, var: Variable) -> list[Apply]:
    """The nodes behind ``var`` that are not in ``fgraph`` yet (what a replacement would add)."""
    found: list[Apply] = []
    seen: set[Apply] = set()
    stack = [var]
    while stack:
        node = stack.pop().owner
        if node is None or node in seen or node in fgraph.apply_nodes:
            continue
        seen.add(node)
        found.append(node)
        stack.extend(node.inputs)
    return found


def check_replacement(fgraph: FunctionGraph, old: Variable, new: Variable, added: Sequence[Apply]) -> None:
    """Refuse a replacement whose type does not fit ``old``'s, or whose new nodes use ``old`` (a cycle)."""
    if not old.type.is_compatible(new.type):
        raise TypeError(f"the replacement of {old} ({old.type}) by {new} has type {new.type}")
    for node in added:
        if any(inp is old for inp in node.inputs):
            raise ValueError(f"the replacement of {old} uses {old} itself (through {node.op}), which would make "
                             "a cycle")


def replace_all(fgraph: FunctionGraph, pairs: Sequence[tuple[Variable, Variable]], origin: Apply | None,
                reason: str) -> list[Apply]:
    """Replace each ``old`` by ``new`` after checking every pair; the nodes this adds take ``origin``'s source
    location, so that errors at run time still point at the user's line. Returns the added nodes."""
    pairs = [(old, old.type.refine(new) if old.type.is_compatible(new.type) else new) for old, new in pairs]
    added = {id(old): new_nodes(fgraph, new) for old, new in pairs}
    for old, new in pairs:
        check_replacement(fgraph, old, new, added[id(old)])
    source = origin.source if origin is not None else None
    if source is not None:
        for nodes in added.values():
            for node in nodes:
                node.source = source
    for old, new in pairs:
        if old in fgraph.clients:
            _replace_keeping_checks(fgraph, old, new, reason)
    return [node for nodes in added.values() for node in nodes]


class _PrunedGuards:
    """Collects the guards (``Op.is_guard``: run-time checks) that a replacement leaves without users."""

    def __init__(self) -> None:
        self.found: list[Apply] = []

    def on_import(self, fgraph: FunctionGraph, node: Apply) -> None:
        pass

    def on_prune(self, fgraph: FunctionGraph, node: Apply) -> None:
        if node.op.is_guard:
            self.found.append(node)

    def on_change_input(self, fgraph: FunctionGraph, node: Apply | str, i: int, old: Variable,
                        new: Variable) -> None:
        pass


def _replace_keeping_checks(fgraph: FunctionGraph, old: Variable, new: Variable, reason: str) -> None:
    """Replace ``old`` by ``new``; a guard that only ``old`` depended on (the check of a broadcast the rewritten
    expression no longer computes, say) moves onto ``new`` where ``old``'s users read it, so that a graph NumPy
    would refuse still fails. A rule replacing a guard itself drops it: that is its purpose."""
    users = list(fgraph.clients[old])
    pruned = _PrunedGuards()
    fgraph.attach(pruned)
    try:
        fgraph.replace(old, new, reason)
    finally:
        fgraph.detach(pruned)
    dropped = [node for node in pruned.found if node is not old.owner]
    if not dropped:
        return
    checked = new
    for node in dropped:
        checked = node.op(checked, *node.inputs[1:])
    for user, i in users:
        fgraph.change_input(user, i, checked)
