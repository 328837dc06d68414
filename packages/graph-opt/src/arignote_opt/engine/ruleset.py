"""Named rule sets: node rules indexed by what they track, graph rules in order, and a pattern vocabulary.

A node meets only the rules filed under one of its keys (its op's classes and refined keys, see
:mod:`.hooks`) plus the rules that track every node, in registration order. An op class that no rule in the
set knows may still take part through a method: ``RuleSet("canonicalize", method="canonicalize")`` calls
``op.canonicalize(fgraph, node)`` for ops that define it.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from arignote_core import Op

from .hooks import node_keys
from .patterns import Builder, Node, PatternRule
from .rules import GraphRule, MethodRule, NodeRule, NodeTransform, Rule
from .syntax import parse_rule


class RuleSet:
    """Rules registered under one name (``canonicalize``, ``stabilize``, ...)."""

    def __init__(self, name: str, description: str = "", vocabulary: Mapping[str, Any] | None = None,
                 method: str | None = None) -> None:
        self.name = name
        self.description = description
        self.vocabulary: Mapping[str, Any] = vocabulary or {}
        self.method = method
        self.node_rules: list[Rule] = []
        self.graph_rules: list[GraphRule] = []
        self._rank: dict[int, int] = {}
        self._by_key: dict[Hashable, list[Rule]] = {}
        self._everywhere: list[Rule] = []
        self._cache: dict[tuple[Hashable, ...], tuple[Rule, ...]] = {}
        self._method_rules: dict[type, MethodRule | None] = {}

    # -- registration --------------------------------------------------------------------------------------

    def register(self, rule: Rule | GraphRule) -> Any:
        """Add ``rule`` (after the ones already there) and return it."""
        if rule.name in self.names():
            raise ValueError(f"rule set {self.name!r} already has a rule named {rule.name!r}")
        if isinstance(rule, GraphRule):
            self.graph_rules.append(rule)
            return rule
        self._rank[id(rule)] = len(self.node_rules)
        self.node_rules.append(rule)
        if rule.tracks is None:
            self._everywhere.append(rule)
        else:
            for key in rule.tracks:
                self._by_key.setdefault(key, []).append(rule)
        self._cache.clear()
        return rule

    def rule(self, pattern: Node, *, where: Callable[..., bool] | None = None, name: str | None = None,
             tags: Sequence[str] = ()) -> Callable[[Callable[..., Any]], PatternRule]:
        """Decorator: register ``fn(**bindings)`` as the replacement of what ``pattern`` matches (see
        :class:`.PatternRule`), named after the function. The one form of a structural rule::

            @CANONICALIZE.rule(Node(DimShuffle, Node(DimShuffle, Var("x"), op_as="inner"), op_as="outer"))
            def compose_dimshuffles(x, inner, outer): ...
        """

        def wrap(fn: Callable[..., Any]) -> PatternRule:
            return self.register(PatternRule(name or fn.__name__, pattern, fn, where, tags))

        return wrap

    def node_rule(self, *tracks: Any, name: str | None = None, tags: Iterable[str] = ()) \
            -> Callable[[NodeTransform], NodeRule]:
        """Decorator: register ``fn(fgraph, node)`` as a node rule tracking ``tracks`` (ops or op classes): for
        algorithms that look at a node as a whole (constant folding, canonical sums), not for structural
        rewrites, which :meth:`rule` writes as patterns."""

        def wrap(fn: NodeTransform) -> NodeRule:
            return self.register(NodeRule(fn, name or fn.__name__, tracks or None, tags))

        return wrap

    def graph_rule(self, name: str | None = None, tags: Iterable[str] = ()) \
            -> Callable[[Callable[..., int]], GraphRule]:
        """Decorator: register ``fn(fgraph) -> number of changes`` as a graph rule."""

        def wrap(fn: Callable[..., int]) -> GraphRule:
            return self.register(GraphRule(fn, name or fn.__name__, tags))

        return wrap

    def pattern(self, name: str, rule: str | Node, replacement: Builder | None = None, *,
                where: Callable[..., bool] | None = None, constraints: Mapping[str, Callable[[Any], bool]] | None
                = None, vocabulary: Mapping[str, Any] | None = None, tags: Sequence[str] = ()) -> PatternRule:
        """Register a pattern rule: ``pattern("log1p", "log(1 + x) -> log1p(x)")`` (text read with this set's
        vocabulary, or ``vocabulary``), or a :class:`Node` pattern and a replacement."""
        if isinstance(rule, str):
            if replacement is not None:
                raise TypeError(f"rule {name}: give either 'pattern -> replacement' text or a pattern and a "
                                "replacement, not both")
            pattern, replacement = parse_rule(rule, vocabulary or self.vocabulary, constraints)
        else:
            if replacement is None:
                raise TypeError(f"rule {name}: a pattern needs a replacement")
            pattern = rule
        return self.register(PatternRule(name, pattern, replacement, where, tags))

    # -- lookup ----------------------------------------------------------------------------------------------

    def rules_for(self, op: Op) -> tuple[Rule, ...]:
        """The node rules that may apply to a node of ``op``, in registration order (then the op's method)."""
        keys = node_keys(op)
        found = self._cache.get(keys)
        if found is None:
            candidates = {id(r): r for key in keys for r in self._by_key.get(key, ())}
            candidates.update((id(r), r) for r in self._everywhere)
            ordered = sorted(candidates.values(), key=lambda r: self._rank[id(r)])
            method_rule = self._method_rule(type(op))
            found = self._cache[keys] = tuple(ordered) + ((method_rule,) if method_rule else ())
        return found

    def _method_rule(self, op_class: type) -> MethodRule | None:
        if self.method is None:
            return None
        if op_class not in self._method_rules:
            has = callable(getattr(op_class, self.method, None))
            self._method_rules[op_class] = MethodRule(op_class, self.method) if has else None
        return self._method_rules[op_class]

    def names(self) -> list[str]:
        return [r.name for r in self.node_rules] + [r.name for r in self.graph_rules]

    def __iter__(self) -> Iterator[Rule | GraphRule]:
        yield from self.node_rules
        yield from self.graph_rules

    def __len__(self) -> int:
        return len(self.node_rules) + len(self.graph_rules)

    def __getitem__(self, name: str) -> Rule | GraphRule:
        for rule in self:
            if rule.name == name:
                return rule
        raise KeyError(f"rule set {self.name!r} has no rule named {name!r}")

    def __repr__(self) -> str:
        return f"RuleSet({self.name!r}, {len(self)} rules)"
