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

import functools
import inspect
from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence
from types import EllipsisType
from typing import Any, cast

import numpy as np

from arignote_core import Apply, Constant, FunctionGraph, Op, Variable

from .hooks import constant_value, index_key, is_commutative, operator_op
from .rules import Replacement, Rule

Bindings = Mapping[str, Any]
#: What matching passes each way a pattern matches on to: a result ends the search, None asks for the next.
Continuation = Callable[[Bindings], Any]


class Pattern:
    """Something a variable of a graph can match; ``match`` yields every way it does (as bindings).

    Arithmetic operators build node patterns with the op set's operators: ``x * 2 + y`` matches
    ``add(multiply(x, 2), y)``. Matching passes each way on to a continuation (``walk``) rather than yielding
    it, so that a rule stops at its first accepted match without the cost of generators: rules are tried on
    every node of every rewrite.
    """

    def walk(self, var: Variable, bindings: Bindings, then: Continuation) -> Any:
        """``then(b)`` for each way ``b`` that ``var`` matches, in order, until one returns something other
        than None; that (or None)."""
        raise NotImplementedError

    def match(self, var: Variable, bindings: Bindings) -> Iterator[Bindings]:
        found: list[Bindings] = []
        self.walk(var, bindings, found.append)
        return iter(found)

    def build(self) -> Any:
        """The expression a ground pattern (no unbound variable) stands for: a variable, or a number."""
        raise TypeError(f"the pattern {self!r} has unbound parts; it cannot be built")

    def describes(self, var: Variable) -> bool:
        """Whether the graph at ``var`` is exactly what this ground pattern builds (inputs in their order)."""
        raise TypeError(f"the pattern {self!r} has unbound parts; it describes no one graph")

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

    def walk(self, var: Variable, bindings: Bindings, then: Continuation) -> Any:
        bound = bindings.get(self.name)
        if bound is not None:
            return then(bindings) if _same(bound, var) else None
        if self.where is None or self.where(var):
            return then({**bindings, self.name: var})
        return None

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

    def walk(self, var: Variable, bindings: Bindings, then: Continuation) -> Any:
        return then(bindings) if var is self.var else None

    def build(self) -> Any:
        return self.var

    def describes(self, var: Variable) -> bool:
        return var is self.var

    def __repr__(self) -> str:
        return f"is({self.var})"


