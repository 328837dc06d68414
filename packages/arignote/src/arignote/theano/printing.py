"""``theano.printing``: ``Print`` (print a value as the function runs, pass it on), ``debugprint``, ``pp`` and
``pprint``, and ``pydotprint`` (a picture with Graphviz, the DOT text without it)."""

from __future__ import annotations

import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, TextIO

from arignote_core import Apply, Op, as_tensor, dprint, pprint

from ..api import render

__all__ = ["Print", "debugprint", "pp", "pprint", "pydotprint"]


@dataclass(frozen=True)
class Print(Op):
    """Theano's ``Print(message, attrs=('__str__',))``: ``Print('x')(x)`` is ``x``, and prints ``message``
    and each attribute of the value in ``attrs`` (called when callable) every time the function runs. Its
    derivative is the identity."""

    message: str = ""
    attrs: tuple[str, ...] = ("__str__",)
    view_map: ClassVar[dict[int, list[int]]] = {0: [0]}

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        return Apply(self, [x], [x.type])

    def perform(self, node: Apply, inputs: Sequence[Any]) -> Sequence[Any]:
        value = inputs[0]
        for attr in self.attrs:
            shown = getattr(value, attr)
            print(self.message, attr, "=", shown() if callable(shown) else shown, file=sys.stdout)
        return [value]

    def infer_shape(self, node: Apply, input_shapes: Sequence[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        return [input_shapes[0]]

    def pullback(self, node: Apply, output_grads: Sequence[Any]) -> list[Any]:
        return [output_grads[0]]

    def pushforward(self, node: Apply, tangents: Sequence[Any]) -> list[Any]:
        return [tangents[0]]

    def __str__(self) -> str:
        return f"Print{{{self.message}}}"


def debugprint(obj: Any, depth: int = -1, print_type: bool = False, file: TextIO | str | None = None,
               ids: str = "CHAR", **kwargs: Any) -> str:
    """Theano's ``debugprint``: the graph as an indented tree (Arignote's ``dprint``: op, type, id and the
    user's line). ``file='str'`` returns the text without printing; ``print_type`` and ``ids`` are accepted."""
    if file == "str":
        return dprint(obj, file=io.StringIO(), depth=depth)
    return dprint(obj, file=file if not isinstance(file, str) else None, depth=depth)


def pp(obj: Any) -> str:
    """The graph as a math expression (Arignote's ``pprint``), returned as text."""
    return pprint(obj)


def pydotprint(fct: Any, outfile: str | Path | None = None, format: str = "png",  # noqa: A002 (Theano's name)
               **kwargs: Any) -> Path:
    """Draw the graph of a function or variables to ``outfile`` (default ``pydotprint.<format>`` here) with
    Graphviz (an .svg also without it, laid out by Arignote); without Graphviz, for another format, the DOT text
    is written beside it and a RuntimeError says how to draw it.
    Theano's styling options are accepted and have no effect."""
    path = Path(outfile) if outfile is not None else Path(f"pydotprint.{format}")
    return render(fct, path)
