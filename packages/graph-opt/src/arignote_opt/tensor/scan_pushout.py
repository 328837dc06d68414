"""Work moved out of a loop's step where it is better done over all steps at once (Theano's ``PushOutSeqScan``
and ``PushOutDot1``):

- a product of a sequence's entry by a matrix the step does not change (``x_t @ W``) is one matrix product of
  the whole sequence before the loop (``x @ W``: one GEMM instead of T matrix-vector products), read by the
  step as a sequence;
- a sum carried across the steps of products of step values (``dW + x_t.T @ g_t``, what a gradient's loop
  accumulates for a weight) is one product of their stacks after the loop (``x.reshape(-1, n).T @
  g.reshape(-1, m)``), the step stacking the two factors instead of adding an outer product per step.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from arignote_core import (
    Apply,
    Constant,
    DimShuffle,
    Elemwise,
    MatMul,
    TensorType,
    TensorVariable,
    Variable,
    as_tensor,
)
from arignote_core.control import Scan
from arignote_core.tensors.shaping import reshape

from ..engine import Node
from .control import rebuild_scan
from .rulesets import CANONICALIZE


def _floating(v: Variable) -> bool:
    return isinstance(v.type, TensorType) and np.dtype(v.type.dtype).kind in "fc"


class _SequenceWork:
    """The values of a step computed from one tap of one sequence and the step's invariants alone, each with
    the same computation over the whole sequence (outer variables)."""

    def __init__(self, scan: Apply) -> None:
        op = scan.op
        assert isinstance(op, Scan)
        self.info, self.step = op.info, op.step
        _, outer = self.info.split_outer_inputs(scan.inputs)
        inner = self.info.split_inner_inputs(self.step.inputs)
        #: per step value: (sequence index, tap index) it is computed from, and its whole-sequence computation
        self.whole: dict[Variable, tuple[tuple[int, int], Variable]] = {}
        self.invariant: dict[Variable, Variable] = dict(zip(inner.non_sequences, outer.non_sequences, strict=True))
        self.has_product: set[Variable] = set()
        for i, taps in enumerate(inner.sequences):
            for k, tap_var in enumerate(taps):
                self.whole[tap_var] = ((i, k), as_tensor(outer.sequences[i]))
        for node in self.step.fgraph.toposort():
            self._visit(node)

    def _outer_invariant(self, v: Variable) -> Variable | None:
        if isinstance(v, Constant):
            return v
        return self.invariant.get(v)

    def _visit(self, node: Apply) -> None:
        """Records ``node``'s output when it is sequence work: an elementwise op, an axis reordering, or a
        product by an invariant matrix on the right, of one tap's values and invariants (floats only: none of
        these can fail on values the step would not have read)."""
        out = node.outputs[0]
        if len(node.outputs) != 1 or not _floating(out):
            return
        sources = {self.whole[v][0] for v in node.inputs if v in self.whole}
        if len(sources) != 1 or any(v not in self.whole and self._outer_invariant(v) is None for v in node.inputs):
            return
        (source,) = sources
        op = node.op
        if isinstance(op, Elemwise):
            whole = op(*(self.whole[v][1] if v in self.whole else self._outer_invariant(v) for v in node.inputs))
        elif isinstance(op, DimShuffle) and node.inputs[0] in self.whole:
            order = (0, *(d + 1 if isinstance(d, int) else d for d in op.new_order))
            whole = DimShuffle(op.input_ndim + 1, order)(self.whole[node.inputs[0]][1])
        elif isinstance(op, MatMul) and node.inputs[0] in self.whole and node.inputs[1] not in self.whole \
                and node.inputs[1].type.ndim == 2:
            whole = op(self.whole[node.inputs[0]][1], self._outer_invariant(node.inputs[1]))
            self.has_product.add(out)
        else:
            return
        if any(v in self.has_product for v in node.inputs):
            self.has_product.add(out)
        self.whole[out] = (source, as_tensor(whole))


@CANONICALIZE.rule(Node(Scan, ..., op_as="op"), tags=("control",))
def scan_pushes_out_sequence_products(node: Apply, op: Scan) -> dict[Variable, Variable] | None:
    """A product of a sequence's entry by an invariant matrix (and the elementwise work on it before the step
    needs a step value) is computed over the whole sequence before the loop (see the module's docstring)."""
    info = op.info
    if info.as_while:
        return None  # a while loop may stop early: work over the whole sequence could be wasted or fail
    work = _SequenceWork(node)
    order = op.step.fgraph.toposort()
    outputs = set(op.step.outputs)
    read_by_step = {v for n in order if n.outputs[0] not in work.has_product for v in n.inputs}
    frontier = [v for v in work.has_product if v in read_by_step or v in outputs]
    if not frontier:
        return None
    position = {node: k for k, node in enumerate(order)}
    frontier.sort(key=lambda v: position[v.owner] if v.owner is not None else -1)
    inner = info.split_inner_inputs(op.step.inputs)
    n_steps, outer = info.split_outer_inputs(node.inputs)
    new_taps: list[list[Variable]] = []
    for v in frontier:
        (i, k), _ = work.whole[v]
        new_taps.append([v if j == k else v.type.make_variable(name=f"{v.name or 'pushed'} tap")
                         for j in range(len(info.seq_taps[i]))])
    new_info = replace(info, seq_taps=info.seq_taps + tuple(info.seq_taps[work.whole[v][0][0]] for v in frontier))
    step_inputs = [*(t for taps in inner.sequences for t in taps), *(t for taps in new_taps for t in taps),
                   *(t for taps in inner.states for t in taps), *inner.carried, *inner.non_sequences]
    new_outputs = rebuild_scan(op, new_info, step_inputs, list(op.step.outputs),
                               [n_steps, *outer.sequences, *(work.whole[v][1] for v in frontier), *outer.states,
                                *outer.carried, *outer.non_sequences])
    return dict(zip(node.outputs, new_outputs, strict=True))


def _transposed_matrix(v: Variable) -> Variable | None:
    """``a`` when ``v`` is ``a.T`` of a matrix ``a``."""
    owner = v.owner
    if owner is not None and isinstance(owner.op, DimShuffle) and owner.op.new_order == (1, 0):
        return owner.inputs[0]
    return None


def _accumulated_product(scan: Apply, m: int) -> tuple[Variable, Variable] | None:
    """The factors ``(a, g)`` when carried value ``m`` of ``scan`` is ``c + a.T @ g`` at every step (in either
    order of the sum), ``a`` and ``g`` matrices computed without ``c``, and ``c`` read nowhere else."""
    op = scan.op
    assert isinstance(op, Scan)
    info = op.info
    inner = info.split_inner_inputs(op.step.inputs)
    results, _ = info.split_inner_outputs(op.step.outputs)
    c, nxt = inner.carried[m], results.carried[m]
    total = nxt.owner
    if total is None or not isinstance(total.op, Elemwise) or total.op.scalar_op.name != "add" \
            or len(total.inputs) != 2 or c not in total.inputs or c.type.ndim != 2:
        return None
    product = total.inputs[1] if total.inputs[0] is c else total.inputs[0]
    owner = product.owner
    if owner is None or not isinstance(owner.op, MatMul) or product.type != c.type:
        return None
    a, g = _transposed_matrix(owner.inputs[0]), owner.inputs[1]
    if a is None or a.type.ndim != 2 or g.type.ndim != 2:
        return None
    clients = op.step.fgraph.clients.get(c, [])
    if len(clients) != 1 or c in op.step.outputs:
        return None
    return a, g


@CANONICALIZE.rule(Node(Scan, ..., op_as="op"), tags=("control",))
def scan_pushes_out_accumulated_products(node: Apply, op: Scan) -> dict[Variable, Variable] | None:
    """A carried sum of products ``c + a_t.T @ g_t`` becomes one product after the loop, ``c_0 + a.reshape(-1,
    n).T @ g.reshape(-1, m)`` (see the module's docstring): a factor that is a sequence's entry is read from the
    sequence (in the order the steps read it), another is stacked as an output of the step."""
    info = op.info
    found = {m: pair for m in range(info.n_carried) if (pair := _accumulated_product(node, m)) is not None}
    if not found:
        return None
    kept = [m for m in range(info.n_carried) if m not in found]
    inner = info.split_inner_inputs(op.step.inputs)
    results, condition = info.split_inner_outputs(op.step.outputs)
    n_steps, outer = info.split_outer_inputs(node.inputs)
    entry_of = {taps[0]: as_tensor(seq) for taps, seq in zip(inner.sequences, outer.sequences, strict=True)
                if len(taps) == 1}
    stacked: list[Variable] = []
    for f in (f for pair in found.values() for f in pair):
        if f not in entry_of and f not in stacked:
            stacked.append(f)
    if info.as_while and not stacked:
        stacked.append(next(iter(found.values()))[1])  # its length says how many steps ran
    new_info = replace(info, n_outputs=info.n_outputs + len(stacked), n_carried=len(kept))
    new = new_info.split_outer_outputs(rebuild_scan(
        op, new_info,
        [*(t for taps in inner.sequences for t in taps), *(t for taps in inner.states for t in taps),
         *(inner.carried[m] for m in kept), *inner.non_sequences],
        [*results.states, *results.outputs, *stacked, *(results.carried[m] for m in kept),
         *([condition] if condition is not None else [])],
        [n_steps, *outer.sequences, *outer.states, *(outer.carried[m] for m in kept), *outer.non_sequences]))
    old = info.split_outer_outputs(node.outputs)
    replacements = dict(zip([*old.states, *old.outputs, *(old.carried[m] for m in kept)],
                            [*new.states, *new.outputs[: info.n_outputs], *new.carried], strict=True))
    stack_of = {f: as_tensor(v) for f, v in zip(stacked, new.outputs[info.n_outputs:], strict=True)}
    steps_run = stack_of[stacked[0]].shape[0] if info.as_while else as_tensor(n_steps)

    def rows(f: Variable) -> TensorVariable:
        """The factor's value at every step, in the order of the steps, as rows."""
        if f in stack_of:
            values = stack_of[f]
        else:
            sequence = entry_of[f]
            values = (sequence[::-1] if info.go_backwards else sequence)[:steps_run]
        return reshape(values, (-1, f.type.shape[1] if f.type.shape[1] is not None else values.shape[2]))

    for m, (a, g) in found.items():
        total = as_tensor(outer.carried[m]) + rows(a).T @ rows(g)
        replacements[old.carried[m]] = total.astype(old.carried[m].type.dtype)
    return replacements