class Const(Pattern):
    """A constant standing for the number ``value`` (see :func:`.hooks.constant_value`; NaN matches NaN); bound
    to ``name`` if given. ``value=None`` matches any such constant."""

    def __init__(self, value: Any = None, name: str | None = None) -> None:
        self.value = value
        self.name = name

    def walk(self, var: Variable, bindings: Bindings, then: Continuation) -> Any:
        found = constant_value(var)
        if found is None:
            return None
        if self.value is not None and not bool(np.equal(found, self.value) or (found != found and
                                                                                 self.value != self.value)):
            return None
        if self.name is None:
            return then(bindings)
        if self.name not in bindings:
            return then({**bindings, self.name: var})
        if isinstance(bindings[self.name], Constant) and bindings[self.name].equals(var):
            return then(bindings)
        return None

    def build(self) -> Any:
        if self.value is None:
            return super().build()
        return self.value

    def describes(self, var: Variable) -> bool:
        if self.value is None:
            return super().describes(var)
        return self.walk(var, {}, _accept) is not None

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
        for arg in fixed:
            if not isinstance(arg, Pattern):
                raise TypeError(f"node pattern {op!r}: its inputs must be patterns (and a final ...), got {args!r}")
        self.op = op
        self.args = cast("tuple[Pattern, ...]", fixed)  # each checked above
        self.variadic = variadic or rest is not None
        self.rest = rest
        self.name = name
        self.op_as = op_as
        self.where = where
        self.commutative = commutative
        self._walk: Callable[[Variable, Bindings, Continuation], Any] | None = None

    def op_test(self) -> Callable[[Op], bool]:
        """A function saying whether an op matches this pattern's ``op``."""
        return _op_test(self.op)

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

    def walk(self, var: Variable, bindings: Bindings, then: Continuation) -> Any:
        walk = self._walk
        if walk is None:  # compiled at first use
            walk = self._walk = self._compile()
        return walk(var, bindings, then)

    def _compile(self, checked: bool = False) -> Callable[[Variable, Bindings, Continuation], Any]:
        """``walk`` specialized to this pattern: only the checks it needs, its fields read once (rules are
        tried on every node of every rewrite, so this is the engine's innermost loop). ``checked``: the caller
        has already tested the node's op and ``where`` (a rule's root)."""
        op_matches, where, count, variadic = self.op_test(), self.where, len(self.args), self.variadic
        if checked:
            op_matches, where = _accept, None
        binders = tuple((key, kind) for key, kind in ((self.name, 0), (self.op_as, 1), (self.rest, 2))
                        if key is not None)
        match_inputs = _inputs_matcher(self.args)
        commutative = self.commutative
        swap = count == 2 and not variadic and commutative is not False

        def walk(var: Variable, bindings: Bindings, then: Continuation) -> Any:
            node = var.owner
            if node is None or not op_matches(node.op):
                return None
            inputs = node.inputs
            if len(inputs) != count and (not variadic or len(inputs) < count):
                return None
            if where is not None and not where(node):
                return None
            if binders:
                added = dict(bindings)
                for key, kind in binders:
                    value = var if kind == 0 else node.op if kind == 1 else tuple(inputs[count:])
                    if key in added and not _agrees(added[key], value):
                        return None
                    added[key] = value
                bindings = added
            result = match_inputs(inputs, bindings, then)
            if result is None and swap and inputs[0] is not inputs[1] and (commutative or is_commutative(node.op)):
                result = match_inputs(inputs[1::-1], bindings, then)
            return result

        return walk

    def build(self) -> Any:
        if not isinstance(self.op, Op) or self.variadic:
            return super().build()
        return self.op(*(a.build() for a in self.args))

    def describes(self, var: Variable) -> bool:
        node = var.owner
        if not isinstance(self.op, Op) or self.variadic:
            return super().describes(var)
        return node is not None and node.op == self.op and len(node.inputs) == len(self.args) and \
            all(a.describes(v) for a, v in zip(self.args, node.inputs, strict=True))

    def __repr__(self) -> str:
        label = getattr(self.op, "__name__", None) or str(self.op)
        args = [repr(a) for a in self.args] + (["..."] if self.variadic else [])
        return f"{label}({', '.join(args)})"


class AnyOf(Pattern):
    """Whatever one of ``alternatives`` matches (each tried in turn)."""

    def __init__(self, *alternatives: Pattern) -> None:
        self.alternatives = alternatives

    def walk(self, var: Variable, bindings: Bindings, then: Continuation) -> Any:
        for alternative in self.alternatives:
            result = alternative.walk(var, bindings, then)
            if result is not None:
                return result
        return None

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

    def walk(self, var: Variable, bindings: Bindings, then: Continuation) -> Any:
        chain: list[Apply] = []
        while True:
            result = self.inner.walk(var, {**bindings, self.chain_as: tuple(chain)}, then)
            node = var.owner
            if result is not None or node is None or not isinstance(node.op, self.ops) or len(chain) == self.depth:
                return result
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


def _accept(anything: Any) -> bool:
    return True


def _op_test(spec: OpSpec) -> Callable[[Op], bool]:
    """A fast test of whether an op matches ``spec`` (see :class:`Node`)."""
    if isinstance(spec, tuple):
        classes = tuple(s for s in spec if isinstance(s, type))
        ops = tuple(s for s in spec if isinstance(s, Op))
        return lambda op: isinstance(op, classes) or any(op is s or op == s for s in ops)
    if isinstance(spec, Op):
        return lambda op: op is spec or op == spec
    if isinstance(spec, type):
        return lambda op: isinstance(op, spec)
    if isinstance(spec, OpMatch):
        return spec.test
    return spec


def _inputs_matcher(patterns: tuple[Pattern, ...]) -> Callable[[Sequence[Variable], Bindings, Continuation], Any]:
    """A function matching ``patterns`` against a node's first inputs in turn, each way on to a continuation."""
    if not patterns:
        return lambda inputs, bindings, then: then(bindings)
    if all(type(p) is Var and p.where is None for p in patterns):
        return _variables_matcher(tuple(cast(Var, p).name for p in patterns))
    if len(patterns) == 1:
        first = patterns[0]
        return lambda inputs, bindings, then: first.walk(inputs[0], bindings, then)
    if len(patterns) == 2:
        first, second = patterns

        def both(inputs: Sequence[Variable], bindings: Bindings, then: Continuation) -> Any:
            return first.walk(inputs[0], bindings, lambda found: second.walk(inputs[1], found, then))

        return both
    return lambda inputs, bindings, then: _walk_all(patterns, inputs, 0, bindings, then)


