"""``ScanInfo``: what a ``Scan`` loop is made of, and where each kind of value sits among its inputs and outputs.

A loop has five kinds of values (Theano's names in brackets):

- *sequences* [seqs]: read one entry per step, at each of their taps (offsets from the step, any sign);
- *states* [mit_sot, sit_sot]: fed back, read at negative taps (``-1`` is the previous step); the node is given
  a buffer of the ``max_lag`` values before the first step (the oldest first) and returns the ``[T, ...]``
  stack of the values the steps computed;
- *outputs* [nit_sot]: computed at every step, not fed back; the node returns their stack;
- *carried* values [shared outs]: fed back from one step to the next (shared variables updated in the loop,
  gradient accumulators); the node is given the value before the first step and returns the last one;
- *non-sequences*: the same at every step.

The step graph's inputs are, in order: every tap of every sequence (sequence by sequence, taps in the order
given), every tap of every state, the carried values, the non-sequences. Its outputs: the next value of each
state, the outputs, the next carried values, then the condition ending the loop when it is a while loop. The
node's inputs: the number of steps, the sequences, the states' buffers, the carried values' initial values, the
non-sequences; its outputs: the states' stacks, the outputs' stacks, the carried values' last values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Groups(Generic[T]):
    """Values of a loop split by kind (inputs or outputs of the node or of its step graph); the kinds a list of
    values has not are empty."""

    sequences: list[T]
    states: list[T]
    outputs: list[T]
    carried: list[T]
    non_sequences: list[T]


@dataclass(frozen=True)
class StepInputs(Generic[T]):
    """The step graph's inputs by kind: one list of taps per sequence and per state."""

    sequences: list[list[T]]
    states: list[list[T]]
    carried: list[T]
    non_sequences: list[T]


@dataclass(frozen=True)
class ScanInfo:
    """The static description of a loop: the taps of its sequences and states, how many values of each other
    kind it has, and its options (``truncate_gradient`` is for the derivative rule: the number of steps back
    the gradient goes, -1 for all)."""

    seq_taps: tuple[tuple[int, ...], ...]
    state_taps: tuple[tuple[int, ...], ...]
    n_outputs: int
    n_carried: int
    n_non_sequences: int
    as_while: bool = False
    go_backwards: bool = False
    truncate_gradient: int = -1

    def __post_init__(self) -> None:
        for taps in self.seq_taps:
            if not taps or len(set(taps)) != len(taps):
                raise ValueError(f"a sequence needs distinct taps, got {list(taps)}")
        for taps in self.state_taps:
            if not taps or len(set(taps)) != len(taps) or any(k >= 0 for k in taps):
                raise ValueError(f"a state needs distinct negative taps (-1 is the previous step), got {list(taps)}")

    @property
    def n_sequences(self) -> int:
        return len(self.seq_taps)

    @property
    def n_states(self) -> int:
        return len(self.state_taps)

    def span(self, i: int) -> int:
        """How many more entries than steps sequence ``i`` needs: its largest tap minus its smallest."""
        return max(self.seq_taps[i]) - min(self.seq_taps[i])

    def max_lag(self, j: int) -> int:
        """How many values before the first step state ``j`` reads: the rows of its buffer."""
        return -min(self.state_taps[j])

    # -- where each value sits -------------------------------------------------------------------------------

    def split_inner_inputs(self, values: Sequence[T]) -> StepInputs[T]:
        """The step graph's inputs by kind."""
        it = iter(values)
        seqs = [[next(it) for _ in taps] for taps in self.seq_taps]
        states = [[next(it) for _ in taps] for taps in self.state_taps]
        carried = [next(it) for _ in range(self.n_carried)]
        return StepInputs(seqs, states, carried, list(it))

    @property
    def n_inner_inputs(self) -> int:
        return sum(map(len, self.seq_taps)) + sum(map(len, self.state_taps)) + self.n_carried + self.n_non_sequences

    @property
    def n_inner_outputs(self) -> int:
        return self.n_states + self.n_outputs + self.n_carried + int(self.as_while)

    def split_inner_outputs(self, values: Sequence[T]) -> tuple[Groups[T], T | None]:
        """The step graph's outputs by kind, and the condition (None without one)."""
        a, b, c = self.n_states, self.n_states + self.n_outputs, self.n_states + self.n_outputs + self.n_carried
        condition = values[c] if self.as_while else None
        return Groups([], list(values[:a]), list(values[a:b]), list(values[b:c]), []), condition

    @property
    def n_outer_inputs(self) -> int:
        return 1 + self.n_sequences + self.n_states + self.n_carried + self.n_non_sequences

    def split_outer_inputs(self, values: Sequence[T]) -> tuple[T, Groups[T]]:
        """The node's number of steps, and its other inputs by kind."""
        a = 1 + self.n_sequences
        b = a + self.n_states
        c = b + self.n_carried
        return values[0], Groups(list(values[1:a]), list(values[a:b]), [], list(values[b:c]), list(values[c:]))

    def split_outer_outputs(self, values: Sequence[T]) -> Groups[T]:
        a, b = self.n_states, self.n_states + self.n_outputs
        return Groups([], list(values[:a]), list(values[a:b]), list(values[b:]), [])
