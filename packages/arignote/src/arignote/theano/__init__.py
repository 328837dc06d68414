"""``arignote.theano``: Theano 1.0's API over Arignote, so that Theano programs run unchanged.

>>> import arignote.theano as theano
>>> import arignote.theano.tensor as T
>>> x = T.dvector("x")
>>> f = theano.function([x], T.grad((x ** 2).sum(), x))
>>> f([1.0, 2.0]).tolist()
[2.0, 4.0]

``theano.tensor`` (``T``) and the module paths below it (``tensor.nnet``, ``tensor.signal.pool``,
``tensor.shared_randomstreams``, ``sandbox.rng_mrg``...), ``function``/``shared``/``grad``/``scan``/``clone``,
``config`` (``THEANO_FLAGS``), ``In``/``Out``/``Mode``. ``python -m arignote.theano RUN script.py`` runs a
script that says ``import theano`` with this namespace as ``theano`` (see :mod:`.alias`). What behaves
differently from Theano is in the package README ("Porting from Theano").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from arignote_core import Apply, Constant, Op, OpFromGraph, SharedVariable, Type, Variable, clone_replace, dot

from . import compile, gradient, ifelse, printing, sandbox, scan_module, tensor
from .compile import In, Mode, Out, function, shared
from .configparser import config
from .gradient import grad
from .printing import pp
from .scan_module import foldl, foldr, map, reduce, scan  # noqa: A004 (Theano's names)

#: the Theano API this namespace follows
__version__ = "1.0.0"


def clone(output: Any, replace: Mapping[Any, Any] | None = None, strict: bool = True,
          share_inputs: bool = True) -> Any:
    """Theano's ``clone``: a copy of the graph of ``output`` (a variable or a list) with the variables of
    ``replace`` substituted; ``strict`` and ``share_inputs`` are accepted (inputs are always shared)."""
    single = not isinstance(output, list | tuple)
    outputs = [output] if single else list(output)
    copies, _ = clone_replace(outputs, dict(replace or {}))
    return copies[0] if single else copies


__all__ = ["Apply", "Constant", "In", "Mode", "Op", "OpFromGraph", "Out", "SharedVariable", "Type", "Variable",
           "clone", "compile", "config", "dot", "foldl", "foldr", "function", "grad", "gradient", "ifelse", "map",
           "pp", "printing", "reduce", "sandbox", "scan", "scan_module", "shared", "tensor"]
