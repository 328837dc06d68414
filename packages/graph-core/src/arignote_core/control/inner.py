"""What every op with an inner graph shares: the graph it owns, running it on values, and its errors.

An op with an inner graph (``OpFromGraph``, ``IfElse``) owns a copy of a graph, a :class:`InnerGraph` whose
inputs are variables of its own (never the caller's, never shared variables: the node passes every value in).
It runs that graph with the reference evaluator, built on first use and kept. Such an op is equal only to itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np

from ..evaluator import ReferenceProgram, raise_with_context
from ..fgraph import FunctionGraph, MissingInputError
from ..graph import Apply, Constant, Op, Variable, clone_replace, graph_inputs
from ..sourceinfo import SourceLocation, user_location
from ..tensors.basic import constant
from ..tensors.shape_inference import Dim, infer_shapes


def free_variables(outputs: Iterable[Variable], stop_at: Iterable[Variable] = ()) -> list[Variable]:
    """What a graph computing ``outputs`` must be given, in first-seen order: the variables of ``stop_at`` it
    reaches and the roots it depends on (inputs, shared variables); constants stay in the graph."""
    return [v for v in graph_inputs(outputs, stop_at) if not isinstance(v, Constant)]


class InnerGraph:
    """A copy of the graph from ``inputs`` to ``outputs``, with fresh variables for the inputs.

    Shared variables among ``inputs`` become plain inputs too: the node that runs the graph passes their values.
    """

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable]) -> None:
        fresh = {v: v.type.make_variable(name=v.name) for v in inputs}
        if len(fresh) != len(inputs):
            raise ValueError(f"an inner graph's inputs must be distinct, got {list(inputs)}")
        cloned, _ = clone_replace(list(outputs), fresh)
        given = set(fresh.values())
        missing = [v for v in free_variables(cloned) if v not in given]
        if missing:
            raise MissingInputError(f"an output depends on {missing[0]} ({missing[0].type}), which is not among "
                                    "the inputs")
        self.fgraph = FunctionGraph(list(fresh.values()), cloned, clone=False)
        self._program: ReferenceProgram | None = None

    @property
    def inputs(self) -> list[Variable]:
        return self.fgraph.inputs

    @property
    def outputs(self) -> list[Variable]:
        return self.fgraph.outputs

    def run(self, values: Sequence[Any]) -> list[Any]:
        """The outputs' values for the inputs' ``values`` (the reference program is built once, then kept)."""
        if self._program is None:
            self._program = ReferenceProgram(self.fgraph)
        return self._program(values)

    def expand(self, variables: Sequence[Variable], outer_inputs: Sequence[Variable]) -> list[Variable]:
        """``variables`` of this graph (its outputs, or expressions built on them) rebuilt on ``outer_inputs``
        in place of its inputs: the graph inlined."""
        replaced, _ = clone_replace(list(variables), dict(zip(self.inputs, outer_inputs, strict=True)))
        return replaced

    def output_shapes(self, outer_inputs: Sequence[Variable]) -> list[tuple[Dim, ...]]:
        """The outputs' shapes (ints and int scalar variables) in terms of ``outer_inputs``, by shape inference
        on the inner graph: where an inner op cannot infer its shape, the expression computes that op."""
        shapes = infer_shapes(list(self.outputs))
        per_output = [shapes[o] for o in self.outputs]
        symbolic = [d for shape in per_output for d in shape if isinstance(d, Variable)]
        rebuilt = iter(self.expand(symbolic, outer_inputs))
        return [tuple(next(rebuilt) if isinstance(d, Variable) else d for d in shape) for shape in per_output]

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "_program": None}  # the program is rebuilt on first use


#: How an op with inner graphs has one run: ``run(graph, values) -> results``.
GraphRunner = Callable[[InnerGraph, Sequence[Any]], list[Any]]


class InnerGraphOp(Op):
    """An op computing its outputs with inner graphs; equal only to itself (its graphs make it what it is).

    ``source`` is the user's line where the op was made, ``name`` an optional label for printing and errors.
    """

    name: str | None
    source: SourceLocation | None

    def __init__(self, name: str | None) -> None:
        if name is not None and not isinstance(name, str):
            raise TypeError(f"name must be a string or None, got {type(name).__name__}")
        self.name = name
        self.source = user_location()

    @property
    def inner_graphs(self) -> list[tuple[str, InnerGraph]]:
        """The op's inner graphs with a label each (printing shows them)."""
        raise NotImplementedError

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        return self.evaluate(node, inputs, InnerGraph.run)

    def evaluate(self, node: Apply, inputs: Sequence[Any], run: GraphRunner) -> Sequence[Any]:
        """The node's outputs, each inner graph run by ``run(graph, values)``: the reference evaluator in
        ``perform``, a backend's compiled program where it compiles the inner graphs itself."""
        raise NotImplementedError

    def fit_input(self, k: int, value: Any, inner: Variable) -> Variable:
        """``value`` (a tensor, or data) as input ``k`` of a node of this op, whose inner input is ``inner``:
        of the same dtype and number of dimensions, and stated to have the static sizes ``inner`` has."""
        if not isinstance(value, Variable) or isinstance(value, Constant) and value.weak:
            data = np.asarray(value.data).item() if isinstance(value, Constant) else value  # a number is weak
            try:
                return constant(inner.type.filter(data))
            except TypeError as exc:
                raise TypeError(f"{self}: input {k}: {exc}") from None
        if not inner.type.is_compatible(value.type):
            raise TypeError(f"{self}: input {k} ({value}) has type {value.type}, expected {inner.type} (the same "
                            "dtype and number of dimensions, and no other static size)")
        return inner.type.refine(value)

    def run_inner(self, graph: InnerGraph, values: Sequence[Any], run: GraphRunner, label: str = "") -> list[Any]:
        """``graph`` run on ``values`` by ``run``, an error naming this op, the graph and the line that made the
        op; the results own their memory (none is an input, a constant or another result)."""
        try:
            results = run(graph, values)
        except Exception as exc:
            which = f"the {label} graph" if label else "the inner graph"
            where = f" (made at {self.source.short()}: {self.source.line})" if self.source else ""
            raise_with_context(exc, f"inside {which} of {self}{where}")
        return independent(results, values)


def independent(results: Sequence[Any], inputs: Sequence[Any]) -> list[Any]:
    """``results`` with a copy of each one that shares memory with an input or an earlier result, or that is
    read-only (a constant's value): a node's outputs are new buffers that a backend may write into."""
    owned: list[Any] = []
    for r in results:
        if isinstance(r, np.ndarray) and (not r.flags.writeable or any(
                isinstance(x, np.ndarray) and np.may_share_memory(r, x) for x in (*inputs, *owned))):
            r = r.copy()
        owned.append(r)
    return owned
