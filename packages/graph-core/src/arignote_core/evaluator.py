"""The reference evaluator: runs each node's NumPy ``perform`` in topological order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from .fgraph import FunctionGraph
from .graph import Apply, Constant
from .mode import Executable, Mode, register_backend
from .tensors.type import TensorType

if TYPE_CHECKING:
    from .checking import StepObserver


class ReferenceBackend:
    """The NumPy backend every graph runs on: the oracle other backends are checked against."""

    name = "reference"

    def compile(self, fgraph: FunctionGraph, mode: Mode) -> Executable:
        return ReferenceProgram(fgraph)


register_backend(ReferenceBackend.name, ReferenceBackend)

def describe_inputs(node: Apply, values: Sequence[Any]) -> str:
    parts = []
    for var, value in zip(node.inputs, values, strict=True):
        shape = getattr(value, "shape", None)
        dtype = getattr(value, "dtype", type(value).__name__)
        parts.append(f"{var} ({dtype}, shape {shape})" if shape is not None else f"{var} ({dtype})")
    return ", ".join(parts)


def raise_node_error(node: Apply, values: Sequence[Any], exc: Exception) -> NoReturn:
    """Re-raise ``exc`` (same type where possible) naming the op, its inputs and the user's line."""
    where = f"\nThe node was created at:\n  {node.source}" if node.source else ""
    raise_with_context(exc, f"while computing {node.op} on {describe_inputs(node, values)}{where}")


def raise_with_context(exc: Exception, context: str) -> NoReturn:
    """Re-raise ``exc`` with ``context`` on the lines after its message, as the same type where possible."""
    message = f"{exc}\n{context}"
    try:
        new = type(exc)(message)
    except Exception:
        exc.add_note(message)
        raise exc from None
    raise new.with_traceback(exc.__traceback__) from None


class ReferenceProgram:
    """A FunctionGraph laid out as a list of steps over a storage list; frees intermediates after last use.

    ``set_observer`` has every node observed (see ``arignote_core.checking``); a ``perform`` computes nothing
    in place, so the observer is told of no in-place output.
    """

    def __init__(self, fgraph: FunctionGraph) -> None:
        order = fgraph.toposort()
        slots: dict[Any, int] = {}

        def slot(var: Any) -> int:
            if var not in slots:
                slots[var] = len(slots)
            return slots[var]

        for var in fgraph.inputs:
            slot(var)
        self.n_inputs = len(fgraph.inputs)
        steps = [(node, [slot(v) for v in node.inputs], [slot(v) for v in node.outputs]) for node in order]
        outputs = [slot(v) for v in fgraph.outputs]
        self.template: list[Any] = [None] * len(slots)
        for var, i in slots.items():
            if isinstance(var, Constant):
                self.template[i] = var.data
        last_use: dict[int, int] = {}
        for k, (_, ins, _) in enumerate(steps):
            for i in ins:
                last_use[i] = k
        keep = set(outputs) | set(range(self.n_inputs)) | {i for i, v in enumerate(self.template) if v is not None}
        self.steps = [(node, ins, outs, [i for i in set(ins) if last_use[i] == k and i not in keep])
                      for k, (node, ins, outs) in enumerate(steps)]
        self.outputs = outputs
        #: outputs whose values are arrays (a perform may give a NumPy scalar); others (sparse matrices) pass as given
        self.arrays = [isinstance(v.type, TensorType) for v in fgraph.outputs]
        self.observer: StepObserver | None = None

    def set_observer(self, observer: StepObserver | None) -> None:
        self.observer = observer

    def __call__(self, inputs: Sequence[Any]) -> list[Any]:
        storage = list(self.template)
        storage[: self.n_inputs] = inputs
        observer = self.observer
        for node, ins, outs, free in self.steps:
            args = [storage[i] for i in ins]
            state = observer.before(node, args) if observer is not None else None
            try:
                results = node.op.perform(node, args)
            except Exception as exc:
                raise_node_error(node, args, exc)
            if observer is not None:
                observer.after(node, state, results, {})
            for i, value in zip(outs, results, strict=True):
                storage[i] = value
            for i in free:
                storage[i] = None
        return [storage[i] if isinstance(storage[i], np.ndarray) or not array else np.asarray(storage[i])
                for i, array in zip(self.outputs, self.arrays, strict=True)]
