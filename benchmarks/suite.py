"""What a benchmark workload is: inputs, a NumPy oracle, and one builder per peer.

A builder takes the workload's variant and returns a zero-argument callable that runs one step (inputs are bound
inside), or raises ``ImportError`` when the peer is not installed. Every peer's result is checked against NumPy
before anything is timed, so a fast wrong answer never shows up in a table.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

Step = Callable[[], Any]
Builder = Callable[[Any], tuple[Step, Callable[[], Any]]]


@dataclass(frozen=True)
class Workload:
    """A benchmark: ``variants`` (sizes, dtypes...), peers mapping a name to a builder.

    A builder returns ``(step, result)``: ``step()`` runs the timed work; ``result()`` returns what to compare with
    the NumPy oracle (usually ``step()`` itself; for training steps, the parameters after a step).
    """

    name: str
    title: str
    variants: tuple[Any, ...]
    peers: Mapping[str, Builder]
    rtol: Callable[[Any], float] = lambda variant: 1e-9
    quick_variants: tuple[Any, ...] | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: the peer the ratios are taken against
    baseline: str = "numpy"

    def label(self, variant: Any) -> str:
        return str(variant)
