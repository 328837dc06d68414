"""What a mode did with a case, as the worker reports it to the supervisor (plain picklable data)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .oracle import Failure


@dataclass
class CallResult:
    """One call: its outputs (copied right after the call) or its failure, the shared values after it, the
    explicit inputs whose buffers changed, outputs sharing memory with an input, outputs sharing memory with
    another output."""

    outputs: list[np.ndarray] | None = None
    failure: Failure | None = None
    shared_after: dict[str, np.ndarray] = field(default_factory=dict)
    inputs_changed: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)
    shared_outputs: list[str] = field(default_factory=list)


@dataclass
class ModeResult:
    """A case in one mode. ``build``/``compile``/``grad_build`` failures stop what follows them; ``dead`` is
    "crash" or "hang" when the worker died or ran out of time (set by the supervisor)."""

    mode: str
    build_failure: Failure | None = None
    compile_failure: Failure | None = None
    calls: list[CallResult] = field(default_factory=list)
    clobbered: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    grad: list[np.ndarray] | None = None
    grad_build_failure: Failure | None = None
    grad_failure: Failure | None = None
    dead: str | None = None
    dead_detail: str = ""
