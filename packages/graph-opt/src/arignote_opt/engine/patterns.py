"""The one way to write a structural rewrite: match a subgraph, bind its pieces by name, build the replacement.

>>> x = Var("x")
>>> rule = PatternRule("log1p", P.log(1 + x), lambda x: log1p(x))

reads ``log(1 + x) -> log1p(x)``, as tinygrad's ``UPat`` rules read: patterns are Python objects, combined with
Python's arithmetic operators (``1 + x`` is ``Node(add, Const(1), x)`` for the op set's ``add``, see
:func:`.hooks.register_operators`); :mod:`.syntax` parses the text ``"log(1 + x) -> log1p(x)"`` into exactly
these objects. Matching tries both input orders of commutative ops (as the op set declares them, see
:mod:`.hooks`), with backtracking, so a variable bound twice (``x - x``) must be the same variable, or equal
constants. A replacement is a :class:`Template` or a function of the bindings; it may also ask for the
``fgraph`` and the matched ``node`` by naming them as parameters.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from types import EllipsisType
from typing import Any

import numpy as np

from arignote_core import Apply, Constant, FunctionGraph, Op, Variable

from .hooks import constant_value, index_key, is_commutative, operator_op
from .rules import Replacement, Rule

Bindings = Mapping[str, Any]


class Pattern:
    """Something a variable of a graph can match; ``match`` yields every way it does (as bindings).

    Arithmetic operators build node patterns with the op set's operators: ``x * 2 + y`` matches
    ``add(multiply(x, 2), y)``.
    """

    def match(self, var: Variable, bindings: Bindings) -> Iterator[Bindings]:
        raise NotImplementedError

    def build(self) -> Any:
        """The expression a ground pattern (no unbound variable) stands for: a variable, or a number."""
        raise TypeError(f"the pattern {self!r} has unbound parts; it cannot be built")

    def _apply(self, symbol: str, *operands: Any) -> Node:
        return Node(operator_op(symbol), *(as_pattern(o) for o in operands))

    def __add__(self, other: Any) -> Node:
        return self._apply("+", self, other)

    def __radd__(self, other: Any) -> Node:
        return self._apply("+", other, self)

    def __sub__(self, other: Any) -> Node:
        return self._apply("-", self, other)

    def __rsub__(self, other: Any) -> Node:
        return self._apply("-", other, self)

    def __mul__(self, other: Any) -> Node:
        return self._apply("*", self, other)

    def __rmul__(self, other: Any) -> Node:
        return self._apply("*", other, self)

    def __truediv__(self, other: Any) -> Node:
        return self._apply("/", self, other)

    def __rtruediv__(self, other: Any) -> Node:
        return self._apply("/", other, self)

    def __pow__(self, other: Any) -> Node:
        return self._apply("**", self, other)

    def __rpow__(self, other: Any) -> Node:
        return self._apply("**", other, self)

    def __neg__(self) -> Node:
        return self._apply("neg", self)


def as_pattern(value: Any) -> Pattern:
    """``value`` as a pattern: a pattern stays one, a Python number is a :class:`Const` of that number."""
    if isinstance(value, Pattern):
        return value
    if isinstance(value, bool | int | float | complex):
        return Const(value)
    raise TypeError(f"a pattern operand must be a pattern or a number, got {value!r}")


class Var(Pattern):
    """Any variable, bound to ``name``; ``where(var)`` may restrict it. A name used twice must match the same
    variable (or an equal constant)."""

    def __init__(self, name: str, where: Callable[[Variable], bool] | None = None) -> None:
        self.name = name
        self.where = where

    def match(self, var: Variable, bindings: Bindings) -> Iterator[Bindings]:
        bound = bindings.get(self.name)
        if bound is not None:
            if _same(bound, var):
                yield bindings
            return
        if self.where is None or self.where(var):
            yield {**bindings, self.name: var}

    def __repr__(self) -> str:
        return self.name


def _agrees(bound: Any, value: Any) -> bool:
    """Whether a name bound twice is bound to the same thing (variables by identity: a tensor's ``==`` builds
    a node)."""
    if isinstance(value, tuple):
        return isinstance(bound, tuple) and len(bound) == len(value) and \
            all(a is b for a, b in zip(bound, value, strict=True))
    return bound is value or (not isinstance(value, Variable) and bound == value)


def _same(bound: Any, var: Variable) -> bool:
    return bound is var or (isinstance(bound, Constant) and isinstance(var, Constant) and bound.equals(var))


class Is(Pattern):
    """Exactly the variable ``var``."""

    def __init__(self, var: Variable) -> None:
        self.var = var

    def match(self, var: Variable, bindings: Bindings) -> Iterator[Bindings]:
        if var is self.var:
            yield bindings

    def build(self) -> Any:
        return self.var

    def __repr__(self) -> str:
        return f"is({self.var})"


class Const(Pattern):
    """A constant standing for the number ``value`` (see :func:`.hooks.constant_value`; NaN matches NaN); bound
    to ``name`` if given. ``value=None`` matches any such constant."""

    def __init__(self, value: Any = None, name: str | None = None) -> None:
        self.value = value
        self.name = name

    def match(self, var: Variable, bindings: Bindings) -> Iterator[Bindings]:
        found = constant_value(var)
        if found is None:
            return
        if self.value is not None and not bool(np.equal(found, self.value) or (found != found and
                                                                                 self.value != self.value)):
            return
        if self.name is None:
            yield bindings
        elif self.name not in bindings:
            yield {**bindings, self.name: var}
        elif isinstance(bindings[self.name], Constant) and bindings[self.name].equals(var):
            yield bindings

    def build(self) -> Any:
        if self.value is None:
            return super().build()
        return self.value

    def __repr__(self) -> str:
        return "const" if self.value is None else repr(self.value)


class OpMatch:
    """Ops a node pattern accepts, described by a test and the index keys under which every such op's nodes
    are filed (``keys=None``: the rule may meet any node). ``OpMatch((Elemwise, Cast), is_cast)`` accepts every
    cast whatever its target dtype, and is offered only cast nodes."""

    def __init__(self, keys: Sequence[Hashable] | None, test: Callable[[Op], bool], label: str) -> None:
        self.keys = None if keys is None else tuple(keys)
        self.test = test
        self.label = label

    def __repr__(self) -> str:
        return self.label


OpSpec = Op | type | tuple[Op | type, ...] | OpMatch | Callable[[Op], bool]


class Node(Pattern):
    """The output of a node whose op matches ``op`` and whose inputs match ``args``.

    ``op`` is an op (equal ops match), an op class, a tuple of those (any of them), an :class:`OpMatch`, or a
    predicate on ops. ``args`` may end with ``...``: any further inputs; ``rest`` binds the inputs after the
    patterns in ``args`` (a tuple, any number of them). ``name`` binds the matched variable, ``op_as`` the
    node's op; ``where(node)`` restricts. ``commutative`` (default: ask the op set) tries both orders of two
    inputs.
    """

    def __init__(self, op: OpSpec, *args: Pattern | EllipsisType, name: str | None = None,
                 op_as: str | None = None, rest: str | None = None, where: Callable[[Apply], bool] | None = None,
                 commutative: bool | None = None) -> None:
        variadic = bool(args) and args[-1] is Ellipsis
        fixed = args[:-1] if variadic else args
        if any(not isinstance(a, Pattern) for a in fixed):
            raise TypeError(f"node pattern {op!r}: its inputs must be patterns (and a final ...), got {args!r}")
        self.op = op
        self.args: tuple[Pattern, ...] = tuple(a for a in fixed if isinstance(a, Pattern))
        self.variadic = variadic or rest is not None
        self.rest = rest
        self.name = name
        self.op_as = op_as
        self.where = where
        self.commutative = commutative

    def _op_matches(self, op: Op) -> bool:
        spec = self.op
        if isinstance(spec, tuple):
            return any(op == s if isinstance(s, Op) else isinstance(op, s) for s in spec)
        if isinstance(spec, Op):
            return op == spec
        if isinstance(spec, type):
            return isinstance(op, spec)
        if isinstance(spec, OpMatch):
            return spec.test(op)
        return bool(spec(op))

    def index_keys(self) -> tuple[Hashable, ...] | None:
        """The keys under which a rule rooted at this pattern is filed (None: it may match any node)."""
        spec = self.op
        if isinstance(spec, tuple):
            return tuple(index_key(s) for s in spec)
        if isinstance(spec, Op | type):
            return (index_key(spec),)
        if isinstance(spec, OpMatch):
            return spec.keys
        return None

    def match(self, var: Variable, bindings: Bindings) -> Iterator[Bindings]:
        node = var.owner
        if node is None or not self._op_matches(node.op):
            return
        count = len(self.args)
        if len(node.inputs) < count or (not self.variadic and len(node.inputs) != count):
            return
        if self.where is not None and not self.where(node):
            return
        for key, value in ((self.name, var), (self.op_as, node.op), (self.rest, tuple(node.inputs[count:]))):
            if key is not None:
                if key in bindings and not _agrees(bindings[key], value):
                    return
                bindings = {**bindings, key: value}
        orders = [node.inputs[:count]]
        commutative = is_commutative(node.op) if self.commutative is None else self.commutative
        if commutative and count == 2 and not self.variadic and node.inputs[0] is not node.inputs[1]:
            orders.append(node.inputs[1::-1])
        for inputs in orders:
            yield from _match_all(self.args, inputs, bindings)

    def build(self) -> Any:
        if not isinstance(self.op, Op) or self.variadic:
            return super().build()
        return self.op(*(a.build() for a in self.args))

    def __repr__(self) -> str:
        label = getattr(self.op, "__name__", None) or str(self.op)
        args = [repr(a) for a in self.args] + (["..."] if self.variadic else [])
        return f"{label}({', '.join(args)})"


class AnyOf(Pattern):
    """Whatever one of ``alternatives`` matches (each tried in turn)."""

    def __init__(self, *alternatives: Pattern) -> None:
        self.alternatives = alternatives

    def match(self, var: Variable, bindings: Bindings) -> Iterator[Bindings]:
        for alternative in self.alternatives:
            yield from alternative.match(var, bindings)

    def __repr__(self) -> str:
        return " | ".join(map(repr, self.alternatives))


class Through(Pattern):
    """``inner``, seen through up to ``depth`` nodes of the op classes ``ops`` applied to their first input
    (ops that only move or select elements, say, which an elementwise function commutes with). ``chain_as``
    binds those nodes, outermost first."""

    def __init__(self, ops: tuple[type, ...], inner: Pattern, chain_as: str, depth: int = 3) -> None:
        self.ops = ops
        self.inner = inner
        self.chain_as = chain_as
        self.depth = depth

    def match(self, var: Variable, bindings: Bindings) -> Iterator[Bindings]:
        chain: list[Apply] = []
        while True:
            yield from self.inner.match(var, {**bindings, self.chain_as: tuple(chain)})
            node = var.owner
            if node is None or not isinstance(node.op, self.ops) or len(chain) == self.depth:
                return
            chain.append(node)
            var = node.inputs[0]

    def __repr__(self) -> str:
        return f"through({self.inner!r})"


class OpPatterns:
    """Node patterns by op name: ``P.log(x)`` is ``Node(vocabulary["log"], x)``; the op set gives the names."""

    def __init__(self, vocabulary: Mapping[str, Any]) -> None:
        self._vocabulary = vocabulary

    def __getattr__(self, name: str) -> Callable[..., Node]:
        try:
            op = self._vocabulary[name]
        except KeyError:
            raise AttributeError(f"the pattern vocabulary has no op named {name!r}") from None

        def node(*args: Any, **kwargs: Any) -> Node:
            return Node(op, *(a if a is Ellipsis else as_pattern(a) for a in args), **kwargs)

        return node


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


Builder = Template | Callable[..., Variable | Mapping[Variable, Variable] | None]


class PatternRule(Rule):
    """``pattern -> replacement``: the first match whose ``where(**bindings)`` holds and whose replacement fits
    the matched variable's type is applied. ``replacement`` is a template, or a function called with the
    bindings as keyword arguments (and ``fgraph``, ``node`` when it names them), returning None when it
    declines, a variable for the matched one, or a mapping from variables of the graph to their replacements.

    A template's proposal that does not fit the matched variable's type is dropped quietly (templates are written
    without dtypes: ``log(1 + x) -> log1p(x)`` cannot fit a bool ``x``); a function's is reported, as a bug."""

    def __init__(self, name: str, pattern: Node, replacement: Builder,
                 where: Callable[..., bool] | None = None, tags: Sequence[str] = ()) -> None:
        if not isinstance(pattern, Node):
            raise TypeError(f"pattern rule {name}: a pattern must be rooted at a node pattern, got {pattern!r}")
        super().__init__(name, pattern.index_keys(), tags)
        self.pattern = pattern
        self.replacement = replacement
        self.where = where
        self.context = _context_names(replacement)
        self.quiet_type_mismatch = isinstance(replacement, Template)
        if getattr(replacement, "__doc__", None) and not isinstance(replacement, Template):
            self.__doc__ = replacement.__doc__

    def transform(self, fgraph: FunctionGraph, node: Apply) -> Replacement:
        context = {"fgraph": fgraph, "node": node}
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
                    new = self.replacement(**bindings, **{k: context[k] for k in self.context})
                if new is None or new is var:
                    continue
                if isinstance(new, Mapping):
                    return new
                if self.quiet_type_mismatch and not var.type.is_compatible(new.type):
                    continue
                return {var: new}
        return None

    def __repr__(self) -> str:
        return f"PatternRule({self.name!r}: {self.pattern!r} -> {self.replacement!r})"


def _context_names(replacement: Builder) -> tuple[str, ...]:
    """Which of ``fgraph`` and ``node`` a replacement function asks for."""
    if isinstance(replacement, Template):
        return ()
    parameters = inspect.signature(replacement).parameters
    return tuple(name for name in ("fgraph", "node") if name in parameters)
