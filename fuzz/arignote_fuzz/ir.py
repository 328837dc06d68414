"""The fuzzer's graph description: inputs, nodes as source templates of the public API, calls with input values.

One description drives everything: the worker builds the Arignote graph from it, the NumPy twin evaluates it,
the shrinker edits it and the script writer prints it. A node's expression is text (``template`` formatted with
the names of its arguments), so the script of a finding is exactly what was run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import numpy as np

#: memory layouts an input value may be passed in (see :func:`Value.view`)
LAYOUTS = ("c", "fortran", "reversed", "strided")


@dataclass(frozen=True)
class Input:
    """A symbolic input: an explicit ``ar.tensor`` or, with ``shared``, an ``ar.shared`` variable."""

    name: str
    dtype: str
    static: tuple[int | None, ...]
    shared: bool = False


@dataclass(frozen=True)
class Node:
    """``name = template`` with ``{0}``, ``{1}``... the argument names and ``{m}`` the module (``ar`` or ``np``).

    ``numpy`` overrides the template for the NumPy twin where the public API has no NumPy spelling (softmax,
    set_subtensor...); twin helpers are named by ``helpers`` so that scripts can inline them. ``stable`` is the
    NumPy template of what a stabilizing rewrite computes instead (log1p for ``log(1 + x)``...), for the
    ``stabilized`` exclusion.
    """

    name: str
    op: str
    args: tuple[str, ...]
    template: str
    numpy: str | None = None
    helpers: tuple[str, ...] = ()
    differentiable: bool = True
    stable: str | None = None

    def source(self, module: str, stable: bool = False) -> str:
        """The expression for ``module`` ("ar" or "np"; with ``stable``, the stabilized formula's)."""
        if module == "np" and stable and self.stable is not None:
            return self.stable.format(*self.args, m=module)
        text = self.template if module == "ar" or self.numpy is None else self.numpy
        return text.format(*self.args, m=module)

    def renamed(self, mapping: Mapping[str, str]) -> Node:
        return replace(self, args=tuple(mapping.get(a, a) for a in self.args))


@dataclass(frozen=True)
class Graph:
    """Inputs, nodes in topological order, outputs (node or input names) and shared-variable updates. With
    ``givens``, the function takes inputs of unknown static shape that replace the explicit inputs through
    ``givens`` (the graph was built on the inputs' static shapes)."""

    inputs: tuple[Input, ...]
    nodes: tuple[Node, ...]
    outputs: tuple[str, ...]
    updates: tuple[tuple[str, str], ...] = ()
    givens: bool = False

    @property
    def explicit(self) -> tuple[Input, ...]:
        return tuple(i for i in self.inputs if not i.shared)

    @property
    def shared(self) -> tuple[Input, ...]:
        return tuple(i for i in self.inputs if i.shared)

    def input(self, name: str) -> Input:
        return next(i for i in self.inputs if i.name == name)

    def ops(self) -> tuple[str, ...]:
        return tuple(n.op for n in self.nodes)

    def needed(self) -> set[str]:
        """Names the outputs and updates depend on (inputs and nodes)."""
        by_name = {n.name: n for n in self.nodes}
        todo = [*self.outputs, *(target for target, _ in self.updates), *(expr for _, expr in self.updates)]
        seen: set[str] = set()
        while todo:
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            if name in by_name:
                todo.extend(by_name[name].args)
        return seen

    def pruned(self) -> Graph:
        """Without the nodes and inputs nothing needs (an input the function does not use is an error)."""
        needed = self.needed()
        inputs = tuple(i for i in self.inputs if i.name in needed)
        return replace(self, inputs=inputs, nodes=tuple(n for n in self.nodes if n.name in needed),
                       givens=self.givens and any(not i.shared for i in inputs))


@dataclass(frozen=True)
class Value:
    """An input value and the memory layout it is passed in; ``data`` holds the values (C order)."""

    data: np.ndarray
    layout: str = "c"

    def view(self) -> np.ndarray:
        """``data``'s values in an array of this layout (a fresh buffer each time: a call may not change it)."""
        return in_layout(self.layout, self.data)


def in_layout(layout: str, data: np.ndarray) -> np.ndarray:
    """``data``'s values, laid out as ``layout`` says: ``c``, ``fortran`` (column-major), ``reversed`` (negative
    strides on every axis) or ``strided`` (every second element of a larger buffer along the last axis)."""
    data = np.asarray(data)
    if layout == "fortran" and data.ndim >= 2:
        return np.asfortranarray(data.copy())
    if layout == "reversed" and data.ndim:
        flip = (slice(None, None, -1),) * data.ndim
        return data[flip].copy()[flip]
    if layout == "strided" and data.ndim:
        base = np.zeros(data.shape[:-1] + (2 * data.shape[-1],), dtype=data.dtype)
        base[..., ::2] = data
        return base[..., ::2]
    return data.copy()


@dataclass(frozen=True)
class Case:
    """One fuzz case: a graph, the values of its explicit inputs for each call (in order), the shared variables'
    initial values, and whether the gradient of ``grad_output`` is checked against finite differences."""

    label: str
    graph: Graph
    calls: tuple[Mapping[str, Value], ...]
    shared_values: Mapping[str, np.ndarray] = field(default_factory=dict)
    grad_output: str | None = None
