"""What the engine asks of an op set, as small tables keyed by class with generic defaults.

The engine knows nothing of tensors. An op set teaches it four things, each optional:

- *index keys*: a finer key than the op class for indexing rules (tensors index ``Elemwise`` by its scalar op,
  so a ``log`` rule never meets an ``add`` node);
- *commutativity*: which ops may have their inputs swapped when matching a pattern;
- *constant values*: the Python number a constant stands for when a pattern asks for one (tensors accept only
  constants with a single element, so that ``x * 1 -> x`` cannot change a broadcast shape);
- *operators*: the ops that Python's arithmetic operators on patterns stand for (``x + 1`` matches an ``add``).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

import numpy as np

from arignote_core import Constant, Op, Variable

#: op class -> function giving the refined index key of an instance (``(Elemwise, Log)``).
_KEY_REFINERS: dict[type, Callable[[Any], Hashable]] = {}
#: op class -> predicate saying whether an instance is commutative in its (two) inputs.
_COMMUTATIVE: dict[type, Callable[[Any], bool]] = {}
#: type class -> reader of the number a constant of that type stands for (None: not a plain number).
_CONSTANT_READERS: dict[type, Callable[[Constant], Any]] = {}
_MRO_KEYS: dict[type, tuple[type, ...]] = {}
#: operator symbol ("+", "neg", "**"...) -> the op a pattern written with that operator matches.
_OPERATORS: dict[str, Op] = {}


def register_index_key(op_class: type, refine: Callable[[Any], Hashable]) -> None:
    """Index nodes whose op is an instance of ``op_class`` also under ``refine(op)``."""
    _KEY_REFINERS[op_class] = refine


def register_commutative(op_class: type, predicate: Callable[[Any], bool]) -> None:
    """Say which instances of ``op_class`` are commutative (pattern matching tries both input orders)."""
    _COMMUTATIVE[op_class] = predicate


def register_constant_reader(type_class: type, reader: Callable[[Constant], Any]) -> None:
    """Say which number a constant of ``type_class`` stands for (None when it is not a single number)."""
    _CONSTANT_READERS[type_class] = reader


def register_operators(operators: dict[str, Op]) -> None:
    """Say which op each Python operator on patterns stands for (``"+"``, ``"-"``, ``"*"``, ``"/"``, ``"**"``,
    ``"neg"``)."""
    _OPERATORS.update(operators)


def operator_op(symbol: str) -> Op:
    """The op the operator ``symbol`` stands for in patterns."""
    try:
        return _OPERATORS[symbol]
    except KeyError:
        raise TypeError(f"no op set has said what the operator {symbol!r} means in patterns "
                        "(register_operators)") from None


def _class_keys(cls: type) -> tuple[type, ...]:
    keys = _MRO_KEYS.get(cls)
    if keys is None:
        keys = _MRO_KEYS[cls] = tuple(k for k in cls.__mro__ if k not in (object, Op))
    return keys


def node_keys(op: Op) -> tuple[Hashable, ...]:
    """Every key a node with ``op`` is indexed under: its classes (most specific first), then refined keys."""
    classes = _class_keys(type(op))
    refined = tuple(_KEY_REFINERS[k](op) for k in classes if k in _KEY_REFINERS)
    return refined + classes


def index_key(op: Op | type) -> Hashable:
    """The single most specific key under which a rule about ``op`` (an instance or a class) is filed."""
    if isinstance(op, type):
        return op
    for cls in _class_keys(type(op)):
        if cls in _KEY_REFINERS:
            return _KEY_REFINERS[cls](op)
    kind: type = type(op)  # a class is a key (as a type, not as an Op's instance protocol)
    return kind


def is_commutative(op: Op) -> bool:
    """Whether ``op``'s two inputs may be swapped; defaults to the op's ``commutative`` attribute."""
    for cls in _class_keys(type(op)):
        if cls in _COMMUTATIVE:
            return _COMMUTATIVE[cls](op)
    return bool(getattr(op, "commutative", False))


def constant_value(var: Variable) -> Any:
    """The Python number ``var`` stands for when it is a constant holding one number, else None."""
    if not isinstance(var, Constant):
        return None
    for cls in type(var.type).__mro__:
        if cls in _CONSTANT_READERS:
            return _CONSTANT_READERS[cls](var)
    return _default_reader(var)


def _default_reader(var: Constant) -> Any:
    data = np.asarray(var.data)
    return data.item() if data.size == 1 and data.dtype.kind in "biufc" else None
