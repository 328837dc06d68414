"""The Arignote side of a graph as Python source: the worker executes it, a finding's script prints it."""

from __future__ import annotations

from collections.abc import Callable

from .ir import Graph


def build_lines(graph: Graph, shared_value: Callable[[str], str]) -> list[str]:
    """Statements defining every input and node of ``graph`` with ``ar``; ``shared_value(name)`` is the source of
    a shared variable's initial value."""
    lines = []
    for i in graph.inputs:
        if i.shared:
            lines.append(f"{i.name} = ar.shared({shared_value(i.name)}, name={i.name!r})")
        else:
            lines.append(f"{i.name} = ar.tensor({i.dtype!r}, shape={i.static!r}, name={i.name!r})")
    if graph.givens:
        lines += [f"{given(i.name)} = ar.tensor({i.dtype!r}, shape={(None,) * len(i.static)!r}, "
                  f"name={given(i.name)!r})" for i in graph.explicit]
    lines += [f"{n.name} = {n.source('ar')}" for n in graph.nodes]
    return lines


def given(name: str) -> str:
    """The name of the input that replaces ``name`` through ``givens``."""
    return f"{name}_given"


def function_source(graph: Graph, mode: str = "mode") -> str:
    """The ``ar.function`` call compiling the graph's outputs and updates in ``mode``."""
    outputs = ", ".join(graph.outputs)
    updates = ", ".join(f"{t}: {e}" for t, e in graph.updates)
    if graph.givens:
        inputs = ", ".join(given(i.name) for i in graph.explicit)
        givens = ", ".join(f"{i.name}: {given(i.name)}" for i in graph.explicit)
        return f"ar.function([{inputs}], [{outputs}], updates={{{updates}}}, givens={{{givens}}}, mode={mode})"
    inputs = ", ".join(i.name for i in graph.explicit)
    return f"ar.function([{inputs}], [{outputs}], updates={{{updates}}}, mode={mode})"


def grad_source(graph: Graph, output: str, mode: str = "mode") -> str:
    """The gradient check's function: d sum(sin(output)) / d every explicit input."""
    wrt = ", ".join(i.name for i in graph.explicit)
    return (f"ar.function([{wrt}], ar.grad(ar.sum(ar.sin({output})), [{wrt}], disconnected_inputs='ignore'), "
            f"mode={mode}, on_unused_input='ignore')")
