"""Linking: a FunctionGraph becomes one C module of kernels plus a runtime Program that calls them.

Slots number every value: the graph's inputs first (in ``fgraph.inputs`` order), then constants, then node
outputs. Each node is lowered to a step; nodes without a C lowering become Python steps that run their
reference ``perform`` (reported as fallbacks). An intermediate's slot is released after its last use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import numpy as np

from arignote_core.checking import StepObserver
from arignote_core.control import InnerGraphOp
from arignote_core.evaluator import raise_node_error
from arignote_core.fgraph import FunctionGraph
from arignote_core.graph import Apply, Constant, Variable
from arignote_core.tensors import TensorType
from arignote_opt.tensor.memory import MemoryPlan, plan_memory

from . import runtime as rt
from .build import Builder, BuiltModule, ModuleSource
from .emit.context import EmitContext, Unsupported
from .emit.dialect import C_DIALECT
from .emit.kernels import KernelSource
from .library import KernelLibrary
from .lowering import ARRAY_STRUCT, InnerCompiler, StepPlan, control_flow_plan, lower, python_step
from .options import COptions
from .report import format_report
from .runtime.source import StepKind, pack_params


@dataclass
class StepInfo:
    """What a report says about a step, and what a step observer is told of it."""

    node: Apply
    label: str
    kernels: tuple[str, ...]
    reason: str = ""
    #: the variables whose values the step reads, in the order the executor passes them
    inputs: tuple[Variable, ...] = ()
    #: output index -> node input index: the memory plan let the step compute that output into that input
    in_place: dict[int, int] = field(default_factory=dict)


class ProgramInfo:
    """What a Program was built from; the C executor calls it to convert inputs, name failing nodes, report."""

    def __init__(self, fgraph: FunctionGraph, steps: list[StepInfo], modules: list[str], built: bool) -> None:
        self.fgraph = fgraph
        self.steps = steps
        #: the modules holding the kernels
        self.modules = modules
        #: whether this process compiled a module for this program (False: every kernel came from the cache)
        self.built = built
        self.input_types = [v.type for v in fgraph.inputs]
        #: converts an input value that does not fit as it is (``Program.set_input_filter``; graph-core's
        #: ``Function`` sets its own, which names the input and honours ``allow_input_downcast``)
        self.input_filter: Callable[[int, Any], Any] | None = None

    def convert_input(self, index: int, value: Any) -> Any:
        """``value`` as input ``index`` expects it: the input filter, then an aligned native-order ndarray."""
        if self.input_filter is not None:
            array = self.input_filter(index, value)
        else:
            array = self.input_types[index].filter(value, allow_downcast=False)
        if isinstance(array, np.ndarray):
            array = np.require(array, requirements=["A"])
            if not array.dtype.isnative:
                array = array.astype(array.dtype.newbyteorder("="))
            if type(array) is not np.ndarray:
                array = np.asarray(array).view(np.ndarray)
        return array

    def step_observer(self, observer: StepObserver) -> ObservedSteps:
        """What ``Program.set_observer(observer)`` has the executor call around each step."""
        return ObservedSteps(observer, self.steps)

    def node_error(self, index: int, exc: BaseException, inputs: list[Any]) -> None:
        raise_node_error(self.steps[index].node, inputs, exc)  # type: ignore[arg-type]

    @property
    def fallbacks(self) -> list[StepInfo]:
        """The steps that run a node's Python ``perform``."""
        return [s for s in self.steps if s.label == "python"]

    def report(self, program: Any) -> str:
        return format_report(self, *program.stats())


class ObservedSteps:
    """A step observer as the C executor calls it: ``before(k, step inputs)`` and ``after(k, state, outputs)``
    for step ``k`` become the observer's calls with the node, its inputs in ``node.inputs`` order (a step
    may read fewer: a kernel inlines scalar constants) and the step's in-place outputs."""

    def __init__(self, observer: StepObserver, steps: Sequence[StepInfo]) -> None:
        self.observer = observer
        self.steps = steps
        #: per step, per node input: its position among the step's inputs, or the constant it is
        self.sources = [[_source(var, info) for var in info.node.inputs] for info in steps]

    def before(self, k: int, values: list[Any]) -> Any:
        inputs = [values[j] if isinstance(j, int) else j.data for j in self.sources[k]]
        return self.observer.before(self.steps[k].node, inputs)

    def after(self, k: int, state: Any, outputs: list[Any]) -> None:
        info = self.steps[k]
        self.observer.after(info.node, state, outputs, info.in_place)


def _source(var: Variable, info: StepInfo) -> int | Constant:
    """Where the value of a node input is when its step runs: a position among the step's inputs, or a constant."""
    for j, read in enumerate(info.inputs):
        if read is var:
            return j
    if isinstance(var, Constant):
        return var
    raise AssertionError(f"step {info.label} of {info.node.op} does not read its input {var}")


