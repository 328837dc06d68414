"""The ``Scan`` op: a loop running a step graph once per step (Theano's and PyTensor's ``Scan``).

What the node takes and gives is laid out in :mod:`.scan_info`. Its ``perform`` is the reference loop
(:mod:`.scan_loop`); users build it with :func:`~arignote_core.control.scan_api.scan`, derivative rules with
:func:`~arignote_core.control.scan_build.build_scan`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..graph import Apply, Variable
from ..tensors.basic import as_tensor, cast, static_int
from ..tensors.shape_inference import Dim
from ..tensors.type import TensorType
from .inner import GraphRunner, InnerGraph, InnerGraphOp
from .scan_info import ScanInfo
from .scan_loop import run_scan
from .scan_shapes import stack_shapes


def merge_static(a: Sequence[int | None], b: Sequence[int | None]) -> tuple[int | None, ...]:
    """Per axis, the static size either of two shapes that must agree at run time knows."""
    return tuple(x if x is not None else y for x, y in zip(a, b, strict=True))


def agreed_static(a: Sequence[int | None], b: Sequence[int | None]) -> tuple[int | None, ...]:
    """Per axis, the static size two shapes that may differ both know (a carried value's first and last)."""
    return tuple(x if x == y else None for x, y in zip(a, b, strict=True))


class Scan(InnerGraphOp):
    """A loop over ``step`` (an inner graph laid out as ``info`` says); equal only to itself."""

    def __init__(self, info: ScanInfo, step: InnerGraph, name: str | None = None) -> None:
        super().__init__(name)
        self.info = info
        self.step = step
        _check_step(self, info, step)

    @property
    def inner_graphs(self) -> list[tuple[str, InnerGraph]]:
        return [("step", self.step)]

    def make_node(self, *inputs: Any) -> Apply:
        info = self.info
        if len(inputs) != info.n_outer_inputs:
            raise TypeError(f"{self} takes {info.n_outer_inputs} inputs, got {len(inputs)}")
        n_steps_in, outer = info.split_outer_inputs(inputs)
        n_steps = as_tensor(n_steps_in)
        if n_steps.ndim != 0 or n_steps.type.dtype[0] not in "iu":
            raise TypeError(f"{self}: the number of steps must be an integer scalar, got {n_steps.type}")
        n_steps = cast(n_steps, "int64")
        taps = info.split_inner_inputs(self.step.inputs)
        # what a sequence or a buffer holds is one step's value per entry of its first axis
        expected = [_stacked(tap_inputs[0]) for tap_inputs in [*taps.sequences, *taps.states]]
        expected += [*taps.carried, *taps.non_sequences]
        given = [*outer.sequences, *outer.states, *outer.carried, *outer.non_sequences]
        fitted = [self.fit_input(k, value, inner) for k, (value, inner) in enumerate(zip(given, expected,
                                                                                         strict=True), start=1)]
        return Apply(self, [n_steps, *fitted], self._output_types(n_steps, fitted))

    def _output_types(self, n_steps: Variable, fitted: list[Variable]) -> list[TensorType]:
        info = self.info
        steps = None if info.as_while else static_int(n_steps)
        outs, _ = info.split_inner_outputs(self.step.outputs)
        buffers = fitted[info.n_sequences: info.n_sequences + info.n_states]
        initial = fitted[info.n_sequences + info.n_states: info.n_sequences + info.n_states + info.n_carried]
        states = [TensorType(o.type.dtype, (steps, *merge_static(b.type.shape[1:], o.type.shape)))
                  for o, b in zip(outs.states, buffers, strict=True)]
        outputs = [TensorType(o.type.dtype, (steps, *o.type.shape)) for o in outs.outputs]
        carried = [TensorType(o.type.dtype, agreed_static(c.type.shape, o.type.shape))
                   for o, c in zip(outs.carried, initial, strict=True)]
        return [*states, *outputs, *carried]

    def evaluate(self, node: Apply, inputs: Sequence[Any], run: GraphRunner) -> Sequence[Any]:
        return run_scan(self, node, inputs, run)

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Dim, ...]] | None:
        """See :func:`.scan_shapes.stack_shapes` (None for a while loop, whose length is known when it ends)."""
        return None if self.info.as_while else stack_shapes(self.info, self.step, node)

    def __str__(self) -> str:
        return f"Scan{{{self.name}}}" if self.name else "Scan"


def _stacked(step_value: Variable) -> Variable:
    """A variable for a stack of values like ``step_value`` along a new first axis."""
    return TensorType(step_value.type.dtype, (None, *step_value.type.shape)).make_variable()


def _check_step(op: Scan, info: ScanInfo, step: InnerGraph) -> None:
    """The step graph has the inputs and outputs ``info`` describes, of matching types."""
    if len(step.inputs) != info.n_inner_inputs or len(step.outputs) != info.n_inner_outputs:
        raise ValueError(f"{op}: the step graph has {len(step.inputs)} inputs and {len(step.outputs)} outputs; "
                         f"its description says {info.n_inner_inputs} and {info.n_inner_outputs}")
    taps = info.split_inner_inputs(step.inputs)
    outs, condition = info.split_inner_outputs(step.outputs)
    fed_back = [(f"state {j}", tap_inputs[0], out) for j, (tap_inputs, out) in enumerate(zip(
        taps.states, outs.states, strict=True))]
    fed_back += [(f"carried value {m}", inner, out) for m, (inner, out) in enumerate(zip(
        taps.carried, outs.carried, strict=True))]
    for what, inner, out in fed_back:
        if out.type.dtype != inner.type.dtype or out.type.ndim != inner.type.ndim:
            raise TypeError(f"{op}: the step reads {what} as {inner.type} but gives {out.type}")
    for tap_inputs in [*taps.sequences, *taps.states]:
        if len({v.type for v in tap_inputs}) != 1:
            raise TypeError(f"{op}: the taps of one sequence or state must have one type, got "
                            f"{[v.type for v in tap_inputs]}")
    if condition is not None and (condition.type.dtype != "bool" or condition.type.ndim != 0):
        raise TypeError(f"{op}: the condition ending the loop must be a boolean scalar, got {condition.type}")
