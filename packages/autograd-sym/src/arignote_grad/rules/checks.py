"""Runtime checks (``CheckAndRaise``, ``SpecifyShape``): the identity on values, so on derivatives too."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import Apply
from arignote_core.tensors.checks import CheckAndRaise, SpecifyShape

from ..registry import register_linear, register_pullback, register_pushforward


@register_pullback(CheckAndRaise)
@register_pullback(SpecifyShape)
def check_pullback(op: Any, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    return [output_grads[0]] + [None] * (len(node.inputs) - 1)


@register_pushforward(CheckAndRaise)
def check_pushforward(op: CheckAndRaise, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    return [tangents[0]]


register_linear(SpecifyShape)
