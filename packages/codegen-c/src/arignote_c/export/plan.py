"""Planning an export: a compiled function's graph as numbered slots and steps, every node lowered to C.

The graph is the one the function compiled (its mode's rewrites done); each node is lowered as the C backend
lowers it (``lowering.lower``), but a node without a C lowering, or whose step kind the standalone runtime lacks,
is an ``ExportError`` naming the op and the user's line instead of a Python step. Slots number the values: the
explicit inputs, then constants (shared variables' values included, baked in at export time), then node outputs.
A buffer is freed after the last step that reads it or a view of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from arignote_core.fgraph import FunctionGraph
from arignote_core.graph import Apply, Constant, Variable
from arignote_core.shared import SharedVariable
from arignote_core.tensors import TensorType

from ..emit.context import EmitContext, Unsupported
from ..emit.dialect import C_DIALECT
from ..emit.kernels import KernelSource
from ..lowering import StepPlan, lower
from ..runtime.source import StepKind
from .errors import ExportError

#: the step kinds the standalone runtime (``export/runtime.c``) implements
EXPORTABLE_KINDS = frozenset({StepKind.ELEMWISE, StepKind.REDUCE, StepKind.DIMSHUFFLE, StepKind.SUBTENSOR,
                              StepKind.RESHAPE, StepKind.SHAPE, StepKind.MAKE_VECTOR, StepKind.ALLOC,
                              StepKind.MATMUL, StepKind.GEMM, StepKind.ROWS})
#: steps whose output is a view of their first input (its buffer is freed with the input's)
VIEW_KINDS = frozenset({StepKind.DIMSHUFFLE, StepKind.SUBTENSOR, StepKind.RESHAPE})
#: the dtypes of the C API, in the order of its enum (``AG_BOOL`` = 0 ...)
DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64",
          "complex64", "complex128")


@dataclass
class ExportStep:
    """One node as a call of the standalone runtime: the lowering's plan, the slots it reads and writes, and the
    slots to free after it."""

    node: Apply
    plan: StepPlan
    inputs: list[int]
    outputs: list[int]
    frees: list[int] = field(default_factory=list)


@dataclass
class ExportPlan:
    """What the source and header writers need: slots, constants, steps, kernels and the emit context."""

    name: str
    #: per slot, the variable it holds
    variables: list[Variable]
    #: the explicit inputs' names, in call order (slots 0 ..)
    input_names: list[str]
    #: per output: its slot and name
    outputs: list[tuple[int, str]]
    #: slot -> value of the constants and shared variables
    constants: dict[int, np.ndarray]
    #: the shared variables baked in as constants, by name
    baked: list[str]
    steps: list[ExportStep]
    kernels: list[KernelSource]
    ctx: EmitContext


def where(node: Apply) -> str:
    """``'Op' (file.py:12)``: how messages name a node."""
    location = f" ({node.source.short()})" if node.source is not None else ""
    return f"node '{node.op}'{location}"


def _check_dtype(var: Variable, what: str) -> str:
    t = var.type
    if not isinstance(t, TensorType) or t.dtype not in DTYPES:
        raise ExportError(f"{what} is of type {t}; the exported C has tensors of {', '.join(DTYPES)} only")
    return t.dtype


def _lower(ctx: EmitContext, node: Apply) -> StepPlan:
    try:
        plan = lower(ctx, node)
    except Unsupported as exc:
        raise ExportError(f"{where(node)} has no C implementation ({exc}): the exported C cannot run its Python "
                          "perform") from None
    if plan.kind not in EXPORTABLE_KINDS:
        raise ExportError(f"{where(node)} is a {plan.kind.name} step, which the standalone C export does not have")
    if any(k.python for k in plan.kernels):
        raise ExportError(f"{where(node)} has C code that uses CPython's API, which the exported C cannot call")
    return plan


def plan_export(fgraph: FunctionGraph, n_explicit: int, n_outputs: int, name: str) -> ExportPlan:
    """The plan of ``fgraph``, whose first ``n_explicit`` inputs are the caller's (the rest shared variables, baked
    in) and whose first ``n_outputs`` outputs are the function's."""
    if fgraph.updates:
        raise ExportError("the function updates shared variables; an exported model has no state, so export a "
                          "function without updates (the shared values are baked in as constants)")
    ctx = EmitContext(C_DIALECT)
    order = fgraph.toposort()
    plans = [_lower(ctx, node) for node in order]

    slots: dict[Variable, int] = {}
    variables: list[Variable] = []
    constants: dict[int, np.ndarray] = {}
    baked: list[str] = []

    def slot(var: Variable) -> int:
        if var not in slots:
            slots[var] = len(variables)
            variables.append(var)
        return slots[var]

    explicit = fgraph.inputs[:n_explicit]
    input_names = []
    for i, var in enumerate(explicit):
        _check_dtype(var, f"input {i} ({var.name or 'unnamed'})")
        slot(var)
        input_names.append(var.name or f"input{i}")
    for var in fgraph.inputs[n_explicit:]:
        if not isinstance(var, SharedVariable):
            raise ExportError(f"input {var} is neither the caller's nor a shared variable")
        _check_dtype(var, f"shared variable {var.name or 'unnamed'}")
        constants[slot(var)] = np.asarray(var.get_value())
        baked.append(var.name or f"shared{len(baked)}")
    for node, plan in zip(order, plans, strict=True):
        for var in plan.inputs:
            if isinstance(var, Constant) and var not in slots:
                constants[slot(var)] = np.asarray(var.data)
        for var in node.outputs:
            _check_dtype(var, f"output {var.index} of {where(node)}")
            slot(var)
    outputs = []
    for j, var in enumerate(fgraph.outputs[:n_outputs]):
        if var not in slots:
            if not isinstance(var, Constant):
                raise ExportError(f"output {j} is computed by no node of the graph")
            constants[slot(var)] = np.asarray(var.data)
        _check_dtype(var, f"output {j} ({var.name or 'unnamed'})")
        outputs.append((slots[var], var.name or f"output{j}"))
    for s, value in constants.items():
        _check_dtype(variables[s], f"constant {variables[s]}")
        constants[s] = np.array(value, dtype=variables[s].type.dtype, order="C")  # 0-d stays 0-d

    steps = [ExportStep(node, plan, [slots[v] for v in plan.inputs], [slots[v] for v in node.outputs])
             for node, plan in zip(order, plans, strict=True)]
    _plan_frees(steps, len(variables), n_explicit, constants, {s for s, _ in outputs})
    return ExportPlan(name, variables, input_names, outputs, constants, baked, steps, _used_kernels(plans), ctx)


