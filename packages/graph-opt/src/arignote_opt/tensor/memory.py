"""Memory planning information for backends: which outputs may be written into the buffer of an input that
is dead by then (in place), and which may take the buffer of an earlier intermediate that died.

It is advice computed on a schedule (the graph's topological order): a backend that follows the same order
may apply it. Buffers of user inputs, constants and graph outputs are never given away; a shared variable's
buffer only to the expression that computes its update (pass ``destroyable={shared: update_output}``), since
the update replaces it anyway, and only when no output returns the old value or the new buffer. Views
(dimshuffle, reshape, basic indexing) share their source's buffer, so a buffer is dead only when every view of
it is. No operand of a step may read the buffer its output is written into, except the same variable read
element by element.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from arignote_core import Apply, Constant, DimShuffle, Elemwise, FunctionGraph, Reshape, Subtensor, Variable
from arignote_core.tensors.blas_ops import Gemm, Gemv

#: op class -> the inputs its outputs are views of: {output index: input index}.
VIEWS: dict[type, Callable[[Apply], dict[int, int]]] = {
    DimShuffle: lambda node: {0: 0},
    Reshape: lambda node: {0: 0},
    Subtensor: lambda node: {0: 0},
}


def _elemwise_candidates(node: Apply) -> list[tuple[int, int]]:
    return [(o, i) for o, out in enumerate(node.outputs) for i, inp in enumerate(node.inputs)
            if inp.type.dtype == out.type.dtype and _may_have_shape(inp, out)]


def _accumulator_candidates(node: Apply) -> list[tuple[int, int]]:
    return [(0, 0)] if node.inputs[0].type.dtype == node.outputs[0].type.dtype else []


#: op class -> the (output, input) pairs where the output may be computed into the input's buffer.
IN_PLACE: dict[type, Callable[[Apply], list[tuple[int, int]]]] = {
    Elemwise: _elemwise_candidates,
    Gemm: _accumulator_candidates,
    Gemv: _accumulator_candidates,
}


def _views(node: Apply) -> dict[int, int]:
    """{output: input} of the views ``node`` makes: the VIEWS table, else the op's own ``view_map`` (an output
    that is ``x`` itself or a view of it: SpecifyShape, CheckAndRaise, BroadcastTo...; its first input)."""
    for cls in type(node.op).__mro__:
        if cls in VIEWS:
            return VIEWS[cls](node)
    return {o: inputs[0] for o, inputs in node.op.view_map.items() if inputs}


def _lookup(table: Mapping[type, Callable[[Apply], object]], node: Apply, method: str) -> object:
    for cls in type(node.op).__mro__:
        if cls in table:
            return table[cls](node)
    fallback = getattr(node.op, method, None)
    return fallback(node) if callable(fallback) else None


def _may_have_shape(inp: Variable, out: Variable) -> bool:
    """False when ``inp`` is statically smaller than ``out`` (it is broadcast)."""
    return all(not (a == 1 and b != 1) for a, b in zip(inp.type.shape, out.type.shape, strict=True))


def _same_static_shape(inp: Variable, out: Variable) -> bool:
    shape = inp.type.shape
    return None not in shape and shape == out.type.shape


def _read_elsewhere(node: Apply, position: int, var: Variable, bases: dict[Variable, Variable]) -> bool:
    """Whether another operand of ``node`` reads ``var``'s buffer (``var`` itself or a view of it): writing the
    output into that buffer would change what the step still reads. An element-by-element op reads each
    element of every operand before it writes that element, so ``var`` itself elsewhere (``x * x``) is safe for
    it; a matrix product reads whole rows and columns, so no operand of it may share the buffer."""
    element_by_element = isinstance(node.op, Elemwise)
    return any(j != position and _base(other, bases) is var and not (element_by_element and other is var)
               for j, other in enumerate(node.inputs))


@dataclass(frozen=True)
class InPlace:
    """Output ``output`` of ``node`` may be written into the buffer of input ``input``. When ``checked`` is
    False the sizes are not all static: the backend must check at run time that the input has the output's
    shape (it may be broadcast) before doing so."""

    node: Apply
    output: int
    input: int
    checked: bool


@dataclass(frozen=True)
class MemoryPlan:
    """Advice for one schedule of a graph."""

    order: tuple[Apply, ...]
    in_place: tuple[InPlace, ...] = ()
    #: output variable -> the dead intermediate whose buffer it may take (same dtype and static shape).
    reuse: Mapping[Variable, Variable] = field(default_factory=dict)

    def in_place_for(self, node: Apply) -> dict[int, InPlace]:
        """The in-place choices for ``node``, by output index."""
        return {choice.output: choice for choice in self.in_place if choice.node is node}

    def describe(self) -> str:
        lines = []
        for choice in self.in_place:
            check = "" if choice.checked else " (if the shapes match at run time)"
            lines.append(f"{choice.node.op}: output {choice.output} into input {choice.input} "
                         f"({choice.node.inputs[choice.input]}){check}")
        for out, donor in self.reuse.items():
            lines.append(f"{out.owner.op if out.owner else out}: takes the buffer of {donor}")
        return "\n".join(lines) or "no buffer reuse"


def _base(var: Variable, bases: dict[Variable, Variable]) -> Variable:
    return bases.get(var, var)


def plan_memory(fgraph: FunctionGraph, destroyable: Mapping[Variable, Variable] | None = None) -> MemoryPlan:
    """Plan buffer reuse over ``fgraph.toposort()``; ``destroyable`` maps a graph input (a shared variable with
    an update) to the output that replaces it, the only one allowed to take its buffer."""
    destroyable = dict(destroyable or {})
    order = tuple(fgraph.toposort())
    bases: dict[Variable, Variable] = {}
    for node in order:
        for o, i in _views(node).items():
            bases[node.outputs[o]] = _base(node.inputs[i], bases)
    last_use: dict[Variable, int] = {}
    for k, node in enumerate(order):
        for inp in node.inputs:
            last_use[_base(inp, bases)] = k
    returned = Counter(_base(v, bases) for v in fgraph.outputs)
    protected = set(returned) | set(fgraph.inputs)
    in_place: list[InPlace] = []
    reuse: dict[Variable, Variable] = {}
    free: dict[tuple[str, tuple[int | None, ...]], list[Variable]] = {}
    owned = {out for node in order for o, out in enumerate(node.outputs) if out not in bases}
    for k, node in enumerate(order):
        taken: set[Variable] = set()
        for o, i in _lookup(IN_PLACE, node, "in_place_candidates") or ():  # type: ignore[attr-defined]
            var = node.inputs[i]
            out = node.outputs[o]
            if out in bases or any(c.node is node and c.output == o for c in in_place):
                continue
            if var in bases or isinstance(var, Constant) or var in taken or last_use.get(var) != k:
                continue
            # a shared variable's buffer goes to its update only when no output returns it or a view of it (outputs
            # are the values before the call), and no output but the update returns the new buffer (the caller
            # would keep an array the next call overwrites)
            if var in protected and (returned[out] > 1 or destroyable.get(var) is not out or var in returned):
                continue
            if _read_elsewhere(node, i, var, bases):
                continue
            in_place.append(InPlace(node, o, i, _same_static_shape(var, out)))
            taken.add(var)
        placed = {c.output for c in in_place if c.node is node}
        for o, out in enumerate(node.outputs):
            shape = out.type.shape
            if o in placed or out in bases or None in shape:
                continue
            pool = free.get((out.type.dtype, shape))
            if pool:
                reuse[out] = pool.pop()
        for inp in {_base(v, bases) for v in node.inputs}:
            if last_use.get(inp) == k and inp in owned and inp not in protected and inp not in taken:
                shape = inp.type.shape
                if None not in shape:
                    free.setdefault((inp.type.dtype, shape), []).append(inp)
    return MemoryPlan(order, tuple(in_place), reuse)
