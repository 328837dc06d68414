"""Theano's ``In`` and ``Out``: a function's inputs and outputs with options."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from arignote_core import Variable

_NO_VALUE = object()


@dataclass
class In:
    """Theano's ``In(variable, name=, value=, update=, mutable=)``.

    ``value`` is the input's default (the input may then be left out of a call, or given by keyword);
    ``update`` (with a ``value``) makes the input a state of the function: it starts at ``value``, is replaced
    by ``update``'s value after each call and is no longer an argument. ``mutable`` (let the function overwrite
    the argument) is accepted: Arignote never writes into an argument. ``strict``, ``allow_downcast``,
    ``borrow`` and ``implicit`` are accepted for Theano's signature.
    """

    variable: Variable
    name: str | None = None
    value: Any = _NO_VALUE
    update: Any = None
    mutable: bool = False
    strict: bool = False
    allow_downcast: bool | None = None
    autoname: bool = True
    implicit: bool | None = None
    borrow: bool = False
    shared: bool = False

    def __post_init__(self) -> None:
        if self.update is not None and not self.has_value:
            raise ValueError(f"In({self.variable}, update=...): an input with an update needs a value to start "
                             "from (value=)")

    @property
    def has_value(self) -> bool:
        return self.value is not _NO_VALUE


@dataclass
class Out:
    """Theano's ``Out(variable, borrow=False)``: an output; ``borrow`` is accepted (Arignote's outputs are always
    the caller's own arrays)."""

    variable: Variable
    borrow: bool = False
