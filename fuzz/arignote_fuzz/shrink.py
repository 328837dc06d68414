"""Shrinking a failing case to a small one with the same finding (mode and class): fewer calls, outputs and
updates, nodes bypassed or cut into inputs holding their NumPy values, smaller dimensions, simpler values and
layouts. Greedy passes, each kept only if the finding is still there, until a pass changes nothing or the time
budget is spent."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import replace

import numpy as np

from .compare import BUILD, Oracle, Verdict, judge
from .ir import Case, Graph, Input, Value
from .oracle import evaluate
from .worker import Worker

Candidates = Callable[[Case], Iterator[Case]]


class Shrinker:
    """Shrinks cases against one mode (the cheapest that shows the finding) with ``worker``."""

    def __init__(self, worker: Worker, timeout: float) -> None:
        self.worker = worker
        self.timeout = timeout
        self.seconds = 0.0

    def reproduces(self, case: Case, mode: str, kind: str) -> bool:
        try:
            oracle = Oracle(case)
        except Exception:  # noqa: BLE001 (a candidate the twin cannot even evaluate)
            return False
        verdict = Verdict()
        judge(case, oracle, self.worker.run(case, "reference" if mode == BUILD else mode, self.timeout), verdict)
        return any(f.mode == mode and f.kind == kind for f in verdict.findings)

    def shrink(self, case: Case, mode: str, kind: str, seconds: float) -> Case:
        start = time.monotonic()
        try:
            return self._shrink(case, mode, kind, start + seconds)
        finally:
            self.seconds += time.monotonic() - start

    def _shrink(self, case: Case, mode: str, kind: str, deadline: float) -> Case:
        passes: list[Candidates] = [_fewer_calls, _fewer_outputs, _bypass_nodes, _cut_nodes, _smaller_dims,
                                    _simpler_inputs, _simpler_values]
        progress = True
        while progress and time.monotonic() < deadline:
            progress = False
            for candidates in passes:
                for candidate in candidates(case):
                    if time.monotonic() >= deadline:
                        return case
                    if _size(candidate) < _size(case) and self.reproduces(candidate, mode, kind):
                        case, progress = candidate, True
                        break
        return case


def _size(case: Case) -> tuple[int, ...]:
    """What shrinking makes smaller, most important first."""
    g = case.graph
    elements = sum(v.data.size for call in case.calls for v in call.values()) + sum(
        v.size for v in case.shared_values.values())
    simple = sum(_complexity(v.data) for call in case.calls for v in call.values()) + sum(
        _complexity(v) for v in case.shared_values.values())
    layouts = sum(v.layout != "c" for call in case.calls for v in call.values())
    static = sum(s is not None for i in g.inputs if not i.shared for s in i.static)
    return (len(g.nodes), len(case.calls), len(g.outputs) + len(g.updates), elements, len(g.inputs), simple,
            layouts, static, int(case.grad_output is not None), int(g.givens))


def _complexity(data: np.ndarray) -> int:
    """How far the values are from zeros and ones: distinct values, then non-integral ones."""
    if data.dtype.kind != "f":
        return int(np.count_nonzero((data != 0) & (data != 1)))
    with np.errstate(all="ignore"):
        return int(np.count_nonzero((data != 0) & (data != 1))) + int(np.count_nonzero(data != np.round(data)))


def _valid(case: Case) -> Case:
    """The case with its graph pruned and the calls and shared values it no longer uses dropped."""
    graph = case.graph.pruned()
    used = {i.name for i in graph.inputs}
    grad = case.grad_output if case.grad_output in graph.outputs else None
    return replace(case, graph=graph, calls=tuple({n: v for n, v in c.items() if n in used} for c in case.calls),
                   shared_values={n: v for n, v in case.shared_values.items() if n in used}, grad_output=grad)


def _fewer_calls(case: Case) -> Iterator[Case]:
    for index in range(len(case.calls)):
        if len(case.calls) > 1:
            yield replace(case, calls=case.calls[:index] + case.calls[index + 1:])


def _fewer_outputs(case: Case) -> Iterator[Case]:
    g = case.graph
    if case.grad_output is not None:
        yield replace(case, grad_output=None)
    for update in g.updates:
        yield _valid(replace(case, graph=replace(g, updates=tuple(u for u in g.updates if u != update))))
    for output in g.outputs:
        if len(g.outputs) > 1 and output != case.grad_output:
            yield _valid(replace(case, graph=replace(g, outputs=tuple(o for o in g.outputs if o != output))))


def _renamed(graph: Graph, old: str, new: str) -> Graph:
    """The graph with every use of ``old`` reading ``new`` (``old`` then becomes dead)."""
    mapping = {old: new}
    return replace(graph, nodes=tuple(n.renamed(mapping) for n in graph.nodes),
                   outputs=tuple(dict.fromkeys(mapping.get(o, o) for o in graph.outputs)),
                   updates=tuple((t, mapping.get(e, e)) for t, e in graph.updates))


def _bypass_nodes(case: Case) -> Iterator[Case]:
    """A node replaced by one of its arguments."""
    for node in reversed(case.graph.nodes):
        for arg in dict.fromkeys(node.args):
            yield _valid(replace(case, graph=_renamed(case.graph, node.name, arg),
                                 grad_output=arg if case.grad_output == node.name else case.grad_output))


def _cut_nodes(case: Case) -> Iterator[Case]:
    """A node replaced by an input holding its NumPy value in each call (in C order)."""
    calls = evaluate(case)
    for node in reversed(case.graph.nodes):
        if any(c.failure is not None or node.name not in c.values for c in calls):
            continue
        values = [np.array(c.values[node.name], order="C", copy=True) for c in calls]
        if len({v.dtype for v in values}) != 1 or len({v.ndim for v in values}) != 1:
            continue
        g = case.graph
        cut = Input(node.name, values[0].dtype.name, (None,) * values[0].ndim)
        graph = replace(g, inputs=(*g.inputs, cut), nodes=tuple(n for n in g.nodes if n.name != node.name))
        yield _valid(replace(case, graph=graph, calls=tuple(
            {**call, node.name: Value(value)} for call, value in zip(case.calls, values, strict=True))))


def _smaller_dims(case: Case) -> Iterator[Case]:
    """Every explicit input's axes of one size in a call taken down to 1 or to half (their first elements)."""
    for index, call in enumerate(case.calls):
        sizes = sorted({s for v in call.values() for s in v.data.shape if s > 1}, reverse=True)
        for size in sizes:
            for new in dict.fromkeys((1, size // 2)):
                def cut(data: np.ndarray, size: int = size, new: int = new) -> np.ndarray:
                    return data[tuple(slice(0, new) if s == size else slice(None) for s in data.shape)]

                calls = list(case.calls)
                calls[index] = {n: replace(v, data=cut(v.data)) for n, v in call.items()}
                graph = replace(case.graph, inputs=tuple(
                    replace(i, static=tuple(None if s == size else s for s in i.static)) if not i.shared else i
                    for i in case.graph.inputs))
                yield replace(case, graph=graph, calls=tuple(calls))


def _simpler_inputs(case: Case) -> Iterator[Case]:
    """C-order layouts, unknown static sizes, no givens."""
    if case.graph.givens:
        yield replace(case, graph=replace(case.graph, givens=False))
    for index, call in enumerate(case.calls):
        for name, value in call.items():
            if value.layout != "c":
                calls = list(case.calls)
                calls[index] = {**call, name: replace(value, layout="c")}
                yield replace(case, calls=tuple(calls))
    for position, i in enumerate(case.graph.inputs):
        if not i.shared and any(s is not None for s in i.static):
            inputs = list(case.graph.inputs)
            inputs[position] = replace(i, static=(None,) * len(i.static))
            yield replace(case, graph=replace(case.graph, inputs=tuple(inputs)))


def _simplified(data: np.ndarray) -> Iterator[np.ndarray]:
    """Zeros, ones, rounded values, then one element at a time set to 0 or 1."""
    data = np.asarray(data)
    kind = data.dtype.kind
    for fill in (0, 1):
        yield np.full_like(data, fill)
    if kind == "f":
        with np.errstate(all="ignore"):
            yield np.asarray(np.where(np.isfinite(data), np.round(data), data), dtype=data.dtype)
    if data.size <= 16:
        for index in np.ndindex(data.shape):
            for fill in (0, 1):
                if data[index] != fill:
                    simpler = data.copy()
                    simpler[index] = fill
                    yield simpler


def _simpler_values(case: Case) -> Iterator[Case]:
    for index, call in enumerate(case.calls):
        for name, value in call.items():
            for data in _simplified(value.data):
                calls = list(case.calls)
                calls[index] = {**call, name: replace(value, data=data)}
                yield replace(case, calls=tuple(calls))
    for name, data in case.shared_values.items():
        for simpler in _simplified(data):
            yield replace(case, shared_values={**case.shared_values, name: simpler})
