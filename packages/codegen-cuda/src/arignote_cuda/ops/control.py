"""Control flow (graph-core's ``InnerGraphOp``s: ``Scan``, ``IfElse``, ``OpFromGraph``) as a host-side loop or
choice over device steps: each inner graph is planned here for the device, and compiled on its first run into a
``CudaProgram`` of its own over the driver and the memory pool of the program running the node (``InnerProgram``).
Planning rewrites a copy of each inner graph with the mode's rewriter first (``plan_control_flow``, called by
``plan_graph`` with the mode's rewriter; once per compiled function, not per call), as codegen-c's
``compile_inner`` does: a step's elementwise work is fused into one kernel as the function's is.

A scan runs its step program once per step on device arrays: sequences' entries are views of the sequences'
device memory, states and carried values stay on the device from one step to the next, and each step's states and
outputs are copied (device to device) into ``[T, ...]`` stacks allocated once; taps and ``go_backwards`` read
as graph-core's reference loop does (``arignote_core.control.scan_loop``). A while loop reads its condition back
at each step (one copy of one byte per step, and its synchronization). An ``ifelse`` reads its condition on the
host and runs only the branch taken, an ``OpFromGraph`` its graph, both through the op's own ``evaluate`` (as
codegen-c runs them over its compiled programs), so only the taken branch's kernels launch.

What crosses to the host: inner inputs that no kernel of the inner graphs reads (nor returns as an output) are
given as host values, never uploaded (a sequence only a host step reads is sliced on the host); host steps inside
a step copy what they read, as in any program. A scan reads its step's error flags once, after the loop
(``CudaProgram.run(..., check_errors=False)``, then ``check_errors()``), not per step. Errors, in this order: a
step that raises (a host step's NumPy error) has the flags read first, so a kernel's error of this or an
earlier step is raised rather than what its garbage caused; after the loop (a while loop's last step, or a
value changing shape) the flags are read before anything is returned. Either way, where an error is found the
loop runs again from the start with the flags read after every step, which raises the first error with its step
(``in step t of n``), as the reference loop would; the failing loop's values are never returned. A loop whose
inputs do not fit (lengths, a value changing shape) runs on the host this time, where the reference loop raises
its error; a scan whose step has no kernel, or with a value that is not a tensor (a random generator), is a host
step.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy as np

from arignote_c.emit.context import EmitContext, Unsupported
from arignote_core.control import IfElse, InnerGraph, InnerGraphOp, OpFromGraph, Scan, ScanInfo
from arignote_core.control.scan_info import Groups
from arignote_core.evaluator import raise_with_context
from arignote_core.fgraph import FunctionGraph
from arignote_core.graph import Apply, Variable
from arignote_core.tensors import TensorType

from ..device_array import DeviceArray
from ..dialect import DEVICE_TYPES
from ..kernels import DeviceKernel
from ..plan import GraphRewriter, KernelPlan, LaunchContext
from ..registry import register_lowering
from ..views import is_view

if TYPE_CHECKING:
    from ..program import CudaProgram


#: the ops whose nodes ``plan_control_flow`` plans
CONTROL_FLOW_OPS = (Scan, IfElse, OpFromGraph)


class InnerProgram:
    """An inner graph planned for the device (a copy rewritten by ``rewriter`` where one is given, so that the
    caller's graph is left as it is), and its program: built on the first run over the driver and pool of the
    program running the node (kept, and rebuilt only for another pool)."""

    def __init__(self, fgraph: FunctionGraph, rewriter: GraphRewriter | None = None) -> None:
        from ..program import plan_graph  # noqa: PLC0415 -- program.py imports the lowering rules: a cycle

        if rewriter is not None:
            fgraph = fgraph.clone()
            rewriter(fgraph)
        self.fgraph = fgraph
        self.steps, self.reasons = plan_graph(fgraph, rewriter)
        plans = [plan for _, plan in self.steps if plan is not None]
        #: every kernel the graph launches, nested graphs' included
        self.kernels = tuple({k.name: k for plan in plans for k in plan.kernels}.values())
        self.has_kernels = bool(plans)
        read = _read_on_device(self.steps, fgraph.outputs)
        #: the positions of the inputs a kernel reads from device memory (or that are outputs)
        self.device_inputs = frozenset(i for i, var in enumerate(fgraph.inputs) if var in read)
        #: the program last built (None before the first run)
        self.compiled: CudaProgram | None = None

    def program(self, ctx: LaunchContext) -> CudaProgram:
        """The compiled program over ``ctx``'s driver and pool; its outputs are device arrays."""
        from ..program import CudaProgram  # noqa: PLC0415 -- program.py imports the lowering rules: a cycle

        if self.compiled is None or self.compiled.pool is not ctx.pool:
            self.compiled = CudaProgram(self.fgraph, self.steps, self.reasons, ctx.driver, ctx.geometry,
                                         "an inner graph", outputs="device", pool=ctx.pool)
        return self.compiled


def _read_on_device(steps: Sequence[tuple[Apply, KernelPlan | None]], outputs: Sequence[Variable]) -> set[Variable]:
    """The variables a kernel reads from device memory, directly or through views, and the graph's outputs."""
    read = set(outputs)
    for node, plan in reversed(steps):
        if plan is not None:
            read.update(node.inputs[i] for i in plan.operands)
        elif is_view(node) and node.outputs[0] in read:
            read.add(node.inputs[0])
    return read


def _require_tensors(node: Apply, graphs: Sequence[InnerGraph]) -> None:
    """Unsupported where a value is not a tensor, or the node's are of a dtype without kernels (as ``lower``)."""
    values = [*node.inputs, *node.outputs, *(v for g in graphs for v in (*g.inputs, *g.outputs))]
    odd = next((v for v in values if not isinstance(v.type, TensorType)), None)
    if odd is not None:
        raise Unsupported(f"{odd} is a {odd.type}, not a tensor: the node runs on the host")
    dtype = next((v.type.dtype for v in (*node.inputs, *node.outputs) if v.type.dtype not in DEVICE_TYPES), None)
    if dtype is not None:
        raise Unsupported(f"{dtype} has no CUDA kernels yet")


def _inner_programs(node: Apply[InnerGraphOp], rewriter: GraphRewriter | None) -> dict[int, InnerProgram]:
    """Each inner graph of ``node`` planned (by the graph's id); Unsupported where none has a kernel."""
    graphs = [graph for _, graph in node.op.inner_graphs]
    _require_tensors(node, graphs)
    inner = {id(graph): InnerProgram(graph.fgraph, rewriter) for graph in graphs}
    if not any(program.has_kernels for program in inner.values()):
        raise Unsupported("its inner graphs have no CUDA kernels: it runs on the host")
    return inner


def _kernels(inner: dict[int, InnerProgram]) -> tuple[DeviceKernel, ...]:
    return tuple({k.name: k for program in inner.values() for k in program.kernels}.values())


def plan_control_flow(node: Apply, rewriter: GraphRewriter | None) -> KernelPlan:
    """The plan of a node of one of ``CONTROL_FLOW_OPS``, its inner graphs rewritten by ``rewriter`` (a mode's)
    and planned; Unsupported where it runs on the host. ``plan_graph`` calls it for these nodes, the lowering
    rules registered here (for ``lower``, which has no rewriter) with None."""
    return _plan_scan(node, rewriter) if isinstance(node.op, Scan) else _plan_inner_graphs(node, rewriter)


@register_lowering(*CONTROL_FLOW_OPS)
def lower_control_flow(ctx: EmitContext, node: Apply) -> KernelPlan:
    """The node's plan, its inner graphs as written (``plan_graph`` rewrites them: ``plan_control_flow``)."""
    return plan_control_flow(node, None)


# -- ifelse and OpFromGraph -------------------------------------------------------------------------------------


def _plan_inner_graphs(node: Apply, rewriter: GraphRewriter | None) -> KernelPlan:
    """The node's inner graphs as programs of their own; the condition of an ``ifelse`` is read on the host."""
    inner = _inner_programs(node, rewriter)
    first = 1 if isinstance(node.op, IfElse) else 0   # where the inner graphs' inputs start among the node's
    on_device = set().union(*(program.device_inputs for program in inner.values()))
    return KernelPlan(node, _kernels(inner), tuple(first + i for i in sorted(on_device)),
                      partial(_run_inner_graphs, inner=inner))


def _run_inner_graphs(plan: KernelPlan, values: Sequence[Any], ctx: LaunchContext, *,
                      inner: dict[int, InnerProgram]) -> list[DeviceArray]:
    """The op's ``evaluate``, each inner graph run by its device program (an ``ifelse`` runs the one taken)."""

    def run(graph: InnerGraph, args: Sequence[Any]) -> list[Any]:
        return inner[id(graph)].program(ctx)(list(args))

    results = plan.node.op.evaluate(plan.node, values, run)
    return _owned(results, values, plan.node.outputs, ctx)


def _root(array: DeviceArray) -> DeviceArray:
    while array.base is not None:
        array = array.base
    return array


def _owned(results: Sequence[Any], inputs: Sequence[Any], outputs: Sequence[Variable],
           ctx: LaunchContext) -> list[DeviceArray]:
    """``results`` as device arrays of their own: a copy of one whose memory is an input's or an earlier
    result's (a branch returning its input), and host values uploaded."""
    seen = {id(_root(v)) for v in inputs if isinstance(v, DeviceArray)}
    owned: list[DeviceArray] = []
    for value, var in zip(results, outputs, strict=True):
        if not isinstance(value, DeviceArray):
            value = DeviceArray.from_host(ctx.pool, value, var.type.dtype)
        elif id(_root(value)) in seen:
            value = value.copy()
        seen.add(id(_root(value)))
        owned.append(value)
    return owned


# -- scan -------------------------------------------------------------------------------------------------------


def _plan_scan(node: Apply, rewriter: GraphRewriter | None) -> KernelPlan:
    """The step as a program of its own, run once per step by ``run_scan``: the states, carried values and the
    sequences and non-sequences a kernel of the step reads are device operands."""
    op = node.op
    inner = _inner_programs(node, rewriter)
    step = inner[id(op.step)]
    info = op.info
    taps = info.split_inner_inputs(list(range(info.n_inner_inputs)))
    _, outer = info.split_outer_inputs(list(range(info.n_outer_inputs)))
    operands = [p for p, inner_taps in zip(outer.sequences, taps.sequences, strict=True)
                if step.device_inputs.intersection(inner_taps)]
    operands += [*outer.states, *outer.carried]
    operands += [p for p, i in zip(outer.non_sequences, taps.non_sequences, strict=True) if i in step.device_inputs]
    return KernelPlan(node, step.kernels, tuple(sorted(operands)), partial(run_scan, step=step))


def run_scan(plan: KernelPlan, values: Sequence[Any], ctx: LaunchContext, *,
             step: InnerProgram) -> list[DeviceArray] | None:
    """The loop of graph-core's reference (``scan_loop.run_scan``) over device arrays, the step run by its
    program and its error flags read once, after the loop; None (the node runs on the host, whose loop raises
    the error) where the inputs do not fit or a value changes shape. Where a step raises or a flag is set, the
    loop runs again reading the flags after each step, to raise the first error with its step (see the
    module's docstring)."""
    info: ScanInfo = plan.node.op.info
    n_steps_value, outer = info.split_outer_inputs(values)
    n_steps = int(n_steps_value)
    if not _fits(info, n_steps, outer.sequences, outer.states):
        return None
    program = step.program(ctx)
    loop = partial(_loop, plan.node, outer, n_steps, program, ctx)
    try:
        ended = loop(checked=False)
        program.check_errors()
    except Exception as exc:
        with contextlib.suppress(Exception):  # flags a failing step left unread: they are the rerun's to find
            program.check_errors()
        loop(checked=True)  # raises the first error, naming its step
        raise_with_context(exc, f"in {_label(plan.node.op)}, on the device (a second run did not fail)")
    if ended is None:
        return None
    stacks, carried = ended
    return [*stacks, *_owned(carried, values, plan.node.outputs[len(stacks):], ctx)]


def _loop(node: Apply, outer: Groups[Any], n_steps: int, program: CudaProgram, ctx: LaunchContext,
          checked: bool) -> tuple[list[DeviceArray], list[Any]] | None:
    """The states' and outputs' stacks (cut at a while loop's last step) and the carried values at the end, or
    None where a value changes shape; with ``checked`` the flags are read after each step, and an error is raised
    naming its step (without, the caller reads them after the loop)."""
    op = node.op
    info: ScanInfo = op.info
    states = [DeviceArray(ctx.pool, (n_steps, *buffer.shape[1:]), var.type.dtype)
              for buffer, var in zip(outer.states, node.outputs[: info.n_states], strict=True)]
    outputs: list[DeviceArray | None] = [None] * info.n_outputs
    carried = list(outer.carried)
    done = n_steps
    for t in range(n_steps):
        args = _step_inputs(info, t, outer.sequences, outer.states, states, carried, outer.non_sequences)
        try:
            results = program.run(args, check_errors=checked)
        except Exception as exc:
            if not checked:
                raise
            raise_with_context(exc, f"in step {t} of {n_steps} of {_label(op)}, on the device")
        new, condition = info.split_inner_outputs(results)
        for j, value in enumerate(new.outputs):
            if outputs[j] is None:
                dtype = node.outputs[info.n_states + j].type.dtype
                outputs[j] = DeviceArray(ctx.pool, (n_steps, *np.shape(value)), dtype)
        stored = [*states, *(o for o in outputs if o is not None)]
        if not all(_store(ctx, stack, t, value) for stack, value in zip(stored, [*new.states, *new.outputs],
                                                                         strict=True)):
            return None
        carried = new.carried
        if condition is not None and _true(condition):
            done = t + 1
            break
    filled = [o for o in outputs if o is not None]
    if len(filled) < len(outputs):  # no step ran
        shapes = _zero_step_shapes(op, program, outer.sequences, outer.states, carried,
                                   outer.non_sequences)
        filled = [DeviceArray(ctx.pool, (0, *shape), node.outputs[info.n_states + j].type.dtype)
                  for j, shape in enumerate(shapes)]
    return [s if done == n_steps else s.view((done, *s.shape[1:]), s.strides) for s in [*states, *filled]], carried


def _fits(info: ScanInfo, n_steps: int, sequences: Sequence[Any], buffers: Sequence[Any]) -> bool:
    """Whether the loop's inputs have the lengths ``n_steps`` steps need (the reference loop's checks)."""
    return n_steps >= 0 and all(seq.shape[0] >= n_steps + info.span(i) for i, seq in enumerate(sequences)) \
        and all(buffer.shape[0] == info.max_lag(j) for j, buffer in enumerate(buffers))


def _row(array: Any, i: int) -> Any:
    """Entry ``i`` along the first axis: a view of a device array's memory, or of a host array."""
    if not isinstance(array, DeviceArray):
        return array[i]
    view = array.view(array.shape[1:], array.strides[1:])
    view.pointer = array.pointer + i * array.strides[0]
    return view


def _step_inputs(info: ScanInfo, t: int, sequences: Sequence[Any], buffers: Sequence[Any],
                 stacks: Sequence[DeviceArray], carried: Sequence[Any], non_sequences: Sequence[Any]) -> list[Any]:
    """What step ``t`` reads (``scan_loop._step_inputs``'s indices): entries of the sequences, of the states'
    initial buffers and of their stacks, as views."""
    args: list[Any] = []
    for seq, taps in zip(sequences, info.seq_taps, strict=True):
        if info.go_backwards:
            start = seq.shape[0] - 1 - max(taps) - t
            args += [_row(seq, start + k) for k in taps]
        else:
            args += [_row(seq, t + k - min(taps)) for k in taps]
    for j, (buffer, stack) in enumerate(zip(buffers, stacks, strict=True)):
        max_lag = info.max_lag(j)
        args += [_row(stack, t + k) if t + k >= 0 else _row(buffer, max_lag + k + t) for k in info.state_taps[j]]
    return [*args, *carried, *non_sequences]


def _dense(array: DeviceArray) -> bool:
    """Whether ``array``'s elements lie in C order without gaps (axes of length 1 aside, whatever their stride)."""
    expected = array.itemsize
    for extent, stride in reversed(list(zip(array.shape, array.strides, strict=True))):
        if extent != 1 and stride != expected:
            return False
        expected *= extent
    return True


def _store(ctx: LaunchContext, stack: DeviceArray, t: int, value: Any) -> bool:
    """Copy a step's ``value`` into row ``t`` of ``stack``: device to device, or through the host for a strided
    result (a transposed view of an input); False where its shape is not the row's."""
    row = _row(stack, t)
    if tuple(np.shape(value)) != row.shape:
        return False
    if not row.size:
        return True
    if isinstance(value, DeviceArray) and value.dtype == row.dtype and _dense(value):
        ctx.driver.dtod(row.pointer, value.pointer, row.nbytes)
    else:
        ctx.driver.htod(row.pointer, np.ascontiguousarray(np.asarray(value), dtype=row.dtype))
    return True


def _true(condition: Any) -> bool:
    """The truth of a while loop's condition: a copy of its byte to the host when it is on the device."""
    return bool(condition.get() if isinstance(condition, DeviceArray) else condition)


def _zero_step_shapes(op: Scan, program: CudaProgram, sequences: Sequence[Any], buffers: Sequence[Any],
                      carried: Sequence[Any], non_sequences: Sequence[Any]) -> list[tuple[int, ...]]:
    """The shapes of the step's outputs for a loop that ran no step, as the reference finds them: a step run on
    zeros (entries of a sequence's or a state's shape), or the static shapes with 0 where unknown."""
    info = op.info
    args: list[Any] = []
    for seq, taps in zip(sequences, info.seq_taps, strict=True):
        args += [np.zeros(seq.shape[1:], seq.dtype)] * len(taps)
    for buffer, taps in zip(buffers, info.state_taps, strict=True):
        args += [np.zeros(buffer.shape[1:], buffer.dtype)] * len(taps)
    try:
        results = info.split_inner_outputs(program([*args, *carried, *non_sequences]))[0].outputs
        return [tuple(np.shape(r)) for r in results]
    except Exception:  # noqa: BLE001 (a step refusing zeros: only the shapes were wanted)
        outs, _ = info.split_inner_outputs(op.step.outputs)
        return [tuple(s or 0 for s in o.type.shape) for o in outs.outputs]


def _label(op: Scan) -> str:
    where = f" (made at {op.source.short()})" if op.source else ""
    return f"scan {op.name!r}{where}" if op.name else f"scan{where}"