def _input_spec(var: Variable) -> tuple[int, str, int, tuple[int, ...]]:
    t = var.type
    if not isinstance(t, TensorType):
        return (-1, "?", 0, ())
    d = np.dtype(t.dtype)
    return (d.num, d.kind, d.itemsize, tuple(-1 if s is None else s for s in t.shape))


def plan_steps(fgraph: FunctionGraph, ctx: EmitContext) -> tuple[list[StepPlan | None], list[str]]:
    """A plan per node (None where it falls back) and why each fallback happened."""
    plans: list[StepPlan | None] = []
    reasons = []
    for node in fgraph.toposort():
        try:
            plans.append(lower(ctx, node))
            reasons.append("")
        except Unsupported as exc:
            plans.append(None)
            reasons.append(str(exc))
    return plans, reasons


def needed_kernels(plans: Sequence[StepPlan | None]) -> list[KernelSource]:
    """Every kernel of the plans, once, in a canonical order (the same kernels give the same module)."""
    found = {k.name: k for p in plans if p is not None for k in p.kernels}
    return [found[name] for name in sorted(found)]


def kernel_module(kernels: Sequence[KernelSource], ctx: EmitContext) -> ModuleSource:
    """One module holding ``kernels``: a plain shared library, or an extension module when a kernel uses CPython's
    C API (a user op's code), which is twice as long to compile (Python.h and cffi's wrappers)."""
    struct = ARRAY_STRUCT + "\n" if any(k.name.startswith("ag_user") for k in kernels) else ""
    text = ERROR_CODES + ctx.prelude() + struct + "\n".join(k.text for k in kernels)
    return ModuleSource(text, struct + "\n".join(k.cdef for k in kernels), python=any(k.python for k in kernels))


@dataclass
class LinkedKernels:
    """Where the kernels of a program are: their addresses, the modules holding them, whether one was built."""

    addresses: dict[str, int]
    modules: list[BuiltModule]
    built: bool


def link_kernels(plans: Sequence[StepPlan | None], ctx: EmitContext, library: KernelLibrary,
                 jobs: int = 1) -> LinkedKernels:
    """The address of every kernel of the plans, compiling the ones the library lacks into new modules: up to
    ``jobs`` of them, compiled at once (gcc's time grows with the module; a cold start waits for the longest)."""
    kernels = needed_kernels(plans)
    modules = {k.name: library.find(k.name) for k in kernels}
    missing = [k for k in kernels if modules[k.name] is None]
    parts = build_parts(missing, jobs)
    if len(parts) <= 1:
        built = [library.build(part, kernel_module(part, ctx)) for part in parts]
    else:
        with ThreadPoolExecutor(len(parts), thread_name_prefix="arignote-c-build") as pool:
            built = list(pool.map(lambda part: library.build(part, kernel_module(part, ctx)), parts))
    for part, module in zip(parts, built, strict=True):
        modules.update((k.name, module) for k in part)
    used = list({m.name: m for m in modules.values() if m is not None}.values())
    return LinkedKernels({name: m.address(name) for name, m in modules.items() if m is not None}, used,
                         any(m.entry.built for m in built))


#: kernels per module below which a build is not split (a module's fixed cost, headers and gcc's start, is
#: about a dozen small kernels' worth)
MIN_KERNELS_PER_PART = 6


