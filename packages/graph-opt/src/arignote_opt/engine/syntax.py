"""Patterns written as text: ``"log(1 + x) -> log1p(x)"``.

Both sides are Python expressions, read with :mod:`ast`. A *vocabulary* maps the function names and operator
symbols used (``"log"``, ``"+"``, ``"neg"`` for unary minus, ``"not"``, ``"and"``, ...) to ops: an op instance
matches equal ops, an op class matches any instance; on the right-hand side any callable may stand instead of
an op. Other names are pattern variables; numbers are constants (``Const``) on the left and plain Python
numbers on the right (a replacement that is only a number is built with the vocabulary's ``"constant"``
entry). An entry may also be a *pattern factory*: a function called with the argument patterns (and
keywords) that returns a pattern, for ops with parameters.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from typing import Any

from arignote_core import Op

from .patterns import Call, Const, Node, Pattern, Ref, Template, Var

Vocabulary = Mapping[str, Any]

_BINARY = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%",
           ast.Pow: "**", ast.MatMult: "@", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<",
           ast.RShift: ">>"}
_UNARY = {ast.USub: "neg", ast.Invert: "~", ast.Not: "not", ast.UAdd: "pos"}
_COMPARE = {ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">=", ast.Eq: "==", ast.NotEq: "!="}
_BOOL = {ast.And: "and", ast.Or: "or"}


class PatternSyntaxError(ValueError):
    """A pattern text that cannot be read, with the text and the reason."""


def parse_rule(text: str, vocabulary: Vocabulary,
               where: Mapping[str, Callable[[Any], bool]] | None = None) -> tuple[Node, Template]:
    """``"lhs -> rhs"`` as (pattern, template); ``where`` restricts pattern variables by name."""
    if text.count("->") != 1:
        raise PatternSyntaxError(f"expected 'pattern -> replacement', got {text!r}")
    lhs, rhs = (part.strip() for part in text.split("->"))
    pattern = parse_pattern(lhs, vocabulary, where)
    if not isinstance(pattern, Node):
        raise PatternSyntaxError(f"the left side of {text!r} must apply an op, not be a bare variable or number")
    return pattern, parse_template(rhs, vocabulary)


def parse_pattern(text: str, vocabulary: Vocabulary,
                  where: Mapping[str, Callable[[Any], bool]] | None = None) -> Pattern:
    """The pattern written as ``text``."""
    where = dict(where or {})
    pattern = _Reader(text, vocabulary, lhs=True, where=where).read()
    unused = set(where) - _variable_names(pattern)
    if unused:
        raise PatternSyntaxError(f"constraints name {sorted(unused)}, which {text!r} does not use")
    return pattern


def parse_template(text: str, vocabulary: Vocabulary) -> Template:
    """The replacement written as ``text``."""
    built = _Reader(text, vocabulary, lhs=False, where={}).read()
    if isinstance(built, Template):
        return built
    if "constant" not in vocabulary:
        raise PatternSyntaxError(f"the replacement {text!r} is a plain value; the vocabulary needs a 'constant' "
                                 "entry (a function making a constant variable of a value) to build it")
    return Call(vocabulary["constant"], built)


def _variable_names(pattern: Pattern) -> set[str]:
    if isinstance(pattern, Var):
        return {pattern.name}
    if isinstance(pattern, Node):
        return set().union(*(_variable_names(a) for a in pattern.args)) if pattern.args else set()
    return set()


class _Reader:
    def __init__(self, text: str, vocabulary: Vocabulary, lhs: bool,
                 where: Mapping[str, Callable[[Any], bool]]) -> None:
        self.text = text
        self.vocabulary = vocabulary
        self.lhs = lhs
        self.where = where

    def fail(self, why: str) -> PatternSyntaxError:
        return PatternSyntaxError(f"in {self.text!r}: {why}")

    def read(self) -> Any:
        try:
            tree = ast.parse(self.text, mode="eval")
        except SyntaxError as exc:
            raise self.fail(f"not an expression ({exc.msg})") from None
        return self.visit(tree.body)

    def lookup(self, name: str) -> Any:
        if name not in self.vocabulary:
            raise self.fail(f"{name!r} is not in the vocabulary")
        return self.vocabulary[name]

    def apply(self, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        entry = self.lookup(name)
        if not self.lhs:
            return Call(entry, *args, **kwargs)
        if isinstance(entry, Op | type):
            if kwargs:
                raise self.fail(f"{name!r} is an op; keyword arguments need a pattern factory")
            return Node(entry, *args)
        if callable(entry):
            return entry(*args, **kwargs)
        raise self.fail(f"{name!r} maps to {entry!r}, which is neither an op nor a pattern factory")

    def visit(self, node: ast.AST) -> Any:
        if isinstance(node, ast.Constant) and isinstance(node.value, bool | int | float | complex):
            return Const(node.value) if self.lhs else node.value
        if isinstance(node, ast.Name):
            if node.id in self.vocabulary and not callable(self.vocabulary[node.id]):
                return self.vocabulary[node.id]
            if self.lhs:
                return Var(node.id, self.where.get(node.id))
            return Ref(node.id)
        if isinstance(node, ast.UnaryOp):
            operand = self.visit(node.operand)
            if isinstance(node.op, ast.USub) and isinstance(operand, Const) and operand.value is not None:
                return Const(-operand.value)
            if isinstance(node.op, ast.USub) and isinstance(operand, int | float | complex):
                return -operand
            return self.apply(_UNARY[type(node.op)], [operand], {})
        if isinstance(node, ast.BinOp):
            return self.apply(_BINARY[type(node.op)], [self.visit(node.left), self.visit(node.right)], {})
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1:
                raise self.fail("chained comparisons are not supported")
            return self.apply(_COMPARE[type(node.ops[0])], [self.visit(node.left), self.visit(node.comparators[0])],
                              {})
        if isinstance(node, ast.BoolOp):
            values = [self.visit(v) for v in node.values]
            result = values[0]
            for value in values[1:]:
                result = self.apply(_BOOL[type(node.op)], [result, value], {})
            return result
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            args = [self.visit(a) for a in node.args]
            kwargs = {k.arg: self.visit(k.value) if not isinstance(k.value, ast.Constant) else k.value.value
                      for k in node.keywords if k.arg is not None}
            return self.apply(node.func.id, args, kwargs)
        raise self.fail(f"unsupported syntax: {ast.unparse(node)!r}")
