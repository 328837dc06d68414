"""What the meta-package adds on top of graph-core's names: the default mode, floatX, pictures."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import arignote_core
from arignote_core import Function, Mode
from arignote_core.dotgraph import to_dot, to_svg
from arignote_core.tensors.basic import CONSTRUCTORS as _CORE_CONSTRUCTORS

from .config import from_environment
from .modes import OWN_MODES

if TYPE_CHECKING:  # the return type's full name, which the API docs link
    import arignote_c

_CONFIG = from_environment()


def function(inputs: Any, outputs: Any = None, *, mode: Mode | str | None = None, **kwargs: Any) -> Function:
    """graph-core's :func:`arignote_core.function`, with ``mode`` defaulting to ``ARIGNOTE_MODE`` (``fast_run``)."""
    return arignote_core.function(inputs, outputs, mode=_resolve(_CONFIG.mode if mode is None else mode), **kwargs)


def _resolve(mode: Mode | str) -> Mode | str:
    """This package's own mode names made here, with the session's Config; any other name is left to graph-core,
    which looks it up among the installed entry points (a scan of every installed package's metadata)."""
    make = OWN_MODES.get(mode) if isinstance(mode, str) else None
    return make(_CONFIG) if make is not None else mode


def _with_floatx(make: Any) -> Any:
    def constructor(name: str | None = None, dtype: Any = None, shape: Any = None) -> Any:
        return make(name, dtype=_CONFIG.floatX if dtype is None else dtype, shape=shape)

    constructor.__name__ = constructor.__qualname__ = make.__name__
    constructor.__doc__ = f"{make.__doc__} Its dtype defaults to floatX (ARIGNOTE_FLOATX, now {_CONFIG.floatX})."
    return constructor


#: ``scalar vector matrix tensor3...`` take floatX; the typed forms (``dmatrix``, ``ivector``...) are graph-core's.
CONSTRUCTORS = {name: _with_floatx(make) if name in ("scalar", "vector", "matrix", "tensor3", "tensor4", "tensor5")
                else make for name, make in _CORE_CONSTRUCTORS.items()}

# each by name, so that readers and type checkers see them (the typed ones are graph-core's own)
Constructor = Callable[..., Any]
scalar: Constructor = CONSTRUCTORS["scalar"]
vector: Constructor = CONSTRUCTORS["vector"]
matrix: Constructor = CONSTRUCTORS["matrix"]
tensor3: Constructor = CONSTRUCTORS["tensor3"]
tensor4: Constructor = CONSTRUCTORS["tensor4"]
tensor5: Constructor = CONSTRUCTORS["tensor5"]


def render(obj: Any, path: str | Path) -> Path:
    """Draw a graph or compiled function to ``path`` (.svg, .png, .pdf...) with Graphviz's ``dot`` program when it
    is installed. Without it an .svg is laid out by graph-core itself (:func:`arignote_core.dotgraph.to_svg`);
    another format raises RuntimeError, having written the DOT text beside ``path`` (with a ``.dot`` suffix)."""
    path = Path(path)
    suffix = path.suffix.lstrip(".").lower() or "svg"
    dot = shutil.which("dot")
    if dot is None and suffix == "svg":
        path.write_text(to_svg(obj), encoding="utf-8")
        return path
    text = to_dot(obj)
    if dot is None:
        dot_path = path.with_suffix(".dot")
        dot_path.write_text(text, encoding="utf-8")
        raise RuntimeError(f"Graphviz's dot program is not installed, and without it only .svg is drawn; the DOT "
                           f"text is in {dot_path} (render it with: dot -T{suffix} {dot_path} -o {path})")
    subprocess.run([dot, f"-T{suffix}", "-o", str(path)], input=text, text=True, check=True)
    return path


def export_c(f: Function, name: str = "model", directory: str | Path = ".", build: bool = False,
             cc: str | None = None, blas: bool = True) -> arignote_c.ExportedC:
    """codegen-c's :func:`arignote_c.export_c`: write ``<name>.c`` and ``<name>.h``, C computing the compiled function
    ``f`` with no Python (``build=True``: also ``lib<name>.so``). codegen-c is imported here, at the first export,
    not with arignote: a program whose functions run in another mode never loads it."""
    from arignote_c import export_c as export  # noqa: PLC0415  (codegen-c loads when an export needs it)

    return export(f, name, directory, build, cc, blas)
