"""The user's entry points: ``optimize`` (rewritten outputs or graph) and ``explain`` (what rewriting did)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from arignote_core import FunctionGraph, Variable, dprint

from .engine import Rewriter, RewriteReport, graph_of


def standard_rewriter(*, strict: bool = False, exclude: Iterable[str] = (), fast_math: bool = False) -> Rewriter:
    """The standard tensor pipeline (canonicalize, stabilize, specialize, fuse); ``exclude`` names phases,
    rules or tags to leave out; ``fast_math`` lets rewrites assume finite values (``x - x`` is 0). Pass it as
    ``Mode(rewriter=standard_rewriter())``."""
    from .tensor import standard_rewriter as tensor_rewriter  # noqa: PLC0415  (the rule sets load when used)

    return tensor_rewriter(strict=strict, exclude=exclude, fast_math=fast_math)


def _configure(rewriter: Rewriter | None, strict: bool | None, exclude: Iterable[str]) -> Rewriter:
    exclude = tuple(exclude)
    if rewriter is None:
        return standard_rewriter(strict=bool(strict), exclude=exclude)
    if exclude:
        rewriter = rewriter.excluding(*exclude)
    if strict is not None:
        rewriter = rewriter.with_options(strict=strict)
    return rewriter


def _as_graph(target: Any) -> tuple[FunctionGraph, bool, bool]:
    """(graph, whether the caller gave a graph, whether they gave a single variable)."""
    if isinstance(target, FunctionGraph):
        return target, True, False
    if isinstance(target, Variable):
        return graph_of([target]), False, True
    outputs = list(target)
    for out in outputs:
        if not isinstance(out, Variable):
            raise TypeError(f"optimize takes symbolic variables or a FunctionGraph, got {type(out).__name__} {out!r}")
    return graph_of(outputs), False, False


def _result(fgraph: FunctionGraph, given_graph: bool, single: bool) -> Any:
    if given_graph:
        return fgraph
    return fgraph.outputs[0] if single else list(fgraph.outputs)


def optimize(target: Any, rewriter: Rewriter | None = None, *, strict: bool | None = None,
             exclude: Iterable[str] = ()) -> Any:
    """Rewrite ``target``: output variables (a variable or a list) give rewritten output variables, over the
    same inputs; a FunctionGraph is rewritten in place and returned. ``rewriter`` defaults to the standard
    tensor pipeline; ``strict`` makes a failing rule an error; ``exclude`` skips phases, rules or tags."""
    fgraph, given_graph, single = _as_graph(target)
    _configure(rewriter, strict, exclude)(fgraph)
    return _result(fgraph, given_graph, single)


@dataclass(frozen=True)
class Explanation:
    """What rewriting did to a graph: the report (rules fired, how often, time per rule and per phase) and the
    graph before and after (``dprint``)."""

    report: RewriteReport
    before: str
    after: str
    result: Any

    def __str__(self) -> str:
        return f"{self.report}\n\nbefore:\n{self.before}\nafter:\n{self.after}"


def explain(target: Any, rewriter: Rewriter | None = None, *, strict: bool | None = None,
            exclude: Iterable[str] = (), print_source: bool = False) -> Explanation:
    """Like :func:`optimize`, but returns an :class:`Explanation`; ``print(explain(y))`` shows it all."""
    fgraph, given_graph, single = _as_graph(target)
    before = dprint(fgraph, file=_Discard(), print_source=print_source)
    report = _configure(rewriter, strict, exclude)(fgraph)
    after = dprint(fgraph, file=_Discard(), print_source=print_source)
    return Explanation(report, before, after, _result(fgraph, given_graph, single))


class _Discard(io.StringIO):
    """A text stream that keeps nothing (dprint returns its text anyway)."""

    def write(self, text: str) -> int:
        return len(text)
