"""Small questions rules ask about tensor nodes and variables."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from arignote_core import Apply, Constant, Elemwise, FunctionGraph, Variable

from ..engine import Node, Replacement, RuleSet, constant_value


def scalar_name(node: Apply | None) -> str | None:
    """The name of an Elemwise node's scalar op (``"add"``), else None."""
    if node is None or not isinstance(node.op, Elemwise):
        return None
    return node.op.scalar_op.name


def is_elemwise(var: Variable, *names: str) -> bool:
    """Whether ``var`` is computed by an Elemwise of one of the scalar ops ``names``."""
    return scalar_name(var.owner) in names


def scalar_constant(var: Variable) -> Any:
    """The number a constant holding a single element stands for, else None."""
    return constant_value(var)


def only_client(fgraph: FunctionGraph, var: Variable) -> Apply | None:
    """The one node using ``var`` when it has exactly one use and is not a graph output, else None."""
    users = fgraph.clients.get(var, ())
    if len(users) != 1 or not isinstance(users[0][0], Apply):
        return None
    return users[0][0]


@functools.cache
def kind(dtype: str) -> str:
    """NumPy's kind letter of ``dtype`` (b, i, u, f, c)."""
    return np.dtype(dtype).kind


def is_float(var: Variable) -> bool:
    return kind(var.type.dtype) == "f"


def is_real_float(dtype: str) -> bool:
    return kind(dtype) == "f"


def fits(value: Any, dtype: str) -> bool:
    """Whether the Python number ``value`` is exactly representable as a weak constant of ``dtype``."""
    letter = kind(dtype)
    if letter in "iu":
        if isinstance(value, complex) or not float(value).is_integer():
            return False
        info = np.iinfo(dtype)
        return bool(info.min <= int(value) <= info.max)
    if letter == "f":
        return not isinstance(value, complex)
    return letter == "c"


def as_python_number(value: Any, dtype: str) -> Any:
    """``value`` as the Python number type matching ``dtype``'s kind (for a weak constant)."""
    letter = kind(dtype)
    if letter in "iu":
        return int(value)
    if letter == "f":
        return float(value)
    return complex(value)


def static_shape(var: Variable) -> tuple[int | None, ...]:
    return var.type.shape


def is_constant(var: Variable) -> bool:
    return isinstance(var, Constant)


def apply_keeping_constants(op: Any, var: Variable, *args: Any) -> Variable:
    """``op(var, *args)``, computed now when ``var`` is a constant (and its other inputs are): a weak constant
    stays weak, so that an elementwise op rebuilt on the result promotes dtypes as before."""
    node = op.make_node(var, *args)
    if not isinstance(var, Constant) or not all(isinstance(v, Constant) for v in node.inputs):
        return node.outputs[0]
    (value,) = op.perform(node, [v.data for v in node.inputs])
    value = np.asarray(value)
    const_type = node.outputs[0].type.clone(shape=value.shape)
    return const_type.constant_class(const_type, value, weak=var.weak)


def register_ieee_and_fast_math(rule_set: RuleSet, rule: Callable[..., Replacement], pattern: Node,
                                tags: tuple[str, ...]) -> None:
    """Register ``rule(fgraph, node, fast_math)`` for what ``pattern`` matches twice: as its own name (IEEE
    semantics, tag ``ieee``) and as ``<name>_fast_math`` (tag ``fast_math``); a pipeline leaves out one of the
    two tags."""
    name = rule.__name__
    for fast_math, suffix, tag in ((False, "", "ieee"), (True, "_fast_math", "fast_math")):
        transform = functools.partial(rule, fast_math=fast_math)
        functools.update_wrapper(transform, rule)
        rule_set.rule(pattern, name=name + suffix, tags=(*tags, tag))(transform)
