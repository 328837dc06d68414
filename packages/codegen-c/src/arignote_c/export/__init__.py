"""Standalone C export: a compiled function as a C source and header that compute it with no Python.

``export_c(f, "model", directory)`` writes ``model.c`` and ``model.h``: the generated kernels of every node, a
small single-threaded runtime (loops over broadcast arrays, reductions, views, matrix products through CBLAS or a
plain loop) and ``model_run``, which runs the steps in order. ``build=True`` also compiles ``libmodel.so``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from arignote_core.function import Function

from .build import build_library
from .errors import ExportError
from .header import header_text
from .plan import ExportPlan, plan_export
from .source import source_text

__all__ = ["ExportError", "ExportedC", "export_c"]


@dataclass(frozen=True)
class ExportedC:
    """What ``export_c`` wrote: the source, the header, and with ``build=True`` the shared library and the BLAS
    library it links (None: the runtime's own matrix loop)."""

    source: Path
    header: Path
    library: Path | None = None
    blas: str | None = None


def export_plan(f: Function, name: str) -> ExportPlan:
    """The plan of the compiled function ``f`` as model ``name`` (see ``plan.plan_export``)."""
    if not isinstance(f, Function):
        raise TypeError(f"export_c exports a compiled function (arignote.function), got {type(f).__name__}")
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise ValueError(f"the model name must be a C identifier, got {name!r}")
    return plan_export(f.fgraph, len(f.specs), f.n_outputs, name)


def export_c(f: Function, name: str = "model", directory: str | Path = ".", build: bool = False,
             cc: str | None = None, blas: bool = True) -> ExportedC:
    """Write ``<name>.c`` and ``<name>.h`` into ``directory``: C computing the compiled function ``f`` without
    Python, NumPy or Arignote, through ``int <name>_run(inputs, outputs, error, error_size)``.

    Shared variables are baked in as constants, with the values they hold now; a function that updates them cannot
    be exported. A node without a C implementation (one the C backend runs in Python) is an ``ExportError``
    naming the op and the line that built it. With ``build``, also compile ``lib<name>.so`` with ``cc`` (default
    ``$CC``, gcc, cc), linking a CBLAS (OpenBLAS, cblas or blas, the first that links) for matrix products when
    ``blas`` and one is found; else matrix products use a plain loop compiled in.
    """
    plan = export_plan(f, name)
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    header = folder / f"{name}.h"
    source = folder / f"{name}.c"
    header.write_text(header_text(plan))
    source.write_text(source_text(plan, header.name))
    if not build:
        return ExportedC(source, header)
    library = folder / f"lib{name}.so"
    linked = build_library(source, library, cc, blas)
    return ExportedC(source, header, library, linked)

