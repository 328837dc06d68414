"""What a rewrite run did: rules fired and their cost, phases, failures. ``explain`` prints it."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

from arignote_core import Apply, SourceLocation


class RewriteWarning(UserWarning):
    """A rule failed, proposed an ill-typed replacement, or took part in a cycle (non-strict runs go on)."""


class RewriteError(RuntimeError):
    """The strict-mode form of a :class:`RewriteWarning`."""


@dataclass
class RuleStats:
    """One rule over a run: how often it was tried and fired, and the seconds spent in it."""

    tried: int = 0
    fired: int = 0
    seconds: float = 0.0
    failures: int = 0


@dataclass
class PhaseStats:
    """One phase over a run."""

    name: str
    seconds: float = 0.0
    rewrites: int = 0
    nodes_before: int = 0
    nodes_after: int = 0


@dataclass(frozen=True)
class RuleFailure:
    """A rule that raised or misbehaved, on which node (and where the user created that node)."""

    rule: str
    node: str
    source: SourceLocation | None
    error: str

    def __str__(self) -> str:
        where = f"\n  the node was created at {self.source}" if self.source else ""
        return f"rule {self.rule} failed on {self.node}: {self.error}{where}"


@dataclass
class RewriteReport:
    """Statistics of a run, keyed by rule name, in the order rules first ran."""

    rules: dict[str, RuleStats] = field(default_factory=dict)
    phases: list[PhaseStats] = field(default_factory=list)
    failures: list[RuleFailure] = field(default_factory=list)

    def stats(self, rule: str) -> RuleStats:
        found = self.rules.get(rule)
        if found is None:
            found = self.rules[rule] = RuleStats()
        return found

    def fired(self) -> dict[str, int]:
        """Rules that changed the graph, with how often."""
        return {name: s.fired for name, s in self.rules.items() if s.fired}

    @property
    def seconds(self) -> float:
        return sum(p.seconds for p in self.phases)

    def fail(self, rule: str, node: Apply | None, error: str, strict: bool,
             cause: BaseException | None = None) -> None:
        """Record a failure; raise it in strict mode, warn otherwise."""
        failure = RuleFailure(rule, repr(node) if node is not None else "the graph",
                              node.source if node is not None else None, error)
        self.failures.append(failure)
        self.stats(rule).failures += 1
        if strict:
            raise RewriteError(str(failure)) from cause
        warnings.warn(str(failure), RewriteWarning, stacklevel=4)

    def format(self) -> str:
        """A table of phases and of the rules that were tried, most expensive first."""
        lines = [f"rewrite: {self.seconds * 1e3:.2f} ms in {len(self.phases)} phases"]
        lines.append(f"  {'phase':<22}{'ms':>10}{'rewrites':>10}{'nodes before':>14}{'after':>8}")
        for p in self.phases:
            lines.append(f"  {p.name:<22}{p.seconds * 1e3:>10.2f}{p.rewrites:>10}{p.nodes_before:>14}"
                         f"{p.nodes_after:>8}")
        lines.append(f"  {'rule':<34}{'fired':>7}{'tried':>8}{'ms':>10}")
        ranked = sorted(self.rules.items(), key=lambda item: (-item[1].fired, -item[1].seconds))
        for name, s in ranked:
            failed = f"  ({s.failures} failed)" if s.failures else ""
            lines.append(f"  {name:<34}{s.fired:>7}{s.tried:>8}{s.seconds * 1e3:>10.3f}{failed}")
        for failure in self.failures:
            lines.append(f"  ! {failure}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format()
