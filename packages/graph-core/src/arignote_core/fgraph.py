"""FunctionGraph: a graph with fixed inputs and outputs, a clients index, and validated replacement."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol

from .graph import Apply, AtomicVariable, Variable, clone_replace, graph_inputs, toposort

#: A client of a variable: (node, input position), or ("output", output position).
Client = tuple[Any, int]


class GraphListener(Protocol):
    """Told of every change to a FunctionGraph (rewriters keep their worklists this way)."""

    def on_import(self, fgraph: FunctionGraph, node: Apply) -> None: ...

    def on_prune(self, fgraph: FunctionGraph, node: Apply) -> None: ...

    def on_change_input(self, fgraph: FunctionGraph, node: Apply | str, i: int, old: Variable,
                        new: Variable) -> None: ...


class MissingInputError(ValueError):
    """A graph output depends on a variable that is neither an input nor a constant/shared value."""


class FunctionGraph:
    """Inputs, outputs and every node between them, with the clients (users) of each variable.

    By default the graph is copied, so replacements never touch the caller's variables.
    """

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable], clone: bool = True) -> None:
        if clone:
            new_outputs, memo = clone_replace(list(outputs), {v: v.clone() for v in inputs})
            inputs = [memo[v] for v in inputs]
            outputs = new_outputs
            self.memo: dict[Variable, Variable] = memo
        else:
            self.memo = {}
        self.inputs: list[Variable] = list(inputs)
        self.outputs: list[Variable] = list(outputs)
        #: output index -> index of the input (a shared variable) whose new value it is; a backend may compute
        #: such an output into that input's buffer, since the old value is dropped after the call
        self.updates: dict[int, int] = {}
        self.clients: dict[Variable, list[Client]] = {}
        self.apply_nodes: set[Apply] = set()
        self.listeners: list[GraphListener] = []
        self._order: list[Apply] | None = None
        for var in self.inputs:
            self.clients.setdefault(var, [])
        self._check_inputs()
        for node in toposort(self.outputs, stop_at=self.inputs):
            self._import(node)
        for i, out in enumerate(self.outputs):
            self.clients.setdefault(out, []).append(("output", i))

    def _check_inputs(self) -> None:
        given = set(self.inputs)
        for var in graph_inputs(self.outputs, stop_at=self.inputs):
            if var not in given and not isinstance(var, AtomicVariable):
                raise MissingInputError(
                    f"an output depends on {var} ({var.type}), which is not among the inputs; "
                    "pass it in the inputs list, or use givens to substitute it")

    # -- bookkeeping -------------------------------------------------------------------------------------

    def _import(self, node: Apply) -> None:
        if node in self.apply_nodes:
            return
        self.apply_nodes.add(node)
        for i, var in enumerate(node.inputs):
            self.clients.setdefault(var, []).append((node, i))
        for out in node.outputs:
            self.clients.setdefault(out, [])
        self._order = None
        for listener in self.listeners:
            listener.on_import(self, node)

    def _import_graph(self, var: Variable) -> None:
        """Import the nodes behind ``var`` that are not in the graph yet (only those: a local change stays local)."""
        new_nodes: list[Apply] = []
        stack = [var]
        seen: set[Apply] = set()
        while stack:
            node = stack.pop().owner
            if node is None or node in self.apply_nodes or node in seen:
                continue
            seen.add(node)
            new_nodes.append(node)
            stack.extend(node.inputs)
        for node in toposort([o for n in new_nodes for o in n.outputs], stop_at=self._known_boundary(new_nodes)):
            for inp in node.inputs:
                if inp.owner is None and inp not in self.clients and not isinstance(inp, AtomicVariable):
                    raise MissingInputError(f"replacement uses {inp} ({inp.type}), which is not an input of the graph")
            self._import(node)
        self.clients.setdefault(var, [])

    def _known_boundary(self, new_nodes: list[Apply]) -> list[Variable]:
        return [inp for n in new_nodes for inp in n.inputs if inp.owner in self.apply_nodes]

    def _prune_if_unused(self, var: Variable) -> None:
        stack = [var]
        while stack:
            v = stack.pop()
            node = v.owner
            if node is None or node not in self.apply_nodes:
                continue
            if any(self.clients.get(o) for o in node.outputs):
                continue
            self.apply_nodes.discard(node)
            self._order = None
            for out in node.outputs:
                self.clients.pop(out, None)
            for i, inp in enumerate(node.inputs):
                users = self.clients.get(inp)
                if users is not None:
                    users.remove((node, i))
                    if not users:
                        stack.append(inp)
            for listener in self.listeners:
                listener.on_prune(self, node)

    # -- queries -------------------------------------------------------------------------------------------

    def toposort(self) -> list[Apply]:
        """Nodes in an order where every node comes after the nodes it uses (cached until a change)."""
        if self._order is None:
            self._order = toposort(self.outputs, stop_at=self.inputs)
        return list(self._order)

    @property
    def variables(self) -> set[Variable]:
        return set(self.clients)

    def __contains__(self, item: Apply | Variable) -> bool:
        return item in self.apply_nodes if isinstance(item, Apply) else item in self.clients

    # -- changes -------------------------------------------------------------------------------------------

    def attach(self, listener: GraphListener) -> None:
        self.listeners.append(listener)

    def detach(self, listener: GraphListener) -> None:
        self.listeners.remove(listener)

    def change_input(self, client: Apply | str, i: int, new: Variable) -> None:
        """Make input ``i`` of ``client`` (a node, or "output") be ``new``."""
        if client == "output":
            old = self.outputs[i]
            self.outputs[i] = new
        else:
            assert isinstance(client, Apply)
            old = client.inputs[i]
            client.inputs[i] = new
        if old is new:
            return
        self._import_graph(new)
        self.clients[new].append((client, i))
        self.clients[old].remove((client, i))
        self._order = None
        for listener in self.listeners:
            listener.on_change_input(self, client, i, old, new)
        if not self.clients[old]:
            self._prune_if_unused(old)

    def replace(self, old: Variable, new: Variable, reason: str | None = None) -> None:
        """Make every user of ``old`` use ``new`` instead; their types must be compatible."""
        if old not in self.clients:
            raise ValueError(f"{old} is not in this graph")
        if not old.type.is_compatible(new.type):
            where = f" (by {reason})" if reason else ""
            raise TypeError(f"cannot replace {old} of type {old.type} by {new} of type {new.type}{where}")
        if new.owner is not None and old.owner is not None and new.owner.source is None:
            new.owner.source = old.owner.source
        for client, i in list(self.clients[old]):
            self.change_input(client, i, new)

    def replace_all(self, pairs: Iterable[tuple[Variable, Variable]], reason: str | None = None) -> None:
        for old, new in pairs:
            self.replace(old, new, reason)

    def clone(self) -> FunctionGraph:
        """An independent copy (same constants and shared variables)."""
        copy = FunctionGraph(self.inputs, self.outputs, clone=True)
        copy.updates = dict(self.updates)
        return copy

    def __repr__(self) -> str:
        return f"FunctionGraph({', '.join(map(str, self.outputs))}; {len(self.apply_nodes)} nodes)"
