"""Theano's modes: the names ``FAST_RUN``, ``FAST_COMPILE``, ``DebugMode``, ``NanGuardMode`` and the ``Mode``
object (``Mode(linker=, optimizer=)``), as Arignote's modes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from arignote_core import Mode as CoreMode

from ... import modes as arignote_modes
from ..configparser import config

#: Theano's mode names and the Arignote mode each runs as
MODE_NAMES = {"FAST_RUN": "fast_run", "FAST_COMPILE": "fast_compile", "DebugMode": "debug", "DEBUG_MODE": "debug",
              "NanGuardMode": "nan_guard", "Mode": "fast_run"}

_NO_REWRITES = (None, "None", "")
_FEW_REWRITES = ("fast_compile", "merge")


@dataclass(frozen=True)
class Mode:
    """Theano's ``Mode(linker=None, optimizer='default')``: ``optimizer=None`` runs no rewrite,
    ``'fast_compile'`` only the canonicalizing ones, any other value all of them; ``linker='py'`` runs on the
    reference (NumPy) evaluator, any other linker compiles to C."""

    linker: str | None = None
    optimizer: str | None = "default"

    def arignote_mode(self) -> CoreMode:
        """The Arignote mode this one runs as."""
        if self.optimizer in _NO_REWRITES:
            rewriter = None
        elif self.optimizer in _FEW_REWRITES:
            rewriter = arignote_modes.fast_compile().rewriter
        else:
            rewriter = arignote_modes.fast_run().rewriter
        if self.linker == "py":
            return CoreMode(backend="reference", rewriter=rewriter)
        compiled = arignote_modes.fast_run()
        return CoreMode(backend=compiled.backend, rewriter=rewriter, options=compiled.options)


def DebugMode(**options: Any) -> CoreMode:  # noqa: N802 (Theano's name)
    """Theano's ``DebugMode``: Arignote's ``debug`` mode (every node checked against its NumPy ``perform``);
    Theano's options (``check_py_code``, ``check_isfinite``...) are accepted and have no effect."""
    return arignote_modes.debug()


def NanGuardMode(nan_is_error: bool = True, inf_is_error: bool = True, big_is_error: bool = True,  # noqa: N802
                 optimizer: Any = "default", linker: Any = None) -> CoreMode:
    """Theano's ``NanGuardMode``: Arignote's ``nan_guard`` mode, stopping at the first node that makes NaN or
    infinity out of finite inputs (it checks both; ``big_is_error``, values above 1e10, is not checked). With
    ``nan_is_error`` and ``inf_is_error`` both False it is plain ``fast_run``."""
    if not (nan_is_error or inf_is_error):
        return arignote_modes.fast_run()
    return arignote_modes.nan_guard()


def get_mode(mode: Any) -> CoreMode | str:
    """The Arignote mode for a Theano mode: a name of :data:`MODE_NAMES` or a :class:`Mode`; an Arignote mode or
    mode name passes through."""
    if isinstance(mode, Mode):
        return mode.arignote_mode()
    if isinstance(mode, str) and mode in MODE_NAMES:
        return arignote_modes.OWN_MODES[MODE_NAMES[mode]]()
    if isinstance(mode, str | CoreMode):
        return mode
    raise TypeError(f"mode must be a Theano mode name ({', '.join(MODE_NAMES)}), a theano Mode or an Arignote "
                    f"Mode, got {type(mode).__name__} {mode!r}")


def get_default_mode() -> CoreMode | str:
    """The mode ``theano.config.mode`` names."""
    return get_mode(config.mode)
