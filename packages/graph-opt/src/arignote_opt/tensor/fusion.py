"""Elementwise fusion: groups of Elemwise nodes become one ``Elemwise(Composite)`` (one loop, no temporaries),
and a reduction of an elementwise expression becomes one :class:`FusedReduce`.

A group grows from a sink (visited from the outputs back) towards its inputs, taking producers of the same
broadcast pattern, and then users of its members (siblings such as ``exp(x) + 1`` beside ``exp(x) * 2``). It
may give several outputs (a member used outside the group), provided the group stays *convex*: no path leaves
the group and comes back, which would make the fused node depend on itself. Bounded searches check that when
a node joins: none of a producer's outside users leads back into the group, no producer is reachable from the
group's outside users, and no other input of a user is computed from the group. A member used outside must
also have the shape of the whole loop (with run-time broadcasting of unknown sizes, ``exp(x)`` beside
``x + y`` could be smaller); one that may not is left out of the group with everything it depends on.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import TypeGuard

from arignote_core import Apply, Composite, Constant, Elemwise, FunctionGraph, Reduce, ScalarType, Variable
from arignote_core.scalars import ScalarConstant
from arignote_core.tensors.fused_reduce import FusedReduce

from ..engine import replace_all
from .rulesets import FUSE
from .util import only_client, scalar_constant

#: Most outer inputs one fused kernel takes (code generators have argument limits).
MAX_INPUTS = 32
#: Most nodes one convexity search visits before giving up (and refusing the candidate).
SEARCH_LIMIT = 2000


def _fusable(node: Apply) -> bool:
    return isinstance(node.op, Elemwise) and all(hasattr(v.type, "shape") for v in node.inputs)


def _pattern(node: Apply) -> tuple[bool, ...]:
    return node.outputs[0].type.broadcastable


def _inlined(var: Variable) -> TypeGuard[Constant]:
    """Constants holding one number go inside the kernel rather than being passed to it."""
    return isinstance(var, Constant) and scalar_constant(var) is not None


class _Grower:
    """Grows one group; ``position`` is the topological index of every node in the graph (renewed after each
    fusion, since the searches below prune by it)."""

    def __init__(self, fgraph: FunctionGraph, position: dict[Apply, int], done: set[Apply]) -> None:
        self.fgraph = fgraph
        self.position = position
        self.done = done

    def _users(self, node: Apply) -> Iterable[Apply]:
        for out in node.outputs:
            for user, _ in self.fgraph.clients.get(out, ()):
                if isinstance(user, Apply):
                    yield user

    def _leads_into(self, start: Apply, members: set[Apply], bound: int) -> bool:
        """Whether a path from ``start`` (outside) reaches a member; True when the search gives up."""
        stack, seen = [start], {start}
        while stack:
            node = stack.pop()
            if node in members:
                return True
            if len(seen) > SEARCH_LIMIT:
                return True
            for user in self._users(node):
                if user not in seen and self.position.get(user, bound + 1) <= bound:
                    seen.add(user)
                    stack.append(user)
        return False

    def _reached_from(self, node: Apply, escapes: set[Apply], lowest: int) -> bool:
        """Whether ``node`` depends on one of ``escapes``; True when the search gives up."""
        stack, seen = [node], {node}
        while stack:
            current = stack.pop()
            if current in escapes:
                return True
            if len(seen) > SEARCH_LIMIT:
                return True
            for inp in current.inputs:
                producer = inp.owner
                if producer is not None and producer not in seen and self.position.get(producer, -1) >= lowest:
                    seen.add(producer)
                    stack.append(producer)
        return False

    def _joins_upward(self, node: Apply, members: set[Apply], escapes: set[Apply], bound: int) -> bool:
        """A producer may join unless a path leaves the group through it and comes back."""
        outside = [u for u in self._users(node) if u not in members]
        if any(self._leads_into(u, members, bound) for u in outside):
            return False
        return not escapes or not self._reached_from(node, escapes, min(self.position.get(e, bound)
                                                                        for e in escapes))

    def _joins_downward(self, node: Apply, members: set[Apply]) -> bool:
        """A user may join unless one of its other inputs is computed from the group outside it."""
        lowest = min(self.position[m] for m in members)
        for inp in node.inputs:
            producer = inp.owner
            if producer is not None and producer not in members and self._reached_from(producer, members, lowest):
                return False
        return True

    def grow(self, sink: Apply) -> list[Apply]:
        """The group around ``sink``: producers (and then users of the group) of the same broadcast pattern."""
        members = {sink}
        pattern = _pattern(sink)
        bound = self.position[sink]
        escapes = set(self._users(sink))
        inputs = {id(v) for v in sink.inputs if not _inlined(v)}
        frontier = deque((v.owner, True) for v in sink.inputs if v.owner is not None)
        while frontier:
            node, upward = frontier.popleft()
            if node in members or node in self.done or node not in self.position or not _fusable(node) \
                    or node not in self.fgraph.apply_nodes or _pattern(node) != pattern:
                continue
            if not (self._joins_upward(node, members, escapes, bound) if upward
                    else self._joins_downward(node, members)):
                continue
            new_inputs = inputs | {id(v) for v in node.inputs if not _inlined(v)}
            new_inputs -= {id(o) for m in (*members, node) for o in m.outputs}
            if len(new_inputs) > MAX_INPUTS:
                continue
            members.add(node)
            inputs = new_inputs
            bound = max(bound, self.position[node])
            escapes.discard(node)
            escapes.update(u for u in self._users(node) if u not in members)
            frontier.extend((v.owner, True) for v in node.inputs if v.owner is not None)
            frontier.extend((u, False) for u in self._users(node) if u not in members)
        return sorted(members, key=self.position.__getitem__)


def _escaping(fgraph: FunctionGraph, group: list[Apply]) -> list[Variable]:
    """Outputs of the group's members used outside it (or graph outputs), in order."""
    members = set(group)
    found = []
    for node in group:
        for out in node.outputs:
            if any(not isinstance(user, Apply) or user not in members for user, _ in fgraph.clients.get(out, ())):
                found.append(out)
    return found


