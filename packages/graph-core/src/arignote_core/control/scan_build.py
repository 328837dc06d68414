"""Building a ``Scan`` node from a loop described with the variables of its step as they were built.

``scan`` and the derivative rules describe a loop by the variables the step reads (its sequences' and states'
taps, its carried values, its non-sequences) and the ones it computes, in a :class:`Loop`. Whatever else the
step uses comes from outside the loop: the largest parts of the step that read none of its inputs (shared
variables, the caller's inputs and what is computed from them only) become non-sequences, computed once before
the loop rather than at every step, as Theano's rewrite ``scan_pushout_non_seqs`` would do later.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..graph import Constant, Variable, toposort
from .inner import InnerGraph
from .scan_info import ScanInfo
from .scan_op import Scan


@dataclass
class Loop:
    """A loop in terms of its step's variables: per sequence ``(sequence, taps, the step's tap variables)``,
    per state ``(buffer, taps, tap variables, next value)``, per-step ``outputs``, per carried value ``(initial
    value, the step's variable, next value)``, non-sequences ``(outer value, the step's variable)``, and the
    condition ending a while loop."""

    sequences: list[tuple[Variable, tuple[int, ...], list[Variable]]] = field(default_factory=list)
    states: list[tuple[Variable, tuple[int, ...], list[Variable], Variable]] = field(default_factory=list)
    outputs: list[Variable] = field(default_factory=list)
    carried: list[tuple[Variable, Variable, Variable]] = field(default_factory=list)
    non_sequences: list[tuple[Variable, Variable]] = field(default_factory=list)
    condition: Variable | None = None

    def step_inputs(self) -> list[Variable]:
        """The step's inputs in the order of the step graph's (see :mod:`.scan_info`)."""
        seq_taps = [v for _, _, taps in self.sequences for v in taps]
        state_taps = [v for _, _, taps, _ in self.states for v in taps]
        return [*seq_taps, *state_taps, *[c for _, c, _ in self.carried], *[v for _, v in self.non_sequences]]

    def step_outputs(self) -> list[Variable]:
        """The step's outputs in the order of the step graph's."""
        condition = [] if self.condition is None else [self.condition]
        return [*[n for *_, n in self.states], *self.outputs, *[n for *_, n in self.carried], *condition]


def build_scan(loop: Loop, n_steps: Any, *, go_backwards: bool = False, truncate_gradient: int = -1,
               name: str | None = None) -> list[Variable]:
    """The outputs of a new ``Scan`` node running ``loop`` for ``n_steps`` (at most, for a while loop): the
    states' stacks, the outputs' stacks, the carried values' last values."""
    inner = loop.step_inputs()
    outputs = loop.step_outputs()
    given = set(inner)
    extra = [v for v in outside_values(outputs, given) if v not in given]
    non_sequences = [*loop.non_sequences, *[(v, v) for v in extra]]
    info = ScanInfo(seq_taps=tuple(taps for _, taps, _ in loop.sequences),
                    state_taps=tuple(taps for _, taps, _, _ in loop.states), n_outputs=len(loop.outputs),
                    n_carried=len(loop.carried), n_non_sequences=len(non_sequences),
                    as_while=loop.condition is not None, go_backwards=go_backwards,
                    truncate_gradient=truncate_gradient)
    op = Scan(info, InnerGraph([*inner, *extra], outputs), name)
    outer = [*[s for s, _, _ in loop.sequences], *[b for b, *_ in loop.states], *[c for c, _, _ in loop.carried],
             *[v for v, _ in non_sequences]]
    return list(op.make_node(n_steps, *outer).outputs)


def outside_values(outputs: Sequence[Variable], inner: set[Variable]) -> list[Variable]:
    """The variables the graph of ``outputs`` takes from outside a loop whose step reads ``inner``: the largest
    parts that depend on none of ``inner`` (constants stay in the step), in first-seen order."""
    depends = set(inner)
    found: dict[Variable, None] = {}
    for node in toposort(outputs, stop_at=list(inner)):
        if any(v in depends for v in node.inputs):
            depends.update(node.outputs)
            found.update((v, None) for v in node.inputs if v not in depends and not isinstance(v, Constant))
    found.update((v, None) for v in outputs if v not in depends and not isinstance(v, Constant))
    return list(found)