def _variables_matcher(names: tuple[str, ...]) -> Callable[[Sequence[Variable], Bindings, Continuation], Any]:
    """The common case of inputs that are all plain variables (``switch(c, a, a)``): one way to match, bound
    in one pass, without a continuation per input."""

    def match(inputs: Sequence[Variable], bindings: Bindings, then: Continuation) -> Any:
        added = dict(bindings)
        for name, var in zip(names, inputs):  # noqa: B905 - a variadic node has more inputs than names
            bound = added.get(name)
            if bound is None:
                added[name] = var
            elif not _same(bound, var):
                return None
        return then(added)

    return match


def _walk_all(patterns: Sequence[Pattern], inputs: Sequence[Variable], start: int, bindings: Bindings,
              then: Continuation) -> Any:
    """Match ``patterns[start:]`` against ``inputs[start:]`` in turn, each way on to ``then``."""
    remaining = len(patterns) - start
    if remaining == 0:
        return then(bindings)
    if remaining == 1:
        return patterns[start].walk(inputs[start], bindings, then)
    return patterns[start].walk(inputs[start], bindings,
                                lambda found: _walk_all(patterns, inputs, start + 1, found, then))


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
        # the root's own tests, asked first: most nodes a rule is offered fail them, and cheaply
        self._root_test = pattern.op_test()
        self._root_where = pattern.where
        self._walk_root = pattern._compile(checked=True)
        # a root whose inputs are not matched (``Node(Elemwise, ...)``: most algorithms' rules) binds at most
        # the variable, the op and the inputs: no walk, no continuation
        self._binds_only = (pattern.name, pattern.op_as, pattern.rest) if not pattern.args and pattern.variadic \
            else None
        if getattr(replacement, "__doc__", None) and not isinstance(replacement, Template):
            self.__doc__ = replacement.__doc__

    def transform(self, fgraph: FunctionGraph, node: Apply) -> Replacement:
        if not self._root_test(node.op) or (self._root_where is not None and not self._root_where(node)):
            return None
        context = {name: fgraph if name == "fgraph" else node for name in self.context} if self.context else {}
        if self._binds_only is not None:
            name, op_as, rest = self._binds_only
            for var in node.outputs:
                bindings: dict[str, Any] = {}
                if name is not None:
                    bindings[name] = var
                if op_as is not None:
                    bindings[op_as] = node.op
                if rest is not None:
                    bindings[rest] = tuple(node.inputs)
                proposed: Replacement = self._proposal(var, bindings, context=context)
                if proposed is not None:
                    return proposed
            return None
        for var in node.outputs:
            found: Replacement = self._walk_root(var, {}, functools.partial(self._proposal, var, context=context))
            if found is not None:
                return found
        return None

    def _proposal(self, var: Variable, bindings: Bindings, *, context: dict[str, Any]) -> Any:
        """What replaces ``var`` for this match (a mapping), or None to try the next match."""
        if self.where is not None and not self.where(**bindings):
            return None
        if isinstance(self.replacement, Template):
            try:
                new = self.replacement.build(bindings)
            except TypeError:
                return None  # the op set refuses these operands (``-b`` for a bool ``b``): no match
        else:
            new = self.replacement(**bindings, **context)
        if new is None or new is var:
            return None
        if isinstance(new, Mapping):
            return new
        if self.quiet_type_mismatch and not var.type.is_compatible(new.type):
            return None
        return {var: new}

    def __repr__(self) -> str:
        return f"PatternRule({self.name!r}: {self.pattern!r} -> {self.replacement!r})"


def _context_names(replacement: Builder) -> tuple[str, ...]:
    """Which of ``fgraph`` and ``node`` a replacement function asks for."""
    if isinstance(replacement, Template):
        return ()
    parameters = inspect.signature(replacement).parameters
    return tuple(name for name in ("fgraph", "node") if name in parameters)
