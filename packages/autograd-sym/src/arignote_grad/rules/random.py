"""Random draws: no derivative in the distribution's parameters (explicitly undefined).

A pathwise gradient exists for some distributions, but only when the draw is written reparameterized; write
``loc + scale * normal(0, 1)`` to differentiate through a normal draw. The generator state and the size are
integers and disconnected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import Apply
from arignote_core.random.ops import RandomVariable

from ..errors import undefined_grad
from ..registry import register_pullback, register_pushforward


def _undefined(op: RandomVariable, count: int) -> list[Any]:
    reason = (f"a {op.distribution} draw has no derivative in its parameters; write it reparameterized (for a "
              "normal: loc + scale * standard draw) to differentiate through it")
    return [None, None] + [undefined_grad(op, i, reason) for i in range(2, count)]


@register_pullback(RandomVariable)
def random_pullback(op: RandomVariable, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    return _undefined(op, len(node.inputs))


@register_pushforward(RandomVariable)
def random_pushforward(op: RandomVariable, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    return [None, _undefined(op, 3)[2]]
