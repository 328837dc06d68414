"""Sphinx configuration of Arignote's documentation (``nox -s docs``): MyST pages, the API reference from the
packages' docstrings, every code example run by the doctest builder, and every warning an error."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

project = "Arignote"
copyright = "the Arignote authors"  # noqa: A001 (Sphinx's name)
extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "arignote_docs",
]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build"]
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
html_theme = "furo"
html_title = "Arignote"

# broken references are errors (sphinx-build -W -n); names from outside the project are not ours to document
nitpicky = True
nitpick_ignore_regex = [
    (r"py:.*", r"(numpy|np|npt|scipy|typing|collections|types|pathlib|io|threading|dataclasses|enum|abc)\b.*"),
    (r"py:.*", r"(Any|Callable|Iterable|Iterator|Mapping|Sequence|TextIO|Self|ndarray|DTypeLike|ArrayLike)"),
    (r"py:class", r"(.*\.)?([A-Z]|[A-Z][A-Za-z]*T)"),  # type variables
]
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autosummary_generate = False

doctest_global_setup = "import numpy as np"
