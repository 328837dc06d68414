"""Arignote: an optimizing compiler for tensor expressions in Python (the full stack).

One user API, `import arignote as ar`, over graph-core, graph-opt, autograd-sym, codegen-c and nn-extras.
"""

from arignote_core import *  # noqa: F403

from ._version import __version__ as __version__
