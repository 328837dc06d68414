"""``ifelse``: a lazy conditional (Theano's ``theano.ifelse.ifelse``), built as JAX's ``cond`` is.

``ifelse(c, then_branch, else_branch)`` is one ``IfElse`` node that holds each branch as an inner graph, from the
branch's expressions down to what the node is given: the roots they depend on, the variables both branches
compute (computed once, before the choice, since either branch needs them) and those the condition computes.
Running the node runs the condition's branch only, in every backend: ``ifelse(c > 0, cholesky(x), x)`` never
factors ``x`` when ``c <= 0``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..graph import Apply, Constant, Variable, ancestors
from ..tensors.basic import as_tensor, constant
from ..tensors.shape_inference import Dim
from ..tensors.type import TensorType
from .inner import GraphRunner, InnerGraph, InnerGraphOp, free_variables


class IfElse(InnerGraphOp):
    """The outputs of ``then_graph`` where the condition (the node's first input) is true, else those of
    ``else_graph``; the other inputs go to the graph that runs. Both graphs take inputs of the same types and give
    outputs of the same dtypes and numbers of dimensions; an output's static size is the one both give."""

    def __init__(self, then_graph: InnerGraph, else_graph: InnerGraph, name: str | None = None) -> None:
        super().__init__(name)
        then_types = [v.type for v in then_graph.inputs]
        else_types = [v.type for v in else_graph.inputs]
        if then_types != else_types:
            raise TypeError(f"{self}: the branches take inputs of types {then_types} and {else_types}; they must "
                            "take the same")
        if len(then_graph.outputs) != len(else_graph.outputs):
            raise ValueError(f"{self}: the then branch has {len(then_graph.outputs)} outputs, the else branch "
                             f"{len(else_graph.outputs)}; they must have as many")
        self.then_graph = then_graph
        self.else_graph = else_graph
        self.output_types = [merged_type(k, t, e) for k, (t, e) in enumerate(zip(then_graph.outputs,
                                                                                  else_graph.outputs, strict=True))]

    @property
    def inner_graphs(self) -> list[tuple[str, InnerGraph]]:
        return [("then", self.then_graph), ("else", self.else_graph)]

    def make_node(self, condition: Any, *inputs: Any) -> Apply:
        if len(inputs) != len(self.then_graph.inputs):
            raise TypeError(f"{self} takes a condition and {len(self.then_graph.inputs)} inputs, got {len(inputs)} "
                            "inputs")
        fitted = [self.fit_input(k + 1, value, inner) for k, (value, inner) in enumerate(zip(
            inputs, self.then_graph.inputs, strict=True))]
        return Apply(self, [as_condition(condition), *fitted], self.output_types)

    def evaluate(self, node: Apply, inputs: Sequence[Any], run: GraphRunner) -> Sequence[Any]:
        if inputs[0]:
            return self.run_inner(self.then_graph, inputs[1:], run, "then")
        return self.run_inner(self.else_graph, inputs[1:], run, "else")

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Dim, ...]]:
        """Each size the branches agree on, the others chosen by an ``ifelse`` of the branches' shapes (so that a
        shape computes no branch that is not taken)."""
        condition, inputs = node.inputs[0], node.inputs[1:]
        then_shapes = self.then_graph.output_shapes(inputs)
        else_shapes = self.else_graph.output_shapes(inputs)
        choices: list[tuple[Dim, Dim]] = []
        for out, t_shape, e_shape in zip(node.outputs, then_shapes, else_shapes, strict=True):
            choices += [(t, e) for size, t, e in zip(out.type.shape, t_shape, e_shape, strict=True)
                        if size is None and not _same_size(t, e)]
        if not choices:
            return then_shapes
        chosen = iter(ifelse(condition, [_int64(t) for t, _ in choices], [_int64(e) for _, e in choices]))
        return [tuple(size if size is not None else t if _same_size(t, e) else next(chosen)
                      for size, t, e in zip(out.type.shape, t_shape, e_shape, strict=True))
                for out, t_shape, e_shape in zip(node.outputs, then_shapes, else_shapes, strict=True)]

    def __str__(self) -> str:
        return f"IfElse{{{self.name}}}" if self.name else "IfElse"