def build_parts(kernels: Sequence[KernelSource], jobs: int) -> list[list[KernelSource]]:
    """``kernels`` cut into at most ``jobs`` modules of similar source length, the same cut for the same kernels
    (cache keys stay stable); none when there is nothing to build."""
    count = min(max(1, jobs), len(kernels) // MIN_KERNELS_PER_PART) or (1 if kernels else 0)
    parts: list[list[KernelSource]] = [[] for _ in range(count)]
    sizes = [0] * count
    for kernel in sorted(kernels, key=lambda k: (-len(k.text), k.name)):
        smallest = sizes.index(min(sizes))
        parts[smallest].append(kernel)
        sizes[smallest] += len(kernel.text)
    return [sorted(part, key=lambda k: k.name) for part in parts]


def _destroyable(fgraph: FunctionGraph) -> dict[Variable, Variable]:
    """Shared-variable inputs whose buffer their update may take (the memory plan decides whether it does: not
    when an output returns the old buffer or the new one)."""
    return {fgraph.inputs[i]: fgraph.outputs[o] for o, i in fgraph.updates.items()}


def _in_place(plan: StepPlan, memory: MemoryPlan) -> dict[int, int]:
    """What the step computes in place, by node input index: output 0 into input 0's buffer, where the step may
    (``StepPlan.may_overwrite_input``) and the memory plan allows."""
    choice = memory.in_place_for(plan.node).get(0) if plan.may_overwrite_input else None
    if choice is None or choice.input != 0:
        return {}
    return {0: next(i for i, var in enumerate(plan.node.inputs) if var is plan.inputs[0])}


#: the kernel error codes, as the runtime (common.h) numbers them
ERROR_CODES = "enum { AG_ERR_NEGATIVE_POWER = 1 };\n"


def link(fgraph: FunctionGraph, options: COptions, builder: Builder, get_runtime: Callable[[], ModuleType],
         build_jobs: int = 1, compile_inner: InnerCompiler | None = None) -> Any:
    """The executable Program for ``fgraph``; ``get_runtime()`` waits for the runtime module (which may be
    compiling meanwhile); new kernels go into up to ``build_jobs`` modules compiled at once; ``compile_inner``
    compiles the inner graphs of control-flow nodes (without it, they run on the reference evaluator)."""
    ctx = EmitContext(C_DIALECT, builder.toolchain.vector_math)
    order = fgraph.toposort()
    plans, reasons = plan_steps(fgraph, ctx)
    memory = plan_memory(fgraph, _destroyable(fgraph))
    linked = link_kernels(plans, ctx, KernelLibrary(builder), build_jobs)
    runtime = get_runtime()
    if any(p is not None and p.kind in (StepKind.MATMUL, StepKind.GEMM) for p in plans):
        rt.ensure_blas(runtime)
    if compile_inner is not None:  # control-flow nodes, their inner graphs compiled into programs of their own
        plans = [control_flow_plan(node, compile_inner, runtime.Program)
                 if plan is None and isinstance(node.op, InnerGraphOp) else plan
                 for node, plan in zip(order, plans, strict=True)]

    slots: dict[Variable, int] = {}
    for var in fgraph.inputs:
        slots.setdefault(var, len(slots))
    constants = []
    for node in order:
        for var in node.inputs:
            if isinstance(var, Constant) and var not in slots:
                slots[var] = len(slots)
                constants.append((slots[var], var.data))
    for var in fgraph.outputs:
        if isinstance(var, Constant) and var not in slots:
            slots[var] = len(slots)
            constants.append((slots[var], var.data))
    for node in order:
        for var in node.outputs:
            slots.setdefault(var, len(slots))

    keep = {slots[v] for v in fgraph.outputs} | set(range(len(fgraph.inputs))) | {s for s, _ in constants}
    last_use: dict[int, int] = {}
    step_inputs = []
    for k, (node, plan) in enumerate(zip(order, plans, strict=True)):
        ins = [slots[v] for v in (plan.inputs if plan is not None else node.inputs)]
        step_inputs.append(ins)
        for s in ins:
            last_use[s] = k
    frees: list[list[int]] = [[] for _ in order]
    for k, node in enumerate(order):
        for var in node.outputs:
            s = slots[var]
            if s not in keep:  # released after its last use, or at once when nothing uses it
                frees[max(last_use.get(s, k), k)].append(s)

    steps: list[tuple[Any, ...]] = []
    infos: list[StepInfo] = []
    for k, (node, plan) in enumerate(zip(order, plans, strict=True)):
        outs = tuple(slots[v] for v in node.outputs)
        types = tuple(np.dtype(o.type.dtype).num if isinstance(o.type, TensorType) else -1 for o in node.outputs)
        if plan is None:
            steps.append((StepKind.PYTHON, tuple(step_inputs[k]), outs, types, (0, 0, 0),
                          pack_params(StepKind.PYTHON, {}), python_step(node), tuple(frees[k])))
            infos.append(StepInfo(node, "python", (), reasons[k], tuple(node.inputs)))
            continue
        fns = [linked.addresses[kn.name] for kn in plan.kernels]
        fns += [0] * (3 - len(fns))
        in_place = _in_place(plan, memory)
        ip = plan.in_place_ip() if in_place else plan.ip
        steps.append((plan.kind, tuple(step_inputs[k]), outs, types, tuple(fns), ip, plan.obj, tuple(frees[k])))
        reason = reasons[k] if plan.kind == StepKind.PYTHON else ""
        infos.append(StepInfo(node, plan.label, tuple(kn.name for kn in plan.kernels), reason, tuple(plan.inputs),
                          in_place))
    info = ProgramInfo(fgraph, infos, [m.name for m in linked.modules], linked.built)
    return runtime.Program(len(slots), tuple(_input_spec(v) for v in fgraph.inputs),
                           tuple(slots[v] for v in fgraph.outputs), tuple(constants), tuple(steps), info,
                           options.runtime_tuple(), tuple(m.module for m in linked.modules))

