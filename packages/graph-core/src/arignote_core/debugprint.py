"""``Print``: Theano's debugging op, which passes a value on unchanged and prints it each time the function runs.

``Print("x")(x)`` is ``x``; every call of a compiled function that computes it prints the message and each
attribute named in ``attrs`` (``"__str__"`` by default: the value; ``"shape"``, ``"dtype"``... called when
callable), or calls ``global_fn(op, value)`` instead. It is an op of its own, so every backend runs it (the C
backend as a Python step), constant folding leaves it (``foldable = False``), and two prints with different
messages stay two nodes. Elementwise fusion stops at it: the expressions before and after it fuse apart.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from .graph import Apply, Op
from .tensors.basic import as_tensor


def print_attributes(op: Print, value: Any) -> None:
    """Theano's default ``global_fn``: one line per attribute, ``message attr = shown``, on standard output."""
    for attr in op.attrs:
        shown = getattr(value, attr)
        print(op.message, attr, "=", shown() if callable(shown) else shown, file=sys.stdout)


@dataclass(frozen=True)
class Print(Op):
    """``Print(message, attrs=("__str__",), global_fn=print_attributes)(x)``: ``x``, printed at run time.

    >>> import numpy as np
    >>> import arignote_core as ac
    >>> x = ac.dvector("x")
    >>> f = ac.function([x], ac.printing.Print("x is", attrs=("shape",))(x) * 2)
    >>> f(np.ones(3)).tolist()
    x is shape = (3,)
    [2.0, 2.0, 2.0]
    """

    message: str = ""
    attrs: tuple[str, ...] = ("__str__",)
    global_fn: Callable[[Print, Any], None] = print_attributes
    view_map: ClassVar[dict[int, list[int]]] = {0: [0]}
    #: printing happens when the function runs, never once at rewrite time
    foldable: ClassVar[bool] = False

    def __post_init__(self) -> None:
        if isinstance(self.attrs, str):
            raise TypeError(f"Print: attrs is a sequence of attribute names, got the string {self.attrs!r}")
        object.__setattr__(self, "attrs", tuple(self.attrs))  # a list as Theano users pass it, kept hashable

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        return Apply(self, [x], [x.type])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        value = inputs[0]
        self.global_fn(self, value)
        return [value]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]

    def __str__(self) -> str:
        return f"Print{{{self.message}}}"
