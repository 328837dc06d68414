"""A small pattern language: match a subgraph, bind its pieces by name, build the replacement.

>>> x = Var("x")
>>> rule = PatternRule("log1p", Node(log, Node(add, Const(1), x)), Call(log1p, Ref("x")))

reads ``log(1 + x) -> log1p(x)``; :mod:`.syntax` parses exactly that text into these objects. Matching tries
both input orders of commutative ops (as the op set declares them, see :mod:`.hooks`), with backtracking, so a
variable bound twice (``x - x``) must be the same variable, or equal constants.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from arignote_core import Apply, Constant, FunctionGraph, Op, Variable

from .hooks import constant_value, index_key, is_commutative
from .rules import Replacement, Rule

Bindings = Mapping[str, Any]


class Pattern:
    """Something a variable of a graph can match; ``match`` yields every way it does (as bindings)."""

    def match(self, var: Variable, bindings: Bindings) -> Iterator[Bindings]:
        raise NotImplementedError


class Var(Pattern):
    """Any variable, bound to ``name``; ``where(var)`` may restrict it. A name used twice must match the same
    variable (or an equal constant)."""

    def __init__(self, name: str, where: Callable[[Variable], bool] | None = None) -> None:
        self.name = name
        self.where = where

    def match(self, var: Variable, bindings: Bindings) -> Iterator[Bindings]:
        bound = bindings.get(self.name)
        if bound is not None:
            if bound is var or (isinstance(bound, Constant) and isinstance(var, Constant) and bound.equals(var)):
                yield bindings
            return
        if self.where is None or self.where(var):
            yield {**bindings, self.name: var}

    def __repr__(self) -> str:
        return self.name


class Const(Pattern):
    """A constant standing for the number ``value`` (see :func:`.hooks.constant_value`); bound to ``name`` if
    given. ``value=None`` matches any such constant."""

    def __init__(self, value: Any = None, name: str | None = None) -> None:
        self.value = value
        self.name = name

    def match(self, var: Variable, bindings: Bindings) -> Iterator[Bindings]:
        found = constant_value(var)
        if found is None:
            return
        if self.value is not None and not bool(np.equal(found, self.value)):
            return
        if self.name is None:
            yield bindings
        elif self.name not in bindings:
            yield {**bindings, self.name: var}
        elif isinstance(bindings[self.name], Constant) and bindings[self.name].equals(var):
            yield bindings

    def __repr__(self) -> str:
        return "const" if self.value is None else repr(self.value)


OpSpec = Op | type | Callable[[Op], bool]


class Node(Pattern):
    """The output of a node whose op matches ``op`` (an op, equal ops match; an op class; or a predicate on
    ops) and whose inputs match ``args``. ``name`` binds the matched variable, ``where(node)`` restricts.
    ``commutative`` (default: ask the op set) tries both orders of two inputs."""

    def __init__(self, op: OpSpec, *args: Pattern, name: str | None = None,
                 where: Callable[[Apply], bool] | None = None, commutative: bool | None = None) -> None:
        self.op = op
        self.args = tuple(args)
        self.name = name
        self.where = where
        self.commutative = commutative

    def _op_matches(self, op: Op) -> bool:
        if isinstance(self.op, Op):
            return op == self.op
        if isinstance(self.op, type):
            return isinstance(op, self.op)
        return bool(self.op(op))

    def index_key(self) -> Any:
        """The key under which a rule rooted at this pattern is filed (None: it may match any node)."""
        return index_key(self.op) if isinstance(self.op, Op | type) else None

    def match(self, var: Variable, bindings: Bindings) -> Iterator[Bindings]:
        node = var.owner
        if node is None or len(node.inputs) != len(self.args) or not self._op_matches(node.op):
            return
        if self.where is not None and not self.where(node):
            return
        if self.name is not None:
            if self.name in bindings and bindings[self.name] is not var:
                return
            bindings = {**bindings, self.name: var}
        orders = [node.inputs]
        commutative = is_commutative(node.op) if self.commutative is None else self.commutative
        if commutative and len(node.inputs) == 2 and node.inputs[0] is not node.inputs[1]:
            orders.append(node.inputs[::-1])
        for inputs in orders:
            yield from _match_all(self.args, inputs, bindings)

    def __repr__(self) -> str:
        label = getattr(self.op, "__name__", None) or str(self.op)
        return f"{label}({', '.join(map(repr, self.args))})"


def _match_all(patterns: Sequence[Pattern], inputs: Sequence[Variable], bindings: Bindings) -> Iterator[Bindings]:
    if not patterns:
        yield bindings
        return
    for found in patterns[0].match(inputs[0], bindings):
        yield from _match_all(patterns[1:], inputs[1:], found)


# -----------------------------------------------------------------------------------------------------------
# replacements


class Template:
    """How to build a replacement from bindings."""

    def build(self, bindings: Bindings) -> Any:
        raise NotImplementedError


class Ref(Template):
    """The variable bound to ``name``."""

    def __init__(self, name: str) -> None:
        self.name = name

    def build(self, bindings: Bindings) -> Any:
        if self.name not in bindings:
            raise KeyError(f"the replacement uses {self.name!r}, which the pattern does not bind")
        return bindings[self.name]

    def __repr__(self) -> str:
        return self.name


class Call(Template):
    """``fn(*args, **kwargs)`` where ``fn`` is an op (or any function building variables) and each argument is a
    template or a plain value (a Python number stays a Python number: the op set decides what it becomes)."""

    def __init__(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs

    def build(self, bindings: Bindings) -> Any:
        args = [a.build(bindings) if isinstance(a, Template) else a for a in self.args]
        kwargs = {k: v.build(bindings) if isinstance(v, Template) else v for k, v in self.kwargs.items()}
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        label = getattr(self.fn, "__name__", None) or str(self.fn)
        return f"{label}({', '.join(map(repr, self.args))})"


Builder = Template | Callable[..., Variable | None]


class PatternRule(Rule):
    """``pattern -> replacement``: the first match whose ``where(bindings)`` holds and whose replacement fits
    the matched variable's type is applied. ``replacement`` is a template, or a function called with the
    bindings as keyword arguments (returning None when it declines)."""

    quiet_type_mismatch = True

    def __init__(self, name: str, pattern: Node, replacement: Builder,
                 where: Callable[..., bool] | None = None, tags: Sequence[str] = ()) -> None:
        if not isinstance(pattern, Node):
            raise TypeError(f"pattern rule {name}: a pattern must be rooted at a node pattern, got {pattern!r}")
        key = pattern.index_key()
        super().__init__(name, None if key is None else (key,), tags)
        self.pattern = pattern
        self.replacement = replacement
        self.where = where

    def transform(self, fgraph: FunctionGraph, node: Apply) -> Replacement:
        for var in node.outputs:
            for bindings in self.pattern.match(var, {}):
                if self.where is not None and not self.where(**bindings):
                    continue
                if isinstance(self.replacement, Template):
                    try:
                        new = self.replacement.build(bindings)
                    except TypeError:
                        continue  # the op set refuses these operands (``-b`` for a bool ``b``): no match
                else:
                    new = self.replacement(**bindings)
                if new is None or new is var:
                    continue
                if isinstance(new, Variable) and not var.type.is_compatible(new.type):
                    continue
                return {var: new}
        return None

    def __repr__(self) -> str:
        return f"PatternRule({self.name!r}: {self.pattern!r} -> {self.replacement!r})"
