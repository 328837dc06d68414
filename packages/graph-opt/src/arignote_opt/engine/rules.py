"""Rules: a node rule looks at one node and may propose replacements; a graph rule rewrites a whole graph.

A node rule says which nodes it *tracks* (index keys: op classes, or refined keys such as a tensor op's scalar
op), so the walker offers it only nodes it can apply to. It returns what should replace the node's outputs:

- ``None`` (or an empty result): the rule does not apply;
- a variable: the replacement of the node's single output;
- a sequence, one entry per output of the node (``None`` keeps that output);
- a mapping from variables of the graph to their replacements.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any

from arignote_core import Apply, FunctionGraph, Op, Variable

from .hooks import index_key

#: What a node rule returns (see the module docstring).
Replacement = Variable | Sequence[Variable | None] | Mapping[Variable, Variable] | None
NodeTransform = Callable[[FunctionGraph, Apply], Replacement]


class Rule:
    """A local rewrite with a name, tags, and the index keys of the nodes it can apply to (None: every node)."""

    #: when True, a proposal whose type does not fit is silently dropped instead of being reported as a bug
    #: (patterns are written without dtypes, so ``log(1 + x) -> log1p(x)`` may not fit a bool ``x``).
    quiet_type_mismatch: bool = False

    def __init__(self, name: str, tracks: Iterable[Op | type | Hashable] | None, tags: Iterable[str] = ()) -> None:
        self.name = name
        self.tracks: tuple[Hashable, ...] | None = None if tracks is None else tuple(_as_key(t) for t in tracks)
        self.tags = frozenset(tags)

    def transform(self, fgraph: FunctionGraph, node: Apply) -> Replacement:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name!r})"


def _as_key(track: Op | type | Hashable) -> Hashable:
    return index_key(track) if isinstance(track, Op | type) else track


class NodeRule(Rule):
    """A node rule written as a Python function ``fn(fgraph, node) -> replacement``."""

    def __init__(self, fn: NodeTransform, name: str, tracks: Iterable[Any] | None, tags: Iterable[str] = ()) -> None:
        super().__init__(name, tracks, tags)
        self.fn = fn
        self.__doc__ = fn.__doc__

    def transform(self, fgraph: FunctionGraph, node: Apply) -> Replacement:
        return self.fn(fgraph, node)


class MethodRule(Rule):
    """The fallback for user-defined ops: the op's own method (``op.<method>(fgraph, node)``) used as a rule."""

    def __init__(self, op_class: type, method: str) -> None:
        super().__init__(f"{op_class.__name__}.{method}", (op_class,), ("op-method",))
        self.method = method

    def transform(self, fgraph: FunctionGraph, node: Apply) -> Replacement:
        return getattr(node.op, self.method)(fgraph, node)


class GraphRule:
    """A rewrite of a whole graph (fusion, planning): ``fn(fgraph) -> number of changes made``."""

    def __init__(self, fn: Callable[[FunctionGraph], int], name: str, tags: Iterable[str] = ()) -> None:
        self.fn = fn
        self.name = name
        self.tags = frozenset(tags)
        self.__doc__ = fn.__doc__

    def __call__(self, fgraph: FunctionGraph) -> int:
        return self.fn(fgraph)

    def __repr__(self) -> str:
        return f"GraphRule({self.name!r})"


def node_rule(*tracks: Any, name: str | None = None, tags: Iterable[str] = ()) -> Callable[[NodeTransform], NodeRule]:
    """Decorator making a node rule of ``fn(fgraph, node)``; ``tracks`` are ops or op classes (none: every node)."""

    def wrap(fn: NodeTransform) -> NodeRule:
        return NodeRule(fn, name or fn.__name__, tracks or None, tags)

    return wrap


def graph_rule(name: str | None = None, tags: Iterable[str] = ()) -> Callable[[Callable[[FunctionGraph], int]],
                                                                           GraphRule]:
    """Decorator making a graph rule of ``fn(fgraph) -> number of changes``."""

    def wrap(fn: Callable[[FunctionGraph], int]) -> GraphRule:
        return GraphRule(fn, name or fn.__name__, tags)

    return wrap


def as_pairs(node: Apply, result: Replacement, rule_name: str) -> list[tuple[Variable, Variable]]:
    """A rule's result as (old, new) pairs, dropping entries that change nothing."""
    if result is None:
        return []
    if isinstance(result, Variable):
        if len(node.outputs) != 1:
            raise TypeError(f"rule {rule_name} returned one variable for {node.op}, which has "
                            f"{len(node.outputs)} outputs; return one entry per output")
        pairs = [(node.outputs[0], result)]
    elif isinstance(result, Mapping):
        pairs = list(result.items())
    else:
        result = list(result)
        if len(result) != len(node.outputs):
            raise TypeError(f"rule {rule_name} returned {len(result)} replacements for {node.op}, which has "
                            f"{len(node.outputs)} outputs")
        pairs = [(old, new) for old, new in zip(node.outputs, result, strict=True) if new is not None]
    for old, new in pairs:
        if not isinstance(new, Variable):
            raise TypeError(f"rule {rule_name} proposed {new!r} (a {type(new).__name__}) to replace {old}; "
                            "a replacement must be a symbolic variable")
    return [(old, new) for old, new in pairs if old is not new]
