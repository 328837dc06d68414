"""Running a phase's node rules: one pass over the graph, or a worklist until nothing changes.

The fixpoint walker listens to the graph (``FunctionGraph.attach``): a node that appears or whose input changes
goes back on the worklist with its clients, so a local rewrite costs work proportional to what it changed and
rewriting time grows linearly with the graph. Two guards stop runaway rules. Each node a rewrite creates
remembers the computations (op and inputs) rewritten on the way to it; a rule about to rewrite a computation
that is among its node's own ancestors in that sense is undoing and redoing work, and after ``max_repeats``
such rewrites it is stopped as a cycle. And a phase stops after ``budget`` rewrites per node.
"""

from __future__ import annotations

import time
from typing import Any

from arignote_core import Apply, FunctionGraph, Variable

from .merge import Merger
from .options import Phase, RewriteOptions
from .replace import replace_all
from .report import RewriteReport
from .rules import Rule, as_pairs


class Walker:
    """Applies the node rules of one phase to one graph."""

    def __init__(self, fgraph: FunctionGraph, phase: Phase, options: RewriteOptions, report: RewriteReport,
                 merger: Merger | None = None) -> None:
        self.fgraph = fgraph
        self.phase = phase
        self.options = options
        self.report = report
        self.merger = (merger or Merger(fgraph)) if phase.merge else None
        self.stack: list[Apply] = []
        self.queued: set[Apply] = set()
        self.changed: set[Apply] = set()
        self.lineage: dict[Apply, frozenset[tuple[Any, ...]]] = {}
        self.history: dict[tuple[Any, ...], int] = {}
        self.failed: set[tuple[str, Apply]] = set()
        self.rewrites = 0
        self._rules: dict[tuple[int, bool], tuple[Any, tuple[Rule, ...]]] = {}

    # -- listener callbacks ----------------------------------------------------------------------------------

    def on_import(self, fgraph: FunctionGraph, node: Apply) -> None:
        self._push(node)

    def on_prune(self, fgraph: FunctionGraph, node: Apply) -> None:
        pass

    def on_change_input(self, fgraph: FunctionGraph, client: Apply | str, i: int, old: Variable,
                        new: Variable) -> None:
        if isinstance(client, Apply):
            self._push(client)
            for out in client.outputs:
                for user, _ in fgraph.clients.get(out, ()):
                    if isinstance(user, Apply):
                        self._push(user)

    def _push(self, node: Apply) -> None:
        self.changed.add(node)
        if node not in self.queued:
            self.queued.add(node)
            self.stack.append(node)

    # -- running ---------------------------------------------------------------------------------------------

    def rules_for(self, node: Apply) -> tuple[Rule, ...]:
        """The enabled rules of the phase for ``node`` (with the revisit sets when it changed in this phase).
        Cached per op object; the cache holds the op, so its id cannot be reused while the walker lives."""
        changed = node in self.changed
        key = (id(node.op), changed)
        found = self._rules.get(key)
        if found is None:
            seen: dict[str, Rule] = {}
            for rule_set in self.phase.rule_sets + (self.phase.revisit if changed else ()):
                for rule in rule_set.rules_for(node.op):
                    if self.options.enabled(rule):
                        seen.setdefault(rule.name, rule)
            found = self._rules[key] = (node.op, tuple(seen.values()))
        return found[1]

    def run(self) -> int:
        """Rewrite until done; returns the number of rewrites."""
        fgraph = self.fgraph
        order = fgraph.toposort()
        limit = self.options.budget * (len(order) + 10)
        if not self.phase.fixpoint:
            for node in order:
                if node in fgraph.apply_nodes:
                    self._visit(node)
            return self.rewrites
        self.stack = order[::-1]
        self.queued = set(order)
        fgraph.attach(self)
        try:
            self._sweep(limit, len(order))
        finally:
            fgraph.detach(self)
        return self.rewrites

    def _sweep(self, limit: float, size: int) -> None:
        fgraph = self.fgraph
        first_sweep = self.merger is not None and not self.merger.primed
        try:
            while self.stack:
                node = self.stack.pop()
                self.queued.discard(node)
                if node in fgraph.apply_nodes:
                    self._visit(node)
                if self.rewrites > limit:
                    self.report.fail(f"phase {self.phase.name}", None, f"stopped after {self.rewrites} rewrites of "
                                     f"a graph of {size} nodes: some rules keep rewriting each other's results",
                                     self.options.strict)
                    break
        finally:
            if first_sweep:
                assert self.merger is not None  # first_sweep says so
                self.merger.primed = True

    def _visit(self, node: Apply) -> None:
        merger = self.merger
        if merger is not None and (not merger.primed or node in self.changed) and merger.visit(node):
            self.rewrites += 1
            self.report.stats("merge").fired += 1
            return
        for rule in self.rules_for(node):
            if node not in self.fgraph.apply_nodes:
                return
            if self._try(rule, node):
                return

    def _try(self, rule: Rule, node: Apply) -> bool:
        if (rule.name, node) in self.failed:
            return False
        report, options = self.report, self.options
        stats = report.stats(rule.name)
        stats.tried += 1
        start = time.perf_counter()
        try:
            try:
                pairs = as_pairs(node, rule.transform(self.fgraph, node), rule.name)
            except Exception as exc:
                self.failed.add((rule.name, node))
                report.fail(rule.name, node, f"{type(exc).__name__}: {exc}", options.strict, exc)
                return False
            if not pairs:
                return False
            if rule.quiet_type_mismatch:
                pairs = [(old, new) for old, new in pairs if old.type.is_compatible(new.type)]
                if not pairs:
                    return False
            key = _computation(node)
            if not self._guard(rule, node, key):
                return False
            try:
                added = replace_all(self.fgraph, pairs, node, rule.name)
            except (TypeError, ValueError) as exc:
                self.failed.add((rule.name, node))
                report.fail(rule.name, node, str(exc), options.strict, exc)
                return False
            if self.merger is not None:
                self.merger.remember(node, pairs)
            if key is not None and added:
                lineage = self.lineage.get(node, frozenset()) | {key}
                for new in added:
                    self.lineage[new] = lineage
            stats.fired += 1
            self.rewrites += 1
            return True
        finally:
            stats.seconds += time.perf_counter() - start

    def _guard(self, rule: Rule, node: Apply, key: tuple[Any, ...] | None) -> bool:
        """False (and a report, once) when ``rule`` keeps rewriting a computation its own results recreate."""
        if key is None or key not in self.lineage.get(node, ()):
            return True
        count = self.history[(rule.name, key)] = self.history.get((rule.name, key), 0) + 1
        if count <= self.options.max_repeats:
            return True
        if count == self.options.max_repeats + 1:
            self.report.fail(rule.name, node, f"rewrote a computation its own results recreated {count} times: it "
                             "is in a cycle with another rule that recreates what it replaces", self.options.strict)
        return False


def _computation(node: Apply) -> tuple[Any, ...] | None:
    """What a node computes (op and inputs), or None for an op without a hash."""
    key = (node.op, tuple(node.inputs))
    try:
        hash(key)
    except TypeError:
        return None
    return key
