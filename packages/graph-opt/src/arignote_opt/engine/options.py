"""The options of one rewrite run and its phases, as explicit immutable objects."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from .ruleset import RuleSet


@dataclass(frozen=True)
class RewriteOptions:
    """How a run behaves.

    ``strict`` turns a failing rule, an ill-typed replacement or a rule cycle into an error (tests use it);
    otherwise they are reported (a ``RewriteWarning`` and an entry in the report) and rewriting goes on.
    ``exclude`` names rules or tags that are skipped. ``max_repeats`` is the ping-pong guard: how often one rule
    may rewrite the same computation (same op on the same inputs) before it counts as a cycle. ``budget`` bounds
    the rewrites of one phase to ``budget`` times the number of nodes (a safety net against runaway rules).
    """

    strict: bool = False
    exclude: frozenset[str] = frozenset()
    max_repeats: int = 3
    budget: float = 20.0

    def __init__(self, strict: bool = False, exclude: Iterable[str] = (), max_repeats: int = 3,
                 budget: float = 20.0) -> None:
        object.__setattr__(self, "strict", strict)
        object.__setattr__(self, "exclude", frozenset(exclude))
        object.__setattr__(self, "max_repeats", max_repeats)
        object.__setattr__(self, "budget", budget)

    def enabled(self, rule: Any) -> bool:
        """Whether ``rule`` runs: neither its name nor one of its tags is excluded."""
        return rule.name not in self.exclude and not (rule.tags & self.exclude)

    def with_(self, **changes: Any) -> RewriteOptions:
        return replace(self, **changes)


@dataclass(frozen=True)
class Phase:
    """One step of a pipeline: the rule sets it runs, to a fixpoint or in one pass, merging equal
    computations as it goes (``merge``). Node rules run first, then the sets' graph rules in order.

    ``revisit`` rule sets only see nodes that appear or change during the phase: rules an earlier phase has
    already applied everywhere (canonicalization after the canonicalize phase) need not sweep the graph again,
    yet still tidy up what this phase's rules create.
    """

    name: str
    rule_sets: tuple[RuleSet, ...] = field(default=())
    fixpoint: bool = True
    merge: bool = True
    revisit: tuple[RuleSet, ...] = field(default=())

    def __post_init__(self) -> None:
        object.__setattr__(self, "rule_sets", tuple(self.rule_sets))
        object.__setattr__(self, "revisit", tuple(self.revisit))