def _used_kernels(plans: list[StepPlan]) -> list[KernelSource]:
    """The kernels the standalone runtime calls, once each, by name: a reduction's fold and accumulate (its
    combine kernel joins partial results of threads, which the export does not have)."""
    found = {k.name: k for p in plans for k in (p.kernels[:2] if p.kind == StepKind.REDUCE else p.kernels)}
    return [found[name] for name in sorted(found)]


def _plan_frees(steps: list[ExportStep], n_slots: int, n_inputs: int, constants: dict[int, Any],
                outputs: set[int]) -> None:
    """Set each step's ``frees``: a buffer (with its views) is freed after its group's last reader, unless the
    group holds an input, a constant or an output (kept to the end)."""
    group = list(range(n_slots))
    for step in steps:
        if step.plan.kind in VIEW_KINDS:
            group[step.outputs[0]] = group[step.inputs[0]]
    last: dict[int, int] = {}
    members: dict[int, list[int]] = {}
    for s in range(n_slots):
        members.setdefault(group[s], []).append(s)
    for k, step in enumerate(steps):
        for s in step.inputs + step.outputs:
            last[group[s]] = k
    kept = {group[s] for s in range(n_slots) if s < n_inputs or s in constants or s in outputs}
    for g, k in last.items():
        if g not in kept:
            steps[k].frees += members[g]
