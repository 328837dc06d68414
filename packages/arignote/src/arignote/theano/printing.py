"""``theano.printing``: ``Print`` (graph-core's: print a value as the function runs, pass it on),
``debugprint``, ``pp`` and ``pprint``, and ``pydotprint`` (a picture with Graphviz, the DOT text without it)."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any, TextIO

from arignote_core import dprint, pprint
from arignote_core.printing import Print

from ..api import render

__all__ = ["Print", "debugprint", "pp", "pprint", "pydotprint"]


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
