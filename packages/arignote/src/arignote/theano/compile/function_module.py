"""``theano.function``: Theano's signature (``mode`` third, ``In``/``Out`` objects, inputs with an update)
over Arignote's ``function``, in the mode ``theano.config.mode`` names unless told."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import arignote_core
from arignote_core import Function

from .io import In, Out
from .mode import get_default_mode, get_mode
from .sharedvalue import shared


def function(inputs: Sequence[Any], outputs: Any = None, mode: Any = None, updates: Any = None, givens: Any = None,
             no_default_updates: bool = False, accept_inplace: bool = False, name: str | None = None,
             rebuild_strict: bool = True, allow_input_downcast: bool | None = None, profile: Any = None,
             on_unused_input: str | None = None) -> Function:
    """Compile ``outputs`` as a function of ``inputs``, as Theano's ``function`` does.

    An input ``In(x, value=v, update=e)`` becomes a state held by the function (a shared variable standing for
    ``x``, updated to ``e`` after each call; givens reach updates too) and leaves the argument list.
    ``accept_inplace`` and ``rebuild_strict`` are accepted for Theano's signature.
    """
    core_inputs: list[Any] = []
    state_givens: list[tuple[Any, Any]] = []
    state_updates: list[tuple[Any, Any]] = []
    for item in inputs:
        if isinstance(item, In) and item.update is not None:
            state = shared(item.value, name=item.name or item.variable.name)
            state_givens.append((item.variable, state))
            state_updates.append((state, item.update))
        elif isinstance(item, In):
            core_inputs.append(arignote_core.In(item.variable, name=item.name) if not item.has_value
                               else arignote_core.In(item.variable, item.value, item.name))
        else:
            core_inputs.append(item)
    core_updates = _pairs(updates) + state_updates
    return arignote_core.function(
        core_inputs, _outputs(outputs), updates=core_updates or None, givens=_pairs(givens) + state_givens or None,
        mode=get_default_mode() if mode is None else get_mode(mode), allow_input_downcast=bool(allow_input_downcast),
        on_unused_input=on_unused_input or "raise", name=name, no_default_updates=no_default_updates,
        profile=bool(profile))


def _outputs(outputs: Any) -> Any:
    if isinstance(outputs, Out):
        return outputs.variable
    if isinstance(outputs, list | tuple):
        return [o.variable if isinstance(o, Out) else o for o in outputs]
    return outputs


def _pairs(mapping: Mapping[Any, Any] | Sequence[tuple[Any, Any]] | None) -> list[tuple[Any, Any]]:
    if mapping is None:
        return []
    return list(mapping.items()) if isinstance(mapping, Mapping) else [(old, new) for old, new in mapping]