def _outer_inputs(group: list[Apply]) -> list[Variable]:
    produced = {id(o) for node in group for o in node.outputs}
    found: dict[int, Variable] = {}
    for node in group:
        for v in node.inputs:
            if id(v) not in produced and not _inlined(v):
                found.setdefault(id(v), v)
    return list(found.values())


def _cones(group: list[Apply]) -> dict[int, set[int]]:
    """For each member output: the ids of the outer inputs it depends on."""
    cone: dict[int, set[int]] = {}
    for node in group:
        deps: set[int] = set()
        for v in node.inputs:
            deps |= cone.get(id(v), {id(v)} if not _inlined(v) else set())
        for out in node.outputs:
            cone[id(out)] = deps
    return cone


def _has_loop_shape(out: Variable, others: Iterable[Variable]) -> bool:
    """Whether ``out`` keeps its shape when broadcast with ``others`` (inputs it does not depend on)."""
    shape = out.type.shape
    return all(v.type.shape[axis] == 1 or (size is not None and size != 1)
               for v in others for axis, size in enumerate(shape))


def _settle(fgraph: FunctionGraph, group: list[Apply]) -> list[Apply]:
    """Drop members whose outside uses need a smaller shape than the loop's, with what they depend on."""
    while True:
        outer = _outer_inputs(group)
        cone = _cones(group)
        bad = [o for o in _escaping(fgraph, group)
               if not _has_loop_shape(o, [v for v in outer if id(v) not in cone[id(o)]])]
        if not bad:
            return group
        drop: set[Apply] = set()
        stack = [o.owner for o in bad]
        members = set(group)
        while stack:
            node = stack.pop()
            if node in drop or node not in members:
                continue
            drop.add(node)
            stack.extend(v.owner for v in node.inputs if v.owner is not None)
        group = [n for n in group if n not in drop]


def _scalar_input(var: Variable) -> Variable:
    if _inlined(var):
        value = scalar_constant(var)
        return ScalarConstant(ScalarType(var.type.dtype), value, weak=var.weak)
    return ScalarType(var.type.dtype)()


def _inline(composite: Composite, args: list[Variable]) -> list[Variable]:
    """The outputs of ``composite``'s scalar graph applied to ``args``."""
    mapping: dict[Variable, Variable] = dict(zip(composite.inputs, args, strict=True))
    for node in composite.nodes:
        new = node.op.make_node(*(mapping.get(v, v) for v in node.inputs))
        mapping.update(zip(node.outputs, new.outputs, strict=True))
    return [mapping.get(o, o) for o in composite.outputs]


