"""Theano's truth value for the variables this namespace makes.

Theano 1.0 code tests ``if not W:`` on a parameter that is None or a shared variable: Theano's variables were
true, except the results of comparisons (so that ``a < b < c`` still failed). Arignote's own variables refuse
``bool()`` (a symbolic value has no truth value until the graph runs). The leaves this namespace makes, symbolic
inputs (``T.matrix``, ``T.tensor``; not the variables a type makes, ``TensorType(...)()``), shared variables
(``theano.shared``) and constants (``T.constant``), belong to the subclasses below, whose ``bool()`` is True as
Theano's was (and which have Theano's ``broadcastable``); everything computed from them keeps the core's rule,
and so comparisons still refuse it, as they did in Theano.
"""

from __future__ import annotations

from typing import TypeVar

from arignote_core import TensorConstant, TensorSharedVariable, TensorVariable


class TheanoLeaf(TensorVariable):
    """What the leaves of this namespace add: Theano's truth value and ``broadcastable``."""

    def __bool__(self) -> bool:
        return True

    @property
    def broadcastable(self) -> tuple[bool, ...]:
        """Theano's pattern: True for an axis of size 1."""
        return self.type.broadcastable


class TheanoTensorVariable(TheanoLeaf):
    """A symbolic input made through ``arignote.theano``."""


class TheanoSharedVariable(TheanoLeaf, TensorSharedVariable):
    """A shared variable made by ``theano.shared``."""


class TheanoTensorConstant(TheanoLeaf, TensorConstant):
    """A constant made by ``T.constant``."""


_THEANO_CLASS: dict[type, type] = {TensorVariable: TheanoTensorVariable, TensorSharedVariable: TheanoSharedVariable,
                                   TensorConstant: TheanoTensorConstant}

V = TypeVar("V", bound=TensorVariable)


def theano_leaf(var: V) -> V:
    """``var`` (a core leaf, just made) given its Theano class, so that ``bool(var)`` is True; variables of any
    other class are returned as they are."""
    theano_class = _THEANO_CLASS.get(type(var))
    if theano_class is not None:
        var.__class__ = theano_class
    return var
