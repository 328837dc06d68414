"""``import theano`` as ``arignote.theano``: a meta path finder that answers ``theano`` and every
``theano.<module>`` with the same module objects of ``arignote.theano`` (``theano.tensor.nnet`` is
``arignote.theano.tensor.nnet``).

It imports only the standard library, so that a ``.pth`` file can install it at interpreter start (see
:mod:`.sitealias`) without importing Arignote: ``arignote.theano`` loads at the first ``import theano``.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

ALIAS = "theano"
TARGET = "arignote.theano"


class _AliasLoader(importlib.abc.Loader):
    """Loads ``theano.x`` as the already importable ``arignote.theano.x``, keeping that module's own spec."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.target_spec: importlib.machinery.ModuleSpec | None = None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        module = importlib.import_module(self.target)
        self.target_spec = module.__spec__
        return module

    def exec_module(self, module: ModuleType) -> None:
        module.__spec__ = self.target_spec  # the import system set the alias' spec; the module keeps its own


class AliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``theano`` and ``theano.*`` as ``arignote.theano`` and ``arignote.theano.*``."""

    def find_spec(self, fullname: str, path: Sequence[str] | None = None,
                  target: ModuleType | None = None) -> importlib.machinery.ModuleSpec | None:
        if fullname != ALIAS and not fullname.startswith(ALIAS + "."):
            return None
        real = TARGET + fullname[len(ALIAS):]
        real_spec = importlib.util.find_spec(real)
        if real_spec is None:
            return None
        return importlib.util.spec_from_loader(fullname, _AliasLoader(real),
                                               is_package=real_spec.submodule_search_locations is not None)


def installed() -> bool:
    """Whether the alias is in ``sys.meta_path``."""
    return any(isinstance(finder, AliasFinder) for finder in sys.meta_path)


def real_theano() -> str | None:
    """Where a real Theano is installed (its location), or None."""
    spec = importlib.machinery.PathFinder.find_spec(ALIAS)
    return None if spec is None else str(spec.origin or spec.submodule_search_locations)


def install(only_without_real_theano: bool = False) -> bool:
    """Put the alias first in ``sys.meta_path`` (once); with ``only_without_real_theano``, only when no real
    Theano is installed. Returns whether the alias is installed."""
    if installed():
        return True
    if only_without_real_theano and real_theano() is not None:
        return False
    sys.meta_path.insert(0, AliasFinder())
    return True


def uninstall() -> None:
    """Take the alias out of ``sys.meta_path`` and forget the ``theano`` modules it gave."""
    sys.meta_path[:] = [finder for finder in sys.meta_path if not isinstance(finder, AliasFinder)]
    for name in [n for n in sys.modules if n == ALIAS or n.startswith(ALIAS + ".")]:
        del sys.modules[name]
