"""Debugging ops (``Print``): the identity on values, so the identity on derivatives, which are not printed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from arignote_core import Apply
from arignote_core.debugprint import Print

from ..registry import register_pullback, register_pushforward


@register_pullback(Print)
def print_pullback(op: Print, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
    return [output_grads[0]]


@register_pushforward(Print)
def print_pushforward(op: Print, node: Apply, tangents: Sequence[Any]) -> list[Any]:
    return [tangents[0]]
