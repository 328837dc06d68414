"""A tiny op set that is not tensors: booleans with And, Or and Not. The engine rewrites it as it does
tensors (this is the reuse example of the README)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from arignote_core import Apply, Constant, Op, Type, Variable


@dataclass(frozen=True)
class Bool(Type):
    """A Python bool."""

    def filter(self, value: Any, *, allow_downcast: bool = False) -> bool:
        if not isinstance(value, bool):
            raise TypeError(f"expected a bool, got {value!r}")
        return value

    def __str__(self) -> str:
        return "bool"


Bool.variable_class = Variable
Bool.constant_class = Constant
BOOL = Bool()


def boolean(value: Any) -> Variable:
    """A variable or a Python bool as a variable of the op set."""
    return value if isinstance(value, Variable) else Constant(BOOL, value)


@dataclass(frozen=True)
class And(Op):
    commutative: ClassVar[bool] = True

    def make_node(self, a: Any, b: Any) -> Apply:
        return Apply(self, [boolean(a), boolean(b)], [BOOL])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> list[bool]:
        return [inputs[0] and inputs[1]]


@dataclass(frozen=True)
class Or(Op):
    commutative: ClassVar[bool] = True

    def make_node(self, a: Any, b: Any) -> Apply:
        return Apply(self, [boolean(a), boolean(b)], [BOOL])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> list[bool]:
        return [inputs[0] or inputs[1]]


@dataclass(frozen=True)
class Not(Op):
    def make_node(self, a: Any) -> Apply:
        return Apply(self, [boolean(a)], [BOOL])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> list[bool]:
        return [not inputs[0]]


AND, OR, NOT = And(), Or(), Not()
VOCABULARY = {"and": AND, "or": OR, "not": NOT, "constant": boolean}
