"""Arignote: an optimizing compiler for tensor expressions in Python (the full stack).

``import arignote as ar`` gives one API over every part: tensor constructors and the NumPy-named op library
(graph-core), ``function``/``shared``/``In`` compiling with the ``fast_run`` mode by default (graph-opt's rewrites
and the C backend), gradients (autograd-sym), ``ar.nn`` (nn-extras), ``ar.random.RandomStream``, ``ar.linalg``,
``dprint``/``pprint``/``to_dot``. Defaults come from ``ARIGNOTE_*`` environment variables, read once at import
(see :mod:`arignote.config`); a function can always be given its own ``mode``.

>>> import arignote as ar
>>> x = ar.dvector("x")
>>> f = ar.function([x], ar.grad((x ** 2).sum(), x))
>>> f([1.0, 2.0]).tolist()
[2.0, 4.0]
"""

from __future__ import annotations

import arignote_core
import arignote_nn as nn
from arignote_core import *  # noqa: F403
from arignote_grad import (
                           Lop,
                           Rop,
                           disconnected_grad,
                           grad,
                           grad_clip,
                           grad_scale,
                           hessian,
                           hessian_vector_product,
                           jacobian,
                           verify_grad,
                           zero_grad,
)

from . import config as _config_module
from ._version import __version__
from .api import (  # the untyped tensor constructors, floatX by default (the typed ones are graph-core's)
    CONSTRUCTORS,
    export_c,
    function,
    matrix,
    render,
    scalar,
    tensor3,
    tensor4,
    tensor5,
    vector,
)
from .modes import debug, fast_compile, fast_run, nan_guard, preload

config = _config_module.from_environment()
preload(config.mode)

# written out, so that type checkers see the names (a test checks it): graph-core's and these
__all__ = ["Lop", "Rop", "config", "debug", "disconnected_grad", "export_c", "fast_compile", "fast_run", "grad",
           "grad_clip", "grad_scale", "hessian", "hessian_vector_product", "jacobian", "nan_guard", "nn", "render",
           "verify_grad", "zero_grad"]
__all__ += arignote_core.__all__
