"""Shared test helpers: evaluate a graph with the reference evaluator before and after rewriting."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import arignote_core as ac
from arignote_core.evaluator import ReferenceProgram
from arignote_opt import Rewriter, RewriteReport, standard_rewriter

STRICT = standard_rewriter(strict=True)
TOLERANCE = {"float16": 1e-2, "float32": 2e-5, "complex64": 2e-5, "float64": 1e-12, "complex128": 1e-12}


def evaluate(fgraph: ac.FunctionGraph, values: Sequence[Any]) -> list[np.ndarray]:
    with np.errstate(all="ignore"):
        return ReferenceProgram(fgraph)(list(values))


def rewrite(outputs: Sequence[ac.Variable], inputs: Sequence[ac.Variable], rewriter: Rewriter = STRICT) \
        -> tuple[ac.FunctionGraph, RewriteReport]:
    fgraph = ac.FunctionGraph(list(inputs), list(outputs))
    return fgraph, rewriter(fgraph)


def check(outputs: Sequence[ac.Variable] | ac.Variable, inputs: Sequence[ac.Variable], values: Sequence[Any],
          rewriter: Rewriter = STRICT, rtol: float | None = None, atol: float | None = None) \
        -> tuple[ac.FunctionGraph, RewriteReport]:
    """Rewrite, then assert the rewritten graph computes what the original does (dtype, shape, values)."""
    outputs = [outputs] if isinstance(outputs, ac.Variable) else list(outputs)
    before = evaluate(ac.FunctionGraph(list(inputs), outputs), values)
    fgraph, report = rewrite(outputs, inputs, rewriter)
    after = evaluate(fgraph, values)
    for old, new in zip(before, after, strict=True):
        assert new.dtype == old.dtype, (new.dtype, old.dtype)
        assert new.shape == old.shape, (new.shape, old.shape)
        default = TOLERANCE.get(np.dtype(old.dtype).name, 0.0)
        np.testing.assert_allclose(new, old, rtol=default if rtol is None else rtol,
                                   atol=default if atol is None else atol, equal_nan=True)
    return fgraph, report


def ops(fgraph: ac.FunctionGraph) -> list[str]:
    """The ops of the graph, printed, in topological order."""
    return [str(node.op) for node in fgraph.toposort()]


def op_types(fgraph: ac.FunctionGraph) -> list[type]:
    return [type(node.op) for node in fgraph.toposort()]


def sample(dtype: str, shape: tuple[int, ...], rng: np.random.Generator, low: float = -2.0, high: float = 2.0) \
        -> np.ndarray:
    if np.dtype(dtype).kind in "iu":
        return rng.integers(max(int(low), 0 if np.dtype(dtype).kind == "u" else -5), 6, shape).astype(dtype)
    return rng.uniform(low, high, shape).astype(dtype)


def only(*rule_sets: Any, fixpoint: bool = True, fast_math: bool = False) -> Rewriter:
    """A strict rewriter running just ``rule_sets`` (one phase), to test rules in isolation; the rules of IEEE
    semantics, or with ``fast_math`` their variants that assume finite values."""
    from arignote_opt import Phase, RewriteOptions

    rewriter = Rewriter([Phase("test", tuple(rule_sets), fixpoint=fixpoint)], RewriteOptions(strict=True))
    return rewriter.excluding("ieee" if fast_math else "fast_math")


def fired(report: RewriteReport, rule: str) -> int:
    return report.fired().get(rule, 0)


def assert_rule(rule: str, fires: bool, outputs: Any, inputs: Sequence[ac.Variable], values: Sequence[Any],
                rewriter: Rewriter = STRICT, **tolerance: Any) -> tuple[ac.FunctionGraph, RewriteReport]:
    """Values equal before and after, and ``rule`` fired (or did not)."""
    fgraph, report = check(outputs, inputs, values, rewriter, **tolerance)
    assert (fired(report, rule) > 0) == fires, report.format()
    return fgraph, report
