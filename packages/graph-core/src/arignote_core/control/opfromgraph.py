"""``OpFromGraph``: a graph packaged as an op (PyTensor's ``pytensor.compile.builders.OpFromGraph``).

``op = OpFromGraph([x, y], [x * y + exp(x)])`` makes an op that computes the graph; ``op(a, b)`` applies it to
other variables. Shared variables the outputs use become implicit inputs of every node. Its derivative rules
(autograd-sym) differentiate the inner graph unless ``grad_overrides``/``lop_overrides``/``rop_overrides``
give them. ``inline=True`` marks the op for the compiler to replace each node by its graph (``expand``):
graph-opt's ``inline_op_from_graph`` does, in every mode that canonicalizes, so the other rewrites see through
it (its derivatives keep the mark).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Union

from ..fgraph import MissingInputError
from ..graph import Apply, Constant, Variable
from ..shared import SharedVariable
from ..tensors.shape_inference import Dim
from .inner import GraphRunner, InnerGraph, InnerGraphOp, free_variables

#: what an override may be: a function building the derivative, or an OpFromGraph computing it
Override = Union[Callable[..., Any], "OpFromGraph"]


class OpFromGraph(InnerGraphOp):
    """An op computing ``outputs`` from ``inputs``; see the module's documentation.

    ``grad_overrides``: ``f(inputs, output_grads) -> input_grads``, or an OpFromGraph taking the inputs then the
    output gradients. ``lop_overrides`` (instead of it): ``f(inputs, outputs, output_grads) -> input_grads``, or
    an OpFromGraph taking inputs, outputs and output gradients. ``rop_overrides``: ``f(inputs, eval_points) ->
    output_tangents``, or an OpFromGraph taking inputs then tangents. The inputs they are given include the
    implicit shared ones (after the explicit); they may return one gradient per explicit input only, which
    leaves the shared ones without. A missing gradient or tangent is None.
    """

    def __init__(self, inputs: Sequence[Variable], outputs: Variable | Sequence[Variable], inline: bool = False,
                 lop_overrides: Override | None = None, rop_overrides: Override | None = None,
                 grad_overrides: Override | None = None, name: str | None = None) -> None:
        super().__init__(name)
        self.inline = bool(inline)
        explicit = _checked_inputs(inputs)
        output_list = _checked_outputs(outputs)
        if lop_overrides is not None and grad_overrides is not None:
            raise ValueError("OpFromGraph takes lop_overrides or grad_overrides, not both")
        for what, override in (("lop_overrides", lop_overrides), ("rop_overrides", rop_overrides),
                               ("grad_overrides", grad_overrides)):
            if override is not None and not callable(override):
                raise TypeError(f"OpFromGraph: {what} must be a callable or an OpFromGraph, got "
                                f"{type(override).__name__}")
        implicit = [v for v in free_variables(output_list, stop_at=explicit) if v not in set(explicit)]
        unknown = [v for v in implicit if not isinstance(v, SharedVariable)]
        if unknown:
            raise MissingInputError(f"{self}: an output depends on {unknown[0]} ({unknown[0].type}), which is not "
                                    "among the inputs; list it in the inputs")
        self.shared_inputs: list[Variable] = implicit
        self.n_explicit = len(explicit)
        self.graph = InnerGraph([*explicit, *implicit], output_list)
        self.lop_overrides = lop_overrides
        self.grad_overrides = grad_overrides
        self.rop_overrides = rop_overrides

    @property
    def inner_graphs(self) -> list[tuple[str, InnerGraph]]:
        return [("", self.graph)]

    def make_node(self, *inputs: Any) -> Apply:
        if len(inputs) != self.n_explicit:
            raise TypeError(f"{self} takes {self.n_explicit} inputs, got {len(inputs)}")
        inner_inputs = self.graph.inputs[: self.n_explicit]
        fitted = [self.fit_input(k, value, inner) for k, (value, inner) in enumerate(zip(inputs, inner_inputs,
                                                                                          strict=True))]
        return Apply(self, [*fitted, *self.shared_inputs], [o.type for o in self.graph.outputs])

    def evaluate(self, node: Apply, inputs: Sequence[Any], run: GraphRunner) -> Sequence[Any]:
        return self.run_inner(self.graph, inputs, run)

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Dim, ...]]:
        return self.graph.output_shapes(node.inputs)

    def expand(self, node: Apply) -> list[Variable]:
        """The outputs of ``node`` computed by the inner graph's ops themselves: the node inlined."""
        return self.graph.expand(self.graph.outputs, node.inputs)

    def __str__(self) -> str:
        label = ", ".join(([self.name] if self.name else []) + (["inline"] if self.inline else []))
        return f"OpFromGraph{{{label}}}" if label else "OpFromGraph"


def _checked_inputs(inputs: Any) -> list[Variable]:
    if not isinstance(inputs, list | tuple):
        raise TypeError(f"OpFromGraph: inputs must be a list of variables, got {type(inputs).__name__}")
    for k, var in enumerate(inputs):
        if not isinstance(var, Variable):
            raise TypeError(f"OpFromGraph: inputs[{k}] must be a symbolic variable, got {type(var).__name__}")
        if isinstance(var, Constant):
            raise TypeError(f"OpFromGraph: inputs[{k}] ({var}) is a constant; constants stay inside the graph, "
                            "don't list them")
        if isinstance(var, SharedVariable):
            raise TypeError(f"OpFromGraph: inputs[{k}] ({var}) is a shared variable; shared variables are implicit "
                            "inputs, don't list them")
    if len(set(inputs)) != len(inputs):
        raise ValueError(f"OpFromGraph: an input is listed twice in {list(inputs)}")
    return list(inputs)


def _checked_outputs(outputs: Any) -> list[Variable]:
    output_list = [outputs] if isinstance(outputs, Variable) else outputs
    if not isinstance(output_list, list | tuple) or not output_list:
        raise TypeError(f"OpFromGraph: outputs must be a variable or a non-empty list of them, got {outputs!r:.60}")
    for k, var in enumerate(output_list):
        if not isinstance(var, Variable):
            raise TypeError(f"OpFromGraph: outputs[{k}] must be a symbolic variable, got {type(var).__name__}")
    return list(output_list)