def ifelse(condition: Any, then_branch: Any, else_branch: Any, name: str | None = None) -> Any:
    """``then_branch`` where the 0-d ``condition`` is true, else ``else_branch``, computing only that branch.

    The branches are a variable each, or lists of as many variables, pairwise of the same dtype and number of
    dimensions (a Python number takes the other branch's dtype). Returns a variable, or a list for lists.
    """
    thens, single = _branch(then_branch, "then_branch")
    elses, _ = _branch(else_branch, "else_branch")
    if len(thens) != len(elses):
        raise ValueError(f"ifelse: then_branch has {len(thens)} outputs, else_branch {len(elses)}; they must have "
                         "as many")
    pairs = [_paired(k, t, e) for k, (t, e) in enumerate(zip(thens, elses, strict=True))]
    thens, elses = [t for t, _ in pairs], [e for _, e in pairs]
    cond = as_condition(condition)
    computed_anyway = (set(ancestors(thens)) & set(ancestors(elses))) | set(ancestors([cond]))
    inputs = free_variables([*thens, *elses], stop_at=computed_anyway)
    op = IfElse(InnerGraph(inputs, thens), InnerGraph(inputs, elses), name)
    outputs = op.make_node(cond, *inputs).outputs
    return outputs[0] if single else outputs


def merged_type(k: int, then_out: Variable, else_out: Variable) -> TensorType:
    """The type of output ``k`` of an IfElse: the branches' dtype and number of dimensions, and the static sizes
    both branches know and agree on."""
    t, e = then_out.type, else_out.type
    if not isinstance(t, TensorType) or not isinstance(e, TensorType) or t.dtype != e.dtype or t.ndim != e.ndim:
        raise TypeError(f"ifelse: output {k}: the then branch gives {then_out} of type {t}, the else branch "
                        f"{else_out} of type {e}; both must have the same dtype and number of dimensions (cast one "
                        "of them)")
    return TensorType(t.dtype, [a if a == b else None for a, b in zip(t.shape, e.shape, strict=True)])


def as_condition(condition: Any) -> Variable:
    """``condition`` as a 0-d tensor (of any dtype: it is truth-tested)."""
    cond = as_tensor(condition)
    if cond.ndim != 0:
        raise TypeError(f"ifelse: the condition must be a scalar (0-d), got {cond} of type {cond.type}")
    return cond


def _branch(branch: Any, what: str) -> tuple[list[Variable], bool]:
    if isinstance(branch, list | tuple):
        if not branch:
            raise ValueError(f"ifelse: {what} is an empty list; give at least one variable")
        return [_as_output(v, f"{what}[{k}]") for k, v in enumerate(branch)], False
    return [_as_output(branch, what)], True


def _as_output(value: Any, what: str) -> Variable:
    try:
        return as_tensor(value)
    except TypeError as exc:
        raise TypeError(f"ifelse: {what}: {exc}") from None


def _paired(k: int, then_out: Variable, else_out: Variable) -> tuple[Variable, Variable]:
    """The two branches' output ``k``, a Python number (a weak constant) taking the other branch's dtype."""
    if _is_weak(then_out) and not _is_weak(else_out):
        then_out = _retyped(k, then_out, else_out)
    elif _is_weak(else_out) and not _is_weak(then_out):
        else_out = _retyped(k, else_out, then_out)
    return then_out, else_out


def _is_weak(var: Variable) -> bool:
    return isinstance(var, Constant) and var.weak


def _retyped(k: int, number: Variable, like: Variable) -> Variable:
    assert isinstance(number, Constant)
    try:
        return constant(TensorType(like.type.dtype, number.type.shape).filter(np.asarray(number.data).item()))
    except TypeError as exc:
        raise TypeError(f"ifelse: output {k}: {number} does not fit the other branch's dtype: {exc}") from None


def _same_size(t: Dim, e: Dim) -> bool:
    return t is e or isinstance(t, int) and isinstance(e, int) and t == e


def _int64(size: Dim) -> Variable:
    return constant(np.int64(size)) if isinstance(size, int) else as_tensor(size).astype("int64")
