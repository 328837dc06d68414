"""The rewriter: phases run in order on a FunctionGraph, in place. Usable as ``Mode(rewriter=...)``."""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from arignote_core import Apply, Constant, FunctionGraph, SharedVariable, Variable, graph_inputs, toposort
from arignote_core.sourceinfo import locations_assigned_by_caller

from .._version import __version__
from .merge import Merger
from .options import Phase, RewriteOptions
from .report import PhaseStats, RewriteReport
from .walker import Walker


@dataclass(frozen=True)
class Rewriter:
    """Which phases run, with which options. Calling it on a FunctionGraph rewrites the graph in place and
    returns a :class:`RewriteReport`."""

    phases: tuple[Phase, ...]
    options: RewriteOptions = field(default_factory=RewriteOptions)

    def __post_init__(self) -> None:
        object.__setattr__(self, "phases", tuple(self.phases))

    def __call__(self, fgraph: FunctionGraph) -> RewriteReport:
        report = RewriteReport()
        merger = Merger(fgraph)
        with _CollectorPaused():
            for phase in self.phases:
                run_phase(fgraph, phase, self.options, report, merger)
        return report

    def excluding(self, *names: str) -> Rewriter:
        """The same rewriter without the rules (or tags, or whole phases) named."""
        phases = tuple(p for p in self.phases if p.name not in names)
        return replace(self, phases=phases, options=self.options.with_(exclude=self.options.exclude | set(names)))

    def with_options(self, **changes: object) -> Rewriter:
        return replace(self, options=self.options.with_(**changes))

    def phase_names(self) -> list[str]:
        return [p.name for p in self.phases]

    def fingerprint(self) -> str:
        """A stable text naming every phase, rule and option this rewriter runs with: what a compilation cache
        key needs from it (two rewriters with equal fingerprints rewrite equal graphs equally)."""
        o = self.options
        parts = [f"arignote-graph-opt {__version__}", f"strict={o.strict} exclude={sorted(o.exclude)} "
                 f"max_repeats={o.max_repeats} budget={o.budget}"]
        for phase in self.phases:
            sets = [f"{rs.name}[{','.join(rs.names())}]" for rs in phase.rule_sets]
            again = [f"{rs.name}[{','.join(rs.names())}]" for rs in phase.revisit]
            parts.append(f"{phase.name} fixpoint={phase.fixpoint} merge={phase.merge} {' '.join(sets)} "
                         f"revisit {' '.join(again)}")
        return "\n".join(parts)


class _CollectorPaused:
    """Pause Python's cyclic garbage collector during a run: nodes and variables point at each other, so a
    rewrite makes many cycles, and the collector's passes over a large heap would make rewriting time grow
    faster than the graph. What the rewrite discarded is collected when the collector next runs."""

    def __enter__(self) -> None:
        self.was_enabled = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc_info: object) -> None:
        if self.was_enabled:
            gc.enable()


def run_phase(fgraph: FunctionGraph, phase: Phase, options: RewriteOptions, report: RewriteReport,
              merger: Merger | None = None) -> PhaseStats:
    """Run one phase: its node rules (walker), then its graph rules in order; ``merger`` carries the merge
    table from phase to phase."""
    stats = PhaseStats(phase.name, nodes_before=len(fgraph.apply_nodes))
    report.phases.append(stats)
    start = time.perf_counter()
    if any(rs.node_rules or rs.method for rs in phase.rule_sets + phase.revisit) or phase.merge:
        with locations_assigned_by_caller():  # each replacement takes the location of the node it replaces
            stats.rewrites += Walker(fgraph, phase, options, report, merger).run()
    for rule_set in phase.rule_sets:
        for rule in rule_set.graph_rules:
            if not options.enabled(rule):
                continue
            rule_stats = report.stats(rule.name)
            rule_stats.tried += 1
            rule_start = time.perf_counter()
            try:
                changes = int(rule(fgraph))
            except Exception as exc:
                report.fail(rule.name, None, f"{type(exc).__name__}: {exc}", options.strict, exc)
                changes = 0
            rule_stats.seconds += time.perf_counter() - rule_start
            rule_stats.fired += changes
            stats.rewrites += changes
    stats.seconds = time.perf_counter() - start
    stats.nodes_after = len(fgraph.apply_nodes)
    return stats


def copy_graph(outputs: Sequence[Variable]) -> list[Variable]:
    """A private copy of the nodes computing ``outputs`` (same inputs, constants and shared variables), so
    that rewriting it in place leaves the caller's graph untouched."""
    memo: dict[Variable, Variable] = {}
    for node in toposort(outputs):
        inputs = [memo.get(v, v) for v in node.inputs]
        copy = Apply(node.op, inputs, [o.type for o in node.outputs], node.source)
        for old, new in zip(node.outputs, copy.outputs, strict=True):
            new.name = old.name
            memo[old] = new
    return [memo.get(o, o) for o in outputs]


def graph_of(outputs: Iterable[Variable]) -> FunctionGraph:
    """A FunctionGraph over a private copy of ``outputs``, whose inputs are their free variables (neither
    constants nor shared variables), so the rewritten outputs are functions of the caller's own inputs."""
    outputs = copy_graph(list(outputs))
    inputs = [v for v in graph_inputs(outputs) if not isinstance(v, Constant | SharedVariable)]
    return FunctionGraph(inputs, outputs, clone=False)
