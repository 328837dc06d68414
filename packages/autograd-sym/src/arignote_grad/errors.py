"""Undefined gradients and the errors differentiation raises.

An undefined gradient is a marker, not a graph: an op's rule returns ``undefined_grad(op, i, reason)`` for an
input whose gradient does not exist (an integer input, the order of a Bessel function, ...). The marker travels
backwards like a gradient would; nothing is built for it, and only if it reaches a variable the user asked a
gradient for does it raise, naming the op, the input and the reason.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from arignote_core import Apply, Op, SourceLocation


@dataclass(frozen=True)
class UndefinedGrad:
    """The gradient for input (or output) ``index`` of ``op`` does not exist, because of ``reason``."""

    op: Any
    index: int
    reason: str
    position: str = "input"
    source: SourceLocation | None = None

    def at(self, node: Apply) -> UndefinedGrad:
        """This marker with the source line of ``node`` when it has none yet."""
        return self if self.source is not None else replace(self, source=node.source)

    def describe(self) -> str:
        where = f" (created at {self.source.short()})" if self.source is not None else ""
        return f"{self.position} {self.index} of {self.op}{where}: {self.reason}"


def undefined_grad(op: Op, index: int, reason: str) -> UndefinedGrad:
    """What a rule returns for input ``index`` of ``op`` when its gradient does not exist."""
    return UndefinedGrad(op, index, reason)


class UndefinedGradientError(ValueError):
    """A gradient the user asked for goes through an undefined one."""


class DisconnectedInputError(ValueError):
    """``grad`` was asked for the gradient with respect to a variable the cost does not depend on."""


class DisconnectedOutputError(ValueError):
    """``Rop`` was asked for the directional derivative of an output that does not depend on ``wrt``."""


class MissingRuleError(NotImplementedError):
    """An op on the path being differentiated has no derivative rule."""


class GradientRuleError(TypeError):
    """A derivative rule returned something of the wrong kind, type or shape."""


class GradientCheckError(AssertionError):
    """``verify_grad`` found the symbolic gradient far from the finite-difference one."""


class NothingToCheckError(TypeError):
    """``verify_grad``/``verify_rop`` got no float input to differentiate or no float output."""