def scalar_graph(group: list[Apply], outputs: list[Variable]) -> tuple[Composite, list[Variable]] | None:
    """The Composite computing ``outputs`` of ``group`` (members in topological order) and its outer inputs;
    None if a scalar op would give another dtype than its tensor node."""
    scalar: dict[int, Variable] = {}
    outer: list[Variable] = []
    inner_inputs: list[Variable] = []
    for node in group:
        for v in node.inputs:
            if id(v) not in scalar:
                scalar[id(v)] = _scalar_input(v)
                if not _inlined(v):
                    outer.append(v)
                    inner_inputs.append(scalar[id(v)])
        args = [scalar[id(v)] for v in node.inputs]
        scalar_op = node.op.scalar_op
        results = _inline(scalar_op, args) if isinstance(scalar_op, Composite) else scalar_op.make_node(*args).outputs
        for out, result in zip(node.outputs, results, strict=True):
            if result.type.dtype != out.type.dtype:
                return None
            scalar[id(out)] = result
    return Composite(inner_inputs, [scalar[id(o)] for o in outputs]), outer


#: Scalar ops cheap enough to compute twice rather than keep a shared temporary out of a fused reduction.
CHEAP = frozenset({"add", "subtract", "multiply", "negative", "positive", "maximum", "minimum", "absolute",
                   "cast", "identity"})


def _reduction_group(fgraph: FunctionGraph, start: Apply, position: dict[Apply, int]) -> list[Apply]:
    """The elementwise nodes a reduction of ``start``'s output can absorb: producers of the same broadcast
    pattern used only inside the group, or cheap enough to recompute for it."""
    members = {start}
    pattern = _pattern(start)
    inputs = {id(v) for v in start.inputs if not _inlined(v)}
    frontier = deque(v.owner for v in start.inputs if v.owner is not None)
    while frontier:
        node = frontier.popleft()
        if node in members or node not in position or not _fusable(node) or _pattern(node) != pattern:
            continue
        exclusive = all(isinstance(user, Apply) and user in members
                        for out in node.outputs for user, _ in fgraph.clients.get(out, ()))
        cheap = not isinstance(node.op.scalar_op, Composite) and node.op.scalar_op.name in CHEAP
        if not (exclusive or cheap):
            continue
        new_inputs = (inputs | {id(v) for v in node.inputs if not _inlined(v)}) - {id(o) for o in node.outputs}
        if len(new_inputs) > MAX_INPUTS:
            continue
        members.add(node)
        inputs = new_inputs
        frontier.extend(v.owner for v in node.inputs if v.owner is not None)
    return sorted(members, key=position.__getitem__)


@FUSE.graph_rule(tags=("fusion",))
def fuse_reductions(fgraph: FunctionGraph) -> int:
    """Fuse each reduction with the elementwise expression it alone consumes into a :class:`FusedReduce`
    (recomputing cheap shared pieces such as ``x - m`` rather than reading them from memory)."""
    order = fgraph.toposort()
    position = {node: i for i, node in enumerate(order)}
    fused = 0
    for node in order:
        if not isinstance(node.op, Reduce) or node not in fgraph.apply_nodes:
            continue
        source = node.inputs[0]
        producer = source.owner
        if producer is None or producer not in position or not _fusable(producer) or len(producer.outputs) != 1 \
                or only_client(fgraph, source) is not node:
            continue
        built = scalar_graph(_reduction_group(fgraph, producer, position), [source])
        if built is None:
            continue
        composite, outer = built
        op = FusedReduce(composite, node.op.scalar_op, node.op.axes, node.op.dtype)
        replace_all(fgraph, [(node.outputs[0], op(*outer))], node, "fuse_reductions")
        fused += 1
    return fused


@FUSE.graph_rule(tags=("fusion",))
def fuse_elementwise(fgraph: FunctionGraph) -> int:
    """Fuse convex groups of elementwise nodes into ``Elemwise(Composite)`` nodes; returns how many."""
    order = fgraph.toposort()
    position = {node: i for i, node in enumerate(order)}
    done: set[Apply] = set()
    grower = _Grower(fgraph, position, done)
    fused = 0
    for sink in reversed(order):
        if sink in done or sink not in fgraph.apply_nodes or not _fusable(sink):
            continue
        group = _settle(fgraph, grower.grow(sink))
        done.update(group)
        if len(group) < 2:
            continue
        outputs = _escaping(fgraph, group)
        built = scalar_graph(group, outputs)
        if built is None:
            continue
        composite, outer = built
        node = Elemwise(composite).make_node(*outer)
        replace_all(fgraph, list(zip(outputs, node.outputs, strict=True)), sink, "fuse_elementwise")
        done.add(node)
        # the searches prune by topological position, so the fused node (which the next groups' paths may
        # cross) needs one that is true of the graph as it is now
        position.update((n, i) for i, n in enumerate(fgraph.toposort()))
        fused += 1
    return fused
